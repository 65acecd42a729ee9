"""Prediction and export on a run trained on a tiny random BERT."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy
import pytest

from lexi.errors import LexiError
from lexi.model.config import TrainConfig
from lexi.model.export import export_run
from lexi.model.predict import load_predictor
from lexi.model.train import train

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import build_tiny_model, write_toy_data  # noqa: E402

TEXTS = ["wake me up at noon", "will it rain in lima", "put on jazz songs", "unknown words here"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("predict")
    model, data = build_tiny_model(root / "model"), write_toy_data(root / "toy.jsonl")
    train(TrainConfig(data=[str(data)], dev=str(data), output=str(root / "run"),
                      model=str(model), epochs=4, batch_size=8, lr=1e-2, device="cpu"))
    return root / "run"


def test_probabilities_and_top_k_agree(run_dir):
    predictor = load_predictor(run_dir, device="cpu")
    proba = predictor.predict_proba(TEXTS, batch_size=3)
    assert proba.shape == (len(TEXTS), len(predictor.labels)) == (4, 3)
    assert numpy.allclose(proba.sum(axis=1), 1.0)
    ranked = predictor.predict(TEXTS, top_k=5)  # more than there are labels
    for row, labels in zip(proba, ranked, strict=True):
        assert [label for label, _ in labels] == [predictor.labels[j] for j in numpy.argsort(-row)]
        assert [score for _, score in labels] == pytest.approx(sorted(row, reverse=True))
    # Batching (length-sorted, padded) does not change the answer.
    assert numpy.allclose(predictor.predict_proba(TEXTS, batch_size=1), proba, atol=1e-6)
    assert predictor.predict_proba([]).shape == (0, 3)


def test_merged_export_loads_without_peft_and_predicts_the_same(run_dir, tmp_path):
    from transformers import AutoModel

    out = export_run(run_dir, tmp_path / "deploy")
    assert not (out / "adapter_config.json").exists()
    encoder = AutoModel.from_pretrained(out)
    assert not any("lora" in name for name, _ in encoder.named_parameters())
    exported = load_predictor(out, device="cpu").predict_proba(TEXTS)
    original = load_predictor(run_dir, device="cpu").predict_proba(TEXTS)
    assert numpy.allclose(exported, original, atol=1e-5)
    with pytest.raises(LexiError, match="not empty"):
        export_run(run_dir, out)


def test_cli_predict_input_file_writes_json_lines(run_dir, tmp_path, capsys):
    from lexi.cli.main import main

    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"id": f"u{i}", "text": t, "label": "alarm_set"}) + "\n"
                            for i, t in enumerate(TEXTS)))
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "--run", str(run_dir), "--input", str(data), "--top-k", "2"])
    assert exit_info.value.code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == ["u0", "u1", "u2", "u3"]
    assert all(r["gold"] == "alarm_set" and len(r["top_k"]) == 2 for r in rows)
    assert all(r["label"] == r["top_k"][0]["label"] for r in rows)


def test_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path):
    with pytest.raises(LexiError, match="not a lexi run directory"):
        load_predictor(tmp_path)


def test_the_library_loads_runs_quietly(run_dir, capfd):
    """No transformers progress bar and no deprecation warning from peft's load path, for
    the notebook API as for the CLI (the filter is the library's, not only the CLI's)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predictor = load_predictor(run_dir, device="cpu")
        predictor.predict_proba(TEXTS)
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "is_gradient_checkpointing" in m], messages
    err = capfd.readouterr().err
    assert "Loading weights" not in err and "FutureWarning" not in err, err
