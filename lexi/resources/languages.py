"""Language identity: any code, tag, locale or name → one :class:`Language`.

Any ISO 639-1 / 639-3 code, BCP-47 tag, MASSIVE locale (``sw-KE``), SIB-200 / FLORES-200
code (``swh_Latn``) or English language name (``Swahili``) resolves to one
:class:`Language`. Identity is not a hand table: ``langcodes`` parses and normalises tags
with the IANA registry and CLDR (``swa`` → ``sw``, ``tl`` → ``fil``, ``swc`` → ``sw-CD``)
and knows macrolanguages; ``language-data`` supplies the names (``Swahili`` → ``sw``).

What lexi adds is what those packages cannot know:

- which datasets have the language: MASSIVE 1.1's locales and SIB-200's codes (the
  datasets' own lists, below), matched against the resolved identity;
- lexi's *known resources* per language (``lexi/recipe/languages.yml``: MASSIVE locale,
  UniMorph code, lexicon names, in the order they are preferred).

Where those resources lie in a data root is :mod:`lexi.resources.data_root`; what
``lexi languages`` shows per language is :mod:`lexi.resources.language_table`.

Macrolanguages: an individual language that ``langcodes`` treats as its macrolanguage's
dominant variety (``swh`` → ``sw``, ``khk`` → ``mn``, ``tw`` → ``ak``, ``als`` → ``sq``) is
that macrolanguage here, because MASSIVE, GATITOS and WECHSEL name the macrolanguage while
FLORES-200 and UniMorph name a variety; the record says which variety each dataset uses
(``notes``). Other members stay themselves (``arz``, Egyptian Arabic, has its own SIB-200
test set and is not Modern Standard Arabic).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import langcodes
import yaml
from langcodes.data_dicts import LANGUAGE_REPLACEMENTS, MACROLANGUAGES, NORMALIZED_MACROLANGUAGES
from langcodes.language_lists import CLDR_LANGUAGES

from lexi.errors import LexiError

# The table of lexi's known resources per language (data, next to the recipes it serves).
KNOWN_RESOURCES_FILE = Path(__file__).resolve().parent.parent / "recipe" / "languages.yml"

# The datasets' own lists, as stored with their provenance in lexi/resources/indexes/
# (the catalog generator reads the same files):
# MASSIVE 1.1 (FitzGerald et al. 2023): its 52 locales, as the dataset names them
# (note sl-SL, not sl-SI). From the dataset card of AmazonScience/massive.
# SIB-200 (Adelani et al. 2024): its 205 language folders, the FLORES-200 codes plus
# nqo_Nkoo (dadelani/sib-200 data/annotated/, the configs of Davlan/sib200).
INDEX_DIR = Path(__file__).resolve().parent / "indexes"


def _index_values(source: str, key: str) -> frozenset[str]:
    data = json.loads((INDEX_DIR / f"{source}.json").read_text(encoding="utf-8"))
    return frozenset(entry[key] for entry in data["entries"])


MASSIVE_LOCALES = _index_values("massive", "locale")
SIB200_CODES = _index_values("sib200", "code")

# Subtags that parse as languages but name none (undetermined, multiple, no content).
_NOT_LANGUAGES = frozenset({"und", "mul", "mis", "zxx"})


@dataclass(frozen=True)
class Language:
    """One language as lexi sees it.

    ``code`` is what lexi calls it (the languages.yml key, else the shortest BCP-47
    language subtag: ISO 639-1 where there is one); ``codes`` every code that resolves to
    it; ``massive`` / ``sib200`` / ``unimorph`` the code each dataset uses, ``None`` where
    the dataset lacks the language (UniMorph: where lexi does not know a table);
    ``lexicons`` the word-list names languages.yml lists; ``notes`` say which variety of a
    macrolanguage each dataset uses.
    """

    code: str
    iso3: str
    name: str
    script: str
    massive: str | None = None
    sib200: str | None = None
    unimorph: str | None = None
    codes: tuple[str, ...] = ()
    lexicons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    """How a query was read (``matched``: "ISO 639-1 code", "ISO 639-3 code",
    "BCP-47 tag", "MASSIVE locale", "SIB-200 / FLORES-200 code" or "language name")."""

    query: str
    matched: str
    language: Language


@dataclass(frozen=True)
class KnownResources:
    """One row of languages.yml."""

    code: str
    massive: str | None = None
    unimorph: str | None = None
    lexicons: tuple[str, ...] = ()



# --- identity -----------------------------------------------------------------------


def _unique(items) -> tuple:
    return tuple(dict.fromkeys(i for i in items if i))


def _identity(code: str) -> str:
    """The language subtag lexi groups by: normalised, dominant variety → macrolanguage."""
    return langcodes.Language.get(code).prefer_macrolanguage().language or code


def _name(code: str) -> str:
    """English name of a bare language code as written (``tl`` → Tagalog, not Filipino;
    ``twi``, which BCP-47 spells ``tw``, → Twi)."""
    name = langcodes.Language.get(code, normalize=False).language_name()
    if name.startswith("Unknown language"):
        name = langcodes.Language.get(code).language_name()
    return name


def _alpha3(code: str) -> str:
    """ISO 639-3 of a code as written (``tl`` → tgl; ``fil`` stays fil)."""
    try:
        return langcodes.Language.get(code, normalize=False).to_alpha3()
    except LookupError:
        return langcodes.Language.get(code).to_alpha3()


@lru_cache(maxsize=1)
def _aliases() -> dict[str, tuple[str, ...]]:
    """identity → every other code langcodes resolves to it (``sw``: swa, swc, swh)."""
    out: dict[str, list[str]] = {}
    for code in (*LANGUAGE_REPLACEMENTS, *NORMALIZED_MACROLANGUAGES):
        if "-" in code:
            continue
        try:
            out.setdefault(_identity(code), []).append(code)
        except (langcodes.LanguageTagError, ValueError):
            continue
    return {k: tuple(sorted(set(v))) for k, v in out.items()}


def load_known_resources(path: Path = KNOWN_RESOURCES_FILE) -> dict[str, KnownResources]:
    """languages.yml, by key."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        str(code): KnownResources(str(code), row.get("massive"), row.get("unimorph"),
                                  tuple(row.get("lexicons", ())))
        for code, row in data.items()
    }


@lru_cache(maxsize=4)
def _known_by_identity(path: Path = KNOWN_RESOURCES_FILE) -> dict[str, KnownResources]:
    """languages.yml keyed by identity, so ``fil`` finds the ``tl`` row."""
    out = {}
    for code, row in load_known_resources(path).items():
        try:
            out[_identity(code)] = row
        except (langcodes.LanguageTagError, ValueError) as exc:
            raise LexiError(f"languages.yml: {code!r} is not a language code", path=path,
                            hint="keys are ISO 639 codes such as sw or ewe") from exc
    return out


@lru_cache(maxsize=1)
def _massive_by_identity() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for locale in sorted(MASSIVE_LOCALES):
        out.setdefault(_identity(locale), []).append(locale)
    return out


def _massive_locale(identity: str, tag: langcodes.Language) -> str | None:
    """The MASSIVE locale of a language: the tag's own if MASSIVE has it, else the one
    whose script matches (zh-Hant → zh-TW), else the first."""
    locales = _massive_by_identity().get(identity, [])
    if not locales:
        return None
    if tag.territory and f"{tag.language}-{tag.territory}" in locales:
        return f"{tag.language}-{tag.territory}"
    script = tag.maximize().script
    same_script = [loc for loc in locales if langcodes.Language.get(loc).maximize().script
                   == script]
    return (same_script or locales)[0]


def _sib200_codes(identity: str, iso3s: tuple[str, ...], script: str) -> tuple[str, ...]:
    """FLORES-style ``<iso3>_<Script>`` candidates: the dominant varieties first (FLORES
    names individual languages: swh_Latn, khk_Cyrl, twi_Latn), then the language's own."""
    varieties = [_alpha3(m) for m, macro in NORMALIZED_MACROLANGUAGES.items()
                 if macro == identity and "-" not in m]
    return _unique(f"{a3}_{script}" for a3 in (*sorted(varieties), *iso3s))


def _record(raw: langcodes.Language, flores: str | None) -> Language:
    """The record for a parsed tag (``raw``: as typed, not normalised)."""
    normal = langcodes.Language.get(str(raw))
    identity = _identity(str(raw))
    known = _known_by_identity().get(identity)
    code = known.code if known else identity
    name = _name(code)
    iso3 = _alpha3(code)
    script = raw.script or normal.prefer_macrolanguage().maximize().script or ""
    codes = _unique((code, identity, iso3, _alpha3(identity),
                     *_aliases().get(identity, ())))
    iso3s = _unique(c if len(c) == 3 else _alpha3(c) for c in codes)
    candidates = _sib200_codes(identity, iso3s, script)
    in_sib = [c for c in candidates if c in SIB200_CODES]
    if not in_sib and not raw.script:
        # SIB-200 writes some languages only in another script (tzm_Tfng).
        in_sib = sorted(c for c in SIB200_CODES if c.split("_")[0] in iso3s)
    sib200 = flores if flores in SIB200_CODES else (in_sib[0] if in_sib else None)
    massive = (known.massive if known and known.massive
               else _massive_locale(identity, normal))
    unimorph = known.unimorph if known else None

    notes = []
    typed = raw.language or ""
    if typed not in (code, iso3) and _name(typed) != name:
        if MACROLANGUAGES.get(typed) == identity or MACROLANGUAGES.get(
                langcodes.Language.get(typed).language) == identity:
            notes.append(f"{typed} ({_name(typed)}) belongs to the macrolanguage {code} "
                         f"({name}), which lexi uses for it")
        else:
            notes.append(f"{typed} ({_name(typed)}) is another code for {name} ({code})")
    if unimorph and unimorph not in (code, iso3):
        notes.append(f"UniMorph's table for {name} is {unimorph} ({_name(unimorph)})")
    if sib200 and sib200.split("_")[0] != iso3:
        a3 = sib200.split("_")[0]
        notes.append(f"SIB-200 tests {name} as {sib200} ({_name(a3)})")
    others = [c for c in in_sib if c != sib200]
    if others:
        notes.append("SIB-200 also has " + ", ".join(
            f"{c} ({_name(c.split('_')[0])})" for c in others))
    return Language(code=code, iso3=iso3, name=name, script=script, massive=massive,
                    sib200=sib200, unimorph=unimorph, codes=codes,
                    lexicons=known.lexicons if known else (), notes=tuple(notes))


def _parse_code(text: str) -> langcodes.Language | None:
    """``text`` as a language tag (``_`` read as ``-``), as typed (not normalised), or
    None if it names no language. Validity is judged after normalisation: ``swa`` and
    ``ewe`` are not valid BCP-47 but are ISO 639 codes that normalise to ``sw``, ``ee``."""
    tag = text.replace("_", "-")
    try:
        raw = langcodes.Language.get(tag, normalize=False)
        normal = langcodes.Language.get(tag)
    except (langcodes.LanguageTagError, ValueError):
        return None
    if (not raw.language or normal.language in _NOT_LANGUAGES or not normal.is_valid()
            or normal.language_name().startswith("Unknown language")):
        return None
    return raw


def _find_name(text: str) -> langcodes.Language | None:
    """A whole language name (English, or the language's own) → its tag."""
    try:
        tag = langcodes.find(text)
    except LookupError:
        return None
    return tag if is_whole_name(text, tag) else None


def is_whole_name(text: str, tag: langcodes.Language) -> bool:
    """Whether ``text`` is a whole name of the language ``langcodes.find`` gave for it:
    its English name, or a name in language-data's table. ``find`` falls back to the
    longest known name the text starts with ("klingonish" → Klingon), which would be a
    guess. (Call after ``langcodes.find``, which loads the table.)"""
    from language_data.names import TRIES, normalize_name

    if tag.language and langcodes.Language.get(tag.language).language_name().lower() == \
            text.lower():
        return True
    trie = TRIES.get("und/name_to_language")
    return trie is not None and normalize_name(text) in trie


def _matched(text: str, raw: langcodes.Language) -> str:
    if text.replace("-", "_") in SIB200_CODES:
        return "SIB-200 / FLORES-200 code"
    if text.replace("_", "-") in MASSIVE_LOCALES:
        return "MASSIVE locale"
    if raw.script or raw.territory or raw.variants:
        return "BCP-47 tag"
    lang = raw.language or ""
    return "ISO 639-1 code" if len(lang) == 2 else "ISO 639-3 code"


@lru_cache(maxsize=1)
def _suggestion_index() -> dict[str, str]:
    """Lower-cased names and codes → lexi code, for "did you mean" (every language lexi
    knows resources for, MASSIVE and SIB-200 have, or CLDR covers)."""
    codes = {*load_known_resources(), *CLDR_LANGUAGES, *(c.split("_")[0] for c in
             SIB200_CODES), *(loc.split("-")[0] for loc in MASSIVE_LOCALES)}
    index: dict[str, str] = {}
    for raw in sorted(codes):
        tag = _parse_code(raw)
        if tag is None:
            continue
        language = _record(tag, None)
        index.setdefault(language.name.lower(), language.code)
        index.setdefault(_name(raw).lower(), language.code)
        for code in language.codes:
            index.setdefault(code.lower(), language.code)
    for flores in SIB200_CODES:
        index.setdefault(flores.lower(), _identity(flores.split("_")[0]))
    return index


def suggestions(query: str, limit: int = 4) -> list[str]:
    """Close matches for a query that resolved to nothing: ``["Swahili (sw)"]``."""
    index = _suggestion_index()
    close = difflib.get_close_matches(query.strip().lower(), list(index), n=12, cutoff=0.75)
    out: list[str] = []
    for key in close:
        code = index[key]
        label = f"{_record(_parse_code(code), None).name} ({code})"
        if label not in out:
            out.append(label)
    return out[:limit]


def resolve(query: str) -> Resolution:
    """Read ``query`` as a code, tag, locale, FLORES code or name; one record or a
    ``LexiError`` that lists the candidates."""
    text = query.strip()
    if not text:
        raise LexiError("no language given", hint="e.g. sw, ewe_Latn, sw-KE or Swahili")
    if text.lower() in _NOT_LANGUAGES:
        raise LexiError(f"{text!r} names no particular language",
                        hint="give the target language, e.g. sw, ewe_Latn or Swahili")
    raw = _parse_code(text)
    # A capitalised word is read as a name too ("Ewe", "Mon"); codes are lower case.
    capitalised = text[:1].isupper() and not text.isupper()
    by_name = _find_name(text) if raw is None or capitalised else None
    if raw is not None and by_name is not None and _identity(str(by_name)) != _identity(
            str(raw)):
        # "Mon" is the code of Mongolian and the name of Mon (mnw); "Ga" is Irish's code
        # and Ga's (gaa) name. A capitalised word reads as a name, so both are offered.
        a, b = _record(raw, None), _record(by_name, None)
        raise LexiError(
            f"{text!r} is ambiguous: the code of {a.name} ({a.code}) or the name of "
            f"{b.name} ({b.code})", hint=f"give the code: {a.code} or {b.code}")
    if raw is not None:
        matched = "language name" if by_name is not None else _matched(text, raw)
        return Resolution(query, matched, _record(raw, text.replace("-", "_")))
    if by_name is not None:
        return Resolution(query, "language name", _record(by_name, None))
    close = suggestions(text)
    hint = (f"did you mean {' or '.join(close)}?" if close else
            "give an ISO 639 code, a BCP-47 tag, a MASSIVE locale, a SIB-200 code or an "
            "English name; `lexi languages` lists the languages lexi has resources for")
    raise LexiError(f"unknown language {text!r}", hint=hint)


def resolve_language(query: str) -> Language:
    """The :class:`Language` for a query (see :func:`resolve`)."""
    return resolve(query).language


def check_language(query: str) -> None:
    """Raise :func:`resolve`'s ``LexiError`` unless ``query`` names a language.

    A MASSIVE locale as the dataset writes it (``sw-KE``) passes without being resolved:
    every one resolves (tests/test_languages.py), and resolving reads langcodes' name
    tables, about 0.1-0.2 s of CPU that a short ``lexi synth --locale sw-KE`` would spend
    before its first row."""
    if query.strip() not in MASSIVE_LOCALES:
        resolve(query)


# --- one language, the form a command needs -----------------------------------------------
# Every command that takes a language accepts it in any form (sw, swa, swc, sw-KE,
# swh_Latn, Swahili) and turns it into the form its data needs with one of these. A query
# that names no language lexi knows is kept as given (a private table, a test code).


def _resolved(query: str) -> Language | None:
    try:
        return resolve_language(query)
    except LexiError:
        return None


def language_code(query: str) -> str:
    """lexi's code for a language given in any form (``Swahili``, ``swa``, ``sw-KE`` → ``sw``):
    what lexicon stores record and the catalog is keyed by."""
    language = _resolved(query)
    return language.code if language else query.strip()


def is_language_code(text: str) -> bool:
    """Whether ``text`` reads as a language code or tag (``sw``, ``swa``, ``sw-KE``,
    ``swh_Latn``), not a name."""
    return _parse_code(text.strip()) is not None


def code_as_written(query: str) -> str:
    """A language code or tag as typed (a format's own scheme may need that exact code:
    PanLex's ``swh``), a language name as lexi's code (``Swahili`` → ``sw``)."""
    text = query.strip()
    return text if _parse_code(text) is not None else language_code(text)


def unimorph_code(query: str) -> str:
    """The code UniMorph names the language's table by (``sw``, ``Swahili`` → ``swc``;
    ``tr`` → ``tur``); ISO 639-3 where lexi knows no table."""
    language = _resolved(query)
    return (language.unimorph or language.iso3) if language else query.strip()


def locale_code(query: str) -> str:
    """A locale tag for a language given in any form: a tag with a region is kept
    (``sw-TZ``), a bare language gets its MASSIVE locale (``Swahili``, ``sw`` → ``sw-KE``),
    else lexi's code."""
    text = query.strip().replace("_", "-")
    if text in MASSIVE_LOCALES:  # a tag with a region, known without parsing (as above)
        return text
    tag = _parse_code(text)
    if tag is not None and tag.territory:
        return text
    language = _resolved(query)
    if language is None:
        return query.strip()
    return language.massive or language.code


def language_name(query: str) -> str:
    """The English name of a language given in any form (``sw`` → ``Swahili``)."""
    language = _resolved(query)
    return language.name if language else query.strip()

