"""`lexi eval`: score trained runs on a target-language test set, side by side."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from lexi.cli._util import app, console, print_json
from lexi.errors import LexiError
from lexi.evaluate.evaluation import (
    Evaluation,
    evaluate_prediction_files,
    evaluate_runs,
)
from lexi.evaluate.metrics import BootstrapConfig


def evaluate(
    runs: list[str], data: str | None, output: str | None, split: str | None = "test",
    predictions: list[str] | None = None, format: str = "auto",
    text_field: str | None = None, label_field: str | None = None,
    resamples: int = 1000, seed: int = 0, batch_size: int = 64,
) -> Evaluation:
    """Score runs on ``data`` (or rescore saved predictions); reports go to ``output``."""
    bootstrap = BootstrapConfig(resamples=resamples, seed=seed)
    if predictions:
        if runs:
            raise LexiError("give either --run or --predictions, not both")
        return evaluate_prediction_files(predictions, output, bootstrap)
    if not runs:
        raise LexiError("no runs to evaluate", hint="give --run DIR (first = baseline)")
    if data is None:
        raise LexiError("--data is required with --run", hint="the target-language test file")
    return evaluate_runs(runs, data, split, output, format, text_field, label_field, bootstrap,
                         batch_size)


# Repeatable options (module-level so that the list-typed defaults are built once).
RunOpt = typer.Option(
    None, "--run", "-r",
    help="Run directory from `lexi train`; repeat it, the first is the baseline.")
PredictionsOpt = typer.Option(
    None, "--predictions", "-p",
    help="Saved predictions (predictions/*.jsonl) to rescore instead of runs.")


@app.command("eval")
def eval_command(
    run: list[str] = RunOpt,
    data: str = typer.Option(None, "--data", "-d", help="Target-language test file."),
    split: str = typer.Option("test", "--split", help="Rows of this split ('' for all rows)."),
    output: str = typer.Option(
        None, "--output", "-o",
        help="Report directory: metrics.json, report.md, report.html, predictions/."),
    predictions: list[str] = PredictionsOpt,
    format: str = typer.Option("auto", "--format", "-f", help="Format of --data."),
    text_field: str = typer.Option(None, "--text-field", help="Text column (generic files)."),
    label_field: str = typer.Option(None, "--label-field", help="Label column (generic files)."),
    resamples: int = typer.Option(1000, "--resamples", help="Bootstrap resamples (95% CIs)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    batch_size: int = typer.Option(64, "--batch-size", help="Texts per forward pass."),
    as_json: bool = typer.Option(False, "--json", help="Print metrics.json on stdout."),
) -> None:
    """Accuracy, macro-F1, per-label scores and confusions with 95% bootstrap intervals.

    The first `--run` is the baseline; every other run gets the paired difference against
    it. Target-language data is for testing only.

    Example:

    `lexi eval -r runs/baseline -r runs/augmented --data sw-KE.jsonl --split test -o reports/sw`
    """
    evaluation = evaluate(run or [], data, output, split or None, predictions or [], format,
                          text_field, label_field, resamples, seed, batch_size)
    if as_json:
        print_json(evaluation.as_dict())
    table = Table(title=f"{evaluation.baseline.metrics.n} test rows")
    for column in ("run", "accuracy [95% CI]", "macro-F1 [95% CI]", "gain vs baseline"):
        table.add_column(column)
    for result in evaluation.runs:
        acc, f1 = result.metrics.accuracy, result.metrics.macro_f1
        gain = next((d for d in result.vs_baseline if d.metric == "accuracy"), None)
        table.add_row(
            result.name,
            f"{100 * acc.estimate:.1f} [{100 * acc.low:.1f}, {100 * acc.high:.1f}]",
            f"{100 * f1.estimate:.1f} [{100 * f1.low:.1f}, {100 * f1.high:.1f}]",
            "—" if gain is None else
            f"{100 * gain.estimate:+.1f} [{100 * gain.low:+.1f}, {100 * gain.high:+.1f}]",
        )
    console.print(table)
    for result in evaluation.runs:
        for warning in result.warnings:
            style = "bold red" if warning.degenerate else "yellow"
            label = "NOT A RESULT" if warning.degenerate else "note"
            console.print(f"[{style}]{label}: {result.name}: {warning.message}[/]",
                          highlight=False, soft_wrap=True)
    for result in evaluation.runs:
        if result.metrics.unseen_labels:
            console.print(f"[yellow]{result.name} never saw {len(result.metrics.unseen_labels)} "
                          f"test labels ({result.metrics.unseen_rows} rows counted as errors): "
                          f"{', '.join(result.metrics.unseen_labels)}[/]")
    if output:
        console.print(f"report: {Path(output) / 'report.html'}")
