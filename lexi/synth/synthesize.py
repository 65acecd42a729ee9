"""One call from an English file to a synthetic target-language file: what ``lexi synth``
runs (and ``lexi.synthesize`` in a notebook)."""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterator

from lexi.data.outputs import check_output
from lexi.synth.config import SynthConfig, function_word_list, inflect_pos_list
from lexi.synth.numbers import NUMBERS_DEFAULT
from lexi.synth.parallel import resolve_workers
from lexi.synth.pipeline import SynthSummary, build_synthesizer, synthesize_file

# Allocations (less deallocations) between two young-generation collections while rows
# stream, against CPython's 700: see _young_collections_rarer.
STREAM_GC_THRESHOLD = 10_000


def synthesize(
    source: str,
    output: str,
    lexicons: list[str],
    ops: str = "translate",
    *,
    split: str | None = None,
    format: str = "auto",
    locale: str | None = None,
    per_utterance: int = 1,
    seed: int = 0,
    sense: str = "weight",
    sense_text: str | None = None,
    sense_text_split: str | None = None,
    unknown: str = "keep",
    function_words: str | None = None,
    numbers: str = NUMBERS_DEFAULT,
    slot_mode: str = "translate",
    slot_lexicon: str | None = None,
    token_ratio: float = 0.5,
    sentence_ratio: float = 1.0,
    morph: str | None = None,
    unimorph: str | None = None,
    morph_model: str | None = None,
    inflect_from: str = "table+learned",
    inflect_pos: str | None = None,
    word_order: str = "source",
    phonetic_lang: str | None = None,
    phonetic_style: str = "ipa",
    keep_source: bool = False,
    summary_json: str | None = None,
    progress: bool = False,
    overwrite: bool = False,
    report: bool = False,
    freeze_after_load: bool = False,
    workers: int = 1,
) -> SynthSummary:
    """Synthesise ``output`` from ``source`` (what ``lexi synth`` runs; the parameters are
    its options). ``lexicons`` are stores or TSVs; ``ops`` is comma-separated; languages
    (``locale``, ``morph``) may be given in any form (sw, swa, Swahili). Returns the
    :class:`~lexi.synth.pipeline.SynthSummary`. ``freeze_after_load`` hands large stores'
    entries to ``gc.freeze()`` (process-wide: ``lexi synth`` turns it on, a notebook
    should not; see :func:`~lexi.lexicon.store.read_store`). ``workers``: processes that
    synthesise (1: this one; 0: one per available core), with the same output as 1.
    ``inflect_from`` / ``inflect_pos`` (comma separated; ``None``: all) narrow ``inflect``
    (:class:`~lexi.synth.config.SynthConfig`). ``sense_text``: unlabelled target-language
    text whose counts reweigh each word's translations (``sense_text_split``: only that
    split of a dataset file; :mod:`lexi.synth.sense_prior`). ``word_order``: noun-phrase
    order (``source``, ``auto`` or classes such as ``adj,poss``; :mod:`lexi.synth.word_order`)."""
    # Checked before the lexicons and paradigms load (which can take a while): no output
    # may replace an input, nor an existing file without ``overwrite``.
    inputs = [source, *lexicons, slot_lexicon, unimorph, morph_model, sense_text]
    check_output(output, inputs, overwrite=overwrite)
    resolve_workers(workers)  # a bad count is refused before anything loads
    if locale is not None:
        from lexi.resources.languages import check_language

        check_language(locale)  # every row records it: a typo would stay in the data
    if summary_json is not None:
        check_output(summary_json, [*inputs, output], overwrite=overwrite)
    words = function_word_list(function_words, unknown)
    # Languages in any form (sw, swa, Swahili): the row locale, the table's UniMorph code.
    from lexi.resources.languages import locale_code, unimorph_code

    locale = locale_code(locale) if locale else locale
    morph = unimorph_code(morph) if morph else morph
    config = SynthConfig(
        ops=tuple(op.strip() for op in ops.split(",") if op.strip()),
        per_utterance=per_utterance, seed=seed, locale=locale, sense=sense, unknown=unknown,
        function_words=words, numbers=numbers, slot_mode=slot_mode, token_ratio=token_ratio,
        sentence_ratio=sentence_ratio, phonetic_style=phonetic_style, keep_source=keep_source,
        inflect_from=inflect_from, inflect_pos=inflect_pos_list(inflect_pos),
        word_order=word_order,
    )
    # A factory as well as the synthesizer: where workers are not forked (Windows,
    # macOS), each builds its own from it.
    factory = functools.partial(
        build_synthesizer, config, lexicons, slot_lexicon=slot_lexicon, morph=morph,
        unimorph=unimorph, morph_model=morph_model, phonetic_lang=phonetic_lang,
        freeze_after_load=freeze_after_load, sense_text=sense_text,
        sense_text_split=sense_text_split,
    )
    synthesizer = factory()
    with _young_collections_rarer():
        return synthesize_file(
            source, output, synthesizer, split=split, format=format,
            summary_json=summary_json, progress=progress, overwrite=overwrite,
            report=report, workers=workers, factory=factory,
        )


@contextlib.contextmanager
def _young_collections_rarer() -> Iterator[None]:
    """The collector's young generation collected every ``STREAM_GC_THRESHOLD``
    allocations instead of every 700 while the block runs; its thresholds are restored
    after (this is also ``lexi.synthesize`` in a notebook).

    Streaming rows makes many short-lived containers (rows, tokens, spans) that reference
    counting frees, and a synthesizer's memos that grow: with the default threshold the
    collector ran 237 times over MASSIVE en-US train (translate, WECHSEL en-sw), taking
    about 7 % of the run's CPU time; at 10,000, 17 times and about 4 %, the output the
    same bytes (docs/performance.md, "Collector thresholds while streaming").
    ``gc.freeze()`` of the built synthesizer was measured too and left out: nothing
    beyond this, and it is process-wide.
    """
    thresholds = gc.get_threshold()
    if thresholds[0]:  # 0: the caller turned automatic collection off; leave it so
        gc.set_threshold(max(thresholds[0], STREAM_GC_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
