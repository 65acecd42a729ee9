"""The operators: seeded, pure functions from one source utterance to synthetic ones.

How they compose (fixed, whatever the order in ``--ops``):

* ``translate`` writes every word the lexicon knows in the target language (longest
  multi-word match first); unknown words are kept or dropped.
* ``codeswitch`` is ``translate`` restricted to a random ``token_ratio`` of the translatable
  words, in a random ``sentence_ratio`` of the sentences (CoSDA-ML); with several lexicons
  each switched word comes from a random one of them.
* ``phonetic`` is ``translate`` whose target words are then written through epitran.
* ``inflect`` is a modifier: every generator puts a translated single word into the form
  the morphology module derives from the English word's analysis (``alarms`` →
  plural of ``kengele``).
* Slot values follow ``slot_mode`` in every generator.

Each generator writes ``per_utterance`` rows per source row; row ``i`` of generator ``op``
draws all its randomness from a :class:`SeededStream` keyed by (seed, source id, op, i), so
a row does not depend on which other rows, operators or source rows were produced, nor in
what order.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any, NamedTuple, Protocol

from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.lexicon.model import Entry
from lexi.synth.align import Chunk, render, split_chunks
from lexi.synth.config import GENERATORS, SynthConfig
from lexi.synth.numbers import (
    NUMBER_STARTERS,
    CldrNumbers,
    NumberExpr,
    cldr_numbers,
    find_numbers,
    has_digit,
    resolve_numbers,
)

_UNUSABLE = re.compile(r"[\[\]\n\r]")
SLOT_LEXICON = -1  # Site.lexicon for a match in the slot lexicon
CLDR = -2  # Site.lexicon for a number, time or calendar name written with CLDR
# What the report counts a site as (Site.tally), by the CLDR entry's part of speech.
_CLDR_TALLY = {"NUM": "cldr_numbers", "PROPN": "cldr_names", "NOUN": "cldr_periods"}
# Source-row fields that describe the English text and would be false for a synthetic row.
SOURCE_ONLY_FIELDS = ("judgments", "lexi")
# Memos are per Synthesizer; past this many keys one is emptied (bounded memory on streams).
MEMO_LIMIT = 500_000


class LexiconLike(Protocol):
    """What synthesis needs of a lexicon (:class:`lexi.lexicon.view.LexiconView`)."""

    def match(self, words: Sequence[str], start: int) -> Any: ...


class MorphologyLike(Protocol):
    """What synthesis needs of a morphology (:class:`lexi.morph.Morphology`)."""

    def inflect(self, target_lemma: str, source: Any) -> Any: ...


Analyzer = Callable[[Sequence[str]], Sequence[Any]]
Lemmatizer = Callable[[str], Sequence[str]]
Transcriber = Callable[[str], str]


class SeededStream:
    """Random numbers as a pure function of a key: BLAKE2b of (key, draw number).

    One stream per synthetic row. ``random.Random`` would do, but seeding its Mersenne
    Twister costs about 10 µs, half of a row's budget at 20,000 rows/s; a hashed draw
    costs under 1 µs and a row needs a handful.
    """

    __slots__ = ("_key", "_count")

    def __init__(self, key: str) -> None:
        self._key = key.encode("utf-8")
        self._count = 0

    def random(self) -> float:
        """A float in [0, 1)."""
        self._count += 1
        digest = hashlib.blake2b(
            self._key + self._count.to_bytes(4, "little"), digest_size=8
        ).digest()
        return (int.from_bytes(digest, "little") >> 11) * (1.0 / 9007199254740992.0)

    def below(self, n: int) -> int:
        """An int in [0, n)."""
        return min(int(self.random() * n), n - 1)

    def weighted(self, cumulative: Sequence[float]) -> int:
        """An index drawn with probability proportional to the weights whose running sum
        is ``cumulative`` (last element > 0)."""
        draw = self.random() * cumulative[-1]
        return min(bisect.bisect_right(cumulative, draw), len(cumulative) - 1)

    def shuffle(self, items: list) -> None:
        """Fisher–Yates, in place."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


class Site(NamedTuple):
    """A lexicon match in a chunk: tokens ``token .. token+length-1`` (``text``, ``words``
    of them words) translate to ``entries`` (best first) of lexicon ``lexicon``
    (:data:`SLOT_LEXICON`: the slot one; :data:`CLDR`: a number, time or calendar name
    written with CLDR). ``targets`` are the entries' targets as written here (single
    spaces, capitalised after a capitalised source word); ``cumulative`` holds the running
    sum of the entries' weights (``None`` when all are zero). ``tally``: what the report
    counts this site as (``cldr_numbers``, ``lexicon_numbers`` …), ``None`` for a word."""

    token: int
    length: int
    text: str
    source: str
    entries: tuple[Any, ...]
    targets: tuple[str, ...]
    cumulative: tuple[float, ...] | None
    lexicon: int
    via_lemma: bool
    words: int
    capital: bool
    tally: str | None = None


# Per chunk: its sites, and the positions of its words no lexicon knows.
ChunkMatches = tuple[tuple[Site, ...], tuple[int, ...]]


@dataclass
class Prepared:
    """A source utterance cut into chunks, with its lexicon matches (per main lexicon,
    per chunk), computed once and shared by every row made from it."""

    utt: Utterance
    chunks: tuple[Chunk, ...]
    word_count: int
    analyses: Sequence[Any] | None = None
    matches: dict[int, tuple[ChunkMatches, ...]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens(self) -> list[str]:
        return [word for chunk in self.chunks for word in chunk.words]


@dataclass
class SynthResult:
    """What one source row gave: ``rows`` (the source first under ``keep_source``), and the
    counts the summary adds up."""

    source: Utterance
    rows: list[Utterance]
    words: int = 0
    replaced: list[int] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    untranslated: tuple[str, ...] = ()
    inflections: Counter = field(default_factory=Counter)
    # Over the rows written: numbers by how they were written (Site.tally), and the words
    # inflect changed by where the form came from (the records' "morph": table, learned).
    # None until there is one (a Counter per source row would cost synthesis speed).
    numbers: Counter | None = None
    inflected: Counter | None = None


def usable_entries(entries: Sequence[Any]) -> tuple[Any, ...]:
    """Entries that can stand in running text: not empty (it would erase a word), no
    brackets or line breaks (they would break ``annot_utt`` markup or jsonl), and not a
    bound morpheme such as Wiktionary's ``-li-`` (an affix, not a word)."""
    return tuple(
        e for e in entries
        if e.target.strip() and not _UNUSABLE.search(e.target)
        and not e.target.startswith("-") and not e.target.endswith("-")
    )


_UNSEEN = object()  # memo marker: this word was not looked at yet
_IN_PHRASE = object()  # memo marker: a multi-word phrase may start here; ask the lexicon


def _phrase_starts(lexicon: LexiconLike) -> frozenset[str] | None:
    phrases = getattr(lexicon, "phrases", None)
    if phrases is None or not callable(getattr(lexicon, "normalizer", None)):
        return None
    return frozenset(p.split(" ", 1)[0] for p in phrases() if " " in p)


# A source phrase's usable entries, their targets as written, and their cumulative weights.
_Senses = tuple[tuple[Any, ...], tuple[str, ...], "tuple[float, ...] | None"]


def _senses(entries: Sequence[Any], capital: bool) -> _Senses:
    usable = usable_entries(entries)
    if not usable:
        return (), (), None
    weights = list(accumulate(max(float(e.weight), 0.0) for e in usable))
    targets = tuple(_written(e.target, capital) for e in usable)
    return usable, targets, tuple(weights) if weights[-1] > 0 else None


def _written(form: str, capital: bool) -> str:
    """``form`` as it goes into text: single spaces, capitalised after a capital."""
    form = " ".join(form.split())
    if capital and form[:1].islower():
        return form[:1].upper() + form[1:]
    return form


def _moved(site: Site, token: int) -> Site:
    """``site`` at ``token`` (as ``site._replace(token=token)``, which costs several times more)."""
    return Site(token, *site[1:])


def _remember(memo: dict, key: Any, value: Any) -> Any:
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


class Synthesizer:
    """Turns source utterances into synthetic target-language ones.

    ``lexicons``: one or more source→target lexicons (several: codeswitch mixes them,
    translate picks one per row). ``slot_lexicon``: values for slots (e.g. CLDR weekdays).
    ``analyze``: English analyser (``lexi.morph.english.analyze_english``): a word the
    lexicon lacks is looked up again by its lemma, and ``inflect`` reads the features of
    the analysed sentence. ``lemmatize``: word → its possible lemmas, most likely first
    (``lexi.morph.english.lemma_candidates``); when given, it finds the lemma of a word
    the lexicon lacks instead of ``analyze``, which also works out features nobody reads
    there and costs several times more. ``morphology``: target inflection, needed by
    ``inflect``.
    ``transcribe``: word → phonetic form, needed by ``phonetic``. ``lexicon_names`` label
    lexicons in provenance. ``numbers``: the CLDR speller of numbers, times and calendar
    names (default: :func:`~lexi.synth.numbers.cldr_numbers` of the config's locale);
    ``config.numbers == "auto"`` becomes ``cldr`` when it has spell-out rules, else
    ``lexicon`` (``self.config`` holds the resolved mode).

    Results depend only on the configuration, the resources and the source row; the
    memos the instance keeps (tokenisation, matches, inflections) only save time.
    """

    def __init__(
        self,
        config: SynthConfig,
        lexicons: Sequence[LexiconLike],
        *,
        slot_lexicon: LexiconLike | None = None,
        analyze: Analyzer | None = None,
        morphology: MorphologyLike | None = None,
        transcribe: Transcriber | None = None,
        lexicon_names: Sequence[str] | None = None,
        lemmatize: Lemmatizer | None = None,
        numbers: CldrNumbers | None = None,
    ) -> None:
        if not lexicons:
            raise LexiError("synthesis needs at least one lexicon", hint="pass --lexicon")
        if config.slot_mode == "localise" and slot_lexicon is None:
            raise LexiError(
                "slot mode 'localise' needs a slot lexicon",
                hint="pass --slot-lexicon (e.g. a CLDR lexicon), or use --slot-mode translate",
            )
        if config.inflect and morphology is None:
            raise LexiError("operator 'inflect' needs a morphology", hint="pass --morph LANG")
        if "phonetic" in config.generators and transcribe is None:
            raise LexiError("operator 'phonetic' needs a transcriber", hint="pass --phonetic-lang")
        if numbers is None and config.locale and config.numbers != "keep":
            numbers = cldr_numbers(config.locale)
        mode = resolve_numbers(config.numbers, numbers)
        if mode != config.numbers:
            config = replace(config, numbers=mode)
        self.config = config
        self.numbers = numbers if mode != "keep" else None
        # Untranslated words --unknown drops outside slots: all of them, some, or none.
        self._drops: frozenset[str] | None = (
            frozenset(word.lower() for word in config.function_words)
            if config.unknown == "drop-function-words" else None
        )
        self.lexicons = tuple(lexicons)
        self.slot_lexicon = slot_lexicon
        self.analyze = analyze
        self.lemmatize = lemmatize
        self.morphology = morphology
        self.transcribe = transcribe
        self.lexicon_names = tuple(lexicon_names or (f"lexicon{i}" for i in range(len(lexicons))))
        self._params = {op: config.params_for(op) for op in config.generators}
        self._inflecting = config.inflect
        # Per-instance memos: each maps arguments to a result that depends on nothing else.
        self._layouts: dict = {}
        self._matches: dict[tuple[str, bool, int], ChunkMatches] = {}
        self._senses: dict[tuple[int, str, bool], _Senses] = {}
        # Per lexicon index: word → its site at token 0, None, or _IN_PHRASE (one dict per
        # lexicon, so the hot lookup needs no (index, word) key tuple).
        self._word_sites: dict[int, dict[str, Any]] = {
            index: {} for index in (*range(len(self.lexicons)), SLOT_LEXICON)
        }
        # Per lexicon: the first words of its multi-word phrases (None: unknown, so every
        # lookup goes to the lexicon).
        self._phrase_starts = {
            index: _phrase_starts(lexicon)
            for index, lexicon in [*enumerate(self.lexicons), (SLOT_LEXICON, slot_lexicon)]
            if lexicon is not None
        }
        # Per lexicon: the most words a match can read (None: unknown, nothing memoised),
        # and (lexicon index, the words a match at a phrase-starting word reads) → its site.
        self._reach = {
            index: reach
            for index, lexicon in [*enumerate(self.lexicons), (SLOT_LEXICON, slot_lexicon)]
            if isinstance(reach := getattr(lexicon, "max_phrase_words", None), int)
        }
        self._phrase_sites: dict[tuple[int, tuple[str, ...]], Site | None] = {}
        self._lemmas: dict[str, str | None] = {}
        self._inflected: dict[tuple, tuple[str, str]] = {}
        self._transcribed: dict[str, str] = {}

    # -- preparing a source row ---------------------------------------------------------

    def prepare(self, utt: Utterance) -> Prepared:
        chunks = split_chunks(utt, self._layouts)
        if len(self._layouts) >= MEMO_LIMIT:
            self._layouts.clear()
        words = sum(sum(chunk.is_word) for chunk in chunks)
        # The source fields every synthetic row of this source carries over.
        metadata = {k: v for k, v in utt.metadata.items() if k not in SOURCE_ONLY_FIELDS}
        return Prepared(utt, chunks, words, metadata=metadata)

    def _analyses(self, prep: Prepared) -> Sequence[Any] | None:
        if prep.analyses is None and self.analyze is not None:
            tokens = prep.tokens
            analyses = self.analyze(tokens) if tokens else ()
            prep.analyses = analyses if len(analyses) == len(tokens) else ()
        return prep.analyses or None

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
        return _remember(self._lemmas, word, lemma)

    def _chunk_lexicons(self, is_slot: bool, main: int) -> list[tuple[int, LexiconLike]]:
        mode = self.config.slot_mode
        if not is_slot:
            return [(main, self.lexicons[main])]
        if mode == "keep":
            return []
        found = [(SLOT_LEXICON, self.slot_lexicon)] if self.slot_lexicon is not None else []
        if mode == "translate":
            found.append((main, self.lexicons[main]))
        return found

    def matches(self, prep: Prepared, main: int = 0) -> tuple[ChunkMatches, ...]:
        """Per chunk of ``prep``: greedy longest-match sites against lexicon ``main`` (and
        the slot lexicon inside slots; the surface word first, then its lemma), and the
        positions of words with no match."""
        found = prep.matches.get(main)
        if found is None:
            found = prep.matches[main] = tuple(
                self._chunk_matches(chunk, main) for chunk in prep.chunks
            )
        return found

    def _chunk_matches(self, chunk: Chunk, main: int) -> ChunkMatches:
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
        return _remember(self._matches, key, (tuple(sites), tuple(unknown)))

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
        mode = self.config.numbers
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
                site = self._cldr_site(chunk, expr)
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
                period = self._period_site(chunk, expr)
                plan[start] = ("site", period) if period is not None else ("skip", expr.end)
        return plan

    def _number_site(
        self, chunk: Chunk, start: int, end: int, target: str, pos: str, provenance: str,
        tally: str,
    ) -> Site:
        words = chunk.words
        text = words[start] + "".join(
            [chunk.gaps[j] + words[j] for j in range(start + 1, end)]
        )
        capital = words[start][:1].isupper()
        if pos == "PROPN" and not capital:
            # Names follow the English word's case: MASSIVE writes "friday", "ijumaa".
            target = target[:1].lower() + target[1:]
        entry = Entry(text, target, pos, 1.0, provenance)
        return Site(
            start, end - start, text, text, (entry,), (_written(target, capital),), None, CLDR,
            False, sum(chunk.is_word[start:end]), capital, tally,
        )

    def _cldr_site(self, chunk: Chunk, expr: NumberExpr) -> Site | None:
        """``expr`` written with CLDR, or ``None`` where CLDR has nothing for it."""
        spelled = self.numbers.spell(expr) if self.numbers is not None else None
        if spelled is None:
            return None
        pos = "PROPN" if expr.kind in ("weekday", "month") else "NUM"
        return self._number_site(
            chunk, expr.start, expr.end, spelled.text, pos, spelled.provenance, _CLDR_TALLY[pos]
        )

    def _period_site(self, chunk: Chunk, expr: NumberExpr) -> Site | None:
        """The am/pm words of a time whose number the lexicon writes: CLDR's day-period
        word for that hour, or ``None`` (no word, or am/pm glued to the digits)."""
        start = expr.period_start
        if self.numbers is None or expr.period is None or start is None \
                or chunk.words[start].lower() not in ("am", "pm", "a", "p"):
            return None
        hour = int(expr.value)
        clock = hour % 12 + (12 if expr.period == "pm" else 0) if hour <= 12 else hour
        word = self.numbers.day_period(clock, expr.minute)[0]
        if word is None:
            return None
        language = self.numbers.rbnf or self.numbers.babel.language
        return self._number_site(
            chunk, start, expr.end, word, "NOUN", f"cldr:{language}:day_period", "cldr_periods"
        )

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
                return known if k == 0 else _moved(known, k)
            if known is _UNSEEN:
                alone = self._single_word(index, lexicon, word)
                _remember(word_sites, word, alone)
                if alone is None:
                    continue
                if alone is not _IN_PHRASE:
                    return alone if k == 0 else _moved(alone, k)
            site = self._phrase_site(index, lexicon, words, is_word, k)
            if site is not None:
                return site
        return None

    def _phrase_site(
        self, index: int, lexicon: LexiconLike, words: tuple[str, ...],
        is_word: tuple[bool, ...], k: int,
    ) -> Site | None:
        """The site at ``k`` of a word that may start a multi-word phrase. A match reads no
        further than the lexicon's longest phrase, so it is memoised by the words within
        that reach (the same few words recur in many different sentences)."""
        reach = self._reach.get(index)
        if reach is None:  # a lexicon that does not say how far a match reads
            return self._match_at(index, lexicon, words, is_word, k)
        key = (index, words[k : k + reach])
        site = self._phrase_sites.get(key, _UNSEEN)
        if site is _UNSEEN:
            site = _remember(self._phrase_sites, key, self._match_at(
                index, lexicon, key[1], is_word[k : k + reach], 0
            ))
        return site if site is None or k == 0 else _moved(site, k)

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
            senses = _remember(
                self._senses, (index, match.source, capital), _senses(match.entries, capital)
            )
        if not senses[0]:
            return None
        return Site(
            k, match.length, " ".join(words[k:end]), match.source, *senses, index,
            via_lemma, sum(is_word[k:end]), capital,
        )

    # -- making rows ----------------------------------------------------------------------

    def stream(self, utt_id: str, op: str, index: int) -> SeededStream:
        """The random stream of row ``index`` of ``op`` for source ``utt_id``."""
        return SeededStream(f"{self.config.seed}\x1f{utt_id}\x1f{op}\x1f{index}")

    def synthesize(self, utt: Utterance) -> SynthResult:
        """Every row the configured generators make from ``utt``."""
        self._check_source(utt)
        prep = self.prepare(utt)
        result = SynthResult(utt, [utt] if self.config.keep_source else [], prep.word_count)
        seen = {utt.text}
        result.untranslated = tuple(
            chunk.words[k].lower()
            for chunk, (_, unknown) in zip(prep.chunks, self.matches(prep, 0), strict=True)
            for k in unknown
        )
        tally: list[str] = []  # the numbers of one row, counted if the row is written
        inflect = self._inflecting
        for op in self.config.generators:
            for index in range(self.config.per_utterance):
                row, replaced, reason = self._row(prep, op, index, result.inflections, tally)
                if row is None:
                    result.skipped[reason] += 1
                elif row.text in seen:
                    result.skipped["unchanged" if row.text == utt.text else "duplicate"] += 1
                else:
                    seen.add(row.text)
                    result.rows.append(row)
                    result.replaced.append(replaced)
                    if tally:
                        result.numbers = result.numbers or Counter()
                        result.numbers.update(tally)
                    if inflect:
                        result.inflected = result.inflected or Counter()
                        result.inflected.update(
                            record["morph"] for record in row.metadata["lexi"]["replaced"]
                            if "morph" in record
                        )
                if tally:
                    tally.clear()
        return result

    def variant(self, utt: Utterance, op: str, index: int = 0) -> Utterance | None:
        """Row ``index`` of generator ``op`` for ``utt`` alone (``None``: nothing to write,
        e.g. no known word or a sentence codeswitch did not select)."""
        if op not in GENERATORS:
            raise LexiError(f"unknown generator {op!r}", hint=f"one of {', '.join(GENERATORS)}")
        self._check_source(utt)
        return self._row(self.prepare(utt), op, index, Counter(), [])[0]

    def _check_source(self, utt: Utterance) -> None:
        # Honest zero-shot: refuse rows already in the target language.
        target = self.config.locale
        if target and utt.locale and utt.locale.split("-")[0] == target.split("-")[0]:
            raise LexiError(
                f"source row {utt.id} is in {utt.locale}, the target language ({target})",
                hint="synthesis reads source-language (English) data only",
            )

    def _choose(self, site: Site, rng: SeededStream) -> int:
        """The index of the sense to write at ``site``."""
        count = len(site.entries)
        sense = self.config.sense
        if count == 1 or sense == "first":
            return 0
        if sense == "random" or site.cumulative is None:
            return rng.below(count)
        return rng.weighted(site.cumulative)

    def _pick_codeswitch(self, prep: Prepared, rng: SeededStream) -> list[tuple[int, Site]]:
        per_lexicon = [self.matches(prep, main) for main in range(len(self.lexicons))]
        candidates = [
            (ci, site) for matches in per_lexicon
            for ci, (sites, _) in enumerate(matches) for site in sites
        ]
        largest = max(sum(len(sites) for sites, _ in matches) for matches in per_lexicon)
        wanted = round(self.config.token_ratio * largest)
        if wanted == 0 and self.config.token_ratio > 0 and largest:
            wanted = 1
        rng.shuffle(candidates)
        if len(per_lexicon) == 1:
            # One lexicon's sites never overlap (each chunk is matched greedily once).
            return candidates[:wanted]
        taken: set[tuple[int, int]] = set()
        chosen: list[tuple[int, Site]] = []
        for ci, site in candidates:
            if len(chosen) == wanted:
                break
            cells = {(ci, site.token + j) for j in range(site.length)}
            if taken.isdisjoint(cells):
                taken |= cells
                chosen.append((ci, site))
        return chosen

    def _inflect(self, target: str, analysis: Any) -> tuple[str, str]:
        key = (target, analysis.word, analysis.lemma, analysis.pos, analysis.features)
        found = self._inflected.get(key)
        if found is None:
            inflection = self.morphology.inflect(target, analysis)
            form = inflection.form
            if not form or not form.strip() or _UNUSABLE.search(form):
                form = target
            found = _remember(self._inflected, key, (form, inflection.method))
        return found

    def _phonetic(self, form: str) -> str:
        found = self._transcribed.get(form)
        if found is None:
            spelled = self.transcribe(form)
            usable = spelled.strip() and not _UNUSABLE.search(spelled)
            found = _remember(self._transcribed, form, spelled if usable else form)
        return found

    def _row(
        self, prep: Prepared, op: str, index: int, inflections: Counter, tally: list[str],
    ) -> tuple[Utterance | None, int, str]:
        """One synthetic row, the number of source words it replaced, and why it is
        missing when it is (``not_selected``, ``unchanged``). ``tally`` receives what the
        report counts of its numbers (:attr:`Site.tally`)."""
        config = self.config
        rng = self.stream(prep.utt.id, op, index)
        main: int | None = None
        if op == "codeswitch":
            if config.sentence_ratio < 1.0 and rng.random() >= config.sentence_ratio:
                return None, 0, "not_selected"
            chosen = self._pick_codeswitch(prep, rng)
        else:
            main = rng.below(len(self.lexicons)) if len(self.lexicons) > 1 else 0
            chosen = [
                (ci, site) for ci, (sites, _) in enumerate(self.matches(prep, main))
                for site in sites
            ]
        if not chosen:
            return None, 0, "unchanged"
        inflect, phonetic = config.inflect, op == "phonetic"
        outputs: list[list[str | None]] = [list(chunk.words) for chunk in prep.chunks]
        replaced: list[dict[str, Any]] = []
        replaced_words = 0
        for ci, site in chosen:
            chunk = prep.chunks[ci]
            choice = 0 if len(site.entries) == 1 else self._choose(site, rng)
            entry = site.entries[choice]
            form = site.targets[choice]
            record: dict[str, Any] = {"src": site.text, "tgt": form, "entry": entry.provenance}
            if inflect and site.length == 1 and site.lexicon >= 0:
                analyses = self._analyses(prep)
                if analyses:
                    lemma = entry.target
                    inflected, method = self._inflect(lemma, analyses[chunk.offset + site.token])
                    inflections[method] += 1
                    if inflected != lemma:
                        form = record["tgt"] = _written(inflected, site.capital)
                        record["lemma"] = lemma
                        record["morph"] = method
            if phonetic:
                if site.lexicon == CLDR:
                    # Word by word (the transcriber's contract): numbers and times combine
                    # a few words in many ways ("tano asubuhi", "kumi na tano"), and each
                    # word is transcribed once.
                    spelled = " ".join([self._phonetic(word) for word in form.split(" ")])
                else:
                    spelled = self._phonetic(form)
                form = record["tgt"] = _written(spelled, site.capital)
            if site.lexicon < 0:
                record["lexicon"] = "slot" if site.lexicon == SLOT_LEXICON else "cldr"
            elif len(self.lexicons) > 1:
                record["lexicon"] = self.lexicon_names[site.lexicon]
            if site.tally is not None:
                tally.append(site.tally)
            out = outputs[ci]
            out[site.token] = form
            for j in range(1, site.length):
                out[site.token + j] = None
            replaced.append(record)
            replaced_words += site.words
        if main is not None and config.unknown != "keep":
            drops = self._drops  # None: every untranslated word
            for ci, (_, unknown) in enumerate(prep.matches[main]):
                chunk = prep.chunks[ci]
                if chunk.slot is None:  # a slot value is never shortened
                    for k in unknown:
                        if drops is None or chunk.words[k].lower() in drops:
                            outputs[ci][k] = None
        text, slots = render(prep.chunks, outputs, prep.utt.text)
        metadata = dict(prep.metadata)
        provenance: dict[str, Any] = {
            "source_id": prep.utt.id, "op": op, "index": index, "seed": config.seed,
            "params": dict(self._params.get(op) or config.params_for(op)), "replaced": replaced,
        }
        if main is not None and len(self.lexicons) > 1:
            provenance["lexicon"] = self.lexicon_names[main]
        metadata["lexi"] = provenance
        row = Utterance(
            id=f"{prep.utt.id}-{op}-{index}",
            text=text,
            label=prep.utt.label,
            slots=slots,
            locale=config.locale,
            split=prep.utt.split,
            metadata=metadata,
        )
        return row, replaced_words, ""
