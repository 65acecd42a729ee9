"""How far a lexicon carries a dataset: token and type coverage, per label, and the most
frequent uncovered words (what to add to the lexicon first); with several lexicons in
priority order, what each adds to the ones before it.

Coverage uses the same greedy longest match that synthesis uses: at each word token the
longest known phrase is taken and all its words count as covered. Punctuation tokens are
not counted. Coverage depends only on which source phrases a lexicon has, not on their
senses, so several lexicons cover a dataset alike however they are merged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lexi.data.outputs import nothing_selected
from lexi.data.readers import read_dataset
from lexi.data.records import Utterance
from lexi.data.tokens import tokenize
from lexi.lexicon.importer import PRIORITY, load_lexicon
from lexi.lexicon.store import is_store, read_store_parts, store_info
from lexi.lexicon.view import LexiconView


@dataclass
class LabelCoverage:
    """Covered / total word tokens of the utterances with one label."""

    label: str
    utterances: int = 0
    tokens: int = 0
    covered: int = 0

    @property
    def token_coverage(self) -> float:
        return self.covered / self.tokens if self.tokens else 0.0


@dataclass
class CoverageReport:
    """Coverage of a dataset by a lexicon; ``as_dict`` is the JSON form."""

    utterances: int = 0
    tokens: int = 0
    covered_tokens: int = 0
    multiword_matches: int = 0
    types: int = 0
    covered_types: int = 0
    labels: dict[str, LabelCoverage] = field(default_factory=dict)
    uncovered: Counter = field(default_factory=Counter)

    @property
    def token_coverage(self) -> float:
        return self.covered_tokens / self.tokens if self.tokens else 0.0

    @property
    def type_coverage(self) -> float:
        return self.covered_types / self.types if self.types else 0.0

    def as_dict(self, top: int = 50) -> dict:
        return {
            "utterances": self.utterances,
            "tokens": self.tokens,
            "covered_tokens": self.covered_tokens,
            "token_coverage": round(self.token_coverage, 4),
            "types": self.types,
            "covered_types": self.covered_types,
            "type_coverage": round(self.type_coverage, 4),
            "multiword_matches": self.multiword_matches,
            "labels": {
                name: {
                    "utterances": c.utterances, "tokens": c.tokens, "covered": c.covered,
                    "token_coverage": round(c.token_coverage, 4),
                }
                for name, c in sorted(self.labels.items(), key=lambda kv: kv[1].token_coverage)
            },
            "top_uncovered": [{"word": w, "count": n} for w, n in self.uncovered.most_common(top)],
        }


def _words(utterances: Iterable[Utterance]) -> Iterable[tuple[str, list[str]]]:
    """(label, word tokens) of each utterance."""
    for utterance in utterances:
        yield utterance.label or "(none)", [t.text for t in tokenize(utterance.text) if t.is_word]


def _walk(view: LexiconView, rows: Iterable[tuple[str, list[str]]]) -> CoverageReport:
    report = CoverageReport()
    normalize = view.normalizer
    covered_types: set[str] = set()
    all_types: set[str] = set()
    for name, words in rows:
        label = report.labels.get(name)
        if label is None:
            label = report.labels[name] = LabelCoverage(name)
        label.utterances += 1
        report.utterances += 1
        i = 0
        while i < len(words):
            match = view.match(words, i)
            size = match.length if match else 1
            for word in words[i : i + size]:
                all_types.add(normalize(word))
            if match:
                covered_types.update(normalize(w) for w in words[i : i + size])
                report.covered_tokens += size
                label.covered += size
                report.multiword_matches += size > 1
            else:
                report.uncovered[normalize(words[i])] += 1
            i += size
        report.tokens += len(words)
        label.tokens += len(words)
    report.types = len(all_types)
    report.covered_types = len(covered_types)
    return report


def lexicon_coverage(view: LexiconView, utterances: Iterable[Utterance]) -> CoverageReport:
    """Coverage of ``utterances`` by ``view``; labels come from ``Utterance.label``."""
    return _walk(view, _words(utterances))


# --- several lexicons ----------------------------------------------------------------------


@dataclass(frozen=True)
class LexiconSource:
    """One of several lexicons: its ``name`` (the path given, or a merged store's input)
    and ``view``. ``complete`` is False for a later input of a store merged in priority
    mode: the store kept only the words earlier inputs lack, so what the whole input
    covers on its own is not known from it."""

    name: str
    view: LexiconView
    complete: bool = True


@dataclass
class SourceCoverage:
    """What one lexicon adds to those before it: the word tokens and types that the merge
    up to it covers beyond the merge of the ones before (net, so the ``added`` counts of
    all sources sum to the merged total), per label too; and its coverage on its own
    (``alone``, None when its view is not ``complete``)."""

    name: str
    phrases: int
    added_tokens: int
    added_types: int
    added_labels: dict[str, int] = field(default_factory=dict)
    alone: CoverageReport | None = None


@dataclass
class CoverageBySource:
    """Coverage of a dataset by lexicons in priority order: each source's share
    (``sources``) and the merged coverage (``merged``: totals, labels, the most frequent
    words nothing translates). ``as_dict`` is the JSON form: the merged report's keys (as
    for one lexicon) and ``sources``."""

    sources: list[SourceCoverage]
    merged: CoverageReport

    def as_dict(self, top: int = 50) -> dict:
        merged = self.merged

        def share(part: int, whole: int) -> float:
            return round(part / whole, 4) if whole else 0.0

        return {**merged.as_dict(top), "sources": [
            {"name": source.name, "phrases": source.phrases,
             "added": {"tokens": source.added_tokens,
                       "token_share": share(source.added_tokens, merged.tokens),
                       "types": source.added_types,
                       "type_share": share(source.added_types, merged.types)},
             "alone": None if source.alone is None else {
                 key: value for key, value in source.alone.as_dict(0).items()
                 if key in ("covered_tokens", "token_coverage", "covered_types",
                            "type_coverage")},
             "labels": {name: {"added_tokens": count,
                               "added_share": share(count, merged.labels[name].tokens)}
                        for name, count in source.added_labels.items()}}
            for source in self.sources]}


def coverage_by_source(
    sources: Sequence[LexiconSource], utterances: Iterable[Utterance],
) -> CoverageBySource:
    """Coverage of ``utterances`` by ``sources`` in priority order: the merge of the first
    *i* sources is walked for each *i*, and source *i* is credited with what that adds to
    the merge of the first *i* - 1 (a longer phrase can re-segment a sentence, so in rare
    cases a source adds a negative count). Each complete source is also walked alone."""
    if not sources:
        raise ValueError("coverage_by_source() needs at least one lexicon")
    rows = list(_words(utterances))
    results: list[SourceCoverage] = []
    before = CoverageReport()
    merged_view: LexiconView | None = None
    for source in sources:
        merged_view = source.view if merged_view is None else LexiconView.stacked(
            [merged_view, source.view])
        now = _walk(merged_view, rows)
        alone = None
        if source.complete:
            alone = now if merged_view is source.view else _walk(source.view, rows)
        labels = {name: label.covered - (before.labels[name].covered
                                         if name in before.labels else 0)
                  for name, label in now.labels.items()}
        results.append(SourceCoverage(
            source.name, len(source.view), now.covered_tokens - before.covered_tokens,
            now.covered_types - before.covered_types, labels, alone))
        before = now
    return CoverageBySource(results, before)


def lexicon_sources(
    paths: Sequence[str | Path], *, freeze_after_load: bool = False,
) -> list[LexiconSource]:
    """The lexicons at ``paths`` (stores or TSVs) in priority order; a single store built
    from several inputs (``lexi lexicon merge``, or an import of several files) stands for
    its inputs. ``freeze_after_load``: see :func:`~lexi.lexicon.load_lexicon`."""
    if len(paths) == 1 and is_store(paths[0]):
        parts = read_store_parts(paths[0], freeze_after_load=freeze_after_load)
        if parts:
            priority = store_info(paths[0]).meta.get("mode") == PRIORITY
            return [LexiconSource(name, view, complete=not (priority and index))
                    for index, (name, view) in enumerate(parts)]
    return [LexiconSource(str(path), load_lexicon(path, freeze_after_load=freeze_after_load))
            for path in paths]


def dataset_coverage(
    lexicons: Sequence[str | Path], dataset: str | Path, *, split: str | None = None,
    format: str = "auto", freeze_after_load: bool = False,
) -> CoverageBySource:
    """What ``lexicons`` (in priority order; see :func:`lexicon_sources`) cover of the
    rows of ``dataset`` (``split``: only that split; ``format`` as for
    :func:`~lexi.data.readers.read_dataset`); a ``LexiError`` when no row is selected."""
    sources = lexicon_sources(lexicons, freeze_after_load=freeze_after_load)
    report = coverage_by_source(sources, read_dataset(dataset, format=format, split=split))
    if not report.merged.utterances:
        raise nothing_selected(dataset, split, format=format)
    return report
