"""Numbers, times, weekdays and months in the target language, from CLDR.

Word-by-word translation writes ``five am`` as ``tano wa`` (``am`` looked up through the
lemma "be") and ``twenty two`` digit-word by digit-word. Here an English number
expression is found as a whole (:func:`find_numbers`: number words, digits, ``10:30``,
ordinals, a time with ``am``/``p. m.``/``o'clock``, weekday and month names) and written
by :class:`CldrNumbers`: numbers with CLDR's rule-based number format (RBNF spell-out
rules, from the ``unicode-rbnf`` package), day periods, the hour/minute/period order of a
time and weekday and month names with Babel's CLDR data. Both are offline.

:func:`find_numbers` works on one chunk's tokens, so an expression never crosses a slot
boundary (see :mod:`lexi.synth.align`); everything here is a pure function of its
arguments (the speller memoises).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from typing import Any

from lexi.errors import LexiError

# How numbers, times and calendar names are written (``--numbers``); ``auto`` is ``cldr``
# where unicode-rbnf has spell-out rules for the language and ``lexicon`` elsewhere.
NUMBER_MODES = ("auto", "cldr", "lexicon", "keep")
# The default of ``--numbers`` (``SynthConfig.numbers``, ``lexi synth``, ``lexi train
# --synth`` specs), named once so that it can be switched in one place once measured.
# ``auto`` changes the Swahili rows of MASSIVE train on 1,234 of 11,296 rows against the
# word-by-word ``lexicon`` (docs/synthesis.md); the test suite passes with ``auto`` and
# with ``keep`` here (tests that depend on a mode pass it explicitly).
NUMBERS_DEFAULT = "auto"

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


# -- writing them with CLDR -----------------------------------------------------------------


def _language(locale: str) -> tuple[str, str | None]:
    parts = locale.replace("_", "-").split("-")
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return parts[0].lower(), region


@cache
def _rbnf_languages() -> frozenset[str]:
    # An ImportError is raised, not cached: a later call tries the import again.
    from unicode_rbnf import RbnfEngine

    return frozenset(RbnfEngine.get_supported_languages())


def rbnf_language(locale: str) -> str | None:
    """The unicode-rbnf rule file for ``locale`` (``sw-KE`` → ``sw``), or ``None`` when
    the package has no spell-out rules for the language (or is not installed)."""
    try:
        supported = _rbnf_languages()
    except ImportError:  # a declared dependency; without it, numbers go through the lexicon
        return None
    language, region = _language(locale)
    language = {"nb": "no"}.get(language, language)  # Bokmål's rules are filed under "no"
    for candidate in (f"{language}_{region}" if region else None, language):
        if candidate in supported:
            return candidate
    return None


def _babel_locale(locale: str) -> Any:
    from babel import Locale, UnknownLocaleError

    language, region = _language(locale)
    for candidate in (f"{language}_{region}" if region else None, language):
        if candidate is None:
            continue
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return None


_UNUSABLE = re.compile(r"[\[\]\n\r]")


def _usable(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if text and not _UNUSABLE.search(text) else None


@dataclass(frozen=True, slots=True)
class Spelled:
    """What CLDR wrote for an expression: ``text``, and ``provenance``
    (``cldr:sw:time``) for the row's record."""

    text: str
    provenance: str


class CldrNumbers:
    """Writes :class:`NumberExpr` s in one language with CLDR.

    Numbers: unicode-rbnf's spell-out rules (``spellout-numbering``, ordinals with the
    language's ordinal rules). Times: the hour (and minutes) spelled out, in the order of
    Babel's ``Bh``/``Bhm`` pattern with the flexible day-period word for that hour
    (``asubuhi``) when the language has day-period rules, else ``h``/``hm`` with its
    am/pm word, else none (an am/pm that Babel only has as the English "AM" is dropped).
    Weekdays and months: Babel's wide names. ``spell`` returns ``None`` where CLDR has
    nothing (the caller then falls back to the lexicon). Results are memoised.
    """

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.rbnf = rbnf_language(locale)
        self.babel = _babel_locale(locale)
        self._engine: Any = None
        if self.rbnf is not None:
            from unicode_rbnf import RbnfEngine

            self._engine = RbnfEngine.for_language(self.rbnf)
        self._numbering = self._engine is not None and "spellout-numbering" in self._engine.rulesets
        self._memo: dict[tuple, Spelled | None] = {}

    @property
    def has_rules(self) -> bool:
        """Whether numbers can be spelled (unicode-rbnf has rules for the language)."""
        return self._engine is not None

    def __repr__(self) -> str:
        return f"CldrNumbers({self.locale!r}, rbnf={self.rbnf!r}, babel={self.babel!s})"

    # numbers ------------------------------------------------------------------------------

    def number(self, value: int | str, ordinal: bool = False) -> str | None:
        """``value`` spelled out (an ordinal with ``ordinal``), ``None`` if no rule fits."""
        if self._engine is None:
            return None
        from unicode_rbnf import FormatPurpose

        purpose = FormatPurpose.ORDINAL if ordinal else FormatPurpose.CARDINAL
        number = Decimal(value) if isinstance(value, str) else value
        # A whole cardinal is read with the language's "spellout-numbering" rules,
        # unicode-rbnf's own default; asking for it alone spares formatting with every other
        # rule set (a decimal may need another: sw's numbering rules have no "x.x" rule).
        whole = not ordinal and isinstance(value, int)
        names = ["spellout-numbering"] if whole and self._numbering else None
        try:
            found = self._engine.format_number(number, purpose=purpose, ruleset_names=names)
        except Exception:  # unicode-rbnf raises ValueError or its own errors: no rule
            return None
        return _usable(found.text)

    # day periods -------------------------------------------------------------------------

    def _period_name(self, period_id: str) -> str | None:
        names = self.babel.day_periods.get("format", {})
        for width in ("wide", "abbreviated"):
            name = names.get(width, {}).get(period_id)
            if name:
                return _usable(name)
        return None

    def day_period(self, hour: int, minute: int = 0) -> tuple[str | None, bool]:
        """The day-period word for ``hour:minute`` (24-hour clock) and whether it is a
        flexible period (``B``: morning, evening …) rather than am/pm (``a``)."""
        if self.babel is None:
            return None, False
        from babel.dates import get_period_id

        period_id = get_period_id(datetime.time(hour, minute), locale=self.babel)
        if period_id in ("noon", "midnight"):
            # Exact-instant periods ("saa sita za mchana") would repeat the hour just spelled;
            # take the period the minute after falls in.
            period_id = get_period_id(datetime.time(hour, min(minute + 1, 59)), locale=self.babel)
        if period_id not in ("am", "pm"):
            name = self._period_name(period_id)
            if name:
                return name, True
        ampm = self._period_name("am" if hour < 12 else "pm")
        if ampm is None or ampm.lower().replace(".", "") in ("am", "pm"):
            return None, False  # only the English abbreviation: nothing in the language
        return ampm, False

    def time(self, hour: int, minute: int, period: str | None) -> str | None:
        """A time in the language's CLDR pattern, every field written in words."""
        if self._engine is None:
            return None
        from babel.dates import tokenize_pattern

        word: str | None = None
        if period is None:  # "10:30", "five o'clock": the hour as written, no period
            skeleton, shown = ("Hm" if minute else "H"), hour
        else:
            clock = hour % 12 + (12 if period == "pm" else 0) if hour <= 12 else hour
            word, flexible = self.day_period(clock, minute)
            skeleton = ("B" if flexible else "") + ("hm" if minute else "h")
            shown = hour if hour <= 12 else (hour % 12 or 12)
        pattern = None
        if self.babel is not None:
            found = self.babel.datetime_skeletons.get(skeleton)
            pattern = getattr(found, "pattern", None)
        if pattern is None:
            pattern = {"H": "H", "Hm": "H:mm"}.get(skeleton, "h:mm a" if minute else "h a")
        hour_words = self.number(shown)
        minute_words = self.number(minute) if minute else ""
        if hour_words is None or minute_words is None:
            return None
        parts: list[str] = []
        for kind, value in tokenize_pattern(pattern):
            if kind == "chars":
                # Separators (":", ".", spaces) become a space; quoted words are kept.
                parts.append(value if any(c.isalpha() for c in value) else " ")
            elif value[0] in "hHkK":
                parts.append(hour_words)
            elif value[0] == "m":
                parts.append(minute_words)
            elif value[0] in "aBb":
                parts.append(word or "")
            else:
                return None  # a field a time of day does not have
        return _usable("".join(parts))

    # calendar names ----------------------------------------------------------------------

    def name(self, kind: str, value: int, dated: bool) -> str | None:
        """A weekday (``value`` 0 = Monday) or month (1 = January) name: CLDR's format
        form next to a number (``22 March``), its stand-alone form elsewhere."""
        if self.babel is None:
            return None
        table = self.babel.days if kind == "weekday" else self.babel.months
        contexts = ("format", "stand-alone") if dated else ("stand-alone", "format")
        for context in contexts:
            name = table.get(context, {}).get("wide", {}).get(value)
            if name:
                return _usable(name)
        return None

    # the whole expression -----------------------------------------------------------------

    def spell(self, expr: NumberExpr) -> Spelled | None:
        """``expr`` in the target language, or ``None`` when CLDR cannot write it."""
        key = (expr.kind, expr.value, expr.minute, expr.period, expr.dated)
        if key in self._memo:
            return self._memo[key]
        text: str | None = None
        kind = expr.kind
        if kind == "cardinal" or kind == "decimal":
            text = self.number(expr.value)
        elif kind == "ordinal":
            text = self.number(expr.value, ordinal=True)
        elif kind == "digits":
            digits = [self.number(int(d)) for d in str(expr.value)]
            text = None if None in digits else " ".join(d for d in digits if d)
        elif kind == "time":
            text = self.time(int(expr.value), expr.minute, expr.period)
        elif kind in ("weekday", "month"):
            text = self.name(kind, int(expr.value), expr.dated)
        language = self.rbnf or (self.babel.language if self.babel is not None else "?")
        found = Spelled(text, f"cldr:{language}:{kind}") if text else None
        self._memo[key] = found
        return found


def cldr_numbers(locale: str) -> CldrNumbers:
    """A speller for ``locale`` (a new one, whose memo starts empty, as a run's does)."""
    return CldrNumbers(locale)


def resolve_numbers(mode: str, speller: CldrNumbers | None) -> str:
    """``auto`` → ``cldr`` when the speller can spell numbers, else ``lexicon``; ``cldr``
    without rules is an error (``lexicon`` and ``keep`` need nothing)."""
    if mode not in NUMBER_MODES:
        raise LexiError(f"unknown numbers mode {mode!r}", hint=f"one of {', '.join(NUMBER_MODES)}")
    has_rules = speller is not None and speller.has_rules
    if mode == "auto":
        return "cldr" if has_rules else "lexicon"
    if mode == "cldr" and speller is None:
        raise LexiError(
            "--numbers cldr needs the target language",
            hint="pass --locale (e.g. sw-KE), or --numbers lexicon or keep",
        )
    if mode == "cldr" and not has_rules:
        raise LexiError(
            f"CLDR has no number spell-out rules for {speller.locale!r}",
            hint="pass --numbers lexicon (numbers through the lexicon) or --numbers keep; "
            "the rules come from the unicode-rbnf package",
        )
    return mode
