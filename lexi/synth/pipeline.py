"""A synthesis run from file to file: load the resources, stream rows through a
:class:`~lexi.synth.operators.Synthesizer`, write MASSIVE jsonl, and add up a summary."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lexi.data.massive import write_massive
from lexi.data.outputs import check_output, nothing_selected
from lexi.data.readers import read_dataset
from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.io import atomic_write
from lexi.synth.config import SynthConfig
from lexi.synth.operators import Synthesizer, SynthResult

# The per-row share of words translated is reported in bins of 10%: 0-10% … 90-100%.
SHARE_BINS = 10


@dataclass
class SynthSummary:
    """What a run wrote: row counts per operator and label, the share of source words that
    were replaced in synthetic rows (``words`` counts a source row's words once per
    synthetic row made from it), words with no translation in the first lexicon (counted
    once per source row they occur in), rows not written and why, and how inflected forms
    were found (``table``, ``learned``, ``lemma``; one per inflection asked for).

    For ``lexi synth --report``, over the synthetic rows written: the share of each row's
    words that were translated (``share_bins`` counts rows per 10% bin, ``share_sum`` adds
    the shares), synthetic rows, source words and translated words per label
    (``label_rows``, ``label_words``, ``label_replaced``), how numbers were written
    (``numbers``: ``cldr_numbers``, ``cldr_names``, ``cldr_periods``, ``lexicon_numbers``)
    and the words inflection changed, by where the form came from (``inflected``).
    ``numbers_mode`` is the synthesizer's resolved ``--numbers``."""

    source_rows: int = 0
    rows_written: int = 0
    synthetic_rows: int = 0
    words: int = 0
    replaced_words: int = 0
    by_op: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    untranslated: Counter = field(default_factory=Counter)
    untranslated_tokens: int = 0
    skipped: Counter = field(default_factory=Counter)
    inflections: Counter = field(default_factory=Counter)
    share_bins: list[int] = field(default_factory=lambda: [0] * SHARE_BINS)
    share_sum: float = 0.0
    label_rows: Counter = field(default_factory=Counter)
    label_words: Counter = field(default_factory=Counter)
    label_replaced: Counter = field(default_factory=Counter)
    numbers: Counter = field(default_factory=Counter)
    inflected: Counter = field(default_factory=Counter)
    numbers_mode: str | None = None

    @property
    def replaced_share(self) -> float:
        """Replaced source words / source words, over the synthetic rows."""
        return self.replaced_words / self.words if self.words else 0.0

    @property
    def mean_row_share(self) -> float:
        """The mean over synthetic rows of the share of the row's words translated."""
        return self.share_sum / self.synthetic_rows if self.synthetic_rows else 0.0

    def label_coverage(self) -> list[tuple[Any, int, float]]:
        """(label, synthetic rows, share of its source words translated), lowest first."""
        found = [
            (label, self.label_rows[label], self.label_replaced[label] / words if words else 0.0)
            for label, words in self.label_words.items()
        ]
        return sorted(found, key=lambda item: (item[2], str(item[0])))

    def add(self, result: SynthResult) -> None:
        self.source_rows += 1
        self.untranslated.update(result.untranslated)
        self.untranslated_tokens += len(result.untranslated)
        self.skipped.update(result.skipped)
        self.inflections.update(result.inflections)
        replaced = sum(result.replaced)
        self.replaced_words += replaced
        made = len(result.replaced)
        self.words += result.words * made
        if made:
            words, label = result.words, result.source.label
            self.label_rows[label] += made
            self.label_words[label] += words * made
            self.label_replaced[label] += replaced
            if words:
                bins = self.share_bins
                for count in result.replaced:
                    # Integer arithmetic: a row of exactly 30% lands in the 30-40% bin.
                    share = count * SHARE_BINS // words
                    bins[share if share < SHARE_BINS else SHARE_BINS - 1] += 1
                self.share_sum += replaced / words
            if result.numbers:
                self.numbers.update(result.numbers)
            if result.inflected:
                self.inflected.update(result.inflected)
        for row in result.rows:
            self.rows_written += 1
            provenance = row.metadata.get("lexi") if row is not result.source else None
            self.by_op[provenance["op"] if provenance else "source"] += 1
            self.labels[row.label] += 1
        self.synthetic_rows += len(result.replaced)

    def report(self, top: int = 20) -> dict[str, Any]:
        """The ``--report`` part of the summary (see the class docstring)."""
        width = 100 // SHARE_BINS
        return {
            "row_share": {
                "mean": round(self.mean_row_share, 4),
                "histogram": {
                    f"{i * width}-{(i + 1) * width}%": count
                    for i, count in enumerate(self.share_bins)
                },
            },
            "untranslated_top": dict(self.untranslated.most_common(top)),
            "labels": {
                str(label): {"rows": rows, "words": self.label_words[label],
                        "translated": self.label_replaced[label], "share": round(share, 4)}
                for label, rows, share in self.label_coverage()
            },
            "inflected": dict(self.inflected.most_common()),
            "numbers": {"mode": self.numbers_mode, **dict(self.numbers.most_common())},
        }

    def as_dict(self, top: int = 20, report: bool = False) -> dict[str, Any]:
        """The summary as JSON; with ``report``, the report under ``"report"``."""
        data = {
            "source_rows": self.source_rows,
            "rows_written": self.rows_written,
            "synthetic_rows": self.synthetic_rows,
            "words": self.words,
            "replaced_words": self.replaced_words,
            "replaced_share": round(self.replaced_share, 4),
            "by_op": dict(self.by_op.most_common()),
            "labels": dict(self.labels.most_common()),
            "untranslated_tokens": self.untranslated_tokens,
            "untranslated_top": dict(self.untranslated.most_common(top)),
            "skipped": dict(self.skipped.most_common()),
            "inflections": dict(self.inflections.most_common()),
        }
        if report:
            data["report"] = self.report(top)
        return data


def build_synthesizer(
    config: SynthConfig,
    lexicons: Sequence[str | Path],
    *,
    slot_lexicon: str | Path | None = None,
    morph: str | None = None,
    unimorph: str | Path | None = None,
    morph_model: str | Path | None = None,
    phonetic_lang: str | None = None,
    lemma_fallback: bool = True,
    freeze_after_load: bool = False,
) -> Synthesizer:
    """A :class:`Synthesizer` over lexicon files (SQLite store or TSV) and, when asked
    for, a morphology (``morph`` = target language code, ``unimorph`` = its paradigm
    table) and an epitran transcriber (``phonetic_lang``, default: the config's locale).
    ``freeze_after_load``: large stores' entries go to ``gc.freeze()`` once loaded (see
    :func:`~lexi.lexicon.store.read_store`); process-wide, so only for a process that
    builds one synthesizer and then works with it (``lexi synth``, ``lexi train --synth``).
    """
    # Imported here so that the operators stay usable with any lexicon-like object.
    from lexi.lexicon import load_lexicon

    views = [load_lexicon(path, freeze_after_load=freeze_after_load) for path in lexicons]
    slot_view = (None if slot_lexicon is None
                 else load_lexicon(slot_lexicon, freeze_after_load=freeze_after_load))
    analyze = lemmatize = None
    if lemma_fallback or config.inflect:
        from lexi.morph.english import analyze_english, lemma_candidates

        analyze, lemmatize = analyze_english, lemma_candidates
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
    return Synthesizer(
        config, views, slot_lexicon=slot_view, analyze=analyze, morphology=morphology,
        transcribe=transcribe, lexicon_names=[Path(p).name for p in lexicons],
        lemmatize=lemmatize,
    )


def synthesize_stream(
    utterances: Iterable[Utterance], synthesizer: Synthesizer, summary: SynthSummary
) -> Iterator[Utterance]:
    """Synthetic rows for a stream of source rows, one source row at a time."""
    for utt in utterances:
        result = synthesizer.synthesize(utt)
        summary.add(result)
        yield from result.rows


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
) -> SynthSummary:
    """Read ``source`` (``-``: stdin), write synthetic MASSIVE jsonl to ``output``
    (``-``: stdout; a file appears only when complete) and return the summary.

    ``output`` and ``summary_json`` replace existing files only with ``overwrite``, and
    never ``source``; 0 source rows selected, or 0 rows written, is a ``LexiError`` that
    leaves them as they were. ``report``: the summary JSON carries the report too.
    """
    check_output(output, [source], overwrite=overwrite)
    if summary_json is not None:
        check_output(summary_json, [source, output], overwrite=overwrite)
    summary = SynthSummary(numbers_mode=synthesizer.config.numbers)
    rows: Iterator[Utterance] = read_dataset(source, format=format, split=split)
    first = next(rows, None)  # read before the output is opened: 0 rows writes nothing
    if first is None:
        raise nothing_selected(source, split, format=format)
    rows = itertools.chain([first], rows)
    with atomic_write(output) as out:
        if progress:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            columns = (
                SpinnerColumn(), TextColumn("synthesising {task.completed} source rows"),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("synth", total=None)

                def counted(stream: Iterable[Utterance]) -> Iterator[Utterance]:
                    for utt in stream:
                        yield utt
                        bar.advance(task)

                write_massive(synthesize_stream(counted(rows), synthesizer, summary), out)
        else:
            write_massive(synthesize_stream(rows, synthesizer, summary), out)
        if summary.rows_written == 0:  # inside the block: the old output stays
            raise _nothing_written(source, summary)
    if summary_json is not None:
        with atomic_write(summary_json) as handle:
            json.dump(summary.as_dict(report=report), handle, ensure_ascii=False, indent=2)
            handle.write("\n")
    return summary


def _nothing_written(source: str | Path, summary: SynthSummary) -> LexiError:
    """Every source row was read but none gave a row: an empty file is no success."""
    why = ", ".join(f"{k}: {v}" for k, v in summary.skipped.most_common()) or "none made"
    return LexiError(
        f"0 rows written from {summary.source_rows} source rows (rows not written: {why})",
        path=source, hint="check the lexicon and --ops; nothing was written",
    )
