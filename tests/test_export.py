"""`lexi export`: a standard Hugging Face text-classification folder, on a tiny random BERT.

transformers must load the export on its own (offline, lexi not imported) with the run's
labels, pooling and head, and give the probabilities `lexi predict` gives.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy
import pytest

from lexi.errors import LexiError
from lexi.model import export as export_module
from lexi.model.export import export_run, modeling_source
from lexi.model.export_card import DEFAULT_BASE_MODEL_ID, merged_card, portable_base_model
from lexi.model.predict import load_predictor

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import build_tiny_model, train_tiny, write_toy_data  # noqa: E402

# Different lengths (padding in a batch), an unknown word, and one text longer than the
# run's max_length (64 tokens; also the tiny model's position limit): truncation must agree.
TEXTS = ["wake me up at noon", "will it rain in lima", "put on jazz songs",
         "unknown words here", " ".join(["play some rock music"] * 20)]

# Run in a fresh interpreter: offline, with a private HF cache, and lexi never imported.
HF_SCRIPT = textwrap.dedent("""
    import json, sys
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    texts = json.loads(sys.argv[1])
    out = {}
    for folder in sys.argv[2:]:
        model = AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=True)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        with torch.no_grad():
            proba = torch.softmax(model(**batch).logits.double(), dim=-1)
        classify = pipeline("text-classification", model=folder, trust_remote_code=True)
        scores = classify(texts, top_k=None, truncation=True)
        labels = model.config.id2label
        out[folder] = {
            "class": type(model).__name__, "pooling": model.pooling,
            "id2label": [labels[i] for i in range(len(labels))],
            "label2id": model.config.label2id, "proba": proba.tolist(),
            "pipeline": [{s["label"]: s["score"] for s in row} for row in scores],
        }
    out["lexi_imported"] = any(m == "lexi" or m.startswith("lexi.") for m in sys.modules)
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(root, tiny model folder, toy MASSIVE file)."""
    root = tmp_path_factory.mktemp("export")
    return root, build_tiny_model(root / "model"), write_toy_data(root / "toy.jsonl")


@pytest.fixture(scope="module")
def run_dir(tiny) -> Path:
    return train_tiny(*tiny, "run")


@pytest.fixture(scope="module")
def exported(run_dir, tiny) -> Path:
    return export_run(run_dir, tiny[0] / "deploy")


def _run_labels(run: Path) -> list[str]:
    return json.loads((run / "run.json").read_text())["model"]["labels"]


def _hf_load(tmp_path: Path, folders: list[Path]) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_HOME": str(tmp_path / "hf-home"), "OMP_NUM_THREADS": "1",
           "TRANSFORMERS_VERBOSITY": "error"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "-c", HF_SCRIPT, json.dumps(TEXTS),
                           *map(str, folders)], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_transformers_alone_loads_the_export_and_predicts_what_lexi_predicts(
        tiny, run_dir, exported, tmp_path):
    cls_run = train_tiny(*tiny, "run-cls", pooling="cls", epochs=2)
    cls_export = export_run(cls_run, tmp_path / "deploy-cls")
    loaded = _hf_load(tmp_path, [exported, cls_export])
    assert loaded["lexi_imported"] is False
    for run, folder, pooling in ((run_dir, exported, "mean"), (cls_run, cls_export, "cls")):
        result = loaded[str(folder)]
        assert result["class"] == "LexiForSequenceClassification"
        assert result["pooling"] == pooling
        labels = _run_labels(run)
        assert result["id2label"] == labels  # the run's labels, not LABEL_0, LABEL_1, ...
        assert result["label2id"] == {label: i for i, label in enumerate(labels)}
        expected = load_predictor(run, device="cpu").predict_proba(TEXTS)
        assert numpy.allclose(result["proba"], expected, atol=1e-5, rtol=0)
        piped = numpy.array([[row[label] for label in labels] for row in result["pipeline"]])
        assert numpy.allclose(piped, expected, atol=1e-5, rtol=0)


def test_the_export_is_a_standard_folder_with_lexis_files_beside(exported):
    config = json.loads((exported / "config.json").read_text())
    assert config["architectures"] == ["LexiForSequenceClassification"]
    assert config["auto_map"] == {
        "AutoModelForSequenceClassification": "modeling_lexi.LexiForSequenceClassification"}
    assert config["lexi_pooling"] == "mean"
    assert config["problem_type"] == "single_label_classification"
    # The shipped code must run where lexi is not installed.
    tree = ast.parse((exported / "modeling_lexi.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for a in node.names}
    assert not {name for name in imported if name.split(".")[0] == "lexi"}
    tokenizer = json.loads((exported / "tokenizer_config.json").read_text())
    assert tokenizer["model_max_length"] == 64  # the run's max_length
    assert not list(exported.parent.glob(f".{exported.name}*"))  # no staging left behind
    assert all(path.stat().st_mode & 0o044 for path in exported.iterdir())  # readable


def test_the_model_card_has_hugging_face_metadata(run_dir, exported):
    from huggingface_hub import ModelCard

    card = ModelCard.load(exported / "README.md")
    data = card.data.to_dict()
    run = json.loads((run_dir / "run.json").read_text())
    assert data["library_name"] == "transformers"
    assert data["pipeline_tag"] == "text-classification"
    assert data["language"] == ["en"]  # the toy data's locale, en-US
    assert {"lexi", "text-classification", "lora", "custom_code"} <= set(data["tags"])
    assert "base_model" not in data  # a local model folder has no portable id
    metrics = {m["type"]: m["value"] for m in
               data["model-index"][0]["results"][0]["metrics"]}
    assert metrics["accuracy"] == pytest.approx(run["metrics"]["dev_accuracy"], abs=1e-6)
    assert "trust_remote_code=True" in card.text
    assert "alarm_set" in card.text and str(run_dir) not in card.text


def test_the_default_model_is_named_by_its_hub_id(run_dir, tmp_path):
    default = {"name": "default", "path": "/root/.cache/lexi/models/multilingual-e5-small-q4"}
    assert portable_base_model(default) == DEFAULT_BASE_MODEL_ID
    assert portable_base_model({"name": "xlm-roberta-base", "path": "xlm-roberta-base"}) == (
        "xlm-roberta-base")
    assert portable_base_model({"name": str(tmp_path), "path": str(tmp_path)}) is None
    assert portable_base_model({"name": "/gone/model", "path": "/gone/model"}) is None
    run = json.loads((run_dir / "run.json").read_text())
    run["model"].update(default)
    from huggingface_hub import ModelCard

    card = ModelCard(merged_card(run, tmp_path / "deploy", DEFAULT_BASE_MODEL_ID))
    assert card.data.base_model == DEFAULT_BASE_MODEL_ID
    assert default["path"] not in card.text and "4-bit" in card.text
    assert "layers only" not in card.text  # the toy run adapts every layer


def test_the_card_says_when_only_the_top_layers_were_adapted(run_dir, tmp_path):
    run = json.loads((run_dir / "run.json").read_text())
    run["config"]["lora_layers"] = 6
    card = merged_card(run, tmp_path / "deploy", None)
    assert "the top 6 encoder layers only)" in card


def test_lexi_predict_reads_the_export(run_dir, exported, capsys):
    from lexi.cli.main import main

    for folder in (run_dir, exported):
        with pytest.raises(SystemExit) as exit_info:
            main(["predict", "--run", str(folder), *TEXTS[:3], "--top-k", "3"])
        assert exit_info.value.code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    from_run, from_export = rows[:3], rows[3:]
    for a, b in zip(from_run, from_export, strict=True):
        assert [t["label"] for t in a["top_k"]] == [t["label"] for t in b["top_k"]]
        assert [t["score"] for t in a["top_k"]] == pytest.approx(
            [t["score"] for t in b["top_k"]], abs=1e-5)


def test_cli_export_prints_the_folder_and_replaces_only_with_overwrite(run_dir, tmp_path,
                                                                       capsys):
    from lexi.cli.main import main

    out = tmp_path / "deploy"
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--run", str(run_dir), "-o", str(out)])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"{out}\n"
    assert (out / "modeling_lexi.py").is_file()
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--run", str(run_dir), "-o", str(out)])
    assert exit_info.value.code == 2
    assert "not empty" in capsys.readouterr().err
    (out / "stale.txt").write_text("from before")
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--run", str(run_dir), "-o", str(out), "--overwrite"])
    assert exit_info.value.code == 0
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deploy"]


def test_a_failed_export_leaves_the_old_folder_and_no_debris(run_dir, tmp_path, monkeypatch):
    out = tmp_path / "deploy"
    out.mkdir()
    (out / "keep.txt").write_text("the previous export")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_module, "_save_classifier", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        export_run(run_dir, out, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deploy"]
    assert (out / "keep.txt").read_text() == "the previous export"


def test_an_output_overlapping_the_run_is_refused(run_dir):
    for output in (run_dir, run_dir / "deploy", run_dir.parent):
        with pytest.raises(LexiError, match="overlaps the run"):
            export_run(run_dir, output, overwrite=True)
    assert (run_dir / "run.json").is_file() and not (run_dir / "deploy").exists()


def test_unmerged_export_is_a_portable_peft_adapter(run_dir, tmp_path, monkeypatch):
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    # The tiny model is a local folder; pretend it has a hub id, as `default` has.
    monkeypatch.setattr(export_module, "portable_base_model", lambda model: "org/tiny-bert")
    out = export_run(run_dir, tmp_path / "adapter-export", merge=False)
    settings = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert settings["base_model_name_or_path"] == "org/tiny-bert"
    for card in (out / "README.md", out / "adapter" / "README.md"):
        text = card.read_text()
        assert "library_name: peft" in text and "base_model: org/tiny-bert" in text
        assert "More Information Needed" not in text  # not peft's blank template
    expected = load_predictor(run_dir, device="cpu").predict_proba(TEXTS)
    assert numpy.allclose(load_predictor(out, device="cpu").predict_proba(TEXTS), expected,
                          atol=1e-6)
    # The card's recipe, by hand: peft adapter on the base, mean pooling, the head.
    model = json.loads((run_dir / "run.json").read_text())["model"]
    base = AutoModel.from_pretrained(model["path"], add_pooling_layer=False)
    encoder = PeftModel.from_pretrained(base, str(out / "adapter")).merge_and_unload().eval()
    head = load_file(str(out / "head.safetensors"))
    batch = AutoTokenizer.from_pretrained(model["path"])(
        TEXTS, padding=True, truncation=True, max_length=model["max_length"],
        return_tensors="pt")
    with torch.no_grad():
        hidden = encoder(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    logits = pooled @ head["weight"].T + head["bias"]
    assert numpy.allclose(torch.softmax(logits.double(), -1).numpy(), expected, atol=1e-5)


def test_unmerged_export_needs_a_lora_run(run_dir, tmp_path):
    copy = tmp_path / "full-run"
    shutil.copytree(run_dir, copy)
    run = json.loads((copy / "run.json").read_text())
    run["model"]["method"] = "full"
    (copy / "run.json").write_text(json.dumps(run))
    with pytest.raises(LexiError, match="LoRA adapter"):
        export_run(copy, tmp_path / "out", merge=False)


def test_an_export_is_not_exported_again(exported, tmp_path):
    with pytest.raises(LexiError, match="already an export"):
        export_run(exported, tmp_path / "again")


def test_modeling_file_follows_the_encoders_family():
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    source = modeling_source(XLMRobertaModel)
    assert "from transformers import XLMRobertaModel as EncoderModel" in source
    assert ("from transformers import XLMRobertaPreTrainedModel as EncoderPreTrainedModel"
            in source)
    namespace: dict = {}
    exec(compile(source, "modeling_lexi.py", "exec"), namespace)
    config = XLMRobertaConfig(vocab_size=20, hidden_size=16, num_hidden_layers=1,
                              num_attention_heads=2, intermediate_size=32, num_labels=3,
                              max_position_embeddings=40)
    model = namespace["LexiForSequenceClassification"](config).eval()
    assert model.base_model_prefix == "roberta"
    assert getattr(model.roberta, "pooler", None) is None  # lexi pools; no unused pooler
    ids = torch.tensor([[0, 5, 6, 2, 1], [0, 7, 2, 1, 1]])
    output = model(input_ids=ids, attention_mask=(ids != 1).long(), labels=torch.tensor([0, 2]))
    assert output.logits.shape == (2, 3) and output.loss is not None
