"""Bad inputs are one error line naming the file (and the line), never a traceback
(issue 16, items 4 and 6): each case runs the real CLI entry point without ``--debug`` and
expects exit code 2 with the location on stderr. The last tests fuzz the readers: any bytes
give records or a located :class:`LexiError`, never another exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexi.cli.main import main
from lexi.data.massive import MassiveReader, parse_annot
from lexi.data.readers import read_dataset
from lexi.errors import LexiError
from lexi.morph.unimorph import read_rows

GOOD_ROW = {"id": 1, "locale": "en-US", "partition": "train", "intent": "alarm_set",
            "utt": "wake me up", "annot_utt": "wake me up"}


def lexi_fails(capsys, *args: str) -> str:
    """Run ``lexi ARGS``; it must exit with code 2 and no traceback. Its stderr, on one line."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert "Traceback" not in err
    return " ".join(err.split())


def jsonl(path: Path, *rows: dict) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# -- MASSIVE rows -----------------------------------------------------------------------


@pytest.mark.parametrize("field, value, message", [
    ("intent", 42, "field 'intent' must be a non-empty string, got 42"),
    ("intent", None, "field 'intent' must be a non-empty string, got None"),
    ("intent", "", "field 'intent' must be a non-empty string, got ''"),
    ("id", {"a": 1}, "field 'id' must be a string or an integer, got {'a': 1}"),
    ("id", True, "field 'id' must be a string or an integer, got True"),
    ("partition", 7, "field 'partition' must be a non-empty string, got 7"),
    ("locale", ["en"], "field 'locale' must be a non-empty string, got ['en']"),
    ("annot_utt", 3, "field 'annot_utt' must be a string, got 3"),
])
def test_bad_massive_field_names_file_and_line(tmp_path, capsys, field, value, message):
    path = jsonl(tmp_path / "en.jsonl", GOOD_ROW, {**GOOD_ROW, "id": 2, field: value})
    assert f"{path}:2: {message}" in lexi_fails(capsys, "data", "stats", str(path))


def test_int_intent_in_synth_source_is_reported_not_a_type_error(tmp_path, capsys):
    path = jsonl(tmp_path / "en.jsonl", GOOD_ROW, {**GOOD_ROW, "id": 2, "intent": 42})
    lexicon = tmp_path / "en-sw.tsv"
    lexicon.write_text("wake\tamka\n", encoding="utf-8")
    err = lexi_fails(capsys, "synth", "-s", str(path), "-l", str(lexicon), "--locale", "sw-KE",
                     "-q", "-o", str(tmp_path / "out.jsonl"))
    assert f"{path}:2: field 'intent'" in err


def test_generic_jsonl_fields_are_checked_too(tmp_path, capsys):
    path = jsonl(tmp_path / "rows.jsonl", {"id": 1, "text": "hi", "label": "greet"},
                 {"id": {"x": 1}, "text": "yo", "label": "greet"})
    assert f"{path}:2: field 'id' must be a string or an integer" in lexi_fails(
        capsys, "data", "stats", str(path))
    path = jsonl(tmp_path / "rows2.jsonl", {"id": 1, "text": "hi", "label": "greet"},
                 {"id": 2, "text": "yo", "label": ["greet"]})
    assert f"{path}:2: field 'label' must be a string or an integer" in lexi_fails(
        capsys, "data", "stats", str(path))
    # An id column found on row 1 and missing later: named, not a KeyError.
    path = jsonl(tmp_path / "rows3.jsonl", {"id": 1, "text": "hi", "label": "greet"},
                 {"text": "yo", "label": "greet"})
    assert f"{path}:2: missing field 'id'" in lexi_fails(capsys, "data", "stats", str(path))


# -- non-UTF-8 bytes ----------------------------------------------------------------------


def test_non_utf8_massive_file_gives_line_and_byte_offset(tmp_path, capsys):
    path = tmp_path / "en.jsonl"
    first = json.dumps(GOOD_ROW).encode() + b"\n"
    path.write_bytes(first + b'{"id": 2, "utt": "caf\xe9", "intent": "x"}\n')
    offset = len(first) + len(b'{"id": 2, "utt": "caf')
    err = lexi_fails(capsys, "data", "stats", str(path))
    assert f"{path}:2: not valid UTF-8: byte 0xe9 at byte offset {offset}" in err


def test_non_utf8_first_line_of_a_jsonl_file(tmp_path, capsys):
    path = tmp_path / "en.jsonl"
    path.write_bytes(b'\xff{"id": 1}\n')
    assert f"{path}:1: not valid UTF-8: byte 0xff at byte offset 0" in lexi_fails(
        capsys, "data", "stats", str(path))


def test_non_utf8_tsv_data_file(tmp_path, capsys):
    path = tmp_path / "test.tsv"
    before = b"index_id\tcategory\ttext\n1\tsports\tgoal\n2\ttravel\tna"
    path.write_bytes(before + b"\xefve\n")
    assert f"{path}:3: not valid UTF-8: byte 0xef at byte offset {len(before)}" in lexi_fails(
        capsys, "data", "stats", str(path))


def test_non_utf8_unimorph_table(tmp_path, capsys):
    path = tmp_path / "swx"
    before = b"soma\tnasoma\tV;IND;PRS;1;SG\nsoma\tunas"
    path.write_bytes(before + b"\xf6ma\tV;IND;PRS;2;SG\n")
    assert f"{path}:2: not valid UTF-8: byte 0xf6 at byte offset {len(before)}" in lexi_fails(
        capsys, "morph", "stats", str(path))


# -- run directories (no model is loaded: the checks come first) ---------------------------

RUN_MODEL = {"name": "tiny", "path": None, "pooling": "mean", "max_length": 32,
             "labels": ["a", "b"]}


def _run_dir(tmp_path: Path, run: object = None) -> Path:
    """A run directory with a valid head and (unless replaced) a valid ``run.json``."""
    import torch
    from safetensors.torch import save_file

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    run = {"format": "lexi-run/1", "status": "ok", "model": RUN_MODEL} if run is None else run
    (run_dir / "run.json").write_text(json.dumps(run), encoding="utf-8")
    save_file({"weight": torch.zeros(2, 8), "bias": torch.zeros(2)},
              str(run_dir / "head.safetensors"))
    return run_dir


def _truncate(path: Path, keep: int | None) -> None:
    path.write_bytes(b"" if keep is None else path.read_bytes()[:keep])


@pytest.mark.parametrize("run, message", [
    ({}, "run.json: no 'model' record"),
    ([], "run.json: expected a JSON object, found list"),
    ({"model": {**RUN_MODEL, "labels": "ab"}}, "run.json: 'model.labels' must be"),
    ({"model": {**RUN_MODEL, "max_length": "32"}}, "run.json: 'model.max_length' must be"),
])
def test_bad_run_json_is_named(tmp_path, capsys, run, message):
    run_dir = _run_dir(tmp_path, run)
    err = lexi_fails(capsys, "predict", "--run", str(run_dir), "hello")
    assert f"{run_dir}/{message}" in err


@pytest.mark.parametrize("keep, what", [(None, "0 bytes"), (40, "40 bytes")])
def test_empty_or_truncated_head(tmp_path, capsys, keep, what):
    run_dir = _run_dir(tmp_path)
    _truncate(run_dir / "head.safetensors", keep)
    err = lexi_fails(capsys, "predict", "--run", str(run_dir), "hello")
    assert f"{run_dir}/head.safetensors: the classification head is damaged ({what}" in err


@pytest.mark.parametrize("keep", [None, 30])
def test_empty_or_truncated_adapter(tmp_path, capsys, keep):
    import torch
    from safetensors.torch import save_file

    run_dir = _run_dir(tmp_path)
    adapter = run_dir / "adapter" / "adapter_model.safetensors"
    adapter.parent.mkdir()
    save_file({"lora_A": torch.zeros(4, 4)}, str(adapter))
    _truncate(adapter, keep)
    err = lexi_fails(capsys, "predict", "--run", str(run_dir), "hello")
    assert f"{adapter}: the LoRA adapter is damaged" in err


def test_missing_adapter(tmp_path, capsys):
    run_dir = _run_dir(tmp_path)
    err = lexi_fails(capsys, "predict", "--run", str(run_dir), "hello")
    assert f"{run_dir}/adapter/adapter_model.safetensors: the LoRA adapter is missing" in err


# -- lexicons and recipes -----------------------------------------------------------------


@pytest.mark.parametrize("content", [b"this is not a database\n", b"\x00" * 4096])
def test_panlex_import_of_a_non_sqlite_file(tmp_path, capsys, content):
    path = tmp_path / "panlex.sqlite"
    path.write_bytes(content)
    err = lexi_fails(capsys, "lexicon", "import", "panlex", str(path), "--src", "eng",
                     "--tgt", "swh", "-o", str(tmp_path / "out.sqlite"))
    assert f"{path}: not a PanLex SQLite snapshot" in err
    assert not (tmp_path / "out.sqlite").exists()


@pytest.mark.parametrize("state, message", [
    ("[]", "expected a JSON object, found list"),
    ('{"version": 1, "steps": []}', "'steps' or 'hashes' is not what lexi writes"),
    ("{not json", "damaged recipe state"),
])
def test_damaged_recipe_state_is_named(tmp_path, capsys, state, message):
    work = tmp_path / "work"
    work.mkdir()
    (work / ".lexi-recipe-state.json").write_text(state, encoding="utf-8")
    recipe = tmp_path / "chain.yml"
    recipe.write_text(f"directory: {work}\nsteps:\n  - name: s\n    run: lexi --version\n",
                      encoding="utf-8")
    err = lexi_fails(capsys, "recipe", "run", str(recipe), "--dry-run")
    assert f"{work}/.lexi-recipe-state.json" in err and message in err
    assert "delete .lexi-recipe-state.json to start afresh" in err


# -- fuzzing the readers -------------------------------------------------------------------

# Pieces of real rows, so that the fuzzer reaches past the first JSON error often.
_FRAGMENTS = (
    b'{"id": 1, "utt": "wake me", "intent": "alarm_set"}', b'{"id": ', b'"utt": ',
    b'"intent": ', b'"annot_utt": "[time : five]"', b'"partition": 7', b'"text": "hi"',
    b'"label": ', b"null", b"42", b"{}", b"[]", b'"', b"[", b"]", b" : ", b",", b"}", b"\n",
    b"\r\n", b"\t", b"\xff", b"\xc3", b"\xe9", b"\x00", b"index_id\tcategory\ttext\n",
    b"text,label\n", b'"a,b"', b"1e999", b"-", b"\\u0000",
)
_SOUPS = st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.binary(max_size=6)),
                  max_size=24).map(b"".join)
_FUZZ = settings(max_examples=200, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


def _read_all(path: Path, reader) -> list:
    """Everything ``reader`` gives for ``path``, or the located LexiError it raises."""
    try:
        records = list(reader(path))
    except LexiError as exc:
        assert exc.path == str(path), exc
        assert exc.line is None or exc.line >= 1
        return []
    return records


@_FUZZ
@given(data=_SOUPS)
def test_fuzz_dataset_readers_give_records_or_a_located_error(tmp_path, data):
    for suffix in (".jsonl", ".tsv", ".csv"):
        path = tmp_path / f"fuzz{suffix}"
        path.write_bytes(data)
        for utt in _read_all(path, read_dataset):
            assert isinstance(utt.id, str) and isinstance(utt.text, str)
            assert utt.label is None or isinstance(utt.label, str)
            assert utt.split is None or isinstance(utt.split, str)
            assert utt.locale is None or isinstance(utt.locale, str)
    path = tmp_path / "fuzz.jsonl"
    for utt in _read_all(path, MassiveReader):
        assert isinstance(utt.label, str) and utt.label.strip()
        assert all(0 <= s.start <= s.end <= len(utt.text) for s in utt.slots)


@_FUZZ
@given(data=_SOUPS)
def test_fuzz_unimorph_reader(tmp_path, data):
    path = tmp_path / "table"
    path.write_bytes(data)
    for lemma, form, features in _read_all(path, read_rows):
        assert lemma and form and features


@settings(max_examples=200, deadline=None)
@given(annot=st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(["[", "]", " : ", "time", "a", " ", ":", "[x : y]"]),
             max_size=12).map("".join),
))
def test_fuzz_annot_utt_parser(annot):
    try:
        text, spans = parse_annot(annot, path="f.jsonl", line=3)
    except LexiError as exc:
        assert (exc.path, exc.line) == ("f.jsonl", 3)
        return
    assert all(0 <= s.start <= s.end <= len(text) for s in spans)
    assert [s.start for s in spans] == sorted(s.start for s in spans)
