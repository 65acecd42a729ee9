"""A synthesis run from file to file: load the resources, stream rows through a
:class:`~lexi.synth.operators.Synthesizer` (in this process, or in worker processes:
:mod:`lexi.synth.parallel`), write MASSIVE jsonl, and add up a summary
(:class:`~lexi.synth.summary.SynthSummary`)."""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from lexi.data.outputs import check_output, nothing_selected
from lexi.data.readers import read_dataset
from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.io import atomic_write
from lexi.synth.config import SynthConfig
from lexi.synth.matcher import LexiconLike
from lexi.synth.operators import Synthesizer
from lexi.synth.parallel import (
    SynthFactory,
    WorkerPool,
    resolve_workers,
    source_jobs,
    start_method,
)
from lexi.synth.summary import SynthSummary, synthesize_stream, synthesize_to

log = logging.getLogger(__name__)

__all__ = ["SynthSummary", "build_synthesizer", "synthesize_file", "synthesize_stream"]


def build_synthesizer(
    config: SynthConfig,
    lexicons: Sequence[str | Path | LexiconLike],
    *,
    slot_lexicon: str | Path | None = None,
    morph: str | None = None,
    unimorph: str | Path | None = None,
    morph_model: str | Path | None = None,
    phonetic_lang: str | None = None,
    lemma_fallback: bool = True,
    freeze_after_load: bool = False,
    sense_text: str | Path | None = None,
    sense_text_split: str | None = None,
) -> Synthesizer:
    """A :class:`Synthesizer` over lexicon files (SQLite store or TSV; or lexicons
    already loaded, as ``lexi lexicon coverage`` passes them) and, when asked for, a
    morphology (``morph`` = target language code, ``unimorph`` = its paradigm table) and
    an epitran transcriber (``phonetic_lang``, default: the config's locale).
    ``freeze_after_load``: large stores' entries go to ``gc.freeze()`` once loaded (see
    :func:`~lexi.lexicon.store.read_store`); process-wide, so only for a process that
    builds one synthesizer and then works with it (``lexi synth``, ``lexi train --synth``).
    ``sense_text``: unlabelled target-language text (one utterance a line, or a dataset
    file whose labels are ignored; ``sense_text_split``: only that split of it) whose
    counts reweigh each word's translations (:mod:`lexi.synth.sense_prior`).
    """
    # Imported here so that the operators stay usable with any lexicon-like object.
    from lexi.lexicon import load_lexicon

    views = [load_lexicon(lexicon, freeze_after_load=freeze_after_load)
             if isinstance(lexicon, (str, Path)) else lexicon for lexicon in lexicons]
    names = [Path(lexicon).name if isinstance(lexicon, (str, Path)) else f"lexicon{index}"
             for index, lexicon in enumerate(lexicons)]
    slot_view = (None if slot_lexicon is None
                 else load_lexicon(slot_lexicon, freeze_after_load=freeze_after_load))
    analyze = lemmatize = None
    if lemma_fallback or config.inflect or config.word_order != "source":
        from lexi.morph.english import LemminflectMemo, analyze_english, lemma_candidates

        # One lemminflect memo for this synthesizer (not the module: no state shared
        # between synthesizers), read by both: the same words come back in every sentence.
        lemminflect = LemminflectMemo()
        analyze = functools.partial(analyze_english, lemminflect=lemminflect)
        lemmatize = functools.partial(lemma_candidates, lemminflect=lemminflect)
    morphology = None
    if config.inflect:
        if not morph:
            raise LexiError("operator 'inflect' needs the target language", hint="pass --morph swc")
        from lexi.morph import load_morphology

        morphology = load_morphology(
            morph,
            table=None if unimorph is None else Path(unimorph),
            model=None if morph_model is None else Path(morph_model),
        )
    transcribe = None
    if "phonetic" in config.generators:
        lang = phonetic_lang or config.locale
        if not lang:
            raise LexiError("operator 'phonetic' needs a language", hint="pass --phonetic-lang sw")
        from lexi.synth.phonetic import EpitranTranscriber

        transcribe = EpitranTranscriber(lang, config.phonetic_style)
    sense_prior = None
    if sense_text is not None:
        if str(sense_text) != "-" and not Path(sense_text).is_file():
            raise LexiError(f"no such --sense-text file: {sense_text}",
                            hint="unlabelled target-language text, one utterance a line, "
                            "or a dataset file")
        from lexi.data.pool import read_pool
        from lexi.synth.sense_prior import SensePrior

        sense_prior = SensePrior.from_texts(
            (row.text for row in read_pool(str(sense_text), split=sense_text_split)),
            source=Path(sense_text).name + (f" ({sense_text_split})" if sense_text_split else ""))
        log.info("sense text %s: %d utterances, %d words weigh the translations", sense_text,
                 len(sense_prior.sentences), sense_prior.words)
    elif sense_text_split is not None:
        raise LexiError("--sense-text-split needs --sense-text")
    return Synthesizer(
        config, views, slot_lexicon=slot_view, analyze=analyze, morphology=morphology,
        transcribe=transcribe, lexicon_names=names,
        lemmatize=lemmatize, sense_prior=sense_prior,
    )


def synthesize_file(
    source: str | Path,
    output: str | Path,
    synthesizer: Synthesizer,
    *,
    split: str | None = None,
    format: str = "auto",
    summary_json: str | Path | None = None,
    progress: bool = False,
    overwrite: bool = False,
    report: bool = False,
    workers: int = 1,
    factory: SynthFactory | None = None,
    chunk_rows: int | None = None,
) -> SynthSummary:
    """Read ``source`` (``-``: stdin), write synthetic MASSIVE jsonl to ``output``
    (``-``: stdout; a file appears only when complete) and return the summary.

    ``output`` and ``summary_json`` replace existing files only with ``overwrite``, and
    never ``source``; 0 source rows selected, or 0 rows written, is a ``LexiError`` that
    leaves them as they were. ``report``: the summary JSON carries the report too.

    ``workers`` > 1 synthesises contiguous chunks of ``chunk_rows`` source lines
    (default :data:`~lexi.synth.parallel.CHUNK_ROWS`) in that many processes (0: one per
    available core); the output and the summary are the same bytes as with 1. Where
    processes cannot be forked (Windows, macOS) each worker calls ``factory`` for its
    synthesizer; without one the run stays in this process.
    """
    check_output(output, [source], overwrite=overwrite)
    if summary_json is not None:
        check_output(summary_json, [source, output], overwrite=overwrite)
    workers = resolve_workers(workers)
    if workers > 1 and factory is None and start_method() != "fork":
        log.warning("--workers %d: no synthesizer factory to start workers with on %s; "
                    "synthesising in this process", workers, start_method())
        workers = 1
    summary = SynthSummary(numbers_mode=synthesizer.config.numbers,
                           word_order=synthesizer.config.word_order)
    if workers > 1:
        jobs = source_jobs(source, format=format, split=split, size=chunk_rows)
        with WorkerPool(synthesizer, workers, factory) as pool:
            with atomic_write(output) as out, _progress(progress) as advance:
                for part in pool.results(jobs):
                    out.write(part.text)
                    part.check()  # a worker's error, after the rows before it
                    summary.merge(part.summary)
                    advance(part.summary.source_rows)
                # Inside the block: the old output stays.
                if summary.source_rows == 0:
                    raise nothing_selected(source, split, format=format)
                if summary.rows_written == 0:
                    raise _nothing_written(source, summary)
    else:
        rows: Iterator[Utterance] = read_dataset(source, format=format, split=split)
        first = next(rows, None)  # read before the output is opened: 0 rows writes nothing
        if first is None:
            raise nothing_selected(source, split, format=format)
        rows = itertools.chain([first], rows)
        with atomic_write(output) as out, _progress(progress) as advance:
            if progress:
                rows = _counted(rows, advance)
            synthesize_to(rows, synthesizer, summary, out)
            if summary.rows_written == 0:  # inside the block: the old output stays
                raise _nothing_written(source, summary)
    if summary_json is not None:
        with atomic_write(summary_json) as handle:
            json.dump(summary.as_dict(report=report), handle, ensure_ascii=False, indent=2)
            handle.write("\n")
    return summary


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int], None]]:
    """While the block runs, a spinner on stderr counting source rows; the block gets
    ``advance(n)``, which adds ``n`` (a no-op when not ``enabled``)."""
    if not enabled:
        yield lambda count: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(), TextColumn("synthesising {task.completed} source rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("synth", total=None)
        yield lambda count: bar.advance(task, count)


def _counted(rows: Iterable[Utterance], advance: Callable[[int], None]) -> Iterator[Utterance]:
    for utt in rows:
        yield utt
        advance(1)


def _nothing_written(source: str | Path, summary: SynthSummary) -> LexiError:
    """Every source row was read but none gave a row: an empty file is no success."""
    why = ", ".join(f"{k}: {v}" for k, v in summary.skipped.most_common()) or "none made"
    return LexiError(
        f"0 rows written from {summary.source_rows} source rows (rows not written: {why})",
        path=source, hint="check the lexicon and --ops; nothing was written",
    )
