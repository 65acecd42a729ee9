"""`lexi lexicon ...`: import, inspect, look up, merge and measure bilingual lexicons
(`lexi lexicon coverage` is in :mod:`lexi.cli.lexicon_coverage`; `lexi lexicon sources`
and the top-level `lexi fetch`, which find and download public ones, are in
:mod:`lexi.cli.lexicon_sources`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from lexi.cli._util import (
    AsJsonNotTables,
    console,
    deprecated,
    parse_pairs,
    print_json,
    subgroup,
)
from lexi.data.massive import not_utf8
from lexi.lexicon import ImportReport, import_lexicon, load_lexicon, merge_lexicons
from lexi.lexicon.adapters import adapter_specs
from lexi.lexicon.importer import input_weights
from lexi.lexicon.stats import LexiconStats, lexicon_stats

lexicon_app = subgroup(
    "lexicon",
    "Bilingual lexicons: import any format into a fast store, look words up, merge, and "
    "measure how much of a dataset a lexicon covers.",
)

Overwrite = Annotated[bool, typer.Option(
    "--overwrite", help="Replace the output store if it exists.")]
Lexicon = Annotated[str, typer.Argument(help="A store (.sqlite) or a two-column TSV.")]
MERGE_HELP = ("union: every input's translations, a pair found twice keeping its highest "
              "weight; priority: a word's translations come from the first input that has "
              "it (later inputs only add words).")


def _print_import(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
        return
    rate = report.rows / report.seconds if report.seconds else 0.0
    console.print(
        f"wrote {report.rows:,} entries ({report.skipped:,} lines skipped) to "
        f"{escape(report.output)} in {report.seconds:.2f}s ({rate:,.0f} entries/s)"
    )
    for number, part in enumerate(report.parts, 1):
        dropped = (f", {part.dropped:,} left out (words an earlier input has)"
                   if report.mode == "priority" and number > 1 else "")
        weight = f", weights × {part.weight:g}" if part.weight != 1.0 else ""
        console.print(f"  {number}. {escape(part.input)}: {part.rows:,} entries{dropped}"
                      f"{weight}", highlight=False)
    for example in report.skipped_examples:
        console.print(f"  skipped {escape(example)}", highlight=False)
    if report.skipped > len(report.skipped_examples):
        console.print(f"  … and {report.skipped - len(report.skipped_examples)} more "
                      "(--strict stops at the first)")


@lexicon_app.command("import")
def import_command(
    adapter: Annotated[str, typer.Argument(
        help="Adapter name (see `lexi lexicon adapters`).")],
    paths: Annotated[list[str] | None, typer.Argument(
        help="Input file(s); none for `cldr`.")] = None,
    *,
    output: Annotated[str, typer.Option("--output", "-o", help="Store to write (.sqlite).")],
    src: Annotated[str, typer.Option(
        "--src", help="Source language (code, tag or name).")] = "en",
    tgt: Annotated[str, typer.Option(
        "--tgt", help="Target language: any code, tag or name (sw, swa, sw-KE, Swahili); the "
        "store records lexi's code.")],
    strict: Annotated[bool, typer.Option(
        "--strict", help="Fail on the first malformed line (default: skip and count).")
    ] = False,
    option: Annotated[list[str], typer.Option(
        "--option", "-O", help="Adapter option KEY=VALUE (repeatable), e.g. -O header=true.")
    ] = [],  # noqa: B006 (never mutated: click passes the command a new list)
    fold_diacritics: Annotated[bool, typer.Option(
        "--fold-diacritics", help="Match sources with accents removed (café = cafe).")
    ] = False,
    merge: Annotated[str, typer.Option(
        "--merge", help=f"How several input files combine. {MERGE_HELP}")] = "union",
    overwrite: Overwrite = False,
    as_json: AsJsonNotTables = False,
) -> None:
    """Compile a lexicon into a store that `lookup`, `coverage` and synthesis read.

    Example: `lexi lexicon import tsv wechsel-en-sw.tsv --src en --tgt sw -o en-sw.sqlite`

    Offline CLDR names: `lexi lexicon import cldr --src en --tgt sw -o en-sw-cldr.sqlite`

    Several lists, the first preferred: `lexi lexicon import tsv gatitos-en-ln.tsv
    wechsel-en-ln.tsv --merge priority --tgt ln -o en-ln.sqlite`

    An existing store is kept unless `--overwrite` is given; an input is never overwritten.
    """
    with Progress(
        SpinnerColumn(), TextColumn("importing {task.fields[name]}"),
        TextColumn("{task.completed:,.0f} entries"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:
        task = progress.add_task("import", total=None, name=adapter)
        report = import_lexicon(
            adapter, paths or [], output, src=src, tgt=tgt, strict=strict,
            options=parse_pairs(option, "-O", "KEY=VALUE", "header=true"),
            fold_diacritics=fold_diacritics,
            on_progress=lambda n: progress.update(task, completed=n), overwrite=overwrite,
            merge=merge,
        )
    _print_import(report, as_json)


@lexicon_app.command("adapters")
def adapters_command(as_json: AsJsonNotTables = False) -> None:
    """List the lexicon adapters installed (built-in and from other packages).

    Example: `lexi lexicon adapters --json`
    """
    rows = []
    for spec in adapter_specs().values():
        adapter = spec.load()
        rows.append({
            "name": spec.name, "summary": adapter.summary, "provider": spec.distribution,
            "target": spec.target, "options": dict(adapter.options),
        })
    if as_json:
        print_json(rows)
        return
    table = Table(title="lexicon adapters")
    for column in ("name", "reads", "options", "from"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["summary"], ", ".join(row["options"]) or "-",
                      row["provider"] or row["target"])
    console.print(table)


@lexicon_app.command("stats")
def stats_command(
    lexicon: Lexicon,
    as_json: AsJsonNotTables = False,
) -> None:
    """Entries, distinct sources and targets, multi-word share, POS, how it was built.

    Example: `lexi lexicon stats en-sw.sqlite`
    """
    stats: LexiconStats = lexicon_stats(lexicon, freeze_after_load=True)
    if as_json:
        print_json(stats.as_dict())
        return
    table = Table(title=str(lexicon), show_header=False)
    table.add_row("languages", f"{stats.src or '?'} → {stats.tgt or '?'}")
    table.add_row("entries", f"{stats.entries:,}")
    table.add_row("source phrases", f"{stats.sources:,} ({stats.multiword_sources:,} multi-word, "
                  f"up to {stats.max_phrase_words} words)")
    table.add_row("target phrases", f"{stats.targets:,}")
    table.add_row("senses per source", f"{stats.senses_per_source:.2f}")
    table.add_row("parts of speech", ", ".join(f"{k}: {v}" for k, v in list(stats.pos.items())[:8]))
    table.add_row("file size", f"{stats.file_bytes:,} bytes")
    for key in ("adapter", "inputs", "mode", "skipped"):
        if key in stats.meta:
            table.add_row(key, escape(str(stats.meta[key])))
    console.print(table)


@lexicon_app.command("lookup")
def lookup_command(
    lexicon: Lexicon,
    words: Annotated[list[str] | None, typer.Argument(
        help="Words or phrases; none = one per stdin line.")] = None,
    top: Annotated[int, typer.Option(
        "--top", help="At most N translations each (0 = all).")] = 0,
    as_json: AsJsonNotTables = False,
    top_old: Annotated[int | None, typer.Option(
        "-n", hidden=True, help="Deprecated spelling of --top.")] = None,
) -> None:
    """Translations of words or phrases, best first, as TSV `query, target, weight, pos`.

    Example: `lexi lexicon lookup en-sw.sqlite mother "wake up"`;
    `cut -f1 words.txt | lexi lexicon lookup en-sw.sqlite`
    """
    if top_old is not None:
        deprecated("-n", "--top (-n is --dry-run elsewhere)")
        top = top_old
    view = load_lexicon(lexicon, freeze_after_load=True)  # one load per process
    try:
        queries = words or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    except UnicodeDecodeError as exc:
        raise not_utf8("-", exc) from None
    found: dict[str, list[dict]] = {}
    for query in queries:
        entries = view.translations(query)
        found[query] = [
            {"target": e.target, "weight": e.weight, "pos": e.pos, "provenance": e.provenance}
            for e in (entries[:top] if top else entries)
        ]
    if as_json:
        print_json(found)
    else:
        for query, entries in found.items():
            for e in entries:
                sys.stdout.write(f"{query}\t{e['target']}\t{e['weight']:g}\t{e['pos'] or ''}\n")
    missing = [q for q, entries in found.items() if not entries]
    if missing:
        console.print(f"not in the lexicon: {escape(', '.join(missing))}")


@lexicon_app.command("merge")
def merge_command(
    lexicons: Annotated[list[str], typer.Argument(
        help="Stores or TSVs to merge (same languages), in priority order.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Merged store to write.")],
    mode: Annotated[str, typer.Option("--mode", help=MERGE_HELP)] = "union",
    weights: Annotated[str | None, typer.Option(
        "--weights", help="union: multiply each input's weights by these, one number per "
        "input, commas (1,0.5 prefers the first input's senses).")] = None,
    overwrite: Overwrite = False,
    as_json: AsJsonNotTables = False,
) -> None:
    """Merge lexicons into one store, remembering which input each entry came from
    (`lexi lexicon coverage STORE DATASET` then shows what each adds).

    Example: `lexi lexicon merge en-sw.sqlite en-sw-cldr.sqlite -o en-sw-all.sqlite`

    The first list's senses kept, the others adding words:
    `lexi lexicon merge gatitos-en-ln.tsv wechsel-en-ln.tsv --mode priority -o en-ln.sqlite`

    An existing store is kept unless `--overwrite` is given; an input is never overwritten.
    """
    _print_import(merge_lexicons(lexicons, output, mode=mode, weights=input_weights(weights),
                                 overwrite=overwrite), as_json)
