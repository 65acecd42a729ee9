"""Inflection transfer: put a translated target lemma into the form the source word had.

The compatibility rule (also in docs/morphology.md). A source analysis gives the *wanted*
bundle (``wake`` in "wake me up" → ``V;IMP;2;SG``). Each candidate bundle of the target
lemma (from the table; or, for a lemma the table lacks, every bundle the learned inflector
knows) is scored against it:

* a part of speech of another family rules the candidate out (a verb is never inflected
  as a noun);
* each wanted feature the candidate has: +2;
* a wanted feature whose dimension the candidate fills with a *near* value (imperative ↔
  subjunctive/optative/admonitive, present ↔ future,
  progressive ↔ imperfective, perfect ↔ perfective): +1; with another value: −2;
* each candidate feature in a dimension the source says nothing about: −0.5 (finiteness
  −0.1), so the least marked form wins (``N;PL`` over ``N;PL;ACC``).

An imperative is never stood in for by another mood: when none of the candidates is an
imperative, the lemma is kept. UniMorph lemmas are citation forms, and in many languages
(Swahili among them) the bare stem is the singular imperative, where the near-value rule
would pick a subjunctive that commands do not use.

The best-scoring bundle wins (ties: fewer features, then alphabetical). A lemma the table
lacks is inflected by the learned inflector, but only into bundles it saw with at least
``InflectorConfig.min_pairs`` training pairs: a Swahili noun's class (and so its plural
prefix) is lexical, and a handful of examples cannot predict it. When no candidate
survives, the lemma is returned unchanged (method ``"lemma"``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lexi.errors import LexiError
from lexi.io import read_pickle_cache, write_pickle_cache
from lexi.morph.english import Analysis
from lexi.morph.features import dimension_of, format_features, pos_of
from lexi.morph.inflector import MODEL_FORMAT, Inflector, InflectorConfig, learn_inflector
from lexi.morph.unimorph import (
    ParadigmIndex,
    cache_key,
    default_table,
    fetch_hint,
    load_index,
    table_files,
)
from lexi.paths import cache_dir

# Values that stand in for each other across languages (both directions).
NEAR_VALUES: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in (
        ("IMP", "SBJV"), ("IMP", "OPT"), ("IMP", "ADM"), ("SBJV", "OPT"),
        ("PROG", "IPFV"), ("PRF", "PFV"), ("PRS", "FUT"),
    )
)
# Parts of speech that may stand for each other.
_POS_FAMILY = {
    "V": "V", "V.PTCP": "V", "V.MSDR": "V", "V.CVB": "V", "AUX": "V",
    "N": "N", "PROPN": "N", "ADJ": "ADJ", "ADV": "ADV",
}


@dataclass(frozen=True)
class Inflection:
    """A target word form, the bundle it realises, and how it was found.

    method: ``"table"`` (the paradigm table has it), ``"learned"`` (the inflector produced
    it), ``"lemma"`` (nothing fitted: the lemma unchanged, ``features`` = those wanted), or
    ``"not_in_table"`` (asked with ``learned=False`` for a lemma the table lacks: the
    lemma unchanged, counted apart so that a run can say what the table-only rule held back).
    """

    form: str
    features: frozenset[str]
    method: str


# The rule's weights in tenths of a point, added up as integers. Float sums depend on the
# order of the terms (2 - 0.1 - 0.5 - 0.5 - 0.5 is 0.3999999999999999, 2 - 0.5 - 0.5 - 0.5 - 0.1
# is 0.4), that order followed set iteration, which changes with PYTHONHASHSEED, and so two
# bundles that tie on paper (Swahili V;FIN;IND;COND;PRS;1;PL and ...;PST;1;PL for "would")
# were ranked differently from one run to the next (issue 16).
_MATCH, _NEAR, _CLASH, _UNASKED, _UNASKED_FINITENESS = 20, 10, -20, -5, -1


def bundle_score(wanted: frozenset[str], candidate: frozenset[str]) -> float | None:
    """How well ``candidate`` realises ``wanted`` (higher is better); None if incompatible."""
    wanted_pos, candidate_pos = pos_of(wanted), pos_of(candidate)
    if wanted_pos is None or candidate_pos is None:
        return None
    if _POS_FAMILY.get(wanted_pos, wanted_pos) != _POS_FAMILY.get(candidate_pos, candidate_pos):
        return None
    by_dimension: dict[str | None, set[str]] = {}
    for tag in candidate - {candidate_pos}:
        by_dimension.setdefault(dimension_of(tag), set()).add(tag)
    tenths = 0
    wanted_dims = set()
    for tag in wanted - {wanted_pos}:
        dim = dimension_of(tag)
        wanted_dims.add(dim)
        if tag in candidate:
            tenths += _MATCH
        elif dim in by_dimension:
            near = any(frozenset((tag, other)) in NEAR_VALUES for other in by_dimension[dim])
            tenths += _NEAR if near else _CLASH
    for dim, tags in by_dimension.items():
        if dim not in wanted_dims:
            tenths += (_UNASKED_FINITENESS if dim == "finiteness" else _UNASKED) * len(tags)
    return tenths / 10


def best_bundle(
    wanted: frozenset[str], candidates: Iterable[frozenset[str]]
) -> frozenset[str] | None:
    """The candidate that best realises ``wanted`` under :func:`bundle_score`."""
    candidates = list(candidates)
    if "IMP" in wanted and not any("IMP" in candidate for candidate in candidates):
        return None  # no imperative to offer: the caller keeps the lemma (module docstring)
    best: tuple[float, int, str, frozenset[str]] | None = None
    for candidate in candidates:
        score = bundle_score(wanted, candidate)
        if score is None:
            continue
        key = (-score, len(candidate), format_features(candidate), candidate)
        if best is None or key[:3] < best[:3]:
            best = key
    return None if best is None else best[3]


@dataclass
class Morphology:
    """One language's paradigm index and learned inflector.

    When built from a table without a model, the inflector is learned from the table the
    first time a lemma outside it is asked for (then cached on disk), so table look-ups
    never pay for learning.
    """

    lang: str
    index: ParadigmIndex | None = None
    inflector_model: Inflector | None = None
    learn_from: tuple[Path, ...] = ()
    # (lemma or "" for the learned path, wanted bundle) → chosen bundle: synthesis asks the
    # same question for every sentence, and scoring ~200 bundles costs about a millisecond.
    _chosen: dict[tuple[str, frozenset[str]], frozenset[str] | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def inflector(self) -> Inflector | None:
        if self.inflector_model is None and self.learn_from:
            self.inflector_model = _cached_inflector(self.lang, list(self.learn_from), self.index)
        return self.inflector_model

    def inflect(self, lemma: str, source: Analysis, *, learned: bool = True) -> Inflection:
        """``lemma`` in the form that best matches the source word's features; without
        ``learned``, only from the paradigm table (``lexi synth --inflect-from table``)."""
        return self.transfer(lemma, source.features, learned=learned)

    def transfer(
        self, lemma: str, wanted: frozenset[str], *, learned: bool = True
    ) -> Inflection:
        """``lemma`` in the bundle closest to ``wanted`` (the compatibility rule above).
        ``learned=False``: a lemma the table lacks is returned unchanged (method
        ``"not_in_table"``) instead of going to the learned inflector."""
        paradigm = self.index.paradigms.get(lemma) if self.index is not None else None
        if paradigm:
            key = (lemma, wanted)
            if key not in self._chosen:
                self._chosen[key] = best_bundle(wanted, paradigm)
            bundle = self._chosen[key]
            if bundle is not None:
                return Inflection(paradigm[bundle][0], bundle, "table")
        elif not learned:
            return Inflection(lemma, wanted, "not_in_table")
        elif (inflector := self.inflector) is not None:
            key = ("", wanted)
            if key not in self._chosen:
                self._chosen[key] = best_bundle(wanted, inflector.reliable_bundles())
            bundle = self._chosen[key]
            if bundle is not None:
                form = inflector.inflect(lemma, bundle)
                if form:
                    return Inflection(form, bundle, "learned")
        return Inflection(lemma, wanted, "lemma")

    def inflect_features(self, lemma: str, features: frozenset[str]) -> Inflection:
        """``lemma`` in exactly ``features``: the table's form, else the inflector's."""
        if self.index is not None:
            forms = self.index.paradigms.get(lemma, {}).get(features)
            if forms:
                return Inflection(forms[0], features, "table")
        if (inflector := self.inflector) is not None:
            form = inflector.inflect(lemma, features)
            if form:
                return Inflection(form, features, "learned")
        return Inflection(lemma, features, "lemma")

    def analyze(self, form: str) -> list[tuple[str, frozenset[str]]]:
        """Every (lemma, features) the table gives ``form``; lower-cased lookup as fallback."""
        if self.index is None:
            return []
        found = self.index.analyses.get(form) or self.index.analyses.get(form.lower()) or []
        return list(found)


def load_morphology(
    lang: str, table: str | Path | None = None, model: str | Path | None = None
) -> Morphology:
    """The morphology of ``lang``: a UniMorph table (default: the unimorph package's layout,
    ``$UNIMORPH/<iso>/<iso>`` and ``<iso>.1``, ``<iso>.2``...) and an inflector (``model``
    from ``lexi morph learn``; else learned from the table and cached).
    """
    if table is not None:
        files = table_files(table)
        if not files:
            raise LexiError("UniMorph table not found", path=table, hint=fetch_hint(lang))
    else:
        files = table_files(default_table(lang))
    if not files and model is None:
        raise LexiError(
            f"no UniMorph table and no inflector model for {lang!r} "
            f"(looked in {default_table(lang)})",
            hint=fetch_hint(lang),
        )
    index = load_index(files) if files else None
    if model is not None:
        return Morphology(lang=lang, index=index, inflector_model=Inflector.load(model))
    return Morphology(lang=lang, index=index, learn_from=tuple(files))


def _cached_inflector(lang: str, files: list[Path], index: ParadigmIndex | None) -> Inflector:
    """Learn the table's inflector once per table version (pickled beside the index)."""
    # The learning settings are part of the key: new defaults must not reuse old rules.
    settings = hashlib.sha256(repr((MODEL_FORMAT, InflectorConfig())).encode()).hexdigest()[:8]
    cache = cache_dir("morph") / f"{cache_key(files)}.{settings}.inflector.pkl"
    cached = read_pickle_cache(cache, Inflector)
    if cached is not None:
        return cached
    inflector = learn_inflector(index.entries() if index else [], lang=lang)
    write_pickle_cache(cache, inflector)
    return inflector
