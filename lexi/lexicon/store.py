"""The compiled lexicon: one SQLite file (standard library, no server, mmap-friendly).

Layout: ``entries(source, target, pos, weight, provenance)`` in the order they were read,
an index on ``source``, and ``meta(key, value)`` holding the languages, the normaliser and
how the lexicon was built. A store built from several inputs also records the merge mode
and, in order, the rows each input gave (``parts``); rows are written input by input, so
the first ``parts[0].rows`` rowids are the first input's, and so on
(:func:`read_store_parts`). Sorting senses and dropping duplicate (source, target, pos)
rows (keeping the highest weight) happens when a store is read, per source, where it is
cheap: doing it at import with a GROUP BY/ORDER BY over millions of rows tripled the
import time.

Writing goes to a temporary file beside the target, renamed into place only when the
whole build succeeded; so the store is never half-written, and the build can use
SQLite's fastest unsafe settings (no journal, no fsync) because a crash loses only the
temporary file.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lexi.errors import LexiError
from lexi.io import ordinary_permissions
from lexi.lexicon.model import Entry, Normalizer
from lexi.lexicon.senses import best_entries, new_entry
from lexi.lexicon.view import LexiconView

FORMAT_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
BATCH = 50_000
# From this many rows on, loading a store with freeze_after_load freezes its objects for
# the GC (_collector_paused).
FREEZE_ROWS = 100_000


def is_store(path: str | Path) -> bool:
    """Whether ``path`` is an SQLite file (a compiled lexicon, if it has our tables)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == SQLITE_MAGIC
    except OSError:
        return False


class LexiconWriter:
    """Builds a store: ``with LexiconWriter(path, ...) as w: w.add(entries)``.

    Entries must already be normalised (see :func:`lexi.lexicon.importer.import_lexicon`).
    ``meta`` is saved as JSON values; set more with ``writer.meta[...]`` before the end.
    """

    def __init__(
        self, path: str | Path, *, src: str, tgt: str, normalizer: Normalizer,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self.meta: dict[str, Any] = {
            "format_version": FORMAT_VERSION, "src": src, "tgt": tgt,
            "normalizer": normalizer.as_dict(), **(meta or {}),
        }
        self.rows_added = 0
        self._tmp: str | None = None
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> LexiconWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                         dir=self.path.parent)
        os.close(fd)
        db = sqlite3.connect(self._tmp, isolation_level=None)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-200000")
        db.execute("BEGIN")
        db.execute(
            "CREATE TABLE entries (source TEXT NOT NULL, target TEXT NOT NULL, pos TEXT,"
            " weight REAL NOT NULL, provenance TEXT)"
        )
        self._db = db
        return self

    def add_rows(self, rows: Iterable[tuple]) -> int:
        """Add ``(source, target, pos, weight, provenance)`` tuples; returns how many."""
        assert self._db is not None, "use LexiconWriter as a context manager"
        before = self._db.total_changes
        self._db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?)", rows)
        added = self._db.total_changes - before
        self.rows_added += added
        return added

    def add(self, entries: Iterable[Entry]) -> int:
        """Add :class:`Entry` records; returns how many."""
        return self.add_rows((e.source, e.target, e.pos, e.weight, e.provenance) for e in entries)

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._db is not None and self._tmp is not None
        try:
            if exc_type is None:
                self._finish(self._db)
            self._db.close()
            if exc_type is None:
                ordinary_permissions(self._tmp)  # mkstemp made it 0600
                os.replace(self._tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)

    def _finish(self, db: sqlite3.Connection) -> None:
        db.execute("CREATE INDEX entries_source ON entries(source)")
        self.meta["rows"] = self.rows_added
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [(k, json.dumps(v, ensure_ascii=False)) for k, v in self.meta.items()],
        )
        db.execute("COMMIT")


@dataclass(frozen=True)
class StoreInfo:
    """What a compiled lexicon says about itself (its ``meta`` table)."""

    path: str
    src: str | None
    tgt: str | None
    normalizer: Normalizer
    meta: dict[str, Any] = field(default_factory=dict)


def _connect(path: str | Path) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise LexiError("no such lexicon", path=path)
    db = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        db.close()
        raise LexiError(f"not a compiled lexicon: {exc}", path=path) from exc
    if not {"entries", "meta"} <= names:
        db.close()
        raise LexiError(
            "an SQLite file without lexi's entries/meta tables", path=path,
            hint="build one with `lexi lexicon import`",
        )
    return db


def store_info(path: str | Path) -> StoreInfo:
    db = _connect(path)
    try:
        meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
    finally:
        db.close()
    norm = meta.get("normalizer") or {}
    return StoreInfo(str(path), meta.get("src"), meta.get("tgt"), Normalizer(**norm), meta)


def _grouped_entries(
    path: str | Path, rowids: tuple[int, int] | None = None,
) -> dict[str, tuple[Entry, ...]]:
    """Normalised source → its entries, best first, without duplicates (see
    :func:`~lexi.lexicon.senses.best_first`); only rowids ``first < rowid <= last`` with
    ``rowids = (first, last)``. Call it with the GC paused (_collector_paused)."""
    db = _connect(path)
    grouped: dict[str, tuple[Entry, ...]] = {}
    several: list[str] = []
    make_entry = new_entry  # a local name: read once per row in the loop below
    where = "" if rowids is None else " WHERE rowid > ? AND rowid <= ?"
    try:
        cursor = db.execute(
            f"SELECT source, target, pos, weight, provenance FROM entries{where} ORDER BY rowid",
            rowids or (),
        )
        while batch := cursor.fetchmany(BATCH):
            for source, target, pos, weight, provenance in batch:
                senses = grouped.get(source)
                if senses is None:
                    grouped[source] = (make_entry(source, target, pos, weight, provenance),)
                else:
                    if len(senses) == 1:
                        several.append(source)
                    # The first entry's source: one string object per phrase, not per row.
                    grouped[source] = senses + (
                        make_entry(senses[0].source, target, pos, weight, provenance),
                    )
        for source in several:
            grouped[source] = best_entries(grouped[source])
    finally:
        db.close()
    return grouped


@contextlib.contextmanager
def _collector_paused(info: StoreInfo, *, freeze_after_load: bool) -> Iterator[None]:
    """Python's cyclic GC paused while a store's entries are built, then restored.

    Building millions of small objects triggers the collector over and over although none
    of them can form a cycle; pausing it makes loading several times faster, and it is
    local: the collector is back as it was when the block ends.

    With ``freeze_after_load``, a large store's objects (``FREEZE_ROWS`` rows or more) are
    then frozen (``gc.freeze``): otherwise the collector walks every one of them once right
    after loading and again in each later full collection, although reference counting
    alone frees them. Freezing moves every object alive at that moment *in the whole
    process* out of the collector's sight (garbage already waiting is collected first), so
    it is for a process that loads a store once and then works (a ``lexi`` command), not a
    library default: in a notebook it would freeze the whole session's objects too.
    Reference counting still frees frozen objects; only cycles among them stay.
    """
    try:
        rows = int(info.meta.get("rows") or 0)
    except (TypeError, ValueError):  # not a count: a store lexi did not write
        rows = 0
    was_enabled = gc.isenabled()
    freeze = freeze_after_load and was_enabled and rows >= FREEZE_ROWS
    if freeze:
        gc.collect()
    gc.disable()
    try:
        yield
        if freeze:
            gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


def iter_store(path: str | Path, *, freeze_after_load: bool = False) -> Iterator[Entry]:
    """Every entry of a store, grouped by source, best sense first, without duplicates.

    ``freeze_after_load``: see :func:`read_store` (off by default).
    """
    with _collector_paused(store_info(path), freeze_after_load=freeze_after_load):
        grouped = _grouped_entries(path)
    for senses in grouped.values():
        yield from senses


def read_store(path: str | Path, *, freeze_after_load: bool = False) -> LexiconView:
    """Load a store into an in-memory :class:`LexiconView`.

    ``freeze_after_load=True`` hands a large store's entries (``FREEZE_ROWS`` rows or more)
    to ``gc.freeze()`` once loaded: the cyclic collector otherwise walks those millions of
    long-lived entries at each full collection, time taken from whatever the process does
    next (lookups, synthesis, training). It freezes every object of the process alive at
    that moment, which is why it is off by default; ``lexi`` commands that load a store
    once and then do heavy work turn it on. The collector is paused while loading either
    way, and restored afterwards.
    """
    info = store_info(path)
    with _collector_paused(info, freeze_after_load=freeze_after_load):
        return LexiconView._of_entries(
            _grouped_entries(path), info.normalizer, src_lang=info.src, tgt_lang=info.tgt
        )


def read_store_parts(
    path: str | Path, *, freeze_after_load: bool = False,
) -> list[tuple[str, LexiconView]]:
    """A store built from several inputs as one view per input, in the order they were
    merged: ``(input, view of the rows it gave)``. In priority mode a later input's view
    holds only the words earlier inputs lack (``store_info(path).meta["mode"]``). ``[]``
    for a store built from one input, or by a lexi that did not record its parts.
    ``freeze_after_load``: see :func:`read_store`."""
    info = store_info(path)
    parts = info.meta.get("parts")
    if not isinstance(parts, list) or len(parts) < 2:
        return []
    try:
        counts = [int(part["rows"]) for part in parts]
        names = [str(part["input"]) for part in parts]
    except (KeyError, TypeError, ValueError):
        counts, names = [], []
    if not counts or sum(counts) != info.meta.get("rows") or min(counts) < 0:
        raise LexiError("damaged lexicon: its parts (rows per input) do not add up to its "
                        f"{info.meta.get('rows')} rows", path=path,
                        hint="merge or import its inputs again")
    views: list[tuple[str, LexiconView]] = []
    first = 0
    with _collector_paused(info, freeze_after_load=freeze_after_load):
        for name, count in zip(names, counts, strict=True):
            grouped = _grouped_entries(path, (first, first + count))
            views.append((name, LexiconView._of_entries(
                grouped, info.normalizer, src_lang=info.src, tgt_lang=info.tgt)))
            first += count
    return views
