"""The lean prediction path (lexi.model.lean): the same answers as transformers + peft, and
what `lexi predict` imports (behaviour, not timing)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy
import pytest
import torch

from lexi.io import file_sha256
from lexi.model import lean
from lexi.model.export import export_run
from lexi.model.predict import load_predictor

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.fresh_python import modules_after  # noqa: E402
from fixtures.tiny_bert import (  # noqa: E402
    build_tiny_model,
    train_tiny,
    write_toy_data,
    write_toy_slot_data,
)

REPO = Path(__file__).resolve().parents[1]
# Known words, unknown words, one longer than the runs' max_length (truncated), padding
# (different lengths in one batch), an empty text and odd spacing.
TEXTS = ["wake me up at noon", "will it rain in lima", "put on jazz songs", "unknown words here",
         " ".join(["play some jazz music"] * 30), "", "  is   it cold in   paris  "]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lean")
    model = build_tiny_model(root / "model")
    data, slot_data = write_toy_data(root / "toy.jsonl"), write_toy_slot_data(root / "s.jsonl")
    lora = train_tiny(root, model, data, "lora", epochs=2, max_length=16)
    return {"model": model, "lora": lora,
            "full": train_tiny(root, model, data, "full", epochs=1, method="full", lr=1e-3),
            "slots": train_tiny(root, model, slot_data, "slots", epochs=2,
                                task="intent+slots"),
            "export": export_run(lora, root / "export")}


@pytest.mark.parametrize("name", ["lora", "full", "export"])
def test_lean_predicts_what_transformers_predicts(runs, name):
    lean_predictor = load_predictor(runs[name], device="cpu", lean=True)
    full = load_predictor(runs[name], device="cpu")
    assert type(lean_predictor.model.encoder) is lean.LeanBert
    assert type(full.model.encoder) is not lean.LeanBert
    expected = full.predict_proba(TEXTS, batch_size=4)
    for batch_size in (1, 3, 64):
        got = lean_predictor.predict_proba(TEXTS, batch_size=batch_size)
        assert numpy.allclose(got, expected, atol=1e-6), batch_size
    # The encoders agree token by token too (padding rows left out).
    ids = full.tokenizer(TEXTS, truncation=True, max_length=full.max_length)["input_ids"]
    assert lean_predictor.tokenizer(TEXTS, truncation=True,
                                    max_length=full.max_length)["input_ids"] == ids
    width = max(map(len, ids))
    batch = torch.tensor([row + [0] * (width - len(row)) for row in ids])
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids])
    with torch.no_grad():
        a = lean_predictor.model.encoder(batch, mask).last_hidden_state
        b = full.model.encoder(input_ids=batch, attention_mask=mask).last_hidden_state
    keep = mask.bool()
    assert torch.allclose(a[keep], b[keep], atol=1e-5)


def test_slots_through_the_lean_path(runs):
    lean_predictor = load_predictor(runs["slots"], device="cpu", lean=True)
    full = load_predictor(runs["slots"], device="cpu")
    assert type(lean_predictor.model.encoder) is lean.LeanBert
    proba, spans = lean_predictor.predict_with_slots(TEXTS)
    expected_proba, expected_spans = full.predict_with_slots(TEXTS)
    assert numpy.allclose(proba, expected_proba, atol=1e-6)
    assert spans == expected_spans


def test_lora_merged_by_hand_is_peft_merge_exactly(runs):
    from peft import PeftModel

    from lexi.model.classifier import load_encoder

    adapter = runs["lora"] / "adapter"
    files = {p: file_sha256(p) for p in (runs["model"] / "model.safetensors",
                                         adapter / "adapter_model.safetensors")}
    by_hand = load_encoder(str(runs["model"]))
    assert lean.merge_lora(by_hand, adapter)
    by_peft = PeftModel.from_pretrained(load_encoder(str(runs["model"])),
                                        str(adapter)).merge_and_unload()
    ours, theirs = dict(by_hand.named_parameters()), dict(by_peft.named_parameters())
    assert ours.keys() == theirs.keys()
    changed = [n for n in ours if not torch.equal(ours[n], load_encoder(
        str(runs["model"])).get_parameter(n))]
    assert changed and all(torch.equal(ours[n], theirs[n]) for n in ours)
    # The weights on disk (memory-mapped by safetensors) are not written through.
    assert all(file_sha256(p) == digest for p, digest in files.items())


def test_what_the_lean_path_refuses(runs, tmp_path, monkeypatch):
    config = json.loads((runs["model"] / "config.json").read_text())
    assert lean.lean_config(runs["model"]) is not None
    for change in ({"model_type": "xlm-roberta"}, {"hidden_act": "gelu_new"},
                   {"position_embedding_type": "relative_key"}, {"is_decoder": True}):
        folder = tmp_path / "-".join(map(str, change.values()))
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({**config, **change}))
        assert lean.lean_config(folder) is None, change
    settings = json.loads((runs["lora"] / "adapter" / "adapter_config.json").read_text())
    assert lean.plain_lora(settings)
    for change in ({"use_dora": True}, {"fan_in_fan_out": True}, {"rank_pattern": {"q": 4}},
                   {"modules_to_save": ["head"]}, {"bias": "all"}, {"some_new_option": 1},
                   {"peft_type": "IA3"}):
        assert not lean.plain_lora({**settings, **change}), change
    assert lean.plain_lora({**settings, "some_new_option": None})  # off: still plain
    tokenizer_config = json.loads((runs["model"] / "tokenizer_config.json").read_text())
    folder = tmp_path / "tokenizer"
    folder.mkdir()
    (folder / "tokenizer.json").write_bytes((runs["model"] / "tokenizer.json").read_bytes())
    for change in ({"tokenizer_class": "BertTokenizer"}, {"do_lower_case": True},
                   {"truncation_side": "left"}):
        (folder / "tokenizer_config.json").write_text(json.dumps({**tokenizer_config,
                                                                  **change}))
        assert not lean.lean_tokenizer_ok(folder), change
    # Switched off: the transformers path, whatever the model.
    monkeypatch.setenv(lean.LEAN_ENV, "0")
    predictor = load_predictor(runs["lora"], device="cpu", lean=True)
    assert type(predictor.model.encoder) is not lean.LeanBert


def test_the_default_models_tokenizer_is_read_the_same(tmp_path):
    """The embedded model's tokenizer (SentencePiece unigram, 250k pieces), when this
    machine has it converted already (nothing is converted here)."""
    from lexi.model.classifier import load_tokenizer
    from lexi.model.default import DEFAULT_MODEL_DIRNAME, is_converted
    from lexi.paths import cache_dir

    folder = cache_dir("models") / DEFAULT_MODEL_DIRNAME
    if not is_converted(folder):
        pytest.skip("the default model is not converted on this machine")
    assert lean.lean_tokenizer_ok(folder) and lean.lean_config(folder) is not None
    texts = [*TEXTS, "Amka saa kumi na mbili asubuhi", "天気はどうですか", "naïve café ÉTÉ",
             "<s> </s> <mask>", "x" * 500]
    ours, theirs = lean.LeanTokenizer(folder), load_tokenizer(str(folder))
    assert ours.pad_token_id == theirs.pad_token_id
    for limit in (8, 64):
        a = ours(texts, truncation=True, max_length=limit, return_offsets_mapping=True)
        b = theirs(texts, truncation=True, max_length=limit, return_offsets_mapping=True)
        assert a["input_ids"] == b["input_ids"]
        assert [list(map(tuple, o)) for o in a["offset_mapping"]] == \
            [list(map(tuple, o)) for o in b["offset_mapping"]]


def test_the_cli_imports_no_model_library():
    """`lexi --help` and every command's module load without torch, transformers, peft or
    epitran: a command imports them when it runs."""
    loaded = modules_after("from lexi.cli.main import app  # every command registered")
    assert not loaded & {"torch", "transformers", "peft", "epitran"}


def test_lexi_predict_imports_neither_transformers_nor_peft(runs):
    code = ("from lexi.cli.main import main\n"
            "try:\n"
            f"    main(['predict', '--run', {str(runs['lora'])!r}, 'wake me up at noon'])\n"
            "except SystemExit as exc:\n"
            "    assert not exc.code, exc.code\n")
    loaded = modules_after(code)
    assert "torch" in loaded and "lexi.model.lean" in loaded
    assert not loaded & {"transformers", "peft", "torch._dynamo"}
