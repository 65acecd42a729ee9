"""UniMorph feature bundles: parse ``V;IND;PRS;NOM(3,SG)`` into a normalised tag set.

The label inventory is the UniMorph schema's (Sylak-Glassman 2016, "The Composition and
Use of the Universal Morphological Feature Schema"), grouped by dimension so that the
transfer step can tell "a different value of the same dimension" (a conflict) from "a
dimension the other bundle does not mark" (no evidence). Spelling variants seen in real
UniMorph and SIGMORPHON files are unified (``PRES`` → ``PRS``, ``SUBJ`` → ``SBJV``).
"""

from __future__ import annotations

import re
from pathlib import Path

from lexi.errors import LexiError

# Dimension → labels, from the UniMorph schema. Kept as plain data: the only code that
# reads it is dimension_of() / known-label checks below.
SCHEMA: dict[str, tuple[str, ...]] = {
    "pos": (
        "N", "PROPN", "ADJ", "PRO", "CLF", "ART", "DET", "V", "ADV", "AUX", "V.PTCP",
        "V.MSDR", "V.CVB", "ADP", "COMP", "CONJ", "NUM", "PART", "INTJ",
    ),
    "aktionsart": ("STAT", "DYN", "TEL", "ATEL", "PCT", "DUR", "ACH", "ACCMP", "SEMEL", "ACTY"),
    "animacy": ("ANIM", "INAN", "HUM", "NHUM"),
    "aspect": ("IPFV", "PFV", "PRF", "PROG", "PROSP", "ITER", "HAB"),
    "case": (
        "NOM", "ACC", "ERG", "ABS", "NOMS", "DAT", "BEN", "PRP", "GEN", "REL", "PRT", "INS",
        "COM", "VOC", "COMPV", "EQTV", "PRIV", "PROPR", "AVR", "FRML", "TRANS", "BYWAY",
        "INTER", "AT", "POST", "IN", "CIRC", "ANTE", "APUD", "ON", "ONHR", "ONVR", "SUB",
        "REM", "PROXM", "ESS", "ALL", "ABL", "APPRX", "TERM",
        "LOC",  # not in the 2016 schema list, but what UniMorph tables (tur, fin) write
    ),
    "comparison": ("CMPR", "SPRL", "AB", "RL", "EQT"),
    "definiteness": ("DEF", "INDF", "SPEC", "NSPEC"),
    "deixis": (
        "PROX", "MED", "REMT", "REF1", "REF2", "NOREF", "PHOR", "VIS", "NVIS", "ABV", "EVEN",
        "BEL",
    ),
    "evidentiality": (
        "FH", "DRCT", "SEN", "VISU", "NVSEN", "AUD", "NFH", "QUOT", "RPRT", "HRSY", "INFER",
        "ASSUM",
    ),
    "finiteness": ("FIN", "NFIN"),
    "gender": ("FEM", "MASC", "NEUT"),  # plus BANTU1-23 and NAKH1-8, matched by pattern
    "information_structure": ("TOP", "FOC"),
    "interrogativity": ("DECL", "INT"),
    "mood": (
        "IND", "SBJV", "REAL", "IRR", "AUPRP", "AUNPRP", "IMP", "COND", "PURP", "INTEN", "POT",
        "LKLY", "ADM", "OBLIG", "DEB", "PERM", "DED", "SIM", "OPT",
    ),
    "number": ("SG", "PL", "GRPL", "DU", "TRI", "PAUC", "GRPAUC", "INVN"),
    "person": ("0", "1", "2", "3", "4", "INCL", "EXCL", "PRX", "OBV"),
    "polarity": ("POS", "NEG"),
    "politeness": (
        "INFM", "FORM", "ELEV", "HUMB", "POL", "AVOID", "LOW", "HIGH", "STELEV", "STSUPR",
        "LIT", "FOREG", "COL",
    ),
    "possession": ("ALN", "NALN"),  # plus PSS1S, PSS2PI, ... matched by pattern
    "switch_reference": ("SS", "SSADV", "DS", "DSADV", "OR", "SIMMA", "SEQMA", "LOG"),
    "tense": ("PRS", "PST", "FUT", "IMMED", "HOD", "1DAY", "RCT", "RMT"),
    "valency": ("IMPRS", "INTR", "TR", "DITR", "REFL", "RECP", "CAUS", "APPL"),
    "voice": (
        "ACT", "MID", "PASS", "ANTIP", "DIR", "INV", "AGFOC", "PFOC", "LFOC", "BFOC", "ACFOC",
        "IFOC", "CFOC",
    ),
}

# Families of labels the schema defines by pattern rather than by list.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("gender", re.compile(r"BANTU\d{1,2}[A-Z]?|NAKH\d")),
    ("possession", re.compile(r"PSS[0-4][SDP]?[IE]?[FM]?(?:INFM|FORM)?")),
    ("argument", re.compile(r"ARG[A-Z]{2,3}[0-4]?[SDP]?[IE]?[FM]?(?:INFM|FORM)?")),
    # Language-specific features are opaque but legal (Swahili's noun-class agreement).
    ("language_specific", re.compile(r"LGSPEC\d+")),
    # Person+number in one label, as the SIGMORPHON 2018 Turkish files write predicate
    # agreement on nouns (N;...;1S;SG). Kept whole: splitting it would collide with the
    # noun's own number.
    ("agreement", re.compile(r"[1-3][SP]")),
    # Swahili UniMorph's indefinite-agreement tags (V;FIN;INDF3;PL): opaque, as LGSPEC.
    ("language_specific", re.compile(r"INDF[1-3]")),
)

# Known spelling variants of the same feature → the schema's label.
ALIASES: dict[str, str] = {
    "PRES": "PRS",
    "PAST": "PST",
    "SUBJ": "SBJV",
    "PERF": "PRF",
    "IMPV": "IMP",
    "IMPER": "IMP",
    "INF": "NFIN",
    "PTCP": "V.PTCP",
    "V.PART": "V.PTCP",
    "MSDR": "V.MSDR",
    "CVB": "V.CVB",
    "NN": "N",
    "PRON": "PRO",
    "ADJV": "ADJ",
}

_DIMENSION: dict[str, str] = {label: dim for dim, labels in SCHEMA.items() for label in labels}
_LAYERED = re.compile(r"^([A-Z0-9.]+)\((.*)\)$")


def dimension_of(tag: str) -> str | None:
    """The schema dimension of a normalised tag (``"PL"`` → ``"number"``), None if unknown.

    A layered argument tag such as ``ACC(3,SG)`` belongs to the dimension ``"ACC"`` so that
    two different object-agreement values conflict with each other.
    """
    if tag in _DIMENSION:
        return _DIMENSION[tag]
    layered = _LAYERED.match(tag)
    if layered:
        return f"argument:{layered.group(1)}"
    for dimension, pattern in PATTERNS:
        if pattern.fullmatch(tag):
            return dimension
    return None


def _normalise_label(raw: str, *, path: str | Path | None, line: int | None) -> str:
    label = ALIASES.get(raw.strip().upper(), raw.strip().upper())
    if dimension_of(label) is None:
        raise LexiError(
            f"unknown UniMorph feature {raw.strip()!r}",
            path=path,
            line=line,
            hint="expected labels of the UniMorph schema such as V, N, PL, PST, IMP, 2, SG",
        )
    return label


def parse_features(
    text: str, *, path: str | Path | None = None, line: int | None = None
) -> frozenset[str]:
    """Parse a ``;``-separated UniMorph bundle into a normalised tag set.

    ``NOM(3,SG)`` (UniMorph 4's layered subject agreement) becomes the bare ``3`` and ``SG``
    that UniMorph 2/3 write for the same thing; other layers (``ACC(1,PL)``) stay whole,
    with their arguments normalised. ``+`` inside a label (``PSS1S+PL``-style conjunctions)
    and ``{NOM/ACC}`` alternatives are split into their parts. An unknown label raises
    :class:`LexiError` naming ``path`` and ``line``.
    """
    tags: set[str] = set()
    for raw in text.strip().split(";"):
        raw = raw.strip()
        if not raw:
            continue
        layered = _LAYERED.match(raw.upper())
        if layered:
            head, inner = layered.groups()
            args = [
                _normalise_label(arg, path=path, line=line)
                for arg in inner.split(",") if arg.strip()
            ]
            if head == "NOM":
                tags.update(args)
            else:
                _normalise_label(head, path=path, line=line)
                tags.add(f"{head}({','.join(args)})")
            continue
        for part in re.split(r"[+/]", raw.strip("{}")):
            if part.strip("{} "):
                part = part.strip("{} ")
                tags.add(_normalise_label(part, path=path, line=line))
    if not tags:
        raise LexiError("empty feature bundle", path=path, line=line, hint="e.g. V;IMP;2;SG")
    return frozenset(tags)


def format_features(features: frozenset[str] | set[str]) -> str:
    """A canonical ``;``-joined spelling: POS, finiteness, mood, tense, aspect, person,
    number, then the other dimensions; alphabetical within a dimension."""
    leading = ("pos", "finiteness", "mood", "tense", "aspect", "person", "number", "agreement")
    dims = list(leading) + [dim for dim in SCHEMA if dim not in leading]
    order = {dim: index for index, dim in enumerate(dims)}

    def key(tag: str) -> tuple[int, str]:
        dim = dimension_of(tag) or ""
        return (order.get(dim, len(order)), tag)

    return ";".join(sorted(features, key=key))


# Schema order of the part-of-speech labels: which one pos_of() reports when a bundle has two.
_POS_RANK: dict[str, int] = {label: rank for rank, label in enumerate(SCHEMA["pos"])}


def pos_of(features: frozenset[str]) -> str | None:
    """The part-of-speech tag of a bundle (``V``, ``N``, ``V.PTCP``, ...), if it has one.

    A bundle with two (``V;V.PTCP``) gives the one listed first in the schema: taking the
    first met would follow the set's iteration order, which changes with PYTHONHASHSEED.
    """
    found: str | None = None
    for tag in features:
        rank = _POS_RANK.get(tag)
        if rank is not None and (found is None or rank < _POS_RANK[found]):
            found = tag
    return found


class SortedBundle(frozenset):
    """A bundle that pickles with its tags sorted, and unpickles as a plain frozenset.

    A frozenset pickles its elements in iteration order, which follows the string hashes and
    so changes with PYTHONHASHSEED: the same table would give different cache files in every
    run. The cached paradigm index and learned inflector turn their bundles into these
    when they are pickled (their ``__getstate__``).
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[tuple[str, ...]]]:
        return frozenset, (tuple(sorted(self)),)
