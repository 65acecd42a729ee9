"""Bad inputs are one error line naming the file (and the line), never a traceback
(issue 16, items 4 and 6): each case runs the real CLI entry point without ``--debug`` and
expects exit code 2 with the location on stderr. ``CASES`` is the table over every command
(what it is given, the exit code, the message and the files that must survive); the last
tests fuzz the readers: any bytes give records or a located :class:`LexiError`, never
another exception."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexi.data.massive import MassiveReader, parse_annot
from lexi.data.readers import read_dataset
from lexi.errors import LexiError
from lexi.evaluate.predictions import read_predictions
from lexi.lexicon import load_lexicon
from lexi.model.config import TrainConfig
from lexi.morph.unimorph import read_rows

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.cli_inputs import (  # noqa: E402
    UNIMORPH_TABLE,
    assert_kept,
    file_bytes,
    jsonl_text,
    run_lexi,
    write_good_inputs,
)
from fixtures.massive_rows import MASSIVE_ROWS  # noqa: E402

GOOD_ROW = {"id": 1, "locale": "en-US", "partition": "train", "intent": "alarm_set",
            "utt": "wake me up", "annot_utt": "wake me up"}


def lexi_fails(capsys, *args: str) -> str:
    """Run ``lexi ARGS``; it must exit with code 2 and no traceback. Its stderr, on one line."""
    run = run_lexi(args, None, capsys)
    assert run.code == 2, run.err
    assert "Traceback" not in run.err
    return " ".join(run.err.split())


def jsonl(path: Path, *rows: dict) -> Path:
    path.write_text(jsonl_text(*rows), encoding="utf-8")
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


# -- the table: every command, each bad input one case -------------------------------------
#
# A case is one CLI call in a fresh folder ``{d}`` holding the inputs of ``write_inputs``
# plus the case's own ``files``. It must exit with ``code`` (2: a LexiError or a usage
# error, never a traceback nor a Python error) and print one error line containing
# ``error`` (``{d}`` is the folder); ``unchanged`` files must keep their bytes and
# ``absent`` ones must not appear. Every case fails before any model is trained.

ROWS = MASSIVE_ROWS
GENERIC = [{"id": 1, "text": "hi there", "label": "greet"},
           {"id": 2, "text": "bye", "label": "bye"}]


def _massive(**change) -> str:
    """The good MASSIVE file with row 2 changed (a None value removes the field)."""
    second = {k: v for k, v in {**ROWS[1], **change}.items() if v is not None}
    return jsonl_text(ROWS[0], second, *ROWS[2:])


def write_inputs(d: Path) -> None:
    """Good inputs every case may use; a case's own files are written after them."""
    import torch
    from safetensors.torch import save_file

    from lexi.lexicon import import_lexicon

    write_good_inputs(d, ROWS)
    (d / "rows.jsonl").write_text(jsonl_text(*GENERIC), encoding="utf-8")
    (d / "out.jsonl").write_text("KEEP\n", encoding="utf-8")
    import_lexicon("tsv", [d / "lex.tsv"], d / "fr.sqlite", tgt="fr")
    with contextlib.closing(sqlite3.connect(d / "other.sqlite")) as db:
        db.execute("CREATE TABLE notes (text)")  # an SQLite file, but not a lexicon store
        db.commit()
    run = d / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"format": "lexi-run/1", "status": "ok",
                                              "model": RUN_MODEL}), encoding="utf-8")
    save_file({"weight": torch.zeros(2, 8), "bias": torch.zeros(2)},
              str(run / "head.safetensors"))
    (d / "preds.jsonl").write_text(jsonl_text(
        {"header": {"run": "r", "labels": ["a", "b"]}},
        {"id": "1", "text": "x", "gold": "a", "pred": "a", "prob": 0.9},
        {"id": "2", "text": "y", "gold": "b", "pred": "a", "prob": 0.6}), encoding="utf-8")
    (d / "preds2.jsonl").write_text(jsonl_text(
        {"header": {"run": "s", "labels": ["a", "b"]}},
        {"id": "9", "text": "x", "gold": "a", "pred": "a", "prob": 0.9}), encoding="utf-8")


@dataclass(frozen=True)
class Bad:
    """``args``, ``error`` and ``files`` use ``{d}`` for the case's folder."""

    id: str
    args: tuple[str, ...]
    error: str
    files: dict = field(default_factory=dict)
    code: int = 2
    unchanged: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    stdin: bytes | None = None


def bad(id: str, args: str | tuple, error: str, **kw) -> Bad:
    """A case; ``args`` may be one string split on spaces."""
    return Bad(id, tuple(args.split()) if isinstance(args, str) else args, error, **kw)


NOT_UTF8 = b'{"id": 1, "utt": "caf\xe9", "intent": "x"}\n'

CASES = [
    # --- lexi data stats ---------------------------------------------------------------------
    bad("stats-missing-file", "data stats {d}/missing.jsonl", "{d}/missing.jsonl"),
    bad("stats-a-folder", "data stats {d}/run", "{d}/run"),
    bad("stats-malformed-json", "data stats {d}/x.jsonl", "{d}/x.jsonl:2: malformed JSON",
        files={"x.jsonl": jsonl_text(ROWS[0]) + "{not json\n"}),
    bad("stats-json-list-line", "data stats {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": jsonl_text(ROWS[0]) + "[1, 2]\n"}),
    bad("stats-json-string-line", "data stats {d}/x.jsonl", "{d}/x.jsonl:1:",
        files={"x.jsonl": '"hello"\n'}),
    bad("stats-a-json-array-file", "data stats {d}/x.jsonl", "{d}/x.jsonl:1:",
        files={"x.jsonl": json.dumps(ROWS) + "\n"}),
    bad("stats-massive-without-utt", "data stats {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": _massive(utt=None)}),
    bad("stats-annot-differs-from-utt", "data stats {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": _massive(annot_utt="play other music")}),
    bad("stats-annot-unbalanced", "data stats {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": _massive(annot_utt="play [some music")}),
    bad("stats-annot-no-colon", "data stats {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": _massive(annot_utt="play [some] music")}),
    bad("stats-intent-list", "data stats {d}/x.jsonl", "{d}/x.jsonl:2: field 'intent'",
        files={"x.jsonl": _massive(intent=["a"])}),
    bad("stats-utt-number", "data stats {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": _massive(utt=5)}),
    bad("stats-nul-bytes", "data stats {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": jsonl_text(ROWS[0]).encode() + b"\x00\x00\x00\n"}),
    bad("stats-utf16", "data stats {d}/x.jsonl", "{d}/x.jsonl:1:",
        files={"x.jsonl": jsonl_text(ROWS[0]).encode("utf-16")}),
    bad("stats-unknown-format", "data stats {d}/en.jsonl --format xml", "xml"),
    bad("stats-csv-on-jsonl", "data stats {d}/en.jsonl --format csv", "{d}/en.jsonl"),
    bad("stats-tsv-without-text-column", "data stats {d}/x.tsv", "{d}/x.tsv",
        files={"x.tsv": "a\tb\n1\t2\n"}),
    bad("stats-csv-ragged-row", "data stats {d}/x.csv", "{d}/x.csv:3:",
        files={"x.csv": "text,label\nhi,greet\n\"open,x\n"}),
    bad("stats-unknown-text-field", "data stats {d}/rows.jsonl --text-field body", "body"),
    bad("stats-unknown-label-field", "data stats {d}/rows.jsonl --label-field tag", "tag"),
    bad("stats-generic-text-null", "data stats {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": jsonl_text(GENERIC[0], {"id": 2, "text": None, "label": "x"})}),
    bad("stats-stdin-not-utf8", "data stats -", "not valid UTF-8", stdin=NOT_UTF8),
    bad("stats-stdin-malformed", "data stats -", "malformed JSON", stdin=b"{oops\n"),
    bad("stats-top-not-a-number", "data stats {d}/en.jsonl --top many",
        "Invalid value for '--top'"),
    # --- lexi data convert -------------------------------------------------------------------
    bad("convert-missing-source", "data convert {d}/missing.jsonl {d}/new.jsonl",
        "{d}/missing.jsonl", absent=("new.jsonl",)),
    bad("convert-unknown-target-format", "data convert {d}/en.jsonl {d}/new.xml --to xml",
        "xml", absent=("new.xml",)),
    bad("convert-unknown-source-format", "data convert {d}/en.jsonl {d}/new.jsonl -f xml",
        "xml", absent=("new.jsonl",)),
    bad("convert-target-under-a-file", "data convert {d}/en.jsonl {d}/out.jsonl/new.jsonl",
        "cannot write here: {d}/out.jsonl is a file", unchanged=("out.jsonl",)),
    bad("convert-target-is-a-folder", "data convert {d}/en.jsonl {d}/run --overwrite",
        "{d}/run", unchanged=("run/run.json",)),
    bad("convert-malformed-source", "data convert {d}/x.jsonl {d}/new.jsonl",
        "{d}/x.jsonl:2: malformed JSON", files={"x.jsonl": jsonl_text(ROWS[0]) + "{\n"},
        absent=("new.jsonl",)),
    bad("convert-not-utf8-source", "data convert {d}/x.jsonl {d}/new.jsonl",
        "{d}/x.jsonl:1: not valid UTF-8", files={"x.jsonl": NOT_UTF8}, absent=("new.jsonl",)),
    bad("convert-stdin-not-utf8", "data convert - {d}/new.jsonl", "not valid UTF-8",
        stdin=NOT_UTF8, absent=("new.jsonl",)),
    bad("convert-empty-stdin", "data convert - {d}/new.jsonl", "0 rows selected",
        stdin=b"", absent=("new.jsonl",)),
    bad("convert-to-massive-without-labels", "data convert {d}/x.tsv {d}/new.jsonl",
        "row '2' has no label", files={"x.tsv": "text\nhello\n"}, absent=("new.jsonl",)),
    bad("convert-existing-target", "data convert {d}/en.jsonl {d}/out.jsonl",
        "{d}/out.jsonl: exists", unchanged=("out.jsonl",)),
    # --- lexi lexicon import -----------------------------------------------------------------
    bad("import-unknown-adapter", "lexicon import nope {d}/lex.tsv --tgt sw -o {d}/new.sqlite",
        "nope", absent=("new.sqlite",)),
    bad("import-missing-input", "lexicon import tsv {d}/missing.tsv --tgt sw -o {d}/new.sqlite",
        "{d}/missing.tsv", absent=("new.sqlite",)),
    bad("import-no-input", "lexicon import tsv --tgt sw -o {d}/new.sqlite", "tsv",
        absent=("new.sqlite",)),
    bad("import-one-column-strict",
        "lexicon import tsv {d}/x.tsv --tgt sw -o {d}/new.sqlite --strict", "{d}/x.tsv:2:",
        files={"x.tsv": "wake\tamka\nlonely\n"}, absent=("new.sqlite",)),
    bad("import-five-columns-strict",
        "lexicon import tsv {d}/x.tsv --tgt sw -o {d}/new.sqlite --strict", "{d}/x.tsv:2:",
        files={"x.tsv": "wake\tamka\na\tb\tc\td\te\n"}, absent=("new.sqlite",)),
    bad("import-empty-target-strict",
        "lexicon import tsv {d}/x.tsv --tgt sw -o {d}/new.sqlite --strict", "{d}/x.tsv:2:",
        files={"x.tsv": "wake\tamka\nplay\t\n"}, absent=("new.sqlite",)),
    bad("import-not-utf8", "lexicon import tsv {d}/x.tsv --tgt sw -o {d}/new.sqlite --strict",
        "{d}/x.tsv:2:", files={"x.tsv": b"wake\tamka\nplay\tch\xe9za\n"}, absent=("new.sqlite",)),
    bad("import-option-without-value",
        "lexicon import tsv {d}/lex.tsv --tgt sw -o {d}/new.sqlite -O header",
        "-O 'header': expected KEY=VALUE", absent=("new.sqlite",)),
    bad("import-unknown-option",
        "lexicon import tsv {d}/lex.tsv --tgt sw -o {d}/new.sqlite -O colour=red",
        "colour", absent=("new.sqlite",)),
    bad("import-bad-option-value",
        "lexicon import tsv {d}/lex.tsv --tgt sw -o {d}/new.sqlite -O header=maybe",
        "maybe", absent=("new.sqlite",)),
    bad("import-unknown-target-language",
        "lexicon import tsv {d}/lex.tsv --tgt qqq-not-a-lang -o {d}/new.sqlite",
        "qqq-not-a-lang", absent=("new.sqlite",)),
    bad("import-unknown-source-language",
        "lexicon import tsv {d}/lex.tsv --src zz-bogus-tag --tgt sw -o {d}/new.sqlite",
        "zz-bogus-tag", absent=("new.sqlite",)),
    bad("import-missing-tgt", "lexicon import tsv {d}/lex.tsv -o {d}/new.sqlite", "--tgt"),
    bad("import-output-under-a-file",
        "lexicon import tsv {d}/lex.tsv --tgt sw -o {d}/lex.tsv/new.sqlite",
        "cannot write here: {d}/lex.tsv is a file", unchanged=("lex.tsv",)),
    bad("import-panlex-empty-file",
        "lexicon import panlex {d}/x.sqlite --src eng --tgt swh -o {d}/new.sqlite",
        "{d}/x.sqlite", files={"x.sqlite": b""}, absent=("new.sqlite",)),
    bad("import-panlex-other-database",
        "lexicon import panlex {d}/lex.sqlite --src eng --tgt swh -o {d}/new.sqlite",
        "{d}/lex.sqlite", absent=("new.sqlite",), unchanged=("lex.sqlite",)),
    bad("import-kaikki-not-json",
        "lexicon import kaikki {d}/x.jsonl --tgt sw -o {d}/new.sqlite --strict", "{d}/x.jsonl:1:",
        files={"x.jsonl": "not json\n"}, absent=("new.sqlite",)),
    bad("import-muse-one-column",
        "lexicon import muse {d}/x.txt --tgt sw -o {d}/new.sqlite --strict", "{d}/x.txt:1:",
        files={"x.txt": "lonely\n"}, absent=("new.sqlite",)),
    bad("import-cldr-unknown-language",
        "lexicon import cldr --tgt qqq-not-a-lang -o {d}/new.sqlite", "qqq-not-a-lang",
        absent=("new.sqlite",)),
    bad("import-output-is-input",
        "lexicon import tsv {d}/lex.tsv --tgt sw -o {d}/lex.tsv --overwrite",
        "the output is also an input", unchanged=("lex.tsv",)),
    # --- lexi lexicon stats / lookup -----------------------------------------------------------
    bad("lexicon-stats-missing", "lexicon stats {d}/missing.sqlite", "{d}/missing.sqlite"),
    bad("lexicon-stats-empty-sqlite", "lexicon stats {d}/x.sqlite",
        "{d}/x.sqlite: no lexicon entries in this file",
        files={"x.sqlite": b""}),
    bad("lexicon-stats-garbage-sqlite", "lexicon stats {d}/x.sqlite",
        "{d}/x.sqlite: no lexicon entries in this file",
        files={"x.sqlite": b"garbage, not a database\n" * 50}),
    bad("lexicon-stats-empty-tsv", "lexicon stats {d}/x.tsv",
        "{d}/x.tsv: no lexicon entries in this file",
        files={"x.tsv": ""}),
    bad("lexicon-stats-one-column-tsv", "lexicon stats {d}/x.tsv",
        "{d}/x.tsv: no lexicon entries in this file",
        files={"x.tsv": "one\ntwo\n"}),
    bad("lexicon-stats-not-utf8-tsv", "lexicon stats {d}/x.tsv",
        "{d}/x.tsv: no lexicon entries in this file",
        files={"x.tsv": b"caf\xe9\tkahawa\n"}),
    bad("lexicon-stats-a-folder", "lexicon stats {d}/run", "{d}/run"),
    bad("lexicon-stats-foreign-sqlite", "lexicon stats {d}/other.sqlite",
        "{d}/other.sqlite: an SQLite file without lexi's entries/meta tables"),
    bad("lookup-missing-lexicon", "lexicon lookup {d}/missing.sqlite wake",
        "{d}/missing.sqlite"),
    bad("lookup-garbage-sqlite", "lexicon lookup {d}/x.sqlite wake",
        "{d}/x.sqlite: no lexicon entries in this file",
        files={"x.sqlite": b"\x00" * 2048}),
    bad("lookup-empty-tsv", "lexicon lookup {d}/x.tsv wake",
        "{d}/x.tsv: no lexicon entries in this file", files={"x.tsv": ""}),
    bad("lookup-foreign-sqlite", "lexicon lookup {d}/other.sqlite wake",
        "{d}/other.sqlite: an SQLite file without lexi's entries/meta tables"),
    bad("lookup-top-not-a-number", "lexicon lookup {d}/lex.tsv wake --top all",
        "Invalid value for '--top'"),
    bad("lookup-stdin-not-utf8", "lexicon lookup {d}/lex.tsv", "not valid UTF-8",
        stdin=b"caf\xe9\n"),
    # --- lexi lexicon coverage -----------------------------------------------------------------
    bad("coverage-missing-lexicon", "lexicon coverage {d}/missing.tsv {d}/en.jsonl",
        "{d}/missing.tsv"),
    bad("coverage-missing-dataset", "lexicon coverage {d}/lex.tsv {d}/missing.jsonl",
        "{d}/missing.jsonl"),
    bad("coverage-malformed-dataset", "lexicon coverage {d}/lex.tsv {d}/x.jsonl",
        "{d}/x.jsonl:1: malformed JSON", files={"x.jsonl": "{\n"}),
    bad("coverage-empty-dataset", "lexicon coverage {d}/lex.tsv {d}/x.jsonl",
        "{d}/x.jsonl: 0 rows selected",
        files={"x.jsonl": ""}),
    bad("coverage-split-typo", "lexicon coverage {d}/lex.tsv {d}/en.jsonl --split tarin",
        "0 rows selected: no row has split 'tarin'"),
    bad("coverage-unknown-format", "lexicon coverage {d}/lex.tsv {d}/en.jsonl -f xml", "xml"),
    bad("coverage-empty-lexicon", "lexicon coverage {d}/x.tsv {d}/en.jsonl",
        "{d}/x.tsv: no lexicon entries in this file",
        files={"x.tsv": ""}),
    bad("coverage-foreign-sqlite", "lexicon coverage {d}/other.sqlite {d}/en.jsonl",
        "{d}/other.sqlite: an SQLite file without lexi's entries/meta tables"),
    bad("coverage-output-under-a-file",
        "lexicon coverage {d}/lex.tsv {d}/en.jsonl -o {d}/en.jsonl/cov.json",
        "cannot write here: {d}/en.jsonl is a file", unchanged=("en.jsonl",)),
    bad("coverage-output-is-input",
        "lexicon coverage {d}/lex.tsv {d}/en.jsonl -o {d}/en.jsonl", "the output is also an input",
        unchanged=("en.jsonl",)),
    # --- lexi lexicon merge --------------------------------------------------------------------
    bad("merge-missing-input", "lexicon merge {d}/lex.sqlite {d}/missing.tsv -o {d}/m.sqlite",
        "{d}/missing.tsv", absent=("m.sqlite",)),
    bad("merge-garbage-sqlite", "lexicon merge {d}/lex.sqlite {d}/x.sqlite -o {d}/m.sqlite",
        "{d}/x.sqlite: no lexicon entries in this file", files={"x.sqlite": b"not sqlite\n"},
        absent=("m.sqlite",)),
    bad("merge-foreign-sqlite", "lexicon merge {d}/lex.sqlite {d}/other.sqlite -o {d}/m.sqlite",
        "{d}/other.sqlite: an SQLite file without lexi's entries/meta tables",
        absent=("m.sqlite",)),
    bad("merge-other-languages", "lexicon merge {d}/lex.sqlite {d}/fr.sqlite -o {d}/m.sqlite",
        "different language pairs", absent=("m.sqlite",)),
    bad("merge-no-output", "lexicon merge {d}/lex.sqlite", "--output"),
    # --- lexi lexicon sources / adapters -------------------------------------------------------
    bad("sources-missing-catalog", "lexicon sources --catalog {d}/missing.yml",
        "{d}/missing.yml"),
    bad("sources-malformed-catalog", "lexicon sources --catalog {d}/c.yml", "{d}/c.yml",
        files={"c.yml": "sources: [\n"}),
    bad("sources-catalog-a-list", "lexicon sources --catalog {d}/c.yml", "{d}/c.yml",
        files={"c.yml": "- a\n- b\n"}),
    bad("sources-catalog-source-without-url", "lexicon sources --catalog {d}/c.yml",
        "{d}/c.yml", files={"c.yml": "sources:\n  - id: x\n"}),
    bad("sources-unknown-language", "lexicon sources --lang qqq-not-a-lang",
        "unknown language 'qqq-not-a-lang'"),
    bad("adapters-unknown-option", "lexicon adapters --colour", "--colour"),
    # --- lexi fetch ----------------------------------------------------------------------------
    bad("fetch-unknown-source", "fetch nosuchsource --lang sw --offline", "nosuchsource"),
    bad("fetch-source-id-with-dots", "fetch ../../x --lang sw --offline", "../../x"),
    bad("fetch-lang-with-dots", "fetch wechsel --lang ../../x --offline", "../../x"),
    bad("fetch-unknown-language", "fetch wechsel --lang qqq-not-a-lang --offline",
        "qqq-not-a-lang"),
    bad("fetch-missing-lang", "fetch wechsel", "--lang"),
    bad("fetch-negative-retries", "fetch wechsel --lang sw --retries -1 --offline",
        "--retries must be 0 or more"),
    bad("fetch-offline-not-cached", "fetch wechsel --lang sw --offline", "offline"),
    bad("fetch-missing-catalog", "fetch wechsel --lang sw --catalog {d}/missing.yml",
        "{d}/missing.yml"),
    bad("fetch-catalog-filename-escapes", "fetch evil --lang sw --catalog {d}/c.yml --offline",
        "filename '../../../../x.tsv'",
        files={"c.yml": "sources:\n  evil:\n    name: Evil\n    licence: x\n"
                        "    adapter: tsv\n    homepage: https://example.org\n"
                        "    url: https://example.org/{lang}.tsv\n"
                        "    languages:\n      sw: {filename: ../../../../x.tsv}\n"}),
    bad("fetch-builtin-source", "fetch cldr --lang sw --offline", "cldr"),
    # --- lexi languages / doctor / demo-data ---------------------------------------------------
    bad("languages-unknown-language", "languages qqq-not-a-lang", "qqq-not-a-lang"),
    bad("languages-missing-data-root", "languages --data-root {d}/missing",
        "{d}/missing: --data-root: no such folder"),
    bad("languages-data-root-a-file", "languages --data-root {d}/en.jsonl",
        "{d}/en.jsonl: --data-root: no such folder"),
    bad("languages-unknown-has", "languages --has teleporter", "teleporter"),
    bad("doctor-unknown-option", "doctor --verbose", "--verbose"),
    bad("demo-data-under-a-file", "demo-data -o {d}/en.jsonl/demo",
        "cannot write here: {d}/en.jsonl is a file",
        unchanged=("en.jsonl",)),
    bad("demo-data-no-output", "demo-data", "--output"),
    # --- lexi synth ------------------------------------------------------------------------------
    bad("synth-missing-source", "synth -s {d}/missing.jsonl -l {d}/lex.tsv -o {d}/new.jsonl",
        "{d}/missing.jsonl", absent=("new.jsonl",)),
    bad("synth-missing-lexicon", "synth -s {d}/en.jsonl -l {d}/missing.tsv -o {d}/new.jsonl",
        "{d}/missing.tsv", absent=("new.jsonl",)),
    bad("synth-no-lexicon", "synth -s {d}/en.jsonl -o {d}/new.jsonl", "--lexicon"),
    bad("synth-unknown-op", "synth -s {d}/en.jsonl -l {d}/lex.tsv --ops teleport -o {d}/n.jsonl",
        "teleport", absent=("n.jsonl",)),
    bad("synth-word-order-unknown-class",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --word-order adj,noun -o {d}/n.jsonl",
        "unknown word-order class 'noun'", absent=("n.jsonl",)),
    bad("synth-inflect-without-morph",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --ops translate,inflect -o {d}/n.jsonl",
        "inflect", absent=("n.jsonl",)),
    bad("synth-per-utterance-zero",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv -n 0 -o {d}/n.jsonl",
        "per_utterance must be at least 1",
        absent=("n.jsonl",)),
    bad("synth-unknown-sense",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --sense best -o {d}/n.jsonl", "best",
        absent=("n.jsonl",)),
    bad("synth-unknown-unknown",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --unknown skip -o {d}/n.jsonl", "skip",
        absent=("n.jsonl",)),
    bad("synth-unknown-slot-mode",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --slot-mode guess -o {d}/n.jsonl", "guess",
        absent=("n.jsonl",)),
    bad("synth-localise-without-slot-lexicon",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --slot-mode localise -o {d}/n.jsonl",
        "slot-lexicon", absent=("n.jsonl",)),
    bad("synth-token-ratio-above-one",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --ops codeswitch --token-ratio 2 -o {d}/n.jsonl",
        "token_ratio must be between 0 and 1", absent=("n.jsonl",)),
    bad("synth-negative-sentence-ratio",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --ops codeswitch --sentence-ratio -1 -o {d}/n.jsonl",
        "sentence_ratio must be between 0 and 1", absent=("n.jsonl",)),
    bad("synth-unknown-phonetic-style",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --phonetic-style morse -o {d}/n.jsonl", "morse",
        absent=("n.jsonl",)),
    bad("synth-unknown-locale",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --locale qqq-not-a-lang -o {d}/n.jsonl",
        "unknown language 'qqq-not-a-lang'", absent=("n.jsonl",)),
    bad("synth-missing-unimorph",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --ops translate,inflect --morph swc "
        "--unimorph {d}/missing -o {d}/n.jsonl", "{d}/missing", absent=("n.jsonl",)),
    bad("synth-missing-morph-model",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --ops translate,inflect --morph swc "
        "--morph-model {d}/missing.json -o {d}/n.jsonl", "{d}/missing.json",
        absent=("n.jsonl",)),
    bad("synth-malformed-morph-model",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --ops translate,inflect --morph swc "
        "--morph-model {d}/m.json -o {d}/n.jsonl", "{d}/m.json",
        files={"m.json": "{not json"}, absent=("n.jsonl",)),
    bad("synth-morph-model-of-another-shape",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --ops translate,inflect --morph swc "
        "--morph-model {d}/m.json -o {d}/n.jsonl", "{d}/m.json",
        files={"m.json": "[1, 2, 3]"}, absent=("n.jsonl",)),
    bad("synth-unimorph-not-utf8",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --ops translate,inflect --morph swc "
        "--unimorph {d}/t -o {d}/n.jsonl", "{d}/t:1: not valid UTF-8",
        files={"t": b"s\xf6ma\tnasoma\tV;IND;PRS;1;SG\n"}, absent=("n.jsonl",)),
    bad("synth-json-to-stdout", "synth -s {d}/en.jsonl -l {d}/lex.tsv --json", "--json"),
    bad("synth-garbage-sqlite-lexicon",
        "synth -s {d}/en.jsonl -l {d}/x.sqlite -o {d}/n.jsonl",
        "{d}/x.sqlite: no lexicon entries in this file",
        files={"x.sqlite": b"not a database\n"}, absent=("n.jsonl",)),
    bad("synth-empty-tsv-lexicon",
        "synth -s {d}/en.jsonl -l {d}/x.tsv -o {d}/n.jsonl",
        "{d}/x.tsv: no lexicon entries in this file",
        files={"x.tsv": ""}, absent=("n.jsonl",)),
    bad("synth-foreign-sqlite-lexicon", "synth -s {d}/en.jsonl -l {d}/other.sqlite -o {d}/n.jsonl",
        "{d}/other.sqlite: an SQLite file without lexi's entries/meta tables",
        absent=("n.jsonl",)),
    bad("synth-empty-slot-lexicon",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --slot-lexicon {d}/x.tsv -o {d}/n.jsonl",
        "{d}/x.tsv: no lexicon entries in this file", files={"x.tsv": "\n"},
        absent=("n.jsonl",)),
    bad("synth-malformed-source", "synth -s {d}/x.jsonl -l {d}/lex.tsv -o {d}/n.jsonl",
        "{d}/x.jsonl:2: malformed JSON", files={"x.jsonl": jsonl_text(ROWS[0]) + "{\n"},
        absent=("n.jsonl",)),
    bad("synth-unknown-format", "synth -s {d}/en.jsonl -l {d}/lex.tsv -f xml -o {d}/n.jsonl",
        "xml", absent=("n.jsonl",)),
    bad("synth-unknown-morph-language",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv --ops translate,inflect --morph qqq-nope "
        "-o {d}/n.jsonl", "qqq-nope", absent=("n.jsonl",)),
    bad("synth-output-under-a-file",
        "synth -s {d}/en.jsonl -l {d}/lex.tsv -o {d}/lex.tsv/n.jsonl",
        "cannot write here: {d}/lex.tsv is a file", unchanged=("lex.tsv",)),
    # --- lexi train (all refused before a model is loaded) --------------------------------------
    bad("train-no-data", "train -o {d}/r", "no training data given", absent=("r",)),
    bad("train-no-output", "train --data {d}/en.jsonl", "no run directory given"),
    bad("train-missing-data", "train --data {d}/missing.jsonl -o {d}/r", "{d}/missing.jsonl",
        absent=("r",)),
    bad("train-empty-data", "train --data {d}/x.jsonl -o {d}/r", "no training rows in {d}/x.jsonl",
        files={"x.jsonl": ""}, absent=("r",)),
    bad("train-malformed-dev", "train --data {d}/en.jsonl --dev {d}/x.jsonl -o {d}/r",
        "{d}/x.jsonl:1: malformed JSON", files={"x.jsonl": "{\n"}, absent=("r",)),
    bad("train-malformed-data", "train --data {d}/x.jsonl -o {d}/r",
        "{d}/x.jsonl:2: malformed JSON", files={"x.jsonl": jsonl_text(ROWS[0]) + "{\n"},
        absent=("r",)),
    bad("train-not-utf8-data", "train --data {d}/x.jsonl -o {d}/r", "{d}/x.jsonl:1:",
        files={"x.jsonl": NOT_UTF8}, absent=("r",)),
    bad("train-split-typo", "train --data {d}/en.jsonl --split tarin -o {d}/r", "'tarin'",
        absent=("r",)),
    bad("train-one-label", "train --data {d}/x.jsonl -o {d}/r", "single label",
        files={"x.jsonl": jsonl_text(ROWS[0], {**ROWS[0], "id": "9"})}, absent=("r",)),
    bad("train-dev-split-typo",
        "train --data {d}/en.jsonl --dev {d}/en.jsonl --dev-split dve -o {d}/r", "no dev rows",
        absent=("r",)),
    bad("train-dev-unseen-label", "train --data {d}/en.jsonl --dev {d}/x.jsonl -o {d}/r",
        "never seen in training",
        files={"x.jsonl": jsonl_text({**ROWS[2], "intent": "weather_query"})}, absent=("r",)),
    bad("train-missing-dev", "train --data {d}/en.jsonl --dev {d}/missing.jsonl -o {d}/r",
        "{d}/missing.jsonl", absent=("r",)),
    bad("train-rows-without-label", "train --data {d}/x.jsonl -o {d}/r", "has no label",
        files={"x.jsonl": jsonl_text({"id": 1, "text": "hi"}, {"id": 2, "text": "yo"})},
        absent=("r",)),
    bad("train-unknown-label-field", "train --data {d}/rows.jsonl --label-field tag -o {d}/r",
        "tag", absent=("r",)),
    bad("train-slots-without-markup",
        "train --data {d}/rows.jsonl --split all --task intent+slots -o {d}/r", "slot markup",
        absent=("r",)),
    bad("train-slots-none-marked", "train --data {d}/x.jsonl --task intent+slots -o {d}/r",
        "mark no slot",
        files={"x.jsonl": jsonl_text(ROWS[1], {**ROWS[0], "annot_utt": ROWS[0]["utt"]})},
        absent=("r",)),
    bad("train-consistency-without-views",
        "train --data {d}/en.jsonl --consistency 1 -o {d}/r",
        "{d}/en.jsonl: --consistency needs synthetic rows", absent=("r",)),
    bad("train-epochs-zero", "train --data {d}/en.jsonl --epochs 0 -o {d}/r",
        "--epochs must be at least 1", absent=("r",)),
    bad("train-batch-size-zero", "train --data {d}/en.jsonl --batch-size 0 -o {d}/r",
        "--batch-size must be at least 1", absent=("r",)),
    bad("train-grad-accum-zero", "train --data {d}/en.jsonl --grad-accum 0 -o {d}/r",
        "--grad-accum must be at least 1", absent=("r",)),
    bad("train-max-length-zero", "train --data {d}/en.jsonl --max-length 0 -o {d}/r",
        "--max-length must be at least 1", absent=("r",)),
    bad("train-lora-r-zero", "train --data {d}/en.jsonl --lora-r 0 -o {d}/r",
        "--lora-r must be at least 1", absent=("r",)),
    bad("train-negative-lr", "train --data {d}/en.jsonl --lr -1 -o {d}/r", "--lr",
        absent=("r",)),
    bad("train-zero-lr", "train --data {d}/en.jsonl --lr 0 -o {d}/r", "--lr", absent=("r",)),
    bad("train-lora-dropout-above-one", "train --data {d}/en.jsonl --lora-dropout 1.5 -o {d}/r",
        "--lora-dropout", absent=("r",)),
    bad("train-warmup-ratio-above-one", "train --data {d}/en.jsonl --warmup-ratio 2 -o {d}/r",
        "--warmup-ratio", absent=("r",)),
    bad("train-max-steps-zero", "train --data {d}/en.jsonl --max-steps 0 -o {d}/r",
        "--max-steps", absent=("r",)),
    bad("train-negative-patience", "train --data {d}/en.jsonl --patience -1 -o {d}/r",
        "--patience", absent=("r",)),
    bad("train-negative-threads", "train --data {d}/en.jsonl --threads -2 -o {d}/r",
        "--threads", absent=("r",)),
    bad("train-unknown-method", "train --data {d}/en.jsonl --method half -o {d}/r",
        "unknown method 'half'", absent=("r",)),
    bad("train-unknown-task", "train --data {d}/en.jsonl --task slots -o {d}/r",
        "unknown task 'slots'", absent=("r",)),
    bad("train-unknown-device", "train --data {d}/en.jsonl --device tpu -o {d}/r",
        "unknown device 'tpu'", absent=("r",)),
    bad("train-unknown-on-divergence",
        "train --data {d}/en.jsonl --on-divergence panic -o {d}/r", "panic", absent=("r",)),
    bad("train-teacher-weight-above-one",
        "train --data {d}/en.jsonl --teacher-weight 2 -o {d}/r", "--teacher-weight",
        absent=("r",)),
    bad("train-zero-temperature", "train --data {d}/en.jsonl --temperature 0 -o {d}/r",
        "--temperature", absent=("r",)),
    bad("train-negative-consistency", "train --data {d}/en.jsonl --consistency -1 -o {d}/r",
        "--consistency", absent=("r",)),
    bad("train-zero-max-grad-norm", "train --data {d}/en.jsonl --max-grad-norm 0 -o {d}/r",
        "--max-grad-norm", absent=("r",)),
    bad("train-negative-slot-weight", "train --data {d}/en.jsonl --slot-weight -1 -o {d}/r",
        "--slot-weight", absent=("r",)),
    bad("train-epochs-not-a-number", "train --data {d}/en.jsonl --epochs three -o {d}/r",
        "Invalid value for '--epochs'", absent=("r",)),
    bad("train-missing-config", "train --config {d}/missing.yml --data {d}/en.jsonl -o {d}/r",
        "{d}/missing.yml", absent=("r",)),
    bad("train-malformed-config", "train --config {d}/c.yml --data {d}/en.jsonl -o {d}/r",
        "{d}/c.yml:3: not valid YAML", files={"c.yml": "lr: 0.1\nepochs: [\n"}, absent=("r",)),
    bad("train-config-a-list", "train --config {d}/c.yml --data {d}/en.jsonl -o {d}/r",
        "{d}/c.yml: a config file holds a mapping", files={"c.yml": "- 1\n"}, absent=("r",)),
    bad("train-config-unknown-option", "train --config {d}/c.yml --data {d}/en.jsonl -o {d}/r",
        "{d}/c.yml: unknown option(s) speed", files={"c.yml": "speed: 3\n"}, absent=("r",)),
    bad("train-config-epochs-a-string", "train --config {d}/c.yml --data {d}/en.jsonl -o {d}/r",
        "{d}/c.yml: 'epochs'", files={"c.yml": "epochs: three\n"}, absent=("r",)),
    bad("train-config-lr-a-word", "train --config {d}/c.yml --data {d}/en.jsonl -o {d}/r",
        "{d}/c.yml: 'lr'", files={"c.yml": "lr: fast\n"}, absent=("r",)),
    bad("train-config-data-a-number", "train --config {d}/c.yml -o {d}/r",
        "{d}/c.yml: 'data'", files={"c.yml": "data: 3\n"}, absent=("r",)),
    bad("train-config-bool-as-epochs", "train --config {d}/c.yml --data {d}/en.jsonl -o {d}/r",
        "{d}/c.yml: 'epochs'", files={"c.yml": "epochs: true\n"}, absent=("r",)),
    bad("train-config-target-modules-a-number",
        "train --config {d}/c.yml --data {d}/en.jsonl -o {d}/r",
        "{d}/c.yml: 'target_modules' must be a list of strings",
        files={"c.yml": "target_modules: 3\n"}, absent=("r",)),
    bad("train-config-dev-a-list", "train --config {d}/c.yml --data {d}/en.jsonl -o {d}/r",
        "{d}/c.yml: 'dev' must be a string or null", files={"c.yml": "dev: [a, b]\n"},
        absent=("r",)),
    bad("train-config-bad-value", "train --config {d}/c.yml --data {d}/en.jsonl -o {d}/r",
        "--epochs must be at least 1", files={"c.yml": "epochs: 0\n"}, absent=("r",)),
    bad("train-config-not-utf8", "train --config {d}/c.yml --data {d}/en.jsonl -o {d}/r",
        "{d}/c.yml:1: not valid UTF-8", files={"c.yml": b"lr: 0.1 # caf\xe9\n"}, absent=("r",)),
    bad("train-existing-run", "train --data {d}/en.jsonl -o {d}/run", "{d}/run: the run "
        "directory exists and is not empty", unchanged=("run/run.json",)),
    bad("train-resume-without-checkpoint", "train --data {d}/en.jsonl -o {d}/r --resume",
        "no checkpoint to resume from", absent=("r",)),
    bad("train-output-a-file", "train --data {d}/en.jsonl -o {d}/out.jsonl",
        "{d}/out.jsonl: is a file; the run directory must be a folder",
        unchanged=("out.jsonl",)),
    bad("train-resume-before-the-first-checkpoint",
        "train --data {d}/en.jsonl -o {d}/r --resume",
        "{d}/r: no checkpoint to resume from (start the run again: drop --resume and pass "
        "--overwrite)", files={"r/checkpoint/.best.k1ll3d/x": "x"}),
    bad("train-resume-a-complete-run", "train --data {d}/en.jsonl -o {d}/run --resume",
        "already complete", unchanged=("run/run.json",)),
    bad("train-missing-synth-spec", "train --data {d}/en.jsonl --synth {d}/missing.yml -o {d}/r",
        "{d}/missing.yml", absent=("r",)),
    bad("train-synth-spec-without-lexicon",
        "train --data {d}/en.jsonl --synth {d}/s.yml -o {d}/r", "{d}/s.yml",
        files={"s.yml": "ops: [translate]\n"}, absent=("r",)),
    bad("train-synth-spec-unknown-op",
        "train --data {d}/en.jsonl --synth {d}/s.yml -o {d}/r", "teleport",
        files={"s.yml": "lexicon: lex.tsv\nops: [teleport]\n"}, absent=("r",)),
    # A binary --synth file (an image, a pickle given by mistake): one line naming the file
    # and what --synth takes, exit code 2, not a UnicodeDecodeError or a YAML reader dump.
    bad("train-synth-spec-binary", "train --data {d}/en.jsonl --synth {d}/s.yml -o {d}/r",
        "error: {d}/s.yml:1: not a synthesis spec: not valid UTF-8: byte 0x89 at byte offset "
        "0 (--synth takes a YAML or JSON text file (UTF-8) of lexi synth's options)",
        files={"s.yml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"}, absent=("r",)),
    bad("train-synth-spec-utf8-but-binary",
        "train --data {d}/en.jsonl --synth {d}/s.yml -o {d}/r",
        "error: {d}/s.yml: not a synthesis spec: control character U+0000 at character offset "
        "9 (--synth takes a YAML or JSON text file (UTF-8) of lexi synth's options)",
        files={"s.yml": b"lexicon: \x00\x01\x02 binary\n"}, absent=("r",)),
    bad("train-missing-teacher", "train --data {d}/en.jsonl --teacher {d}/missing -o {d}/r",
        "{d}/missing: the teacher run is not found", absent=("r",)),
    # --- lexi predict ----------------------------------------------------------------------------
    bad("predict-missing-run", "predict --run {d}/missing hello", "{d}/missing"),
    bad("predict-run-without-run-json", "predict --run {d}/empty hello", "{d}/empty",
        files={"empty/notes.txt": "x"}),
    bad("predict-run-json-malformed", "predict --run {d}/run hello", "{d}/run/run.json",
        files={"run/run.json": "{not json"}),
    bad("predict-run-json-not-utf8", "predict --run {d}/run hello", "{d}/run/run.json",
        files={"run/run.json": b'{"model": "caf\xe9"}'}),
    bad("predict-failed-run", "predict --run {d}/run hello", "this run failed",
        files={"run/run.json": json.dumps({"format": "lexi-run/1", "status": "failed",
                                           "failure": {"reason": "loss exploded"}})}),
    bad("predict-unfinished-run", "predict --run {d}/r hello", "not finished",
        files={"r/checkpoint/last.pt": b"x"}),
    bad("predict-nothing-to-classify", "predict --run {d}/run", "nothing to classify"),
    bad("predict-missing-input", "predict --run {d}/run --input {d}/missing.jsonl",
        "{d}/missing.jsonl"),
    bad("predict-malformed-input", "predict --run {d}/run --input {d}/x.jsonl",
        "{d}/x.jsonl:1: malformed JSON", files={"x.jsonl": "{\n"}),
    bad("predict-empty-input", "predict --run {d}/run --input {d}/x.jsonl",
        "{d}/x.jsonl: 0 rows selected",
        files={"x.jsonl": ""}),
    bad("predict-stdin-not-utf8", "predict --run {d}/run --input -", "not valid UTF-8",
        stdin=NOT_UTF8),
    bad("predict-export-json-malformed", "predict --run {d}/e hello", "{d}/e/lexi.json",
        files={"e/lexi.json": "[1"}),
    bad("predict-top-k-zero", "predict --run {d}/run --top-k 0 hello",
        "--top-k must be at least 1"),
    bad("predict-batch-size-zero", "predict --run {d}/run --batch-size 0 hello",
        "--batch-size must be at least 1"),
    bad("predict-run-without-adapter", "predict --run {d}/run hello",
        "{d}/run/adapter/adapter_model.safetensors: the LoRA adapter is missing"),
    bad("predict-no-run", "predict hello", "--run"),
    # --- lexi average ----------------------------------------------------------------------------
    bad("average-one-run", "average -r {d}/run -o {d}/x", "at least two runs", absent=("x",)),
    bad("average-missing-run", "average -r {d}/run -r {d}/missing -o {d}/x", "{d}/missing",
        absent=("x",)),
    bad("average-bad-weights", "average -r {d}/run -r {d}/run --weights a,b -o {d}/x",
        "expected numbers", absent=("x",)),
    bad("average-weights-count", "average -r {d}/run -r {d}/run --weights 1 -o {d}/x",
        "1 numbers for 2 runs", absent=("x",)),
    bad("average-into-a-run", "average -r {d}/run -r {d}/run -o {d}/run --overwrite",
        "overlaps", unchanged=("run/run.json",)),
    bad("average-failed-run", "average -r {d}/run -r {d}/f -o {d}/x", "did not finish",
        files={"f/run.json": json.dumps({"format": "lexi-run/1", "status": "failed",
                                         "model": RUN_MODEL})}, absent=("x",)),
    bad("average-without-adapter", "average -r {d}/run -r {d}/run -o {d}/x",
        "{d}/run/adapter/adapter_config.json: the LoRA adapter's configuration is missing",
        absent=("x",)),
    # --- lexi export -----------------------------------------------------------------------------
    bad("export-missing-run", "export --run {d}/missing -o {d}/x", "{d}/missing",
        absent=("x",)),
    bad("export-unfinished-run", "export --run {d}/r -o {d}/x", "{d}/r",
        files={"r/checkpoint/last.pt": b"x"}, absent=("x",)),
    bad("export-failed-run", "export --run {d}/run -o {d}/x", "{d}/run/run.json",
        files={"run/run.json": json.dumps({"format": "lexi-run/1", "status": "failed"})},
        absent=("x",)),
    bad("export-run-json-a-list", "export --run {d}/run -o {d}/x", "{d}/run/run.json",
        files={"run/run.json": "[]"}, absent=("x",)),
    bad("export-existing-output", "export --run {d}/run -o {d}/o", "{d}/o",
        files={"o/keep.txt": "KEEP"}, unchanged=("o/keep.txt",)),
    bad("export-onto-the-run", "export --run {d}/run -o {d}/run --overwrite", "{d}/run",
        unchanged=("run/run.json", "run/head.safetensors")),
    bad("export-output-a-file", "export --run {d}/run -o {d}/en.jsonl --overwrite",
        "{d}/en.jsonl", unchanged=("en.jsonl",)),
    bad("export-run-without-adapter", "export --run {d}/run -o {d}/x",
        "{d}/run/adapter", absent=("x",)),
    # --- lexi eval -------------------------------------------------------------------------------
    bad("eval-nothing", "eval", "no runs to evaluate"),
    bad("eval-run-without-data", "eval --run {d}/run", "--data is required"),
    bad("eval-run-and-predictions", "eval --run {d}/run -p {d}/preds.jsonl",
        "either --run or --predictions"),
    bad("eval-missing-run", "eval --run {d}/missing --data {d}/en.jsonl", "{d}/missing"),
    bad("eval-missing-data", "eval --run {d}/run --data {d}/missing.jsonl",
        "{d}/missing.jsonl"),
    bad("eval-split-typo", "eval --run {d}/run --data {d}/en.jsonl --split tset", "'tset'"),
    bad("eval-malformed-data", "eval --run {d}/run --data {d}/x.jsonl",
        "{d}/x.jsonl:1: malformed JSON", files={"x.jsonl": "{\n"}),
    bad("eval-unknown-format", "eval --run {d}/run --data {d}/en.jsonl -f xml", "xml"),
    bad("eval-run-without-adapter", "eval --run {d}/run --data {d}/en.jsonl",
        "{d}/run/adapter/adapter_model.safetensors: the LoRA adapter is missing"),
    bad("eval-run-json-damaged", "eval --run {d}/run --data {d}/en.jsonl",
        "{d}/run/run.json:1: malformed JSON", files={"run/run.json": "{"}),
    bad("eval-output-a-file", "eval -p {d}/preds.jsonl -o {d}/en.jsonl",
        "{d}/en.jsonl: report path exists and is not a directory", unchanged=("en.jsonl",)),
    bad("eval-output-not-empty", "eval -p {d}/preds.jsonl -o {d}/o",
        "{d}/o: report directory is not empty", files={"o/keep.txt": "KEEP"},
        unchanged=("o/keep.txt",)),
    bad("eval-missing-predictions", "eval -p {d}/missing.jsonl",
        "{d}/missing.jsonl: predictions file not found"),
    bad("eval-empty-predictions", "eval -p {d}/x.jsonl", "{d}/x.jsonl: empty predictions file",
        files={"x.jsonl": ""}),
    bad("eval-predictions-without-header", "eval -p {d}/x.jsonl", "{d}/x.jsonl:1:",
        files={"x.jsonl": jsonl_text({"id": "1", "text": "x", "gold": "a", "pred": "a",
                                 "prob": 0.9})}),
    bad("eval-predictions-malformed", "eval -p {d}/x.jsonl", "{d}/x.jsonl:2: malformed JSON",
        files={"x.jsonl": jsonl_text({"header": {"run": "r", "labels": ["a"]}}) + "{\n"}),
    bad("eval-predictions-row-missing-field", "eval -p {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": jsonl_text({"header": {"run": "r", "labels": ["a"]}},
                                {"id": "1", "text": "x", "gold": "a"})}),
    bad("eval-predictions-row-a-list", "eval -p {d}/x.jsonl",
        "{d}/x.jsonl:2: expected a JSON object",
        files={"x.jsonl": jsonl_text({"header": {"run": "r", "labels": ["a"]}}) + "[1, 2]\n"}),
    bad("eval-predictions-prob-a-word", "eval -p {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": jsonl_text({"header": {"run": "r", "labels": ["a"]}},
                                {"id": "1", "text": "x", "gold": "a", "pred": "a",
                                 "prob": "high"})}),
    bad("eval-predictions-labels-not-a-list", "eval -p {d}/x.jsonl",
        "{d}/x.jsonl:1: the header's 'labels' must be a list of strings",
        files={"x.jsonl": jsonl_text({"header": {"run": "r", "labels": 3}})}),
    bad("eval-predictions-gold-a-number", "eval -p {d}/x.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": jsonl_text({"header": {"run": "r", "labels": ["a"]}},
                                {"id": "1", "text": "x", "gold": 1, "pred": "a",
                                 "prob": 0.9})}),
    bad("eval-predictions-not-utf8", "eval -p {d}/x.jsonl", "{d}/x.jsonl:2: not valid UTF-8",
        files={"x.jsonl": jsonl_text({"header": {"run": "r", "labels": ["a"]}}).encode()
               + b'{"id": "1", "text": "caf\xe9"}\n'}),
    bad("eval-predictions-on-other-rows", "eval -p {d}/preds.jsonl -p {d}/preds2.jsonl",
        "were not scored on the same rows"),
    bad("eval-group-empty-name", ("eval", "-p", "=x"), "empty group name"),
    bad("eval-group-without-members", ("eval", "-p", "g="), "no runs in 'g='"),
    bad("eval-group-repeated-member", ("eval", "-p", "g={d}/preds.jsonl,{d}/preds.jsonl"),
        "is listed twice"),
    bad("eval-group-glob-matches-nothing", ("eval", "-p", "g={d}/nothing*.jsonl"),
        "no run matches"),
    bad("eval-two-groups-one-name",
        ("eval", "-p", "g={d}/preds.jsonl", "-p", "g={d}/preds.jsonl"), "two groups are named"),
    bad("eval-resamples-negative", "eval -p {d}/preds.jsonl --resamples -1",
        "--resamples must be 0 or more"),
    # --- lexi selftrain --------------------------------------------------------------------------
    bad("selftrain-missing-pool", "selftrain {d}/missing.txt --run {d}/run -o {d}/p.jsonl",
        "{d}/missing.txt", absent=("p.jsonl",)),
    bad("selftrain-empty-pool", "selftrain {d}/x.txt --run {d}/run -o {d}/p.jsonl",
        "the pool has no utterances", files={"x.txt": "\n\n"}, absent=("p.jsonl",)),
    bad("selftrain-pool-not-utf8", "selftrain {d}/x.txt --run {d}/run -o {d}/p.jsonl",
        "{d}/x.txt:2: not valid UTF-8", files={"x.txt": b"habari\ncaf\xe9\n"}, absent=("p.jsonl",)),
    bad("selftrain-malformed-dataset-pool",
        "selftrain {d}/x.jsonl --run {d}/run -o {d}/p.jsonl", "{d}/x.jsonl:2:",
        files={"x.jsonl": jsonl_text(ROWS[0]) + "{\n"}, absent=("p.jsonl",)),
    bad("selftrain-missing-run", "selftrain {d}/en.jsonl --run {d}/missing -o {d}/p.jsonl",
        "{d}/missing", absent=("p.jsonl",)),
    bad("selftrain-missing-agree-run",
        "selftrain {d}/en.jsonl --run {d}/run --agree {d}/missing -o {d}/p.jsonl",
        "{d}/missing", absent=("p.jsonl",)),
    bad("selftrain-threshold-zero",
        "selftrain {d}/en.jsonl --run {d}/run --threshold 0 -o {d}/p.jsonl", "--threshold",
        absent=("p.jsonl",)),
    bad("selftrain-threshold-above-one",
        "selftrain {d}/en.jsonl --run {d}/run --threshold 1.5 -o {d}/p.jsonl", "--threshold",
        absent=("p.jsonl",)),
    bad("selftrain-top-share-zero",
        "selftrain {d}/en.jsonl --run {d}/run --top-share 0 -o {d}/p.jsonl", "--top-share",
        absent=("p.jsonl",)),
    bad("selftrain-max-per-label-zero",
        "selftrain {d}/en.jsonl --run {d}/run --max-per-label 0 -o {d}/p.jsonl",
        "--max-per-label", absent=("p.jsonl",)),
    bad("selftrain-round-zero",
        "selftrain {d}/en.jsonl --run {d}/run --round 0 -o {d}/p.jsonl", "--round",
        absent=("p.jsonl",)),
    bad("selftrain-unknown-format",
        "selftrain {d}/en.jsonl --run {d}/run -f xml -o {d}/p.jsonl", "xml",
        absent=("p.jsonl",)),
    bad("selftrain-output-not-jsonl", "selftrain {d}/en.jsonl --run {d}/run -o {d}/p.txt",
        ".jsonl", absent=("p.txt",)),
    bad("selftrain-output-is-pool",
        "selftrain {d}/en.jsonl --run {d}/run -o {d}/en.jsonl --overwrite",
        "the output is the pool file", unchanged=("en.jsonl",)),
    bad("selftrain-existing-output", "selftrain {d}/en.jsonl --run {d}/run -o {d}/out.jsonl",
        "{d}/out.jsonl: the output exists", unchanged=("out.jsonl",)),
    bad("selftrain-split-on-a-text-pool",
        "selftrain {d}/x.txt --run {d}/run --split train -o {d}/p.jsonl", "text pool",
        files={"x.txt": "habari\n"}, absent=("p.jsonl",)),
    bad("selftrain-run-without-adapter", "selftrain {d}/en.jsonl --run {d}/run -o {d}/p.jsonl",
        "{d}/run/adapter/adapter_model.safetensors: the LoRA adapter is missing",
        absent=("p.jsonl",)),
    # --- lexi morph ------------------------------------------------------------------------------
    bad("inflect-missing-table", "morph inflect swc soma V;IND;PRS;1;SG -t {d}/missing",
        "{d}/missing"),
    bad("inflect-empty-table", "morph inflect swc soma V;IND;PRS;1;SG -t {d}/t",
        "{d}/t: the UniMorph table has no rows",
        files={"t": ""}),
    bad("inflect-two-column-line", "morph inflect swc soma V;IND;PRS;1;SG -t {d}/t",
        "{d}/t:3: expected lemma<TAB>form<TAB>features",
        files={"t": UNIMORPH_TABLE + "soma\tnasoma\n"}),
    bad("inflect-empty-features", ("morph", "inflect", "swc", "soma", "", "-t", "{d}/swc.tsv"),
        "empty feature bundle"),
    bad("inflect-bad-table-features", "morph inflect swc soma V;IND;PRS;1;SG -t {d}/t",
        "{d}/t:1:", files={"t": "soma\tnasoma\t\n"}),
    bad("inflect-missing-model", "morph inflect swc soma V;IND;PRS;1;SG -m {d}/missing.json",
        "{d}/missing.json"),
    bad("inflect-malformed-model", "morph inflect swc soma V;IND;PRS;1;SG -m {d}/m.json",
        "{d}/m.json", files={"m.json": "{not json"}),
    bad("inflect-model-of-another-shape", "morph inflect swc soma V;IND;PRS;1;SG -m {d}/m.json",
        "{d}/m.json", files={"m.json": '{"rules": 3}'}),
    bad("analyze-missing-table", "morph analyze swc nasoma -t {d}/missing", "{d}/missing"),
    bad("analyze-table-not-utf8", "morph analyze swc nasoma -t {d}/t", "{d}/t:1: not valid",
        files={"t": b"s\xf6ma\tnasoma\tV;IND;PRS;1;SG\n"}),
    bad("analyze-empty-table", "morph analyze swc nasoma -t {d}/t",
        "{d}/t: the UniMorph table has no rows", files={"t": "# only a comment\n"}),
    bad("learn-missing-table", "morph learn swc {d}/missing -o {d}/m.json", "{d}/missing",
        absent=("m.json",)),
    bad("learn-empty-table", "morph learn swc {d}/t -o {d}/m.json",
        "{d}/t: the UniMorph table has no rows",
        files={"t": ""}, absent=("m.json",)),
    bad("learn-output-under-a-file", "morph learn swc {d}/swc.tsv -o {d}/en.jsonl/m.json",
        "cannot write here: {d}/en.jsonl is a file", unchanged=("en.jsonl",)),
    bad("learn-negative-context", "morph learn swc {d}/swc.tsv -o {d}/m.json --max-context -1",
        "--max-context must be 0 or more", absent=("m.json",)),
    bad("learn-output-is-table", "morph learn swc {d}/swc.tsv -o {d}/swc.tsv",
        "the output is also an input",
        unchanged=("swc.tsv",)),
    bad("morph-eval-nothing", "morph eval", "give the folder"),
    bad("morph-eval-missing-folder", "morph eval {d}/missing", "{d}/missing"),
    bad("morph-eval-train-without-test", "morph eval --train {d}/swc.tsv", "--test"),
    bad("morph-eval-missing-test", "morph eval --train {d}/swc.tsv --test {d}/missing",
        "{d}/missing: no such file"),
    bad("morph-eval-empty-test", "morph eval --train {d}/swc.tsv --test {d}/t",
        "{d}/t: no lemma<TAB>form<TAB>features rows",
        files={"t": ""}),
    bad("morph-eval-unknown-setting", "morph eval {d} --setting huge", "huge"),
    bad("morph-eval-unknown-split", "morph eval {d} --split val", "unknown split 'val'"),
    bad("morph-stats-missing", "morph stats {d}/missing", "{d}/missing"),
    bad("morph-stats-empty-table", "morph stats {d}/t", "{d}/t: the UniMorph table has no rows",
        files={"t": ""}),
    bad("morph-stats-bad-line", "morph stats {d}/t",
        "{d}/t:3: expected lemma<TAB>form<TAB>features",
        files={"t": UNIMORPH_TABLE + "just one column\n"}),
    bad("morph-stats-bad-features", "morph stats {d}/t", "{d}/t:2:",
        files={"t": "soma\tnasoma\tV;IND\nsoma\tunasoma\t;;\n"}),
    bad("morph-stats-empty-folder", "morph stats {d}/f", "{d}/f", files={"f/README": "x"}),
    # --- lexi recipe -----------------------------------------------------------------------------
    bad("recipe-missing-file", "recipe run {d}/missing.yml", "{d}/missing.yml"),
    bad("recipe-unknown-builtin", "recipe run nosuchrecipe", "nosuchrecipe"),
    bad("recipe-malformed-yaml", "recipe run {d}/r.yml", "{d}/r.yml:3: not valid YAML",
        files={"r.yml": "steps:\n  - [\n"}),
    bad("recipe-a-list", "recipe run {d}/r.yml", "{d}/r.yml: expected a mapping",
        files={"r.yml": "- a\n"}),
    bad("recipe-no-steps", "recipe run {d}/r.yml", "{d}/r.yml", files={"r.yml": "title: x\n"}),
    bad("recipe-step-without-run", "recipe run {d}/r.yml", "step 1 needs at least name: and run:",
        files={"r.yml": "steps:\n  - name: a\n"}),
    bad("recipe-bad-step-name", "recipe run {d}/r.yml", "bad step name",
        files={"r.yml": "steps:\n  - name: 'a b'\n    run: lexi --version\n"}),
    bad("recipe-two-steps-one-name", "recipe run {d}/r.yml", "two steps are named 'a'",
        files={"r.yml": "steps:\n  - {name: a, run: lexi --version}\n"
                        "  - {name: a, run: lexi --version}\n"}),
    bad("recipe-undefined-variable", "recipe run {d}/r.yml -n", "undefined variable ${nope}",
        files={"r.yml": "steps:\n  - {name: a, run: 'lexi ${nope}'}\n"}),
    bad("recipe-variable-cycle", "recipe run {d}/r.yml -n", "in a cycle",
        files={"r.yml": "vars: {a: '${b}', b: '${a}'}\nsteps:\n  - {name: s, run: 'x ${a}'}\n"}),
    bad("recipe-unknown-var", "recipe run {d}/r.yml -n --var nope=1",
        "--var nope: the recipe has no such variable",
        files={"r.yml": "steps:\n  - {name: a, run: lexi --version}\n"}),
    bad("recipe-var-without-value", "recipe run {d}/r.yml -n --var lang",
        "expected NAME=VALUE", files={"r.yml": "steps:\n  - {name: a, run: lexi --version}\n"}),
    bad("recipe-until-unknown-step", "recipe run {d}/r.yml -n --until nope", "no step 'nope'",
        files={"r.yml": "steps:\n  - {name: a, run: lexi --version}\n"}),
    bad("recipe-force-unknown-step", "recipe run {d}/r.yml -n --force nope", "nope",
        files={"r.yml": "steps:\n  - {name: a, run: lexi --version}\n"}),
    bad("recipe-step-unknown-field", "recipe run {d}/r.yml -n", "unknown field(s) colour",
        files={"r.yml": "steps:\n  - {name: a, run: lexi --version, colour: red}\n"}),
    bad("recipe-unbalanced-quote", "recipe run {d}/r.yml -n", "cannot split the command line",
        files={"r.yml": "steps:\n  - {name: a, run: \"lexi 'oops\"}\n"}),
    bad("recipe-inputs-not-a-list", "recipe run {d}/r.yml -n", "must be a list of paths",
        files={"r.yml": "steps:\n  - {name: a, run: lexi --version, inputs: 3}\n"}),
    bad("recipe-not-utf8", "recipe run {d}/r.yml -n", "{d}/r.yml:1: not valid UTF-8",
        files={"r.yml": b"title: caf\xe9\nsteps:\n  - {name: a, run: x}\n"}),
    bad("recipe-show-malformed", "recipe show {d}/r.yml", "{d}/r.yml:3: not valid YAML",
        files={"r.yml": "steps:\n  - [\n"}),
    bad("recipe-show-missing", "recipe show {d}/missing.yml", "{d}/missing.yml"),
    # --- lexi bootstrap --------------------------------------------------------------------------
    bad("bootstrap-unknown-language", "bootstrap qqq-not-a-lang -n", "qqq-not-a-lang"),
    bad("bootstrap-unknown-task", "bootstrap sw --task translate -n", "unknown task 'translate'"),
    bad("bootstrap-missing-source-dry-run",
        "bootstrap sw --source {d}/missing.jsonl --target {d}/en.jsonl --lexicon {d}/lex.tsv "
        "--work {d}/w -n", "{d}/missing.jsonl"),
    bad("bootstrap-missing-lexicon",
        "bootstrap sw --source {d}/en.jsonl --target {d}/en.jsonl --lexicon {d}/missing.tsv "
        "--work {d}/w -n", "{d}/missing.tsv"),
    bad("bootstrap-missing-data-root", "bootstrap sw --data-root {d}/missing -n",
        "{d}/missing: --data-root: no such folder"),
    bad("bootstrap-var-without-value", "bootstrap demo --var lang -n", "expected NAME=VALUE"),
    # --- usage errors: click's own messages ------------------------------------------------------
    bad("unknown-command", "teleport", "No such command"),
    bad("unknown-data-command", "data inspect x", "No such command"),
    bad("unknown-option", "data stats {d}/en.jsonl --colour", "No such option"),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    write_inputs(folder)
    return folder


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_one_located_error(case: Bad, inputs, tmp_path, capsys, monkeypatch):
    d = tmp_path / "d"
    shutil.copytree(inputs, d)
    for name, content in case.files.items():
        path = d / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    monkeypatch.setenv("LEXI_HOME", str(tmp_path / "lexi-home"))
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    monkeypatch.delenv("LEXI_DATA_ROOT", raising=False)
    if case.stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(case.stdin),
                                                           encoding="utf-8"))
    before = file_bytes(d, case.unchanged)
    run = run_lexi(case.args, d, capsys)
    err = " ".join(run.err.split())
    assert run.code == case.code, err
    assert "Traceback" not in run.err
    assert case.error.replace("{d}", str(d)) in err, err
    if not err.startswith("Usage:"):  # click's usage errors draw a box of their own
        assert len(run.error_lines) == 1, run.err
    assert run.out == ""  # nothing half-written on stdout
    assert_kept(d, before, case.absent)


def test_the_table_covers_every_command():
    """Each command of ``lexi --help`` (and of each group) has at least one case."""
    import typer.main

    from lexi.cli._util import app

    group = typer.main.get_group(app)
    commands = set()
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        commands |= {f"{name} {s}" for s in sub} if sub else {name}
    covered = {" ".join(case.args[:2]) for case in CASES} | {case.args[0] for case in CASES}
    assert sorted(commands - covered) == []
    assert len(CASES) >= 150


def test_damaged_checkpoint_on_resume_is_named(tmp_path, capsys):
    """A truncated ``last.pt`` (a kill during a copy, a full disk): the path, not a
    PytorchStreamReader error."""
    sys.path.insert(0, str(Path(__file__).parent))
    from fixtures.tiny_bert import build_tiny_model, write_toy_data

    model = build_tiny_model(tmp_path / "model")
    data = write_toy_data(tmp_path / "toy.jsonl")
    last = tmp_path / "run" / "checkpoint" / "last.pt"
    last.parent.mkdir(parents=True)
    last.write_bytes(b"PK\x03\x04 truncated")
    err = lexi_fails(capsys, "train", "--data", str(data), "--model", str(model), "--device",
                     "cpu", "--threads", "1", "-o", str(tmp_path / "run"), "--resume")
    assert f"{last}: the checkpoint is damaged" in err


def test_config_files_read_numbers_and_single_paths_as_meant(tmp_path):
    """PyYAML reads ``1e-3`` as a string and a single path is not a list: both are what
    the user meant, not errors."""
    path = tmp_path / "c.yml"
    path.write_text("lr: 1e-3\ndata: en.jsonl\ntarget_modules: query, value\n"
                    "max_steps: null\n", encoding="utf-8")
    assert TrainConfig.read_file(path) == {"lr": 0.001, "data": ["en.jsonl"],
                                           "target_modules": ["query", "value"],
                                           "max_steps": None}


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


@_FUZZ
@given(data=_SOUPS)
def test_fuzz_predictions_and_lexicon_readers(tmp_path, data):
    """``lexi eval -p`` files and TSV lexicons: any bytes give a result or a located error."""
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(b'{"header": {"run": "r", "labels": ["a"]}}\n' + data)
    for predictions in _read_all(path, lambda p: [read_predictions(p)]):
        assert all(isinstance(row.gold, str) and isinstance(row.pred, str)
                   for row in predictions.rows)
    path = tmp_path / "fuzz.tsv"
    path.write_bytes(data)
    for view in _read_all(path, lambda p: [load_lexicon(p)]):
        assert len(view) > 0
