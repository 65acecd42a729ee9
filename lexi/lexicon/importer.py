"""Import, merge and load lexicons: adapters → normalised entries → a compiled store.

Several inputs (files of one import, or the lexicons of a merge) combine in one of two
modes: ``union`` keeps every input's translations (a pair found twice keeps its highest
weight, when the store is read), ``priority`` takes a source word's translations from the
first input that has the word, so a later input only adds words the earlier ones lack and
never changes the senses of a word they cover. A store built from several inputs records
the mode and, per input in order, the rows it gave (meta ``parts``): rows are written
input by input, so those counts say which rows came from which input (see
:func:`~lexi.lexicon.store.read_store_parts`).
"""

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
UNION, PRIORITY = "union", "priority"
MERGE_MODES = (UNION, PRIORITY)


@dataclass
class InputPart:
    """What one input gave a store built from several: ``rows`` written, and ``dropped``
    (priority mode) rows left out because an earlier input has their source word."""

    input: str
    rows: int = 0
    dropped: int = 0
    weight: float = 1.0


@dataclass
class ImportReport:
    """What an import did: rows written (duplicates are merged when the store is read),
    lines skipped and why; with several inputs, the ``mode`` they were combined in and
    what each gave (``parts``, in order)."""

    output: str
    adapter: str
    inputs: list[str]
    rows: int
    skipped: int
    skipped_examples: list[str] = field(default_factory=list)
    seconds: float = 0.0
    mode: str | None = None
    parts: list[InputPart] = field(default_factory=list)

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


def input_weights(text: str | None) -> list[float] | None:
    """``--weights 1,0.5``: one multiplier per input, in order (None when not given)."""
    if text is None or not text.strip():
        return None
    try:
        return [float(part) for part in text.replace(" ", ",").split(",") if part]
    except ValueError:
        raise LexiError(f"--weights {text!r}: expected numbers separated by commas, "
                        "e.g. 1,0.5") from None


def _checked_merge(mode: str, weights: Sequence[float] | None, count: int) -> list[float]:
    """``mode`` checked, and one weight multiplier per input (1 when none are given)."""
    if mode not in MERGE_MODES:
        raise LexiError(f"unknown merge mode {mode!r}", hint=f"one of {', '.join(MERGE_MODES)}")
    if weights is None:
        return [1.0] * count
    if mode == PRIORITY:
        # A word's senses all come from one input, so scaling an input changes no order.
        raise LexiError("--weights changes nothing in priority mode (a word's translations "
                        "all come from one input)", hint="use --mode union to weigh inputs")
    if len(weights) != count:
        raise LexiError(f"--weights gives {len(weights)} numbers for {count} inputs",
                        hint="one weight per input, in the same order")
    if any(not 0 < w < float("inf") for w in weights):
        raise LexiError(f"--weights {','.join(f'{w:g}' for w in weights)}: every weight "
                        "must be a positive number")
    return list(weights)


def _kept(rows: Iterable[RawRow], earlier: set[str], mine: set[str] | None, part: InputPart,
          weight: float) -> Iterator[RawRow]:
    """One input's rows less those whose source an earlier input has (``earlier``), their
    weights scaled; the sources kept are added to ``mine`` (priority mode)."""
    for row in rows:
        if row[0] in earlier:
            part.dropped += 1
            continue
        if mine is not None:
            mine.add(row[0])
        yield row if weight == 1.0 else (row[0], row[1], row[2], row[3] * weight, row[4])


def write_inputs(
    writer: LexiconWriter, inputs: Iterable[tuple[str, Iterable[RawRow]]],
    normalizer: Normalizer, context: ImportContext, *, mode: str = UNION,
    weights: Sequence[float] | None = None, on_progress: Callable[[int], None] | None = None,
) -> list[InputPart]:
    """Write each input's rows, normalised, input after input (``inputs`` is read lazily,
    one at a time); returns what each gave. ``mode`` and ``weights`` were checked
    (:func:`_checked_merge`); ``on_progress`` gets the running count of rows read."""
    parts: list[InputPart] = []
    earlier: set[str] = set()
    for index, (name, rows) in enumerate(inputs):
        weight = weights[index] if weights is not None else 1.0
        part = InputPart(name, weight=weight)
        before, read = writer.rows_added, sum(p.rows + p.dropped for p in parts)
        report = None if on_progress is None else (lambda n, base=read: on_progress(base + n))
        clean = normalized_rows(rows, normalizer, context, report)
        mine: set[str] | None = set() if mode == PRIORITY else None
        if mine is not None or weight != 1.0:  # else the plain pipeline: imports stay fast
            clean = _kept(clean, earlier, mine, part, weight)
        writer.add_rows(clean)
        part.rows = writer.rows_added - before
        earlier |= mine or set()
        parts.append(part)
    if len(parts) > 1:  # how the store was built: read_store_parts and coverage use it
        writer.meta["mode"] = mode
        writer.meta["parts"] = [asdict(part) for part in parts]
    return parts


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
    merge: str = UNION,
) -> ImportReport:
    """Read ``paths`` with ``adapter`` and compile them into the store ``output``.

    Several ``paths`` combine as ``merge`` says: ``union`` (every file's translations) or
    ``priority`` (a word's translations from the first file that has it; see the module's
    docstring). ``strict`` stops at the first malformed line (``LexiError`` with file:line
    and the text); otherwise such lines are skipped and counted in the report. ``output``
    is written atomically: on any error it is left as it was. An existing ``output`` is
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
    _checked_merge(merge, None, len(paths))
    check_languages(src, tgt)
    check_output(output, paths, overwrite=overwrite)
    from lexi.resources.languages import code_as_written, language_code

    # Adapters read codes in their format's own scheme (as typed, a name read as a code);
    # the store records lexi's codes, whichever form was given (sw, swa, Swahili → sw).
    context = ImportContext(src=code_as_written(src), tgt=code_as_written(tgt), strict=strict,
                            options=dict(options or {}))
    normalizer = Normalizer(fold_diacritics=fold_diacritics)
    inputs = [Path(p) for p in paths] if reader.needs_path else [None]
    meta = {"adapter": adapter, "inputs": [str(p) for p in paths], "options": dict(options or {})}
    with LexiconWriter(output, src=language_code(src), tgt=language_code(tgt),
                       normalizer=normalizer, meta=meta) as writer:
        parts = write_inputs(
            writer, ((str(path or adapter), adapter_rows(reader, path, context))
                     for path in inputs),
            normalizer, context, mode=merge, on_progress=on_progress,
        )
        if writer.rows_added == 0:
            raise LexiError(
                f"no entries read for {src}→{tgt}", path=paths[0] if paths else None,
                hint="check --src/--tgt and the adapter's options",
            )
        writer.meta["skipped"] = context.skipped
    several = len(parts) > 1
    return ImportReport(
        output=str(output), adapter=adapter, inputs=[str(p) for p in paths],
        rows=writer.rows_added, skipped=context.skipped,
        skipped_examples=context.examples, seconds=time.perf_counter() - started,
        mode=merge if several else None, parts=parts if several else [],
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


def reversed_view(paths: Sequence[str | Path], *, hint: str | None = None) -> LexiconView:
    """One in-memory view of ``paths`` (stores or TSVs) read from target to source: each
    target word or phrase translates back to its sources, with their weights. Several
    inputs: the first that has a target word gives its translations (``merge --merge
    priority`` in the other direction); later ones only add target words the earlier lack."""
    reversed_entries: list[Entry] = []
    normalizer: Normalizer | None = None
    earlier: set[str] = set()
    for path in paths:
        if not Path(path).is_file():
            raise LexiError("no such lexicon", path=path, hint=hint)
        entries, own_normalizer, _, _ = lexicon_entries(path)
        normalizer = normalizer or own_normalizer
        # Rows as a merge reads them, target first (normalised: the key first-wins compares),
        # through the same first-wins filter as ``merge --merge priority``.
        rows = ((normalizer(entry.target), entry.source, entry.pos, entry.weight,
                 entry.provenance) for entry in entries)
        mine: set[str] = set()
        reversed_entries += [Entry(*row) for row in _kept(rows, earlier, mine,
                                                          InputPart(str(path)), 1.0)]
        earlier |= mine
    return LexiconView.from_entries(reversed_entries, normalizer)


def merge_lexicons(
    paths: Sequence[str | Path], output: str | Path, *, mode: str = UNION,
    weights: Sequence[float] | None = None, fold_diacritics: bool | None = None,
    overwrite: bool = False,
) -> ImportReport:
    """Merge stores (or TSVs) into one, in the order given.

    ``mode``: ``union`` keeps every input's translations, a pair found twice keeping its
    highest weight; each input's weights are first multiplied by its ``weights`` entry
    (one positive number per input; union only). ``priority`` takes a source word's
    translations from the first input that has the word: later inputs only add words.
    Their languages must agree. Sources are normalised again with the output's normaliser
    (the first input's, unless ``fold_diacritics`` says otherwise). ``output`` is written
    atomically, replaces an existing file only with ``overwrite`` and never one of
    ``paths``; an empty input is a ``LexiError``.
    """
    started = time.perf_counter()
    if not paths:
        raise LexiError("nothing to merge", hint="give two or more lexicons")
    scale = _checked_merge(mode, weights, len(paths))
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
        parts = write_inputs(
            writer, ((str(path), ((e.source, e.target, e.pos, e.weight, e.provenance)
                                  for e in entries))
                     for path, (entries, *_) in zip(paths, sources, strict=True)),
            normalizer, context, mode=mode, weights=scale,
        )
        # Inside the block: on either error the old output stays. (An input whose every
        # word an earlier one has writes nothing in priority mode, and is not empty.)
        empty = [part.input for part in parts if part.rows + part.dropped == 0]
        if writer.rows_added == 0 and len(empty) == len(parts):
            raise LexiError("no entries to merge: every input is empty", path=paths[0],
                            hint="nothing was written")
        if empty:
            raise LexiError("no lexicon entries in this file", path=empty[0],
                            hint="an empty or damaged input; nothing was written")
    return ImportReport(
        output=str(output), adapter="merge", inputs=[str(p) for p in paths],
        rows=writer.rows_added, skipped=context.skipped,
        skipped_examples=context.examples, seconds=time.perf_counter() - started,
        mode=mode, parts=parts,
    )
