"""``lexi eval``: score one or more runs on the same test set, side by side.

The first run is the baseline; every other run gets a paired difference against it.
Outputs in the report directory: ``metrics.json``, ``predictions/<run>.jsonl``,
``report.md`` and ``report.html``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lexi.data.readers import read_dataset
from lexi.errors import LexiError
from lexi.evaluate.metrics import (
    BootstrapConfig,
    Difference,
    Metrics,
    compute_metrics,
    paired_difference,
)
from lexi.evaluate.predictions import (
    RunPredictions,
    predict_run,
    read_predictions,
    write_predictions,
)
from lexi.io import atomic_write, file_sha256

# Files a run directory may hold that describe how it was trained (shown as provenance).
RUN_DESCRIPTION_FILES = ("train_config.json", "config.json", "run.json", "metadata.json")
# A run that gives one label to at least this share of the test rows (when the gold labels
# are not that skewed) has collapsed: its accuracy is the label's frequency, not a result.
COLLAPSE_SHARE = 0.9
# Source dev accuracy at most this multiple of chance (the larger of 1/K and the dev
# majority rate) means the model learned next to nothing, whatever it scores on the target.
NEAR_CHANCE_FACTOR = 1.5


@dataclass(frozen=True)
class RunWarning:
    """Something that makes a run's scores not what they seem; ``degenerate`` ones void it."""

    code: str
    """``one-label``, ``dev-near-chance`` (degenerate) or ``retried`` (a note)."""
    message: str
    degenerate: bool

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "degenerate": self.degenerate}


def run_warnings(predictions: RunPredictions, provenance: dict) -> list[RunWarning]:
    """Signs that a run diverged or collapsed, from its predictions and its ``run.json``."""
    found: list[RunWarning] = []
    rows = len(predictions.rows)
    if rows:
        label, count = Counter(predictions.pred).most_common(1)[0]
        gold_share = Counter(predictions.gold).most_common(1)[0][1] / rows
        if count / rows >= COLLAPSE_SHARE and gold_share < COLLAPSE_SHARE:
            found.append(RunWarning(
                "one-label", f"predicts {label!r} for {count} of {rows} test rows "
                f"({100 * count / rows:.0f}%; the most frequent gold label covers "
                f"{100 * gold_share:.0f}%): the model collapsed, its accuracy is not a result",
                True))
    run = provenance.get("run.json") or {}
    dev_accuracy = (run.get("metrics") or {}).get("dev_accuracy")
    labels = (run.get("model") or {}).get("labels") or predictions.labels
    if dev_accuracy is not None and labels:
        majority = (run.get("stability") or {}).get("dev_majority_rate") or 0.0
        chance = max(1 / len(labels), majority)
        if dev_accuracy <= NEAR_CHANCE_FACTOR * chance:
            found.append(RunWarning(
                "dev-near-chance", f"source dev accuracy {100 * dev_accuracy:.1f}% is near "
                f"chance ({100 * chance:.1f}%): the model learned next to nothing", True))
    for retry in (run.get("stability") or {}).get("retries", []):
        found.append(RunWarning(
            "retried", f"training diverged at step {retry['step']} ({retry['kind']}) and was "
            f"retried from step {retry['restored_step']} at {retry['lr_scale']:g} × the "
            "learning rate", False))
    return found


@dataclass
class RunResult:
    """One run's predictions and scores; ``vs_baseline`` is empty for the baseline itself."""

    name: str
    predictions: RunPredictions
    metrics: Metrics
    vs_baseline: list[Difference] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)
    warnings: list[RunWarning] = field(default_factory=list)

    @property
    def degenerate(self) -> bool:
        """Whether the run's scores are void (collapsed or untrained): see ``warnings``."""
        return any(w.degenerate for w in self.warnings)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "run": self.predictions.run,
            "degenerate": self.degenerate,
            "warnings": [w.as_dict() for w in self.warnings],
            "metrics": self.metrics.as_dict(),
            "vs_baseline": [d.as_dict() for d in self.vs_baseline],
            "provenance": self.provenance,
        }


@dataclass
class Evaluation:
    """Several runs scored on the same test rows; ``runs[0]`` is the baseline."""

    data: dict
    runs: list[RunResult]
    bootstrap: BootstrapConfig
    created: str = ""

    @property
    def baseline(self) -> RunResult:
        return self.runs[0]

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "data": self.data,
            "bootstrap": {"resamples": self.bootstrap.resamples, "level": self.bootstrap.level,
                          "seed": self.bootstrap.seed},
            "baseline": self.baseline.name,
            "runs": [r.as_dict() for r in self.runs],
        }

    @property
    def degenerate_runs(self) -> list[RunResult]:
        return [run for run in self.runs if run.degenerate]

    def problems(self) -> list[str]:
        """One line per degenerate run and reason: why its scores are not a result."""
        return [f"{run.name}: {w.message}" for run in self.runs for w in run.warnings
                if w.degenerate]

    def summary(self) -> list[str]:
        """One line per run: accuracy with interval, and the gain over the baseline."""
        lines = []
        for run in self.runs:
            acc = run.metrics.accuracy
            line = (f"{run.name}: accuracy {100 * acc.estimate:.1f} "
                    f"[{100 * acc.low:.1f}, {100 * acc.high:.1f}]")
            for diff in run.vs_baseline:
                if diff.metric == "accuracy":
                    line += (f", gain {100 * diff.estimate:+.1f} points "
                             f"[{100 * diff.low:+.1f}, {100 * diff.high:+.1f}]")
            if run.degenerate:
                line += " (DEGENERATE: not a result)"
            lines.append(line)
        return lines



def run_provenance(run_dir: str | Path) -> dict:
    """What a run directory says about how it was trained (its config files, as JSON)."""
    run_dir = Path(run_dir)
    found: dict = {"path": str(run_dir)}
    for name in RUN_DESCRIPTION_FILES:
        path = run_dir / name
        if path.is_file() and path.stat().st_size < 256_000:
            try:
                found[name] = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                continue
    return found


def _unique_names(predictions: Sequence[RunPredictions]) -> list[str]:
    """Short run names for tables; the full path is kept when two short names collide."""
    names = [p.name for p in predictions]
    return [p.run if names.count(n) > 1 else n for p, n in zip(predictions, names, strict=True)]


def evaluate_predictions(
    predictions: Sequence[RunPredictions], data: dict | None = None,
    bootstrap: BootstrapConfig | None = None, provenance: Sequence[dict] | None = None,
) -> Evaluation:
    """Score saved predictions; all runs must cover the same test rows in the same order."""
    bootstrap = bootstrap or BootstrapConfig()
    if not predictions:
        raise LexiError("no runs to evaluate", hint="give at least one --run or --predictions")
    base = predictions[0]
    for other in predictions[1:]:
        if [r.id for r in other.rows] != [r.id for r in base.rows]:
            raise LexiError(f"runs {base.run} and {other.run} were not scored on the same rows",
                            hint="evaluate them on the same --data and --split")
    results = []
    for i, (pred, name) in enumerate(zip(predictions, _unique_names(predictions), strict=True)):
        metrics = compute_metrics(pred.gold, pred.pred, pred.labels or None, bootstrap)
        diffs = [] if i == 0 else [
            paired_difference(base.gold, base.pred, pred.pred, metric, bootstrap)
            for metric in ("accuracy", "macro_f1")
        ]
        described = dict(provenance[i]) if provenance else {"path": pred.run}
        results.append(RunResult(name, pred, metrics, diffs, described,
                                 run_warnings(pred, described)))
    return Evaluation(
        data=dict(data or {}), runs=results, bootstrap=bootstrap,
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )


def evaluate_runs(
    runs: Sequence[str | Path], data: str | Path, split: str | None = "test",
    output_dir: str | Path | None = None, format: str = "auto",
    text_field: str | None = None, label_field: str | None = None,
    bootstrap: BootstrapConfig | None = None, batch_size: int = 64,
) -> Evaluation:
    """Predict with every run on ``data`` (rows of ``split``), score, and write the reports.

    With ``output_dir`` the predictions, ``metrics.json``, ``report.md`` and
    ``report.html`` are written there.
    """
    for run in runs:
        if not Path(run).is_dir():
            raise LexiError("run directory not found", path=run,
                            hint="train one with `lexi train ... -o DIR`")
    rows = list(read_dataset(str(data), format=format, text_field=text_field,
                             label_field=label_field, split=split))
    if not rows:
        raise LexiError(f"no rows{f' in split {split!r}' if split else ''}", path=data,
                        hint="check --split (MASSIVE splits: train, dev, test)")
    predictions = [predict_run(run, rows, batch_size=batch_size) for run in runs]
    described = {"path": str(data), "split": split, "rows": len(rows)}
    if Path(data).is_file():
        described["sha256"] = file_sha256(data)
    evaluation = evaluate_predictions(predictions, described, bootstrap,
                                      [run_provenance(run) for run in runs])
    if output_dir is not None:
        write_evaluation(evaluation, output_dir)
    return evaluation


def evaluate_prediction_files(
    files: Sequence[str | Path], output_dir: str | Path | None = None,
    bootstrap: BootstrapConfig | None = None,
) -> Evaluation:
    """Recompute metrics (and reports) from saved prediction files, without any model."""
    predictions = [read_predictions(path) for path in files]
    evaluation = evaluate_predictions(predictions, {"predictions": [str(f) for f in files]},
                                      bootstrap)
    if output_dir is not None:
        write_evaluation(evaluation, output_dir)
    return evaluation


def write_evaluation(evaluation: Evaluation, output_dir: str | Path) -> dict[str, Path]:
    """Write predictions, ``metrics.json``, ``report.md`` and ``report.html``; returns paths."""
    from lexi.evaluate.report import render_html, render_markdown

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for run in evaluation.runs:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run.name)
        path = out / "predictions" / f"{safe}.jsonl"
        write_predictions(run.predictions, path)
        written[f"predictions:{run.name}"] = path
    for name, text in (
        ("metrics.json", json.dumps(evaluation.as_dict(), ensure_ascii=False, indent=2) + "\n"),
        ("report.md", render_markdown(evaluation)),
        ("report.html", render_html(evaluation)),
    ):
        with atomic_write(out / name) as handle:
            handle.write(text)
        written[name] = out / name
    return written
