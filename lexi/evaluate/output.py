"""Writing an evaluation: ``predictions/<run>.jsonl``, ``metrics.json``, ``report.md`` and
``report.html`` in a report directory, as a whole or not at all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lexi.errors import LexiError
from lexi.evaluate.predictions import write_predictions
from lexi.evaluate.results import Evaluation
from lexi.io import atomic_write, staged_dir


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
    # Imported here: matplotlib is slow to import, and only writing a report needs it.
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


def write_evaluation(
    evaluation: Evaluation, output_dir: str | Path, overwrite: bool = False,
) -> dict[str, Path]:
    """Write predictions, ``metrics.json``, ``report.md`` and ``report.html``; returns paths.

    A non-empty ``output_dir`` is refused unless ``overwrite``. The report is written
    into a temporary sibling directory and renamed into place
    (:func:`lexi.io.staged_dir`), so a failure half-way never leaves a mix of old and new
    files, and an old report stays whole until the new one is.
    """
    out = Path(output_dir)
    check_output_dir(out, overwrite)
    with staged_dir(out) as staging:
        written = _write_report_files(evaluation, staging)
    return {key: out / path.relative_to(staging) for key, path in written.items()}
