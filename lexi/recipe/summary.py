"""The summary of ``lexi bootstrap LANG LANG ...``: the table of every language's outcome.

:func:`lexi.recipe.multilang.bootstrap_many` runs the languages and returns a
:class:`~lexi.recipe.multilang.MultiResult`; this module only formats it: the cells
(scores, gains, warnings, status), the rows of the table, the lines printed in a terminal,
and the files written in ``OUT`` (``summary.md``, ``summary.json``, ``summary.html``), with
the wall time by step per language (:mod:`lexi.recipe.timing`).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from lexi.io import atomic_write
from lexi.recipe.multilang import FAILED, OK, LanguageRun, MultiResult

SUMMARY_NAME = "summary"


def format_seconds(seconds: float) -> str:
    """``42 s``, ``5 min 03 s``, ``2 h 07 min``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def score_cell(score: dict | None) -> str:
    """``50.4 ± 1.2 [47.2, 53.6]`` (no ``±`` for one seed), in points."""
    if not score:
        return "—"
    sd = "" if score.get("sd") is None else f" ± {100 * score['sd']:.1f}"
    return f"{100 * score['mean']:.1f}{sd} [{100 * score['low']:.1f}, {100 * score['high']:.1f}]"


def gain_cell(gain: dict | None) -> str:
    if not gain:
        return "—"
    return (f"{100 * gain['estimate']:+.1f} [{100 * gain['low']:+.1f}, "
            f"{100 * gain['high']:+.1f}]")


def warnings_cell(run: LanguageRun) -> str:
    """Degenerate runs first (NOT A RESULT), then notes; ``—`` when there are none."""
    flagged = [f"NOT A RESULT: {w['run']}: {w['message']}" for w in run.warnings
               if w.get("degenerate")]
    notes = [f"{w['run']}: {w['message']}" for w in run.warnings if not w.get("degenerate")]
    return "; ".join(flagged + notes) or "—"


def status_cell(run: LanguageRun) -> str:
    return run.status if run.status == OK or not run.error else f"{run.status}: {run.error}"


COLUMNS = ("language", "task (test set)", "seeds", "baseline accuracy",
           "recipe's model accuracy", "gain (points)", "warnings", "wall time", "status")
# With a self-training round in any language: the averaged model and the soup side by side.
SOUP_COLUMNS = ("language", "task (test set)", "seeds", "baseline accuracy",
                "averaged accuracy", "gain (points)", "soup accuracy", "soup gain (points)",
                "warnings", "wall time", "status")


def columns(result: MultiResult) -> tuple[str, ...]:
    """:data:`SOUP_COLUMNS` when some language has a soup, else :data:`COLUMNS`."""
    return SOUP_COLUMNS if any(run.soup for run in result.languages) else COLUMNS


def summary_rows(result: MultiResult) -> list[list[str]]:
    """One row of :func:`columns` per language (plain text)."""
    soups = columns(result) == SOUP_COLUMNS
    rows = []
    for run in result.languages:
        task = run.task or "—"
        if run.test_set:
            task += f" ({run.test_set})"
        soup = [score_cell(run.soup), gain_cell(run.soup_gain)] if soups else []
        rows.append([run.label, task, str(len(run.seeds)) if run.seeds else "—",
                     score_cell(run.baseline), score_cell(run.augmented), gain_cell(run.gain),
                     *soup, warnings_cell(run), format_seconds(run.seconds), status_cell(run)])
    return rows


def summary_lines(result: MultiResult) -> list[str]:
    """The summary as text lines for a terminal: per language a heading line, its scores
    and one line per warning."""
    lines = []
    for run in result.languages:
        what = ", ".join(part for part in (
            run.label, f"{run.task} ({run.test_set})" if run.task else "",
            f"{len(run.seeds)} seed{'s' * (len(run.seeds) != 1)}" if run.seeds else "",
            format_seconds(run.seconds)) if part)
        lines.append(f"{what}: {status_cell(run)}")
        if run.baseline or run.augmented:
            final = (run.augmented or {}).get("name", "augmented")
            lines.append(f"  baseline {score_cell(run.baseline)}, {final} "
                         f"{score_cell(run.augmented)}, gain {gain_cell(run.gain)}"
                         + (f"; soup {score_cell(run.soup)}, gain {gain_cell(run.soup_gain)}"
                            if run.soup else ""))
        lines += [f"  {'NOT A RESULT' if w.get('degenerate') else 'note'}: {w['run']}: "
                  f"{w['message']}" for w in sorted(run.warnings,
                                                    key=lambda w: not w.get("degenerate"))]
    return lines


def _preamble(result: MultiResult) -> list[str]:
    seeds = result.as_dict()["seeds"]
    ok = len(result.languages) - len(result.failed())
    return [
        f"{len(result.languages)} languages, {ok} with a result; {len(seeds)} training "
        f"seed{'s' * (len(seeds) != 1)} ({', '.join(seeds) or '—'}); total wall time "
        f"{format_seconds(result.seconds)}.",
        "Accuracy on each language's test set in points: mean ± sd over the seeds "
        "[pooled 95% bootstrap interval]; the recipe's model is the soup (the self-trained, "
        "augmented and baseline runs averaged in weight space) where the language had "
        "unlabelled text for a self-training round, else the averaged model (augmented and "
        "baseline averaged); gain = model − baseline, paired on the same "
        "test rows [95% interval]. The English-only baselines are in "
        f"{result.baselines}, trained once per task, model, training options and seed and "
        "shared by every language.",
    ]


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(result: MultiResult) -> str:
    lines = ["# lexi bootstrap: summary", "", *_preamble(result), "",
             "| " + " | ".join(columns(result)) + " |",
             "|" + "---|" * len(columns(result))]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |"
              for row in summary_rows(result)]
    failed = result.failed()
    if failed:
        lines += ["", "## Not a result", ""]
        lines += [f"- {run.label}: {run.status}: {_md_escape(run.error or '')}"
                  for run in failed]
    lines += _timing_markdown(result)
    lines += ["", "Per language: the report is `<code>/report/report.html`, the recipe "
              "state `<code>/.lexi-recipe-state.json`.", ""]
    return "\n".join(lines)


def _timing_markdown(result: MultiResult) -> list[str]:
    """Wall time by step, one column per language (seconds; a skipped step says how long
    it took when it last ran)."""
    from lexi.recipe.timing import matrix_rows

    records = {run.label: run.timing for run in result.languages}
    if not any(records.values()):
        return []
    lines = ["", "## Wall time by step (seconds)", "",
             "| step | " + " | ".join(_md_escape(label) for label in records) + " |",
             "|" + "---|" * (len(records) + 1)]
    return lines + ["| " + " | ".join(_md_escape(c) for c in row) + " |"
                    for row in matrix_rows(records)]


def summary_html(result: MultiResult) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in columns(result))
    body = []
    for run, row in zip(result.languages, summary_rows(result), strict=True):
        cells = list(row)
        if run.report and run.status != FAILED:
            link = esc(str(Path(run.report).resolve() / "report.html"))
            first = f'<a href="file://{link}">{esc(cells[0])}</a>'
        else:
            first = esc(cells[0])
        css = "ok" if run.status == OK else "bad"
        body.append(f'<tr class="{css}"><td>{first}</td>'
                    + "".join(f"<td>{esc(c)}</td>" for c in cells[1:]) + "</tr>")
    paragraphs = "".join(f"<p>{esc(p)}</p>" for p in _preamble(result))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lexi bootstrap: summary</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }}
tr.bad td {{ background: #fff0f0; }}
</style></head><body>
<h1>lexi bootstrap: summary</h1>
{paragraphs}
<table><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(body)}
</tbody></table>
</body></html>
"""


def write_summary(result: MultiResult) -> dict[str, Path]:
    """``summary.md``, ``summary.json`` and ``summary.html`` in ``result.out``."""
    paths = {kind: result.out / f"{SUMMARY_NAME}.{kind}" for kind in ("md", "json", "html")}
    with atomic_write(paths["md"]) as out:
        out.write(summary_markdown(result))
    with atomic_write(paths["json"]) as out:
        json.dump(result.as_dict(), out, indent=2, ensure_ascii=False)
        out.write("\n")
    with atomic_write(paths["html"]) as out:
        out.write(summary_html(result))
    return paths
