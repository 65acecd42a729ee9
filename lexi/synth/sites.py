"""Sites: where one lexicon match (or a number written with CLDR) covers tokens of a chunk,
with the target forms it offers. Made by :mod:`lexi.synth.matcher`, written into rows by
:mod:`lexi.synth.operators`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import accumulate
from typing import Any, NamedTuple

from lexi.lexicon.model import Entry
from lexi.synth.align import Chunk
from lexi.synth.numbers import CldrNumbers, NumberExpr
from lexi.synth.sense_prior import SensePrior

# A target form with these would break ``annot_utt`` markup (brackets) or jsonl (breaks).
UNUSABLE = re.compile(r"[\[\]\n\r]")
SLOT_LEXICON = -1  # Site.lexicon for a match in the slot lexicon
CLDR = -2  # Site.lexicon for a number, time or calendar name written with CLDR
# What the report counts a site as (Site.tally), by the CLDR entry's part of speech.
_CLDR_TALLY = {"NUM": "cldr_numbers", "PROPN": "cldr_names", "NOUN": "cldr_periods"}


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

# A source phrase's usable entries, their targets as written, and their cumulative weights.
Senses = tuple[tuple[Any, ...], tuple[str, ...], "tuple[float, ...] | None"]


def usable_entries(entries: Sequence[Any]) -> tuple[Any, ...]:
    """Entries that can stand in running text: not empty (it would erase a word), no
    brackets or line breaks (they would break ``annot_utt`` markup or jsonl), and not a
    bound morpheme such as Wiktionary's ``-li-`` (an affix, not a word)."""
    return tuple(
        e for e in entries
        if e.target.strip() and not UNUSABLE.search(e.target)
        and not e.target.startswith("-") and not e.target.endswith("-")
    )


def senses_of(entries: Sequence[Any], capital: bool, prior: SensePrior | None = None) -> Senses:
    """The :data:`Senses` of a match's entries, after a capitalised word or not; with a
    ``prior``, each weight is the prior's (lexicon weight × count in target text), the
    senses ordered by it (so ``--sense first`` takes the one the text favours)."""
    usable = usable_entries(entries)
    if not usable:
        return (), (), None
    own = [max(float(e.weight), 0.0) for e in usable]
    if prior is not None and len(usable) > 1:
        own = [prior.weight(e.target, w) for e, w in zip(usable, own, strict=True)]
        # Stable: equal weights keep the lexicon's order.
        order = sorted(range(len(usable)), key=lambda i: -own[i])
        usable, own = tuple(usable[i] for i in order), [own[i] for i in order]
    weights = list(accumulate(own))
    targets = tuple(written(e.target, capital) for e in usable)
    return usable, targets, tuple(weights) if weights[-1] > 0 else None


def written(form: str, capital: bool) -> str:
    """``form`` as it goes into text: single spaces, capitalised after a capital."""
    form = " ".join(form.split())
    if capital and form[:1].islower():
        return form[:1].upper() + form[1:]
    return form


def moved(site: Site, token: int) -> Site:
    """``site`` at ``token`` (as ``site._replace(token=token)``, which costs several times more)."""
    return Site(token, *site[1:])


# -- numbers, times and calendar names written with CLDR ---------------------------------


def number_site(
    chunk: Chunk, start: int, end: int, target: str, pos: str, provenance: str, tally: str,
) -> Site:
    """The CLDR site for tokens ``start .. end-1`` of ``chunk``, written ``target``."""
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
        start, end - start, text, text, (entry,), (written(target, capital),), None, CLDR,
        False, sum(chunk.is_word[start:end]), capital, tally,
    )


def cldr_site(numbers: CldrNumbers | None, chunk: Chunk, expr: NumberExpr) -> Site | None:
    """``expr`` written with CLDR, or ``None`` where CLDR has nothing for it."""
    spelled = numbers.spell(expr) if numbers is not None else None
    if spelled is None:
        return None
    pos = "PROPN" if expr.kind in ("weekday", "month") else "NUM"
    return number_site(
        chunk, expr.start, expr.end, spelled.text, pos, spelled.provenance, _CLDR_TALLY[pos]
    )


def period_site(numbers: CldrNumbers | None, chunk: Chunk, expr: NumberExpr) -> Site | None:
    """The am/pm words of a time whose number the lexicon writes: CLDR's day-period
    word for that hour, or ``None`` (no word, or am/pm glued to the digits)."""
    start = expr.period_start
    if numbers is None or expr.period is None or start is None \
            or chunk.words[start].lower() not in ("am", "pm", "a", "p"):
        return None
    hour = int(expr.value)
    clock = hour % 12 + (12 if expr.period == "pm" else 0) if hour <= 12 else hour
    word = numbers.day_period(clock, expr.minute)[0]
    if word is None:
        return None
    language = numbers.rbnf or numbers.babel.language
    return number_site(
        chunk, start, expr.end, word, "NOUN", f"cldr:{language}:day_period", "cldr_periods"
    )
