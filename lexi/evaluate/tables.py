"""The figures of a report, formatted: the headline sentence and the rows of every table
(runs, groups, per label, slots, per slot type), shared by ``report.md`` and ``report.html``
(:mod:`lexi.evaluate.report`). Scores are shown in %, with 95% intervals and paired gains.
"""

from __future__ import annotations

from lexi.evaluate.metrics import Difference, GroupScore
from lexi.evaluate.results import Evaluation, GroupResult, RunResult

TOP_CONFUSIONS = 12


def pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _interval(iv) -> str:
    return f"{pct(iv.estimate)} [{pct(iv.low)}, {pct(iv.high)}]"


def p_value_text(value: float) -> str:
    """A resampling p-value: 0 of 1,000 resamples means below 1/1,000, not zero."""
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _spread(score: GroupScore) -> str:
    """``mean ± sd [low, high]``; a group of one has no sd to show."""
    sd = "" if score.sd is None else f" ± {pct(score.sd)}"
    return f"{pct(score.mean)}{sd} [{pct(score.low)}, {pct(score.high)}]"


def _gain(result: RunResult | GroupResult, metric: str = "accuracy") -> str:
    for diff in result.vs_baseline:
        if diff.metric == metric:
            return (f"{100 * diff.estimate:+.1f} [{100 * diff.low:+.1f}, {100 * diff.high:+.1f}]"
                    f" ({p_value_text(diff.p_value)})")
    return "—"


def _verdict(diff: Difference, evaluation: Evaluation | None = None) -> str:
    if evaluation is not None and any(w.code == "smoke-run" for run in evaluation.runs
                                      for w in run.warnings):
        return "from a smoke run, so no verdict"
    return ("a significant gain" if diff.low > 0 else
            "a significant loss" if diff.high < 0 else "no significant difference")


def runs_word(group: GroupResult) -> str:
    return f"{len(group.runs)} run" + ("s" if len(group.runs) > 1 else "")


def _group_headline(evaluation: Evaluation) -> str:
    """Baseline group vs the last group: means over seeds and the paired gain of means."""
    base = evaluation.groups[0]
    base_acc = base.scores["accuracy"]
    n = evaluation.baseline.metrics.n
    if len(evaluation.groups) == 1:
        return (f"{base.name} ({runs_word(base)}): accuracy {_spread(base_acc)} on {n} rows.")
    last = evaluation.groups[-1]
    last_acc = last.scores["accuracy"]
    diff = next(d for d in last.vs_baseline if d.metric == "accuracy")
    sd = {g.name: "" if g.scores["accuracy"].sd is None
          else f" ± {pct(g.scores['accuracy'].sd)}" for g in (base, last)}
    return (f"Mean accuracy {pct(base_acc.mean)}{sd[base.name]} ({base.name}, "
            f"{runs_word(base)}) → {pct(last_acc.mean)}{sd[last.name]} ({last.name}, "
            f"{runs_word(last)}): {100 * diff.estimate:+.1f} points, 95% CI "
            f"[{100 * diff.low:+.1f}, {100 * diff.high:+.1f}], {_verdict(diff, evaluation)}, "
            f"on {n} test rows.")


def headline(evaluation: Evaluation) -> str:
    """One sentence: baseline vs the last (augmented) run or group, and the gain."""
    if evaluation.degenerate_runs:
        names = ", ".join(run.name for run in evaluation.degenerate_runs)
        groups = [g.name for g in evaluation.degenerate_groups if len(g.runs) > 1]
        voided = (f"; the mean of group{'s' * (len(groups) > 1)} {', '.join(groups)} is not "
                  "a result either" if groups else "")
        return (f"No result: {names} collapsed or did not learn (see the warnings){voided}; "
                "the scores below are shown for diagnosis only.")
    if evaluation.grouped:
        return _group_headline(evaluation)
    base = evaluation.baseline
    if len(evaluation.runs) == 1:
        return f"{base.name}: accuracy {_interval(base.metrics.accuracy)} on {base.metrics.n} rows."
    best = evaluation.runs[-1]
    diff = next(d for d in best.vs_baseline if d.metric == "accuracy")
    verdict = _verdict(diff, evaluation)
    return (f"Accuracy {pct(base.metrics.accuracy.estimate)} ({base.name}) → "
            f"{pct(best.metrics.accuracy.estimate)} ({best.name}): "
            f"{100 * diff.estimate:+.1f} points, 95% CI [{100 * diff.low:+.1f}, "
            f"{100 * diff.high:+.1f}], {verdict}, on {base.metrics.n} test rows.")


def summary_rows(evaluation: Evaluation) -> list[list[str]]:
    rows = [[r.name, _interval(r.metrics.accuracy), _interval(r.metrics.macro_f1),
             _gain(r, "accuracy"), _gain(r, "macro_f1")] for r in evaluation.runs]
    if evaluation.grouped:
        base = evaluation.groups[0]
        for row, run in zip(rows, evaluation.runs, strict=True):
            group = evaluation.group_of(run)
            row.insert(1, group.name if group else "")
            row.append(gains_against(run, base))
    return rows


def gains_against(run: RunResult, base: GroupResult) -> str:
    """Which baseline a run's gain is against: the same seed's run, or the group mean."""
    return "—" if not run.vs_baseline else run.vs_baseline_run or f"{base.name} mean"


def summary_header(evaluation: Evaluation) -> list[str]:
    if evaluation.grouped:
        return SUMMARY_HEADER[:1] + ["group"] + SUMMARY_HEADER[1:] + ["gains against"]
    return SUMMARY_HEADER


SUMMARY_HEADER = ["run", "accuracy", "macro-F1", "accuracy gain", "macro-F1 gain"]
GROUP_HEADER = ["group", "runs", "accuracy mean ± sd [95% CI]", "macro-F1 mean ± sd [95% CI]",
                "accuracy gain", "macro-F1 gain"]


def group_rows(evaluation: Evaluation) -> list[list[str]]:
    return [[g.name + (" (NOT A RESULT)" if g.degenerate else ""), str(len(g.runs)),
             _spread(g.scores["accuracy"]), _spread(g.scores["macro_f1"]),
             _gain(g, "accuracy"), _gain(g, "macro_f1")] for g in evaluation.groups]


def group_note(evaluation: Evaluation) -> str:
    base = evaluation.groups[0].name
    return (f"Mean and sample sd over each group's runs (one per seed). 95% CI: pooled "
            f"bootstrap of the group mean over test rows ({evaluation.bootstrap.resamples} "
            f"resamples, seed {evaluation.bootstrap.seed}); it does not include the seed "
            f"spread, which the sd shows. Gains: group mean minus the mean of the baseline "
            f"group {base}, the same resampled rows for every run; p is the share of "
            "resamples where the gain is ≤ 0. Per-run gains below are against the baseline "
            "run of the same training seed where there is one, else against that mean.")


def _group_f1(group: GroupResult) -> dict[str, float]:
    """Mean F1 per label over a group's runs (a label a run never scored counts 0)."""
    labels = {s.label for r in group.runs for s in r.metrics.per_label}
    return {label: sum(next((s.f1 for s in r.metrics.per_label if s.label == label), 0.0)
                       for r in group.runs) / len(group.runs) for label in labels}


def f1_gains(evaluation: Evaluation) -> dict[str, float]:
    """F1 per label, last group's mean minus the baseline group's (last run minus first
    run when every group is one run)."""
    first, last = _group_f1(evaluation.groups[0]), _group_f1(evaluation.groups[-1])
    return {label: last.get(label, 0.0) - first.get(label, 0.0)
            for label in set(first) | set(last)}


def per_label_rows(evaluation: Evaluation) -> tuple[list[str], list[list[str]]]:
    labels = sorted({s.label for r in evaluation.runs for s in r.metrics.per_label})
    header = ["label", "support"] + [f"F1 {r.name}" for r in evaluation.runs]
    compare = len(evaluation.groups) > 1 if evaluation.groups else len(evaluation.runs) > 1
    if compare:
        header.append("F1 gain (group means)" if evaluation.grouped else "F1 gain")
    gains = f1_gains(evaluation) if compare and evaluation.groups else {}
    rows = []
    for label in labels:
        scores = [next((s for s in r.metrics.per_label if s.label == label), None)
                  for r in evaluation.runs]
        support = max((s.support for s in scores if s), default=0)
        if support == 0:
            continue  # predicted but never gold: shown among confusions, not here
        row = [label, str(support)] + [pct(s.f1) if s else "0.0" for s in scores]
        if compare and gains:
            row.append(f"{100 * gains.get(label, 0.0):+.1f}")
        elif compare:  # an Evaluation built by hand, without groups
            first = scores[0].f1 if scores[0] else 0.0
            last = scores[-1].f1 if scores[-1] else 0.0
            row.append(f"{100 * (last - first):+.1f}")
        rows.append(row)
    return header, rows


SLOT_HEADER = ["run", "rows", "slot F1", "exact match", "precision", "recall",
               "slot F1 gain", "exact match gain"]
SLOT_GROUP_HEADER = ["group", "runs", "slot F1 mean ± sd [95% CI]",
                     "exact match mean ± sd [95% CI]", "slot F1 gain", "exact match gain"]


def slot_run_rows(evaluation: Evaluation) -> list[list[str]]:
    """One row per run scored on slots."""
    return [[r.name, str(r.slots.rows), _interval(r.slots.slot_f1), _interval(r.slots.exact_match),
             pct(r.slots.precision), pct(r.slots.recall), _gain(r, "slot_f1"),
             _gain(r, "exact_match")] for r in evaluation.runs if r.slots is not None]


def slot_group_rows(evaluation: Evaluation) -> list[list[str]]:
    return [[g.name + (" (NOT A RESULT)" if g.degenerate else ""), str(len(g.runs)),
             _spread(g.scores["slot_f1"]), _spread(g.scores["exact_match"]),
             _gain(g, "slot_f1"), _gain(g, "exact_match")]
            for g in evaluation.groups if "slot_f1" in g.scores]


def per_slot_rows(evaluation: Evaluation) -> tuple[list[str], list[list[str]]]:
    """F1 per slot type (rows: types with gold spans), one column per run scored on slots,
    and the last run's gain over the first one's when there are several."""
    runs = [r for r in evaluation.runs if r.slots is not None]
    header = ["slot", "support"] + [f"F1 {r.name}" for r in runs]
    if len(runs) > 1:
        header.append(f"F1 gain ({runs[-1].name} − {runs[0].name})")
    scores = [{s.slot: s for s in r.slots.per_slot} for r in runs]
    rows = []
    for slot in sorted({name for by_slot in scores for name in by_slot}):
        support = max((by_slot[slot].support for by_slot in scores if slot in by_slot),
                      default=0)
        if support == 0:
            continue  # predicted but never gold
        f1 = [by_slot[slot].f1 if slot in by_slot else 0.0 for by_slot in scores]
        row = [slot, str(support)] + [pct(value) for value in f1]
        if len(runs) > 1:
            row.append(f"{100 * (f1[-1] - f1[0]):+.1f}")
        rows.append(row)
    return header, rows


def slot_note(evaluation: Evaluation) -> str:
    return ("Scores in %, on the test rows with slot markup (MASSIVE annot_utt). Slot F1: "
            "micro F1 over spans, a span is right when its start, end and type are; exact "
            "match: the intent and every slot of the row right. 95% intervals and paired "
            f"gains: the bootstrap of the intent scores ({evaluation.bootstrap.resamples} "
            "resamples, the same rows).")


def in_group(evaluation: Evaluation, run: RunResult, degenerate: bool) -> str:
    """`` (group NAME: its mean is not a result)`` for a degenerate run in a seed group."""
    group = evaluation.group_of(run)
    if not degenerate or group is None or len(group.runs) == 1:
        return ""
    return f" (group {group.name}: its mean is not a result)"
