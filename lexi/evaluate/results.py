"""What ``lexi eval`` finds: each run's scores and warnings, each group's summary, and the
:class:`Evaluation` that holds them (written as ``metrics.json`` and rendered by
:mod:`lexi.evaluate.report`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lexi.evaluate.metrics import BootstrapConfig, Difference, GroupScore, Metrics
from lexi.evaluate.predictions import RunPredictions
from lexi.evaluate.slot_metrics import SLOT_METRIC_NAMES, SLOT_METRICS, SlotMetrics, SlotRows

# A run that gives one label to at least this share of the test rows (when the gold labels
# are not that skewed) has collapsed: its accuracy is the label's frequency, not a result.
COLLAPSE_SHARE = 0.9
# Source dev accuracy at most this multiple of chance (the larger of 1/K and the dev
# majority rate) means the model learned next to nothing, whatever it scores on the target.
NEAR_CHANCE_FACTOR = 1.5
# A run that gives one label at least this many points more of the test rows than the gold
# labels hold (and at least twice the gold share) has learned a bias towards it (seen on
# SIB-200 Bambara with `translate`: travel 58% of the predictions, 19% of the gold).
SKEW_EXCESS = 0.25
# A run stopped by --max-steps before this many optimizer steps is a smoke test of the
# chain, not a measurement.
SMOKE_STEPS = 50


@dataclass(frozen=True)
class RunWarning:
    """Something that makes a run's scores not what they seem; ``degenerate`` ones void it."""

    code: str
    """``one-label``, ``dev-near-chance`` (degenerate); ``label-skew``, ``retried``,
    ``no-dev``, ``smoke-run`` (notes)."""
    message: str
    degenerate: bool

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "degenerate": self.degenerate}


def label_skew(predictions: RunPredictions) -> RunWarning | None:
    """The label a run over-predicts most, when it does so by ``SKEW_EXCESS`` or more."""
    rows = len(predictions.rows)
    gold = Counter(predictions.gold)
    worst = None
    for label, count in Counter(predictions.pred).items():
        share, gold_share = count / rows, gold.get(label, 0) / rows
        if share >= gold_share + SKEW_EXCESS and share >= 2 * gold_share:
            if worst is None or share - gold_share > worst[1] - worst[2]:
                worst = (label, share, gold_share)
    if worst is None:
        return None
    label, share, gold_share = worst
    return RunWarning(
        "label-skew", f"predicts {label!r} for {100 * share:.0f}% of the test rows, which "
        f"hold {100 * gold_share:.0f}% of it: a bias towards one label (often synthetic rows "
        "whose translated words mostly come from that label's vocabulary)", False)


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
        elif (skew := label_skew(predictions)) is not None:
            found.append(skew)
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
    if run and not (run.get("config") or {}).get("dev"):
        found.append(RunWarning(
            "no-dev", "trained without a dev set: no early stopping and no model selection",
            False))
    steps = run.get("steps")
    # Cut short on purpose (--max-steps) and tiny: a run that trained its epochs to the
    # end on a small data set (the demo) is a result, however few its steps.
    cut_short = (run.get("config") or {}).get("max_steps") is not None
    if isinstance(steps, int) and steps < SMOKE_STEPS and cut_short:
        found.append(RunWarning(
            "smoke-run", f"only {steps} optimizer steps: a smoke test of the chain, not a "
            "measurement", False))
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
    slots: SlotMetrics | None = None
    """Slot F1, exact match and per-slot-type scores (runs with a slot head, on test rows
    with slot markup); None otherwise."""
    slot_rows: SlotRows | None = field(default=None, repr=False)
    vs_baseline_run: str | None = None
    """The baseline run ``vs_baseline`` compares with alone (the same training seed's);
    None: the baseline group's mean (or this run is in the baseline group)."""

    @property
    def degenerate(self) -> bool:
        """Whether the run's scores are void (collapsed or untrained): see ``warnings``."""
        return any(w.degenerate for w in self.warnings)

    def as_dict(self) -> dict:
        metrics = self.metrics.as_dict()
        if self.slots is not None:
            metrics["slots"] = self.slots.as_dict()
        return {
            "name": self.name,
            "run": self.predictions.run,
            "degenerate": self.degenerate,
            "warnings": [w.as_dict() for w in self.warnings],
            "metrics": metrics,
            "vs_baseline": [d.as_dict() for d in self.vs_baseline],
            "vs_baseline_run": self.vs_baseline_run,
            "provenance": self.provenance,
        }


@dataclass
class GroupResult:
    """Runs of one configuration, one per seed, summarised; ``vs_baseline`` is empty for the
    baseline group itself. ``scores`` maps ``accuracy`` and ``macro_f1`` (and, when every
    run of the group is scored on slots, ``slot_f1`` and ``exact_match``) to their
    :class:`GroupScore` (mean ± sd over the runs, pooled interval)."""

    name: str
    runs: list[RunResult]
    scores: dict[str, GroupScore]
    vs_baseline: list[Difference] = field(default_factory=list)

    @property
    def degenerate_runs(self) -> list[RunResult]:
        return [run for run in self.runs if run.degenerate]

    @property
    def degenerate(self) -> bool:
        """A degenerate run voids the group: its mean mixes a non-result into the others."""
        return bool(self.degenerate_runs)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "runs": [run.name for run in self.runs],
            "degenerate": self.degenerate,
            "degenerate_runs": [run.name for run in self.degenerate_runs],
            "metrics": {metric: score.as_dict() for metric, score in self.scores.items()},
            "vs_baseline": [d.as_dict() for d in self.vs_baseline],
        }


@dataclass
class Evaluation:
    """Runs scored on the same test rows; ``runs[0]`` is the first run of the baseline group.

    ``groups`` partitions ``runs`` in order (``groups[0]`` is the baseline group); when it
    is empty every run is its own group.
    """

    data: dict
    runs: list[RunResult]
    bootstrap: BootstrapConfig
    created: str = ""
    groups: list[GroupResult] = field(default_factory=list)

    @property
    def baseline(self) -> RunResult:
        return self.runs[0]

    @property
    def baseline_group(self) -> GroupResult | None:
        return self.groups[0] if self.groups else None

    @property
    def has_slots(self) -> bool:
        """Whether any run is scored on slots."""
        return any(run.slots is not None for run in self.runs)

    @property
    def grouped(self) -> bool:
        """Whether any group has several runs (then group means are the headline)."""
        return any(len(group.runs) > 1 for group in self.groups)

    def group_of(self, run: RunResult) -> GroupResult | None:
        return next((g for g in self.groups if any(r is run for r in g.runs)), None)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "data": self.data,
            "bootstrap": {"resamples": self.bootstrap.resamples, "level": self.bootstrap.level,
                          "seed": self.bootstrap.seed},
            "baseline": self.baseline.name,
            "baseline_group": self.groups[0].name if self.groups else self.baseline.name,
            "groups": [g.as_dict() for g in self.groups],
            "runs": [r.as_dict() for r in self.runs],
        }

    @property
    def degenerate_runs(self) -> list[RunResult]:
        return [run for run in self.runs if run.degenerate]

    @property
    def degenerate_groups(self) -> list[GroupResult]:
        return [group for group in self.groups if group.degenerate]

    def problems(self) -> list[str]:
        """One line per degenerate run and reason: why its scores are not a result."""
        lines = []
        for run in self.runs:
            group = self.group_of(run)
            where = (f" (group {group.name})" if group is not None and len(group.runs) > 1
                     else "")
            lines += [f"{run.name}{where}: {w.message}" for w in run.warnings if w.degenerate]
        return lines

    def summary(self) -> list[str]:
        """One line per run: accuracy with interval, and the gain over the baseline."""
        lines = []
        for run in self.runs:
            acc = run.metrics.accuracy
            line = (f"{run.name}: accuracy {100 * acc.estimate:.1f} "
                    f"[{100 * acc.low:.1f}, {100 * acc.high:.1f}]")
            line += _accuracy_gain(run.vs_baseline)
            if run.vs_baseline_run is not None and run.vs_baseline:
                line += f" vs {run.vs_baseline_run}"
            if run.slots is not None:
                for metric in SLOT_METRICS:
                    iv = getattr(run.slots, metric)
                    line += (f", {SLOT_METRIC_NAMES[metric]} {100 * iv.estimate:.1f} "
                             f"[{100 * iv.low:.1f}, {100 * iv.high:.1f}]")
            if run.degenerate:
                line += " (DEGENERATE: not a result)"
            lines.append(line)
        return lines

    def group_summary(self) -> list[str]:
        """One line per group: accuracy mean ± sd [pooled interval], and the gain."""
        lines = []
        for group in self.groups:
            acc = group.scores["accuracy"]
            spread = "" if acc.sd is None else f" ± {100 * acc.sd:.1f}"
            line = (f"{group.name} ({len(group.runs)} run{'s' * (len(group.runs) > 1)}): "
                    f"accuracy {100 * acc.mean:.1f}{spread} "
                    f"[{100 * acc.low:.1f}, {100 * acc.high:.1f}]")
            line += _accuracy_gain(group.vs_baseline)
            if group.degenerate:
                line += " (DEGENERATE: not a result)"
            lines.append(line)
        return lines


def _accuracy_gain(differences: list[Difference]) -> str:
    """``, gain +x.y points [low, high]`` for the accuracy difference ('' when absent)."""
    return "".join(f", gain {100 * d.estimate:+.1f} points [{100 * d.low:+.1f}, "
                   f"{100 * d.high:+.1f}]" for d in differences if d.metric == "accuracy")
