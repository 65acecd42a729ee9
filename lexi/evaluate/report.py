"""Human-readable reports of an :class:`~lexi.evaluate.evaluation.Evaluation`.

``report.md`` holds the tables; ``report.html`` is one self-contained file (plots are
matplotlib PNGs embedded as base64) that a person can open to see what the language
gained: the headline, accuracy with intervals, per-label F1, confusions and provenance.
When runs come in seed groups, a group table (mean ± sd over the runs, pooled interval,
paired gain) sits above the per-run details and the headline compares groups. Runs
scored on slots get a slots section: slot F1 and exact match with intervals and gains, and
F1 per slot type.
"""

from __future__ import annotations

import base64
import html
import io
import json

import matplotlib

matplotlib.use("Agg")  # files only, never a window (reports are written on servers)
import matplotlib.pyplot as plt  # noqa: E402

from lexi.evaluate.evaluation import Evaluation, GroupResult, RunResult  # noqa: E402
from lexi.evaluate.metrics import Difference, GroupScore  # noqa: E402

TOP_CONFUSIONS = 12
# Beyond this many labels the confusion heat map keeps only the most confused ones.
MAX_HEATMAP_LABELS = 30


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _interval(iv) -> str:
    return f"{_pct(iv.estimate)} [{_pct(iv.low)}, {_pct(iv.high)}]"


def _p(value: float) -> str:
    """A resampling p-value: 0 of 1,000 resamples means below 1/1,000, not zero."""
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _spread(score: GroupScore) -> str:
    """``mean ± sd [low, high]``; a group of one has no sd to show."""
    sd = "" if score.sd is None else f" ± {_pct(score.sd)}"
    return f"{_pct(score.mean)}{sd} [{_pct(score.low)}, {_pct(score.high)}]"


def _gain(result: RunResult | GroupResult, metric: str = "accuracy") -> str:
    for diff in result.vs_baseline:
        if diff.metric == metric:
            return (f"{100 * diff.estimate:+.1f} [{100 * diff.low:+.1f}, {100 * diff.high:+.1f}]"
                    f" ({_p(diff.p_value)})")
    return "—"


def _verdict(diff: Difference, evaluation: Evaluation | None = None) -> str:
    if evaluation is not None and any(w.code == "smoke-run" for run in evaluation.runs
                                      for w in run.warnings):
        return "from a smoke run, so no verdict"
    return ("a significant gain" if diff.low > 0 else
            "a significant loss" if diff.high < 0 else "no significant difference")


def _runs_word(group: GroupResult) -> str:
    return f"{len(group.runs)} run" + ("s" if len(group.runs) > 1 else "")


def _group_headline(evaluation: Evaluation) -> str:
    """Baseline group vs the last group: means over seeds and the paired gain of means."""
    base = evaluation.groups[0]
    base_acc = base.scores["accuracy"]
    n = evaluation.baseline.metrics.n
    if len(evaluation.groups) == 1:
        return (f"{base.name} ({_runs_word(base)}): accuracy {_spread(base_acc)} on {n} rows.")
    last = evaluation.groups[-1]
    last_acc = last.scores["accuracy"]
    diff = next(d for d in last.vs_baseline if d.metric == "accuracy")
    sd = {g.name: "" if g.scores["accuracy"].sd is None
          else f" ± {_pct(g.scores['accuracy'].sd)}" for g in (base, last)}
    return (f"Mean accuracy {_pct(base_acc.mean)}{sd[base.name]} ({base.name}, "
            f"{_runs_word(base)}) → {_pct(last_acc.mean)}{sd[last.name]} ({last.name}, "
            f"{_runs_word(last)}): {100 * diff.estimate:+.1f} points, 95% CI "
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
    return (f"Accuracy {_pct(base.metrics.accuracy.estimate)} ({base.name}) → "
            f"{_pct(best.metrics.accuracy.estimate)} ({best.name}): "
            f"{100 * diff.estimate:+.1f} points, 95% CI [{100 * diff.low:+.1f}, "
            f"{100 * diff.high:+.1f}], {verdict}, on {base.metrics.n} test rows.")


def _summary_rows(evaluation: Evaluation) -> list[list[str]]:
    rows = [[r.name, _interval(r.metrics.accuracy), _interval(r.metrics.macro_f1),
             _gain(r, "accuracy"), _gain(r, "macro_f1")] for r in evaluation.runs]
    if evaluation.grouped:
        for row, run in zip(rows, evaluation.runs, strict=True):
            group = evaluation.group_of(run)
            row.insert(1, group.name if group else "")
    return rows


def _summary_header(evaluation: Evaluation) -> list[str]:
    if evaluation.grouped:
        return SUMMARY_HEADER[:1] + ["group"] + SUMMARY_HEADER[1:]
    return SUMMARY_HEADER


SUMMARY_HEADER = ["run", "accuracy", "macro-F1", "accuracy gain", "macro-F1 gain"]
GROUP_HEADER = ["group", "runs", "accuracy mean ± sd [95% CI]", "macro-F1 mean ± sd [95% CI]",
                "accuracy gain", "macro-F1 gain"]


def _group_rows(evaluation: Evaluation) -> list[list[str]]:
    return [[g.name + (" (NOT A RESULT)" if g.degenerate else ""), str(len(g.runs)),
             _spread(g.scores["accuracy"]), _spread(g.scores["macro_f1"]),
             _gain(g, "accuracy"), _gain(g, "macro_f1")] for g in evaluation.groups]


def _group_note(evaluation: Evaluation) -> str:
    base = evaluation.groups[0].name
    return (f"Mean and sample sd over each group's runs (one per seed). 95% CI: pooled "
            f"bootstrap of the group mean over test rows ({evaluation.bootstrap.resamples} "
            f"resamples, seed {evaluation.bootstrap.seed}); it does not include the seed "
            f"spread, which the sd shows. Gains: group mean minus the mean of the baseline "
            f"group {base}, the same resampled rows for every run; p is the share of "
            "resamples where the gain is ≤ 0. Per-run gains below are against that mean too.")


def _group_f1(group: GroupResult) -> dict[str, float]:
    """Mean F1 per label over a group's runs (a label a run never scored counts 0)."""
    labels = {s.label for r in group.runs for s in r.metrics.per_label}
    return {label: sum(next((s.f1 for s in r.metrics.per_label if s.label == label), 0.0)
                       for r in group.runs) / len(group.runs) for label in labels}


def _f1_gains(evaluation: Evaluation) -> dict[str, float]:
    """F1 per label, last group's mean minus the baseline group's (last run minus first
    run when every group is one run)."""
    first, last = _group_f1(evaluation.groups[0]), _group_f1(evaluation.groups[-1])
    return {label: last.get(label, 0.0) - first.get(label, 0.0)
            for label in set(first) | set(last)}


def _per_label_rows(evaluation: Evaluation) -> tuple[list[str], list[list[str]]]:
    labels = sorted({s.label for r in evaluation.runs for s in r.metrics.per_label})
    header = ["label", "support"] + [f"F1 {r.name}" for r in evaluation.runs]
    compare = len(evaluation.groups) > 1 if evaluation.groups else len(evaluation.runs) > 1
    if compare:
        header.append("F1 gain (group means)" if evaluation.grouped else "F1 gain")
    gains = _f1_gains(evaluation) if compare and evaluation.groups else {}
    rows = []
    for label in labels:
        scores = [next((s for s in r.metrics.per_label if s.label == label), None)
                  for r in evaluation.runs]
        support = max((s.support for s in scores if s), default=0)
        if support == 0:
            continue  # predicted but never gold: shown among confusions, not here
        row = [label, str(support)] + [_pct(s.f1) if s else "0.0" for s in scores]
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


def _slot_rows(evaluation: Evaluation) -> list[list[str]]:
    """One row per run scored on slots."""
    return [[r.name, str(r.slots.rows), _interval(r.slots.slot_f1), _interval(r.slots.exact_match),
             _pct(r.slots.precision), _pct(r.slots.recall), _gain(r, "slot_f1"),
             _gain(r, "exact_match")] for r in evaluation.runs if r.slots is not None]


def _slot_group_rows(evaluation: Evaluation) -> list[list[str]]:
    return [[g.name + (" (NOT A RESULT)" if g.degenerate else ""), str(len(g.runs)),
             _spread(g.scores["slot_f1"]), _spread(g.scores["exact_match"]),
             _gain(g, "slot_f1"), _gain(g, "exact_match")]
            for g in evaluation.groups if "slot_f1" in g.scores]


def _per_slot_rows(evaluation: Evaluation) -> tuple[list[str], list[list[str]]]:
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
        row = [slot, str(support)] + [_pct(value) for value in f1]
        if len(runs) > 1:
            row.append(f"{100 * (f1[-1] - f1[0]):+.1f}")
        rows.append(row)
    return header, rows


def _slot_note(evaluation: Evaluation) -> str:
    return ("Scores in %, on the test rows with slot markup (MASSIVE annot_utt). Slot F1: "
            "micro F1 over spans, a span is right when its start, end and type are; exact "
            "match: the intent and every slot of the row right. 95% intervals and paired "
            f"gains: the bootstrap of the intent scores ({evaluation.bootstrap.resamples} "
            "resamples, the same rows).")


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _in_group(evaluation: Evaluation, run: RunResult, degenerate: bool) -> str:
    """`` (group NAME: its mean is not a result)`` for a degenerate run in a seed group."""
    group = evaluation.group_of(run)
    if not degenerate or group is None or len(group.runs) == 1:
        return ""
    return f" (group {group.name}: its mean is not a result)"


def render_markdown(evaluation: Evaluation) -> str:
    """The report as Markdown tables (for terminals, PRs and docs)."""
    parts = ["# lexi evaluation", "", headline(evaluation), ""]
    for run in evaluation.runs:
        for warning in run.warnings:
            label = "**NOT A RESULT**" if warning.degenerate else "**note**"
            parts.append(f"> {label} `{run.name}`{_in_group(evaluation, run, warning.degenerate)}"
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
        parts += ["## Groups", "", _markdown_table(GROUP_HEADER, _group_rows(evaluation)), "",
                  _group_note(evaluation), ""]
    parts += ["## Runs", "", _markdown_table(_summary_header(evaluation),
                                             _summary_rows(evaluation)), ""]
    for run in evaluation.runs:
        if run.metrics.unseen_labels:
            parts += [f"`{run.name}` never saw {len(run.metrics.unseen_labels)} test labels "
                      f"({run.metrics.unseen_rows} rows, counted as errors): "
                      + ", ".join(run.metrics.unseen_labels), ""]
    header, rows = _per_label_rows(evaluation)
    parts += ["## Per label", "", _markdown_table(header, rows), ""]
    if evaluation.has_slots:
        parts += ["## Slots", "", _slot_note(evaluation), ""]
        if evaluation.grouped and _slot_group_rows(evaluation):
            parts += [_markdown_table(SLOT_GROUP_HEADER, _slot_group_rows(evaluation)), ""]
        parts += [_markdown_table(SLOT_HEADER, _slot_rows(evaluation)), ""]
        header, rows = _per_slot_rows(evaluation)
        parts += ["### F1 per slot type", "", _markdown_table(header, rows), ""]
    for run in evaluation.runs:
        confusions = run.metrics.confusion.top_confusions(TOP_CONFUSIONS)
        parts += [f"## Top confusions: {run.name}", ""]
        parts += [_markdown_table(["gold", "predicted", "rows"],
                                  [[g, p, str(c)] for g, p, c in confusions])
                  if confusions else "none", ""]
    return "\n".join(parts)


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
        gains = _f1_gains(evaluation)
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


def _group_cards(evaluation: Evaluation) -> str:
    cards = []
    for group in evaluation.groups:
        acc = group.scores["accuracy"]
        sd = "" if acc.sd is None else f" ± {_pct(acc.sd)}"
        cards.append(
            f'<div class="card"><div>{html.escape(group.name)} accuracy '
            f'({_runs_word(group)})</div><div class="v">{_pct(acc.mean)}%{sd}</div>'
            f'<div class="ci">pooled 95% CI {_pct(acc.low)}–{_pct(acc.high)}</div></div>')
    if len(evaluation.groups) > 1:
        last = evaluation.groups[-1]
        diff = next(d for d in last.vs_baseline if d.metric == "accuracy")
        css = "gain" if diff.estimate >= 0 else "loss"
        cards.append(
            f'<div class="card"><div>gain ({html.escape(last.name)} − '
            f'{html.escape(evaluation.groups[0].name)}, means)</div>'
            f'<div class="v {css}">{100 * diff.estimate:+.1f} pts</div>'
            f'<div class="ci">95% CI {100 * diff.low:+.1f} to {100 * diff.high:+.1f}, '
            f'{_p(diff.p_value)}</div></div>')
    return '<div class="cards">' + "".join(cards) + "</div>"


def _cards(evaluation: Evaluation) -> str:
    if evaluation.grouped:
        return _group_cards(evaluation)
    cards = []
    for run in evaluation.runs:
        acc = run.metrics.accuracy
        cards.append(
            f'<div class="card"><div>{html.escape(run.name)} accuracy</div>'
            f'<div class="v">{_pct(acc.estimate)}%</div>'
            f'<div class="ci">95% CI {_pct(acc.low)}–{_pct(acc.high)}</div></div>')
    if len(evaluation.runs) > 1:
        diff = next(d for d in evaluation.runs[-1].vs_baseline if d.metric == "accuracy")
        css = "gain" if diff.estimate >= 0 else "loss"
        cards.append(
            f'<div class="card"><div>gain ({html.escape(evaluation.runs[-1].name)} − '
            f'{html.escape(evaluation.baseline.name)})</div>'
            f'<div class="v {css}">{100 * diff.estimate:+.1f} pts</div>'
            f'<div class="ci">95% CI {100 * diff.low:+.1f} to {100 * diff.high:+.1f}, '
            f'{_p(diff.p_value)}</div></div>')
    return '<div class="cards">' + "".join(cards) + "</div>"


def _warnings_html(evaluation: Evaluation) -> str:
    """Degenerate runs in red at the top; notes (a retried divergence) in amber."""
    parts = []
    for degenerate, css, title in ((True, "alarm", "Not a result"), (False, "notice", "Note")):
        items = [f"<li><b>{html.escape(run.name)}</b>"
                 f"{html.escape(_in_group(evaluation, run, w.degenerate))}: "
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
        parts += ["<h2>Groups</h2>", _html_table(GROUP_HEADER, _group_rows(evaluation)),
                  f'<p class="note">Scores in %. {html.escape(_group_note(evaluation))}</p>']
    against = (f"the mean of the baseline group <b>{html.escape(evaluation.groups[0].name)}</b>"
               if evaluation.grouped else
               f"the baseline <b>{html.escape(evaluation.baseline.name)}</b>")
    parts += [
        "<h2>Runs</h2>", _html_table(_summary_header(evaluation), _summary_rows(evaluation)),
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
    header, rows = _per_label_rows(evaluation)
    parts += ["<h2>Per label</h2>", _img(plot_per_label(evaluation), "F1 per label"),
              "<details><summary>Per-label table</summary>", _html_table(header, rows),
              "</details>"]
    if evaluation.has_slots:
        parts += ["<h2>Slots</h2>", f'<p class="note">{html.escape(_slot_note(evaluation))}</p>']
        if evaluation.grouped and _slot_group_rows(evaluation):
            parts.append(_html_table(SLOT_GROUP_HEADER, _slot_group_rows(evaluation)))
        parts.append(_html_table(SLOT_HEADER, _slot_rows(evaluation)))
        header, rows = _per_slot_rows(evaluation)
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
