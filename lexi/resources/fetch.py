"""Download a catalog file into lexi's cache: resumable, retried politely, checksum-verified,
and atomic (bytes go to ``NAME.part`` and are renamed to ``NAME`` only once complete and
verified). Offline, or when the network fails, the error says exactly which URL to fetch
by hand and where to put the file.

The standard library's ``urllib`` is enough here: one GET with a ``Range`` header.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lexi import __version__
from lexi.errors import LexiError
from lexi.io import file_sha256
from lexi.paths import lexi_home
from lexi.resources.catalog import SourceFile, read_catalog

USER_AGENT = f"lexi/{__version__} (+https://github.com/lexi; bilingual lexicon fetcher)"
CHUNK = 1 << 16
# Statuses worth another try after a pause; other 4xx mean the URL itself is wrong.
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER_S = 60.0

Progress = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class FetchResult:
    """Where the file is, where it came from, its SHA-256, and whether it was downloaded now."""

    path: Path
    url: str | None
    sha256: str
    bytes: int
    downloaded: bool
    pinned: bool


class _Retry(Exception):
    """A failed attempt worth retrying (after ``wait`` seconds, if given)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


def cache_path(file: SourceFile) -> Path:
    """Where ``file`` lives in the cache: ``$LEXI_HOME/downloads/SOURCE/LANG/FILENAME``."""
    return lexi_home() / "downloads" / file.source / file.lang / file.filename



def _place_by_hand(url: str | None, dest: Path, sha256: str | None, why: str) -> LexiError:
    fetch_it = f"download {url}" if url else "download the file by hand"
    pin = f"; its SHA-256 must be {sha256}" if sha256 else ""
    return LexiError(f"{why}: {fetch_it} and place it at {dest}{pin}")


def _attempt(url: str, part: Path, timeout: float, progress: Progress | None) -> None:
    """One GET, resuming ``part`` with ``Range`` when it already holds bytes."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (catalog URLs)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            # Our partial file is at least as long as the resource: start over.
            part.unlink()
            raise _Retry("range not satisfiable; restarting", wait=0) from exc
        if exc.code in RETRYABLE:
            after = exc.headers.get("Retry-After") if exc.headers else None
            wait = float(after) if after and after.isdigit() else None
            raise _Retry(f"HTTP {exc.code}", wait) from exc
        raise LexiError(f"HTTP {exc.code} {exc.reason} for {url}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise _Retry(f"cannot connect: {getattr(exc, 'reason', exc)}") from exc
    with response:
        if have and response.status == 206:
            mode, done = "ab", have
        else:  # the server ignored Range (or there was none): the body is the whole file
            mode, done = "wb", 0
        length = response.headers.get("Content-Length")
        total = done + int(length) if length and length.isdigit() else None
        try:
            with open(part, mode) as out:
                while block := response.read(CHUNK):
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
        except (http.client.IncompleteRead, ConnectionError, TimeoutError) as exc:
            raise _Retry(f"connection dropped after {done} bytes") from exc
        if total is not None and done < total:
            raise _Retry(f"connection dropped after {done} of {total} bytes")


def download(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    retries: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 30.0,
    progress: Progress | None = None,
) -> FetchResult:
    """Download ``url`` to ``dest`` (resuming ``dest.part``), verify ``sha256`` if given,
    and rename into place. Retries ``retries`` times, waiting ``backoff_s * 2**n``."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    last = "no attempt"
    for attempt in range(retries + 1):
        try:
            _attempt(url, part, timeout_s, progress)
            break
        except _Retry as exc:
            last = str(exc)
            if attempt == retries:
                raise _place_by_hand(
                    url, dest, sha256, f"download failed after {retries + 1} tries ({last})"
                ) from exc
            wait = exc.wait if exc.wait is not None else backoff_s * 2**attempt
            time.sleep(min(wait, MAX_RETRY_AFTER_S))
    actual = file_sha256(part)
    if sha256 and actual != sha256.lower():
        part.unlink()
        raise LexiError(
            f"checksum mismatch for {url}: expected SHA-256 {sha256}, got {actual}",
            path=dest, hint="the download was discarded; nothing was written",
        )
    os.replace(part, dest)
    return FetchResult(dest, url, actual, dest.stat().st_size, True, bool(sha256))


def fetch(
    source: str,
    lang: str,
    *,
    catalog: str | Path | None = None,
    offline: bool = False,
    force: bool = False,
    retries: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 30.0,
    progress: Progress | None = None,
) -> FetchResult:
    """The cached file of catalog ``source`` for ``lang``, downloading it when missing.

    ``offline`` never touches the network: a cached file is returned, a missing one is a
    ``LexiError`` naming the URL and the exact path to put the file at.
    """
    sources = read_catalog(catalog)
    if source not in sources:
        raise LexiError(f"no source {source!r} in the catalog",
                        hint=f"known: {', '.join(sources)}")
    if sources[source].builtin:
        raise LexiError(
            f"{source} needs no download: its data ships with lexi's dependencies",
            hint=f"lexi lexicon import {sources[source].adapter} --tgt {lang} -o OUT.sqlite",
        )
    file = sources[source].file_for(lang)
    dest = cache_path(file)
    if dest.is_file() and not force:
        actual = file_sha256(dest)
        if file.sha256 and actual != file.sha256.lower():
            if offline:
                raise _place_by_hand(file.url, dest, file.sha256,
                                     f"cached {dest} has the wrong checksum {actual}")
        else:
            return FetchResult(dest, file.url, actual, dest.stat().st_size, False,
                               bool(file.sha256))
    if file.url is None:
        entry = sources[source]
        raise LexiError(
            f"{source} is a manual download: {entry.manual or 'see ' + entry.homepage}",
            hint=f"then: lexi lexicon import {entry.adapter} PATH --tgt {lang} -o OUT.sqlite",
        )
    if offline:
        raise _place_by_hand(file.url, dest, file.sha256, "offline")
    if force:
        with contextlib.suppress(FileNotFoundError):
            dest.with_name(dest.name + ".part").unlink()
    return download(file.url, dest, sha256=file.sha256, retries=retries, backoff_s=backoff_s,
                    timeout_s=timeout_s, progress=progress)
