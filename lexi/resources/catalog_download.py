"""Re-downloading the sources' indexes from their official places (GitHub's tree API, raw
files): ``python -m lexi.resources.build_catalog --download``. Needs the network; the tests
run it with a fake ``get``."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from lexi.errors import LexiError
from lexi.resources.catalog_indexes import INDEX_DIR, write_index

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
