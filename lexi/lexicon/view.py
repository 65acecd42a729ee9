"""An in-memory, read-only lexicon with longest-match lookup, fast enough for synthesis.

Every source phrase maps to its :class:`Entry` records, built when the view is built (a
store builds them while it reads its rows: :mod:`lexi.lexicon.store`), so a lookup never
creates entries. ``match`` answers a word it has met before at a position it has met
before with two probes and creates nothing; multi-word lookup only reads as many words as
the longest source starting with the same first word has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from lexi.lexicon.model import Entry, Normalizer

# (target, pos, weight, provenance): an entry without its source, as stored per phrase.
Row = tuple[str, "str | None", float, "str | None"]


def best_first(rows: Sequence[Row]) -> list[Row]:
    """One source's rows, best first (ties keep reading order), without duplicates.

    Rows with the same target and part of speech are one sense (highest weight, first
    provenance kept); an untagged row also joins a tagged row with the same target, so
    merging an untagged list with a tagged one (WECHSEL + CLDR) does not double a word.
    """
    senses: list[list] = []
    by_target: dict[str, list[list]] = {}
    for target, pos, weight, provenance in rows:
        same = by_target.setdefault(target, [])
        match = next((m for m in same if m[1] == pos or m[1] is None or pos is None), None)
        if match is None:
            sense = [target, pos, weight, provenance]
            same.append(sense)
            senses.append(sense)
        else:
            match[1] = match[1] or pos
            match[2] = max(match[2], weight)
    # Python's sort is stable, so equal weights stay in the order they were read.
    senses.sort(key=lambda sense: -sense[2])
    return [tuple(sense) for sense in senses]


# Entry(...) and Match(...) without the frozen dataclass ``__init__``, which calls
# ``object.__setattr__`` once per field (to get past ``frozen``) and so costs about twice
# as much: the slots are set through their descriptors. The objects are the same as the
# constructor's (equal, same repr, still frozen to callers).
def _entry_maker() -> Callable[[str, str, str | None, float, str | None], Entry]:
    set_source, set_target, set_pos, set_weight, set_provenance = (
        getattr(Entry, name).__set__ for name in Entry.__slots__
    )
    new = object.__new__

    def make(
        source: str, target: str, pos: str | None, weight: float, provenance: str | None
    ) -> Entry:
        entry = new(Entry)
        set_source(entry, source)
        set_target(entry, target)
        set_pos(entry, pos)
        set_weight(entry, weight)
        set_provenance(entry, provenance)
        return entry

    return make


@dataclass(frozen=True, slots=True)
class Match:
    """``words[start:start + length]`` normalise to ``source``, which translates to ``entries``."""

    start: int
    length: int
    source: str
    entries: tuple[Entry, ...]


def _match_maker() -> Callable[[int, int, str, tuple[Entry, ...]], Match]:
    set_start, set_length, set_source, set_entries = (
        getattr(Match, name).__set__ for name in Match.__slots__
    )
    new = object.__new__

    def make(start: int, length: int, source: str, entries: tuple[Entry, ...]) -> Match:
        match = new(Match)
        set_start(match, start)
        set_length(match, length)
        set_source(match, source)
        set_entries(match, entries)
        return match

    return make


_new_entry = _entry_maker()
_new_match = _match_maker()


def best_entries(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """:func:`best_first` for one source's Entry records (in reading order).

    The usual case costs no new objects: distinct targets (nothing to merge) whose
    weights already do not increase (importers weight by reading order) stay as they are.
    """
    weights = [entry.weight for entry in entries]
    if len({entry.target for entry in entries}) == len(entries):
        if weights == sorted(weights, reverse=True):
            return entries
        return tuple(sorted(entries, key=lambda entry: -entry.weight))
    source = entries[0].source
    return tuple([
        _new_entry(source, *row)
        for row in best_first([(e.target, e.pos, e.weight, e.provenance) for e in entries])
    ])


# Markers in the per-word memo of :meth:`LexiconView.match` (see there). Tuples of one
# shared marker object: indexing one by a start position gives the answer for any start.
_ASK = object()  # not known yet at this position, or the word may start a phrase: look
_POSITIONS = 64  # how many start positions the shared tuples cover (a longer sentence asks)
_UNKNOWN = (None,) * _POSITIONS  # no translation and no phrase: never a match
_STARTS_PHRASE = (_ASK,) * _POSITIONS  # may start a multi-word source: look every time
PHRASE_MEMO_LIMIT = 500_000  # distinct word sequences remembered at phrase starts


class LexiconView:
    """Read-only lexicon in memory: ``translations``, ``match`` (longest multi-word match),
    ``len`` (distinct source phrases) and ``in``.

    Build one with :func:`lexi.lexicon.load_lexicon` or :meth:`from_entries`.
    """

    def __init__(
        self,
        rows: Mapping[str, Sequence[Row]],
        normalizer: Normalizer | None = None,
        *,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
    ) -> None:
        """``rows`` maps a normalised source phrase to its rows, best first."""
        self._setup(
            {source: tuple([_new_entry(source, *row) for row in senses])
             for source, senses in rows.items() if senses},
            normalizer, src_lang, tgt_lang,
        )

    @classmethod
    def _of_entries(
        cls, entries: dict[str, tuple[Entry, ...]], normalizer: Normalizer | None = None,
        src_lang: str | None = None, tgt_lang: str | None = None,
    ) -> LexiconView:
        """A view over ``entries`` (normalised source → its Entry records, best first,
        none empty), taken as they are (the store builds them so)."""
        view = cls.__new__(cls)
        view._setup(entries, normalizer, src_lang, tgt_lang)
        return view

    def _setup(
        self, entries: dict[str, tuple[Entry, ...]], normalizer: Normalizer | None,
        src_lang: str | None, tgt_lang: str | None,
    ) -> None:
        self.normalizer = normalizer or Normalizer()
        self.src_lang = src_lang
        self.tgt_lang = tgt_lang
        # Normalised source phrase → its entries, best first (never empty).
        self._entries: dict[str, tuple[Entry, ...]] = entries
        # First word of a multi-word source → the most words any such source has.
        self._longest_from: dict[str, int] = {}
        longest = 1
        for phrase in entries:
            if " " in phrase:
                first, *rest = phrase.split(" ")
                size = len(rest) + 1
                if size > self._longest_from.get(first, 1):
                    self._longest_from[first] = size
                longest = max(longest, size)
        self.max_phrase_words = longest
        # Per-view memos (not module globals), filled as words are met:
        # surface word → what ``match`` answers at each start position (see there);
        self._at: dict[str, list | tuple] = {}
        # surface word → its normalised form (strings only: the GC never walks it);
        self._normalized: dict[str, str] = {}
        # the words a multi-word lookup reads → what it answers at each start position.
        self._phrase_at: dict[tuple[str, ...], list] = {}

    @classmethod
    def from_entries(
        cls, entries: Iterable[Entry], normalizer: Normalizer | None = None, **langs: str | None
    ) -> LexiconView:
        """A view over ``entries`` (their sources are normalised again, to be safe)."""
        norm = normalizer or Normalizer()
        grouped: dict[str, list[Row]] = {}
        for entry in entries:
            source = norm(entry.source)
            if source and entry.target:
                grouped.setdefault(source, []).append(
                    (entry.target, entry.pos, entry.weight, entry.provenance)
                )
        rows = {
            source: best_first(senses) if len(senses) > 1 else senses
            for source, senses in grouped.items()
        }
        return cls(rows, norm, **langs)

    def translations(self, phrase: str) -> tuple[Entry, ...]:
        """Translations of ``phrase`` (normalised here), best first; ``()`` when unknown."""
        return self._entries.get(self.normalizer(phrase), ())

    def match(self, words: Sequence[str], start: int) -> Match | None:
        """The longest source phrase starting at ``words[start]``, or ``None``."""
        # The common case costs two probes: the per-word memo gives, indexed by the start
        # position, the Match already built there, or None for a word that has no
        # translation and starts no phrase. Anything else (a word not met yet, a position
        # not met yet, a word that may start a multi-word source) takes ``_lookup``.
        try:
            found = self._at[words[start]][start]
        except LookupError:  # KeyError: a new word; IndexError: a later position
            return self._lookup(words, start)
        if found is _ASK:
            return self._lookup(words, start)
        return found

    def _lookup(self, words: Sequence[str], start: int) -> Match | None:
        word = words[start]
        at = self._at.get(word)
        if at is None:
            at = self._meet(word)
        if at is _STARTS_PHRASE:
            return self._phrase(words, start)
        if at is _UNKNOWN:
            return None
        if start >= len(at):
            at.extend([_ASK] * (start + 1 - len(at)))
        found = at[start]
        if found is _ASK:
            normalized = self._normalized[word]
            found = at[start] = _new_match(start, 1, normalized, self._entries[normalized])
        return found

    def _meet(self, word: str) -> list | tuple:
        """Normalise a word met for the first time and remember what it can start."""
        normalized = self._normalized[word] = self.normalizer(word)
        if normalized in self._longest_from:
            at: list | tuple = _STARTS_PHRASE
        elif normalized in self._entries:
            at = []  # Match objects by start position, built as positions are met
        else:
            at = _UNKNOWN
        self._at[word] = at
        return at

    def _phrase(self, words: Sequence[str], start: int) -> Match | None:
        """``match`` at a word that may start a multi-word source: memoised by the words
        the lookup reads (at most the longest such source), per start position."""
        word = words[start]
        reach = min(self._longest_from[self._normalized[word]], len(words) - start)
        key = tuple(words[start : start + reach])
        at = self._phrase_at.get(key)
        if at is None:
            if len(self._phrase_at) >= PHRASE_MEMO_LIMIT:  # bounded on endless streams
                self._phrase_at.clear()
            at = self._phrase_at[key] = []
        elif start < len(at) and at[start] is not _ASK:
            return at[start]
        if start >= len(at):
            at.extend([_ASK] * (start + 1 - len(at)))
        found = at[start] = self._longest(key, start)
        return found

    def _longest(self, words: tuple[str, ...], start: int) -> Match | None:
        """The longest source that ``words`` start with (all of them at most), at ``start``."""
        normalized = []
        for word in words:
            norm = self._normalized.get(word)
            if norm is None:
                self._meet(word)
                norm = self._normalized[word]
            normalized.append(norm)
        entries = self._entries
        for size in range(len(words), 1, -1):
            phrase = " ".join(normalized[:size])
            found = entries.get(phrase)
            if found is not None:
                return _new_match(start, size, phrase, found)
        found = entries.get(normalized[0])
        return None if found is None else _new_match(start, 1, normalized[0], found)

    def phrases(self) -> Iterable[str]:
        """Every source phrase (normalised)."""
        return self._entries.keys()

    @property
    def entry_count(self) -> int:
        """Number of entries (a source with three translations counts three)."""
        return sum(map(len, self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, phrase: object) -> bool:
        return isinstance(phrase, str) and self.normalizer(phrase) in self._entries

    def __repr__(self) -> str:
        return (
            f"LexiconView({len(self)} phrases, {self.src_lang or '?'}→{self.tgt_lang or '?'}, "
            f"max_phrase_words={self.max_phrase_words})"
        )
