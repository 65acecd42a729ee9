"""Evaluation: metrics with bootstrap confidence intervals, predictions, and reports.

``metrics`` works on plain label lists (no model needed); ``predictions`` runs a trained
run over a test set and saves what it predicted; ``evaluation`` ties both together for
``lexi eval``; ``report`` writes ``metrics.json``, ``report.md`` and ``report.html``.

The package is also the function: ``lexi.evaluate(["runs/base", "runs/aug"], "sw.jsonl",
"report")`` calls :func:`evaluate` (``import lexi.evaluate.metrics`` makes ``lexi.evaluate``
this module, so the module itself is callable).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Sequence
from pathlib import Path


def evaluate(
    runs: str | Path | Sequence[str | Path], data: str | Path | None = None,
    output: str | Path | None = None, split: str | None = "test",
    predictions: Sequence[str] | None = None, format: str = "auto",
    text_field: str | None = None, label_field: str | None = None,
    resamples: int = 1000, seed: int = 0, batch_size: int = 64, overwrite: bool = False,
):
    """Score runs on ``data`` (rows of ``split``; ``all``: every row), or rescore saved
    ``predictions``; the reports go to ``output`` when given. Returns the
    :class:`~lexi.evaluate.evaluation.Evaluation`, the first run being the baseline.

    Every ``runs`` (or ``predictions``) item is ``NAME=ITEM[,ITEM...]`` (a seed group) or
    a plain ``ITEM`` (a group of one), as :func:`~lexi.evaluate.evaluation.parse_group_spec`
    reads it. This is what ``lexi eval`` runs.
    """
    from lexi.data.readers import split_value
    from lexi.errors import LexiError
    from lexi.evaluate.evaluation import (
        evaluate_prediction_files,
        evaluate_runs,
        parse_group_spec,
    )
    from lexi.evaluate.metrics import BootstrapConfig

    runs = [runs] if isinstance(runs, (str, Path)) else list(runs or [])
    bootstrap = BootstrapConfig(resamples=resamples, seed=seed)
    output = None if output is None else str(output)
    if predictions:
        if runs:
            raise LexiError("give either --run or --predictions, not both")
        return evaluate_prediction_files([parse_group_spec(p) for p in predictions], output,
                                         bootstrap, overwrite=overwrite)
    if not runs:
        raise LexiError("no runs to evaluate", hint="give --run DIR (first = baseline)")
    if data is None:
        raise LexiError("--data is required with --run", hint="the target-language test file")
    return evaluate_runs([parse_group_spec(str(r)) for r in runs], data, split_value(split),
                         output, format, text_field, label_field, bootstrap, batch_size,
                         overwrite=overwrite)


class _CallableModule(types.ModuleType):
    """``lexi.evaluate(...)`` runs :func:`evaluate`, whether ``lexi.evaluate`` is reached as
    the package (after any ``import lexi.evaluate.…``) or through ``lexi``'s exports."""

    def __call__(self, *args, **kwargs):
        return evaluate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
