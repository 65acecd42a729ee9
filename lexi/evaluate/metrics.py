"""Classification metrics on plain label lists, with seeded bootstrap confidence intervals.

Everything here is pure: lists of gold and predicted labels in, dataclasses out. Labels
are encoded as integers once and the bootstrap resamples row indices, so 1,000 resamples
of a 3,000-row test set take a fraction of a second with numpy alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from lexi.errors import LexiError

# A metric over integer-encoded rows: (gold codes, predicted codes, number of labels) -> score.
MetricFn = Callable[[np.ndarray, np.ndarray, int], float]


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval (percentile bootstrap)."""

    estimate: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class LabelScores:
    """Precision, recall and F1 of one label; ``support`` is its count in the gold labels."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


@dataclass(frozen=True)
class Confusion:
    """A confusion matrix: ``matrix[i][j]`` rows with gold ``labels[i]`` predicted ``labels[j]``."""

    labels: list[str]
    matrix: list[list[int]]

    def top_confusions(self, k: int = 10) -> list[tuple[str, str, int]]:
        """The ``k`` most frequent (gold, predicted, count) errors, largest first."""
        pairs = [
            (self.labels[i], self.labels[j], count)
            for i, row in enumerate(self.matrix)
            for j, count in enumerate(row)
            if i != j and count > 0
        ]
        return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))[:k]


@dataclass
class Metrics:
    """Scores of one set of predictions against gold labels.

    ``macro_f1`` averages F1 over the labels that occur in the gold data (a label the model
    predicts but the test set lacks does not dilute it). ``unseen_labels`` are gold labels
    the model could not predict (absent from its label set); their rows count as errors.
    """

    n: int
    accuracy: Interval
    macro_f1: Interval
    per_label: list[LabelScores]
    confusion: Confusion
    unseen_labels: list[str] = field(default_factory=list)
    unseen_rows: int = 0

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "accuracy": self.accuracy.as_dict(),
            "macro_f1": self.macro_f1.as_dict(),
            "per_label": [asdict(s) for s in self.per_label],
            "confusion": asdict(self.confusion),
            "unseen_labels": self.unseen_labels,
            "unseen_rows": self.unseen_rows,
        }


@dataclass(frozen=True)
class Difference:
    """A paired difference ``other - baseline`` of one metric on the same rows.

    ``p_value`` is the share of resamples where the difference is ≤ 0 (one-sided: how often
    chance alone makes the gain vanish).
    """

    metric: str
    estimate: float
    low: float
    high: float
    p_value: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BootstrapConfig:
    """How confidence intervals are computed.

    ``resamples``: bootstrap resamples of the test rows; ``level``: interval coverage
    (0.95 → the 2.5th and 97.5th percentiles); ``seed``: makes intervals reproducible.
    """

    resamples: int = 1000
    level: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if self.resamples < 0:
            raise LexiError(f"--resamples must be 0 or more, not {self.resamples}")
        if not 0 < self.level < 1:
            raise LexiError(f"the interval level must be within (0, 1), not {self.level}")


def accuracy_score(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    """Share of rows predicted correctly."""
    return float(np.mean(gold == pred)) if len(gold) else 0.0


def macro_f1_score(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    """Mean F1 over the labels present in ``gold``."""
    _, _, f1, support = _label_counts(gold, pred, n_labels)
    present = support > 0
    return float(f1[present].mean()) if present.any() else 0.0


METRICS: dict[str, MetricFn] = {"accuracy": accuracy_score, "macro_f1": macro_f1_score}


def _label_counts(
    gold: np.ndarray, pred: np.ndarray, n_labels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-label precision, recall, F1 and support (0 where undefined, as is customary)."""
    support = np.bincount(gold, minlength=n_labels)
    predicted = np.bincount(pred, minlength=n_labels)
    true_pos = np.bincount(gold[gold == pred], minlength=n_labels)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, true_pos / np.maximum(predicted, 1), 0.0)
        recall = np.where(support > 0, true_pos / np.maximum(support, 1), 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / np.where(denom > 0, denom, 1), 0.0)
    return precision, recall, f1, support


def encode_labels(
    gold: Sequence[str], *predictions: Sequence[str]
) -> tuple[list[str], np.ndarray, list[np.ndarray]]:
    """One integer code per label, shared by the gold list and every prediction list."""
    for pred in predictions:
        if len(pred) != len(gold):
            raise LexiError(f"{len(pred)} predictions for {len(gold)} gold labels")
    labels = sorted(set(gold).union(*[set(p) for p in predictions]))
    index = {label: i for i, label in enumerate(labels)}
    gold_codes = np.array([index[g] for g in gold], dtype=np.int64)
    return labels, gold_codes, [np.array([index[p] for p in pred], dtype=np.int64)
                                for pred in predictions]


def _resample_indices(n: int, config: BootstrapConfig) -> np.ndarray:
    """``resamples × n`` row indices drawn with replacement (same seed → same draws)."""
    rng = np.random.default_rng(config.seed)
    return rng.integers(0, n, size=(config.resamples, n))


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_interval(
    gold: np.ndarray, pred: np.ndarray, n_labels: int, metric: MetricFn,
    config: BootstrapConfig | None = None,
) -> Interval:
    """The metric on all rows with its percentile-bootstrap interval."""
    config = config or BootstrapConfig()
    estimate = metric(gold, pred, n_labels)
    if len(gold) == 0 or config.resamples == 0:
        return Interval(estimate, estimate, estimate)
    draws = _resample_indices(len(gold), config)
    values = np.array([metric(gold[idx], pred[idx], n_labels) for idx in draws])
    low, high = _percentiles(values, config.level)
    return Interval(estimate, low, high)


def compute_metrics(
    gold: Sequence[str], pred: Sequence[str], known_labels: Sequence[str] | None = None,
    config: BootstrapConfig | None = None,
) -> Metrics:
    """Accuracy and macro-F1 with intervals, per-label scores and the confusion matrix.

    ``known_labels`` is the model's label set, when known: gold labels outside it are
    reported as unseen (the model cannot get those rows right).

    >>> m = compute_metrics(["a", "a", "b"], ["a", "b", "b"], config=BootstrapConfig(resamples=0))
    >>> round(m.accuracy.estimate, 3), round(m.macro_f1.estimate, 3)
    (0.667, 0.667)
    """
    config = config or BootstrapConfig()
    labels, gold_codes, (pred_codes,) = encode_labels(gold, pred)
    n_labels = len(labels)
    precision, recall, f1, support = _label_counts(gold_codes, pred_codes, n_labels)
    predicted = np.bincount(pred_codes, minlength=n_labels)
    per_label = [
        LabelScores(label, float(precision[i]), float(recall[i]), float(f1[i]),
                    int(support[i]), int(predicted[i]))
        for i, label in enumerate(labels)
    ]
    matrix = np.zeros((n_labels, n_labels), dtype=np.int64)
    np.add.at(matrix, (gold_codes, pred_codes), 1)
    unseen: list[str] = []
    unseen_rows = 0
    if known_labels is not None:
        known = set(known_labels)
        unseen = sorted({g for g in gold if g not in known})
        unseen_rows = sum(1 for g in gold if g not in known)
    return Metrics(
        n=len(gold),
        accuracy=bootstrap_interval(gold_codes, pred_codes, n_labels, accuracy_score, config),
        macro_f1=bootstrap_interval(gold_codes, pred_codes, n_labels, macro_f1_score, config),
        per_label=per_label,
        confusion=Confusion(labels, matrix.tolist()),
        unseen_labels=unseen,
        unseen_rows=unseen_rows,
    )


def paired_difference(
    gold: Sequence[str], baseline: Sequence[str], other: Sequence[str], metric: str = "accuracy",
    config: BootstrapConfig | None = None,
) -> Difference:
    """``metric(other) - metric(baseline)`` on the same rows, with a paired bootstrap interval.

    Both systems are scored on the *same* resampled rows each time, so the interval reflects
    the variance of the difference, not of each score alone (it is much narrower when the
    two systems make correlated errors).
    """
    if metric not in METRICS:
        raise LexiError(f"unknown metric {metric!r}", hint=f"one of {', '.join(METRICS)}")
    score = METRICS[metric]
    config = config or BootstrapConfig()
    labels, gold_codes, (base_codes, other_codes) = encode_labels(gold, baseline, other)
    n_labels = len(labels)
    estimate = score(gold_codes, other_codes, n_labels) - score(gold_codes, base_codes, n_labels)
    if len(gold) == 0 or config.resamples == 0:
        return Difference(metric, estimate, estimate, estimate, float(estimate <= 0))
    diffs = np.array([
        score(gold_codes[idx], other_codes[idx], n_labels)
        - score(gold_codes[idx], base_codes[idx], n_labels)
        for idx in _resample_indices(len(gold), config)
    ])
    low, high = _percentiles(diffs, config.level)
    return Difference(metric, estimate, low, high, float(np.mean(diffs <= 0)))


# --------------------------------------------------------------------------- seed groups
#
# A group is several runs of one configuration that differ only by their training seed,
# all scored on the same test rows. Two kinds of spread matter and are kept apart: the
# standard deviation over the runs (how much one run moves with the seed) and a pooled
# bootstrap interval over the test rows (how much the group's mean would move on another
# test set of the same size).


@dataclass(frozen=True)
class GroupScore:
    """One metric of a group of runs scored on the same rows.

    ``mean`` and ``sd`` are over the runs' scores (``per_run``, in group order); ``sd`` is
    the sample standard deviation (n - 1) and ``None`` for a single run, since one seed
    says nothing about seed variance. ``low``/``high`` is the pooled percentile-bootstrap
    interval of the mean: every resample of test rows scores all runs on the same rows and
    averages them.
    """

    metric: str
    mean: float
    sd: float | None
    low: float
    high: float
    per_run: tuple[float, ...]

    def as_dict(self) -> dict:
        return {"metric": self.metric, "mean": self.mean, "sd": self.sd, "low": self.low,
                "high": self.high, "per_run": list(self.per_run)}


def mean_and_sd(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (n - 1); the sd is ``None`` for a single value."""
    if not values:
        raise LexiError("a group needs at least one run")
    array = np.asarray(values, dtype=float)
    return float(array.mean()), (float(array.std(ddof=1)) if len(array) > 1 else None)


def _metric_fn(metric: str) -> MetricFn:
    if metric not in METRICS:
        raise LexiError(f"unknown metric {metric!r}", hint=f"one of {', '.join(METRICS)}")
    return METRICS[metric]


def _group_mean(
    score: MetricFn, gold: np.ndarray, preds: Sequence[np.ndarray], n_labels: int,
    idx: np.ndarray | None = None,
) -> float:
    """The metric averaged over a group's runs, on rows ``idx`` (all rows when ``None``)."""
    if idx is None:
        return float(np.mean([score(gold, pred, n_labels) for pred in preds]))
    rows = gold[idx]
    return float(np.mean([score(rows, pred[idx], n_labels) for pred in preds]))


def group_score(
    gold: Sequence[str], predictions: Sequence[Sequence[str]], metric: str = "accuracy",
    config: BootstrapConfig | None = None,
) -> GroupScore:
    """Mean ± sd of ``metric`` over a group's runs, with the pooled bootstrap interval.

    ``predictions`` holds one label list per run, all for the rows of ``gold``. The row
    draws are those of :func:`bootstrap_interval` (same seed), so a group of one run gets
    exactly that run's interval.
    """
    score = _metric_fn(metric)
    config = config or BootstrapConfig()
    if not predictions:
        raise LexiError("a group needs at least one run")
    labels, gold_codes, pred_codes = encode_labels(gold, *predictions)
    n_labels = len(labels)
    per_run = tuple(score(gold_codes, pred, n_labels) for pred in pred_codes)
    mean, sd = mean_and_sd(per_run)
    if len(gold) == 0 or config.resamples == 0:
        return GroupScore(metric, mean, sd, mean, mean, per_run)
    means = np.array([_group_mean(score, gold_codes, pred_codes, n_labels, idx)
                      for idx in _resample_indices(len(gold), config)])
    low, high = _percentiles(means, config.level)
    return GroupScore(metric, mean, sd, low, high, per_run)


def group_difference(
    gold: Sequence[str], baseline: Sequence[Sequence[str]], other: Sequence[Sequence[str]],
    metric: str = "accuracy", config: BootstrapConfig | None = None,
) -> Difference:
    """Group mean of ``other`` minus group mean of ``baseline``, paired on the same rows.

    Each resample applies the same row draw to every run of both groups, so, as in
    :func:`paired_difference` (which this equals for two groups of one run), the interval
    and ``p_value`` (share of resamples with a difference ≤ 0) reflect test-row
    uncertainty of the difference of means; the seed spread is each group's ``sd``.
    """
    score = _metric_fn(metric)
    config = config or BootstrapConfig()
    if not baseline or not other:
        raise LexiError("a group needs at least one run")
    labels, gold_codes, codes = encode_labels(gold, *baseline, *other)
    base_codes, other_codes = codes[:len(baseline)], codes[len(baseline):]
    n_labels = len(labels)
    estimate = (_group_mean(score, gold_codes, other_codes, n_labels)
                - _group_mean(score, gold_codes, base_codes, n_labels))
    if len(gold) == 0 or config.resamples == 0:
        return Difference(metric, estimate, estimate, estimate, float(estimate <= 0))
    diffs = np.array([
        _group_mean(score, gold_codes, other_codes, n_labels, idx)
        - _group_mean(score, gold_codes, base_codes, n_labels, idx)
        for idx in _resample_indices(len(gold), config)
    ])
    low, high = _percentiles(diffs, config.level)
    return Difference(metric, estimate, low, high, float(np.mean(diffs <= 0)))
