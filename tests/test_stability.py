"""Training never diverges silently: detection, stop, retry, failed runs, degenerate reports."""

from __future__ import annotations

import json
import logging
import math
import sys
from pathlib import Path

import pytest

from lexi.cli.main import main
from lexi.errors import LexiError
from lexi.evaluate.evaluation import evaluate_predictions, write_evaluation
from lexi.evaluate.metrics import BootstrapConfig
from lexi.evaluate.predictions import Prediction, RunPredictions
from lexi.model import stability
from lexi.model.config import TrainConfig
from lexi.model.predict import load_predictor
from lexi.model.stability import DivergenceGuard, label_entropy, majority_rate
from lexi.model.train import TrainingDiverged, train
from lexi.recipe.bootstrap import BootstrapResult

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import config_for  # noqa: E402

# --------------------------------------------------------------------------- the checks


def guard(**changes) -> DivergenceGuard:
    values = dict(num_labels=4, label_entropy=label_entropy(["a", "a", "b", "c"]),
                  dev_majority_rate=0.5, warmup_steps=10, total_steps=200)
    values.update(changes)
    return DivergenceGuard(**values)


def test_label_statistics():
    assert label_entropy(["a", "b", "c", "d"]) == pytest.approx(math.log(4))
    assert label_entropy(["a", "a", "b", "c"]) < math.log(4)
    assert majority_rate(["a", "a", "b", "c"]) == 0.5


def test_guard_thresholds_and_grace_period():
    g = guard()
    assert g.window == 10 and g.checks_from == 50  # 25% of 200 steps
    # Non-finite: at any step, through the loss or the gradient norm.
    assert g.check_window(5, float("nan")).kind == "non-finite"
    assert g.grad_norm(3, float("inf")).kind == "non-finite"
    assert g.grad_norm(3, 12.0) is None
    # Exploded: above 1.5 ln K after warm-up, not during it.
    assert g.check_window(10, 3.0) is None
    assert g.check_window(20, 3.0).kind == "exploded"
    # Stuck at the label entropy: only after the grace period.
    stuck = g.label_entropy + 0.01
    assert g.check_window(40, stuck) is None
    found = g.check_window(60, stuck)
    assert found.kind == "stuck" and "label frequencies" in found.reason
    assert g.check_window(60, g.label_entropy - 0.2) is None
    # Dev accuracy at the majority rate, after the grace period.
    assert g.check_dev(40, 0.5) is None
    assert g.check_dev(60, 0.5).kind == "dev-at-majority"
    assert g.check_dev(60, 0.51) is None
    assert guard(dev_majority_rate=None).check_dev(100, 0.0) is None
    # After a retry the loss gets one window to settle.
    g.after_retry(60)
    assert g.check_window(70, 3.0) is None and g.check_window(80, 3.0).kind == "exploded"


def test_warn_only_logs_loss_and_dev_findings_but_not_a_non_finite_loss(caplog):
    g = guard(warn_only=True)
    stuck = g.label_entropy + 0.01
    with caplog.at_level(logging.WARNING, logger="lexi"):
        assert g.check_window(60, stuck) is None
        assert g.check_dev(60, 0.5) is None
    assert [w["kind"] for w in g.warnings] == ["stuck", "dev-at-majority"]
    assert "--on-divergence warn" in caplog.text and "label frequencies" in caplog.text
    assert g.check_window(61, float("nan")).kind == "non-finite"


# --------------------------------------------------------------------------- training


def test_absurd_learning_rate_stops_with_a_clear_message_and_a_failed_run(tiny, tmp_path):
    run_dir = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match="training diverged") as caught:
        train(config_for(tiny, run_dir, lr=50.0, on_divergence="stop"))
    assert "going backwards" in str(caught.value) and "--lr" in str(caught.value)
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "failed"
    assert run["failure"]["kind"] in ("exploded", "non-finite")
    assert run["stability"]["max_grad_norm"] == 1.0 and run["stability"]["retries"] == []
    assert not (run_dir / "adapter").exists() and not (run_dir / "head.safetensors").exists()
    assert not (run_dir / "checkpoint").exists()
    with pytest.raises(LexiError, match="this run failed"):
        load_predictor(run_dir)


def test_retry_is_tried_once_and_then_the_run_fails(tiny, tmp_path, caplog):
    run_dir = tmp_path / "run"
    with caplog.at_level(logging.WARNING, logger="lexi"), \
            pytest.raises(TrainingDiverged, match="already been retried once"):
        train(config_for(tiny, run_dir, lr=50.0, on_divergence="retry"))
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "failed"
    (retry,) = run["stability"]["retries"]
    assert retry["lr_scale"] == 0.5 and retry["restored_step"] == 0
    # Said as a warning of the lexi logger (the CLI prints it; a notebook shows warnings).
    said = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "Retrying once from step 0 at 0.5 × the learning rate" in " ".join(said.split())


def test_a_retried_run_goes_back_to_its_best_state_and_finishes(tiny, tmp_path, monkeypatch):
    # A healthy run, told once (at step 20 of 30) that it diverged: it goes back to its
    # lowest-loss window, halves the rate, and still takes its 30 planned steps.
    flagged = []
    original = DivergenceGuard.check_window

    def diverge_once(self, step, mean_loss):
        if step == 20 and not flagged:
            flagged.append(step)
            self.losses.clear()
            return stability.Divergence(step, "injected for the test", "stuck")
        return original(self, step, mean_loss)

    monkeypatch.setattr(DivergenceGuard, "check_window", diverge_once)
    result = train(config_for(tiny, tmp_path / "run"))
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["status"] == "ok" and result.steps == run["steps"] == 30
    (retry,) = run["stability"]["retries"]
    assert 0 < retry["restored_step"] < 20 and retry["lr_scale"] == 0.5
    assert len(result.history) > 6  # the rewound steps took one more epoch of data
    assert load_predictor(tmp_path / "run").labels == run["model"]["labels"]


def test_healthy_runs_are_not_flagged(tiny, tmp_path):
    train(config_for(tiny, tmp_path / "run"))
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["status"] == "ok" and run["stability"]["retries"] == []
    assert run["stability"]["dev_majority_rate"] == pytest.approx(4 / 9)


def test_cli_reports_divergence_and_exits_non_zero(tiny, tmp_path, capsys):
    model, data = tiny
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--data", str(data), "--dev", str(data), "--model", str(model),
              "-o", str(tmp_path / "run"), "--epochs", "2", "--batch-size", "8",
              "--lr", "50", "--on-divergence", "stop", "--max-grad-norm", "0.5",
              "--device", "cpu"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "training diverged" in err and "run.json" in err
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["config"]["max_grad_norm"] == 0.5 and run["status"] == "failed"
    with pytest.raises(LexiError, match="--on-divergence"):
        config_for(tiny, tmp_path / "x", on_divergence="ignore")
    with pytest.raises(LexiError, match="--max-grad-norm"):
        config_for(tiny, tmp_path / "x", max_grad_norm=0.0)


# --------------------------------------------------------------------------- evaluation


LABELS = ["a", "b", "c", "d"]
GOLD = ["a", "b", "c", "d"] * 10


def predictions(name: str, pred: list[str]) -> RunPredictions:
    rows = [Prediction(str(i), f"text {i}", g, p, 0.9) for i, (g, p) in
            enumerate(zip(GOLD, pred, strict=True))]
    return RunPredictions(f"runs/{name}", LABELS, rows)


def test_a_collapsed_run_is_flagged_in_metrics_and_report(tmp_path):
    good = predictions("baseline", [g if i % 5 else "a" for i, g in enumerate(GOLD)])
    collapsed = predictions("augmented", ["b"] * 38 + ["a", "c"])
    evaluation = evaluate_predictions([good, collapsed], bootstrap=BootstrapConfig(200))
    assert not evaluation.runs[0].warnings
    (warning,) = evaluation.runs[1].warnings
    assert warning.code == "one-label" and warning.degenerate
    assert "predicts 'b' for 38 of 40" in warning.message
    assert evaluation.problems() == [f"augmented: {warning.message}"]
    assert "DEGENERATE" in evaluation.summary()[1]
    written = write_evaluation(evaluation, tmp_path / "report")
    metrics = json.loads(written["metrics.json"].read_text())
    assert [r["degenerate"] for r in metrics["runs"]] == [False, True]
    page = written["report.html"].read_text()
    assert page.index("Not a result") < page.index("<h2>Runs</h2>")
    assert "No result" in written["report.md"].read_text()
    # lexi bootstrap reads metrics.json: no gain line, the reason instead.
    result = BootstrapResult(recipe=None, outcomes=[], report=tmp_path, metrics=metrics)
    assert result.summary() == [] and "collapsed" in result.problems()[0]


def test_a_run_biased_towards_one_label_gets_a_note_not_a_verdict():
    # 28 of 40 rows predicted 'd' (70%) where the gold labels hold 25% of it: the pattern
    # of a lexicon that translates one topic's words far better than the others'.
    biased = predictions("augmented", [g if i % 8 in (3, 7) else "d" for i, g in
                                       enumerate(GOLD)][:16] + ["d"] * 8 + GOLD[24:])
    mild = predictions("baseline", [g if i % 5 else "d" for i, g in enumerate(GOLD)])
    evaluation = evaluate_predictions([mild, biased], bootstrap=BootstrapConfig(200))
    assert not evaluation.runs[0].warnings
    (warning,) = evaluation.runs[1].warnings
    assert warning.code == "label-skew" and not warning.degenerate
    assert "predicts 'd' for" in warning.message and "hold 25% of it" in warning.message
    assert not evaluation.problems()


def test_dev_accuracy_near_chance_and_retries_come_from_run_json():
    run = predictions("r", GOLD)
    provenance = {"path": "runs/r", "run.json": {
        "config": {"dev": "en-dev.jsonl"}, "steps": 400,
        "metrics": {"dev_accuracy": 0.30}, "model": {"labels": LABELS},
        "stability": {"dev_majority_rate": 0.25, "retries": [
            {"step": 90, "kind": "stuck", "restored_step": 40, "lr_scale": 0.5}]}}}
    evaluation = evaluate_predictions([run], provenance=[provenance],
                                      bootstrap=BootstrapConfig(200))
    codes = {w.code: w.degenerate for w in evaluation.runs[0].warnings}
    assert codes == {"dev-near-chance": True, "retried": False}
    provenance["run.json"]["metrics"]["dev_accuracy"] = 0.8
    evaluation = evaluate_predictions([run], provenance=[provenance],
                                      bootstrap=BootstrapConfig(200))
    assert [w.code for w in evaluation.runs[0].warnings] == ["retried"]
    assert not evaluation.problems()


def test_smoke_runs_and_runs_without_dev_are_noted_and_get_no_verdict(tmp_path):
    from lexi.evaluate.report import headline

    good = predictions("baseline", GOLD)
    other = predictions("augmented", [g if i % 4 else "a" for i, g in enumerate(GOLD)])
    smoke = {"path": "runs/s", "run.json": {"steps": 20, "config": {"dev": None, "max_steps": 20},
                                            "metrics": {}, "model": {"labels": LABELS}}}
    evaluation = evaluate_predictions([good, other], provenance=[{"path": "b"}, smoke],
                                      bootstrap=BootstrapConfig(200))
    codes = [w.code for w in evaluation.runs[1].warnings]
    assert codes == ["no-dev", "smoke-run"] and not evaluation.problems()
    assert "smoke run, so no verdict" in headline(evaluation)
    assert "significant" not in headline(evaluation)
    # The same few steps, but the epochs ran to the end (a small data set): a result.
    smoke["run.json"]["config"]["max_steps"] = None
    evaluation = evaluate_predictions([good, other], provenance=[{"path": "b"}, smoke],
                                      bootstrap=BootstrapConfig(200))
    assert [w.code for w in evaluation.runs[1].warnings] == ["no-dev"]


def test_the_hint_of_a_diverged_joint_run_names_the_slot_weight_first(tmp_path):
    # A run with a slot head: its slot term's gradients reach the encoder, so its hint starts
    # there; a run without one (intent-only, or --task auto on rows without slots) does not.
    from lexi.model.train import _divergence_hint

    joint = _divergence_hint(TrainConfig(data=["x.jsonl"], dev=None, output=str(tmp_path / "a"),
                                         task="intent+slots", slot_weight=0.5), True)
    assert joint.startswith("lower --slot-weight (this run: 0.5)") and "--lr" in joint
    auto = TrainConfig(data=["x.jsonl"], dev=None, output=str(tmp_path / "b"), task="auto")
    for intent in (_divergence_hint(auto, False), _divergence_hint(
            TrainConfig(data=["x.jsonl"], dev=None, output=str(tmp_path / "c")), False)):
        assert "--slot-weight" not in intent and intent.startswith("lower --lr")
