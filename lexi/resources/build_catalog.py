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

The work is split three ways: :mod:`lexi.resources.catalog_indexes` reads the indexes and
resolves their entries, :mod:`lexi.resources.catalog_download` fetches them again, and this
module writes the catalog files and is the command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lexi.resources.catalog import fill_url, url_filename
from lexi.resources.catalog_download import download_indexes
from lexi.resources.catalog_indexes import GENERATOR, INDEX_DIR, RESOLVERS, Resolved, load_index
from lexi.resources.languages import resolve_language

HERE = Path(__file__).resolve().parent
SOURCES_FILE = HERE / "catalog-sources.yml"
CATALOG_FILE = HERE / "catalog.yml"
LANGUAGES_FILE = HERE / "catalog-languages.json"


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
        "# morphology, tests: where UniMorph tables and MASSIVE / SIB-200 data live; `lexi",
        "# bootstrap` fetches the test sets (and SIB-200's English splits) into the cache.",
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
