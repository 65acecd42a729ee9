"""Download a catalog file into lexi's cache: resumable, retried politely, checksum-verified,
and atomic (bytes go to ``NAME.part`` and are renamed to ``NAME`` only once complete and
verified). Offline, or when the network fails, the error says exactly which URL to fetch
by hand and where to put the file.

The standard library's ``urllib`` is enough here: one GET with a ``Range`` header.

A ``.part`` is resumed only when its bytes are known to belong to the file the server has
now: the server's validator (a strong ``ETag``, else ``Last-Modified``) is recorded beside
it in ``NAME.part.json`` and sent back as ``If-Range``, so a changed file comes back whole;
or a pinned SHA-256 will catch a spliced result. Otherwise the download restarts from zero.
Every cache path is checked to stay inside ``$LEXI_HOME/downloads``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from lexi.errors import LexiError
from lexi.io import file_sha256
from lexi.paths import lexi_home
from lexi.resources.catalog import SourceFile, name_problem, read_catalog
from lexi.version import __version__

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
    """Where ``file`` lives in the cache: ``$LEXI_HOME/downloads/SOURCE/LANG/FILENAME``.

    ``LexiError`` unless each part is a plain name and the resolved path stays inside the
    cache (a catalog entry or language code must never write anywhere else).
    """
    root = lexi_home() / "downloads"
    parts = (("source id", file.source), ("language code", file.lang),
             ("file name", file.filename))
    for what, name in parts:
        problem = name_problem(name)
        if problem:
            raise LexiError(f"{file.source}: the {what} {name!r} {problem}",
                            hint="fix the catalog entry or the --lang code")
    dest = root.joinpath(*(name for _, name in parts))
    # Resolved, so that a symlinked component cannot lead out of the cache either.
    if not dest.resolve().is_relative_to(root.resolve()):
        raise LexiError(f"{file.source}: {dest} resolves outside the cache {root}",
                        hint="remove the link that leads out of the cache")
    return dest


def _part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _meta_path(part: Path) -> Path:
    """Beside ``NAME.part``: the URL and server validator its bytes came from."""
    return part.with_name(part.name + ".json")


def _discard_part(part: Path) -> None:
    for path in (part, _meta_path(part)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _validator(headers: Message) -> str | None:
    """The strongest validator the server gave: a strong ETag (weak ones are not allowed
    in If-Range), else Last-Modified; None when there is neither."""
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("Last-Modified") or None


def _record_origin(part: Path, url: str, validator: str | None) -> None:
    _meta_path(part).write_text(json.dumps({"url": url, "validator": validator}),
                                encoding="utf-8")


def _recorded_validator(part: Path, url: str) -> str | None:
    """The validator recorded for ``part`` if it came from ``url``, else None."""
    try:
        meta = json.loads(_meta_path(part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("url") != url:
        return None
    validator = meta.get("validator")
    return validator if isinstance(validator, str) and validator else None


def _resume_from(part: Path, url: str, pinned: bool) -> tuple[int, str | None]:
    """Bytes of ``part`` worth resuming and the If-Range validator to send with them.

    A ``.part`` whose origin cannot be verified (no validator recorded for this URL, and
    no pinned checksum to catch a mix) is discarded: appending a new file's tail to an
    old file's head would give a file that is neither.
    """
    have = part.stat().st_size if part.is_file() else 0
    validator = _recorded_validator(part, url) if have else None
    if have and (validator or pinned):
        return have, validator
    _discard_part(part)
    return 0, None


def _resumed_at(response: http.client.HTTPResponse) -> int | None:
    """Where a 206 response's body starts (its Content-Range), None if it does not say."""
    value = response.headers.get("Content-Range", "")
    unit, _, rest = value.partition(" ")
    start = rest.partition("-")[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def _place_by_hand(url: str | None, dest: Path, sha256: str | None, why: str) -> LexiError:
    fetch_it = f"download {url}" if url else "download the file by hand"
    pin = f"; its SHA-256 must be {sha256}" if sha256 else ""
    return LexiError(f"{why}: {fetch_it} and place it at {dest}{pin}")


def _attempt(url: str, part: Path, timeout: float, progress: Progress | None,
             pinned: bool) -> None:
    """One GET, resuming ``part`` with ``Range`` (and ``If-Range``) when that is safe."""
    have, validator = _resume_from(part, url, pinned)
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
        if validator:
            headers["If-Range"] = validator
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (catalog URLs)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            # Our partial file is at least as long as the resource: start over.
            _discard_part(part)
            raise _Retry("range not satisfiable; restarting", wait=0) from exc
        if exc.code in RETRYABLE:
            after = exc.headers.get("Retry-After") if exc.headers else None
            wait = float(after) if after and after.isdigit() else None
            raise _Retry(f"HTTP {exc.code}", wait) from exc
        raise LexiError(f"HTTP {exc.code} {exc.reason} for {url}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise _Retry(f"cannot connect: {getattr(exc, 'reason', exc)}") from exc
    with response:
        if response.status == 206:
            if not have or _resumed_at(response) != have:
                # A range we did not ask for: its bytes cannot be placed; start over.
                _discard_part(part)
                raise _Retry("server sent an unexpected range; restarting", wait=0)
            mode, done = "ab", have
        else:  # the whole file: Range ignored, If-Range failed (file changed), or no Range
            mode, done = "wb", 0
            _record_origin(part, url, _validator(response.headers))
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
    problem = name_problem(dest.name)
    if problem:  # e.g. a URL ending in /.. : "...part" must not appear beside the folder
        raise LexiError(f"cannot download to {str(dest)!r}: its file name {problem}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = _part_path(dest)
    last = "no attempt"
    for attempt in range(retries + 1):
        try:
            _attempt(url, part, timeout_s, progress, pinned=bool(sha256))
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
        _discard_part(part)
        raise LexiError(
            f"checksum mismatch for {url}: expected SHA-256 {sha256}, got {actual}",
            path=dest, hint="the download was discarded; nothing was written",
        )
    os.replace(part, dest)
    _discard_part(part)  # the record of where the .part came from
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
    if file.url is None and not cache_path(file).is_file():
        entry = sources[source]
        raise LexiError(
            f"{source} is a manual download: {entry.manual or 'see ' + entry.homepage}",
            hint=f"then: lexi lexicon import {entry.adapter} PATH --tgt {lang} -o OUT.sqlite",
        )
    return fetch_file(file, offline=offline, force=force, retries=retries, backoff_s=backoff_s,
                      timeout_s=timeout_s, progress=progress)


def fetch_file(
    file: SourceFile,
    *,
    offline: bool = False,
    force: bool = False,
    retries: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 30.0,
    progress: Progress | None = None,
) -> FetchResult:
    """``file`` from the cache (:func:`cache_path`), downloading it when missing; what
    :func:`fetch` does once the catalog entry is chosen (``lexi bootstrap`` fetches test
    sets this way too). ``offline``: as for :func:`fetch`."""
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
        raise _place_by_hand(None, dest, file.sha256, f"{file.source} has no URL for {file.lang}")
    if offline:
        raise _place_by_hand(file.url, dest, file.sha256, "offline")
    if force:
        _discard_part(_part_path(dest))
    return download(file.url, dest, sha256=file.sha256, retries=retries, backoff_s=backoff_s,
                    timeout_s=timeout_s, progress=progress)
