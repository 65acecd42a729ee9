"""One source's senses, best first, and Entry records built fast.

A lexicon view (:mod:`lexi.lexicon.view`) and a store's reader (:mod:`lexi.lexicon.store`)
both group a source phrase's rows into senses (duplicates merged, best weight first) and
turn them into :class:`~lexi.lexicon.model.Entry` records; both live here so that the
view's module holds only lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lexi.lexicon.model import Entry

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


new_entry = _entry_maker()


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
        new_entry(source, *row)
        for row in best_first([(e.target, e.pos, e.weight, e.provenance) for e in entries])
    ])
