"""Where a language's resources lie in a data root laid out like ``../shared/data``
(``lexicons/``, ``massive/``, ``unimorph/``, ``sib200/``), and the UniMorph folder:
:func:`discover`, which ``lexi bootstrap`` and ``lexi languages`` share. A file belongs to a
language when its name resolves to it (:mod:`lexi.resources.languages`)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lexi.errors import LexiError
from lexi.paths import unimorph_root
from lexi.resources.languages import Language, _unique, resolve

DATA_ROOT_ENV = "LEXI_DATA_ROOT"
# Lexicon sources whose files the data root names <source>-en-<code>.tsv, in the order
# tried for a language languages.yml does not list: GATITOS is human-translated (about
# 4,000 entries per language); the WECHSEL Wiktionary lists are large for big languages
# but small for most low-resource ones (9–627 pairs for bm, sg, ts, tum, ak in the
# reference data). Names languages.yml lists come first, in its order (for sw, WECHSEL:
# the measured result in docs/results.md used it).
LEXICON_SOURCES = ("gatitos", "wechsel")
_LEXICON_FILE = re.compile(r"^(?P<source>[A-Za-z0-9]+)-en-(?P<code>[A-Za-z0-9_-]+)\.tsv$")


@dataclass(frozen=True)
class Lookup:
    """Files of one kind found for a language, best first, and the paths looked at."""

    found: tuple[Path, ...] = ()
    tried: tuple[Path, ...] = ()

    @property
    def first(self) -> Path | None:
        return self.found[0] if self.found else None


@dataclass(frozen=True)
class Discovery:
    """Everything a data root (and the UniMorph folder) holds for one language."""

    language: Language
    root: Path | None
    lexicons: Lookup = Lookup()
    unimorph: Lookup = Lookup()
    massive_test: Lookup = Lookup()
    sib200_test: Lookup = Lookup()



def data_root_path(option: str | Path | None) -> Path | None:
    """``--data-root``, else ``$LEXI_DATA_ROOT``, else None."""
    if option:
        root = Path(option).expanduser()
        if not root.is_dir():
            raise LexiError("--data-root: no such folder", path=root,
                            hint="a folder laid out like lexi's reference data (massive/, "
                            "lexicons/, unimorph/, sib200/)")
        return root
    env = os.environ.get(DATA_ROOT_ENV)
    return Path(env).expanduser() if env else None


def lexicon_names(language: Language) -> tuple[str, ...]:
    """Word-list names in the order they are preferred: languages.yml's, then
    ``<source>-en-<code>`` for every code of the language, GATITOS before WECHSEL."""
    return _unique((*language.lexicons,
                    *(f"{source}-en-{code}" for source in LEXICON_SOURCES
                      for code in language.codes)))


def unimorph_codes(language: Language) -> tuple[str, ...]:
    """UniMorph names tables by ISO 639-3 code; the known one first (sw → swc)."""
    return _unique((language.unimorph, *(c for c in language.codes if len(c) == 3)))


def sib200_codes(language: Language) -> tuple[str, ...]:
    """The SIB-200 code, then ``<iso3>_<Script>`` for the language's other codes."""
    iso3s = _unique(c for c in language.codes if len(c) == 3)
    return _unique((language.sib200, *(f"{a3}_{language.script}" for a3 in iso3s)))


@lru_cache(maxsize=4096)
def _code_of(name: str) -> str | None:
    """lexi's code for a file or folder name in a data root (None: not a language)."""
    try:
        return resolve(name).language.code
    except LexiError:
        return None


def _lexicon_code(path: Path) -> str | None:
    match = _LEXICON_FILE.match(path.name)
    return match.group("code") if match else None


def _locale_of(path: Path) -> str:
    return path.name.removesuffix(".jsonl").removesuffix(".partial")


def _lookup(candidates: list[Path], scanned: list[Path]) -> Lookup:
    found = [p for p in candidates if p.exists()]
    return Lookup(_unique((*found, *scanned)), tuple(candidates))


def discover(language: Language, root: Path | None) -> Discovery:
    """Every file for ``language`` in ``root`` and the UniMorph folder: first the names
    derived from the language's codes (in preference order), then any other file there
    whose name resolves to the same language (``massive/sw-TZ.jsonl``)."""
    same = language.code

    def scanned(folder: str, pattern: str, key) -> list[Path]:
        if root is None:
            return []
        return [p for p in _entries(root / folder, pattern)
                if (name := key(p)) and _code_of(name) == same]

    unimorph = [root / "unimorph" / c for c in unimorph_codes(language)] if root else []
    unimorph += [unimorph_root() / c / c for c in unimorph_codes(language)]
    if root is None:
        return Discovery(language, None, unimorph=_lookup(unimorph, []))
    lexicons = [root / "lexicons" / f"{name}.tsv" for name in lexicon_names(language)]
    massive = [root / "massive" / f"{loc}{suffix}.jsonl" for loc in _unique((language.massive,))
               for suffix in ("", ".partial")]
    sib = [root / "sib200" / code / "test.tsv" for code in sib200_codes(language)]
    return Discovery(
        language, root,
        lexicons=_lookup(lexicons, scanned("lexicons", "*-en-*.tsv", _lexicon_code)),
        unimorph=_lookup(unimorph, scanned("unimorph", "*", lambda p: p.name)),
        massive_test=_lookup(massive, scanned("massive", "*.jsonl", _locale_of)),
        sib200_test=_lookup(sib, scanned("sib200", "*/test.tsv", lambda p: p.parent.name)),
    )



def _entries(folder: Path, pattern: str) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(pattern) if not p.name.startswith("."))


def languages_in_root(root: Path) -> tuple[list[str], list[Path]]:
    """lexi codes of the languages a data root holds files for, and the files and
    folders whose names lexi cannot attribute to a language (shown, not fatal)."""
    codes: list[str] = []
    unrecognised: list[Path] = []

    def attribute(path: Path, name: str | None) -> None:
        code = _code_of(name) if name else None
        if code:
            codes.append(code)
        else:
            unrecognised.append(path)

    for path in _entries(root / "lexicons", "*.tsv"):
        attribute(path, _lexicon_code(path))
    for path in _entries(root / "massive", "*.jsonl"):
        if not path.name.startswith("en-"):  # the English source, not a target
            attribute(path, _locale_of(path))
    for path in _entries(root / "unimorph", "*"):
        attribute(path, path.name)
    for path in _entries(root / "sib200", "*/test.tsv"):
        if path.parent.name != "eng_Latn":
            attribute(path, path.parent.name)
    return [c for c in _unique(codes) if c != "en"], unrecognised

