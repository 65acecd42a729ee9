"""What a synthesis run wrote, added up: :class:`SynthSummary` (the summary and the
``--report`` figures), and the stream of rows it is added up from (and written out)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from lexi.data.massive import write_massive
from lexi.data.records import Utterance
from lexi.synth.operators import Synthesizer
from lexi.synth.prepared import SynthResult

# The per-row share of words translated is reported in bins of 10%: 0-10% … 90-100%.
SHARE_BINS = 10
# Source rows read, then synthesised, then written, at a time by synthesize_to: see there.
BATCH_ROWS = 64


# What SynthSummary.merge adds up: the integer totals and the counters.
_TOTALS = ("source_rows", "rows_written", "synthetic_rows", "words", "replaced_words",
           "untranslated_tokens")
_COUNTERS = ("by_op", "labels", "untranslated", "skipped", "inflections", "label_rows",
             "label_words", "label_replaced", "numbers", "inflected")


@dataclass
class SynthSummary:
    """What a run wrote: row counts per operator and label, the share of source words that
    were replaced in synthetic rows (``words`` counts a source row's words once per
    synthetic row made from it), words with no translation in the first lexicon (counted
    once per source row they occur in), rows not written and why, and how inflected forms
    were found (``table``, ``learned``, ``lemma``; one per inflection asked for; with
    ``inflect_from="table"``, ``not_in_table`` for a lemma the table lacks, and with
    ``inflect_pos``, ``other_pos`` for a word of a part of speech not selected).

    For ``lexi synth --report``, over the synthetic rows written: the share of each row's
    words that were translated (``share_bins`` counts rows per 10% bin, ``share_sum`` adds
    the shares), synthetic rows, source words and translated words per label
    (``label_rows``, ``label_words``, ``label_replaced``), how numbers were written
    (``numbers``: ``cldr_numbers``, ``cldr_names``, ``cldr_periods``, ``lexicon_numbers``)
    and the words inflection changed, by where the form came from (``inflected``).
    ``numbers_mode`` is the synthesizer's resolved ``--numbers``, ``word_order`` its resolved
    ``--word-order`` (the classes moved; ``source``: none)."""

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
    word_order: str = "source"
    # A worker's part of a run (``lexi synth --workers``) keeps each row's share as well as
    # their sum, so that :meth:`merge` adds them in row order: the float sum, and so the
    # report, is then the one a single process gets (a float sum depends on its order).
    share_terms: list[float] | None = field(default=None, compare=False, repr=False)

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
        # Counter.update costs about a microsecond even with nothing to add, and most
        # rows have nothing skipped and nothing inflected: add only what there is (the
        # counts and their order of first appearance are the same).
        if result.untranslated:
            self.untranslated.update(result.untranslated)
            self.untranslated_tokens += len(result.untranslated)
        if result.skipped:
            self.skipped.update(result.skipped)
        if result.inflections:
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
                share = replaced / words
                self.share_sum += share
                if self.share_terms is not None:
                    self.share_terms.append(share)
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

    def merge(self, part: SynthSummary) -> None:
        """Add ``part``, the summary of the source rows that came right after this one's
        (a worker's chunk), as if its rows had been added here one by one: the same
        counts, the same order of first appearance in every counter (``most_common``
        breaks ties by it), and with ``part.share_terms`` the same float sum."""
        for name in _TOTALS:
            setattr(self, name, getattr(self, name) + getattr(part, name))
        for name in _COUNTERS:
            getattr(self, name).update(getattr(part, name))
        self.share_bins = [a + b for a, b in zip(self.share_bins, part.share_bins, strict=True)]
        if part.share_terms is None:
            self.share_sum += part.share_sum
        else:
            for share in part.share_terms:
                self.share_sum += share
            if self.share_terms is not None:
                self.share_terms.extend(part.share_terms)

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
            "word_order": self.word_order,
        }
        if report:
            data["report"] = self.report(top)
        return data


def synthesize_stream(
    utterances: Iterable[Utterance], synthesizer: Synthesizer, summary: SynthSummary
) -> Iterator[Utterance]:
    """Synthetic rows for a stream of source rows, one source row at a time."""
    for utt in utterances:
        result = synthesizer.synthesize(utt)
        summary.add(result)
        yield from result.rows


def synthesize_to(
    utterances: Iterable[Utterance], synthesizer: Synthesizer, summary: SynthSummary,
    out: IO[str], size: int = BATCH_ROWS,
) -> int:
    """Write the synthetic rows of ``utterances`` to ``out`` as MASSIVE jsonl (what
    ``write_massive(synthesize_stream(...), out)`` writes, in the same order), adding
    them up in ``summary``; returns the rows written.

    Rows go through in batches of ``size``: read ``size`` source rows, synthesise them,
    write their rows. Row by row, each step evicts the others' code and data from the
    CPU caches; in batches each runs warm, and the file → translate → file run over
    MASSIVE en-US train took about 5 % less CPU time (docs/performance.md). An error
    while reading comes after the rows read before it are written, as row by row.
    """
    written = 0
    for batch in _batches(utterances, size):
        made: list[Utterance] = []
        try:
            for utt in batch:
                result = synthesizer.synthesize(utt)
                summary.add(result)
                made.extend(result.rows)
        finally:  # the rows before an error are written first, as row by row
            written += write_massive(made, out)
    return written


def _batches(items: Iterable[Utterance], size: int) -> Iterator[list[Utterance]]:
    """``items`` in lists of ``size``; on an error while reading them, the items read
    before it come first, then the error."""
    items = iter(items)
    while True:
        batch: list[Utterance] = []
        try:
            batch.extend(itertools.islice(items, size))
        except Exception:
            if batch:
                yield batch
            raise
        if not batch:
            return
        yield batch
