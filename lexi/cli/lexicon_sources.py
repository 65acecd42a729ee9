"""`lexi lexicon sources` and the top-level `lexi fetch`: the catalog of public lexicons,
and downloading one into the cache (kept apart from the commands on stores,
:mod:`lexi.cli.lexicon`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from lexi.cli._util import AsJsonNotTables, app, console, print_json
from lexi.cli.lexicon import lexicon_app
from lexi.errors import LexiError
from lexi.resources import FetchResult, fetch, read_catalog, sources_for
from lexi.resources.languages import resolve_language

Catalog = Annotated[str | None, typer.Option(
    "--catalog", help="Catalog file (default lexicons/catalog.yml).")]


def _catalog_language(lang: str | None, catalog: dict) -> str | None:
    """``lang`` as the catalog names it: as given where the catalog has that code, else lexi's
    code for it (Swahili, swa, sw-KE → sw)."""
    if lang is None:
        return None
    from lexi.resources.languages import language_code

    if any(lang in source.languages for source in catalog.values()):
        return lang
    return language_code(lang)



@lexicon_app.command("sources")
def sources_command(
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Only sources with this language (any code, tag or name: sw, swa, "
        "sw-KE, Swahili).")] = None,
    catalog: Catalog = None,
    as_json: AsJsonNotTables = False,
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
    as_json: AsJsonNotTables = False,
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
