"""``cldr``: a lexicon built offline from the CLDR data that ships with Babel.

Every name CLDR keys the same way in two locales becomes an entry, aligned by key:
weekdays and months (wide and abbreviated), day periods, duration units, territory,
language, script and currency names. These are the slot values of assistant
utterances (dates, times, places). Babel has no number spell-out rules, so number
words are not included. Works for any pair of Babel's ~1,000 locales.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from babel import Locale, UnknownLocaleError

from lexi.errors import LexiError
from lexi.lexicon.adapters.base import ImportContext
from lexi.lexicon.model import Entry

DURATION_UNITS = ("second", "minute", "hour", "day", "week", "month", "year")


def _locale(code: str) -> Locale:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise LexiError(
            f"Babel has no CLDR locale {code!r}", hint="see babel.localedata.locale_identifiers()"
        ) from exc


def _aligned(
    src: Mapping, tgt: Mapping, pos: str, kind: str, weight: float = 1.0
) -> Iterator[Entry]:
    for key, source in src.items():
        target = tgt.get(key)
        if isinstance(source, str) and isinstance(target, str) and source and target:
            yield Entry(source, target, pos, weight, f"cldr:{kind}:{key}")


def _calendar(src: Locale, tgt: Locale) -> Iterable[Iterator[Entry]]:
    for field, pos in (("days", "NOUN"), ("months", "NOUN")):
        for context in ("format", "stand-alone"):
            for width, weight in (("wide", 1.0), ("abbreviated", 0.5)):
                yield _aligned(
                    getattr(src, field)[context][width], getattr(tgt, field)[context][width],
                    pos, f"{field}.{width}", weight,
                )
    for context in ("stand-alone", "format"):
        yield _aligned(
            src.day_periods[context]["wide"], tgt.day_periods[context]["wide"], "NOUN",
            f"day_periods.{context}",
        )


def _units(src: Locale, tgt: Locale) -> Iterator[Entry]:
    src_names = src._data["unit_display_names"]
    tgt_names = tgt._data["unit_display_names"]
    for unit in DURATION_UNITS:
        key = f"duration-{unit}"
        source, target = src_names.get(key, {}), tgt_names.get(key, {})
        for width in ("long", "short"):
            if width in source and width in target:
                yield Entry(source[width], target[width], "NOUN", 1.0, f"cldr:unit:{key}")
                break


class CldrAdapter:
    name = "cldr"
    summary = "CLDR names through Babel, offline: weekdays, months, day periods, places, languages"
    needs_path = False
    options = {"sections": "comma-separated subset of calendar,units,territories,languages,"
                           "scripts,currencies (default all)"}

    def read(self, path: Path | None, context: ImportContext) -> Iterator[Entry]:
        src, tgt = _locale(context.src), _locale(context.tgt)
        wanted = set(context.option(
            "sections", "calendar,units,territories,languages,scripts,currencies"
        ).split(","))
        if "calendar" in wanted:
            for part in _calendar(src, tgt):
                yield from part
        if "units" in wanted:
            yield from _units(src, tgt)
        for section, pos in (
            ("territories", "PROPN"), ("languages", "PROPN"), ("scripts", "PROPN"),
            ("currencies", "NOUN"),
        ):
            if section in wanted:
                yield from _aligned(getattr(src, section), getattr(tgt, section), pos, section)
