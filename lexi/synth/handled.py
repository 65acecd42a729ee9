"""What ``lexi synth --ops translate`` does with each word token of a dataset, for
``lexi lexicon coverage``: translated by the lexicon (the word itself, or its English
lemma: ``lights`` → ``light``), written as a number, time, weekday or month as
``--numbers`` says, dropped by ``--unknown``, or left untranslated (still English in the
row). A token is *handled* unless it is left untranslated.

The figures are read off the synthesizer itself, not a second copy of its rules: the
sites its matcher finds (:meth:`~lexi.synth.operators.Synthesizer.matches`, which the
translate operator writes every one of) and the untranslated words it drops
(:meth:`~lexi.synth.operators.Synthesizer.dropped`). So over the rows that synthesis
writes, *verbatim* + *lemma* + the numbers it writes are ``lexi synth``'s "words replaced",
and *dropped* + *untranslated* its "words with no translation". Unlike ``lexi synth
--report`` they are counted over every source row, also those synthesis leaves out for
having no word to change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lexi.data.outputs import nothing_selected
from lexi.data.readers import read_dataset
from lexi.data.records import Utterance
from lexi.lexicon.coverage import CoverageBySource, coverage_by_source, lexicon_sources
from lexi.lexicon.view import LexiconView
from lexi.synth.config import SynthConfig, function_word_list
from lexi.synth.matcher import LexiconLike
from lexi.synth.numbers import NUMBERS_DEFAULT
from lexi.synth.operators import Synthesizer
from lexi.synth.pipeline import build_synthesizer

# The ways of a token, in the order the report lists them (they add up to all tokens).
CATEGORIES = ("verbatim", "lemma", "numbers", "dropped", "untranslated")
# How --numbers wrote a number token: the report's Site.tally names (as in ``lexi synth
# --report``), and "kept": left as in the source (``--numbers keep``, or an am/pm that
# CLDR has no word for).
NUMBER_WAYS = ("cldr_numbers", "cldr_names", "cldr_periods", "lexicon_numbers", "kept")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _top(counter: Counter, top: int) -> list[dict[str, Any]]:
    return [{"word": word, "count": count} for word, count in counter.most_common(top)]


@dataclass
class LabelHandled:
    """Word tokens of the utterances with one label, and how many were left untranslated."""

    label: str
    tokens: int = 0
    untranslated: int = 0

    @property
    def handled_share(self) -> float:
        return (self.tokens - self.untranslated) / self.tokens if self.tokens else 0.0


@dataclass
class HandledReport:
    """Word tokens by what ``translate`` does with them (:data:`CATEGORIES`; ``numbers``
    by :data:`NUMBER_WAYS`), per label, and the words dropped and left untranslated
    (lower case, as ``lexi synth`` lists them). ``options`` are the synthesis options
    counted under (``numbers`` resolved: ``auto`` is ``cldr`` or ``lexicon``)."""

    options: dict[str, Any]
    utterances: int = 0
    tokens: int = 0
    verbatim: int = 0
    lemma: int = 0
    numbers: Counter = field(default_factory=Counter)
    dropped: int = 0
    untranslated: int = 0
    labels: dict[str, LabelHandled] = field(default_factory=dict)
    dropped_words: Counter = field(default_factory=Counter)
    untranslated_words: Counter = field(default_factory=Counter)

    @property
    def handled(self) -> int:
        return self.tokens - self.untranslated

    @property
    def handled_share(self) -> float:
        return self.handled / self.tokens if self.tokens else 0.0

    def category(self, name: str) -> int:
        """The tokens of one of :data:`CATEGORIES`."""
        return sum(self.numbers.values()) if name == "numbers" else getattr(self, name)

    def add(self, synthesizer: Synthesizer, utterance: Utterance) -> None:
        """Count the word tokens of ``utterance`` as ``synthesizer`` writes them."""
        prep = synthesizer.prepare(utterance)
        name = utterance.label or "(none)"
        label = self.labels.get(name)
        if label is None:
            label = self.labels[name] = LabelHandled(name)
        self.utterances += 1
        self.tokens += prep.word_count
        label.tokens += prep.word_count
        for chunk, (sites, unknown) in zip(prep.chunks, synthesizer.matches(prep, 0),
                                           strict=True):
            placed = 0
            for site in sites:
                placed += site.words
                if site.tally is not None:  # a number, time or calendar name
                    self.numbers[site.tally] += site.words
                elif site.via_lemma:
                    self.lemma += site.words
                else:
                    self.verbatim += site.words
            dropped = synthesizer.dropped(chunk, unknown)
            words = chunk.words
            self.dropped_words.update(words[k].lower() for k in dropped)
            kept = [k for k in unknown if k not in dropped] if dropped else unknown
            self.untranslated_words.update(words[k].lower() for k in kept)
            self.dropped += len(dropped)
            self.untranslated += len(kept)
            label.untranslated += len(kept)
            # The matcher passes over only the words of a number expression that --numbers
            # leaves as in the source: every other word is in a site or unknown.
            left = sum(chunk.is_word) - placed - len(unknown)
            if left:
                self.numbers["kept"] += left

    def as_dict(self, top: int = 50) -> dict[str, Any]:
        tokens = self.tokens
        translated = self.verbatim + self.lemma
        return {
            "options": self.options,
            "utterances": self.utterances,
            "tokens": tokens,
            "handled_tokens": self.handled,
            "handled_share": _share(self.handled, tokens),
            "translated_tokens": translated,
            "translated_share": _share(translated, tokens),
            "categories": {name: {"tokens": self.category(name),
                                  "share": _share(self.category(name), tokens)}
                           for name in CATEGORIES},
            "numbers": {way: self.numbers.get(way, 0) for way in NUMBER_WAYS},
            "labels": {
                c.label: {"tokens": c.tokens, "handled": c.tokens - c.untranslated,
                          "handled_share": round(c.handled_share, 4)}
                for c in sorted(self.labels.values(), key=lambda c: c.handled_share)
            },
            "top_dropped": _top(self.dropped_words, top),
            "top_untranslated": _top(self.untranslated_words, top),
        }


def handled_tokens(synthesizer: Synthesizer, utterances: Iterable[Utterance]) -> HandledReport:
    """What ``synthesizer``'s ``translate`` does with the word tokens of ``utterances``
    (its first lexicon; labels from ``Utterance.label``)."""
    config = synthesizer.config
    report = HandledReport({
        "numbers": config.numbers, "unknown": config.unknown,
        "function_words": (list(config.function_words)
                           if config.unknown == "drop-function-words" else None),
        "locale": config.locale,
    })
    for utterance in utterances:
        report.add(synthesizer, utterance)
    return report


def coverage_config(
    *, numbers: str = NUMBERS_DEFAULT, unknown: str = "keep",
    function_words: str | None = None, locale: str | None = None,
) -> SynthConfig:
    """The ``translate`` configuration of ``lexi synth`` with these options (as its
    command line takes them: ``function_words`` comma-separated, ``locale`` a language
    in any form); a ``LexiError`` for a bad one, before anything loads."""
    words = function_word_list(function_words, unknown)
    if locale is not None:
        from lexi.resources.languages import locale_code, resolve_language

        resolve_language(locale)
        locale = locale_code(locale)
    return SynthConfig(ops=("translate",), locale=locale, unknown=unknown,
                       function_words=words, numbers=numbers)


@dataclass
class DatasetCoverage:
    """``lexi lexicon coverage``'s report: the lexicons' coverage (``coverage``, as
    before) and what synthesis does with the tokens (``handled``). ``as_dict``: the
    coverage's keys and ``handled``."""

    coverage: CoverageBySource
    handled: HandledReport

    def as_dict(self, top: int = 50) -> dict[str, Any]:
        return {**self.coverage.as_dict(top), "handled": self.handled.as_dict(top)}


def dataset_handling(
    lexicons: Sequence[str | Path], dataset: str | Path, *, split: str | None = None,
    format: str = "auto", freeze_after_load: bool = False, numbers: str = NUMBERS_DEFAULT,
    unknown: str = "keep", function_words: str | None = None, locale: str | None = None,
) -> DatasetCoverage:
    """What ``lexicons`` (in priority order) cover of the rows of ``dataset``
    (:func:`~lexi.lexicon.coverage.dataset_coverage`), and what ``lexi synth --ops
    translate`` with these options does with their tokens. Synthesis reads one lexicon:
    the one given, or several merged in priority order (as ``lexi lexicon merge --mode
    priority`` writes them). A ``LexiError`` when no row is selected."""
    config = coverage_config(numbers=numbers, unknown=unknown,
                             function_words=function_words, locale=locale)
    sources = lexicon_sources(lexicons, freeze_after_load=freeze_after_load)
    rows = list(read_dataset(dataset, format=format, split=split))
    if not rows:
        raise nothing_selected(dataset, split, format=format)
    coverage = coverage_by_source(sources, rows)
    lexicon: str | Path | LexiconLike
    if len(sources) == 1:
        lexicon = sources[0].view  # what load_lexicon gave: what synthesis loads
    elif len(lexicons) == 1:
        # A store merged from several inputs: synthesis reads the store, whose senses a
        # union merge combines, so it is loaded as synthesis loads it.
        lexicon = lexicons[0]
    else:
        lexicon = LexiconView.stacked([source.view for source in sources])
    synthesizer = build_synthesizer(config, [lexicon], freeze_after_load=freeze_after_load)
    return DatasetCoverage(coverage, handled_tokens(synthesizer, rows))
