"""`lexi eval` with seed groups (NAME=DIR,DIR...) and a report directory that is never mixed."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from lexi.cli.main import main
from lexi.data.demo import write_demo_data
from lexi.errors import LexiError
from lexi.evaluate.evaluation import (
    GroupSpec,
    evaluate_prediction_files,
    evaluate_predictions,
    parse_group_spec,
    write_evaluation,
)
from lexi.evaluate.metrics import BootstrapConfig
from lexi.evaluate.predictions import Prediction, RunPredictions

FAST = BootstrapConfig(resamples=100)
LABELS = ["alarm_set", "iot_hue_lightoff", "iot_hue_lightson", "play_music", "weather_query"]
# Seeds of a weak baseline and a stronger augmented model: each seed knows other words.
SEEDS = {
    "base-s13": {"taa": "iot_hue_lightson"},
    "base-s14": {"taa": "iot_hue_lightson", "muziki": "play_music"},
    "base-s15": {"zima": "iot_hue_lightoff", "cheza": "play_music"},
    "aug-s13": {"washa": "iot_hue_lightson", "zima": "iot_hue_lightoff", "kengele": "alarm_set",
                "muziki": "play_music", "hewa": "weather_query"},
    "aug-s14": {"washa": "iot_hue_lightson", "niamshe": "alarm_set", "mvua": "weather_query",
                "muziki": "play_music"},
    "aug-s15": {"zima": "iot_hue_lightoff", "kengele": "alarm_set", "niamshe": "alarm_set",
                "hewa": "weather_query", "mvua": "weather_query"},
}


class KeywordPredictor:
    """A stand-in model: picks the label whose keyword occurs in the text."""

    def __init__(self, keywords: dict[str, str]) -> None:
        self.keywords = keywords
        self.labels = LABELS

    def predict_proba(self, texts, batch_size=64):
        probs = np.full((len(texts), len(LABELS)), 0.1 / len(LABELS))
        for row, text in enumerate(texts):
            hit = next((lab for word, lab in self.keywords.items() if word in text.split()),
                       LABELS[0])
            probs[row, LABELS.index(hit)] += 0.9
        return probs


@pytest.fixture
def seed_runs(tmp_path, monkeypatch):
    """Six fake run directories (three seeds each of two setups) and the demo test file."""
    import lexi.model.predict

    loaded: list[str] = []

    def load(run_dir):
        loaded.append(run_dir)
        return KeywordPredictor(SEEDS[run_dir.rstrip("/").split("/")[-1]])

    monkeypatch.setattr(lexi.model.predict, "load_predictor", load)
    runs = tmp_path / "runs"
    for name in SEEDS:
        (runs / name).mkdir(parents=True)
        (runs / name / "run.json").write_text(json.dumps({"config": {"seed": name[-2:]}}))
    files = write_demo_data(tmp_path / "demo")
    return runs, files.target, loaded


def run_cli(args, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


# --------------------------------------------------------------------------- --run syntax


def test_group_specs_plain_named_and_globbed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("r-s1", "r-s2", "r-s3", "odd=name,x"):
        (tmp_path / name).mkdir()
    assert parse_group_spec("runs/baseline") == GroupSpec(None, ("runs/baseline",))
    assert parse_group_spec("base=r-s1, r-s2") == GroupSpec("base", ("r-s1", "r-s2"))
    assert parse_group_spec("aug=r-s*") == GroupSpec("aug", ("r-s1", "r-s2", "r-s3"))
    assert parse_group_spec("r-s[2]") == GroupSpec(None, ("r-s2",))
    # An existing path is taken whole; a '=' after a '/' belongs to the path.
    assert parse_group_spec("odd=name,x") == GroupSpec(None, ("odd=name,x",))
    assert parse_group_spec("runs/a=b") == GroupSpec(None, ("runs/a=b",))
    with pytest.raises(LexiError, match="no group name"):
        parse_group_spec("r-s1,r-s2")
    with pytest.raises(LexiError, match="no group name"):
        parse_group_spec("r-s*")
    with pytest.raises(LexiError, match="listed twice"):
        parse_group_spec("base=r-s1,r-s*")
    with pytest.raises(LexiError, match="no run matches"):
        parse_group_spec("base=missing-*")
    with pytest.raises(LexiError, match="empty group name"):
        parse_group_spec("=r-s1")


# --------------------------------------------------------------------------- groups scored


def test_cli_scores_seed_groups(seed_runs, capsys, tmp_path):
    runs, target, _ = seed_runs
    base = ",".join(str(runs / f"base-s{s}") for s in (13, 14, 15))
    out = tmp_path / "report"
    code, stdout, err = run_cli(
        ["eval", "--run", f"baseline={base}", "--run", f"augmented={runs}/aug-s*",
         "--data", str(target), "--split", "test", "-o", str(out), "--resamples", "100",
         "--json"], capsys)
    assert code == 0, err
    metrics = json.loads(stdout)
    assert json.loads((out / "metrics.json").read_text())["groups"] == metrics["groups"]
    by_run = {r["name"]: r for r in metrics["runs"]}
    assert list(by_run) == list(SEEDS)  # per-run figures stay, in group order
    base_group, aug_group = metrics["groups"]
    assert metrics["baseline_group"] == "baseline"
    assert base_group["runs"] == ["base-s13", "base-s14", "base-s15"]
    assert aug_group["runs"] == ["aug-s13", "aug-s14", "aug-s15"]
    means = {}
    for group in (base_group, aug_group):
        assert not group["degenerate"] and group["degenerate_runs"] == []
        for metric in ("accuracy", "macro_f1"):
            per_run = [by_run[name]["metrics"][metric]["estimate"] for name in group["runs"]]
            score = group["metrics"][metric]
            assert score["per_run"] == per_run
            assert score["mean"] == pytest.approx(np.mean(per_run))
            assert score["sd"] == pytest.approx(np.std(per_run, ddof=1))
            assert score["low"] <= score["mean"] <= score["high"]
            means[group["name"], metric] = np.mean(per_run)
    assert base_group["vs_baseline"] == []
    for diff in aug_group["vs_baseline"]:
        metric = diff["metric"]
        assert diff["estimate"] == pytest.approx(means["augmented", metric]
                                                 - means["baseline", metric])
        assert diff["low"] <= diff["estimate"] <= diff["high"]
    assert aug_group["vs_baseline"][0]["low"] > 0  # the augmented seeds are clearly better
    # Per-run gains are against the baseline run of the same seed (run.json's); the
    # baseline's own runs have none.
    assert by_run["base-s14"]["vs_baseline"] == []
    assert by_run["base-s14"]["vs_baseline_run"] is None
    for seed in (13, 14, 15):
        run = by_run[f"aug-s{seed}"]
        assert run["vs_baseline_run"] == f"base-s{seed}"
        gain = run["vs_baseline"][0]
        assert gain["estimate"] == pytest.approx(
            run["metrics"]["accuracy"]["estimate"]
            - by_run[f"base-s{seed}"]["metrics"]["accuracy"]["estimate"])
    assert re.search(r"│ aug-s14 .*│ base-s14 +│", err)  # the runs table says which
    assert "| gains against |" in (out / "report.md").read_text()

    markdown = (out / "report.md").read_text()
    assert "Mean accuracy" in markdown.splitlines()[2]  # the headline compares groups
    assert markdown.index("## Groups") < markdown.index("## Runs")
    sd = 100 * aug_group["metrics"]["accuracy"]["sd"]
    assert f"{100 * means['augmented', 'accuracy']:.1f} ± {sd:.1f}" in markdown
    page = (out / "report.html").read_text()
    assert page.index("<h2>Groups</h2>") < page.index("<h2>Runs</h2>")
    assert "groups: mean ± sd" in err and "augmented" in err
    assert sorted(p.name for p in (out / "predictions").iterdir()) == sorted(
        f"{name}.jsonl" for name in SEEDS)

    # Saved predictions regroup the same way, without any model.
    files = {name: str(out / "predictions" / f"{name}.jsonl") for name in SEEDS}
    again = evaluate_prediction_files(
        [GroupSpec("baseline", tuple(files[n] for n in base_group["runs"])),
         GroupSpec("augmented", tuple(files[n] for n in aug_group["runs"]))], bootstrap=FAST)
    assert [g.as_dict() for g in again.groups] == metrics["groups"]


def test_plain_runs_are_groups_of_one(seed_runs, capsys, tmp_path):
    runs, target, _ = seed_runs
    out = tmp_path / "report"
    code, stdout, err = run_cli(
        ["eval", "--run", str(runs / "base-s13"), "--run", f"aug={runs / 'aug-s13'}",
         "--data", str(target), "-o", str(out), "--resamples", "100", "--json"], capsys)
    assert code == 0, err
    metrics = json.loads(stdout)
    assert [g["name"] for g in metrics["groups"]] == ["base-s13", "aug"]
    for group, run in zip(metrics["groups"], metrics["runs"], strict=True):
        iv = run["metrics"]["accuracy"]
        score = group["metrics"]["accuracy"]
        assert (score["mean"], score["low"], score["high"], score["sd"]) == (
            iv["estimate"], iv["low"], iv["high"], None)
        assert group["vs_baseline"] == run["vs_baseline"]
    assert "## Groups" not in (out / "report.md").read_text()  # the runs table says it all
    assert "groups:" not in err


GOLD = ["a", "b", "c", "d"] * 10


def predictions(name: str, pred: list[str]) -> RunPredictions:
    rows = [Prediction(str(i), f"text {i}", g, p, 0.9)
            for i, (g, p) in enumerate(zip(GOLD, pred, strict=True))]
    return RunPredictions(f"runs/{name}", ["a", "b", "c", "d"], rows)


def test_a_degenerate_run_voids_its_group(tmp_path):
    good = [g if i % 3 else "a" for i, g in enumerate(GOLD)]
    better = [g if i % 5 else "b" for i, g in enumerate(GOLD)]
    collapsed = ["b"] * 38 + ["a", "c"]
    evaluation = evaluate_predictions(
        [predictions("base-1", good), predictions("base-2", better),
         predictions("aug-1", better), predictions("aug-2", collapsed)],
        bootstrap=FAST, groups=[("base", 2), ("aug", 2)])
    base, aug = evaluation.groups
    assert not base.degenerate
    assert aug.degenerate and [r.name for r in aug.degenerate_runs] == ["aug-2"]
    assert evaluation.problems() == [f"aug-2 (group aug): {evaluation.runs[3].warnings[0].message}"]
    assert "DEGENERATE" in evaluation.group_summary()[1]
    written = write_evaluation(evaluation, tmp_path / "report")
    metrics = json.loads(written["metrics.json"].read_text())
    assert [(g["degenerate"], g["degenerate_runs"]) for g in metrics["groups"]] == [
        (False, []), (True, ["aug-2"])]
    assert [r["degenerate"] for r in metrics["runs"]] == [False, False, False, True]
    markdown = written["report.md"].read_text()
    assert "No result" in markdown and "group aug is not a result" in markdown
    assert "| aug (NOT A RESULT) |" in markdown
    page = written["report.html"].read_text()
    assert page.index("Not a result") < page.index("<h2>Groups</h2>")
    assert "its mean is not a result" in page


def test_groups_must_partition_the_runs_and_have_distinct_names():
    runs = [predictions("x", GOLD), predictions("y", GOLD), predictions("z", GOLD)]
    with pytest.raises(LexiError, match="do not partition"):
        evaluate_predictions(runs, bootstrap=FAST, groups=[("a", 2)])
    with pytest.raises(LexiError, match="needs a name"):
        evaluate_predictions(runs, bootstrap=FAST, groups=[(None, 2), ("b", 1)])
    with pytest.raises(LexiError, match="two groups are named 'x'"):
        evaluate_predictions(runs, bootstrap=FAST, groups=[(None, 1), ("x", 2)])
    short = RunPredictions("runs/short", ["a"], predictions("s", GOLD).rows[:-1])
    with pytest.raises(LexiError, match="not scored on the same rows"):
        evaluate_predictions(runs + [short], bootstrap=FAST, groups=[("a", 3), ("b", 1)])


# --------------------------------------------------------------------------- -o DIR


def report_of(name: str):
    return evaluate_predictions([predictions(name, GOLD)], bootstrap=FAST)


def siblings(path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def test_a_non_empty_report_directory_is_refused_and_replaced_whole(tmp_path):
    out = tmp_path / "reports" / "sw"
    out.mkdir(parents=True)
    write_evaluation(report_of("first"), out)  # an existing empty directory is fine
    (out / "notes.txt").write_text("old")
    with pytest.raises(LexiError, match="not empty") as info:
        write_evaluation(report_of("second"), out)
    assert "--overwrite" in info.value.hint
    assert (out / "predictions" / "first.jsonl").is_file()  # nothing touched
    written = write_evaluation(report_of("second"), out, overwrite=True)
    assert sorted(p.name for p in (out / "predictions").iterdir()) == ["second.jsonl"]
    assert not (out / "notes.txt").exists()
    assert written["metrics.json"] == out / "metrics.json"
    assert json.loads(written["metrics.json"].read_text())["baseline"] == "second"
    assert siblings(out) == []  # no staging or old copy left beside it
    umask = os.umask(0)
    os.umask(umask)
    assert (out.stat().st_mode & 0o777) == 0o777 & ~umask
    (tmp_path / "file").write_text("x")
    with pytest.raises(LexiError, match="not a directory"):
        write_evaluation(report_of("third"), tmp_path / "file", overwrite=True)


def test_a_failed_overwrite_leaves_the_old_report_as_it_was(tmp_path, monkeypatch):
    import lexi.evaluate.report

    out = tmp_path / "report"
    write_evaluation(report_of("first"), out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(evaluation):
        raise RuntimeError("disk full")

    monkeypatch.setattr(lexi.evaluate.report, "render_html", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_evaluation(report_of("second"), out, overwrite=True)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert siblings(out) == []


def test_cli_refuses_before_predicting_and_overwrites_when_asked(seed_runs, capsys, tmp_path):
    runs, target, loaded = seed_runs
    out = tmp_path / "report"
    args = ["eval", "--run", str(runs / "base-s13"), "--run", str(runs / "aug-s13"),
            "--data", str(target), "-o", str(out), "--resamples", "50"]
    assert run_cli(args, capsys)[0] == 0
    (out / "predictions" / "stale-run.jsonl").write_text("{}\n")
    loaded.clear()
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "not empty" in err and "--overwrite" in err
    assert loaded == []  # refused before any model was loaded
    assert run_cli(args + ["--overwrite"], capsys)[0] == 0
    assert sorted(p.name for p in (out / "predictions").iterdir()) == [
        "aug-s13.jsonl", "base-s13.jsonl"]
    # Rescoring predictions that live inside the directory being replaced works too.
    code, _, err = run_cli(
        ["eval", "-p", str(out / "predictions" / "base-s13.jsonl"),
         "-p", f"aug={out / 'predictions' / 'aug-s13.jsonl'}", "-o", str(out), "--overwrite",
         "--resamples", "50"], capsys)
    assert code == 0, err
    assert [g["name"] for g in json.loads((out / "metrics.json").read_text())["groups"]] == [
        "base-s13", "aug"]


def test_per_run_gains_fall_back_to_the_group_mean(seed_runs, capsys, tmp_path):
    """A run whose seed no baseline run has (or has twice), or a run without a recorded
    seed, is compared with the baseline group's mean; a group of one keeps the mean."""
    runs, target, _ = seed_runs
    (runs / "aug-s15" / "run.json").write_text(json.dumps({"config": {"seed": 99}}))
    (runs / "aug-s13" / "run.json").unlink()
    base = ",".join(str(runs / f"base-s{s}") for s in (13, 14, 15))
    code, stdout, err = run_cli(
        ["eval", "--run", f"baseline={base}", "--run", f"augmented={runs}/aug-s*",
         "--run", str(runs / "aug-s14"), "--data", str(target), "--split", "test",
         "--resamples", "50", "--json"], capsys)
    assert code == 0, err
    metrics = json.loads(stdout)
    base_mean = metrics["groups"][0]["metrics"]["accuracy"]["mean"]
    by_path = {}
    for run in metrics["runs"]:
        by_path.setdefault(Path(run["run"]).name, []).append(run)
    for name in ("aug-s13", "aug-s15"):
        (run,) = by_path[name]
        assert run["vs_baseline_run"] is None
        assert run["vs_baseline"][0]["estimate"] == pytest.approx(
            run["metrics"]["accuracy"]["estimate"] - base_mean)
    # aug-s14 twice: in the augmented group and as a group of its own; as a run it is
    # compared with base-s14, and the group of one keeps the gain against the mean.
    assert [run["vs_baseline_run"] for run in by_path["aug-s14"]] == ["base-s14"] * 2
    alone = metrics["groups"][-1]
    assert len(alone["runs"]) == 1
    assert alone["vs_baseline"][0]["estimate"] == pytest.approx(
        by_path["aug-s14"][0]["metrics"]["accuracy"]["estimate"] - base_mean)
