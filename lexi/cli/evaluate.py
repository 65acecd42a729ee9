"""`lexi eval`: score trained runs on a target-language test set, side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lexi.cli._util import SPLIT_VALUES, BatchSize, app, console, print_json
from lexi.evaluate import evaluate
from lexi.evaluate.evaluation import Evaluation
from lexi.evaluate.metrics import GroupScore, Interval
from lexi.evaluate.tables import gains_against

# Repeatable options.
Runs = Annotated[list[str] | None, typer.Option(
    "--run", "-r",
    help="Run directory from `lexi train`, or a seed group NAME=DIR[,DIR...] (globs allowed, "
         "quoted); repeat it, the first is the baseline.")]
Predictions = Annotated[list[str] | None, typer.Option(
    "--predictions", "-p",
    help="Saved predictions (predictions/*.jsonl) to rescore instead of runs; "
         "NAME=FILE[,FILE...] groups them like --run.")]


def _cell(score: Interval | GroupScore) -> str:
    if isinstance(score, GroupScore):
        sd = "" if score.sd is None else f" ± {100 * score.sd:.1f}"
        return f"{100 * score.mean:.1f}{sd} [{100 * score.low:.1f}, {100 * score.high:.1f}]"
    return f"{100 * score.estimate:.1f} [{100 * score.low:.1f}, {100 * score.high:.1f}]"


def _gain_cell(diffs) -> str:
    gain = next((d for d in diffs if d.metric == "accuracy"), None)
    return ("—" if gain is None else
            f"{100 * gain.estimate:+.1f} [{100 * gain.low:+.1f}, {100 * gain.high:+.1f}]")


def print_tables(evaluation: Evaluation) -> None:
    """The group table (when runs come in seed groups), then one row per run."""
    rows = evaluation.baseline.metrics.n
    if evaluation.grouped:
        table = Table(title=f"groups: mean ± sd over runs [pooled 95% CI], {rows} test rows")
        for column in ("group", "runs", "accuracy", "macro-F1", "gain vs baseline"):
            table.add_column(column)
        for group in evaluation.groups:
            table.add_row(
                group.name + (" [bold red](NOT A RESULT)[/]" if group.degenerate else ""),
                str(len(group.runs)), _cell(group.scores["accuracy"]),
                _cell(group.scores["macro_f1"]), _gain_cell(group.vs_baseline))
        console.print(table)
    table = Table(title=f"{rows} test rows" if not evaluation.grouped else "runs")
    columns = ["run", "accuracy [95% CI]", "macro-F1 [95% CI]", "gain vs baseline"]
    if evaluation.grouped:
        columns.insert(1, "group")
        columns.append("gains against")
    for column in columns:
        table.add_column(column)
    for result in evaluation.runs:
        cells = [result.name, _cell(result.metrics.accuracy), _cell(result.metrics.macro_f1),
                 _gain_cell(result.vs_baseline)]
        if evaluation.grouped:
            group = evaluation.group_of(result)
            cells.insert(1, group.name if group else "")
            cells.append(gains_against(result, evaluation.groups[0]))
        table.add_row(*cells)
    console.print(table)
    if evaluation.has_slots:
        print_slot_table(evaluation)


def print_slot_table(evaluation: Evaluation) -> None:
    """Slot F1 and exact match of the runs scored on slots (test rows with slot markup)."""
    table = Table(title="slots (rows with slot markup)")
    for column in ("run", "rows", "slot F1 [95% CI]", "exact match [95% CI]",
                   "slot F1 gain", "exact match gain"):
        table.add_column(column)
    for result in evaluation.runs:
        if result.slots is None:
            continue
        gains = {d.metric: d for d in result.vs_baseline}
        table.add_row(result.name, str(result.slots.rows), _cell(result.slots.slot_f1),
                      _cell(result.slots.exact_match), _diff_cell(gains.get("slot_f1")),
                      _diff_cell(gains.get("exact_match")))
    console.print(table)


def _diff_cell(diff) -> str:
    return ("—" if diff is None else
            f"{100 * diff.estimate:+.1f} [{100 * diff.low:+.1f}, {100 * diff.high:+.1f}]")


@app.command("eval")
def eval_command(
    run: Runs = None,
    data: Annotated[str | None, typer.Option(
        "--data", "-d", help="Target-language test file.")] = None,
    split: Annotated[str, typer.Option(
        "--split", help=f"Rows of --data of this split: {SPLIT_VALUES}.")] = "test",
    output: Annotated[str | None, typer.Option(
        "--output", "-o",
        help="Report directory: metrics.json, report.md, report.html, predictions/. "
             "Must be new or empty unless --overwrite.")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite",
        help="Replace a non-empty -o directory as a whole (written aside, then swapped in).")
    ] = False,
    predictions: Predictions = None,
    format: Annotated[str, typer.Option("--format", "-f", help="Format of --data.")] = "auto",
    text_field: Annotated[str | None, typer.Option(
        "--text-field", help="Text column (generic files).")] = None,
    label_field: Annotated[str | None, typer.Option(
        "--label-field", help="Label column (generic files).")] = None,
    resamples: Annotated[int, typer.Option(
        "--resamples", help="Bootstrap resamples (95% CIs).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    batch_size: BatchSize = 64,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics.json on stdout.")] = False,
) -> None:
    """Accuracy, macro-F1, per-label scores and confusions with 95% bootstrap intervals.

    Runs trained with `--task intent+slots` are also scored on slots where the test rows
    have MASSIVE annot_utt markup: slot F1 (micro, over exact spans and types), exact match
    (intent and every slot right) and F1 per slot type.

    The first `--run` is the baseline; every other run gets the paired difference against
    it. `--run NAME=DIR,DIR,...` makes a seed group (one run per training seed): groups
    get mean ± sd over their runs, a pooled interval and paired gains of means.
    Target-language data is for testing only.

    Examples:

    `lexi eval -r runs/baseline -r runs/augmented --data sw-KE.jsonl --split test -o reports/sw`

    `lexi eval -r base=runs/b-s13,runs/b-s14 -r aug='runs/a-s*' -d sw-KE.jsonl -o reports/sw`
    """
    evaluation = evaluate(run or [], data, output, split, predictions or [], format,
                          text_field, label_field, resamples, seed, batch_size, overwrite)
    if as_json:
        print_json(evaluation.as_dict())
    print_tables(evaluation)
    for result in evaluation.runs:
        group = evaluation.group_of(result)
        in_group = (f" (group {group.name}: its mean is not a result)"
                    if group is not None and len(group.runs) > 1 else "")
        for warning in result.warnings:
            style = "bold red" if warning.degenerate else "yellow"
            label = "NOT A RESULT" if warning.degenerate else "note"
            where = in_group if warning.degenerate else ""
            console.print(f"[{style}]{label}: {result.name}{where}: {warning.message}[/]",
                          highlight=False, soft_wrap=True)
    for result in evaluation.runs:
        if result.metrics.unseen_labels:
            console.print(f"[yellow]{result.name} never saw {len(result.metrics.unseen_labels)} "
                          f"test labels ({result.metrics.unseen_rows} rows counted as errors): "
                          f"{', '.join(result.metrics.unseen_labels)}[/]")
    if output:
        console.print(f"report: {Path(output) / 'report.html'}")
