"""``lexi eval``: score one or more runs on the same test set, side by side.

Runs come in groups (one run per training seed; a plain run is a group of one). The first
group is the baseline; every other group, and every run outside it, gets a paired
difference against it. Outputs in the report directory: ``metrics.json``,
``predictions/<run>.jsonl``, ``report.md`` and ``report.html``. Runs trained with a slot
head are also scored on slots (:mod:`lexi.evaluate.slot_metrics`) where the test rows have
slot markup; intent-only runs are scored exactly as before.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lexi.data.readers import detect_format, read_dataset
from lexi.errors import LexiError
from lexi.evaluate.metrics import (
    BootstrapConfig,
    Difference,
    GroupScore,
    Metrics,
    compute_metrics,
    group_difference,
    group_score,
)
from lexi.evaluate.predictions import (
    RunPredictions,
    predict_run,
    read_predictions,
    write_predictions,
)
from lexi.evaluate.slot_metrics import (
    SLOT_METRIC_NAMES,
    SLOT_METRICS,
    SlotMetrics,
    SlotRows,
    compute_slot_metrics,
    slot_difference,
    slot_group_score,
    slot_rows,
)
from lexi.io import atomic_write, file_sha256
from lexi.model.slots import has_slot_markup

# Files a run directory may hold that describe how it was trained (shown as provenance).
RUN_DESCRIPTION_FILES = ("train_config.json", "config.json", "run.json", "metadata.json")
# A run that gives one label to at least this share of the test rows (when the gold labels
# are not that skewed) has collapsed: its accuracy is the label's frequency, not a result.
COLLAPSE_SHARE = 0.9
# Source dev accuracy at most this multiple of chance (the larger of 1/K and the dev
# majority rate) means the model learned next to nothing, whatever it scores on the target.
NEAR_CHANCE_FACTOR = 1.5
# A run stopped by --max-steps before this many optimizer steps is a smoke test of the
# chain, not a measurement.
SMOKE_STEPS = 50


@dataclass(frozen=True)
class RunWarning:
    """Something that makes a run's scores not what they seem; ``degenerate`` ones void it."""

    code: str
    """``one-label``, ``dev-near-chance`` (degenerate); ``retried``, ``no-dev``,
    ``smoke-run`` (notes)."""
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
            for diff in run.vs_baseline:
                if diff.metric == "accuracy":
                    line += (f", gain {100 * diff.estimate:+.1f} points "
                             f"[{100 * diff.low:+.1f}, {100 * diff.high:+.1f}]")
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
            for diff in group.vs_baseline:
                if diff.metric == "accuracy":
                    line += (f", gain {100 * diff.estimate:+.1f} points "
                             f"[{100 * diff.low:+.1f}, {100 * diff.high:+.1f}]")
            if group.degenerate:
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


# Characters that make an item of a run list a glob pattern.
GLOB_CHARS = "*?["
# The metrics that get group means and gains (both are in metrics.METRICS).
GROUP_METRICS = ("accuracy", "macro_f1")


@dataclass(frozen=True)
class GroupSpec:
    """Runs (or saved prediction files) evaluated as one group, one per training seed.

    ``name`` is ``None`` for a group of one named after its run (a plain ``--run DIR``).
    """

    name: str | None
    members: tuple[str, ...]


def parse_group_spec(spec: str) -> GroupSpec:
    """``NAME=DIR[,DIR...]`` or a plain ``DIR`` (a group of one), as ``--run`` takes it.

    Items with ``*``, ``?`` or ``[`` are glob patterns, expanded in sorted order. A spec
    that is an existing path is taken whole, so a directory whose name holds ``=`` or
    ``,`` still works as a plain run.
    """
    if os.path.exists(spec):
        return GroupSpec(None, (spec,))
    name, sep, rest = spec.partition("=")
    name = name.strip()
    if not sep or "/" in name or os.sep in name:
        name, rest = None, spec  # an '=' inside a path, not a group name
    elif not name:
        raise LexiError(f"empty group name in {spec!r}", hint="NAME=DIR[,DIR...]")
    items = [item.strip() for item in rest.split(",") if item.strip()]
    if not items:
        raise LexiError(f"no runs in {spec!r}", hint="NAME=DIR[,DIR...]")
    members: list[str] = []
    for item in items:
        if any(c in item for c in GLOB_CHARS):
            matches = sorted(glob.glob(item))
            if not matches:
                raise LexiError(f"no run matches {item!r}", hint="check the pattern (quote it "
                                "so that lexi, not the shell, expands it)")
            members += matches
        else:
            members.append(item)
    repeated = sorted({m for m in members if members.count(m) > 1})
    if repeated:
        # The same run twice would weigh one seed double in the mean and fake a small sd.
        raise LexiError(f"{repeated[0]} is listed twice in {spec!r}")
    if name is None and len(members) > 1:
        raise LexiError(f"{len(members)} runs in {spec!r} but no group name",
                        hint=f"name the group: NAME={spec}")
    return GroupSpec(name, tuple(members))


def _as_spec(item: str | Path | GroupSpec) -> GroupSpec:
    """A plain path (the Python API's form) is a group of one, never parsed."""
    return item if isinstance(item, GroupSpec) else GroupSpec(None, (str(item),))


def _group_scores(runs: Sequence[RunResult], bootstrap: BootstrapConfig) -> dict[str, GroupScore]:
    slotted = all(run.slot_rows is not None and run.slots is not None for run in runs)
    if len(runs) == 1:
        # A group of one is its run: same row draws, so the same interval (no second bootstrap).
        iv = {m: getattr(runs[0].metrics, m) for m in GROUP_METRICS}
        if slotted:
            iv.update({m: getattr(runs[0].slots, m) for m in SLOT_METRICS})
        return {m: GroupScore(m, i.estimate, None, i.low, i.high, (i.estimate,))
                for m, i in iv.items()}
    gold = runs[0].predictions.gold
    preds = [run.predictions.pred for run in runs]
    scores = {m: group_score(gold, preds, m, bootstrap) for m in GROUP_METRICS}
    if slotted:
        scores.update({m: slot_group_score([run.slot_rows for run in runs], m, bootstrap)
                       for m in SLOT_METRICS})
    return scores


def _slot_gains(baseline: Sequence[SlotRows | None], other: Sequence[SlotRows | None],
                bootstrap: BootstrapConfig) -> list[Difference]:
    """Paired slot F1 and exact match gains, when both sides were scored on slots."""
    if not baseline or not other or any(r is None for r in (*baseline, *other)):
        return []
    return [slot_difference(baseline, other, metric, bootstrap) for metric in SLOT_METRICS]


def _group_names(groups: Sequence[tuple[str | None, int]], run_names: Sequence[str]) -> list[str]:
    """Each group's name (a group of one may take its run's); checked before any scoring."""
    if any(size < 1 for _, size in groups) or sum(size for _, size in groups) != len(run_names):
        raise LexiError(f"groups of {[size for _, size in groups]} runs do not partition "
                        f"{len(run_names)} runs")
    names, start = [], 0
    for name, size in groups:
        if name is None and size > 1:
            raise LexiError(f"a group of {size} runs needs a name")
        names.append(name if name is not None else run_names[start])
        start += size
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise LexiError(f"two groups are named {repeated[0]!r}", hint="give each group its "
                        "own NAME= (a plain run's group is named after its directory)")
    return names


def evaluate_predictions(
    predictions: Sequence[RunPredictions], data: dict | None = None,
    bootstrap: BootstrapConfig | None = None, provenance: Sequence[dict] | None = None,
    groups: Sequence[tuple[str | None, int]] | None = None,
) -> Evaluation:
    """Score saved predictions; all runs must cover the same test rows in the same order.

    ``groups`` partitions ``predictions`` in order: (name, how many of the next runs);
    a ``None`` name is the name of the group's only run. Without it every run is its own
    group. The first group is the baseline: every later group, and every run outside the
    baseline group, gets the paired difference against the baseline group's mean.
    """
    bootstrap = bootstrap or BootstrapConfig()
    if not predictions:
        raise LexiError("no runs to evaluate", hint="give at least one --run or --predictions")
    groups = list(groups) if groups is not None else [(None, 1)] * len(predictions)
    run_names = _unique_names(predictions)
    group_names = _group_names(groups, run_names)
    base = predictions[0]
    for other in predictions[1:]:
        if [r.id for r in other.rows] != [r.id for r in base.rows]:
            raise LexiError(f"runs {base.run} and {other.run} were not scored on the same rows",
                            hint="evaluate them on the same --data and --split")
    baseline_size = groups[0][1]
    baseline_preds = [p.pred for p in predictions[:baseline_size]]
    counts = [slot_rows(p) for p in predictions]
    baseline_slots = counts[:baseline_size]
    results = []
    for i, (pred, name) in enumerate(zip(predictions, run_names, strict=True)):
        metrics = compute_metrics(pred.gold, pred.pred, pred.labels or None, bootstrap)
        # Against the baseline group's mean: with a baseline of one run this is exactly
        # metrics.paired_difference, as before groups existed.
        diffs = [] if i < baseline_size else [
            group_difference(base.gold, baseline_preds, [pred.pred], metric, bootstrap)
            for metric in GROUP_METRICS
        ] + _slot_gains(baseline_slots, [counts[i]], bootstrap)
        described = dict(provenance[i]) if provenance else {"path": pred.run}
        results.append(RunResult(name, pred, metrics, diffs, described,
                                 run_warnings(pred, described),
                                 compute_slot_metrics(pred, bootstrap), counts[i]))
    group_results: list[GroupResult] = []
    start = 0
    for k, (group_name, (_, size)) in enumerate(zip(group_names, groups, strict=True)):
        members = results[start:start + size]
        start += size
        if k == 0:
            diffs = []
        elif size == 1:
            diffs = list(members[0].vs_baseline)  # the same computation, done once
        else:
            diffs = [group_difference(base.gold, baseline_preds,
                                      [run.predictions.pred for run in members], metric,
                                      bootstrap) for metric in GROUP_METRICS]
            diffs += _slot_gains(baseline_slots, [run.slot_rows for run in members], bootstrap)
        group_results.append(GroupResult(group_name, members,
                                         _group_scores(members, bootstrap), diffs))
    return Evaluation(
        data=dict(data or {}), runs=results, bootstrap=bootstrap,
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        groups=group_results,
    )


def evaluate_runs(
    runs: Sequence[str | Path | GroupSpec], data: str | Path, split: str | None = "test",
    output_dir: str | Path | None = None, format: str = "auto",
    text_field: str | None = None, label_field: str | None = None,
    bootstrap: BootstrapConfig | None = None, batch_size: int = 64, overwrite: bool = False,
) -> Evaluation:
    """Predict with every run on ``data`` (rows of ``split``), score, and write the reports.

    ``runs`` are run directories (each a group of one) or :class:`GroupSpec` groups of
    runs, the first being the baseline. With ``output_dir`` the predictions,
    ``metrics.json``, ``report.md`` and ``report.html`` are written there; a non-empty
    ``output_dir`` is refused unless ``overwrite`` (see :func:`write_evaluation`).
    """
    specs = [_as_spec(run) for run in runs]
    run_dirs = [member for spec in specs for member in spec.members]
    for run in run_dirs:
        if not Path(run).is_dir():
            raise LexiError("run directory not found", path=run,
                            hint="train one with `lexi train ... -o DIR`")
    # Everything that can be refused is refused before minutes of prediction, not after.
    groups = [(spec.name, len(spec.members)) for spec in specs]
    _group_names(groups, _unique_names([RunPredictions(run, []) for run in run_dirs]))
    if output_dir is not None:
        check_output_dir(output_dir, overwrite)
    rows = list(read_dataset(str(data), format=format, text_field=text_field,
                             label_field=label_field, split=split))
    if not rows:
        raise LexiError(f"no rows{f' in split {split!r}' if split else ''}", path=data,
                        hint="check --split (MASSIVE splits: train, dev, test)")
    # Gold slots are known for MASSIVE rows with annot_utt; other rows are not slot-scored.
    massive = (format if format != "auto" else detect_format(str(data))) == "massive"
    markup = [has_slot_markup(utt, massive) for utt in rows]
    predictions = [predict_run(run, rows, batch_size=batch_size, markup=markup)
                   for run in run_dirs]
    described = {"path": str(data), "split": split, "rows": len(rows)}
    if Path(data).is_file():
        described["sha256"] = file_sha256(data)
    evaluation = evaluate_predictions(predictions, described, bootstrap,
                                      [run_provenance(run) for run in run_dirs], groups)
    if output_dir is not None:
        write_evaluation(evaluation, output_dir, overwrite)
    return evaluation


def evaluate_prediction_files(
    files: Sequence[str | Path | GroupSpec], output_dir: str | Path | None = None,
    bootstrap: BootstrapConfig | None = None, overwrite: bool = False,
) -> Evaluation:
    """Recompute metrics (and reports) from saved prediction files, without any model.

    ``files`` are prediction files (each a group of one) or :class:`GroupSpec` groups of
    them, as :func:`evaluate_runs` takes runs.
    """
    specs = [_as_spec(item) for item in files]
    paths = [member for spec in specs for member in spec.members]
    if output_dir is not None:
        check_output_dir(output_dir, overwrite)
    # Read before anything is written: the files may lie inside the directory replaced.
    predictions = [read_predictions(path) for path in paths]
    evaluation = evaluate_predictions(predictions, {"predictions": paths}, bootstrap,
                                      groups=[(spec.name, len(spec.members)) for spec in specs])
    if output_dir is not None:
        write_evaluation(evaluation, output_dir, overwrite)
    return evaluation


def check_output_dir(output_dir: str | Path, overwrite: bool = False) -> None:
    """Refuse a report directory that holds anything, unless it is to be replaced.

    Writing into it would leave old files (predictions of runs no longer evaluated) beside
    new ones, and nothing would tell which is which.
    """
    out = Path(output_dir)
    if not os.path.lexists(out):
        return
    if not out.is_dir():
        raise LexiError("report path exists and is not a directory", path=out,
                        hint="choose another -o")
    if not overwrite and any(out.iterdir()):
        raise LexiError("report directory is not empty", path=out,
                        hint="pass --overwrite to replace it as a whole, or choose another -o")


def _write_report_files(evaluation: Evaluation, out: Path) -> dict[str, Path]:
    from lexi.evaluate.report import render_html, render_markdown

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


def _swap_in(staging: Path, out: Path) -> None:
    """Put the finished ``staging`` directory at ``out``; an old ``out`` is removed after.

    Each rename is atomic, so ``out`` is always either the whole old report, absent for
    an instant, or the whole new one; if the second rename fails the old one is put back.
    """
    if not os.path.lexists(out):
        os.replace(staging, out)
        return
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
        os.replace(staging, out)
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, trash / out.name)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(trash / out.name, out)
        trash.rmdir()
        raise
    shutil.rmtree(trash, ignore_errors=True)


def write_evaluation(
    evaluation: Evaluation, output_dir: str | Path, overwrite: bool = False,
) -> dict[str, Path]:
    """Write predictions, ``metrics.json``, ``report.md`` and ``report.html``; returns paths.

    A non-empty ``output_dir`` is refused unless ``overwrite``. The report is written
    into a temporary sibling directory and renamed into place, so a failure half-way
    never leaves a mix of old and new files.
    """
    out = Path(output_dir)
    check_output_dir(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        # mkdtemp makes the directory 0700; give it the mode an ordinary mkdir would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        written = _write_report_files(evaluation, staging)
        _swap_in(staging, out)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
        raise
    return {key: out / path.relative_to(staging) for key, path in written.items()}
