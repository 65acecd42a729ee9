"""`lexi selftrain`: pseudo-label unlabelled target-language text with a trained run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lexi.cli._util import (
    SPLIT_VALUES,
    BatchSize,
    Device,
    app,
    console,
    print_json,
    split_value,
)
from lexi.model.selftrain import DEFAULT_THRESHOLD, SelfTrainConfig, SelfTrainResult


def print_summary(result: SelfTrainResult) -> None:
    """Rows read, kept, dropped (by reason) and kept per label, on stderr."""
    table = Table(title=f"lexi selftrain → {result.output}", show_header=False)
    table.add_row("rows read", str(result.rows_read))
    share = result.rows_kept / result.rows_read if result.rows_read else 0.0
    rule = f"threshold {result.threshold}"
    if result.top_share is not None:
        rule += f", top share {result.top_share} of each label"
    table.add_row("rows kept", f"{result.rows_kept} ({share:.1%}), {rule}")
    for reason, count in result.dropped.items():
        table.add_row(f"dropped: {reason}", str(count))
    if result.back_translated is not None:
        table.add_row("rows translated back", str(result.back_translated))
    table.add_row("round", str(result.round))
    console.print(table)
    listing = Table(title="rows kept per label")
    listing.add_column("label")
    listing.add_column("rows", justify="right")
    for label, count in result.kept_per_label.items():
        listing.add_row(label, str(count))
    console.print(listing)
    if not result.rows_kept:
        console.print(f"[yellow]warning:[/] no pool row passed ({rule}); "
                      f"{result.output} is empty, so the next training adds nothing",
                      highlight=False)
    if result.test_split_rows:
        console.print(f"[yellow]warning:[/] {result.test_split_rows} pool rows are from the test "
                      "split; an evaluation on them after retraining is no longer zero-shot "
                      "(pass --split train)", highlight=False)


@app.command("selftrain")
def selftrain_cmd(
    pool: Annotated[str, typer.Argument(
        help="Unlabelled utterances: a text file (one per line), or a dataset file (MASSIVE "
        "jsonl, JSONL, CSV, TSV) whose labels are ignored; - for stdin.")],
    run: Annotated[Path, typer.Option(
        "--run", "-r", help="The run (or `lexi export` folder) whose predictions become "
        "labels.")],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="MASSIVE jsonl file to write (*.jsonl).")],
    threshold: Annotated[float | None, typer.Option(
        "--threshold", help=f"Keep rows whose top probability is at least this, in (0, 1]. "
        f"Default {DEFAULT_THRESHOLD} (a starting point, not a measured value), or none with "
        "--top-share.", show_default=False)] = None,
    top_share: Annotated[float | None, typer.Option(
        "--top-share", help="Keep only this share, in (0, 1], of the rows each label is "
        "predicted for, the most confident first: a rank, so a model with flat probabilities "
        "(a weight average) keeps as many rows as a sure one. 0.5: the surer half of "
        "each label.")] = None,
    max_per_label: Annotated[int | None, typer.Option(
        "--max-per-label", help="At most N rows per predicted label, the most confident "
        "first.")] = None,
    agree: Annotated[list[Path] | None, typer.Option(
        "--agree", help="Another run (repeatable): keep only rows on which every run predicts "
        "the same label.")] = None,
    agree_back: Annotated[list[Path] | None, typer.Option(
        "--agree-back", help="A run (repeatable; typically the English-only baseline) that reads "
        "each pool row translated back into English word by word with --back-lexicon: keep "
        "only rows it labels as --run does (two views of a row; measured in "
        "docs/selftraining.md).")] = None,
    back_lexicon: Annotated[list[Path] | None, typer.Option(
        "--back-lexicon", help="The English→target lexicon (store or TSV; repeatable, first "
        "wins) the synthetic rows were made with, read backwards for --agree-back.")] = None,
    round_number: Annotated[int, typer.Option(
        "--round", help="Self-training round, recorded in each row's provenance.")] = 1,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="Pool: auto, text, massive, jsonl, csv, tsv.")] = "auto",
    text_field: Annotated[str | None, typer.Option(
        "--text-field", help="Text column of a generic dataset pool.")] = None,
    split: Annotated[str, typer.Option(
        "--split", help=f"Only pool rows of this split (dataset pools): {SPLIT_VALUES}.")
    ] = "all",
    batch_size: BatchSize = 64,
    device: Device = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing output file.")] = False,
    allow_empty: Annotated[bool, typer.Option(
        "--allow-empty", help="When no row passes, write an empty file and warn instead of "
        "failing (the recipes' self-training step: a weak model costs the round, not the "
        "run).")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the summary as JSON on stdout instead.")] = False,
) -> None:
    """Pseudo-label unlabelled target-language text with a trained run, keeping only the
    confident predictions, as a training file for the next `lexi train`.

    Example (one round; docs/selftraining.md has the loop):

        lexi selftrain sw-pool.txt --run runs/augmented --max-per-label 200 -o pseudo.jsonl

        lexi train --data en-US.jsonl --data sw-synth.jsonl --data pseudo.jsonl -o runs/r1

    Rows carry only id, text, the predicted intent and provenance under `lexi`
    (`{"op": "selftrain", "run", "prob", "round"}`), never a label of the pool. Prints the
    output path on stdout (the summary with --json) and the summary tables on stderr.
    """
    from lexi.model.selftrain import pseudo_label

    config = SelfTrainConfig(
        pool=pool, run=str(run), output=str(output), threshold=threshold, top_share=top_share,
        max_per_label=max_per_label, agree=[str(a) for a in agree or []],
        agree_back=[str(a) for a in agree_back or []],
        back_lexicon=[str(b) for b in back_lexicon or []], round=round_number,
        format=format, text_field=text_field, split=split_value(split), batch_size=batch_size,
        device=device, overwrite=overwrite, allow_empty=allow_empty,
    )
    result = pseudo_label(config)
    if as_json:
        print_json(result.as_dict())
        return
    print_summary(result)
    sys.stdout.write(f"{result.output}\n")
