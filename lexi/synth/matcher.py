"""The lexicon matcher: greedy longest-match lookup of a chunk's words in the lexicons,
with numbers, times and calendar names planned first, and the memos that make it fast.

A chunk's matches depend only on its text, whether it is a slot value, the lexicon used
and the configuration, so :class:`LexiconMatcher` memoises them at several grains (per
chunk, per word, per phrase-starting run of words, per sense list). The memos only save
time: a fresh matcher gives the same sites.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from lexi.synth.align import Chunk
from lexi.synth.numbers import NUMBER_STARTERS, CldrNumbers, find_numbers, has_digit
from lexi.synth.sense_prior import SensePrior
from lexi.synth.sites import (
    SLOT_LEXICON,
    ChunkMatches,
    Senses,
    Site,
    cldr_site,
    moved,
    period_site,
    senses_of,
)

# Memos are per matcher (and per Synthesizer); past this many keys one is emptied
# (bounded memory on streams).
MEMO_LIMIT = 500_000


class LexiconMatch(Protocol):
    """What synthesis reads of a match (:class:`lexi.lexicon.view.Match`)."""

    length: int
    source: str
    entries: Sequence[Any]


class LexiconLike(Protocol):
    """What synthesis needs of a lexicon (:class:`lexi.lexicon.view.LexiconView`).

    Two more members are read when present (``getattr``), only to memoise more: a
    ``phrases()`` iterable of source phrases (its multi-word ones say which words may start
    a phrase) and ``max_phrase_words`` (how many words a match can read)."""

    normalizer: Callable[[str], str]

    def match(self, words: Sequence[str], start: int) -> LexiconMatch | None: ...


Analyzer = Callable[[Sequence[str]], Sequence[Any]]
Lemmatizer = Callable[[str], Sequence[str]]

_UNSEEN = object()  # memo marker: this word was not looked at yet
_IN_PHRASE = object()  # memo marker: a multi-word phrase may start here; ask the lexicon


def remember(memo: dict, key: Any, value: Any) -> Any:
    """``memo[key] = value`` (emptying ``memo`` first when full), and ``value``."""
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


# What a matcher knows of the multi-word phrases that start with a word: the most words
# one has, and their second words.
_Starts = tuple[int, frozenset[str]]
# Per phrase-starting word: how many words its match can read, and the second words that
# can continue a phrase from it (None: any word may).
_Reach = tuple[int, "frozenset[str] | None"]


def _phrase_starts(lexicon: LexiconLike) -> dict[str, _Starts] | None:
    """The first word of each multi-word source phrase → the most words a phrase starting
    with it has, and the second words of those phrases (``None``: the lexicon does not
    list its phrases)."""
    phrases: Callable[[], Iterable[str]] | None = getattr(lexicon, "phrases", None)
    if phrases is None or not callable(getattr(lexicon, "normalizer", None)):
        return None
    longest: dict[str, int] = {}
    seconds: dict[str, set[str]] = {}
    for phrase in phrases():
        if " " in phrase:
            first, *rest = phrase.split(" ")
            if len(rest) >= longest.get(first, 1):
                longest[first] = len(rest) + 1
            seconds.setdefault(first, set()).add(rest[0])
    return {first: (size, frozenset(seconds[first])) for first, size in longest.items()}


class LexiconMatcher:
    """Sites of chunks against ``lexicons`` (by index) and the ``slot_lexicon``.

    ``slot_mode`` and ``numbers_mode`` are the synthesis config's (``numbers_mode``
    resolved: ``cldr``, ``lexicon`` or ``keep``); ``numbers`` writes numbers under
    ``cldr``. A word no lexicon has is looked up again by its lemma: the first of
    ``lemmatize(word)``, else the lemma ``analyze([word])`` gives (neither: no lemma).
    """

    def __init__(
        self,
        lexicons: Sequence[LexiconLike],
        slot_lexicon: LexiconLike | None,
        *,
        slot_mode: str,
        numbers_mode: str,
        numbers: CldrNumbers | None = None,
        analyze: Analyzer | None = None,
        lemmatize: Lemmatizer | None = None,
        sense_prior: SensePrior | None = None,
    ) -> None:
        self.lexicons = tuple(lexicons)
        self.sense_prior = sense_prior
        self.slot_lexicon = slot_lexicon
        self.slot_mode = slot_mode
        self.numbers_mode = numbers_mode
        self.numbers = numbers
        self.analyze = analyze
        self.lemmatize = lemmatize
        # Memos: each maps arguments to a result that depends on nothing else.
        self._matches: dict[tuple[str, bool, int], ChunkMatches] = {}
        self._senses: dict[tuple[int, str, bool], Senses] = {}
        # Per lexicon index: word → its site at token 0, None, or _IN_PHRASE (one dict per
        # lexicon, so the hot lookup needs no (index, word) key tuple).
        self._word_sites: dict[int, dict[str, Any]] = {
            index: {} for index in (*range(len(self.lexicons)), SLOT_LEXICON)
        }
        every = [*enumerate(self.lexicons), (SLOT_LEXICON, slot_lexicon)]
        # Per lexicon: the first words of its multi-word phrases, each with the most words
        # a phrase starting with it has (None: unknown, so every lookup goes to the lexicon).
        self._phrase_starts = {
            index: _phrase_starts(lexicon) for index, lexicon in every if lexicon is not None
        }
        # Per lexicon: the most words a match can read (None: unknown, nothing memoised),
        # and (lexicon index, the words a match at a phrase-starting word reads) → its site.
        self._reach = {
            index: reach for index, lexicon in every
            if isinstance(reach := getattr(lexicon, "max_phrase_words", None), int)
        }
        self._phrase_sites: dict[tuple[int, tuple[str, ...]], Site | None] = {}
        # Per lexicon index: word that may start a phrase → how many words its match reads
        # and which second words can continue it; any word → its normalised form.
        self._word_reach: dict[int, dict[str, _Reach]] = {index: {} for index in self._reach}
        self._normalized: dict[int, dict[str, str]] = {index: {} for index in self._reach}
        self._lemmas: dict[str, str | None] = {}

    def _lemma(self, word: str) -> str | None:
        """The lemma of ``word`` taken alone (memoised): a lemma hardly depends on context,
        and looking it up per word keeps lexicon matches cacheable per chunk."""
        if word in self._lemmas:
            return self._lemmas[word]
        first = None
        if self.lemmatize is not None:
            candidates = self.lemmatize(word)
            first = candidates[0] if candidates else None
        elif self.analyze is not None:
            analyses = self.analyze([word])
            first = analyses[0].lemma if len(analyses) == 1 else None
        lemma = first if first is not None and first.lower() != word.lower() else None
        return remember(self._lemmas, word, lemma)

    def _chunk_lexicons(self, is_slot: bool, main: int) -> list[tuple[int, LexiconLike]]:
        mode = self.slot_mode
        if not is_slot:
            return [(main, self.lexicons[main])]
        if mode == "keep":
            return []
        found = [(SLOT_LEXICON, self.slot_lexicon)] if self.slot_lexicon is not None else []
        if mode == "translate":
            found.append((main, self.lexicons[main]))
        return found

    def chunk_matches(self, chunk: Chunk, main: int) -> ChunkMatches:
        """Greedy longest-match sites of ``chunk`` against lexicon ``main`` (and the slot
        lexicon inside a slot, as ``slot_mode`` says; the surface word first, then its
        lemma), and the positions of its words with no match."""
        key = (chunk.text, chunk.slot is not None, main)
        cached = self._matches.get(key)
        if cached is not None:
            return cached
        lexicons = self._chunk_lexicons(chunk.slot is not None, main)
        sites: list[Site] = []
        unknown: list[int] = []
        if lexicons:
            words, is_word = chunk.words, chunk.is_word
            # With one lexicon, a word memoised as matching alone is answered here.
            word_sites = self._word_sites[lexicons[0][0]] if len(lexicons) == 1 else {}
            # Numbers, times and calendar names: what to do where one starts. Most chunks
            # have none; the pre-check is lexi.synth.numbers.may_hold_numbers, inlined.
            plan = (
                self._number_plan(chunk, lexicons)
                if not NUMBER_STARTERS.isdisjoint(words) or has_digit(chunk.text) else None
            )
            # Where a lexicon match must stop short: the start of an expression written
            # whole (by CLDR, kept, or by a lexicon entry for all of it) and of the am/pm
            # of a time, so that a phrase such as "at five" cannot swallow half of "five
            # am" and leave "am" to the lexicon.
            stops = sorted(k for k, (action, _) in plan.items() if action != "lexicon") \
                if plan else ()
            numbers_end = 0  # tokens before this are number words the lexicon translates
            k = 0
            while k < len(words):
                if not is_word[k]:
                    k += 1
                    continue
                if plan and k in plan:
                    action, value = plan[k]
                    if action == "site":
                        sites.append(value)
                        k += value.length
                        continue
                    if action == "skip":  # written as in the source; not "untranslated"
                        k = value
                        continue
                    numbers_end = value  # "lexicon", "whole": the lexicon writes the words
                site = word_sites.get(words[k], _UNSEEN)
                if site is _UNSEEN or site is _IN_PHRASE:
                    site = self._site_at(words, is_word, k, lexicons)
                elif site is not None and k:
                    site = Site(k, *site[1:])
                if stops and site is not None and site.length > 1:
                    stop = next((j for j in stops if j > k), None)
                    if stop is not None and k + site.length > stop:
                        site = self._site_at(words[:stop], is_word[:stop], k, lexicons)
                if site is None:
                    unknown.append(k)
                    k += 1
                else:
                    if k < numbers_end:
                        site = Site(*site[:-1], "lexicon_numbers")
                    sites.append(site)
                    k += site.length
        return remember(self._matches, key, (tuple(sites), tuple(unknown)))

    def _number_plan(
        self, chunk: Chunk, lexicons: list[tuple[int, LexiconLike]]
    ) -> dict[int, tuple[str, Any]] | None:
        """Token index → what to do with the number expression that starts there:
        ``("site", Site)`` (written with CLDR), ``("skip", end)`` (kept as in the source,
        never looked up: ``--numbers keep``, or an am/pm CLDR has no word for),
        ``("lexicon", end)`` (the words up to ``end`` go through the lexicon, which may
        also read them as part of a phrase that starts earlier) or ``("whole", end)`` (a
        lexicon entry covers the whole expression and is matched from its start)."""
        exprs = find_numbers(chunk.words, chunk.gaps)
        if not exprs:
            return None
        mode = self.numbers_mode
        plan: dict[int, tuple[str, Any]] = {}
        for expr in exprs:
            if mode == "keep":
                plan[expr.start] = ("skip", expr.end)
                continue
            # A lexicon entry for the whole expression (a slot lexicon's "five am") wins:
            # under cldr only the slot lexicon's, inside a slot; under lexicon any entry
            # for a whole time (the am/pm it covers is then no verb "be").
            if mode == "lexicon":
                timed = expr.period_start is not None and expr.period_start < expr.end
                whole = lexicons if timed else ()
            elif chunk.slot is not None and lexicons[0][0] == SLOT_LEXICON:
                whole = lexicons[:1]
            else:
                whole = ()
            if whole:
                mine = self._site_at(chunk.words, chunk.is_word, expr.start, whole)
                if mine is not None and expr.start + mine.length >= expr.end:
                    plan[expr.start] = ("whole", expr.end)
                    continue
            if mode == "cldr":
                site = cldr_site(self.numbers, chunk, expr)
                if site is not None:
                    plan[expr.start] = ("site", site)
                    continue
            # The lexicon writes the number; am/pm is never looked up (it is not "be").
            if expr.kind in ("weekday", "month"):
                continue
            start = expr.period_start if expr.period_start is not None else expr.end
            if start > expr.start:
                plan[expr.start] = ("lexicon", start)
            if start < expr.end:
                period = period_site(self.numbers, chunk, expr)
                plan[start] = ("site", period) if period is not None else ("skip", expr.end)
        return plan

    def _site_at(
        self, words: tuple[str, ...], is_word: tuple[bool, ...], k: int,
        lexicons: list[tuple[int, LexiconLike]],
    ) -> Site | None:
        for index, lexicon in lexicons:
            # Most words can start no multi-word phrase: then the match depends on the word
            # alone, and is memoised per word (with token 0) instead of asked again.
            word = words[k]
            word_sites = self._word_sites[index]
            known = word_sites.get(word, _UNSEEN)
            if known is None:
                continue
            if known is not _UNSEEN and known is not _IN_PHRASE:
                return known if k == 0 else moved(known, k)
            if known is _UNSEEN:
                alone = self._single_word(index, lexicon, word)
                remember(word_sites, word, alone)
                if alone is None:
                    continue
                if alone is not _IN_PHRASE:
                    return alone if k == 0 else moved(alone, k)
            site = self._phrase_site(index, lexicon, words, is_word, k)
            if site is not None:
                return site
        return None

    def _phrase_site(
        self, index: int, lexicon: LexiconLike, words: tuple[str, ...],
        is_word: tuple[bool, ...], k: int,
    ) -> Site | None:
        """The site at ``k`` of a word that may start a multi-word phrase. A match reads no
        further than the longest phrase that starts with the word (or its lemma), so it is
        memoised by the words within that reach (the same few words recur in many
        different sentences; most such words start only two-word phrases, so a key of two
        words is met again far more often than one of the lexicon's longest phrase). When
        the next word is no second word of those phrases, the match is the word's alone."""
        longest = self._reach.get(index)
        if longest is None:  # a lexicon that does not say how far a match reads
            return self._match_at(index, lexicon, words, is_word, k)
        word = words[k]
        found = self._word_reach[index].get(word)
        if found is None:
            found = remember(self._word_reach[index], word,
                             self._reach_of(index, lexicon, word, longest))
        reach, seconds = found
        if seconds is not None and k + 1 < len(words):
            follower = words[k + 1]
            normalized = self._normalized[index].get(follower)
            if normalized is None:
                normalized = remember(self._normalized[index], follower,
                                      lexicon.normalizer(follower))
            # A follower that normalises to no word or to several might be read otherwise.
            if normalized not in seconds and normalized and " " not in normalized:
                reach = 1
        # The key starts with the word, which fixes the reach (or, at 1, says that the
        # words after it cannot matter): keys of different reaches never meet.
        key = (index, words[k : k + reach])
        site = self._phrase_sites.get(key, _UNSEEN)
        if site is _UNSEEN:
            site = remember(self._phrase_sites, key, self._match_at(
                index, lexicon, key[1], is_word[k : k + reach], 0
            ))
        return site if site is None or k == 0 else moved(site, k)

    def _reach_of(self, index: int, lexicon: LexiconLike, word: str, longest: int) -> _Reach:
        """How many words from ``word`` on a match can read: the most words of a phrase
        that starts with the word or with its lemma (a match falls back to the lemma), at
        most ``longest``, and the second words of those phrases; ``(longest, None)`` when
        either does not normalise to one plain word (the lexicon may then read on in ways
        the phrase list does not show)."""
        firsts = self._phrase_starts[index]
        if firsts is None:
            return longest, None
        normalize = lexicon.normalizer
        lemma = self._lemma(word)
        reach = 1
        seconds: frozenset[str] = frozenset()
        for form in (word, lemma) if lemma else (word,):
            normalized = normalize(form)
            if not normalized or " " in normalized:
                return longest, None
            size, more = firsts.get(normalized, (1, frozenset()))
            reach = max(reach, size)
            seconds |= more
        return min(reach, longest), seconds

    def _single_word(self, index: int, lexicon: LexiconLike, word: str) -> Any:
        """The site of ``word`` at token 0 when no multi-word phrase can start with it (or
        with its lemma, when the lemma is looked up), ``None`` when it has no translation,
        else ``_IN_PHRASE``."""
        firsts = self._phrase_starts[index]
        normalize = lexicon.normalizer
        if firsts is None or normalize(word) in firsts:
            return _IN_PHRASE
        if lexicon.match((word,), 0) is None:
            lemma = self._lemma(word)
            if lemma and normalize(lemma) in firsts:
                return _IN_PHRASE
        return self._match_at(index, lexicon, (word,), (True,), 0)

    def _match_at(
        self, index: int, lexicon: LexiconLike, words: tuple[str, ...],
        is_word: tuple[bool, ...], k: int,
    ) -> Site | None:
        via_lemma = False
        match = lexicon.match(words, k)
        if match is None:
            lemma = self._lemma(words[k])
            if lemma:
                match = lexicon.match((*words[:k], lemma, *words[k + 1 :]), k)
                via_lemma = match is not None
        if match is None:
            return None
        end = k + match.length
        capital = words[k][:1].isupper()
        senses = self._senses.get((index, match.source, capital))
        if senses is None:
            senses = remember(
                self._senses, (index, match.source, capital),
                senses_of(match.entries, capital, self.sense_prior),
            )
        if not senses[0]:
            return None
        return Site(
            k, match.length, " ".join(words[k:end]), match.source, *senses, index,
            via_lemma, sum(is_word[k:end]), capital,
        )

