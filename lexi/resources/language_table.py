"""What lexi has for each language: the rows of ``lexi languages``.

A row is a language, the files :func:`lexi.resources.data_root.discover` found for it in a
data root, and what the generated catalog (``catalog-languages.json``) lists for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from lexi.errors import LexiError
from lexi.resources.catalog import read_language_catalog
from lexi.resources.data_root import Discovery, data_root_path, discover, languages_in_root
from lexi.resources.languages import (
    Language,
    Resolution,
    _identity,
    _unique,
    load_known_resources,
    resolve,
    resolve_language,
)

RESOURCE_KINDS = ("lexicon", "morph", "test")


@dataclass(frozen=True)
class DataFile:
    """A file (or folder) and its size; ``lines`` is None for a folder."""

    path: Path
    bytes: int
    lines: int | None = None


@dataclass(frozen=True)
class CatalogLexicon:
    """A public lexicon file the catalog lists: ``lexi fetch SOURCE --lang KEY``."""

    source: str
    key: str
    file: str
    bytes: int | None = None


@dataclass(frozen=True)
class CatalogTable:
    """A UniMorph table the catalog lists (``github.com/unimorph/<iso>``)."""

    iso: str
    forms: int | None = None
    paradigms: int | None = None


@dataclass(frozen=True)
class Catalogued:
    """What the generated catalog lists for a language: public files, not downloaded."""

    lexicons: tuple[CatalogLexicon, ...] = ()
    unimorph: tuple[CatalogTable, ...] = ()
    massive: tuple[str, ...] = ()
    sib200: tuple[str, ...] = ()

    def has(self, kind: str) -> bool:
        return {"lexicon": bool(self.lexicons), "morph": bool(self.unimorph),
                "test": bool(self.massive or self.sib200)}[kind]


@dataclass(frozen=True)
class LanguageResources:
    """One row of ``lexi languages``: a language, the files lexi found for it in a data
    root, and what the catalog lists for it (``catalogued``)."""

    language: Language
    lexicons: tuple[DataFile, ...] = ()
    unimorph: DataFile | None = None
    massive_tests: tuple[DataFile, ...] = ()
    sib200_tests: tuple[DataFile, ...] = ()
    catalogued: Catalogued = Catalogued()

    def has(self, kind: str, where: str = "local") -> bool:
        """``lexicon``, ``morph`` (a UniMorph table) or ``test`` (MASSIVE or SIB-200):
        present in the data root (``where="local"``) or listed in the catalog."""
        if where == "catalog":
            return self.catalogued.has(kind)
        return {"lexicon": bool(self.lexicons), "morph": self.unimorph is not None,
                "test": bool(self.massive_tests or self.sib200_tests)}[kind]


@dataclass(frozen=True)
class LanguageTable:
    """What ``lexi languages`` shows: rows, the data root, files no language matched, and
    for a query, how it resolved."""

    data_root: Path | None
    rows: tuple[LanguageResources, ...] = ()
    unrecognised: tuple[Path, ...] = ()
    resolution: Resolution | None = None
    has: tuple[str, ...] = ()
    # "local": rows are the data root's languages and ``has`` asks for files there;
    # "catalog" (no data root): rows are every language the catalog lists.
    where: str = "local"


def _data_file(path: Path) -> DataFile:
    if path.is_dir():
        return DataFile(path, sum(p.stat().st_size for p in path.rglob("*") if p.is_file()))
    with path.open("rb") as handle:
        lines = sum(1 for _ in handle)
    return DataFile(path, path.stat().st_size, lines)


def language_resources(discovery: Discovery) -> LanguageResources:
    unimorph = discovery.unimorph.first
    return LanguageResources(
        discovery.language,
        lexicons=tuple(_data_file(p) for p in discovery.lexicons.found),
        unimorph=_data_file(unimorph) if unimorph else None,
        massive_tests=tuple(_data_file(p) for p in discovery.massive_test.found),
        sib200_tests=tuple(_data_file(p) for p in discovery.sib200_test.found),
    )


def parse_kinds(has: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """``"lexicon,morph"`` → ``("lexicon", "morph")``; unknown kinds are refused."""
    if not has:
        return ()
    items = has.split(",") if isinstance(has, str) else [k for h in has for k in h.split(",")]
    kinds = _unique(k.strip().lower() for k in items)
    unknown = [k for k in kinds if k not in RESOURCE_KINDS]
    if unknown:
        raise LexiError(f"--has {', '.join(unknown)}: unknown resource kind",
                        hint=f"one or more of {', '.join(RESOURCE_KINDS)}")
    return kinds



def catalogued(code: str) -> Catalogued:
    """What the generated catalog lists for lexi's code ``code``."""
    row = read_language_catalog()["languages"].get(code)
    return _catalogued(row) if row else Catalogued()


def _catalogued(row: dict) -> Catalogued:
    return Catalogued(
        lexicons=tuple(CatalogLexicon(e["source"], e["key"], e["file"], e.get("bytes"))
                       for e in row.get("lexicons", ())),
        unimorph=tuple(CatalogTable(e["iso"], e.get("forms"), e.get("paradigms"))
                       for e in row.get("morph", ())),
        massive=tuple(row.get("massive_tests", ())),
        sib200=tuple(row.get("sib200_tests", ())),
    )


def _catalog_rows() -> list[LanguageResources]:
    """One row per language the catalog lists, built from the generated table alone (no
    code is resolved at run time: thousands of rows stay fast)."""
    rows = []
    for code, row in read_language_catalog()["languages"].items():
        language = Language(code=code, iso3=row["iso3"], name=row["name"],
                            script=row.get("script") or "", massive=row.get("massive"),
                            sib200=row.get("sib200"), unimorph=row.get("unimorph"))
        rows.append(LanguageResources(language, catalogued=_catalogued(row)))
    return rows


def language_table(query: str | None = None, has: str | list[str] | None = None,
                   data_root: str | Path | None = None) -> LanguageTable:
    """What lexi can do for each language, filtered to those that have every ``has`` kind.

    Without a data root: every language the generated catalog lists (public lexicons,
    UniMorph tables, MASSIVE / SIB-200 test sets), plus languages.yml's. With one: the
    languages languages.yml lists and the data root holds files for, ``has`` asking for
    files there (each row still says what the catalog lists). With ``query``: that
    language only, with how it resolved."""
    kinds = parse_kinds(has)
    root = data_root_path(data_root)
    where = "local" if root is not None else "catalog"
    resolution = resolve(query) if query else None
    unrecognised: list[Path] = []
    if resolution is not None:
        rows = [replace(language_resources(discover(resolution.language, root)),
                        catalogued=catalogued(resolution.language.code))]
    elif root is None:
        rows = _catalog_rows()
        listed = {row.language.code for row in rows}
        rows += [LanguageResources(resolve_language(code)) for code in load_known_resources()
                 if _identity(code) not in listed and code not in listed]
    else:
        codes = list(load_known_resources())
        found, unrecognised = languages_in_root(root)
        codes += found
        languages = [resolve_language(code) for code in _unique(codes)]
        languages = list({lang.code: lang for lang in languages}.values())
        rows = [replace(language_resources(discover(lang, root)),
                        catalogued=catalogued(lang.code)) for lang in languages]
    rows = [row for row in rows if all(row.has(k, where) for k in kinds)]
    rows.sort(key=lambda row: (row.language.name.lower(), row.language.code))
    return LanguageTable(root, tuple(rows), tuple(unrecognised), resolution, kinds, where)
