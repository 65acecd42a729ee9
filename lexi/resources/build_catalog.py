"""Build lexi's resource catalog from the sources' own indexes.

    python -m lexi.resources.build_catalog             # indexes/*.json → catalog files
    python -m lexi.resources.build_catalog --check     # exit 1 if the committed files differ
    python -m lexi.resources.build_catalog --download  # re-fetch the indexes first (network)

Inputs, both committed:

- ``indexes/<source>.json``: each source's index *as fetched* (a file list or a language
  table), with its provenance (repository, commit, URL, date, how it was read, whether it
  is complete). The generator only reads them; ``--download`` rewrites them from the
  sources' official places (GitHub's tree API, raw files).
- ``catalog-sources.yml``: what is not per language (name, licence, adapter, URL
  template), hand-written.

Outputs, generated and committed (a test re-runs the generator and compares, so a hand
edit is caught):

- ``catalog.yml``: the lexicon sources in the format :mod:`lexi.resources.catalog` reads
  (``lexi fetch``, ``lexi lexicon sources``, ``lexi bootstrap``), plus ``morphology:``
  (UniMorph) and ``tests:`` (MASSIVE, SIB-200) sections;
- ``catalog-languages.json``: one row per language (lexicons, UniMorph table, test sets),
  what ``lexi languages`` reads without resolving thousands of codes at run time, and the
  report of what could not be attributed to a language.

Names and codes are resolved with ``langcodes`` through :mod:`lexi.resources.languages`
(the same identity ``lexi languages`` and ``lexi bootstrap`` use). A name or code that
resolves to no language, or to different languages depending on how it is read, is left
out of the catalog and listed in the report: nothing is guessed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import langcodes
import yaml

from lexi.errors import LexiError
from lexi.resources.catalog import fill_url, url_filename
from lexi.resources.languages import _parse_code, is_whole_name, resolve, resolve_language

HERE = Path(__file__).resolve().parent
INDEX_DIR = HERE / "indexes"
SOURCES_FILE = HERE / "catalog-sources.yml"
CATALOG_FILE = HERE / "catalog.yml"
LANGUAGES_FILE = HERE / "catalog-languages.json"
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


# --- the catalog ---------------------------------------------------------------------------


@dataclass
class Built:
    catalog_text: str
    languages_text: str
    report: dict[str, Any]


def _yaml_scalar(value: Any) -> str:
    text = yaml.safe_dump(value, allow_unicode=True, width=10**6, default_flow_style=True)
    return text.removesuffix("\n").removesuffix("\n...").removesuffix("\n")


def _flow(key: str, spec: dict[str, Any]) -> str:
    items = ", ".join(f"{_yaml_scalar(k)}: {_yaml_scalar(v)}" for k, v in spec.items())
    return f"{_yaml_scalar(key)}: {{{items}}}"


def _block(meta: dict[str, Any], indent: str) -> list[str]:
    text = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=88)
    return [indent + line for line in text.splitlines()]


def _section(name: str, metas: dict[str, dict[str, Any]],
             resolved: dict[str, Resolved]) -> list[str]:
    lines = [f"{name}:"]
    for source_id, meta in metas.items():
        meta = {k: v for k, v in meta.items() if k != "index"}
        lines.append(f"  {source_id}:")
        lines += _block(meta, "    ")
        if source_id in resolved:
            entries = resolved[source_id].entries
            lines.append("    languages:" + ("" if entries else " {}"))
            lines += ["      " + _flow(key, entries[key]) for key in sorted(entries)]
        elif not meta.get("any_language"):
            lines.append("    languages: {}")
        lines.append("")
    return lines


def _report(indexes: dict[str, dict[str, Any]],
            resolved: dict[str, Resolved]) -> dict[str, Any]:
    report = {}
    for source_id in sorted(resolved):
        res, index = resolved[source_id], indexes[source_id]
        languages = set(res.language_of.values())
        report[source_id] = {
            "index_entries": len(index["entries"]),
            "index_complete": bool(index["provenance"].get("complete")),
            "catalogued": len(res.entries),
            "languages": len(languages),
            "unresolved": [f"{label}: {why}" for label, why in sorted(res.unresolved)],
            "duplicates": [f"{label} (also {code})" for label, code in sorted(res.duplicates)],
        }
    return report


def _row(code: str) -> dict[str, Any]:
    language = resolve_language(code)
    return {"name": language.name, "iso3": language.iso3, "script": language.script,
            "massive": language.massive, "sib200": language.sib200,
            "unimorph": language.unimorph, "lexicons": [], "morph": [], "massive_tests": [],
            "sib200_tests": []}


def build(index_dir: Path = INDEX_DIR, sources_file: Path = SOURCES_FILE) -> Built:
    """The catalog files' text from the stored indexes (nothing is written)."""
    meta = yaml.safe_load(sources_file.read_text(encoding="utf-8"))
    sections = {name: meta.get(name) or {} for name in ("lexicons", "morphology", "tests")}
    indexes: dict[str, dict[str, Any]] = {}
    resolved: dict[str, Resolved] = {}
    for section in sections.values():
        for source_id, source_meta in section.items():
            index_name = source_meta.get("index")
            if index_name:
                indexes[source_id] = load_index(index_name, index_dir)
                resolved[source_id] = RESOLVERS[index_name](indexes[source_id])
    report = _report(indexes, resolved)

    rows: dict[str, dict[str, Any]] = {}
    for source_id, source_meta in sections["lexicons"].items():
        res = resolved.get(source_id)
        for key, spec in sorted(res.entries.items()) if res else ():
            row = rows.setdefault(res.language_of[key], _row(res.language_of[key]))
            row["lexicons"].append({"source": source_id, "key": key,
                                    "file": url_filename(fill_url(source_meta["url"], key, spec)),
                                    "bytes": spec.get("bytes")})
    for source_id, out_field in (("unimorph", "morph"), ("massive", "massive_tests"),
                                 ("sib200", "sib200_tests")):
        res = resolved[source_id]
        for key, spec in sorted(res.entries.items()):
            row = rows.setdefault(res.language_of[key], _row(res.language_of[key]))
            if out_field == "morph":
                row[out_field].append({"iso": spec["iso"], **{
                    k: spec[k] for k in ("forms", "paradigms") if k in spec}})
            else:
                row[out_field] += spec["locales" if source_id == "massive" else "codes"]
    counts = {
        "languages": len(rows),
        "with_lexicon": sum(1 for r in rows.values() if r["lexicons"]),
        "with_morph": sum(1 for r in rows.values() if r["morph"]),
        "with_test": sum(1 for r in rows.values() if r["massive_tests"] or r["sib200_tests"]),
    }

    header = [
        f"# GENERATED by `{GENERATOR}` from lexi/resources/indexes/*.json",
        "# (each source's own file list or language table, with its provenance) and",
        "# lexi/resources/catalog-sources.yml. Do not edit by hand: change those and rerun",
        "# the generator (tests/test_catalog.py fails when this file differs from its output).",
        "#",
        "# sources: public bilingual lexicons (English → target), read by `lexi fetch`,",
        "# `lexi lexicon sources` and `lexi bootstrap`; each language key is lexi's code for",
        "# the language, and the URL template is filled with the key ({lang}) and the",
        "# entry's fields, percent-encoded. No checksum is pinned: the files come from live",
        "# branches; `lexi fetch` prints the SHA-256 of what it downloaded.",
        "# morphology, tests: where UniMorph tables and MASSIVE / SIB-200 test sets live.",
        "",
        "generated:",
        f"  by: {GENERATOR}",
        "  counts: " + _yaml_scalar({k: counts[k] for k in counts}),
        "  indexes:",
    ]
    for source_id in sorted(report):
        r = report[source_id]
        header.append(f"    {source_id}: " + _yaml_scalar({
            "entries": r["index_entries"], "complete": r["index_complete"],
            "catalogued": r["catalogued"], "unresolved": len(r["unresolved"])}))
    header.append("")
    lines = header + _section("sources", sections["lexicons"], resolved)
    lines += _section("morphology", sections["morphology"], resolved)
    lines += _section("tests", sections["tests"], resolved)
    catalog_text = "\n".join(lines).rstrip("\n") + "\n"

    table = {
        "generated_by": GENERATOR,
        "counts": counts,
        "report": report,
        "urls": {source_id: m["url"] for section in sections.values()
                 for source_id, m in section.items() if m.get("url")},
        "languages": {code: rows[code] for code in sorted(rows)},
    }
    languages_text = json.dumps(table, ensure_ascii=False, indent=0, sort_keys=False) + "\n"
    return Built(catalog_text, languages_text, report)


def write(built: Built, catalog_file: Path = CATALOG_FILE,
          languages_file: Path = LANGUAGES_FILE) -> None:
    catalog_file.write_text(built.catalog_text, encoding="utf-8")
    languages_file.write_text(built.languages_text, encoding="utf-8")


# --- re-downloading the indexes (network; not run by the tests) ---------------------------

GITHUB_TREE = "https://api.github.com/repos/{repo}/git/trees/{ref}?recursive=1"
RAW = "https://raw.githubusercontent.com/{repo}/{ref}/{path}"


def _get(url: str) -> bytes:
    from lexi.resources.fetch import USER_AGENT

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.read()


def tree_files(tree: dict[str, Any], folder: str, pattern: str) -> list[dict[str, Any]]:
    """Files of a GitHub tree API answer directly in ``folder`` whose names match."""
    out = []
    regex = re.compile(pattern)
    for item in tree.get("tree", []):
        path = item.get("path", "")
        parent, _, name = path.rpartition("/")
        if item.get("type") == "blob" and parent == folder.rstrip("/") and regex.fullmatch(name):
            out.append({"file": name, "size": item.get("size")})
    if tree.get("truncated"):
        raise LexiError("GitHub truncated the tree listing; the index would be incomplete")
    return out


def tree_folders(tree: dict[str, Any], folder: str) -> list[str]:
    folder = folder.rstrip("/")
    return sorted(item["path"].rpartition("/")[2] for item in tree.get("tree", [])
                  if item.get("type") == "tree" and item["path"].rpartition("/")[0] == folder)


def muse_codes(readme: str) -> list[dict[str, str]]:
    """``| Name: [full](.../dictionaries/en-xx.txt)`` → code and name, from MUSE's README."""
    pattern = re.compile(r"([A-Z][\w ]*?): \[full\]\([^)]*/dictionaries/en-([a-z]+)\.txt\)")
    return [{"code": code, "name": name, "file": f"en-{code}.txt"}
            for name, code in dict((m.group(1), m.group(2))
                                   for m in pattern.finditer(readme)).items()]


def unimorph_languages(text: str) -> list[dict[str, Any]]:
    out = []
    for item in yaml.safe_load(text) or []:
        entry = {"iso": str(item["iso"]), "name": str(item["name"])}
        for key in ("forms", "paradigms"):
            value = str(item.get(key) or "").replace(",", "").strip()
            if value.isdigit():
                entry[key] = int(value)
        out.append(entry)
    return out


def download_indexes(directory: Path = INDEX_DIR, get: Callable[[str], bytes] = _get) -> None:
    """Fetch every index again from the sources' official places and rewrite it."""
    from datetime import date

    today = date.today().isoformat()

    def tree(repo: str, ref: str) -> dict[str, Any]:
        return json.loads(get(GITHUB_TREE.format(repo=repo, ref=ref)))

    def provenance(repo: str | None, path: str | None, url: str, ref: str | None,
                   method: str, **more: Any) -> dict[str, Any]:
        return {"repo": repo, "path": path, "url": url, "commit": ref, "retrieved": today,
                "method": method, "complete": True, **more}

    answer = tree("CPJKU/wechsel", "main")
    files = tree_files(answer, "dicts/data", r".+\.txt")
    write_index("wechsel", provenance(
        "CPJKU/wechsel", "dicts/data/", "https://github.com/CPJKU/wechsel/tree/main/dicts/data",
        answer.get("sha"), "GitHub tree API, every dicts/data/*.txt with its size",
        naming=("dicts/parse.py: the Wiktionary language heading, '-' replaced by '_', "
                "lower-cased, + '.txt'")), files, directory)

    answer = tree("google-research/url-nlp", "main")
    files = tree_files(answer, "gatitos", r"en_.+\.tsv")
    write_index("gatitos", provenance(
        "google-research/url-nlp", "gatitos/", "https://github.com/google-research/url-nlp",
        answer.get("sha"), "GitHub tree API, every gatitos/en_<code>.tsv with its size"),
        [{"code": f["file"][3:-4], "file": f["file"], "size": f["size"]} for f in files],
        directory)

    readme = get(RAW.format(repo="facebookresearch/MUSE", ref="main", path="README.md"))
    write_index("muse", provenance(
        "facebookresearch/MUSE", "README.md", "https://github.com/facebookresearch/MUSE",
        "main", "README.md, the 'full' en-<code>.txt links"),
        muse_codes(readme.decode("utf-8")), directory)

    text = get(RAW.format(repo="unimorph/unimorph.github.io", ref="master",
                          path="_data/languages.yml"))
    write_index("unimorph", provenance(
        "unimorph/unimorph.github.io", "_data/languages.yml", "https://unimorph.github.io/",
        "master", "the site's language list (name, iso, forms, paradigms)"),
        unimorph_languages(text.decode("utf-8")), directory)

    answer = tree("dadelani/sib-200", "main")
    write_index("sib200", provenance(
        "dadelani/sib-200", "data/annotated/", "https://github.com/dadelani/sib-200",
        answer.get("sha"), "GitHub tree API, the folders of data/annotated/"),
        [{"code": c} for c in tree_folders(answer, "data/annotated")], directory)
    # MASSIVE's locales and kaikki.org's languages have no machine-readable index at a
    # stable address: their index files are kept as they are.


# --- command line ----------------------------------------------------------------------------


def _summary(built: Built) -> str:
    lines = []
    for source_id, r in built.report.items():
        lines.append(
            f"{source_id}: {r['index_entries']} index entries"
            f"{'' if r['index_complete'] else ' (index incomplete)'}, {r['catalogued']} "
            f"catalogued for {r['languages']} languages, {len(r['unresolved'])} unresolved, "
            f"{len(r['duplicates'])} duplicates")
    counts = json.loads(built.languages_text)["counts"]
    lines.append("languages: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=GENERATOR, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the committed files differ")
    parser.add_argument("--download", action="store_true",
                        help="re-fetch the indexes from the sources first (network)")
    parser.add_argument("--unresolved", action="store_true",
                        help="also list every name or code that resolved to no language")
    args = parser.parse_args(argv)
    if args.download:
        download_indexes()
    built = build()
    print(_summary(built), file=sys.stderr)
    if args.unresolved:
        for source_id, r in built.report.items():
            for line in r["unresolved"]:
                print(f"{source_id}\t{line}")
    if args.check:
        stale = [p.name for p, text in ((CATALOG_FILE, built.catalog_text),
                                        (LANGUAGES_FILE, built.languages_text))
                 if not p.is_file() or p.read_text(encoding="utf-8") != text]
        if stale:
            print(f"out of date: {', '.join(stale)} (run {GENERATOR})", file=sys.stderr)
            return 1
        return 0
    write(built)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
