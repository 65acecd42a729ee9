"""Human-readable reports of an :class:`~lexi.evaluate.results.Evaluation`.

``report.md`` holds the tables; ``report.html`` is one self-contained file (plots are
matplotlib PNGs embedded as base64) that a person can open to see what the language
gained: the headline, accuracy with intervals, per-label F1, confusions and provenance.
When runs come in seed groups, a group table (mean ± sd over the runs, pooled interval,
paired gain) sits above the per-run details and the headline compares groups. Runs
scored on slots get a slots section: slot F1 and exact match with intervals and gains, and
F1 per slot type. The rows of the tables are in :mod:`lexi.evaluate.tables`, the plots in
:mod:`lexi.evaluate.plots`.
"""

from __future__ import annotations

import html
import json

from lexi.evaluate.metrics import Difference
from lexi.evaluate.plots import plot_confusion, plot_per_label, plot_summary
from lexi.evaluate.results import Evaluation
from lexi.evaluate.tables import (
    GROUP_HEADER,
    SLOT_GROUP_HEADER,
    SLOT_HEADER,
    TOP_CONFUSIONS,
    group_note,
    group_rows,
    headline,
    in_group,
    p_value_text,
    pct,
    per_label_rows,
    per_slot_rows,
    runs_word,
    slot_group_rows,
    slot_note,
    slot_run_rows,
    summary_header,
    summary_rows,
)

__all__ = ["headline", "plot_confusion", "plot_per_label", "plot_summary", "render_html",
           "render_markdown"]


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(evaluation: Evaluation) -> str:
    """The report as Markdown tables (for terminals, PRs and docs)."""
    parts = ["# lexi evaluation", "", headline(evaluation), ""]
    for run in evaluation.runs:
        for warning in run.warnings:
            label = "**NOT A RESULT**" if warning.degenerate else "**note**"
            parts.append(f"> {label} `{run.name}`{in_group(evaluation, run, warning.degenerate)}"
                         f": {warning.message}")
    if any(run.warnings for run in evaluation.runs):
        parts.append("")
    against = (f"the mean of group `{evaluation.groups[0].name}`" if evaluation.grouped
               else f"`{evaluation.baseline.name}`")
    parts += [f"- data: `{json.dumps(evaluation.data, ensure_ascii=False)}`",
              f"- 95% intervals: percentile bootstrap, {evaluation.bootstrap.resamples} "
              f"resamples, seed {evaluation.bootstrap.seed}; gains are paired differences "
              f"against {against}", ""]
    if evaluation.grouped:
        parts += ["## Groups", "", _markdown_table(GROUP_HEADER, group_rows(evaluation)), "",
                  group_note(evaluation), ""]
    parts += ["## Runs", "", _markdown_table(summary_header(evaluation),
                                             summary_rows(evaluation)), ""]
    for run in evaluation.runs:
        if run.metrics.unseen_labels:
            parts += [f"`{run.name}` never saw {len(run.metrics.unseen_labels)} test labels "
                      f"({run.metrics.unseen_rows} rows, counted as errors): "
                      + ", ".join(run.metrics.unseen_labels), ""]
    header, rows = per_label_rows(evaluation)
    parts += ["## Per label", "", _markdown_table(header, rows), ""]
    if evaluation.has_slots:
        parts += ["## Slots", "", slot_note(evaluation), ""]
        if evaluation.grouped and slot_group_rows(evaluation):
            parts += [_markdown_table(SLOT_GROUP_HEADER, slot_group_rows(evaluation)), ""]
        parts += [_markdown_table(SLOT_HEADER, slot_run_rows(evaluation)), ""]
        header, rows = per_slot_rows(evaluation)
        parts += ["### F1 per slot type", "", _markdown_table(header, rows), ""]
    for run in evaluation.runs:
        confusions = run.metrics.confusion.top_confusions(TOP_CONFUSIONS)
        parts += [f"## Top confusions: {run.name}", ""]
        parts += [_markdown_table(["gold", "predicted", "rows"],
                                  [[g, p, str(c)] for g, p, c in confusions])
                  if confusions else "none", ""]
    return "\n".join(parts)


def _data_description(evaluation: Evaluation) -> str:
    data = evaluation.data
    if "path" in data:
        split = data.get("split")
        return f"{data['path']}" + (f" (split {split})" if split else "")
    return "predictions " + ", ".join(data.get("predictions", []))


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(data: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} .headline{font-size:1.25em;background:#eef4fb;border-left:5px solid #3b6fb6;
padding:.7em 1em;margin:1em 0} .cards{display:flex;gap:1em;flex-wrap:wrap;margin:1em 0}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:12em}
.card .v{font-size:1.8em;font-weight:600} .card .ci{color:#666;font-size:.9em}
.gain{color:#1a7f37} .loss{color:#b42318}
.alarm{background:#fdecea;border-left:5px solid #b42318;padding:.7em 1em;margin:1em 0}
.notice{background:#fff8e5;border-left:5px solid #b58100;padding:.5em 1em;margin:1em 0}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em} td,th{border:1px solid #ddd;
padding:.25em .6em;text-align:right} td:first-child,th:first-child{text-align:left}
th{background:#f5f5f5} img{max-width:100%} details{margin:.5em 0}
pre{background:#f7f7f7;padding:.7em;overflow:auto;font-size:.8em} .note{color:#555}
"""


def _gain_card(compared: str, diff: Difference) -> str:
    """The card of the last run's (or group's) accuracy gain over the baseline; ``compared``
    says what minus what, as plain text."""
    css = "gain" if diff.estimate >= 0 else "loss"
    return (f'<div class="card"><div>gain ({html.escape(compared)})</div>'
            f'<div class="v {css}">{100 * diff.estimate:+.1f} pts</div>'
            f'<div class="ci">95% CI {100 * diff.low:+.1f} to {100 * diff.high:+.1f}, '
            f'{p_value_text(diff.p_value)}</div></div>')


def _group_cards(evaluation: Evaluation) -> str:
    cards = []
    for group in evaluation.groups:
        acc = group.scores["accuracy"]
        sd = "" if acc.sd is None else f" ± {pct(acc.sd)}"
        cards.append(
            f'<div class="card"><div>{html.escape(group.name)} accuracy '
            f'({runs_word(group)})</div><div class="v">{pct(acc.mean)}%{sd}</div>'
            f'<div class="ci">pooled 95% CI {pct(acc.low)}–{pct(acc.high)}</div></div>')
    if len(evaluation.groups) > 1:
        last = evaluation.groups[-1]
        diff = next(d for d in last.vs_baseline if d.metric == "accuracy")
        cards.append(_gain_card(f"{last.name} − {evaluation.groups[0].name}, means", diff))
    return '<div class="cards">' + "".join(cards) + "</div>"


def _cards(evaluation: Evaluation) -> str:
    if evaluation.grouped:
        return _group_cards(evaluation)
    cards = []
    for run in evaluation.runs:
        acc = run.metrics.accuracy
        cards.append(
            f'<div class="card"><div>{html.escape(run.name)} accuracy</div>'
            f'<div class="v">{pct(acc.estimate)}%</div>'
            f'<div class="ci">95% CI {pct(acc.low)}–{pct(acc.high)}</div></div>')
    if len(evaluation.runs) > 1:
        diff = next(d for d in evaluation.runs[-1].vs_baseline if d.metric == "accuracy")
        cards.append(_gain_card(f"{evaluation.runs[-1].name} − {evaluation.baseline.name}",
                                diff))
    return '<div class="cards">' + "".join(cards) + "</div>"


def _warnings_html(evaluation: Evaluation) -> str:
    """Degenerate runs in red at the top; notes (a retried divergence) in amber."""
    parts = []
    for degenerate, css, title in ((True, "alarm", "Not a result"), (False, "notice", "Note")):
        items = [f"<li><b>{html.escape(run.name)}</b>"
                 f"{html.escape(in_group(evaluation, run, w.degenerate))}: "
                 f"{html.escape(w.message)}</li>"
                 for run in evaluation.runs for w in run.warnings if w.degenerate == degenerate]
        if items:
            parts.append(f'<div class="{css}"><b>{title}</b><ul>{"".join(items)}</ul></div>')
    return "".join(parts)


def render_html(evaluation: Evaluation) -> str:
    """A self-contained HTML report (no external files, scripts or fonts)."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>lexi evaluation</title>", f"<style>{STYLE}</style></head><body>",
        "<h1>lexi evaluation</h1>",
        f'<p class="note">Test data: {html.escape(_data_description(evaluation))} — '
        f"{evaluation.baseline.metrics.n} rows; created {html.escape(evaluation.created)}</p>",
        _warnings_html(evaluation),
        f'<div class="headline">{html.escape(headline(evaluation))}</div>',
        _cards(evaluation),
    ]
    if evaluation.grouped:
        parts += ["<h2>Groups</h2>", _html_table(GROUP_HEADER, group_rows(evaluation)),
                  f'<p class="note">Scores in %. {html.escape(group_note(evaluation))}</p>']
    against = (f"the mean of the baseline group <b>{html.escape(evaluation.groups[0].name)}</b>"
               if evaluation.grouped else
               f"the baseline <b>{html.escape(evaluation.baseline.name)}</b>")
    parts += [
        "<h2>Runs</h2>", _html_table(summary_header(evaluation), summary_rows(evaluation)),
        f'<p class="note">Scores in %. Intervals: 95% percentile bootstrap over test rows '
        f"({evaluation.bootstrap.resamples} resamples, seed {evaluation.bootstrap.seed}). "
        f"Gains are paired differences against {against}, resampling the same rows for "
        f"every run; p is the share of resamples where the gain is ≤ 0.</p>",
        _img(plot_summary(evaluation), "accuracy and macro-F1 per run"),
    ]
    for run in evaluation.runs:
        if run.metrics.unseen_labels:
            parts.append(
                f'<p class="note"><b>{html.escape(run.name)}</b> never saw '
                f"{len(run.metrics.unseen_labels)} test labels ({run.metrics.unseen_rows} rows, "
                f"counted as errors): {html.escape(', '.join(run.metrics.unseen_labels))}</p>")
    header, rows = per_label_rows(evaluation)
    parts += ["<h2>Per label</h2>", _img(plot_per_label(evaluation), "F1 per label"),
              "<details><summary>Per-label table</summary>", _html_table(header, rows),
              "</details>"]
    if evaluation.has_slots:
        parts += ["<h2>Slots</h2>", f'<p class="note">{html.escape(slot_note(evaluation))}</p>']
        if evaluation.grouped and slot_group_rows(evaluation):
            parts.append(_html_table(SLOT_GROUP_HEADER, slot_group_rows(evaluation)))
        parts.append(_html_table(SLOT_HEADER, slot_run_rows(evaluation)))
        header, rows = per_slot_rows(evaluation)
        parts += ["<h3>F1 per slot type</h3>", _html_table(header, rows)]
    parts.append("<h2>Confusions</h2>")
    for run in evaluation.runs:
        confusions = run.metrics.confusion.top_confusions(TOP_CONFUSIONS)
        parts += [f"<h3>{html.escape(run.name)}</h3>",
                  _html_table(["gold", "predicted as", "rows"],
                              [[g, p, str(c)] for g, p, c in confusions])
                  if confusions else "<p>No errors.</p>",
                  _img(plot_confusion(run), f"confusion matrix of {run.name}")]
    provenance = {"data": evaluation.data,
                  "groups": {g.name: [r.name for r in g.runs] for g in evaluation.groups},
                  "runs": {r.name: r.provenance for r in evaluation.runs}}
    parts += ["<h2>Provenance</h2>",
              f"<pre>{html.escape(json.dumps(provenance, ensure_ascii=False, indent=2))}</pre>",
              "</body></html>"]
    return "\n".join(parts)
