"""Writing :class:`~lexi.synth.numbers_find.NumberExpr` s in the target language with CLDR.

:class:`CldrNumbers`: numbers with CLDR's rule-based number format (RBNF spell-out rules,
from the ``unicode-rbnf`` package), day periods, the hour/minute/period order of a time
and weekday and month names with Babel's CLDR data, all offline; :func:`rbnf_language`
says which languages have spell-out rules. The speller memoises.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from lexi.synth.numbers_find import NumberExpr


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
