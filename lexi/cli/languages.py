"""`lexi languages [QUERY]`: what lexi can do for a language, and how a code resolves."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.markup import escape
from rich.table import Table

from lexi.cli._util import app, console, print_json
from lexi.resources.languages import DataFile, LanguageResources, LanguageTable, language_table


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


def _show_query(table: LanguageTable) -> None:
    resolution = table.resolution
    lang = resolution.language
    console.print(f"[bold]{escape(resolution.query)}[/] → {escape(lang.name)} "
                  f"([bold]{lang.code}[/]), read as {resolution.matched}", highlight=False)
    facts = Table(show_header=False, box=None)
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
    query: str = typer.Argument(None, help="A language: code, BCP-47 tag, MASSIVE locale, "
                                "SIB-200 code or English name (shows how it resolves)."),
    has: str = typer.Option(None, "--has", help="Only languages with all of these "
                            "(comma-separated): lexicon, morph, test."),
    data_root: str = typer.Option(None, "--data-root", help="Folder laid out like lexi's "
                                  "reference data [default: $LEXI_DATA_ROOT]."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON."),
) -> None:
    """What lexi can do for each language: its codes, the lexicons (files and sizes), the
    UniMorph table and the MASSIVE / SIB-200 test sets found, for the languages lexi knows
    resources for (languages.yml) and every language the data root holds files for.

    Examples:

    `lexi languages --data-root ../shared/data --has lexicon,test`

    `lexi languages twi_Latn` (Akan: all its codes, and which variety each dataset uses)
    """
    table = language_table(query, has, data_root)
    if as_json:
        print_json(asdict(table))
        return
    if table.resolution is not None:
        _show_query(table)
        return
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
