"""`lexi data ...`: look at and convert labelled datasets."""

from __future__ import annotations

import itertools
from typing import Annotated

import typer
from rich.table import Table

from lexi.cli._util import (
    AsJsonNotTables,
    SplitFilter,
    console,
    print_json,
    split_value,
    subgroup,
)
from lexi.data.outputs import check_output, nothing_selected
from lexi.data.readers import FORMATS, read_dataset, write_dataset
from lexi.data.stats import DatasetStats, dataset_stats
from lexi.io import atomic_write

data_app = subgroup(
    "data", "Inspect and convert labelled datasets (MASSIVE jsonl, JSONL, CSV, TSV)."
)

Format = Annotated[str, typer.Option(
    "--format", "-f", help=f"Input format: {', '.join(FORMATS)}.")]
TextField = Annotated[str | None, typer.Option(
    "--text-field", help="Column holding the text (generic files).")]
LabelField = Annotated[str | None, typer.Option(
    "--label-field", help="Column holding the label (generic files).")]


def data_stats(
    path: str,
    format: str = "auto",
    text_field: str | None = None,
    label_field: str | None = None,
    split: str | None = None,
) -> DatasetStats:
    """Statistics of one dataset file."""
    return dataset_stats(
        read_dataset(
            path, format=format, text_field=text_field, label_field=label_field, split=split
        )
    )


@data_app.command("stats")
def stats_command(
    path: Annotated[str, typer.Argument(help="Dataset file, or - for stdin (MASSIVE jsonl).")],
    format: Format = "auto",
    text_field: TextField = None,
    label_field: LabelField = None,
    split: SplitFilter = "all",
    as_json: AsJsonNotTables = False,
    top: Annotated[int, typer.Option(
        "--top", help="How many labels and slot types to list.")] = 15,
) -> None:
    """Rows, labels and their counts, splits, locales, mean length and slot types.

    Example: `lexi data stats en-US.jsonl --split train`
    """
    stats = data_stats(path, format, text_field, label_field, split_value(split))
    if as_json:
        print_json(stats.as_dict())
        return
    summary = Table(title=f"{path}", show_header=False)
    summary.add_row("rows", str(stats.rows))
    summary.add_row("labels", str(len(stats.labels)))
    summary.add_row("splits", ", ".join(f"{k}: {v}" for k, v in stats.splits.most_common()))
    summary.add_row("locales", ", ".join(f"{k}: {v}" for k, v in stats.locales.most_common()))
    summary.add_row("mean length", f"{stats.mean_chars:.1f} chars, {stats.mean_words:.1f} words")
    summary.add_row("slot types", str(len(stats.slot_types)))
    console.print(summary)
    for title, counter in (("label", stats.labels), ("slot type", stats.slot_types)):
        if not counter:
            continue
        table = Table(title=f"top {title}s ({len(counter)} in all)")
        table.add_column(title)
        table.add_column("count", justify="right")
        for key, count in counter.most_common(top):
            table.add_row(str(key), str(count))
        console.print(table)


def data_convert(
    source: str,
    target: str,
    to: str = "massive",
    format: str = "auto",
    text_field: str | None = None,
    label_field: str | None = None,
    split: str | None = None,
    overwrite: bool = False,
) -> int:
    """Convert a dataset between formats; returns rows written. ``-`` is stdout.

    An existing ``target`` is replaced only with ``overwrite``, never when it is ``source``;
    0 rows selected is a ``LexiError`` and leaves ``target`` as it was.
    """
    check_output(target, [source], overwrite=overwrite)
    rows = read_dataset(
        source, format=format, text_field=text_field, label_field=label_field, split=split
    )
    # The first row is read before anything is written, so that 0 rows writes nothing at
    # all (not even a CSV header on stdout).
    first = next(rows, None)
    if first is None:
        raise nothing_selected(source, split, format=format, text_field=text_field,
                               label_field=label_field)
    with atomic_write(target) as out:
        return write_dataset(itertools.chain([first], rows), out, to)


@data_app.command("convert")
def convert_command(
    source: Annotated[str, typer.Argument(help="Input file, or - for stdin.")],
    target: Annotated[str, typer.Argument(help="Output file, or - for stdout.")] = "-",
    to: Annotated[str, typer.Option(
        "--to", help="Output format: massive, jsonl, csv, tsv.")] = "massive",
    format: Format = "auto",
    text_field: TextField = None,
    label_field: LabelField = None,
    split: SplitFilter = "all",
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace TARGET if it exists.")] = False,
) -> None:
    """Convert between formats, e.g. a SIB-200 TSV into MASSIVE jsonl:

    `lexi data convert sib200/swh_Latn/test.tsv swh-test.jsonl --to massive`

    An existing TARGET is kept unless `--overwrite` is given; selecting 0 rows is an error.
    """
    count = data_convert(source, target, to, format, text_field, label_field, split_value(split),
                         overwrite)
    console.print(f"wrote {count} rows to {target}")
