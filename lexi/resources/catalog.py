"""The catalog of public lexicon sources (``lexicons/catalog.yml``): data, not code.

Each source has a name, homepage, licence, the adapter that reads it, and per language a
file: an explicit ``url`` or the source's ``url`` template with ``{lang}`` (and any other
per-language field, e.g. ``{name}``) filled in. ``sha256`` is given only where pinned.
``$LEXI_CATALOG`` or ``--catalog`` points at another catalog file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from lexi.errors import LexiError


@dataclass(frozen=True)
class SourceFile:
    """One downloadable file: ``source`` for ``lang``. ``url`` is None for manual downloads."""

    source: str
    lang: str
    url: str | None
    filename: str
    sha256: str | None = None
    size: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class CatalogSource:
    """A known lexicon source (see the module docstring for the fields).

    ``any_language``: one file serves every language (PanLex) or data is built per pair
    (CLDR); ``manual``: how to get a file that cannot be fetched automatically;
    ``builtin``: nothing to download (the data ships with an installed package).
    """

    id: str
    name: str
    homepage: str
    licence: str
    adapter: str
    description: str = ""
    size: str | None = None
    url: str | None = None
    adapter_options: dict[str, str] = field(default_factory=dict)
    languages: dict[str, dict[str, Any]] = field(default_factory=dict)
    any_language: bool = False
    manual: str | None = None
    builtin: bool = False

    def file_for(self, lang: str) -> SourceFile:
        """The file to fetch for ``lang``; ``LexiError`` when the source lacks it."""
        spec = self.languages.get(lang)
        if spec is None and not self.any_language:
            raise LexiError(
                f"source {self.id!r} has no {lang!r} file in the catalog",
                hint=f"it has: {', '.join(sorted(self.languages)) or 'none'}"
                     f" (`lexi lexicon sources --lang {lang}` lists what exists for {lang})",
            )
        spec = dict(spec or {})
        url = spec.get("url") or self.url
        if url is not None:
            url = url.format(lang=lang, **{k: v for k, v in spec.items() if isinstance(v, str)})
        filename = spec.get("filename") or (
            Path(urlparse(url).path).name if url else f"{self.id}-{lang}"
        )
        return SourceFile(
            source=self.id, lang=lang, url=url, filename=filename, sha256=spec.get("sha256"),
            size=spec.get("size"), note=spec.get("note"),
        )


def default_catalog_path() -> Path:
    """``$LEXI_CATALOG``, else the catalog shipped in the package.

    ``lexicons/catalog.yml`` in a source checkout is a link to the same file, so a checkout
    and an installed wheel read one catalog.
    """
    explicit = os.environ.get("LEXI_CATALOG")
    if explicit:
        return Path(explicit).expanduser()
    return Path(__file__).resolve().parent / "catalog.yml"


def read_catalog(path: str | Path | None = None) -> dict[str, CatalogSource]:
    """Every source of the catalog, by id."""
    path = Path(path) if path is not None else default_catalog_path()
    if not path.is_file():
        raise LexiError("no lexicon catalog here", path=path, hint="pass --catalog FILE")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LexiError(f"not valid YAML: {exc}", path=path,
                        line=mark.line + 1 if mark else None) from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise LexiError("expected a mapping with a 'sources' mapping", path=path)
    sources = {}
    required = ("name", "homepage", "licence", "adapter")
    for source_id, spec in data["sources"].items():
        missing = [k for k in required if not (isinstance(spec, dict) and spec.get(k))]
        if missing:
            raise LexiError(f"source {source_id!r} lacks {', '.join(missing)}", path=path)
        languages = spec.get("languages") or {}
        if isinstance(languages, list):
            languages = {lang: {} for lang in languages}
        sources[source_id] = CatalogSource(
            id=source_id, name=spec["name"], homepage=spec["homepage"], licence=spec["licence"],
            adapter=spec["adapter"], description=spec.get("description", ""),
            size=spec.get("size"), url=spec.get("url"),
            adapter_options={
                str(k): str(v) for k, v in (spec.get("adapter_options") or {}).items()
            },
            languages={str(k): dict(v or {}) for k, v in languages.items()},
            any_language=bool(spec.get("any_language", False)), manual=spec.get("manual"),
            builtin=bool(spec.get("builtin", False)),
        )
    return sources


def sources_for(lang: str | None, catalog: dict[str, CatalogSource]) -> list[CatalogSource]:
    """Sources that have ``lang`` (all sources when ``lang`` is None)."""
    return [
        s for s in catalog.values()
        if lang is None or s.any_language or lang in s.languages
    ]
