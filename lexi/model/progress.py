"""What training shows while it runs: a progress bar per epoch and a line after it.

The bar draws on lexi's stderr console (:mod:`lexi.console`); the lines (per epoch, and
warnings: no --dev, a retried divergence) are log records of the ``lexi.model.train``
logger, which the CLI shows on that console and a notebook gets through :mod:`logging`.
Only the main process reports.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from lexi.console import console

log = logging.getLogger("lexi.model.train")


def progress_bar(middle: str, screen: Any = None) -> Any:
    """lexi's one bar layout: description, bar, done/total, ``middle`` (a rich column
    format), elapsed, ETA; transient, on ``screen`` (lexi's console by default)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn(middle), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=screen or console, transient=True)


@contextlib.contextmanager
def epoch_progress(enabled: bool, total: int, description: str) -> Iterator[Any]:
    """``(bar, task)`` for ``total`` micro-batches, or ``(None, None)`` when not ``enabled``."""
    if not enabled:
        yield None, None
        return
    progress = progress_bar("{task.fields[rate]:>6.1f} samples/s  loss {task.fields[loss]:.4f}")
    with progress:
        task = progress.add_task(description, total=total, rate=0.0, loss=float("nan"))
        yield progress, task


def report_epoch(record: dict[str, float], improved: bool) -> None:
    """One line per epoch: losses, dev scores, throughput, and whether it is the best."""
    dev = (f"  dev acc {record['dev_accuracy']:.4f}  dev loss {record['dev_loss']:.4f}"
           if "dev_accuracy" in record else "")
    if "dev_slot_f1" in record:
        dev += (f"  dev slot F1 {record['dev_slot_f1']:.4f}  dev exact match "
                f"{record['dev_exact_match']:.4f}")
    log.info("epoch %d: train loss %.4f%s  %.1f samples/s%s", record["epoch"],
             record["train_loss"], dev, record["train_samples_per_s"],
             "  best" if improved else "")


def warn(message: str) -> None:
    """A warning record (the CLI prints it in yellow)."""
    log.warning("%s", message)
