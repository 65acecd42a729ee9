"""`lexi lexicon coverage`: how much of a dataset lexicons cover, what each of several
adds, and what `lexi synth --ops translate` does with the tokens under its `--numbers`
and `--unknown` options (translated, written as numbers, dropped, left untranslated)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lexi.cli._util import AsJsonNotTables, SplitFilter, console, print_json, split_value
from lexi.cli.lexicon import lexicon_app
from lexi.cli.synth import FunctionWords, Numbers, Unknown
from lexi.data.outputs import check_output
from lexi.io import atomic_write
from lexi.lexicon.coverage import CoverageBySource
from lexi.synth.handled import DatasetCoverage, HandledReport, dataset_handling
from lexi.synth.numbers import NUMBERS_DEFAULT

Locale = Annotated[str | None, typer.Option(
    "--locale", help="Target language, as for `lexi synth` (sw, sw-KE, Swahili): "
    "--numbers auto and cldr spell numbers in it (without it, auto is lexicon).")]


def _coverage_tables(report: CoverageBySource, handled: HandledReport, top: int) -> None:
    merged = report.merged
    several = len(report.sources) > 1
    title = (f"lexicon coverage ({len(report.sources)} lexicons in priority order)"
             if several else "lexicon coverage")
    summary = Table(title=title, show_header=False)
    summary.add_row("utterances", f"{merged.utterances:,}")
    summary.add_row("tokens covered", f"{merged.covered_tokens:,} / {merged.tokens:,} "
                    f"({merged.token_coverage:.1%})")
    summary.add_row("types covered", f"{merged.covered_types:,} / {merged.types:,} "
                    f"({merged.type_coverage:.1%})")
    summary.add_row("multi-word matches", f"{merged.multiword_matches:,}")
    console.print(summary)
    if several:
        _sources_table(report)
    _handled_table(handled)
    lowest = sorted(merged.labels.values(), key=lambda c: c.token_coverage)[:top]
    labels = Table(title=f"lowest-covered labels ({len(merged.labels)} in all)"
                   + (": tokens each lexicon adds" if several else ""))
    columns = ["label", "utterances", "tokens",
               *(f"+{n}" for n in range(1, len(report.sources) + 1) if several), "coverage",
               "handled"]
    for column in columns:
        labels.add_column(column, justify="left" if column == "label" else "right")
    for label in lowest:
        added = [f"{report.sources[n].added_labels.get(label.label, 0) / label.tokens:.1%}"
                 if label.tokens else "-" for n in range(len(report.sources)) if several]
        done = handled.labels.get(label.label)
        labels.add_row(label.label, str(label.utterances), str(label.tokens), *added,
                       f"{label.token_coverage:.1%}",
                       "-" if done is None else f"{done.handled_share:.1%}")
    console.print(labels)
    # The words synthesis leaves in English under these options (not the ones it drops).
    missing = Table(title="most frequent untranslated words (add these first)")
    missing.add_column("word")
    missing.add_column("count", justify="right")
    for word, count in handled.untranslated_words.most_common(top):
        missing.add_row(escape(word), str(count))
    console.print(missing)


def _sources_table(report: CoverageBySource) -> None:
    """What each lexicon adds to the ones before it, and covers on its own."""
    merged = report.merged
    table = Table(title="by lexicon, in priority order: what each adds to the ones before")
    for column in ("", "lexicon", "phrases", "tokens added", "types added", "tokens alone",
                   "types alone"):
        table.add_column(column, justify="left" if column in ("", "lexicon") else "right",
                         overflow="fold")

    def part(count: int, whole: int, sign: str = "") -> str:
        return f"{count:{sign},} ({count / whole if whole else 0:{sign}.2%})"

    for number, source in enumerate(report.sources, 1):
        alone = source.alone
        table.add_row(
            # The file's name (the JSON has the path as given): the table stays narrow.
            f"+{number}", escape(Path(source.name).name), f"{source.phrases:,}",
            part(source.added_tokens, merged.tokens, "+"),
            part(source.added_types, merged.types, "+"),
            "-" if alone is None else part(alone.covered_tokens, alone.tokens),
            "-" if alone is None else part(alone.covered_types, alone.types))
    table.add_row("", "merged", "", part(merged.covered_tokens, merged.tokens),
                  part(merged.covered_types, merged.types), "", "")
    console.print(table)


def _handled_table(handled: HandledReport) -> None:
    """What `lexi synth --ops translate` does with the word tokens, one row a way."""
    options = handled.options
    tokens = handled.tokens
    title = (f"tokens as lexi synth translates them (--numbers {options['numbers']}, "
             f"--unknown {options['unknown']})")
    table = Table(title=title, show_header=False)

    def row(name: str, count: int, detail: str = "") -> None:
        share = count / tokens if tokens else 0.0
        table.add_row(name, f"{count:,} ({share:.1%})", detail)

    written = ", ".join(f"{way}: {count:,}" for way, count in handled.numbers.most_common())
    row("translated, the word itself", handled.verbatim)
    row("translated, its English lemma", handled.lemma)
    row("numbers, times, days, months", handled.category("numbers"), written)
    dropped = ""
    if options["function_words"]:
        dropped = "function words: " + ",".join(options["function_words"])
    row("dropped (--unknown)", handled.dropped, dropped)
    row("left untranslated", handled.untranslated)
    row("handled (not left untranslated)", handled.handled)
    console.print(table)


@lexicon_app.command("coverage")
def coverage_command(
    lexicons: Annotated[list[str], typer.Argument(
        help="One lexicon, or several in priority order (stores or TSVs); a store merged "
        "from several inputs shows each of them.", show_default=False)],
    dataset: Annotated[str, typer.Argument(
        help="Dataset: MASSIVE jsonl, JSONL, CSV, TSV; - = stdin.")],
    split: SplitFilter = "all",
    format: Annotated[str, typer.Option("--format", "-f", help="Dataset format.")] = "auto",
    numbers: Numbers = NUMBERS_DEFAULT,
    unknown: Unknown = "keep",
    function_words: FunctionWords = None,
    locale: Locale = None,
    top: Annotated[int, typer.Option("--top", help="Labels and untranslated words to list.")] = 20,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Also write the JSON here.")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace the -o file if it exists.")] = False,
    as_json: AsJsonNotTables = False,
) -> None:
    """Share of word tokens and types a lexicon covers, per label, what synthesis does
    with the tokens, and the most frequent words left untranslated; with several lexicons
    (or a merged store), what each adds to the ones before it.

    What `lexi synth --ops translate` does with each token, under the same `--numbers`,
    `--unknown`, `--function-words` and `--locale`: translated (the word itself, or its
    English lemma), written as a number, time, day or month, dropped, or left
    untranslated; *handled* is every token not left untranslated.

    Example: `lexi lexicon coverage en-sw.sqlite massive/en-US.jsonl --split train`

    Under synthesis options: `lexi lexicon coverage en-sw.sqlite massive/en-US.jsonl
    --numbers auto --locale sw --unknown drop-function-words`

    Several, the last argument being the dataset (synthesis reads them merged in
    priority order): `lexi lexicon coverage gatitos-en-ln.tsv wechsel-en-ln.tsv train.jsonl`

    `--json` has the coverage's keys and `handled`. An existing -o file is kept unless
    `--overwrite` is given; an input is never overwritten.
    """
    if output:
        check_output(output, [*lexicons, dataset], overwrite=overwrite)
    report: DatasetCoverage = dataset_handling(
        lexicons, dataset, split=split_value(split), format=format,
        freeze_after_load=True,  # one load per process
        numbers=numbers, unknown=unknown, function_words=function_words, locale=locale)
    data = report.as_dict(top=top)
    if output:
        import json

        with atomic_write(output) as handle:
            handle.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    if as_json:
        print_json(data)
    else:
        _coverage_tables(report.coverage, report.handled, top)
