"""``lexi eval``: score one or more runs on the same test set, side by side.

Runs come in groups (one run per training seed; a plain run is a group of one). The first
group is the baseline; every other group, and every run outside it, gets a paired
difference against it. Outputs in the report directory: ``metrics.json``,
``predictions/<run>.jsonl``, ``report.md`` and ``report.html``
(:mod:`lexi.evaluate.output`). Runs trained with a slot
head are also scored on slots (:mod:`lexi.evaluate.slot_metrics`) where the test rows have
slot markup; intent-only runs are scored exactly as before.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from lexi.data.readers import detect_format, read_dataset
from lexi.errors import LexiError
from lexi.evaluate.groups import GroupSpec, as_group_spec, group_names, parse_group_spec
from lexi.evaluate.metrics import (
    BootstrapConfig,
    Difference,
    GroupScore,
    compute_metrics,
    group_difference,
    group_score,
)
from lexi.evaluate.output import check_output_dir, write_evaluation
from lexi.evaluate.predictions import RunPredictions, predict_run, read_predictions
from lexi.evaluate.results import Evaluation, GroupResult, RunResult, RunWarning, run_warnings
from lexi.evaluate.slot_metrics import (
    SLOT_METRICS,
    SlotRows,
    compute_slot_metrics,
    slot_difference,
    slot_group_score,
    slot_rows,
)
from lexi.io import file_sha256
from lexi.model.slots import has_slot_markup

# Files lexi writes in a folder it can evaluate that describe the model (shown as
# provenance): a run's ``run.json``; an exported folder's top-level ``config.json``.
RUN_DESCRIPTION_FILES = ("config.json", "run.json")
# The metrics that get group means and gains (both are in metrics.METRICS).
GROUP_METRICS = ("accuracy", "macro_f1")

# Names other modules import from here (their homes: groups, results, output).
__all__ = ["Evaluation", "GroupResult", "GroupSpec", "RunResult", "RunWarning",
           "check_output_dir", "evaluate_prediction_files", "evaluate_predictions",
           "evaluate_runs", "parse_group_spec", "run_provenance", "write_evaluation"]


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


def training_seed(described: dict) -> str | None:
    """The training seed a run's ``run.json`` records (as text), or None."""
    config = (described.get("run.json") or {}).get("config") or {}
    seed = config.get("seed") if isinstance(config, dict) else None
    return None if seed is None else str(seed)


def same_seed_baseline(seeds: Sequence[str | None], baseline_size: int,
                       index: int) -> int | None:
    """The baseline run to compare run ``index`` with alone: the one baseline run of the
    same training seed, when the baseline group has several runs and exactly one has that
    seed; None (the group's mean) otherwise. The seed's luck (head and adapter
    initialisation, data order) is then on both sides of the gain."""
    if baseline_size < 2 or index >= len(seeds) or seeds[index] is None:
        return None
    same = [k for k in range(baseline_size) if seeds[k] == seeds[index]]
    return same[0] if len(same) == 1 else None


def _unique_names(predictions: Sequence[RunPredictions]) -> list[str]:
    """Short run names for tables; the full path is kept when two short names collide."""
    names = [p.name for p in predictions]
    return [p.run if names.count(n) > 1 else n for p, n in zip(predictions, names, strict=True)]


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


def evaluate_predictions(
    predictions: Sequence[RunPredictions], data: dict | None = None,
    bootstrap: BootstrapConfig | None = None, provenance: Sequence[dict] | None = None,
    groups: Sequence[tuple[str | None, int]] | None = None,
) -> Evaluation:
    """Score saved predictions; all runs must cover the same test rows in the same order.

    ``groups`` partitions ``predictions`` in order: (name, how many of the next runs);
    a ``None`` name is the name of the group's only run. Without it every run is its own
    group. The first group is the baseline: every later group gets the paired difference
    against the baseline group's mean, and so does every run outside the baseline group,
    except that a run whose training seed (``provenance``'s ``run.json``) is the seed of
    exactly one baseline run is compared with that run alone (:func:`same_seed_baseline`):
    seed groups are paired per seed as well as per row.
    """
    bootstrap = bootstrap or BootstrapConfig()
    if not predictions:
        raise LexiError("no runs to evaluate", hint="give at least one --run or --predictions")
    groups = list(groups) if groups is not None else [(None, 1)] * len(predictions)
    run_names = _unique_names(predictions)
    names = group_names(groups, run_names)
    base = predictions[0]
    for other in predictions[1:]:
        if [r.id for r in other.rows] != [r.id for r in base.rows]:
            raise LexiError(f"runs {base.run} and {other.run} were not scored on the same rows",
                            hint="evaluate them on the same --data and --split")
    baseline_size = groups[0][1]
    baseline_preds = [p.pred for p in predictions[:baseline_size]]
    counts = [slot_rows(p) for p in predictions]
    baseline_slots = counts[:baseline_size]
    seeds = [training_seed(described) for described in provenance] if provenance else []
    results = []
    for i, (pred, name) in enumerate(zip(predictions, run_names, strict=True)):
        metrics = compute_metrics(pred.gold, pred.pred, pred.labels or None, bootstrap)
        # Against the baseline group's mean (with a baseline of one run exactly
        # metrics.paired_difference, as before groups existed), or the same seed's run.
        against = None if i < baseline_size else same_seed_baseline(seeds, baseline_size, i)
        pick = range(baseline_size) if against is None else [against]
        diffs = [] if i < baseline_size else [
            group_difference(base.gold, [baseline_preds[k] for k in pick], [pred.pred],
                             metric, bootstrap) for metric in GROUP_METRICS
        ] + _slot_gains([baseline_slots[k] for k in pick], [counts[i]], bootstrap)
        described = dict(provenance[i]) if provenance else {"path": pred.run}
        results.append(RunResult(name, pred, metrics, diffs, described,
                                 run_warnings(pred, described),
                                 compute_slot_metrics(pred, bootstrap), counts[i],
                                 None if against is None else run_names[against]))
    group_results: list[GroupResult] = []
    start = 0
    for k, (group_name, (_, size)) in enumerate(zip(names, groups, strict=True)):
        members = results[start:start + size]
        start += size
        if k == 0:
            diffs = []
        elif size == 1 and members[0].vs_baseline_run is None:
            diffs = list(members[0].vs_baseline)  # the same computation, done once
        else:  # a group's gain is against the baseline group's mean, whatever its seeds
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
    specs = [as_group_spec(run) for run in runs]
    run_dirs = [member for spec in specs for member in spec.members]
    for run in run_dirs:
        if not Path(run).is_dir():
            raise LexiError("run directory not found", path=run,
                            hint="train one with `lexi train ... -o DIR`")
    # Everything that can be refused is refused before minutes of prediction, not after.
    groups = [(spec.name, len(spec.members)) for spec in specs]
    group_names(groups, _unique_names([RunPredictions(run, []) for run in run_dirs]))
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
    specs = [as_group_spec(item) for item in files]
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


