"""Finding English number expressions in a chunk's tokens (:func:`find_numbers`).

The English vocabulary (number words, ordinals, weekday and month names, am/pm and
o'clock), the reading of numbers written in words or digits, of times and of calendar
names as :class:`NumberExpr` s, and the fast pre-check (:data:`NUMBER_STARTERS`,
:func:`may_hold_numbers`). An expression never crosses a slot boundary (see
:mod:`lexi.synth.align`); everything here is a pure function of its arguments. Writing
them in the target language is :mod:`lexi.synth.numbers_cldr`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

_UNITS = {w: i for i, w in enumerate(
    "one two three four five six seven eight nine".split(), start=1)}
_TEENS = {w: i for i, w in enumerate(
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(),
    start=10)}
_TENS = {w: 10 * i for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_ORD_UNITS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth".split(), start=1)}
_ORD_TEENS = {w: i for i, w in enumerate(
    "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth "
    "eighteenth nineteenth".split(), start=10)}
_ORD_TENS = {w: 10 * i for i, w in enumerate(
    "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split(),
    start=2)}
_ORD_SCALES = {"thousandth": 1_000, "millionth": 1_000_000}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
# Also common words ("may i", "march on"): a month only next to a number ("may fifth").
_AMBIGUOUS_MONTHS = frozenset({"may", "march"})
_PERIODS = {"am": "am", "pm": "pm", "a": "am", "p": "pm"}
_OCLOCK = frozenset({"o'clock", "o’clock", "oclock"})

_DIGITS = re.compile(r"\d+")
_ORDINAL_DIGITS = re.compile(r"(\d+)(?:st|nd|rd|th)")
_GLUED_TIME = re.compile(r"(\d{1,2})(am|pm)")
_MINUTES = re.compile(r"(\d\d)(am|pm)?")
_GROUP = re.compile(r"\d{3}")


# Every plain English number word → (class, value); see :func:`_classify`.
_WORD_CLASSES: dict[str, tuple[str, int]] = {
    **{w: ("unit", v) for w, v in _UNITS.items()},
    **{w: ("teen", v) for w, v in _TEENS.items()},
    **{w: ("tens", v) for w, v in _TENS.items()},
    **{w: ("scale", v) for w, v in _SCALES.items()},
    **{w: ("ord_unit", v) for w, v in _ORD_UNITS.items()},
    **{w: ("ord_teen", v) for w, v in _ORD_TEENS.items()},
    **{w: ("ord_tens", v) for w, v in _ORD_TENS.items()},
    **{w: ("ord_scale", v) for w, v in _ORD_SCALES.items()},
    "hundredth": ("ord_hundred", 100),
    "hundred": ("hundred", 100),
    "zero": ("zero", 0),
    "and": ("and", 0),
}


def _classify(word: str) -> tuple[str, int] | None:
    """A lower-case English number word's class (``unit``, ``teen``, ``tens``,
    ``tensunit`` for ``twenty-two``, ``hundred``, ``scale``, ``zero``, ``and``, ``ord_*``
    for ordinals) and value; ``None`` for any other word."""
    found = _WORD_CLASSES.get(word)
    if found is not None or "-" not in word:
        return found
    tens, _, unit = word.partition("-")
    if tens in _TENS:  # one token: "twenty-two", "twenty-first"
        if unit in _UNITS:
            return "tensunit", _TENS[tens] + _UNITS[unit]
        if unit in _ORD_UNITS:
            return "ord_tensunit", _TENS[tens] + _ORD_UNITS[unit]
    return None


# Which class may follow which (None: the start of a number). A unit follows a tens word
# ("twenty two"); tens and teens follow only a hundred, a scale or "and".
_AFTER = {
    "unit": (None, "tens", "hundred", "scale", "and"),
    "teen": (None, "hundred", "scale", "and"),
    "tens": (None, "hundred", "scale", "and"),
    "tensunit": (None, "hundred", "scale", "and"),
    "hundred": ("unit", "teen", "tens", "tensunit"),
    "zero": (None,),
}
_NUMBER_WORD_CLASSES = frozenset(
    {"unit", "teen", "tens", "tensunit", "ord_unit", "ord_teen", "ord_tens", "ord_tensunit"}
)


def _number_words(words: Sequence[str], start: int) -> tuple[int, int, bool] | None:
    """The English number written in words from ``words[start]`` (lower case): its value,
    the index after its last word, and whether it is an ordinal; ``None`` if there is none.
    Greedy and strict: ``five six`` is two numbers, ``three and four`` too."""
    total = group = 0
    last: str | None = None
    scale = 0
    k = start
    ordinal = False
    while k < len(words):
        found = _classify(words[k])
        if found is None:
            break
        cls, value = found
        if cls == "and":
            # Only inside a number: "five hundred and twenty", "two thousand and seventeen".
            following = _classify(words[k + 1]) if k + 1 < len(words) else None
            if last not in ("hundred", "scale") or following is None \
                    or following[0] not in _NUMBER_WORD_CLASSES:
                break
            last = "and"
            k += 1
            continue
        base = cls[4:] if cls.startswith("ord_") else cls
        if base == "scale":
            if group == 0 or (scale and value >= scale):
                break
        elif last not in _AFTER[base]:
            break
        if base == "hundred":
            if group >= 100:
                break
            group *= 100
        elif base == "scale":
            total += group * value
            group, scale = 0, value
        else:
            group += value
        last = "unit" if base == "tensunit" else base
        k += 1
        if cls.startswith("ord_") or base == "zero":
            ordinal = cls.startswith("ord_")
            break
    if last is None:
        return None
    return total + group, k, ordinal


@dataclass(frozen=True, slots=True)
class NumberExpr:
    """An English number, time or calendar name at tokens ``start .. end-1`` of a chunk.

    ``kind``: ``cardinal``, ``ordinal`` (``value`` is the number), ``decimal`` (``value``
    is its digits, ``"2.5"``), ``digits`` (a digit string read digit by digit, e.g. with a
    leading zero), ``time`` (``value`` is the hour as written, ``minute``, ``period``
    ``am``/``pm`` or ``None``; the am/pm or o'clock words start at ``period_start``),
    ``weekday`` (``value`` 0 = Monday, Babel's order) or ``month`` (1 = January).
    ``dated``: a name next to a number (``march third``), where CLDR's format context
    applies instead of the stand-alone one.
    """

    start: int
    end: int
    kind: str
    value: int | str
    minute: int = 0
    period: str | None = None
    period_start: int | None = None
    dated: bool = False


def _period_at(words: Sequence[str], gaps: Sequence[str], j: int) -> tuple[str | None, int] | None:
    """``am``/``pm``/``a.m.``/``p. m.``/``o'clock`` at ``words[j]`` (lower case): the period
    (``None`` for o'clock) and the index after it."""
    if j >= len(words):
        return None
    word = words[j]
    if word in ("am", "pm"):
        return word, j + 1
    if word in _OCLOCK:
        return None, j + 1
    # "a.m." and "p. m." are four tokens: a letter, ".", "m" and an optional "."; the
    # first "." is glued to the letter (so "a. m." never reads an article "a" as a period).
    if (word in ("a", "p") and j + 2 < len(words) and words[j + 1] == "."
            and gaps[j + 1] == "" and words[j + 2] == "m"):
        end = j + 3
        if end < len(words) and words[end] == "." and gaps[end] == "":
            end += 1
        return _PERIODS[word], end
    return None


def _time_or_number(
    words: Sequence[str], gaps: Sequence[str], start: int, value: int, end: int,
    hundreds: bool,
) -> NumberExpr:
    """A cardinal at ``start .. end-1``, read as a time when am/pm/o'clock follows:
    ``five am``, ``three thirty p. m.``, ``eight hundred am`` (08:00)."""
    minute = 0
    after = end
    period = _period_at(words, gaps, end)
    if period is None and 0 <= value <= 23:
        minutes = _number_words(words, end)
        if minutes is not None and not minutes[2] and 0 < minutes[0] < 60:
            period = _period_at(words, gaps, minutes[1])
            if period is not None:
                minute, after = minutes[0], minutes[1]
    if period is None:
        return NumberExpr(start, end, "cardinal", value)
    hour = value
    if hundreds and 100 <= value and value // 100 <= 12 and value % 100 < 60:
        hour, minute = divmod(value, 100)  # "eight hundred am", "nine hundred thirty pm"
    if not 0 <= hour <= 23:
        return NumberExpr(start, end, "cardinal", value)
    return NumberExpr(start, period[1], "time", hour, minute, period[0], after)


def _digits_at(words: Sequence[str], gaps: Sequence[str], k: int) -> NumberExpr | None:
    word = words[k].lower()
    if match := _ORDINAL_DIGITS.fullmatch(word):
        return NumberExpr(k, k + 1, "ordinal", int(match.group(1)))
    if match := _GLUED_TIME.fullmatch(word):  # "7am"
        return NumberExpr(k, k + 1, "time", int(match.group(1)), 0, match.group(2), k)
    if not _DIGITS.fullmatch(word):
        return None
    n = len(words)

    def glued(j: int) -> bool:  # token j follows token j-1 with no space
        return j < n and gaps[j] == ""

    # "10:30", "10:30pm", "6.30pm": an hour and two-digit minutes.
    if glued(k + 1) and glued(k + 2) and words[k + 1] in (":", ".") and len(word) <= 2:
        minutes = _MINUTES.fullmatch(words[k + 2].lower())
        if minutes and (words[k + 1] == ":" or minutes.group(2)):
            hour, minute = int(word), int(minutes.group(1))
            if hour <= 23 and minute < 60:
                period: str | None = minutes.group(2)
                end = k + 3
                period_start = end if period is None else k + 2
                if period is None and (found := _period_at(
                        [w.lower() for w in words], gaps, end)) is not None:
                    period, end = found
                return NumberExpr(k, end, "time", hour, minute, period, period_start)
    # "2.5": a decimal; "1,000": digit groups.
    if glued(k + 1) and glued(k + 2) and words[k + 1] == "." and _DIGITS.fullmatch(words[k + 2]):
        return NumberExpr(k, k + 3, "decimal", f"{word}.{words[k + 2]}")
    end, digits = k + 1, word
    while glued(end) and glued(end + 1) and words[end] == "," \
            and _GROUP.fullmatch(words[end + 1]):
        digits += words[end + 1]
        end += 2
    if (len(digits) > 1 and digits[0] == "0") or len(digits) > 12:
        return NumberExpr(k, end, "digits", digits)  # a code or a phone number
    value = int(digits)
    lowered = [w.lower() for w in words[end : end + 4]]
    period = _period_at(lowered, gaps[end : end + 4], 0)
    if period is not None and value <= 23:
        return NumberExpr(k, end + period[1], "time", value, 0, period[0], end)
    return NumberExpr(k, end, "cardinal", value)


# Words that can start an expression ("and" cannot; it only joins number words).
_STARTERS = frozenset(_WORD_CLASSES) - {"and"} | set(WEEKDAYS) | set(MONTHS)
# Every spelling of a word that can start an expression as a token: lower case, capitalised
# and upper case, with the hyphenated compounds ("twenty-two", "twenty-first"). A set
# lookup over a chunk's tokens (plus one search for a digit) tells whether it can hold an
# expression at all: most chunks cannot, and so skip find_numbers (synthesis speed).
_COMPOUNDS = {f"{tens}-{unit}" for tens in _TENS for unit in (*_UNITS, *_ORD_UNITS)}
NUMBER_STARTERS = frozenset(
    form for word in _STARTERS | _COMPOUNDS for form in (word, word.capitalize(), word.upper())
)
has_digit = re.compile(r"\d").search


def may_hold_numbers(words: Sequence[str], text: str) -> bool:
    """False when the tokens ``words`` of ``text`` certainly hold no number expression (a
    fast pre-check: a mixed-case number word such as "fIve" is not seen)."""
    return not NUMBER_STARTERS.isdisjoint(words) or has_digit(text) is not None


def _may_hold_numbers(lowered: Sequence[str]) -> bool:
    for word in lowered:
        if word[:1].isdigit() or word in _STARTERS or ("-" in word and _classify(word)):
            return True
    return False


def find_numbers(words: Sequence[str], gaps: Sequence[str]) -> tuple[NumberExpr, ...]:
    """The English number expressions among a chunk's tokens, left to right, not
    overlapping. ``words`` are the tokens (punctuation too) and ``gaps[k]`` the text
    before token ``k`` (as in :class:`lexi.synth.align.Chunk`)."""
    lowered = [word.lower() for word in words]
    if not _may_hold_numbers(lowered):
        return ()
    found: list[NumberExpr] = []
    k = 0
    while k < len(words):
        word = lowered[k]
        expr: NumberExpr | None = None
        if word[:1].isdigit():
            expr = _digits_at(words, gaps, k)
        elif word in WEEKDAYS:
            expr = NumberExpr(k, k + 1, "weekday", WEEKDAYS.index(word))
        elif word in MONTHS:
            expr = NumberExpr(k, k + 1, "month", MONTHS.index(word) + 1)
        elif (parsed := _number_words(lowered, k)) is not None:
            value, end, ordinal = parsed
            if ordinal:
                expr = NumberExpr(k, end, "ordinal", value)
            else:
                expr = _time_or_number(lowered, gaps, k, value, end, "hundred" in lowered[k:end])
        if expr is None:
            k += 1
        else:
            found.append(expr)
            k = expr.end
    return _in_context(found, lowered)


def _in_context(found: list[NumberExpr], lowered: Sequence[str]) -> tuple[NumberExpr, ...]:
    """Drop the readings that need a neighbour: ``may``/``march`` are months only next to
    a number, and a lone ``second`` is an ordinal (not the unit) only next to a weekday or
    month or after ``the``; a weekday or month next to a number is ``dated``."""

    def neighbour(i: int, step: int) -> NumberExpr | None:
        j = i + step
        if not 0 <= j < len(found):
            return None
        a, b = (found[i], found[j]) if step > 0 else (found[j], found[i])
        between = lowered[a.end : b.start]
        return found[j] if between in ([], ["of"], ["the"], ["of", "the"]) else None

    kept: list[NumberExpr] = []
    for i, expr in enumerate(found):
        near = [n for n in (neighbour(i, -1), neighbour(i, 1)) if n is not None]
        numbers = [n for n in near if n.kind not in ("weekday", "month")]
        if expr.kind == "month" and lowered[expr.start] in _AMBIGUOUS_MONTHS and not numbers:
            continue
        if (expr.kind == "ordinal" and lowered[expr.start : expr.end] == ["second"]
                and not any(n.kind in ("weekday", "month") for n in near)
                and lowered[expr.start - 1 : expr.start] != ["the"]):
            continue  # "ten seconds", "in a second": the unit
        if expr.kind in ("weekday", "month") and numbers:
            expr = replace(expr, dated=True)
        kept.append(expr)
    return tuple(kept)
