"""`lexi eval`: predictions saved and rescored, metrics.json, report.md, report.html."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from lexi.cli.main import main
from lexi.data.demo import demo_target, write_demo_data
from lexi.errors import LexiError
from lexi.evaluate.evaluation import evaluate_prediction_files, evaluate_runs
from lexi.evaluate.metrics import BootstrapConfig
from lexi.evaluate.predictions import read_predictions

FAST = BootstrapConfig(resamples=200)


class KeywordPredictor:
    """A stand-in model: picks the label whose keyword occurs in the text."""

    def __init__(self, keywords: dict[str, str], labels: list[str]) -> None:
        self.keywords = keywords
        self.labels = labels

    def predict_proba(self, texts, batch_size=64):
        probs = np.full((len(texts), len(self.labels)), 0.1 / len(self.labels))
        for row, text in enumerate(texts):
            hit = next((lab for word, lab in self.keywords.items() if word in text.split()),
                       self.labels[0])
            probs[row, self.labels.index(hit)] += 0.9
        return probs


# The "baseline" knows one Swahili word, the "augmented" run several; one label is unseen.
RUNS = {
    "baseline": {"taa": "iot_hue_lightson"},
    "augmented": {"washa": "iot_hue_lightson", "zima": "iot_hue_lightoff",
                  "kengele": "alarm_set", "niamshe": "alarm_set", "muziki": "play_music",
                  "hewa": "weather_query", "mvua": "weather_query"},
}
LABELS = ["alarm_set", "iot_hue_lightoff", "iot_hue_lightson", "play_music", "weather_query"]


@pytest.fixture
def fake_runs(tmp_path, monkeypatch):
    import lexi.model.predict

    def load(run_dir):
        return KeywordPredictor(RUNS[run_dir.rstrip("/").split("/")[-1]], LABELS)

    monkeypatch.setattr(lexi.model.predict, "load_predictor", load)
    for name in RUNS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text(json.dumps({"config": {"model": name}}))
    files = write_demo_data(tmp_path / "demo")
    return tmp_path, files.target


def expected_accuracy(keywords: dict[str, str]) -> float:
    rows = demo_target()
    hits = 0
    for utt in rows:
        hit = next((lab for word, lab in keywords.items() if word in utt.text.split()),
                   LABELS[0])
        hits += hit == utt.label
    return hits / len(rows)


def test_evaluate_runs_writes_everything_and_rescoring_agrees(fake_runs):
    root, target = fake_runs
    out = root / "report"
    evaluation = evaluate_runs([root / "baseline", root / "augmented"], target, "test", out,
                               bootstrap=FAST)
    base, aug = evaluation.runs
    assert base.metrics.accuracy.estimate == pytest.approx(expected_accuracy(RUNS["baseline"]))
    assert aug.metrics.accuracy.estimate == pytest.approx(expected_accuracy(RUNS["augmented"]))
    assert base.metrics.unseen_labels == ["datetime_query"]
    gain = aug.vs_baseline[0]
    assert gain.metric == "accuracy"
    assert gain.estimate == pytest.approx(aug.metrics.accuracy.estimate
                                          - base.metrics.accuracy.estimate)
    assert gain.low > 0

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["baseline"] == "baseline"
    assert metrics["data"]["rows"] == 90 and len(metrics["data"]["sha256"]) == 64
    assert metrics["runs"][1]["provenance"]["run.json"] == {"config": {"model": "augmented"}}
    assert metrics["runs"][1]["metrics"]["accuracy"]["estimate"] == aug.metrics.accuracy.estimate

    saved = read_predictions(out / "predictions" / "augmented.jsonl")
    assert saved.labels == LABELS and len(saved.rows) == 90
    again = evaluate_prediction_files(
        [out / "predictions" / "baseline.jsonl", out / "predictions" / "augmented.jsonl"],
        bootstrap=FAST)
    assert again.runs[1].metrics.accuracy == aug.metrics.accuracy
    assert again.runs[1].vs_baseline == aug.vs_baseline

    markdown = (out / "report.md").read_text()
    assert f"{100 * aug.metrics.accuracy.estimate:.1f}" in markdown
    assert "| iot_hue_lightoff |" in markdown

    page = (out / "report.html").read_text()
    # Self-contained: every image is inline PNG, nothing is fetched.
    assert not re.search(r"""(src|href)=["']https?:""", page)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 4  # summary, per label, one confusion map per run
    assert all(base64.b64decode(img)[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
    assert f"{100 * gain.estimate:+.1f} pts" in page
    assert "never saw" in page and "datetime_query" in page


def test_runs_scored_on_different_rows_are_refused(fake_runs, tmp_path):
    root, target = fake_runs
    out = root / "report"
    evaluate_runs([root / "baseline", root / "augmented"], target, "test", out, bootstrap=FAST)
    lines = (out / "predictions" / "augmented.jsonl").read_text().splitlines()
    short = tmp_path / "short.jsonl"
    short.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(LexiError, match="not scored on the same rows"):
        evaluate_prediction_files([out / "predictions" / "baseline.jsonl", short])


def test_cli_eval_json_and_errors(fake_runs, capsys):
    root, target = fake_runs
    out = root / "cli-report"
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--run", str(root / "baseline"), "--run", str(root / "augmented"),
              "--data", str(target), "--split", "test", "-o", str(out), "--resamples", "100",
              "--json"])
    assert exit_info.value.code == 0
    printed = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in printed["runs"]] == ["baseline", "augmented"]
    assert (out / "report.html").is_file()
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--run", str(root / "missing"), "--data", str(target)])
    assert exit_info.value.code == 2
    assert "run directory not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["eval", "--run", str(root / "baseline"), "--data", str(target), "--split", "dev"])
    assert "no rows in split 'dev'" in capsys.readouterr().err
