"""A word's translations weighed by how often each occurs in unlabelled target-language text.

A bilingual word list orders a word's senses by a general notion of "most common"
(WECHSEL: Wiktionary's order), not by what the task's sentences say: English "play" comes
first as *tamthilia* (a stage play), then *cheza* (to play), and a voice assistant's "play
some jazz" wants the second. Target-language text of the task's kind (the unlabelled pool
self-training reads: MASSIVE's sw-KE train utterances, SIB-200's train sentences) says
which: *cheza* occurs 94 times in the 3,468 sw-KE train utterances, *tamthilia* never.

:class:`SensePrior` counts each translation in such text, as a whole word sequence or
inside a longer word (agglutinative languages write a verb stem with affixes:
*ni-cheza*, *ana-cheza*), and multiplies the lexicon's weight by ``count + smoothing``: a
translation the text never shows keeps its weight relative to the others, one it shows
often is drawn more often, and a word none of whose translations occur is drawn as before.
No label is read (:class:`~lexi.data.pool.PoolRow` has no field for one).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# Words of the text: letters, digits and the apostrophes/hyphens inside words, any script.
WORD = re.compile(r"\w+(?:['’-]\w+)*")
MIN_INNER_LENGTH = 4
"""Shortest translation also counted inside longer words: shorter ones (Swahili *pa*, "give")
would match inside unrelated words far too often."""
DEFAULT_SMOOTHING = 1.0


def text_words(text: str) -> tuple[str, ...]:
    """``text``'s words, lower-cased (``str.casefold``), as the prior counts them."""
    return tuple(WORD.findall(text.casefold()))


@dataclass
class SensePrior:
    """Counts of word sequences in target-language text, and the weights they give senses.

    ``sentences``: the text, one tuple of words (:func:`text_words`) per utterance.
    ``smoothing``: added to every count before it multiplies a weight (> 0, so that a
    translation the text lacks is still drawn, only less often). ``source``: where the
    text came from (a file name), recorded in each synthetic row's provenance.
    """

    sentences: tuple[tuple[str, ...], ...]
    smoothing: float = DEFAULT_SMOOTHING
    source: str | None = None
    # Built on first use: n-gram counts per length n, and inner-substring counts.
    _ngrams: dict[int, Counter] = field(default_factory=dict, repr=False)
    _inner: Counter | None = field(default=None, repr=False)
    _memo: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from lexi.errors import LexiError

        if not self.smoothing > 0:
            raise LexiError(f"the sense prior's smoothing must be positive, not {self.smoothing}")

    @classmethod
    def from_texts(cls, texts: Iterable[str], smoothing: float = DEFAULT_SMOOTHING,
                   source: str | None = None) -> SensePrior:
        sentences = tuple(words for words in map(text_words, texts) if words)
        return cls(sentences, smoothing, source)

    @property
    def words(self) -> int:
        """Word tokens in the text."""
        return sum(len(sentence) for sentence in self.sentences)

    def count(self, target: str) -> int:
        """How often ``target`` (a word or phrase) occurs in the text: as a whole word
        sequence, plus, for a one-word target of at least :data:`MIN_INNER_LENGTH`
        letters, inside longer words."""
        found = self._memo.get(target)
        if found is None:
            found = self._memo[target] = self._count(text_words(target))
        return found

    def _count(self, words: tuple[str, ...]) -> int:
        if not words:
            return 0
        n = len(words)
        grams = self._ngrams.get(n)
        if grams is None:
            grams = self._ngrams[n] = Counter(
                sentence[i:i + n] for sentence in self.sentences
                for i in range(len(sentence) - n + 1)
            )
        whole = grams[words]
        if n > 1 or len(words[0]) < MIN_INNER_LENGTH:
            return whole
        return whole + self._inner_counts()[words[0]]

    def _inner_counts(self) -> Counter:
        """Substring (≥ :data:`MIN_INNER_LENGTH` letters) → occurrences inside a longer word."""
        if self._inner is None:
            tokens = Counter(word for sentence in self.sentences for word in sentence)
            inner: Counter = Counter()
            for word, times in tokens.items():
                length = len(word)
                parts = {word[i:j] for i in range(length)
                         for j in range(i + MIN_INNER_LENGTH, length + 1) if j - i < length}
                for part in parts:
                    inner[part] += times
            self._inner = inner
        return self._inner

    def weight(self, target: str, weight: float) -> float:
        """A sense's lexicon ``weight`` times its count in the text (plus smoothing)."""
        return weight * (self.count(target) + self.smoothing)
