"""How far a lexicon carries a dataset: token and type coverage, per label, and the most
frequent uncovered words (what to add to the lexicon first).

Coverage uses the same greedy longest match that synthesis uses: at each word token the
longest known phrase is taken and all its words count as covered. Punctuation tokens are
not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from lexi.data.records import Utterance
from lexi.data.tokens import tokenize
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


def lexicon_coverage(view: LexiconView, utterances: Iterable[Utterance]) -> CoverageReport:
    """Coverage of ``utterances`` by ``view``; labels come from ``Utterance.label``."""
    report = CoverageReport()
    normalize = view.normalizer
    covered_types: set[str] = set()
    all_types: set[str] = set()
    for utterance in utterances:
        words = [t.text for t in tokenize(utterance.text) if t.is_word]
        name = utterance.label or "(none)"
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
