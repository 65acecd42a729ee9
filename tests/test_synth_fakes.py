"""Stand-ins for the English analyser and the target morphology, with the same interface as
``lexi.morph`` (so synthesis tests control exactly what inflection does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lexi.lexicon.model import Entry
from lexi.lexicon.view import LexiconView
from lexi.morph.english import Analysis


def lexicon(pairs: Sequence[tuple[str, str]] | Sequence[tuple[str, str, float]]) -> LexiconView:
    """A lexicon view from (source, target[, weight]) pairs, provenance ``test:N``."""
    entries = []
    for number, pair in enumerate(pairs, start=1):
        weight = pair[2] if len(pair) > 2 else 1.0
        entries.append(Entry(pair[0], pair[1], weight=weight, provenance=f"test:{number}"))
    return LexiconView.from_entries(entries)


def plural_analyzer(words: Sequence[str]) -> list[Analysis]:
    """'Xs' (longer than three letters) is the plural of 'X'; everything else singular."""
    out = []
    for word in words:
        lower = word.lower()
        if len(lower) > 3 and lower.endswith("s"):
            out.append(Analysis(word, lower[:-1], "N", frozenset({"N", "PL"})))
        else:
            out.append(Analysis(word, lower, "N", frozenset({"N", "SG"})))
    return out


@dataclass(frozen=True)
class FakeInflection:
    form: str
    features: frozenset[str]
    method: str


class PrefixPluralMorphology:
    """Plural nouns take the prefix ``ma`` (as Swahili class 6 does); the rest stay lemmas."""

    def __init__(self) -> None:
        self.calls = 0

    def inflect(self, target_lemma: str, source: Analysis) -> FakeInflection:
        self.calls += 1
        if "PL" in source.features:
            return FakeInflection("ma" + target_lemma, frozenset({"N", "PL"}), "table")
        return FakeInflection(target_lemma, frozenset(), "lemma")
