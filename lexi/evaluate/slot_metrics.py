"""MASSIVE's slot metrics with bootstrap intervals: span micro-F1 and exact match.

- **slot F1**: micro-averaged F1 over slot spans; a predicted span counts as correct when
  its start, end and slot type all equal a gold span's (seqeval's definition, computed on
  character spans: for spans that fall on words it is seqeval's figure over word-level
  BIO tags, a test checks the agreement). Gold spans are scored without surrounding
  whitespace (:func:`lexi.model.slots.scored_spans`).
- **exact match**: share of rows whose intent *and* whole set of slot spans are right.
- **per slot type**: precision, recall and F1 of each slot type (support = gold spans).

Only rows whose slots are known (MASSIVE rows with ``annot_utt``) are scored. Each run's
rows are reduced once to per-row counts (:class:`SlotRows`), so a bootstrap resample is a
few numpy sums; the resamples are the row draws of :mod:`lexi.evaluate.metrics` (same
seed, same rows), and paired differences and seed-group scores work as they do there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from lexi.evaluate.metrics import (
    BootstrapConfig,
    Difference,
    GroupScore,
    Interval,
    _percentiles,
    _resample_indices,
    mean_and_sd,
)
from lexi.evaluate.predictions import RunPredictions
from lexi.model.slots import scored_spans

SLOT_METRICS = ("slot_f1", "exact_match")
SLOT_METRIC_NAMES = {"slot_f1": "slot F1", "exact_match": "exact match"}


@dataclass(frozen=True)
class SlotScores:
    """Precision, recall and F1 of one slot type; ``support`` is its count of gold spans."""

    slot: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


@dataclass
class SlotMetrics:
    """Slot scores of one run on the rows with slot markup (``rows`` of them)."""

    rows: int
    slot_f1: Interval
    exact_match: Interval
    precision: float
    recall: float
    per_slot: list[SlotScores]

    def as_dict(self) -> dict:
        return {"rows": self.rows, "slot_f1": self.slot_f1.as_dict(),
                "exact_match": self.exact_match.as_dict(), "precision": self.precision,
                "recall": self.recall, "per_slot": [asdict(s) for s in self.per_slot]}


@dataclass(frozen=True)
class SlotRows:
    """One run's per-row counts: correct, predicted and gold spans, whether the row is an
    exact match, whether it is scored at all (``marked``: its slots are known)."""

    correct: np.ndarray
    predicted: np.ndarray
    gold: np.ndarray
    exact: np.ndarray
    marked: np.ndarray


def _f1(correct: float, predicted: float, gold: float) -> tuple[float, float, float]:
    """Precision, recall, F1 from counts (0 where undefined, as seqeval and metrics.py)."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * correct / (predicted + gold) if correct else 0.0
    return precision, recall, f1


def slot_rows(predictions: RunPredictions) -> SlotRows | None:
    """Per-row counts of a run that predicted slots; None for an intent-only run or a test
    set without slot markup."""
    if not predictions.rows or any(r.pred_slots is None for r in predictions.rows):
        return None
    counts = []
    for row in predictions.rows:
        if row.gold_slots is None:
            counts.append((0, 0, 0, False, False))
            continue
        gold = scored_spans(row.text, row.gold_slots)
        pred = scored_spans(row.text, row.pred_slots or ())
        correct = len(gold & pred)
        counts.append((correct, len(pred), len(gold), row.gold == row.pred and gold == pred,
                       True))
    if not any(marked for *_, marked in counts):
        return None
    columns = list(zip(*counts, strict=True))
    return SlotRows(*(np.array(c, dtype=np.int64) for c in columns[:3]),
                    np.array(columns[3], dtype=bool), np.array(columns[4], dtype=bool))


def _values(rows: SlotRows, metric: str, idx: np.ndarray | None = None) -> np.ndarray | float:
    """``metric`` on rows ``idx`` (``[resamples, n]`` → one value per resample), or on
    every row when ``idx`` is None."""
    def total(column: np.ndarray) -> np.ndarray:
        return column.sum() if idx is None else column[idx].sum(axis=-1)

    if metric == "slot_f1":
        correct, spans = total(rows.correct), total(rows.predicted) + total(rows.gold)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(correct > 0, 2 * correct / np.maximum(spans, 1), 0.0)
    else:
        marked = total(rows.marked)
        value = np.where(marked > 0, total(rows.exact) / np.maximum(marked, 1), 0.0)
    return float(value) if idx is None else value


def compute_slot_metrics(predictions: RunPredictions, config: BootstrapConfig | None = None
                         ) -> SlotMetrics | None:
    """Slot F1 and exact match with intervals, and per-slot-type scores; None when the run
    predicted no slots or the test rows have no slot markup."""
    config = config or BootstrapConfig()
    rows = slot_rows(predictions)
    if rows is None:
        return None
    correct: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    gold: Counter[str] = Counter()
    for row in predictions.rows:
        if row.gold_slots is None:
            continue
        gold_set = scored_spans(row.text, row.gold_slots)
        pred_set = scored_spans(row.text, row.pred_slots or ())
        gold.update(s.name for s in gold_set)
        predicted.update(s.name for s in pred_set)
        correct.update(s.name for s in gold_set & pred_set)
    per_slot = [SlotScores(name, *_f1(correct[name], predicted[name], gold[name]),
                           gold[name], predicted[name])
                for name in sorted(set(gold) | set(predicted))]
    precision, recall, _ = _f1(rows.correct.sum(), rows.predicted.sum(), rows.gold.sum())
    return SlotMetrics(int(rows.marked.sum()), _interval(rows, "slot_f1", config),
                       _interval(rows, "exact_match", config), float(precision), float(recall),
                       per_slot)


def _interval(rows: SlotRows, metric: str, config: BootstrapConfig) -> Interval:
    estimate = _values(rows, metric)
    n = len(rows.marked)
    if n == 0 or config.resamples == 0:
        return Interval(estimate, estimate, estimate)
    low, high = _percentiles(_values(rows, metric, _resample_indices(n, config)), config.level)
    return Interval(estimate, low, high)


def slot_group_score(runs: Sequence[SlotRows], metric: str,
                     config: BootstrapConfig | None = None) -> GroupScore:
    """Mean ± sd of a slot metric over a group's runs, with the pooled bootstrap interval of
    the mean (as :func:`lexi.evaluate.metrics.group_score`)."""
    config = config or BootstrapConfig()
    per_run = tuple(float(_values(rows, metric)) for rows in runs)
    mean, sd = mean_and_sd(per_run)
    n = len(runs[0].marked)
    if n == 0 or config.resamples == 0:
        return GroupScore(metric, mean, sd, mean, mean, per_run)
    idx = _resample_indices(n, config)
    means = np.mean([_values(rows, metric, idx) for rows in runs], axis=0)
    low, high = _percentiles(means, config.level)
    return GroupScore(metric, mean, sd, low, high, per_run)


def slot_difference(baseline: Sequence[SlotRows], other: Sequence[SlotRows], metric: str,
                    config: BootstrapConfig | None = None) -> Difference:
    """Group mean of ``other`` minus that of ``baseline`` (one run each: a plain paired
    difference), every run scored on the same resampled rows; ``p_value`` as in
    :func:`lexi.evaluate.metrics.paired_difference`."""
    config = config or BootstrapConfig()
    estimate = (float(np.mean([_values(rows, metric) for rows in other]))
                - float(np.mean([_values(rows, metric) for rows in baseline])))
    n = len(baseline[0].marked)
    if n == 0 or config.resamples == 0:
        return Difference(metric, estimate, estimate, estimate, float(estimate <= 0))
    idx = _resample_indices(n, config)
    diffs = (np.mean([_values(rows, metric, idx) for rows in other], axis=0)
             - np.mean([_values(rows, metric, idx) for rows in baseline], axis=0))
    low, high = _percentiles(diffs, config.level)
    return Difference(metric, estimate, low, high, float(np.mean(diffs <= 0)))
