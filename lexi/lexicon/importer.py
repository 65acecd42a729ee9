"""Import, merge and load lexicons: adapters → normalised entries → a compiled store."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lexi.data.outputs import check_output
from lexi.errors import LexiError
from lexi.lexicon.adapters import ImportContext, LexiconAdapter, get_adapter
from lexi.lexicon.adapters.tsv import TsvAdapter
from lexi.lexicon.model import Entry, Normalizer, clean_target
from lexi.lexicon.store import LexiconWriter, is_store, iter_store, read_store, store_info
from lexi.lexicon.view import LexiconView

PROGRESS_EVERY = 20_000


@dataclass
class ImportReport:
    """What an import did: rows written (duplicates are merged when the store is read),
    lines skipped and why."""

    output: str
    adapter: str
    inputs: list[str]
    rows: int
    skipped: int
    skipped_examples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


RawRow = tuple  # (source, target, pos, weight, provenance)


def adapter_rows(
    reader: LexiconAdapter, path: Path | None, context: ImportContext
) -> Iterator[RawRow]:
    """An adapter's entries as tuples, through its ``read_rows`` fast path when it has one."""
    fast = getattr(reader, "read_rows", None)
    if fast is not None:
        return fast(path, context)
    return ((e.source, e.target, e.pos, e.weight, e.provenance) for e in reader.read(path, context))


def normalized_rows(
    rows: Iterable[RawRow], normalizer: Normalizer, context: ImportContext,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[RawRow]:
    """Rows with the source normalised and the target cleaned; empty ones are skipped."""
    count = 0
    for source, target, pos, weight, provenance in rows:
        norm_source, norm_target = normalizer(source), clean_target(target)
        if not norm_source or not norm_target:
            context.malformed(provenance or "?", None, f"{source}\t{target}",
                              "a non-empty source and target")
            continue
        count += 1
        if on_progress is not None and count % PROGRESS_EVERY == 0:
            on_progress(count)
        yield (norm_source, norm_target, pos, weight, provenance)
    if on_progress is not None:
        on_progress(count)


def import_lexicon(
    adapter: str,
    paths: Sequence[str | Path],
    output: str | Path,
    *,
    src: str = "en",
    tgt: str,
    strict: bool = False,
    options: Mapping[str, str] | None = None,
    fold_diacritics: bool = False,
    on_progress: Callable[[int], None] | None = None,
    overwrite: bool = False,
) -> ImportReport:
    """Read ``paths`` with ``adapter`` and compile them into the store ``output``.

    ``strict`` stops at the first malformed line (``LexiError`` with file:line and the
    text); otherwise such lines are skipped and counted in the report. ``output`` is
    written atomically: on any error it is left as it was. An existing ``output`` is
    replaced only with ``overwrite``, and never when it is one of ``paths``.
    """
    started = time.perf_counter()
    reader = get_adapter(adapter)
    known = dict(reader.options)
    unknown = [k for k in (options or {}) if k not in known]
    if unknown:
        raise LexiError(
            f"adapter {adapter!r} has no option {', '.join(map(repr, unknown))}",
            hint=f"its options: {', '.join(known) or 'none'}",
        )
    if reader.needs_path and not paths:
        raise LexiError(f"adapter {adapter!r} needs an input file")
    check_languages(src, tgt)
    check_output(output, paths, overwrite=overwrite)
    from lexi.resources.languages import code_as_written, language_code

    # Adapters read codes in their format's own scheme (as typed, a name read as a code);
    # the store records lexi's codes, whichever form was given (sw, swa, Swahili → sw).
    context = ImportContext(src=code_as_written(src), tgt=code_as_written(tgt), strict=strict,
                            options=dict(options or {}))
    normalizer = Normalizer(fold_diacritics=fold_diacritics)
    inputs = [Path(p) for p in paths] if reader.needs_path else [None]

    def everything() -> Iterator[RawRow]:
        for path in inputs:
            yield from adapter_rows(reader, path, context)

    meta = {"adapter": adapter, "inputs": [str(p) for p in paths], "options": dict(options or {})}
    with LexiconWriter(output, src=language_code(src), tgt=language_code(tgt),
                       normalizer=normalizer, meta=meta) as writer:
        writer.add_rows(normalized_rows(everything(), normalizer, context, on_progress))
        if writer.rows_added == 0:
            raise LexiError(
                f"no entries read for {src}→{tgt}", path=paths[0] if paths else None,
                hint="check --src/--tgt and the adapter's options",
            )
        writer.meta["skipped"] = context.skipped
    return ImportReport(
        output=str(output), adapter=adapter, inputs=[str(p) for p in paths],
        rows=writer.rows_added, skipped=context.skipped,
        skipped_examples=context.examples, seconds=time.perf_counter() - started,
    )


def check_languages(src: str, tgt: str) -> None:
    """Refuse a ``--src``/``--tgt`` that names no language: the store records them, and a
    typo (``--tgt sww``) would otherwise label a lexicon wrongly for good."""
    from lexi.resources.languages import resolve

    for option, code in (("--src", src), ("--tgt", tgt)):
        try:
            resolve(code)
        except LexiError as exc:
            raise LexiError(f"{option}: {exc.message}", hint=exc.hint) from None


def load_lexicon(path: str | Path, *, freeze_after_load: bool = False) -> LexiconView:
    """A :class:`LexiconView` of a compiled store, or of a two-column TSV read on the fly
    (``english<TAB>target``, malformed lines skipped). ``freeze_after_load``: a large
    store's entries go to ``gc.freeze()`` (see :func:`~lexi.lexicon.store.read_store`;
    process-wide, so off by default)."""
    if is_store(path):
        return read_store(path, freeze_after_load=freeze_after_load)
    view = _tsv_view(path)
    if not len(view):
        # An empty file, or one that is neither a store nor a TSV (a damaged .sqlite):
        # a lexicon that translates nothing would make every later step silently empty.
        raise LexiError("no lexicon entries in this file", path=path,
                        hint="a .sqlite store from `lexi lexicon import`, or a TSV of "
                        "english<TAB>target lines")
    return view


def _tsv_view(path: str | Path) -> LexiconView:
    """A two-column TSV read on the fly (malformed lines skipped), however many entries."""
    if not Path(path).is_file():
        raise LexiError("no such lexicon", path=path, hint="a .sqlite store or a two-column TSV")
    context = ImportContext(src="", tgt="")
    return LexiconView.from_entries(TsvAdapter().read(Path(path), context), Normalizer())


def lexicon_entries(path: str | Path) -> tuple[Iterator[Entry], Normalizer, str | None, str | None]:
    """Entries of a store or TSV with its normaliser and languages (for merging)."""
    if is_store(path):
        info = store_info(path)
        return iter_store(path), info.normalizer, info.src, info.tgt
    view = _tsv_view(path)
    entries = (e for phrase in view.phrases() for e in view.translations(phrase))
    return entries, view.normalizer, None, None


def merge_lexicons(
    paths: Sequence[str | Path], output: str | Path, *, fold_diacritics: bool | None = None,
    overwrite: bool = False,
) -> ImportReport:
    """Merge stores (or TSVs) into one; duplicate pairs keep their highest weight.

    Their languages must agree. Sources are normalised again with the output's normaliser
    (the first input's, unless ``fold_diacritics`` says otherwise). ``output`` is written
    atomically, replaces an existing file only with ``overwrite`` and never one of
    ``paths``; 0 entries in all is a ``LexiError``.
    """
    started = time.perf_counter()
    if not paths:
        raise LexiError("nothing to merge", hint="give two or more lexicons")
    check_output(output, paths, overwrite=overwrite)
    sources = [lexicon_entries(p) for p in paths]
    langs = {(s, t) for _, _, s, t in sources if s is not None}
    if len(langs) > 1:
        raise LexiError(
            f"lexicons are for different language pairs: {sorted(langs)}",
            hint="merge only lexicons with the same --src and --tgt",
        )
    src, tgt = next(iter(langs)) if langs else ("en", "?")
    first_norm = sources[0][1]
    normalizer = Normalizer(
        fold_case=first_norm.fold_case,
        fold_diacritics=first_norm.fold_diacritics if fold_diacritics is None else fold_diacritics,
    )
    context = ImportContext(src=src, tgt=tgt)
    meta = {"adapter": "merge", "inputs": [str(p) for p in paths]}
    with LexiconWriter(output, src=src, tgt=tgt, normalizer=normalizer, meta=meta) as writer:
        empty = []
        for path, (entries, *_) in zip(paths, sources, strict=True):
            before = writer.rows_added
            writer.add_rows(normalized_rows(
                ((e.source, e.target, e.pos, e.weight, e.provenance) for e in entries),
                normalizer, context,
            ))
            if writer.rows_added == before:
                empty.append(path)
        # Inside the block: on either error the old output stays.
        if writer.rows_added == 0:
            raise LexiError("no entries to merge: every input is empty", path=paths[0],
                            hint="nothing was written")
        if empty:
            raise LexiError("no lexicon entries in this file", path=empty[0],
                            hint="an empty or damaged input; nothing was written")
    return ImportReport(
        output=str(output), adapter="merge", inputs=[str(p) for p in paths],
        rows=writer.rows_added, skipped=context.skipped,
        skipped_examples=context.examples, seconds=time.perf_counter() - started,
    )
