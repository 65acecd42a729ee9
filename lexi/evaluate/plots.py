"""The report's plots: matplotlib figures as base64 PNGs, embedded in ``report.html``."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # files only, never a window (reports are written on servers)
import matplotlib.pyplot as plt  # noqa: E402

from lexi.evaluate.results import Evaluation, RunResult  # noqa: E402
from lexi.evaluate.tables import f1_gains  # noqa: E402

# Beyond this many labels the confusion heat map keeps only the most confused ones.
MAX_HEATMAP_LABELS = 30


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plot_summary(evaluation: Evaluation) -> str:
    """Accuracy and macro-F1 of every run, with 95% intervals as error bars."""
    runs = evaluation.runs
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(runs) + 2), 3.6))
    width = 0.38
    for k, (metric, colour) in enumerate((("accuracy", "#3b6fb6"), ("macro_f1", "#e08a2c"))):
        ivs = [getattr(r.metrics, metric) for r in runs]
        xs = [i + (k - 0.5) * width for i in range(len(runs))]
        heights = [100 * iv.estimate for iv in ivs]
        errors = [[100 * (iv.estimate - iv.low) for iv in ivs],
                  [100 * (iv.high - iv.estimate) for iv in ivs]]
        bars = ax.bar(xs, heights, width, yerr=errors, capsize=4, color=colour,
                      label=metric.replace("_", "-"))
        ax.bar_label(bars, labels=[f"{h:.1f}" for h in heights], padding=2, fontsize=8)
    ax.set_xticks(range(len(runs)), [r.name for r in runs])
    ax.set_ylabel("score (%)")
    ax.set_ylim(0, 105)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Baseline vs augmented (95% bootstrap intervals)")
    return _png(fig)


def plot_per_label(evaluation: Evaluation) -> str:
    """F1 per label, one bar per run, labels sorted by the last run's gain."""
    runs = evaluation.runs
    labels = sorted({s.label for r in runs for s in r.metrics.per_label if s.support > 0})
    f1 = {r.name: {s.label: 100 * s.f1 for s in r.metrics.per_label} for r in runs}
    if evaluation.groups:
        gains = f1_gains(evaluation)
        labels.sort(key=lambda lab: (gains.get(lab, 0.0), lab))
    else:
        first, last = runs[0].name, runs[-1].name
        labels.sort(key=lambda lab: (f1[last].get(lab, 0) - f1[first].get(lab, 0), lab))
    height = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.26 * len(labels) * max(1, len(runs) / 2) + 1)))
    for k, run in enumerate(runs):
        ys = [i + (k - (len(runs) - 1) / 2) * height for i in range(len(labels))]
        ax.barh(ys, [f1[run.name].get(lab, 0) for lab in labels], height, label=run.name)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("F1 (%)")
    ax.set_xlim(0, 100)
    # Outside the axes: inside, it would hide the bars of the bottom labels.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("F1 per label (largest gain at the top)" if len(runs) > 1 else "F1 per label")
    return _png(fig)


def plot_confusion(run: RunResult) -> str:
    """Row-normalised confusion heat map (the most confused labels when there are many)."""
    confusion = run.metrics.confusion
    labels = confusion.labels
    keep = list(range(len(labels)))
    if len(labels) > MAX_HEATMAP_LABELS:
        errors = [sum(row) - row[i] + sum(r[i] for r in confusion.matrix) - row[i]
                  for i, row in enumerate(confusion.matrix)]
        keep = sorted(sorted(keep, key=lambda i: -errors[i])[:MAX_HEATMAP_LABELS])
    matrix = [[confusion.matrix[i][j] for j in keep] for i in keep]
    normalised = [[c / max(1, sum(confusion.matrix[i])) for c in row]
                  for i, row in zip(keep, matrix, strict=True)]
    size = max(4, 0.28 * len(keep) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    names = [labels[i] for i in keep]
    ax.set_xticks(range(len(keep)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(keep)), names, fontsize=7)
    if len(keep) <= 15:
        for i, row in enumerate(matrix):
            for j, count in enumerate(row):
                if count:
                    ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                            color="white" if normalised[i][j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    subset = "" if len(keep) == len(labels) else f", {len(keep)} most confused labels"
    ax.set_title(f"Confusions: {run.name} (share of gold row{subset})")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return _png(fig)
