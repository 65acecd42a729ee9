"""Metrics on plain label lists: values against a loop-based reference, intervals, pairing,
seed groups (mean ± sd, pooled intervals, paired gains of means)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexi.errors import LexiError
from lexi.evaluate.metrics import (
    BootstrapConfig,
    compute_metrics,
    group_difference,
    group_score,
    mean_and_sd,
    paired_difference,
)

NO_BOOTSTRAP = BootstrapConfig(resamples=0)


def reference_scores(gold: list[str], pred: list[str]) -> dict[str, tuple[float, float, float]]:
    """Precision, recall, F1 per gold label, by the textbook definitions."""
    out = {}
    for label in set(gold):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        predicted = sum(1 for p in pred if p == label)
        actual = sum(1 for g in gold if g == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = (precision, recall, f1)
    return out


labels = st.sampled_from(["alarm_set", "play_music", "weather_query", "iot_hue_lightson"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=40))
def test_scores_match_the_textbook_definitions(pairs):
    gold = [g for g, _ in pairs]
    pred = [p for _, p in pairs]
    metrics = compute_metrics(gold, pred, config=NO_BOOTSTRAP)
    reference = reference_scores(gold, pred)
    accuracy = sum(g == p for g, p in pairs) / len(pairs)
    assert metrics.accuracy.estimate == pytest.approx(accuracy)
    assert metrics.macro_f1.estimate == pytest.approx(
        sum(f1 for _, _, f1 in reference.values()) / len(reference))
    for scores in metrics.per_label:
        if scores.label in reference:
            assert (scores.precision, scores.recall, scores.f1) == pytest.approx(
                reference[scores.label])
            assert scores.support == gold.count(scores.label)
        else:  # predicted, never gold: no support, and it is left out of macro-F1
            assert scores.support == 0
    matrix = metrics.confusion.matrix
    assert sum(map(sum, matrix)) == len(pairs)
    assert sum(matrix[i][i] for i in range(len(matrix))) == sum(g == p for g, p in pairs)


def test_confusion_and_top_confusions():
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "a", "b", "b"]
    metrics = compute_metrics(gold, pred, config=NO_BOOTSTRAP)
    assert metrics.confusion.labels == ["a", "b", "c"]
    assert metrics.confusion.matrix == [[1, 2, 0], [1, 1, 0], [0, 1, 0]]
    assert metrics.confusion.top_confusions(2) == [("a", "b", 2), ("b", "a", 1)]


def test_unseen_labels_are_counted_as_errors_and_listed():
    gold = ["a", "b", "c", "c"]
    pred = ["a", "b", "a", "b"]
    metrics = compute_metrics(gold, pred, known_labels=["a", "b"], config=NO_BOOTSTRAP)
    assert metrics.unseen_labels == ["c"]
    assert metrics.unseen_rows == 2
    assert metrics.accuracy.estimate == 0.5


def noisy(gold: list[str], correct: float, rng: random.Random, choices: list[str]) -> list[str]:
    return [g if rng.random() < correct else rng.choice(choices) for g in gold]


def test_bootstrap_interval_is_seeded_contains_the_estimate_and_shrinks_with_data():
    rng = random.Random(1)
    choices = [f"l{i}" for i in range(8)]
    small_gold = [rng.choice(choices) for _ in range(100)]
    big_gold = [rng.choice(choices) for _ in range(2000)]
    small = compute_metrics(small_gold, noisy(small_gold, 0.6, rng, choices))
    big = compute_metrics(big_gold, noisy(big_gold, 0.6, rng, choices))
    for iv in (small.accuracy, small.macro_f1, big.accuracy):
        assert iv.low <= iv.estimate <= iv.high
    assert big.accuracy.high - big.accuracy.low < small.accuracy.high - small.accuracy.low
    # Binomial standard error at p≈0.65, n=2000 is ≈0.0107: a 95% interval ≈ ±0.021.
    assert 0.03 < big.accuracy.high - big.accuracy.low < 0.055
    pred = noisy(small_gold, 0.6, random.Random(5), choices)
    again = compute_metrics(small_gold, pred, config=BootstrapConfig(seed=0))
    same = compute_metrics(small_gold, pred, config=BootstrapConfig(seed=0))
    other = compute_metrics(small_gold, pred, config=BootstrapConfig(seed=1))
    assert again.accuracy == same.accuracy
    assert again.accuracy != other.accuracy


def test_paired_difference_detects_a_real_gain_and_none_for_identical_runs():
    rng = random.Random(2)
    choices = [f"l{i}" for i in range(10)]
    gold = [rng.choice(choices) for _ in range(600)]
    base = noisy(gold, 0.45, rng, choices)
    better = [g if (b == g or rng.random() < 0.3) else b for g, b in zip(gold, base, strict=True)]
    diff = paired_difference(gold, base, better)
    gain = (sum(g == p for g, p in zip(gold, better, strict=True))
            - sum(g == p for g, p in zip(gold, base, strict=True))) / len(gold)
    assert diff.estimate == pytest.approx(gain)
    assert 0 < diff.low < diff.estimate < diff.high
    assert diff.p_value < 0.01
    # Pairing matters: the interval of the difference is narrower than the two
    # unpaired intervals would suggest.
    base_iv = compute_metrics(gold, base).accuracy
    assert diff.high - diff.low < base_iv.high - base_iv.low
    same = paired_difference(gold, base, base, "macro_f1")
    assert (same.estimate, same.low, same.high) == (0.0, 0.0, 0.0)
    assert same.p_value == 1.0


def test_bad_inputs_raise_lexi_errors():
    with pytest.raises(LexiError, match="2 predictions for 3 gold"):
        compute_metrics(["a", "b", "c"], ["a", "b"])
    with pytest.raises(LexiError, match="unknown metric"):
        paired_difference(["a"], ["a"], ["a"], "recall")


# --------------------------------------------------------------------------- seed groups
#
# Small hand-made predictions; every expected figure is recomputed here directly with numpy
# (the same seeded row draws the bootstrap documents), never copied from a previous run.

GOLD = ["a", "a", "a", "b", "b", "b", "c", "c", "d", "d", "d", "a"]
BASE_RUNS = [  # three seeds of a weak model
    ["a", "b", "a", "b", "a", "a", "c", "a", "d", "a", "a", "a"],
    ["a", "a", "b", "b", "b", "a", "a", "a", "d", "d", "a", "b"],
    ["b", "a", "a", "a", "b", "a", "c", "b", "a", "d", "a", "a"],
]
AUG_RUNS = [  # three seeds of a better one
    ["a", "a", "a", "b", "b", "a", "c", "c", "d", "d", "a", "a"],
    ["a", "a", "b", "b", "b", "b", "c", "a", "d", "d", "d", "a"],
    ["a", "a", "a", "b", "a", "b", "c", "c", "d", "b", "d", "a"],
]
GROUP_BOOTSTRAP = BootstrapConfig(resamples=300, seed=7)


def direct_accuracy(gold, pred) -> float:
    return float(np.mean(np.asarray(gold) == np.asarray(pred)))


def direct_macro_f1(gold, pred) -> float:
    return float(np.mean([f1 for _, _, f1 in reference_scores(list(gold), list(pred)).values()]))


DIRECT = {"accuracy": direct_accuracy, "macro_f1": direct_macro_f1}


def direct_draws(n: int, config: BootstrapConfig) -> np.ndarray:
    """The documented row draws: numpy's default generator seeded with ``config.seed``."""
    return np.random.default_rng(config.seed).integers(0, n, size=(config.resamples, n))


def direct_group_mean(metric: str, runs, idx) -> float:
    gold = np.asarray(GOLD)[idx]
    return float(np.mean([DIRECT[metric](gold, np.asarray(run)[idx]) for run in runs]))


@pytest.mark.parametrize("metric", ["accuracy", "macro_f1"])
def test_group_score_is_mean_sd_and_the_pooled_bootstrap_of_the_mean(metric):
    score = group_score(GOLD, BASE_RUNS, metric, GROUP_BOOTSTRAP)
    per_run = [DIRECT[metric](GOLD, run) for run in BASE_RUNS]
    assert score.per_run == pytest.approx(per_run)
    assert score.mean == pytest.approx(np.mean(per_run))
    assert score.sd == pytest.approx(np.std(per_run, ddof=1))
    means = [direct_group_mean(metric, BASE_RUNS, idx)
             for idx in direct_draws(len(GOLD), GROUP_BOOTSTRAP)]
    assert (score.low, score.high) == pytest.approx(tuple(np.percentile(means, [2.5, 97.5])))
    assert score.low <= score.mean <= score.high


@pytest.mark.parametrize("metric", ["accuracy", "macro_f1"])
def test_group_difference_resamples_the_same_rows_for_every_run(metric):
    diff = group_difference(GOLD, BASE_RUNS, AUG_RUNS, metric, GROUP_BOOTSTRAP)
    assert diff.metric == metric
    assert diff.estimate == pytest.approx(
        np.mean([DIRECT[metric](GOLD, r) for r in AUG_RUNS])
        - np.mean([DIRECT[metric](GOLD, r) for r in BASE_RUNS]))
    diffs = np.array([direct_group_mean(metric, AUG_RUNS, idx)
                      - direct_group_mean(metric, BASE_RUNS, idx)
                      for idx in direct_draws(len(GOLD), GROUP_BOOTSTRAP)])
    assert (diff.low, diff.high) == pytest.approx(tuple(np.percentile(diffs, [2.5, 97.5])))
    assert diff.p_value == pytest.approx(np.mean(diffs <= 0))


def test_a_group_of_one_is_exactly_its_run():
    (base,), (aug,) = BASE_RUNS[:1], AUG_RUNS[:1]
    single = group_score(GOLD, [aug], "accuracy", GROUP_BOOTSTRAP)
    run = compute_metrics(GOLD, aug, config=GROUP_BOOTSTRAP).accuracy
    assert (single.mean, single.low, single.high) == (run.estimate, run.low, run.high)
    assert single.sd is None  # one seed says nothing about seed spread
    for metric in ("accuracy", "macro_f1"):
        assert group_difference(GOLD, [base], [aug], metric, GROUP_BOOTSTRAP) == \
            paired_difference(GOLD, base, aug, metric, GROUP_BOOTSTRAP)


def test_group_gain_is_detected_and_its_edge_cases():
    rng = random.Random(3)
    choices = [f"l{i}" for i in range(6)]
    gold = [rng.choice(choices) for _ in range(400)]
    base = [noisy(gold, 0.4, random.Random(seed), choices) for seed in (1, 2, 3)]
    better = [noisy(gold, 0.7, random.Random(seed), choices) for seed in (4, 5)]
    diff = group_difference(gold, base, better)
    assert 0 < diff.low < diff.estimate < diff.high and diff.p_value < 0.01
    same = group_difference(gold, base, base, "macro_f1")
    assert (same.estimate, same.low, same.high, same.p_value) == (0.0, 0.0, 0.0, 1.0)
    flat = group_score(gold, base, config=NO_BOOTSTRAP)
    assert flat.low == flat.high == flat.mean
    assert mean_and_sd([0.5]) == (0.5, None)
    assert mean_and_sd([0.2, 0.4]) == pytest.approx((0.3, np.std([0.2, 0.4], ddof=1)))
    with pytest.raises(LexiError, match="at least one run"):
        group_score(gold, [])
    with pytest.raises(LexiError, match="unknown metric"):
        group_difference(gold, base, better, "recall")
    with pytest.raises(LexiError, match="predictions for"):
        group_score(gold, [base[0], base[1][:-1]])
