"""An in-memory, read-only lexicon with longest-match lookup, fast enough for synthesis.

Entries are kept as plain tuples per source phrase and turned into :class:`Entry` records
only when a phrase is first asked for, so loading a million-entry store stays quick and
small. Multi-word lookup only tries lengths that some source starting with the same first
word actually has, so a miss costs one dictionary probe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from lexi.lexicon.model import Entry, Normalizer

# (target, pos, weight, provenance): an entry without its source, as stored per phrase.
Row = tuple[str, "str | None", float, "str | None"]
# What one surface word tells ``match``: its normalised form, the most words a source
# starting with it has (1 if none), its own translations (None if it has none), and the
# single-word Match objects already built for it, by start position (Match is immutable,
# so one object serves every sentence where the word sits at that position).
WordInfo = list | tuple


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
        self.normalizer = normalizer or Normalizer()
        self.src_lang = src_lang
        self.tgt_lang = tgt_lang
        self._rows = rows
        # Per-view memos (not module globals): materialised entries and normalised words.
        self._entries: dict[str, tuple[Entry, ...]] = {}
        self._words: dict[str, WordInfo] = {}
        # First word of a multi-word source → the most words any such source has.
        self._longest_from: dict[str, int] = {}
        longest = 1
        for phrase in rows:
            if " " in phrase:
                first, *rest = phrase.split(" ")
                size = len(rest) + 1
                if size > self._longest_from.get(first, 1):
                    self._longest_from[first] = size
                longest = max(longest, size)
        self.max_phrase_words = longest

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

    def _entries_for(self, source: str) -> tuple[Entry, ...]:
        entries = self._entries.get(source)
        if entries is None:
            rows = self._rows.get(source)
            if rows is None:
                return ()
            entries = tuple([_new_entry(source, *row) for row in rows])
            self._entries[source] = entries
        return entries

    def _describe(self, word: str) -> WordInfo:
        """Normalise ``word`` once and remember what it can start (see ``match``)."""
        normalized = self.normalizer(word)
        longest = self._longest_from.get(normalized, 1)
        entries = self._entries_for(normalized)
        # A word with no translation gets a tuple of atoms, which the GC stops tracking.
        info = [normalized, longest, entries, []] if entries else (normalized, longest, None, ())
        self._words[word] = info
        return info

    def translations(self, phrase: str) -> tuple[Entry, ...]:
        """Translations of ``phrase`` (normalised here), best first; ``()`` when unknown."""
        return self._entries_for(self.normalizer(phrase))

    def match(self, words: Sequence[str], start: int) -> Match | None:
        """The longest source phrase starting at ``words[start]``, or ``None``."""
        # One dictionary probe per token in the common case: the per-word memo holds the
        # normalised form, the longest phrase it can start, and its own entries.
        word = words[start]
        info = self._words.get(word) or self._describe(word)
        first, longest, entries, built = info
        if longest > 1:
            longest = min(longest, len(words) - start)
            normalized = [first]
            for follower in words[start + 1 : start + longest]:
                normalized.append((self._words.get(follower) or self._describe(follower))[0])
            for size in range(longest, 1, -1):
                phrase = " ".join(normalized[:size])
                found = self._entries_for(phrase)
                if found:
                    return _new_match(start, size, phrase, found)
        if entries is None:
            return None
        if start < len(built):
            found_match = built[start]
            if found_match is not None:
                return found_match
        else:
            built.extend([None] * (start + 1 - len(built)))
        found_match = built[start] = _new_match(start, 1, first, entries)
        return found_match

    def phrases(self) -> Iterable[str]:
        """Every source phrase (normalised)."""
        return self._rows.keys()

    @property
    def entry_count(self) -> int:
        """Number of entries (a source with three translations counts three)."""
        return sum(len(rows) for rows in self._rows.values())

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, phrase: object) -> bool:
        return isinstance(phrase, str) and self.normalizer(phrase) in self._rows

    def __repr__(self) -> str:
        return (
            f"LexiconView({len(self)} phrases, {self.src_lang or '?'}→{self.tgt_lang or '?'}, "
            f"max_phrase_words={self.max_phrase_words})"
        )
