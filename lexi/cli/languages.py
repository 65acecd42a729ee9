"""`lexi languages [QUERY]`: what lexi can do for a language, and how a code resolves."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lexi.cli._util import app, console, print_json
from lexi.errors import LexiError
from lexi.resources.catalog import read_catalog, read_language_catalog
from lexi.resources.language_table import (
    Catalogued,
    DataFile,
    LanguageResources,
    LanguageTable,
    language_table,
)


def _size(file: DataFile) -> str:
    size = f"{file.bytes / 1024:,.0f} KB" if file.bytes >= 1024 else f"{file.bytes} B"
    return f"{size}, {file.lines:,} lines" if file.lines is not None else size


def _files(files: tuple[DataFile, ...], short: bool = True) -> str:
    if not files:
        return "—"
    return "\n".join(f"{f.path.name if short else f.path} ({_size(f)})" for f in files)


def _tests(row: LanguageResources) -> str:
    tests = [f"MASSIVE {f.path.name}" for f in row.massive_tests]
    tests += [f"SIB-200 {f.path.parent.name}" for f in row.sib200_tests]
    return "\n".join(tests) or "—"


def _catalog_lexicons(cat: Catalogued) -> str:
    return ", ".join(f"{e.source}={e.file}" + (f" ({e.bytes:,} B)" if e.bytes else "")
                     for e in cat.lexicons) or "-"


def _catalog_unimorph(cat: Catalogued) -> str:
    return ", ".join(t.iso + (f" ({t.forms:,} forms)" if t.forms else "")
                     for t in cat.unimorph) or "-"


def _catalog_tests(cat: Catalogued) -> str:
    tests = [f"MASSIVE {loc}" for loc in cat.massive] + [f"SIB-200 {c}" for c in cat.sib200]
    return ", ".join(tests) or "-"


def _line(row: LanguageResources, where: str) -> str:
    """One language, one tab-separated line (stdout): code, name, lexicons, UniMorph,
    test sets; the catalog's public files, or the data root's files."""
    lang = row.language
    if where == "catalog":
        cells = (_catalog_lexicons(row.catalogued), _catalog_unimorph(row.catalogued),
                 _catalog_tests(row.catalogued))
    else:
        cells = (",".join(f.path.name for f in row.lexicons) or "-",
                 row.unimorph.path.name if row.unimorph else "-",
                 ", ".join(_tests(row).splitlines()) if _tests(row) != "—" else "-")
    return "\t".join((lang.code, lang.name, *cells))


def _catalog_facts(facts: Table, cat: Catalogued) -> None:
    """The query's catalog rows: each public file with the URL `lexi fetch` would use."""
    try:
        sources = read_catalog()
    except LexiError:
        sources = {}
    for entry in cat.lexicons:
        source = sources.get(entry.source)
        url = source.file_for(entry.key).url if source and entry.key in source.languages \
            else entry.file
        facts.add_row("catalog lexicon", escape(
            f"{entry.source}: {url} (lexi fetch {entry.source} --lang {entry.key})"))
    urls = read_language_catalog().get("urls", {})
    for table in cat.unimorph:
        forms = f", {table.forms:,} forms" if table.forms else ""
        facts.add_row("catalog UniMorph", escape(
            urls.get("unimorph", "{iso}").format(iso=table.iso) + forms))
    for locale in cat.massive:
        facts.add_row("catalog test set", escape(f"MASSIVE {locale}: {urls.get('massive', '')}"))
    for code in cat.sib200:
        facts.add_row("catalog test set", escape(
            f"SIB-200 {code}: " + urls.get("sib200", "{code}").format(code=code,
                                                                        split="test")))
    if not (cat.lexicons or cat.unimorph or cat.massive or cat.sib200):
        facts.add_row("catalog", "nothing listed for this language")


def _show_query(table: LanguageTable) -> None:
    resolution = table.resolution
    lang = resolution.language
    console.print(f"[bold]{escape(resolution.query)}[/] → {escape(lang.name)} "
                  f"([bold]{lang.code}[/]), read as {resolution.matched}", highlight=False)
    facts = Table(show_header=False, box=None)
    facts.add_column(no_wrap=True)
    facts.add_column(overflow="fold")  # URLs are folded, never cut short
    for key, value in (
        ("ISO 639-3", lang.iso3), ("script", lang.script),
        ("MASSIVE locale", lang.massive or "— (not in MASSIVE)"),
        ("SIB-200 code", lang.sib200 or "— (not in SIB-200)"),
        ("UniMorph code", lang.unimorph or "— (none known to lexi)"),
        ("all codes", ", ".join(lang.codes)),
    ):
        facts.add_row(key, escape(value))
    for note in lang.notes:
        facts.add_row("note", escape(note))
    if table.data_root is None:
        facts.add_row("data root", "none (--data-root DIR or $LEXI_DATA_ROOT)")
    for row in table.rows:
        _catalog_facts(facts, row.catalogued)
        facts.add_row("lexicons", escape(_files(row.lexicons, short=False)))
        facts.add_row("UniMorph table",
                      escape(f"{row.unimorph.path} ({_size(row.unimorph)})")
                      if row.unimorph else "—")
        facts.add_row("test sets", escape(_tests(row)))
    if not table.rows:
        facts.add_row("resources", f"not all of: {', '.join(table.has)}")
    console.print(facts)


@app.command("languages")
def languages_command(
    query: Annotated[str | None, typer.Argument(
        help="A language: code, BCP-47 tag, MASSIVE locale, SIB-200 code or English name "
        "(shows how it resolves).")] = None,
    has: Annotated[str | None, typer.Option(
        "--has", help="Only languages with all of these (comma-separated): lexicon, morph, "
        "test.")] = None,
    data_root: Annotated[str | None, typer.Option(
        "--data-root", help="Folder laid out like lexi's reference data [default: "
        "$LEXI_DATA_ROOT].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
) -> None:
    """What lexi can do for each language: which public lexicons (files and sizes),
    UniMorph tables and MASSIVE / SIB-200 test sets exist, one tab-separated line per
    language on stdout (code, name, lexicons, UniMorph, test sets), from lexi's generated
    catalog. With a data root, the files found there instead (and a table on stderr).

    Examples:

    `lexi languages --has lexicon,test | wc -l`

    `lexi languages --data-root ../shared/data --has lexicon,test`

    `lexi languages twi_Latn` (Akan: all its codes, which variety each dataset uses, and
    the URLs of what exists for it)
    """
    table = language_table(query, has, data_root)
    if as_json:
        print_json(asdict(table))
        return
    if table.resolution is not None:
        _show_query(table)
        return
    if table.where == "catalog":
        sys.stdout.write("".join(_line(row, "catalog") + "\n" for row in table.rows))
        counts = read_language_catalog().get("counts", {})
        console.print(f"{len(table.rows):,} languages"
                      + (f" with {' and '.join(table.has)}" if table.has else "")
                      + f" in lexi's catalog ({counts.get('languages', 0):,} languages in all;"
                      " generated from the sources' indexes, see docs/lexicons.md)",
                      highlight=False)
        return
    if not sys.stdout.isatty():
        sys.stdout.write("".join(_line(row, "local") + "\n" for row in table.rows))
    where = str(table.data_root) if table.data_root else "no data root"
    out = Table(title=f"languages ({escape(where)})")
    for column in ("code", "name", "codes", "lexicons", "UniMorph", "test sets"):
        out.add_column(column)
    for row in table.rows:
        lang = row.language
        codes = [f"ISO 639-3 {lang.iso3}"]
        codes += [f"MASSIVE {lang.massive}"] if lang.massive else []
        codes += [f"SIB-200 {lang.sib200}"] if lang.sib200 else []
        codes += [f"UniMorph {lang.unimorph}"] if lang.unimorph else []
        out.add_row(lang.code, escape(lang.name), escape("\n".join(codes)),
                    escape(_files(row.lexicons)),
                    escape(row.unimorph.path.name) if row.unimorph else "—",
                    escape(_tests(row)))
    console.print(out)
    if table.unrecognised:
        console.print("not attributed to a language: "
                      + escape(", ".join(str(p) for p in table.unrecognised)),
                      highlight=False, soft_wrap=True)
