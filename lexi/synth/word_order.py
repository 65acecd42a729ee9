"""Noun-phrase word order: English modifiers moved after the noun where the target does so.

English writes adjectives, possessors, numerals, demonstratives and noun modifiers before
the noun ("my favourite song", "the kitchen lights"); Swahili writes them after ("wimbo
wangu unaopenda", "taa za jikoni"). Word-by-word synthesis keeps English's order unless
told otherwise. ``--word-order`` names the classes to move (``adj,poss,num,dem``), or a
language (``sw``; ``auto``: the ``--locale`` language) whose order
``lexi/resources/word_order.tsv`` gives (URIEL's typology,
:mod:`lexi.resources.build_word_order`).

Only the noun phrase moves, inside one chunk (a slot value or the text between two slots),
so slot spans stay exact. Moved modifiers follow the noun in the mirror image of English's
order (Greenberg's most common post-nominal order, N-Adj-Num-Dem), the possessor first;
articles and quantifiers (the, a, all, every) stay in front. A noun modifier ("kitchen" in
"kitchen lights") moves with the possessors (a genitive in most languages that write one).
A multi-word lexicon match ("living room") is one unit with the class of its last word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lexi.errors import LexiError

TABLE = Path(__file__).resolve().parents[1] / "resources" / "word_order.tsv"
# The classes --word-order names, in the order moved modifiers follow the noun.
CLASSES = ("poss", "adj", "num", "dem")
CLASS_COLUMNS = {"adj": "adjective", "poss": "possessor", "num": "numeral",
                 "dem": "demonstrative"}
SOURCE = "source"
AUTO = "auto"
_NOMINAL_MODIFIERS = frozenset({"art", "poss", "dem", "num", "adj", "n"})
_RANK = {"art": 0, "poss": 0, "dem": 0, "num": 1, "adj": 2, "n": 3}
# The order moved modifiers follow the noun in ("gen": a noun modifying the noun).
_TAIL = ("poss", "gen", "adj", "num", "dem")


@dataclass(frozen=True)
class WordOrder:
    """Which English pre-nominal classes the target writes after the noun."""

    after: frozenset[str]

    @property
    def spec(self) -> str:
        """The ``--word-order`` value that gives this order (``source`` for none)."""
        return ",".join(c for c in CLASSES if c in self.after) or SOURCE


def parse_word_order(spec: str) -> str:
    """Check a ``--word-order`` value and return it normalised: ``source``, ``auto``, classes
    from :data:`CLASSES` (comma separated; returned in that order) or a language (any code
    lexi reads: ``sw``, ``swh_Latn``; that language's order from the table)."""
    value = spec.strip()
    if value.lower() in (SOURCE, AUTO, ""):
        return value.lower() or SOURCE
    names = [name.strip().lower() for name in value.split(",") if name.strip()]
    if all(name in CLASSES for name in names):
        return WordOrder(frozenset(names)).spec
    if "," not in value and language_order(value) is not None:
        return value
    wrong = next(name for name in names if name not in CLASSES)
    raise LexiError(
        f"unknown word-order class {wrong!r} in {spec!r}" if "," in value
        else f"{spec!r} is neither a word-order class nor a language the order table has",
        hint=f"source, auto (the --locale language's), a language code such as sw, or the "
        f"classes written after the noun from {','.join(CLASSES)}",
    )


@lru_cache(maxsize=2)
def load_table(path: Path = TABLE) -> dict[str, dict[str, str]]:
    """word_order.tsv, by ISO 639-3 code."""
    rows: dict[str, dict[str, str]] = {}
    header: list[str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        if len(cells) != len(header):
            raise LexiError(f"expected {len(header)} tab-separated columns, got {len(cells)}",
                            path=path, line=number)
        rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


def language_order(language: str) -> tuple[WordOrder, str] | None:
    """The order of ``language`` (a code such as ``sw``, ``swh``, ``sw-KE``, ``twi_Latn``)
    and where it comes from (``observed``, ``predicted``...); ``None`` if not in the table."""
    import langcodes

    table = load_table()
    code = language.replace("_", "-").split("-")[0].lower()
    candidates = [code]
    try:
        tag = langcodes.Language.get(code)
        candidates += [tag.to_alpha3(), langcodes.Language.get(code, normalize=False).to_alpha3()]
    except (LookupError, ValueError, langcodes.LanguageTagError):
        pass
    for candidate in candidates:
        row = table.get(candidate)
        if row is not None:
            after = frozenset(c for c, column in CLASS_COLUMNS.items() if row[column] == "after")
            return WordOrder(after), row["source"]
    return None


def resolve_word_order(spec: str, locale: str | None) -> WordOrder | None:
    """The order synthesis writes: ``None`` (English's) for ``source``, for ``auto`` without
    a locale, or for a language that writes nothing after the noun; else the classes to
    move (``auto``: the locale's language's; a language code: that language's)."""
    spec = parse_word_order(spec)
    if spec == SOURCE:
        return None
    if spec == AUTO or not all(name in CLASSES for name in spec.split(",")):
        language = locale if spec == AUTO else spec
        found = language_order(language) if language else None
        return found[0] if found is not None and found[0].after else None
    return WordOrder(frozenset(spec.split(",")))


def word_class(analysis: Any, following: Any | None) -> str | None:
    """The noun-phrase class of one English word's analysis (:mod:`lexi.morph.english`):
    ``art`` (articles, quantifiers), ``poss``, ``dem``, ``num``, ``adj``, ``n``, or None."""
    pos, features = analysis.pos, analysis.features
    if pos == "DET":
        if any(f.startswith("PSS") for f in features):
            return "poss"
        return "dem" if features & {"PROX", "REMT"} else "art"
    if pos == "PRO" and features & {"PROX", "REMT"}:
        # "this week": a demonstrative only when a noun follows ("play this": a pronoun).
        return "dem" if following is not None and following.pos == "N" else None
    return {"N": "n", "NUM": "num", "ADJ": "adj"}.get(pos)


def chunk_order(
    classes: Sequence[str | None], units: Sequence[tuple[int, int]], order: WordOrder,
) -> list[int] | None:
    """The chunk's token positions in the target's order (``None``: unchanged).

    ``units``: (first token, length) of each unit in order (a multi-word match is one);
    ``classes``: each unit's class (:func:`word_class` of its last word)."""
    after = order.after
    placed: list[int] = []  # unit indices in their new order
    changed = False
    i, n = 0, len(units)
    while i < n:
        if classes[i] not in _NOMINAL_MODIFIERS:
            placed.append(i)
            i += 1
            continue
        # A noun phrase in English's order (determiners, numerals, adjectives, nouns): a
        # class out of that order starts another phrase ("dim the lights": "dim" is no
        # modifier of "lights", whatever the tagger said).
        end = i + 1
        while (end < n and classes[end] in _NOMINAL_MODIFIERS
               and _RANK[classes[end]] >= _RANK[classes[end - 1]]):
            end += 1
        nouns = [k for k in range(i, end) if classes[k] == "n"]
        if not nouns:
            placed.extend(range(i, end))
            i = end
            continue
        head = nouns[-1]
        front: list[int] = []
        moved: dict[str, list[int]] = {c: [] for c in _TAIL}
        for k in range(i, head):
            cls = classes[k]
            if cls in after or (cls == "n" and "poss" in after):
                moved["gen" if cls == "n" else cls].append(k)
            else:
                front.append(k)
        # The possessor next to the noun, then the others in the mirror image of English's.
        tail = moved["poss"] + [k for c in _TAIL[1:] for k in moved[c][::-1]]
        if tail:
            changed = True
        placed.extend([*front, head, *tail])
        i = head + 1
    if not changed:
        return None
    return [token for u in placed for token in range(units[u][0], units[u][0] + units[u][1])]


def row_orders(
    chunks: Sequence[Any], analyses: Sequence[Any], matches: Sequence[Any], order: WordOrder,
) -> tuple[list[int] | None, ...]:
    """Per chunk of a source row (:class:`~lexi.synth.align.Chunk`): its token positions in
    the target's order, or ``None`` where nothing moves. ``analyses``: the English analysis
    of every token of the row; ``matches``: the chunks' lexicon matches (a multi-word match
    moves as one unit)."""
    orders: list[list[int] | None] = []
    for chunk, (sites, _) in zip(chunks, matches, strict=True):
        spans = {site.token: site.length for site in sites if site.length > 1}
        units: list[tuple[int, int]] = []
        k = 0
        while k < len(chunk.words):
            units.append((k, spans.get(k, 1)))
            k += units[-1][1]
        heads = [analyses[chunk.offset + start + length - 1] for start, length in units]
        classes = [word_class(head, heads[u + 1] if u + 1 < len(heads) else None)
                   for u, head in enumerate(heads)]
        orders.append(chunk_order(classes, units, order) if len(units) > 1 else None)
    return tuple(orders)


def reorder(outputs: list[list[str | None]], orders: Sequence[list[int] | None]) -> None:
    """Put each chunk's output tokens (``outputs``, one list per chunk, changed in place) in
    the order :func:`row_orders` gave."""
    for ci, positions in enumerate(orders):
        if positions is not None:
            out = outputs[ci]
            outputs[ci] = [out[k] for k in positions]
