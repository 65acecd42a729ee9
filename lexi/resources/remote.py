"""What ``lexi bootstrap`` can take from lexi's cache or the catalog when a resource is
neither given nor in the data root: the catalog's word lists for the language (TSV
sources, in lexi's preference order), SIB-200's split files (English train and dev, the
language's test split; its train split is unlabelled text) and MASSIVE's locale files,
extracted from the one archive MASSIVE publishes for every locale.

A :class:`Remote` names the file bootstrap reads (its place in the cache) and what is
downloaded to get it; nothing here touches the network before :func:`obtain`, which
downloads through :func:`lexi.resources.fetch.fetch_file` (resumable, retried, verified).
"""

from __future__ import annotations

import os
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lexi.errors import LexiError
from lexi.resources.catalog import (
    CatalogSource,
    SourceFile,
    default_catalog_path,
    fill_url,
    read_catalog,
    url_filename,
)
from lexi.resources.data_root import lexicon_names, sib200_codes
from lexi.resources.fetch import Progress, cache_path, fetch_file
from lexi.resources.languages import Language

# `lexi lexicon import tsv` is what the recipes run, so only sources in that format are
# fetched for them (MUSE and kaikki need their own adapters: `lexi fetch` + import).
RECIPE_ADAPTER = "tsv"


@dataclass(frozen=True)
class Remote:
    """One file from the catalog: ``path`` is where it lies in the cache (what bootstrap
    reads), ``download`` the file downloaded to get it: the file itself, or the archive
    ``member`` is extracted from."""

    what: str
    path: Path
    download: SourceFile
    member: str | None = None

    @property
    def url(self) -> str:
        return str(self.download.url)

    @property
    def cached(self) -> bool:
        return self.path.is_file()

    @property
    def local(self) -> bool:
        """Whether it can be had without the network: cached, or its archive is."""
        return self.cached or (self.member is not None and cache_path(self.download).is_file())

    def route(self) -> str:
        """``URL → PATH`` (through the archive, for an archive's member)."""
        if self.member is None:
            return f"{self.url} → {self.path}"
        return f"{self.url} → {cache_path(self.download)}, {self.member} → {self.path}"

    def by_hand(self) -> str:
        """What to download and where to put it, for when lexi may not."""
        if self.member is None:
            return f"download {self.url} and place it at {self.path}"
        return (f"download {self.url} and place it at {cache_path(self.download)} (lexi "
                f"extracts {self.member} from it), or place {self.member} at {self.path}")


@dataclass(frozen=True)
class DataSet:
    """A catalog ``tests:`` entry: ``url`` is a file template ({code}, {split}) or one
    archive for every language (``member``: the file of one locale inside); ``english``
    names its English side, ``unlabelled`` the split whose text is unlabelled text."""

    id: str
    name: str
    url: str | None
    languages: dict[str, dict[str, Any]] = field(default_factory=dict)
    english: str | None = None
    member: str | None = None
    unlabelled: str | None = None

    def codes(self, key: str) -> list[str]:
        """Every code the data set has for a catalog language (``locales`` or ``codes``)."""
        spec = self.languages.get(key) or {}
        return [str(c) for c in spec.get("locales") or spec.get("codes") or ()]


def read_data_sets(path: Path) -> dict[str, DataSet]:
    """The catalog's ``tests:`` section (empty when it has none)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"),  # noqa: S506 (a safe loader)
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise LexiError(f"cannot read the catalog: {exc}", path=path) from exc
    tests = data.get("tests") if isinstance(data, dict) else None
    sets = {}
    for key, spec in (tests or {}).items():
        if not isinstance(spec, dict):
            raise LexiError(f"tests: {key!r} is not a mapping", path=path)
        sets[str(key)] = DataSet(
            id=str(key), name=str(spec.get("name", key)), url=spec.get("url"),
            languages={str(k): dict(v or {}) for k, v in (spec.get("languages") or {}).items()},
            english=spec.get("english"), member=spec.get("member"),
            unlabelled=spec.get("unlabelled"))
    return sets


@dataclass(frozen=True)
class RemoteCatalog:
    """The catalog as ``lexi bootstrap`` uses it: lexicon sources and data sets."""

    path: Path
    sources: dict[str, CatalogSource]
    data: dict[str, DataSet]

    def lexicons(self, language: Language) -> tuple[Remote, ...]:
        """The catalog's TSV word lists for ``language``, in lexi's preference order
        (languages.yml's, then GATITOS before WECHSEL, then any other), one per source."""
        preferred = [name.split("-en-")[0] for name in lexicon_names(language)]
        rank = {source: n for n, source in enumerate(dict.fromkeys(preferred))}
        found = []
        for source in sorted(self.sources.values(), key=lambda s: rank.get(s.id, len(rank))):
            if source.adapter != RECIPE_ADAPTER or source.any_language:
                continue
            key = next((code for code in language.codes if code in source.languages), None)
            if key is None:
                continue
            file = source.file_for(key)
            if file.url is not None:
                found.append(Remote(f"{source.id} word list for {key}", cache_path(file), file))
        return tuple(found)

    def massive(self, language: Language | None) -> Remote | None:
        """The MASSIVE file of ``language``'s locale (``None``: English, en-US), or None."""
        data = self.data.get("massive")
        if data is None or not data.url or not data.member:
            return None
        if language is None:
            locale = data.english
        else:
            locales = data.codes(language.code)
            locale = language.massive if language.massive in locales else next(
                iter(locales), None)
        if not locale:
            return None
        archive = SourceFile("massive", "archive", data.url, url_filename(data.url))
        path = cache_path(SourceFile("massive", "data", None, f"{locale}.jsonl"))
        return Remote(f"MASSIVE {locale}", path, archive, data.member.format(locale=locale))

    def sib200_code(self, language: Language) -> str | None:
        """The SIB-200 code the catalog has for ``language``: lexi's own choice (twi_Latn
        for Akan) when listed, else the first listed."""
        data = self.data.get("sib200")
        if data is None:
            return None
        listed = data.codes(language.code)
        every = {code for key in data.languages for code in data.codes(key)}
        return next((c for c in sib200_codes(language) if c in every),
                    next(iter(listed), None))

    def sib200(self, code: str | None, split: str) -> Remote | None:
        """SIB-200's ``split`` file of ``code`` (None: English, eng_Latn), or None."""
        data = self.data.get("sib200")
        if data is None or not data.url:
            return None
        code = code or data.english
        if not code:
            return None
        url = fill_url(data.url, code, {"code": code, "split": split})
        file = SourceFile("sib200", code, url, f"{split}.tsv")
        return Remote(f"SIB-200 {code} {split} split", cache_path(file), file)

    @property
    def unlabelled_split(self) -> str | None:
        """The SIB-200 split the catalog names as unlabelled text (``train``), or None."""
        data = self.data.get("sib200")
        return None if data is None else data.unlabelled

    def unlabelled(self, language: Language, code: str | None = None) -> Remote | None:
        """Public unlabelled text of ``language``: SIB-200's split named ``unlabelled``
        (of ``code`` when given: the SIB-200 code a run's test set has)."""
        code = code or self.sib200_code(language)
        if not self.unlabelled_split or code is None:
            return None
        return self.sib200(code, self.unlabelled_split)


def load_remote_catalog(path: str | Path | None = None) -> RemoteCatalog:
    """The catalog at ``path`` (default: ``$LEXI_CATALOG`` or lexi's own)."""
    path = Path(path).expanduser() if path is not None else default_catalog_path()
    return RemoteCatalog(path, read_catalog(path), read_data_sets(path))


def obtain(remote: Remote, *, offline: bool = False, progress: Progress | None = None,
           retries: int = 3, backoff_s: float = 1.0) -> Path:
    """``remote``'s file in the cache: as it is, or downloaded (resuming a ``.part``), or
    extracted from its archive (downloaded first when missing). ``offline`` never touches
    the network: a missing file is a ``LexiError`` saying what to place where."""
    if remote.cached:
        return remote.path
    if offline and not remote.local:
        raise LexiError(f"offline: {remote.what} is not in lexi's cache: {remote.by_hand()}")
    fetched = fetch_file(remote.download, offline=offline, progress=progress,
                         retries=retries, backoff_s=backoff_s)
    if remote.member is not None:
        extract_member(fetched.path, remote.member, remote.path)
    return remote.path


def extract_member(archive: Path, member: str, dest: Path) -> Path:
    """The archive member whose path ends in ``member``, written to ``dest`` (atomically:
    ``dest.part`` first). Only its bytes are read: the member's own path never decides
    where anything is written."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with tarfile.open(archive, "r:*") as tar:
            for info in tar:
                if info.isfile() and (info.name == member or info.name.endswith("/" + member)):
                    source = tar.extractfile(info)
                    if source is None:
                        break
                    with source, open(part, "wb") as out:
                        shutil.copyfileobj(source, out)
                    os.replace(part, dest)
                    return dest
    except (tarfile.TarError, EOFError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise LexiError(f"cannot read the archive: {exc}", path=archive,
                        hint="delete it and run again to download it again") from exc
    raise LexiError(f"the archive holds no file {member}", path=archive,
                    hint="delete it and run again to download it again, or check the "
                    "catalog's member template")
