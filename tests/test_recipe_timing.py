"""Each step's wall time: recorded by the runner, broken down by lexi.recipe.timing, printed
and written by `lexi bootstrap` (one language and several). Trivial steps and stand-in
bootstraps: nothing trains here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lexi.cli.main import main
from lexi.recipe import bootstrap as bootstrap_module
from lexi.recipe import multilang
from lexi.recipe.bootstrap import BootstrapResult
from lexi.recipe.config import load_recipe
from lexi.recipe.runner import StepOutcome, run_recipe
from lexi.recipe.timing import breakdown_rows, matrix_rows, step_times, timing


def write_recipe(tmp_path: Path) -> Path:
    """Two shell steps: one writes a file (after a short pause), one copies it."""
    work = tmp_path / "work"
    path = tmp_path / "r.yml"
    tmp_path.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""\
directory: {work}
steps:
  - name: make
    run: sh -c "sleep 0.1 && mkdir -p {work} && echo hello > {work}/a"
    outputs: [{work}/a]
  - name: copy
    run: cp {work}/a {work}/b
    inputs: [{work}/a]
    outputs: [{work}/b]
""")
    return path


def test_the_runner_records_each_steps_time(tmp_path):
    recipe = load_recipe(write_recipe(tmp_path))
    first = run_recipe(recipe)
    assert [o.status for o in first] == ["ran", "ran"]
    assert first[0].seconds >= 0.1 and all(o.check_seconds >= 0 for o in first)
    assert all(o.last_seconds is None for o in first)
    again = run_recipe(recipe)
    assert [o.status for o in again] == ["skipped", "skipped"]
    assert all(o.seconds == 0 for o in again)
    # A skipped step keeps what its command took when it ran (the state's record).
    assert [o.last_seconds for o in again] == [round(o.seconds, 3) for o in first]
    planned = run_recipe(recipe, force=["copy"], dry_run=True)
    assert planned[1].status == "would-run" and planned[1].last_seconds is not None


OUTCOMES = [StepOutcome("lexicon", "ran", "never ran", 3.0, 0.5),
            StepOutcome("train-baseline@13", "skipped", "unchanged", 0.0, 0.25, 120.0),
            StepOutcome("eval", "ran", "input changed", 6.0, 0.25)]


def test_the_breakdown_adds_up_to_the_wall_time():
    record = timing(OUTCOMES, 12.0)
    assert record["step_seconds"] == 9.0 and record["check_seconds"] == 1.0
    assert record["other_seconds"] == 2.0 and record["wall_seconds"] == 12.0
    assert [s["step"] for s in record["steps"]] == ["lexicon", "train-baseline@13", "eval"]
    rows = breakdown_rows(record)
    assert rows[0] == ["lexicon", "ran", "3.0", "25%"]
    assert rows[1] == ["train-baseline@13", "skipped", "0.0 (last ran: 120.0)", "0%"]
    assert rows[-3:] == [["(runner: checks and hashing)", "", "1.0", "8%"],
                         ["(outside the steps)", "", "2.0", "17%"],
                         ["total", "", "12.0", "100%"]]
    assert json.loads(json.dumps(step_times(OUTCOMES))) == record["steps"]
    matrix = matrix_rows({"Swahili (sw)": record, "Turkish (tr)": None})
    assert matrix[0] == ["lexicon", "3.0", "—"] and matrix[-1] == ["total", "12.0", "—"]


def fake_result(tmp_path: Path, seconds: float = 12.0) -> BootstrapResult:
    recipe = load_recipe(write_recipe(tmp_path))
    return BootstrapResult(recipe, list(OUTCOMES), None, {"runs": [], "groups": []}, None,
                           seconds)


def test_bootstrap_prints_and_returns_the_breakdown(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bootstrap_module, "bootstrap",
                        lambda *args, **kwargs: fake_result(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        main(["bootstrap", "sw", "--json"])
    assert exit_info.value.code == 0
    out, err = capsys.readouterr()
    printed = json.loads(out)
    assert printed["runs"] == [] and printed["timing"]["wall_seconds"] == 12.0
    assert [s["status"] for s in printed["timing"]["steps"]] == ["ran", "skipped", "ran"]
    assert "wall time by step" in err and "train-baseline@13" in err


def test_several_languages_write_each_breakdown(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(multilang, "bootstrap",
                        lambda query, *args, **kwargs: fake_result(tmp_path / query))
    out = tmp_path / "langs"
    with pytest.raises(SystemExit) as exit_info:
        main(["bootstrap", "sw", "tr", "-o", str(out)])
    assert exit_info.value.code == 0
    summary = json.loads((out / "summary.json").read_text())
    for language in summary["languages"]:
        assert language["timing"]["wall_seconds"] == 12.0
        assert language["timing"]["steps"][0] == {
            "step": "lexicon", "status": "ran", "seconds": 3.0, "check_seconds": 0.5,
            "last_seconds": None}
    markdown = (out / "summary.md").read_text()
    assert "## Wall time by step (seconds)" in markdown
    assert "| train-baseline@13 | skipped (ran in 120.0) | skipped (ran in 120.0) |" \
        in markdown
    assert "wall time by step" in capsys.readouterr().err
