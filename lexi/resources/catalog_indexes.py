"""The sources' indexes, stored in ``indexes/<source>.json``, and how their entries become
catalog entries keyed by lexi's language codes.

An index is a source's file list or language table *as fetched*, with its provenance
(:mod:`lexi.resources.catalog_download` fetches them again). Names and codes are resolved
with ``langcodes`` through :mod:`lexi.resources.languages`; one that resolves to no
language, or to different languages depending on how it is read, is left out and reported
(:class:`Resolved`): nothing is guessed. :mod:`lexi.resources.build_catalog` writes the
catalog from the result.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import langcodes

from lexi.errors import LexiError
from lexi.resources.languages import _parse_code, is_whole_name, resolve

INDEX_DIR = Path(__file__).resolve().parent / "indexes"
GENERATOR = "python -m lexi.resources.build_catalog"
# The source language of every lexicon: never a target row.
SOURCE_LANGUAGE = "en"


# --- indexes --------------------------------------------------------------------------


def index_text(source: str, provenance: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    """An index file's text: provenance, then one entry a line, sorted (deterministic)."""
    entries = sorted(entries, key=lambda e: json.dumps(e, ensure_ascii=False, sort_keys=True))
    lines = [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in entries]
    head = json.dumps({"source": source, "provenance": provenance}, ensure_ascii=False,
                      indent=1, sort_keys=True)
    return head[:-2] + ',\n "entries": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"


def write_index(source: str, provenance: dict[str, Any], entries: list[dict[str, Any]],
                directory: Path = INDEX_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{source}.json"
    path.write_text(index_text(source, provenance, entries), encoding="utf-8")
    return path


def load_index(source: str, directory: Path = INDEX_DIR) -> dict[str, Any]:
    path = directory / f"{source}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LexiError(f"cannot read the {source} index: {exc}", path=path,
                        hint=f"{GENERATOR} --download fetches it again") from exc
    if not isinstance(data.get("entries"), list):
        raise LexiError("an index needs an 'entries' list", path=path)
    return data


# --- resolution ---------------------------------------------------------------------------


@cache
def code_of_tag(tag: str) -> str | None:
    """lexi's code for a code or tag (``swc`` → ``sw``, ``bjn-Arab`` → ``bjn``), or None."""
    if _parse_code(tag) is None:
        return None
    try:
        return resolve(tag).language.code
    except LexiError:
        return None


@cache
def code_of_name(name: str) -> tuple[str | None, str, str]:
    """lexi's code for an English language name, the tag ``langcodes`` found for it
    (``congo swahili`` → ``sw``, ``swc``), and why not when there is none.

    File names write a name's spaces as spaces and its hyphens as ``_`` (WECHSEL's
    ``ai_cham`` is Ai-Cham), so each reading is tried; those that resolve must agree.
    """
    readings = dict.fromkeys((name, name.replace("_", " "), name.replace("_", "-")))
    found: dict[str, str] = {}
    for text in readings:
        try:
            tag = langcodes.find(text)
        except LookupError:
            continue
        if not is_whole_name(text, tag):
            continue  # langcodes also matches a known name that is a mere prefix
        code = code_of_tag(str(tag))
        if code:
            found.setdefault(code, tag.language or code)
    if len(found) == 1:
        code, own = found.popitem()
        return code, own, ""
    if not found:
        return None, "", "no language of that name"
    return None, "", "ambiguous: " + ", ".join(sorted(found))


@dataclass
class Resolved:
    """One source's index, resolved: catalog entries by key and what was left out."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    language_of: dict[str, str] = field(default_factory=dict)  # key → lexi code
    unresolved: list[tuple[str, str]] = field(default_factory=list)  # (label, why)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (label, lexi code)


def assign_keys(items: Iterable[tuple[str, str, str, dict[str, Any]]]) -> Resolved:
    """``(label, lexi code, own code, entry)`` → catalog keys.

    The key is lexi's code, so that ``lexi fetch SOURCE --lang CODE`` and
    ``lexi lexicon sources --lang CODE`` find the file. When a source has several files for
    one language (GATITOS ``bjn`` and ``bjn-Arab``), the one whose own code is lexi's code
    (else the first by label) takes it and the others keep their own code as the key.
    """
    out = Resolved()
    groups: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for label, code, own, entry in items:
        groups.setdefault(code, []).append((label, own, entry))
    for code in sorted(groups):
        members = sorted(groups[code], key=lambda m: (m[1] != code, m[0]))
        for rank, (label, own, entry) in enumerate(members):
            key = code if rank == 0 else own
            if key in out.entries or key in groups and key != code:
                out.duplicates.append((label, code))
                continue
            out.entries[key] = entry
            out.language_of[key] = code
    return out


def _size(entry: dict[str, Any]) -> dict[str, Any]:
    return {"bytes": entry["size"]} if isinstance(entry.get("size"), int) else {}


def resolve_wechsel(index: dict[str, Any]) -> Resolved:
    items, unresolved = [], []
    for entry in index["entries"]:
        stem = entry["file"].removesuffix(".txt")
        code, own, why = code_of_name(stem)
        if code is None:
            unresolved.append((entry["file"], why))
        elif code != SOURCE_LANGUAGE:
            items.append((entry["file"], code, own, {"name": stem, **_size(entry)}))
    out = assign_keys(items)
    out.unresolved = unresolved
    return out


def _resolve_codes(index: dict[str, Any], field_name: str,
                   entry_of: Callable[[dict[str, Any]], dict[str, Any]]) -> Resolved:
    items, unresolved = [], []
    for entry in index["entries"]:
        own = entry[field_name]
        code = code_of_tag(own)
        if code is None:
            unresolved.append((own, "not a language code langcodes knows"))
        elif code != SOURCE_LANGUAGE:
            items.append((own, code, own, entry_of(entry)))
    out = assign_keys(items)
    out.unresolved = unresolved
    return out


def resolve_gatitos(index: dict[str, Any]) -> Resolved:
    return _resolve_codes(index, "code", lambda e: {"code": e["code"], **_size(e)})


def resolve_muse(index: dict[str, Any]) -> Resolved:
    return _resolve_codes(index, "code", lambda e: {"code": e["code"], **_size(e)})


def resolve_kaikki(index: dict[str, Any]) -> Resolved:
    return _resolve_codes(index, "code", lambda e: {"name": e["name"]})


def resolve_unimorph(index: dict[str, Any]) -> Resolved:
    """UniMorph lists an ISO 639-3 code and a name per table; both must name the same
    language (``gal`` is Galolen's code but the table is Galician: left out)."""
    items, unresolved = [], []
    for entry in index["entries"]:
        iso, name = entry["iso"], entry["name"]
        by_code = code_of_tag(iso)
        by_name = code_of_name(name)[0]
        if by_code is None and by_name is None:
            unresolved.append((f"{iso} ({name})", "neither the code nor the name resolves"))
            continue
        if by_code and by_name and by_code != by_name:
            unresolved.append((f"{iso} ({name})",
                               f"the code is {by_code}, the name {by_name}"))
            continue
        code = by_code or by_name
        if code == SOURCE_LANGUAGE:
            continue
        spec = {"iso": iso, **{k: entry[k] for k in ("forms", "paradigms") if k in entry}}
        items.append((iso, code, iso, spec))
    out = assign_keys(items)
    out.unresolved = unresolved
    return out


def _grouped(index: dict[str, Any], field_name: str, out_field: str) -> Resolved:
    """Test sets: every code of a language together (``ak``: aka_Latn, twi_Latn)."""
    out = Resolved()
    for entry in index["entries"]:
        own = entry[field_name]
        code = code_of_tag(own)
        if code is None:
            out.unresolved.append((own, "not a language code langcodes knows"))
            continue
        if code == SOURCE_LANGUAGE:
            continue
        spec = out.entries.setdefault(code, {out_field: []})
        spec[out_field] = sorted({*spec[out_field], own})
        out.language_of[code] = code
    return out


RESOLVERS: dict[str, Callable[[dict[str, Any]], Resolved]] = {
    "wechsel": resolve_wechsel,
    "gatitos": resolve_gatitos,
    "muse": resolve_muse,
    "kaikki": resolve_kaikki,
    "unimorph": resolve_unimorph,
    "massive": lambda index: _grouped(index, "locale", "locales"),
    "sib200": lambda index: _grouped(index, "code", "codes"),
}
