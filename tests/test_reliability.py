"""Good files are never destroyed without a word (issue 16), command by command.

Each case is one CLI call on a small set of input files: the exit code, the error line it
must print (``path: message (hint)``), the files that must be byte-for-byte unchanged
afterwards and the files that must not appear.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lexi.cli.main import main

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.cli_inputs import assert_kept, file_bytes, run_lexi, write_good_inputs  # noqa: E402
from fixtures.massive_rows import MASSIVE_ROWS  # noqa: E402

ROWS = MASSIVE_ROWS[:3]  # train, train, dev: no test split
GOOD = "GOOD OUTPUT, MUST SURVIVE\n"


def write_inputs(d: Path) -> None:
    """Inputs every case may use, plus existing outputs holding ``GOOD``."""
    write_good_inputs(d, ROWS)
    (d / "empty.jsonl").write_text("", encoding="utf-8")
    # A good first row, then a broken line: the failure comes after writing has started.
    (d / "broken.jsonl").write_text(json.dumps(ROWS[0]) + "\n{not json\n", encoding="utf-8")
    (d / "nothing.tsv").write_text("zebra\tpundamilia\n", encoding="utf-8")  # covers no word
    (d / "empty.tsv").write_text("", encoding="utf-8")
    for name in ("out.jsonl", "out.tsv", "summary.json", "good.sqlite", "model.json"):
        (d / name).write_text(GOOD, encoding="utf-8")
    (d / "demo").mkdir()
    (d / "demo" / "notes.txt").write_text(GOOD, encoding="utf-8")


@dataclass(frozen=True)
class Case:
    """``args`` and ``error`` use ``{d}`` for the folder holding the inputs."""

    id: str
    args: tuple[str, ...]
    code: int
    error: str | None = None  # regex over the one error line (None: no error expected)
    unchanged: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


EXISTS = r"error: {d}/{name}: exists; pass --overwrite to replace it$"
SAME = r"error: {d}/{name}: the output is also an input \({d}/{other}\); nothing was written"


def exists(name: str) -> str:
    return EXISTS.replace("{name}", name)


def same(name: str, other: str | None = None) -> str:
    return SAME.replace("{name}", name).replace("{other}", other or name)


SYNTH = ("synth", "--source", "{d}/en.jsonl", "--lexicon", "{d}/lex.tsv")
COVERAGE = ("lexicon", "coverage", "{d}/lex.tsv", "{d}/en.jsonl")

CASES = [
    # --- lexi data convert -----------------------------------------------------------------
    Case("convert-existing-target", ("data", "convert", "{d}/en.jsonl", "{d}/out.jsonl"), 2,
         exists("out.jsonl"), unchanged=("out.jsonl", "en.jsonl")),
    Case("convert-target-is-source", ("data", "convert", "{d}/en.jsonl", "{d}/en.jsonl",
                                      "--overwrite"), 2,
         same("en.jsonl"), unchanged=("en.jsonl",)),
    Case("convert-target-is-source-spelt-otherwise",
         ("data", "convert", "{d}/en.jsonl", "{d}/demo/../en.jsonl", "--overwrite"), 2,
         r"the output is also an input", unchanged=("en.jsonl",)),
    Case("convert-split-typo", ("data", "convert", "{d}/en.jsonl", "{d}/out.jsonl",
                                "--split", "tarin", "--overwrite"), 2,
         r"error: {d}/en.jsonl: 0 rows selected: no row has split 'tarin' "
         r"\(its splits: dev, train; nothing was written\)", unchanged=("out.jsonl",)),
    Case("convert-split-typo-new-file", ("data", "convert", "{d}/en.jsonl", "{d}/new.jsonl",
                                         "--split", "tarin"), 2,
         "0 rows selected", absent=("new.jsonl",)),
    Case("convert-empty-input", ("data", "convert", "{d}/empty.jsonl", "{d}/out.tsv", "--to",
                                 "tsv", "--overwrite"), 2,
         r"error: {d}/empty.jsonl: 0 rows selected: the input has no rows "
         r"\(nothing was written\)", unchanged=("out.tsv",)),
    Case("convert-fails-midway", ("data", "convert", "{d}/broken.jsonl", "{d}/out.jsonl",
                                  "--overwrite"), 2,
         r"error: {d}/broken.jsonl:2: malformed JSON", unchanged=("out.jsonl",)),
    Case("convert-to-stdout-split-typo", ("data", "convert", "{d}/en.jsonl", "-", "--to", "csv",
                                          "--split", "tarin"), 2, "0 rows selected"),
    Case("convert-overwrite-replaces", ("data", "convert", "{d}/en.jsonl", "{d}/out.jsonl",
                                        "--split", "train", "--overwrite"), 0,
         unchanged=("en.jsonl",)),
    # --- lexi synth ---------------------------------------------------------------------------
    Case("synth-existing-output", (*SYNTH, "-o", "{d}/out.jsonl"), 2,
         exists("out.jsonl"), unchanged=("out.jsonl", "en.jsonl", "lex.tsv")),
    Case("synth-output-is-source", (*SYNTH, "-o", "{d}/en.jsonl", "--overwrite"), 2,
         same("en.jsonl"), unchanged=("en.jsonl",)),
    Case("synth-output-is-lexicon", (*SYNTH, "-o", "{d}/lex.tsv", "--overwrite"), 2,
         same("lex.tsv"), unchanged=("lex.tsv",)),
    Case("synth-split-typo", (*SYNTH, "--split", "tarin", "-o", "{d}/out.jsonl", "--overwrite"),
         2, r"0 rows selected: no row has split 'tarin' \(its splits: dev, train",
         unchanged=("out.jsonl",)),
    Case("synth-empty-source", ("synth", "--source", "{d}/empty.jsonl", "--lexicon",
                                "{d}/lex.tsv", "-o", "{d}/out.jsonl", "--overwrite"), 2,
         "0 rows selected: the input has no rows", unchanged=("out.jsonl",)),
    Case("synth-nothing-translated", ("synth", "--source", "{d}/en.jsonl", "--lexicon",
                                      "{d}/nothing.tsv", "-o", "{d}/out.jsonl", "--overwrite"),
         2, r"0 rows written from 3 source rows \(rows not written: unchanged: 3\)",
         unchanged=("out.jsonl",)),
    Case("synth-existing-summary", (*SYNTH, "-o", "{d}/new.jsonl", "--summary-json",
                                    "{d}/summary.json"), 2,
         exists("summary.json"), unchanged=("summary.json",), absent=("new.jsonl",)),
    Case("synth-summary-is-output", (*SYNTH, "-o", "{d}/new.jsonl", "--summary-json",
                                     "{d}/new.jsonl"), 2,
         same("new.jsonl"), absent=("new.jsonl",)),
    Case("synth-overwrite-replaces", (*SYNTH, "-o", "{d}/out.jsonl", "--overwrite", "-q"), 0,
         unchanged=("en.jsonl", "lex.tsv")),
    # --- lexi lexicon import / merge ------------------------------------------------------
    Case("import-onto-its-input", ("lexicon", "import", "tsv", "{d}/lex.tsv", "--tgt", "sw",
                                   "-o", "{d}/lex.tsv"), 2,
         same("lex.tsv"), unchanged=("lex.tsv",)),
    Case("import-onto-its-input-with-overwrite", ("lexicon", "import", "tsv", "{d}/lex.tsv",
                                                  "--tgt", "sw", "-o", "{d}/lex.tsv",
                                                  "--overwrite"), 2,
         same("lex.tsv"), unchanged=("lex.tsv",)),
    Case("import-existing-output", ("lexicon", "import", "tsv", "{d}/lex.tsv", "--tgt", "sw",
                                    "-o", "{d}/good.sqlite"), 2,
         exists("good.sqlite"), unchanged=("good.sqlite", "lex.tsv")),
    Case("import-empty-input", ("lexicon", "import", "tsv", "{d}/empty.tsv", "--tgt", "sw",
                                "-o", "{d}/good.sqlite", "--overwrite"), 2,
         "no entries read", unchanged=("good.sqlite",)),
    Case("import-overwrite-replaces", ("lexicon", "import", "tsv", "{d}/lex.tsv", "--tgt", "sw",
                                       "-o", "{d}/good.sqlite", "--overwrite"), 0,
         unchanged=("lex.tsv",)),
    Case("merge-onto-an-input", ("lexicon", "merge", "{d}/lex.sqlite", "{d}/lex.tsv",
                                 "-o", "{d}/lex.sqlite", "--overwrite"), 2,
         same("lex.sqlite"), unchanged=("lex.sqlite", "lex.tsv")),
    Case("merge-existing-output", ("lexicon", "merge", "{d}/lex.sqlite", "{d}/lex.tsv",
                                   "-o", "{d}/good.sqlite"), 2,
         exists("good.sqlite"), unchanged=("good.sqlite",)),
    Case("merge-nothing", ("lexicon", "merge", "{d}/empty.tsv", "-o", "{d}/good.sqlite",
                           "--overwrite"), 2,
         "no entries to merge", unchanged=("good.sqlite",)),
    # --- lexi lexicon coverage -o ----------------------------------------------------------
    Case("coverage-existing-output", (*COVERAGE, "-o", "{d}/summary.json"), 2,
         exists("summary.json"), unchanged=("summary.json", "lex.tsv", "en.jsonl")),
    Case("coverage-output-is-dataset", (*COVERAGE, "-o", "{d}/en.jsonl", "--overwrite"), 2,
         same("en.jsonl"), unchanged=("en.jsonl",)),
    Case("coverage-output-is-lexicon", (*COVERAGE, "-o", "{d}/lex.tsv", "--overwrite"), 2,
         same("lex.tsv"), unchanged=("lex.tsv",)),
    Case("coverage-split-typo", (*COVERAGE, "--split", "tarin", "-o", "{d}/summary.json",
                                 "--overwrite"), 2,
         "0 rows selected", unchanged=("summary.json",)),
    Case("coverage-overwrite-replaces", (*COVERAGE, "-o", "{d}/summary.json", "--overwrite",
                                         "--json"), 0,
         unchanged=("lex.tsv", "en.jsonl")),
    Case("coverage-new-output-needs-no-flag", (*COVERAGE, "-o", "{d}/new.json", "--json"), 0),
    # --- lexi morph learn -o --------------------------------------------------------------
    Case("learn-existing-output", ("morph", "learn", "swc", "{d}/swc.tsv", "-o",
                                   "{d}/model.json"), 2,
         exists("model.json"), unchanged=("model.json", "swc.tsv")),
    Case("learn-output-is-table", ("morph", "learn", "swc", "{d}/swc.tsv", "-o", "{d}/swc.tsv",
                                   "--overwrite"), 2,
         same("swc.tsv"), unchanged=("swc.tsv",)),
    Case("learn-overwrite-replaces", ("morph", "learn", "swc", "{d}/swc.tsv", "-o",
                                      "{d}/model.json", "--overwrite"), 0,
         unchanged=("swc.tsv",)),
    # --- lexi demo-data -------------------------------------------------------------------
    Case("demo-data-into-a-non-empty-folder", ("demo-data", "-o", "{d}/demo"), 2,
         r"error: {d}/demo: exists; pass --overwrite to replace it \(the folder is not empty",
         unchanged=("demo/notes.txt",), absent=("demo/en-US.jsonl",)),
    Case("demo-data-onto-a-file", ("demo-data", "-o", "{d}/out.jsonl", "--overwrite"), 2,
         "is a file; the output must be a folder", unchanged=("out.jsonl",)),
    Case("demo-data-overwrite", ("demo-data", "-o", "{d}/demo", "--overwrite"), 0,
         unchanged=("demo/notes.txt",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_outputs_are_never_destroyed_without_a_word(case: Case, tmp_path, capsys):
    d = tmp_path / "w"
    d.mkdir()
    write_inputs(d)
    before = file_bytes(d, case.unchanged)
    run = run_lexi(case.args, d, capsys)
    assert run.code == case.code, " ".join(run.err.split())
    if case.error is not None:
        pattern = case.error.replace("{d}", re.escape(str(d)))
        assert len(run.error_lines) == 1, run.err  # one line, no traceback
        assert re.search(pattern, run.error_lines[0]), run.error_lines[0]
        assert "Traceback" not in run.err
        assert run.out == ""  # nothing half-written on stdout either
    assert_kept(d, before, case.absent)
    # No temporary file is left behind by a failed write.
    assert not [p.name for p in d.rglob(".*.tmp")]


def test_overwrite_really_replaces_the_output(tmp_path, capsys):
    d = tmp_path / "w"
    d.mkdir()
    write_inputs(d)
    with pytest.raises(SystemExit) as info:
        main(["data", "convert", str(d / "en.jsonl"), str(d / "out.tsv"), "--to", "tsv",
              "--split", "dev", "--overwrite"])
    assert info.value.code == 0
    assert (d / "out.tsv").read_text() == "id\ttext\tlabel\tsplit\n3\tplay music\tplay_music\tdev\n"
    # lexi lexicon coverage -o and lexi morph learn -o: the old file gives way to the result.
    with pytest.raises(SystemExit) as info:
        main(["lexicon", "coverage", str(d / "lex.tsv"), str(d / "en.jsonl"), "-o",
              str(d / "summary.json"), "--overwrite", "--json"])
    assert info.value.code == 0
    assert json.loads((d / "summary.json").read_text())["utterances"] == 3
    with pytest.raises(SystemExit) as info:
        main(["morph", "learn", "swc", str(d / "swc.tsv"), "-o", str(d / "model.json"),
              "--overwrite"])
    assert info.value.code == 0
    assert json.loads((d / "model.json").read_text())["lang"] == "swc"
    with pytest.raises(SystemExit) as info:
        main(["demo-data", "-o", str(d / "demo"), "--overwrite"])
    assert info.value.code == 0
    assert {p.name for p in (d / "demo").iterdir()} == {
        "notes.txt", "en-US.jsonl", "sw-KE.jsonl", "en-sw.tsv", "swc.unimorph"}


def test_demo_data_into_a_new_or_empty_folder_needs_no_flag(tmp_path):
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "new"):
        with pytest.raises(SystemExit) as info:
            main(["demo-data", "-o", str(folder)])
        assert info.value.code == 0
        assert (folder / "en-US.jsonl").is_file()


def test_a_folder_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    """``lexi.io.staged_dir``, behind reports, exports, averaged runs and the checkpoint's
    best model: the old folder stays whole until the new one is complete, comes back when
    the last rename fails, and a sibling that only looks like a backup is left alone."""
    import os

    from lexi.io import staged_dir

    def files() -> set[str]:
        return {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}

    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "out.old").mkdir()  # the user's own folder, not a leftover of lexi's
    (tmp_path / "out.old" / "mine.txt").write_text(GOOD, encoding="utf-8")
    before = {"out/old.txt", "out.old/mine.txt"}
    with pytest.raises(RuntimeError), staged_dir(out) as staging:
        (staging / "new.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("killed half-way")
    assert files() == before
    real_replace = os.replace

    def failing_swap(src, dst):  # the staging folder cannot be renamed into place
        if Path(dst) == out and Path(src).name.startswith(".out."):
            raise OSError("disk gone")
        return real_replace(src, dst)

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", failing_swap)
        with pytest.raises(OSError, match="disk gone"), staged_dir(out) as staging:
            (staging / "new.txt").write_text("new", encoding="utf-8")
    assert files() == before and (out / "old.txt").read_text(encoding="utf-8") == GOOD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.old"]
    with staged_dir(out) as staging:
        (staging / "new.txt").write_text("new", encoding="utf-8")
    assert files() == {"out/new.txt", "out.old/mine.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.old"]
