"""Word order: English phrases rearranged the way the target language orders them.

English writes adjectives, possessors, numerals, demonstratives and noun modifiers before
the noun ("my favourite song", "the kitchen lights"), prepositions, and the verb before
its object. Swahili writes the modifiers after the noun ("wimbo wangu unaopenda", "taa za
jikoni"); Turkish writes postpositions and the verb last. Word-by-word synthesis keeps
English's order unless told otherwise. ``--word-order`` names the classes to move
(``adj,poss,num,dem,adp,verb``), or a language (``sw``; ``auto``: the ``--locale``
language) whose order ``lexi/resources/word_order.tsv`` gives (URIEL's typology,
:mod:`lexi.resources.build_word_order`).

Only words inside one chunk move (a slot value or the text between two slots), so slot
spans stay exact. Moved modifiers follow the noun in the mirror image of English's order
(Greenberg's most common post-nominal order, N-Adj-Num-Dem), the possessor first;
articles and quantifiers (the, a, all, every) stay in front. A noun modifier ("kitchen" in
"kitchen lights") moves with the possessors (a genitive in most languages that write one).
Then an adposition follows its noun phrase and a verb the phrase after it. A multi-word
lexicon match ("living room") is one unit with the class of its last word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lexi.errors import LexiError

TABLE = Path(__file__).resolve().parents[1] / "resources" / "word_order.tsv"
# The classes --word-order names: four noun modifiers (in the order they follow the noun
# when they move), adpositions (after their noun phrase: postpositions) and verbs (after
# their object).
CLASSES = ("poss", "adj", "num", "dem", "adp", "verb")
CLASS_COLUMNS = {"adj": "adjective", "poss": "possessor", "num": "numeral",
                 "dem": "demonstrative", "adp": "adposition"}
SOURCE = "source"
AUTO = "auto"
_NOMINAL_MODIFIERS = frozenset({"art", "poss", "dem", "num", "adj", "n"})
_CLASS_OF_POS = {"N": "n", "NUM": "num", "ADJ": "adj", "ADP": "adp", "V": "v", "PART": "part"}
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
    """The order of ``language`` (anything lexi's language resolver reads: ``sw``, ``swh``,
    ``sw-KE``, ``twi_Latn``, ``Bambara``) and where it comes from (``observed``,
    ``predicted``...); ``None`` if the table has none of its codes."""
    from lexi.resources.languages import resolve_language

    typed = language.replace("_", "-").split("-")[0].lower()
    candidates = [typed]
    try:
        record = resolve_language(language)
    except LexiError:
        record = None
    if record is not None:  # the variety SIB-200 uses first (swh for sw), then the others
        candidates += [*(record.sib200 or "").split("_")[:1], record.iso3, *record.codes]
    table = load_table()
    for candidate in candidates:
        row = table.get(candidate)
        if row is not None:
            after = {c for c, column in CLASS_COLUMNS.items() if row[column] == "after"}
            if row["object"] == "before":  # an object-verb language: the verb comes last
                after.add("verb")
            return WordOrder(frozenset(after)), row["source"]
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
    """The class of one English word's analysis (:mod:`lexi.morph.english`) in a phrase:
    ``art`` (articles, quantifiers), ``poss``, ``dem``, ``num``, ``adj``, ``n`` (noun
    phrase), ``adp``, ``v`` (a verb), ``part`` (a verb's particle), or None."""
    pos, features = analysis.pos, analysis.features
    if pos == "DET":
        if any(f.startswith("PSS") for f in features):
            return "poss"
        return "dem" if features & {"PROX", "REMT"} else "art"
    if pos == "PRO" and features & {"PROX", "REMT"}:
        # "this week": a demonstrative only when a noun follows ("play this": a pronoun).
        return "dem" if following is not None and following.pos == "N" else None
    return _CLASS_OF_POS.get(pos)


def _noun_phrase(classes: Sequence[str | None], i: int, after: frozenset[str]
                 ) -> tuple[list[int], int] | None:
    """The noun phrase starting at unit ``i`` in the target's order, and the unit after it
    (``None``: no noun phrase starts there)."""
    # Determiners, numerals, adjectives, nouns in English's order: a class out of that
    # order starts another phrase ("dim the lights": "dim" is no modifier of "lights",
    # whatever the tagger said).
    end = i + 1
    while (end < len(classes) and classes[end] in _NOMINAL_MODIFIERS
           and _RANK[classes[end]] >= _RANK[classes[end - 1]]):
        end += 1
    nouns = [k for k in range(i, end) if classes[k] == "n"]
    if not nouns:
        return None
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
    return [*front, head, *tail], head + 1


def chunk_order(
    classes: Sequence[str | None], units: Sequence[tuple[int, int]], order: WordOrder,
) -> list[int] | None:
    """The chunk's token positions in the target's order (``None``: unchanged).

    ``units``: (first token, length) of each unit in order (a multi-word match is one);
    ``classes``: each unit's class (:func:`word_class` of its last word). Noun phrases are
    ordered first; then an adposition follows its noun phrase (``adp``), and a verb (with
    its particle: "turn off") follows the noun or adpositional phrase right after it
    (``verb``: "play the song" → "the song play")."""
    after = order.after
    # Phrases: (kind, unit indices in the target's order); kind "np", "adp", "v" or "".
    phrases: list[tuple[str, list[int]]] = []
    i, n = 0, len(units)
    while i < n:
        cls = classes[i]
        found = _noun_phrase(classes, i, after) if cls in _NOMINAL_MODIFIERS else None
        if found is not None:
            phrases.append(("np", found[0]))
            i = found[1]
        elif cls == "v":
            end = i + 1
            while end < n and classes[end] == "part":
                end += 1
            phrases.append(("v", list(range(i, end))))
            i = end
        else:
            phrases.append((cls if cls == "adp" else "", [i]))
            i += 1
    if "adp" in after:  # "in the house" → "the house in"
        phrases = _swap(phrases, "adp", ("np",), "pp")
    if "verb" in after:  # "play the song" → "the song play"
        phrases = _swap(phrases, "v", ("np", "pp"), "vp")
    placed = [u for _, members in phrases for u in members]
    if placed == list(range(n)):
        return None
    return [token for u in placed for token in range(units[u][0], units[u][0] + units[u][1])]


def _swap(phrases: list[tuple[str, list[int]]], mover: str, targets: tuple[str, ...],
          joined: str) -> list[tuple[str, list[int]]]:
    """Each ``mover`` phrase put after the phrase right after it when that one's kind is in
    ``targets``; the pair becomes one phrase of kind ``joined``."""
    out: list[tuple[str, list[int]]] = []
    k = 0
    while k < len(phrases):
        kind, members = phrases[k]
        if kind == mover and k + 1 < len(phrases) and phrases[k + 1][0] in targets:
            out.append((joined, phrases[k + 1][1] + members))
            k += 2
        else:
            out.append((kind, members))
            k += 1
    return out


def row_orders(
    chunks: Sequence[Any], analyses: Sequence[Any], matches: Sequence[Any], order: WordOrder,
    *, slots: bool = True,
) -> tuple[list[int] | None, ...]:
    """Per chunk of a source row (:class:`~lexi.synth.align.Chunk`): its token positions in
    the target's order, or ``None`` where nothing moves. ``analyses``: the English analysis
    of every token of the row; ``matches``: the chunks' lexicon matches (a multi-word match
    moves as one unit). ``slots=False`` leaves slot values as they are (``--slot-mode
    keep`` and ``localise`` promise them verbatim or changed word for word)."""
    orders: list[list[int] | None] = []
    for chunk, (sites, _) in zip(chunks, matches, strict=True):
        if chunk.slot is not None and not slots:
            orders.append(None)
            continue
        spans = {site.token: site.length for site in sites if site.length > 1}
        units: list[tuple[int, int]] = []
        k = 0
        while k < len(chunk.words):
            units.append((k, spans.get(k, 1)))
            k += units[-1][1]
        heads = [analyses[chunk.offset + start + length - 1] for start, length in units]
        # Punctuation never moves, whatever an analyser calls it.
        classes = [word_class(head, heads[u + 1] if u + 1 < len(heads) else None)
                   if chunk.is_word[start + length - 1] else None
                   for u, (head, (start, length)) in enumerate(zip(heads, units, strict=True))]
        orders.append(chunk_order(classes, units, order) if len(units) > 1 else None)
    return tuple(orders)


def reorder(outputs: list[list[str | None]], orders: Sequence[list[int] | None], *,
            initial_is_name: bool = False) -> None:
    """Put each chunk's output tokens (``outputs``, one list per chunk, changed in place) in
    the order :func:`row_orders` gave. When the row's first word moves and it was
    capitalised only as the first word (``This week`` → ``wiki hii``, not a name:
    ``initial_is_name``, nor an acronym), the capital goes to the word now first."""
    first = _first_word(outputs)
    for ci, positions in enumerate(orders):
        if positions is not None:
            out = outputs[ci]
            outputs[ci] = [out[k] for k in positions]
    now = _first_word(outputs)
    if first is None or now is None or initial_is_name:
        return
    ci, positions = first[0], orders[first[0]] if first[0] < len(orders) else None
    if positions is None or now[0] != ci or positions[now[1]] == first[1]:
        return  # the first word did not move
    moved = positions.index(first[1])
    old, new = outputs[ci][moved], outputs[ci][now[1]]
    if old and new and _sentence_case(old) and new[:1].islower():
        outputs[ci][moved] = old[:1].lower() + old[1:]
        outputs[ci][now[1]] = new[:1].upper() + new[1:]


def _first_word(outputs: list[list[str | None]]) -> tuple[int, int] | None:
    """(chunk, position) of the first token the row writes, None for an empty row."""
    for ci, out in enumerate(outputs):
        for k, token in enumerate(out):
            if token:
                return ci, k
    return None


def _sentence_case(word: str) -> bool:
    """Capitalised as a sentence's first word is (``Hii``), not an acronym (``NASA``, ``I``)."""
    return word[:1].isupper() and any(c.islower() for c in word[1:])
