"""`lexi lexicon ...`: import, inspect, look up, merge and measure bilingual lexicons;
`lexi lexicon sources` and the top-level `lexi fetch` find and download public ones."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from lexi.cli._util import (
    SPLIT_VALUES,
    app,
    console,
    deprecated,
    parse_pairs,
    print_json,
    split_value,
    subgroup,
)
from lexi.data.massive import not_utf8
from lexi.data.outputs import check_output, nothing_selected
from lexi.data.readers import read_dataset
from lexi.errors import LexiError
from lexi.io import atomic_write
from lexi.lexicon import ImportReport, import_lexicon, load_lexicon, merge_lexicons
from lexi.lexicon.adapters import adapter_specs
from lexi.lexicon.coverage import CoverageReport, lexicon_coverage
from lexi.lexicon.stats import LexiconStats, lexicon_stats
from lexi.resources import FetchResult, fetch, read_catalog, sources_for
from lexi.resources.languages import resolve_language

lexicon_app = subgroup(
    "lexicon",
    "Bilingual lexicons: import any format into a fast store, look words up, merge, and "
    "measure how much of a dataset a lexicon covers.",
)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of tables.")]
Catalog = Annotated[str | None, typer.Option(
    "--catalog", help="Catalog file (default lexicons/catalog.yml).")]
Overwrite = Annotated[bool, typer.Option(
    "--overwrite", help="Replace the output store if it exists.")]
Lexicon = Annotated[str, typer.Argument(help="A store (.sqlite) or a two-column TSV.")]


def _catalog_language(lang: str | None, catalog: dict) -> str | None:
    """``lang`` as the catalog names it: as given where the catalog has that code, else lexi's
    code for it (Swahili, swa, sw-KE → sw)."""
    if lang is None:
        return None
    from lexi.resources.languages import language_code

    if any(lang in source.languages for source in catalog.values()):
        return lang
    return language_code(lang)


def _print_import(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
        return
    rate = report.rows / report.seconds if report.seconds else 0.0
    console.print(
        f"wrote {report.rows:,} entries ({report.skipped:,} lines skipped) to "
        f"{escape(report.output)} in {report.seconds:.2f}s ({rate:,.0f} entries/s)"
    )
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
    overwrite: Overwrite = False,
    as_json: AsJson = False,
) -> None:
    """Compile a lexicon into a store that `lookup`, `coverage` and synthesis read.

    Example: `lexi lexicon import tsv wechsel-en-sw.tsv --src en --tgt sw -o en-sw.sqlite`

    Offline CLDR names: `lexi lexicon import cldr --src en --tgt sw -o en-sw-cldr.sqlite`

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
        )
    _print_import(report, as_json)


@lexicon_app.command("adapters")
def adapters_command(as_json: AsJson = False) -> None:
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
    as_json: AsJson = False,
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
    for key in ("adapter", "inputs", "skipped"):
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
    as_json: AsJson = False,
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
        help="Stores or TSVs to merge (same languages).")],
    output: Annotated[str, typer.Option("--output", "-o", help="Merged store to write.")],
    overwrite: Overwrite = False,
    as_json: AsJson = False,
) -> None:
    """Merge lexicons into one store; a pair found twice keeps its highest weight.

    Example: `lexi lexicon merge en-sw.sqlite en-sw-cldr.sqlite -o en-sw-all.sqlite`

    An existing store is kept unless `--overwrite` is given; an input is never overwritten.
    """
    _print_import(merge_lexicons(lexicons, output, overwrite=overwrite), as_json)


def _coverage_tables(report: CoverageReport, top: int) -> None:
    summary = Table(title="lexicon coverage", show_header=False)
    summary.add_row("utterances", f"{report.utterances:,}")
    summary.add_row("tokens covered", f"{report.covered_tokens:,} / {report.tokens:,} "
                    f"({report.token_coverage:.1%})")
    summary.add_row("types covered", f"{report.covered_types:,} / {report.types:,} "
                    f"({report.type_coverage:.1%})")
    summary.add_row("multi-word matches", f"{report.multiword_matches:,}")
    console.print(summary)
    labels = Table(title=f"lowest-covered labels ({len(report.labels)} in all)")
    for column in ("label", "utterances", "tokens", "coverage"):
        labels.add_column(column, justify="left" if column == "label" else "right")
    for label in sorted(report.labels.values(), key=lambda c: c.token_coverage)[:top]:
        labels.add_row(label.label, str(label.utterances), str(label.tokens),
                       f"{label.token_coverage:.1%}")
    console.print(labels)
    missing = Table(title="most frequent uncovered words (add these first)")
    missing.add_column("word")
    missing.add_column("count", justify="right")
    for word, count in report.uncovered.most_common(top):
        missing.add_row(escape(word), str(count))
    console.print(missing)


@lexicon_app.command("coverage")
def coverage_command(
    lexicon: Lexicon,
    dataset: Annotated[str, typer.Argument(
        help="Dataset: MASSIVE jsonl, JSONL, CSV, TSV; - = stdin.")],
    split: Annotated[str, typer.Option(
        "--split", help=f"Only rows of this split: {SPLIT_VALUES}.")] = "all",
    format: Annotated[str, typer.Option("--format", "-f", help="Dataset format.")] = "auto",
    top: Annotated[int, typer.Option("--top", help="Labels and uncovered words to list.")] = 20,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Also write the JSON here.")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace the -o file if it exists.")] = False,
    as_json: AsJson = False,
) -> None:
    """Share of word tokens and types a lexicon covers, per label, and the most frequent
    uncovered words.

    Example: `lexi lexicon coverage en-sw.sqlite massive/en-US.jsonl --split train`

    An existing -o file is kept unless `--overwrite` is given; an input is never overwritten.
    """
    if output:
        check_output(output, [lexicon, dataset], overwrite=overwrite)
    report = lexicon_coverage(
        load_lexicon(lexicon, freeze_after_load=True),  # one load per process
        read_dataset(dataset, format=format, split=split_value(split)),
    )
    if not report.utterances:
        raise nothing_selected(dataset, split_value(split), format=format)
    data = report.as_dict(top=top)
    if output:
        import json

        with atomic_write(output) as handle:
            handle.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    if as_json:
        print_json(data)
    else:
        _coverage_tables(report, top)


@lexicon_app.command("sources")
def sources_command(
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Only sources with this language (any code, tag or name: sw, swa, "
        "sw-KE, Swahili).")] = None,
    catalog: Catalog = None,
    as_json: AsJson = False,
) -> None:
    """Public lexicon sources from the catalog: name, licence, adapter, size, URL.

    Example: `lexi lexicon sources --lang sw`
    """
    sources = read_catalog(catalog)
    if lang is not None:
        resolve_language(lang)  # an unknown code is an error, not "any-language sources only"
    lang = _catalog_language(lang, sources)
    found = sources_for(lang, sources)
    rows = []
    for source in found:
        file = None if (source.builtin or lang is None) else source.file_for(lang)
        rows.append({
            "id": source.id, "name": source.name, "licence": source.licence,
            "adapter": source.adapter, "size": (file and file.size) or source.size,
            "url": (file and file.url) or (None if source.builtin else source.homepage),
            "languages": "any" if source.any_language else sorted(source.languages),
            "fetch": None if source.builtin else f"lexi fetch {source.id} --lang {lang or 'XX'}",
        })
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"lexicon sources{f' for {lang}' if lang else ''}")
    for column in ("id", "name", "licence", "adapter", "size", "url"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["id"], row["name"], row["licence"], row["adapter"],
                      str(row["size"] or ""), row["url"] or "(built in)")
    console.print(table)


@app.command("fetch")
def fetch_command(
    source: Annotated[str, typer.Argument(help="Source id from `lexi lexicon sources`.")],
    lang: Annotated[str, typer.Option(
        "--lang", help="Target language (any code, tag or name: sw, swa, sw-KE, Swahili).")],
    offline: Annotated[bool, typer.Option(
        "--offline", help="Never use the network: say which file to place where.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Download again even if cached.")] = False,
    retries: Annotated[int, typer.Option(
        "--retries", help="Retries after a failed attempt.")] = 3,
    catalog: Catalog = None,
    as_json: AsJson = False,
) -> None:
    """Download a public lexicon into the cache ($LEXI_HOME or ~/.cache/lexi) and print
    its path; resumes, retries, verifies pinned checksums, writes atomically.

    Example: `lexi lexicon import tsv "$(lexi fetch wechsel --lang sw)" --tgt sw -o en-sw.sqlite`
    """
    if retries < 0:
        raise LexiError(f"--retries must be 0 or more, not {retries}")
    lang = _catalog_language(lang, read_catalog(catalog))
    with Progress(
        TextColumn(f"{source} [{lang}]"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        console=console, transient=True,
    ) as progress:
        task = progress.add_task("fetch", total=None)
        result: FetchResult = fetch(
            source, lang, catalog=catalog, offline=offline, force=force, retries=retries,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if as_json:
        print_json({**result.__dict__, "path": str(result.path)})
        return
    state = "downloaded" if result.downloaded else "cached"
    pin = "verified" if result.pinned else "not pinned in the catalog"
    console.print(f"{state}: {escape(str(result.path))} ({result.bytes:,} bytes, "
                  f"sha256 {result.sha256}, {pin})", highlight=False)
    sys.stdout.write(f"{result.path}\n")
