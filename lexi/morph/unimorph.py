"""Read UniMorph tables and build the paradigm index (with a compiled cache).

A UniMorph file has one ``lemma<TAB>form<TAB>features`` row a line (UniMorph 2/3, the
layered features of UniMorph 4, and the CoNLL–SIGMORPHON task-1 files all share it);
blank lines and ``#`` comments are skipped. Large languages are split over ``fin.1``,
``fin.2``, ... next to each other, which :func:`table_files` collects.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lexi.data.massive import not_utf8
from lexi.errors import LexiError
from lexi.io import read_pickle_cache, write_pickle_cache
from lexi.morph.features import SortedBundle, format_features, parse_features, pos_of
from lexi.paths import cache_dir, unimorph_root

# Bump when the pickled layout of ParadigmIndex changes, so old caches are not trusted.
CACHE_VERSION = 1


@dataclass(frozen=True)
class Entry:
    """One table row: ``form`` is ``lemma`` inflected for ``features``."""

    lemma: str
    form: str
    features: frozenset[str]


def read_unimorph(path: str | Path) -> Iterator[Entry]:
    """Rows of one UniMorph / SIGMORPHON task-1 file, with bad lines reported by number."""
    for lemma, form, features in read_rows(path):
        yield Entry(lemma, form, features)


def read_rows(path: str | Path) -> Iterator[tuple[str, str, frozenset[str]]]:
    """Like :func:`read_unimorph`, as plain tuples (the index builder's fast path)."""
    path = Path(path)
    try:
        yield from _rows(path)
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None


def _rows(path: Path) -> Iterator[tuple[str, str, frozenset[str]]]:
    # One parse per distinct bundle: a table has ~100s of bundles and up to millions of rows.
    parsed: dict[str, frozenset[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.rstrip("\n\r")
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            columns = text.split("\t")
            if len(columns) < 3:
                raise LexiError(
                    f"expected lemma<TAB>form<TAB>features, found {len(columns)} column(s)",
                    path=path, line=number,
                )
            lemma, form, bundle = columns[0].strip(), columns[1].strip(), columns[2].strip()
            if not lemma or not form:
                raise LexiError("empty lemma or form", path=path, line=number)
            features = parsed.get(bundle)
            if features is None:
                features = parsed[bundle] = parse_features(bundle, path=path, line=number)
            yield lemma, form, features


def table_files(base: str | Path) -> list[Path]:
    """``base`` itself and its numbered parts (``base.1``, ``base.2``, ...), those that exist.

    ``base`` may also be a folder in the unimorph package's layout (``~/.unimorph/fin``),
    in which case the files named after the folder are used.
    """
    base = Path(base).expanduser()
    if base.is_dir():
        base = base / base.name
    parts = sorted(
        (p for p in base.parent.glob(f"{base.name}.*") if p.suffix[1:].isdigit()),
        key=lambda p: int(p.suffix[1:]),
    ) if base.parent.is_dir() else []
    return ([base] if base.is_file() else []) + parts


def default_table(lang: str) -> Path:
    """Where the unimorph package keeps ``lang``'s table: ``$UNIMORPH/<iso>/<iso>``."""
    return unimorph_root() / lang / lang


def fetch_hint(lang: str) -> str:
    return (
        f"fetch it with `git clone https://github.com/unimorph/{lang} {unimorph_root() / lang}` "
        f"(or set $UNIMORPH), pass --table FILE, or train a model with `lexi morph learn`"
    )


@dataclass
class ParadigmIndex:
    """lemma → {features → forms} and form → [(lemma, features)] for one language."""

    paradigms: dict[str, dict[frozenset[str], list[str]]] = field(default_factory=dict)
    analyses: dict[str, list[tuple[str, frozenset[str]]]] = field(default_factory=dict)
    rows: int = 0

    @classmethod
    def from_entries(cls, entries: Iterable[Entry]) -> ParadigmIndex:
        index = cls()
        for entry in entries:
            index.add(entry)
        return index

    def add(self, entry: Entry) -> None:
        self.add_row(entry.lemma, entry.form, entry.features)

    def add_row(self, lemma: str, form: str, features: frozenset[str]) -> None:
        forms = self.paradigms.setdefault(lemma, {}).setdefault(features, [])
        if form not in forms:
            forms.append(form)
            self.analyses.setdefault(form, []).append((lemma, features))
        self.rows += 1

    def entries(self) -> Iterator[Entry]:
        for lemma, table in self.paradigms.items():
            for features, forms in table.items():
                for form in forms:
                    yield Entry(lemma, form, features)

    def bundles(self) -> set[frozenset[str]]:
        """Every feature bundle the table uses."""
        return {features for table in self.paradigms.values() for features in table}

    def __getstate__(self) -> dict[str, object]:
        """What the cache pickles: the same dicts, in the same order, with every bundle a
        :class:`~lexi.morph.features.SortedBundle`, so the same table gives the same cache
        bytes under any PYTHONHASHSEED (a plain frozenset pickles its tags in hash order).
        It unpickles as plain frozensets, straight into ``__dict__``: a cache hit pays
        nothing for this."""
        # One SortedBundle per distinct bundle (the pickle shares it, as the index does);
        # this dict is only looked up, so the set order it is built in does not matter.
        stable = {features: SortedBundle(features) for features in self.bundles()}
        return {
            "paradigms": {
                lemma: {stable[features]: forms for features, forms in table.items()}
                for lemma, table in self.paradigms.items()
            },
            "analyses": {
                form: [(lemma, stable[features]) for lemma, features in found]
                for form, found in self.analyses.items()
            },
            "rows": self.rows,
        }


def cache_key(files: list[Path]) -> str:
    digest = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}".encode())
    return digest.hexdigest()[:24]


def load_index(files: list[Path], *, use_cache: bool = True) -> ParadigmIndex:
    """The paradigm index of ``files``, from the compiled cache when the files are unchanged.

    The cache (``$LEXI_HOME/morph/<key>.pkl``) is keyed by each file's path, mtime and size,
    so editing a table rebuilds it; it is written atomically and a damaged one is rebuilt.
    """
    if not files:
        raise LexiError("no UniMorph table files given")
    cache = cache_dir("morph") / f"{cache_key(files)}.pkl" if use_cache else None
    with _gc_paused():
        index = read_pickle_cache(cache, ParadigmIndex)
        if index is None:
            index = ParadigmIndex()
            for path in files:
                for lemma, form, features in read_rows(path):
                    index.add_row(lemma, form, features)
            if cache is not None and index.rows:
                write_pickle_cache(cache, index)
    if not index.rows:
        # An empty table inflects nothing: every later step would silently do nothing.
        raise LexiError("the UniMorph table has no rows", path=files[0],
                        hint="a table is lemma<TAB>form<TAB>features lines")
    return index


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small containers are built:
    they hold no cycles, and each collection pass would rescan all of them (≈2x slower)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class TableStats:
    """What a UniMorph table holds."""

    files: tuple[str, ...]
    rows: int
    lemmas: int
    forms: int
    bundles: int
    pos: dict[str, int]
    top_bundles: list[tuple[str, int]]

    def as_dict(self) -> dict:
        return {
            "files": list(self.files), "rows": self.rows, "lemmas": self.lemmas,
            "forms": self.forms, "bundles": self.bundles, "pos": self.pos,
            "top_bundles": [{"features": f, "rows": n} for f, n in self.top_bundles],
        }


def table_stats(index: ParadigmIndex, files: list[Path], top: int = 10) -> TableStats:
    """Counts of rows, lemmas, forms, bundles and parts of speech in ``index``."""
    by_bundle: Counter = Counter()
    for table in index.paradigms.values():
        for features, forms in table.items():
            by_bundle[features] += len(forms)
    bundle_rows: Counter = Counter()
    pos_rows: Counter = Counter()
    for features, count in by_bundle.items():
        bundle_rows[format_features(features)] += count
        pos_rows[pos_of(features) or "?"] += count
    return TableStats(
        files=tuple(str(f) for f in files), rows=index.rows, lemmas=len(index.paradigms),
        forms=len(index.analyses), bundles=len(bundle_rows), pos=dict(pos_rows.most_common()),
        top_bundles=bundle_rows.most_common(top),
    )
