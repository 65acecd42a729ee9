"""An in-memory, read-only lexicon with longest-match lookup, fast enough for synthesis.

Every source phrase maps to its :class:`Entry` records, built with the view (a store
builds them while it reads its rows: :mod:`lexi.lexicon.store`), so a lookup never
creates entries. ``match`` answers a word it has met before with one probe of a per-word
memo; at a word that starts a multi-word source, a second probe (is the next word the
second word of such a source?) settles most cases, and only the lengths such sources
have are tried. ``scan`` walks a whole sentence with greedy longest match (left to right,
as synthesis and coverage walk one) in one loop, without a method call per word. Lookups
add almost nothing for Python's cyclic garbage collector to scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from lexi.lexicon.model import Entry, Normalizer
from lexi.lexicon.senses import Row, best_first, new_entry


class Match(NamedTuple):
    """``words[start:start + length]`` normalise to ``source``, which translates to ``entries``.

    A named tuple (immutable, compared by value): ``match`` builds one per call with a
    single C call, which costs less than keeping one per word and position, and leaves
    nothing for the garbage collector to scan.
    """

    start: int
    length: int
    source: str
    entries: tuple[Entry, ...]


_tuple_new = tuple.__new__
# What ``scan`` gives per match: a Match's fields, ``(start, length, source, entries)``.
Span = tuple[int, int, str, tuple[Entry, ...]]


class _Special(NamedTuple):
    """A LexiconView memo value for a word that needs more than its entries (see
    LexiconView._meet). Its own type, so that a lookup tells it from a plain word's
    entries (an exact tuple) by the value's type, without reading the value's items."""

    normalized: str | None
    entries: tuple[Entry, ...] | None
    seconds: dict[str, tuple] | None


# What ``scan`` reads for a word not met yet.
_UNSEEN = _Special(None, None, None)
# The lengths of the sources that start with a given pair of words when only a two-word
# source does (the usual case): one shared object, told by identity (see _phrase).
_ONLY_TWO = (2,)


def _lengths(sizes: set[int]) -> tuple[int, ...]:
    """How many words sources starting with a given pair of words have, most first."""
    return _ONLY_TWO if sizes == {2} else tuple(sorted(sizes, reverse=True))




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
            {source: tuple([new_entry(source, *row) for row in senses])
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
        pairs: dict[str, dict[str, list]] = {}
        longest = 1
        for phrase, found in entries.items():
            if " " in phrase:
                first, *rest = phrase.split(" ")
                size = len(rest) + 1
                pair = pairs.setdefault(first, {}).setdefault(rest[0], [set(), None, None])
                pair[0].add(size)
                if size == 2:
                    pair[1:] = phrase, found
                if size > self._longest_from.get(first, 1):
                    self._longest_from[first] = size
                longest = max(longest, size)
        self.max_phrase_words = longest
        # First word of a multi-word source → its second word → (how many words the
        # sources starting with those two words have, most first; the two-word source
        # and its entries, or None, None).
        self._seconds: dict[str, dict[str, tuple]] = {
            first: {
                second: (_lengths(sizes), phrase, found)
                for second, (sizes, phrase, found) in by.items()
            }
            for first, by in pairs.items()
        }
        # What _meet answers for a word written as its own normalised form that is a
        # single-word source or starts a multi-word one (most words of a text that the
        # lexicon knows): found with one probe, without normalising the word.
        normalize = self.normalizer
        self._sources: dict[str, tuple[Entry, ...] | _Special] = {
            phrase: found for phrase, found in entries.items()
            if " " not in phrase and normalize(phrase) == phrase
        }
        for first, seconds in self._seconds.items():
            if normalize(first) == first:
                self._sources[first] = _Special(first, entries.get(first), seconds)
        # Per-view memo (not a module global), filled as words are met (so the words met
        # most often sit close together in memory): surface word → what ``match`` needs
        # to know about it (see _meet). It holds objects that exist already and a few new
        # ones, so it gives the GC almost nothing to scan.
        self._known: dict[str, tuple[Entry, ...] | _Special | None] = {}

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

    @classmethod
    def stacked(cls, views: Sequence[LexiconView]) -> LexiconView:
        """``views`` as one, in priority order: a phrase's entries are those of the first
        view that has it (what a priority merge writes), with the first view's normaliser
        and languages; a later view's phrases are normalised again if its normaliser
        differs."""
        if not views:
            raise ValueError("stacked() needs at least one view")
        first = views[0]
        norm = first.normalizer
        entries: dict[str, tuple[Entry, ...]] = {}
        for view in views:
            same = view.normalizer == norm
            for phrase, found in view._entries.items():
                key = phrase if same else norm(phrase)
                if key and key not in entries:
                    entries[key] = found if key == phrase else tuple(
                        new_entry(key, e.target, e.pos, e.weight, e.provenance) for e in found)
        return cls._of_entries(entries, norm, first.src_lang, first.tgt_lang)

    def translations(self, phrase: str) -> tuple[Entry, ...]:
        """Translations of ``phrase`` (normalised here), best first; ``()`` when unknown."""
        return self._entries.get(self.normalizer(phrase), ())

    def match(self, words: Sequence[str], start: int) -> Match | None:
        """The longest source phrase starting at ``words[start]``, or ``None``."""
        # The common case is one probe of the per-word memo, and the Match is a named tuple
        # built in one C call (the caller drops it: nothing accumulates for the GC). With a
        # large lexicon every probe is a likely CPU cache miss, so a word that normalises
        # to itself takes the caller's string as the Match's source (equal to the
        # normalised one), instead of reaching for another object.
        word = words[start]
        try:
            known = self._known[word]
        except KeyError:
            known = self._meet(word)
        if known is None:
            return None
        if type(known) is tuple:
            return _tuple_new(Match, (start, 1, word, known))
        normalized, entries, seconds = known
        if seconds is not None and start + 1 < len(words):
            longer = self._phrase(words, start, normalized, seconds)
            if longer is not None:
                return _tuple_new(Match, longer)
        return None if entries is None else _tuple_new(Match, (start, 1, normalized, entries))

    def scan(self, words: Sequence[str]) -> list[Span]:
        """Greedy longest match over a whole sentence: the longest source phrase at each
        position that no earlier match covers, left to right, skipping the words a match
        covers. One ``(start, length, source, entries)`` tuple per match, in order
        (positions with none are left out), equal to the :class:`Match` that ``match``
        gives at that position: one call instead of one per word, and plain tuples, which
        cost about a quarter of a Match to build (in a warm 1M-entry view, building
        Matches instead measured about 15 % slower over the whole walk)."""
        # ``match`` inlined in one loop (a plain ``for`` costs less here than zip, map or
        # enumerate), with no method call unless a word is new or may start a multi-word
        # source: a word met before costs a memo test and subscript (one slot), two
        # identity tests and a tuple.
        found: list[Span] = []
        memo = self._known
        append = found.append
        last = len(words) - 1
        start = -1
        rest = iter(words)
        for word in rest:
            start += 1
            # ``in`` and a subscript rather than ``memo.get(word, _UNSEEN)``: neither is a
            # method call, and the second probe finds the slot the first one just read.
            if word in memo:
                known = memo[word]
            else:
                # A word met for the first time: _meet inlined for the words written as a
                # source (most new words of a text that the lexicon knows), the rest
                # through _meet_other; no method call for the common kind.
                known = self._sources.get(word, _UNSEEN)
                if known is _UNSEEN:
                    known = self._meet_other(word)
                else:
                    memo[word] = known
            if known is None:
                continue
            if type(known) is tuple:
                append((start, 1, word, known))
                continue
            normalized, entries, seconds = known
            if seconds is not None and start < last:
                longer = self._phrase(words, start, normalized, seconds)
                if longer is not None:
                    append(longer)
                    for _ in range(longer[1] - 1):  # the words it covers start no match
                        next(rest)
                    start += longer[1] - 1
                    continue
            if entries is not None:
                append((start, 1, normalized, entries))
        return found

    def _meet(self, word: str) -> tuple[Entry, ...] | _Special | None:
        """Normalise a word met for the first time and remember what ``match`` needs:

        - ``None``: no translation, starts no multi-word source, normalises to itself;
        - its entries (a tuple of Entry): the same, with a translation;
        - a :class:`_Special` ``(normalised, entries or None, second words or None)``: a
          word that normalises to another string (``Alarm`` → ``alarm``) or starts a
          multi-word source (then the second words of those sources: see ``_seconds``).

        One probe answers every word, and telling the kinds apart costs no cache miss
        beyond the one building the Match costs anyway: ``type(value)`` sits beside the
        reference count in the value's header, while reading an item (a marker in the
        first slot, as before) also touches the Entry it holds (measured: about a
        quarter of a plain word's time in a 1M-entry view). A second dict for the
        uncommon words measured slower overall: each of them then costs two probes.
        """
        known = self._sources.get(word, _UNSEEN)
        if known is _UNSEEN:
            return self._meet_other(word)
        self._known[word] = known
        return known

    def _meet_other(self, word: str) -> tuple[Entry, ...] | _Special | None:
        """:meth:`_meet` for a word that is not a key of ``_sources``."""
        normalized = self.normalizer(word)
        if normalized == word:
            # Not in _sources although written as normalised: no single-word source
            # and no first word of one (a word with a space may be a whole source).
            known = self._entries.get(word) if " " in word else None
        else:
            # Written otherwise (``Alarm``): its normal form's _sources value, when it has
            # one, holds what _entries and _seconds would say (one probe of a large dict
            # instead of two, and no new object when the form starts a multi-word source).
            as_source = self._sources.get(normalized)
            if type(as_source) is _Special:
                known = as_source
            elif as_source is not None:
                known = _tuple_new(_Special, (normalized, as_source, None))
            else:
                known = _tuple_new(_Special, (
                    normalized, self._entries.get(normalized), self._seconds.get(normalized)))
        self._known[word] = known
        return known

    def _normalized(self, word: str) -> str:
        try:
            known = self._known[word]
        except KeyError:
            known = self._meet(word)
        return word if known is None or type(known) is tuple else known[0]

    def _phrase(
        self, words: Sequence[str], start: int, first: str, seconds: dict[str, tuple]
    ) -> Span | None:
        """The longest multi-word source at ``start`` (``None``: none), where ``first``
        starts some (``seconds``: see ``_seconds``) and a word follows. Unless that word
        is the second word of one of them (one probe), none matches."""
        # The follower's memo entry, which the caller reads next anyway.
        follower = words[start + 1]
        try:
            known = self._known[follower]
        except KeyError:
            known = self._meet(follower)
        second = follower if known is None or type(known) is tuple else known[0]
        pair = seconds.get(second)
        if pair is not None:
            if pair[0] is _ONLY_TWO:
                # Only a two-word source starts with these two words (a longer phrase
                # would need a third word that no source has): no probe needed.
                return (start, 2, pair[1], pair[2])
            return self._longer(words, start, first, second, pair)
        if " " in second:  # a word that normalises to several words
            return self._longest(words, start, first)
        return None

    def _longer(
        self, words: Sequence[str], start: int, first: str, second: str, pair: tuple
    ) -> Span | None:
        """The longest source at ``start`` whose first two words are ``first second``,
        trying only the lengths such sources have (``pair``: see ``_seconds``)."""
        sizes, phrase, found = pair
        top = min(sizes[0], len(words) - start)
        normalized = [first, second]
        for word in words[start + 2 : start + top]:
            norm = self._normalized(word)
            if not norm or " " in norm:  # an odd token: try every length, as _longest does
                return self._longest(words, start, first)
            normalized.append(norm)
        entries = self._entries
        for size in sizes:
            if size == 2:
                return (start, 2, phrase, found)
            if size <= top:
                longer = " ".join(normalized[:size])
                longer_found = entries.get(longer)
                if longer_found is not None:
                    return (start, size, longer, longer_found)
        return None

    def _longest(self, words: Sequence[str], start: int, first: str) -> Span | None:
        """The longest multi-word source at ``start`` (``None``: none), trying every length
        from the longest source that starts with ``first`` down to two words."""
        reach = min(self._longest_from[first], len(words) - start)
        normalized = [first]
        for word in words[start + 1 : start + reach]:
            normalized.append(self._normalized(word))
        entries = self._entries
        for size in range(reach, 1, -1):
            phrase = " ".join(normalized[:size])
            found = entries.get(phrase)
            if found is not None:
                return (start, size, phrase, found)
        return None

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
