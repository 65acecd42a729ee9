"""The catalog of public lexicon sources (``lexicons/catalog.yml``): data, not code.

Each source has a name, homepage, licence, the adapter that reads it, and per language a
file: an explicit ``url`` or the source's ``url`` template with ``{lang}`` (and any other
per-language field, e.g. ``{name}``, percent-encoded) filled in. ``sha256`` is given only
where pinned. ``$LEXI_CATALOG`` or ``--catalog`` points at another catalog file.

The shipped catalog is generated from the sources' own indexes by
:mod:`lexi.resources.build_catalog`, which also writes ``catalog-languages.json``: the
per-language table (lexicons, UniMorph tables, test sets) that ``lexi languages`` reads
(:func:`read_language_catalog`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote, unquote, urlparse

import yaml

from lexi.errors import LexiError

# libyaml when PyYAML was built with it: the generated catalog has thousands of lines.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LANGUAGE_CATALOG_FILE = Path(__file__).resolve().parent / "catalog-languages.json"


def fill_url(template: str, lang: str, spec: dict[str, Any]) -> str:
    """``template`` with ``{lang}`` and the entry's string fields filled in; the fields are
    percent-encoded (a WECHSEL file name has spaces: ``scottish gaelic.txt``)."""
    fields = {k: quote(v, safe="") for k, v in spec.items() if isinstance(v, str)}
    return template.format(lang=lang, **fields)


def url_filename(url: str) -> str:
    """The file name a URL ends in, percent-decoded."""
    return unquote(Path(urlparse(url).path).name)


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be one component of a cache path, or None when it can.

    Catalog entries, language codes and source ids become folder and file names under the
    cache; anything that could step out of it (``..``, a separator, an absolute path) or
    that names no file at all is refused.
    """
    if not isinstance(name, str):
        return "is not a string"
    if not name.strip():
        return "is empty"
    if name in (".", ".."):
        return f"is {name!r}"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if "\0" in name:
        return "contains a NUL byte"
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).drive:
        return "is an absolute path"
    return None


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
    # Where the entry was read (catalog file, 1-based line), so errors can point at it.
    catalog: str | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)

    def file_for(self, lang: str) -> SourceFile:
        """The file to fetch for ``lang``; ``LexiError`` when the source lacks it, or when
        the language code or the file name could not be a plain name inside the cache."""
        problem = name_problem(lang)
        if problem:
            raise LexiError(f"language code {lang!r} {problem}",
                            hint="give a plain code such as sw or swh_Latn")
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
            url = fill_url(url, lang, {k: v for k, v in spec.items() if k != "url"})
        filename = spec.get("filename") or (url_filename(url) if url else f"{self.id}-{lang}")
        problem = name_problem(filename)
        if problem:
            raise LexiError(
                f"source {self.id!r}: the file name for {lang!r} ({filename!r}) {problem}",
                path=self.catalog, line=self.line,
                hint="give the entry a plain `filename:`, or a URL that ends in a file name",
            )
        size = spec.get("size")
        if size is None and isinstance(spec.get("bytes"), int):
            size = f"{spec['bytes']:,} bytes"
        return SourceFile(
            source=self.id, lang=lang, url=url, filename=filename, sha256=spec.get("sha256"),
            size=size, note=spec.get("note"),
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


def _entry_lines(text: str) -> dict[tuple[str, ...], int]:
    """The 1-based line of each source (``(id,)``) and of each of its languages
    (``(id, lang)``), so that an error can point at the entry; empty if unparsable."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return {}
    lines: dict[tuple[str, ...], int] = {}
    for key, spec in _mapping_items(_mapping_get(root, "sources")):
        lines[(key.value,)] = key.start_mark.line + 1
        languages = _mapping_get(spec, "languages")
        if isinstance(languages, yaml.SequenceNode):
            items = [node for node in languages.value if isinstance(node, yaml.ScalarNode)]
        else:
            items = [lang for lang, _ in _mapping_items(languages)]
        for lang in items:
            lines[(key.value, lang.value)] = lang.start_mark.line + 1
    return lines


def _mapping_items(node: yaml.Node | None) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]


def _mapping_get(node: yaml.Node | None, name: str) -> yaml.Node | None:
    return next((v for k, v in _mapping_items(node) if k.value == name), None)


def _check_entry_names(
    source_id: str, languages: dict[str, dict[str, Any]], path: Path,
    lines: dict[tuple[str, ...], int],
) -> None:
    """Refuse a source id, language key or ``filename`` that is not a plain name: each
    becomes a folder or file under the cache, so ``..`` or ``/`` would write outside it."""
    problem = name_problem(source_id)
    if problem:
        raise LexiError(f"source id {source_id!r} {problem}", path=path,
                        line=lines.get((source_id,)), hint="ids are plain names, e.g. wechsel")
    for lang, spec in languages.items():
        line = lines.get((source_id, lang), lines.get((source_id,)))
        problem = name_problem(lang)
        if problem:
            raise LexiError(f"source {source_id!r}: language {lang!r} {problem}", path=path,
                            line=line, hint="language keys are plain codes, e.g. sw")
        if "filename" in spec and (problem := name_problem(spec["filename"])):
            raise LexiError(
                f"source {source_id!r}, language {lang!r}: filename {spec['filename']!r} "
                f"{problem}", path=path, line=line,
                hint="a filename is one plain name; the cache decides the folder",
            )


def read_catalog(path: str | Path | None = None) -> dict[str, CatalogSource]:
    """Every source of the catalog, by id."""
    path = Path(path) if path is not None else default_catalog_path()
    if not path.is_file():
        raise LexiError("no lexicon catalog here", path=path, hint="pass --catalog FILE")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LexiError(f"not valid YAML: {exc}", path=path,
                        line=mark.line + 1 if mark else None) from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise LexiError("expected a mapping with a 'sources' mapping", path=path)
    lines = _entry_lines(text)
    sources = {}
    required = ("name", "homepage", "licence", "adapter")
    for raw_id, spec in data["sources"].items():
        source_id = str(raw_id)
        missing = [k for k in required if not (isinstance(spec, dict) and spec.get(k))]
        if missing:
            raise LexiError(f"source {source_id!r} lacks {', '.join(missing)}", path=path,
                            line=lines.get((source_id,)))
        languages = spec.get("languages") or {}
        if isinstance(languages, list):
            languages = {lang: {} for lang in languages}
        languages = {str(k): dict(v or {}) for k, v in languages.items()}
        _check_entry_names(source_id, languages, path, lines)
        sources[source_id] = CatalogSource(
            id=source_id, name=spec["name"], homepage=spec["homepage"], licence=spec["licence"],
            adapter=spec["adapter"], description=spec.get("description", ""),
            size=spec.get("size"), url=spec.get("url"),
            adapter_options={
                str(k): str(v) for k, v in (spec.get("adapter_options") or {}).items()
            },
            languages=languages,
            any_language=bool(spec.get("any_language", False)), manual=spec.get("manual"),
            builtin=bool(spec.get("builtin", False)),
            catalog=str(path), line=lines.get((source_id,)),
        )
    return sources


def sources_for(lang: str | None, catalog: dict[str, CatalogSource]) -> list[CatalogSource]:
    """Sources that have ``lang`` (all sources when ``lang`` is None)."""
    return [
        s for s in catalog.values()
        if lang is None or s.any_language or lang in s.languages
    ]


@lru_cache(maxsize=4)
def read_language_catalog(path: Path = LANGUAGE_CATALOG_FILE) -> dict[str, Any]:
    """The generated per-language table (``catalog-languages.json``): ``languages`` (by
    lexi code: name, codes, ``lexicons``, ``morph``, ``massive_tests``, ``sib200_tests``),
    ``counts``, ``urls`` (each source's URL template) and the generator's ``report``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LexiError(f"cannot read the language catalog: {exc}", path=path,
                        hint="python -m lexi.resources.build_catalog writes it") from exc
    if not isinstance(data, dict) or not isinstance(data.get("languages"), dict):
        raise LexiError("expected a mapping with a 'languages' mapping", path=path)
    return data
