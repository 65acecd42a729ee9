"""A learned inflector: edit rules at both ends of the word, learned from UniMorph pairs.

Each training pair is split at its longest common substring (the stem) into a prefix
change and a suffix change: Swahili ``fua → ukafue`` gives the prefix rule ``"" → "uka"``
and the suffix rule ``"a" → "e"``; Turkish ``sosluk → sosluğunun`` gives the suffix rule
``"k" → "ğunun"`` (a stem-final change folded into the suffix). Each rule is stored under
its feature bundle and under every lemma edge (the first / last 0..N letters of the lemma
that cover what it removes), so the lemma's shape chooses between the rules of one bundle:
``-a`` verbs take ``-e`` in the subjunctive, vowel-initial verbs drop a prefix vowel,
back-vowel Turkish stems take ``-lar``, front ones ``-ler``.

To inflect, each end takes the rule of the longest lemma edge seen for the bundle (for
prefixes: seen at least twice); among the rules of that edge the most frequent wins. A
bundle never seen in training borrows the rules of the seen bundle that shares most
features with it (same part of speech).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from lexi.data.massive import not_utf8
from lexi.errors import LexiError
from lexi.io import atomic_write
from lexi.morph.features import SortedBundle, format_features, parse_features, pos_of
from lexi.morph.unimorph import Entry

MODEL_FORMAT = "lexi-morph-inflector/1"

# (how many letters to drop at this end of the lemma, what to put there instead)
Rule = tuple[int, str]
# lemma edge (the letters the rule was seen next to) → rule → how often
EdgeRules = dict[str, Counter]


@dataclass(frozen=True)
class InflectorConfig:
    """How the edit rules are learned.

    max_context: how many letters of lemma edge beyond what a rule removes condition it
        (longer = more specific; 0 = rules depend on the bundle only).

    prefix_context: condition prefix rules on the lemma's first letters too (off: the most
        frequent prefix rule of the bundle, as the SIGMORPHON 2018 baseline does).
    prefix_support: a prefix rule's lemma edge must have been seen this often to be used
        (prefixes mostly depend on the bundle; one odd verb should not set the rule).
    backoff: inflect an unseen bundle with the rules of the nearest seen one (off: no
        prediction, the caller keeps the lemma).
    shape: also condition suffix rules on the lemma's shape (its last vowel and whether it
        ends in a vowel), tried after endings longer than ``shape_after`` letters: vowel
        harmony picks the suffix by the last vowel, which may sit several letters back.
    min_pairs: bundles seen fewer times than this are not offered to inflection transfer
        (they still inflect when asked for by name, as in the SIGMORPHON evaluation).
    """

    max_context: int = 5
    min_pairs: int = 10
    prefix_context: bool = True
    prefix_support: int = 2
    backoff: bool = True
    shape: bool = True
    shape_after: int = 3

    def __post_init__(self) -> None:
        for name in ("max_context", "min_pairs", "prefix_support", "shape_after"):
            if getattr(self, name) < 0:
                raise LexiError(f"--{name.replace('_', '-')} must be 0 or more, "
                                f"not {getattr(self, name)}")


@dataclass
class Inflector:
    """Prefix and suffix edit rules per feature bundle, conditioned on the lemma's edges."""

    lang: str = ""
    config: InflectorConfig = field(default_factory=InflectorConfig)
    prefix: dict[str, EdgeRules] = field(default_factory=dict)
    suffix: dict[str, EdgeRules] = field(default_factory=dict)
    bundles: dict[str, frozenset[str]] = field(default_factory=dict)
    bundle_pairs: Counter = field(default_factory=Counter)
    pairs: int = 0

    # -- learning -------------------------------------------------------------------------
    def add(self, lemma: str, form: str, features: frozenset[str]) -> None:
        key = format_features(features)
        self.bundles.setdefault(key, features)
        self.bundle_pairs[key] += 1
        prefix_rule, suffix_rule = split_edits(lemma, form)
        ctx = self.config.max_context
        prefixes = self.prefix.setdefault(key, {})
        prefix_ctx = ctx if self.config.prefix_context else 0
        for size in range(prefix_rule[0], min(len(lemma), prefix_rule[0] + prefix_ctx) + 1):
            prefixes.setdefault(lemma[:size], Counter())[prefix_rule] += 1
        suffixes = self.suffix.setdefault(key, {})
        for size in range(suffix_rule[0], min(len(lemma), suffix_rule[0] + ctx) + 1):
            edge = lemma[len(lemma) - size:]
            suffixes.setdefault(edge, Counter())[suffix_rule] += 1
        if self.config.shape:
            shape = _shape_key(lemma, suffix_rule[0])
            suffixes.setdefault(shape, Counter())[suffix_rule] += 1
        self.pairs += 1

    def compact(self) -> None:
        """Drop lemma edges that can never change a prediction (most edges of a big table:
        one per training lemma). Predictions are the same before and after."""
        keep_from = (self.config.shape_after if self.config.shape else -1) + 2
        for edges in self.suffix.values():
            redundant = [
                edge for edge, counts in edges.items()
                if not edge.startswith("~") and len(edge) >= max(keep_from, 1)
                and edge[1:] in edges and _top(counts) == _top(edges[edge[1:]])
            ]
            for edge in redundant:
                del edges[edge]
        support = self.config.prefix_support
        for edges in self.prefix.values():
            redundant = []
            for edge, counts in edges.items():
                if not edge:
                    continue
                parent = edges.get(edge[:-1])
                if parent is None or sum(parent.values()) < support:
                    continue
                # Never reached (too rare, a supported shorter edge exists) or agrees with it.
                if sum(counts.values()) < support or _top(counts) == _top(parent):
                    redundant.append(edge)
            for edge in redundant:
                del edges[edge]

    # -- inflecting -----------------------------------------------------------------------
    def knows(self, features: frozenset[str]) -> bool:
        return format_features(features) in self.bundles

    def reliable_bundles(self) -> list[frozenset[str]]:
        """Bundles seen at least ``config.min_pairs`` times: safe targets for transfer."""
        return [
            features for key, features in self.bundles.items()
            if self.bundle_pairs[key] >= self.config.min_pairs
        ]

    def nearest_bundle(self, features: frozenset[str]) -> str | None:
        """The seen bundle closest to ``features``: same POS, most shared tags, fewest extra."""
        key = format_features(features)
        if key in self.bundles:
            return key
        if not self.config.backoff:
            return None
        pos = pos_of(features)
        best: tuple[float, str] | None = None
        for other_key, other in self.bundles.items():
            if pos is not None and pos_of(other) not in (pos, None):
                continue
            score = len(features & other) - 0.5 * len(other - features)
            if best is None or (score, other_key) > best:
                best = (score, other_key)
        return None if best is None else best[1]

    def inflect(self, lemma: str, features: frozenset[str]) -> str | None:
        """The predicted form, or None when nothing was learned for this part of speech."""
        key = self.nearest_bundle(features)
        if key is None:
            return None
        drop, add = _choose(self.suffix.get(key, {}), self._suffix_keys(lemma))
        stem = lemma[: len(lemma) - drop] + add
        drop, add = _choose(
            self.prefix.get(key, {}), (lemma[:size] for size in range(len(lemma), -1, -1)),
            min_support=self.config.prefix_support,
        )
        # The prefix rule was learned on the lemma's start; the suffix change never reaches
        # it except on very short lemmas, where dropping past the start is clipped.
        return add + stem[min(drop, len(stem)):]

    def _suffix_keys(self, lemma: str) -> list[str]:
        """Lemma endings to look rules up under, most specific first: long endings, then the
        lemma's shape (last vowel, final letter class), then the last ``shape_after`` letters."""
        cut = self.config.shape_after if self.config.shape else -1
        keys = [lemma[len(lemma) - size:] for size in range(len(lemma), cut, -1)]
        if self.config.shape:
            keys += [_shape_key(lemma, drop) for drop in range(len(lemma), -1, -1)]
            keys += [lemma[len(lemma) - size:] for size in range(cut, -1, -1)]
        return keys

    # -- serialising ----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, object]:
        """What the cache pickles: bundles with sorted tags, so that the same table gives
        the same cache bytes under any PYTHONHASHSEED (see
        :class:`~lexi.morph.features.SortedBundle`)."""
        state = dict(self.__dict__)
        state["bundles"] = {key: SortedBundle(features) for key, features in self.bundles.items()}
        return state

    def to_dict(self) -> dict:
        def rules(table: dict[str, EdgeRules]) -> dict:
            return {
                key: {edge: [[d, a, n] for (d, a), n in counts.most_common()]
                      for edge, counts in edges.items()}
                for key, edges in table.items()
            }

        return {
            "format": MODEL_FORMAT,
            "lang": self.lang,
            "config": dataclasses.asdict(self.config),
            "pairs": self.pairs,
            "bundles": {key: self.bundle_pairs[key] for key in sorted(self.bundles)},
            "prefix": rules(self.prefix),
            "suffix": rules(self.suffix),
        }

    @classmethod
    def from_dict(cls, data: dict, *, path: str | Path | None = None) -> Inflector:
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise LexiError(
                f"not a lexi inflector model (expected format {MODEL_FORMAT!r})", path=path,
                hint="create one with `lexi morph learn LANG TABLE -o MODEL`",
            )

        def rules(table: dict) -> dict[str, EdgeRules]:
            return {
                key: {edge: Counter({(int(d), str(a)): int(n) for d, a, n in items})
                      for edge, items in edges.items()}
                for key, edges in table.items()
            }

        return cls(
            lang=data.get("lang", ""),
            config=InflectorConfig(**data.get("config", {})),
            prefix=rules(data["prefix"]),
            suffix=rules(data["suffix"]),
            bundles={key: parse_features(key, path=path) for key in data["bundles"]},
            bundle_pairs=Counter({key: int(n) for key, n in data["bundles"].items()}),
            pairs=int(data.get("pairs", 0)),
        )

    def save(self, path: str | Path) -> None:
        with atomic_write(path) as out:
            json.dump(self.to_dict(), out, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def load(cls, path: str | Path) -> Inflector:
        try:
            with Path(path).open(encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            raise LexiError("inflector model not found", path=path) from None
        except UnicodeDecodeError as exc:
            raise not_utf8(path, exc) from None
        except json.JSONDecodeError as exc:
            raise LexiError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
        return cls.from_dict(data, path=path)


def split_edits(lemma: str, form: str) -> tuple[Rule, Rule]:
    """Split a pair at its longest common substring into (prefix rule, suffix rule)."""
    match = SequenceMatcher(None, lemma, form, autojunk=False).find_longest_match(
        0, len(lemma), 0, len(form)
    )
    if match.size == 0:
        # Suppletion (go → went): the whole word is the suffix change.
        return (0, ""), (len(lemma), form)
    lemma_end, form_end = match.a + match.size, match.b + match.size
    return (match.a, form[: match.b]), (len(lemma) - lemma_end, form[form_end:])


def _choose(edges: EdgeRules, keys: Iterable[str], min_support: int = 1) -> Rule:
    """The most frequent rule under the first key seen at least ``min_support`` times (the
    first key seen at all if none is); no change if nothing applies."""
    fallback: Counter | None = None
    for key in keys:
        counts = edges.get(key)
        if not counts:
            continue
        if sum(counts.values()) >= min_support:
            fallback = counts
            break
        fallback = fallback or counts
    return (0, "") if fallback is None else _top(fallback)


def _top(counts: Counter) -> Rule:
    """The most frequent rule; ties broken deterministically by the rule itself."""
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


# Vowel letters of Latin-script orthographies; the shape key uses the lemma's last vowel,
# which decides suffix vowels under vowel harmony (Turkish, Finnish, Hungarian).
VOWELS = frozenset("aeiouıöüäëïâêîôûàèìòùáéíóúåøæœ")


def _shape_key(lemma: str, drop: int) -> str:
    """``~<last vowel><V|C>|<dropped letters>``: the lemma's shape where a rule applies."""
    stem = lemma[: len(lemma) - drop]
    last_vowel = next((ch for ch in reversed(stem.lower()) if ch in VOWELS), "-")
    final = "V" if stem and stem[-1].lower() in VOWELS else "C"
    return f"~{last_vowel}{final}|{lemma[len(lemma) - drop:]}"


def learn_inflector(
    entries: Iterable[Entry], lang: str = "", config: InflectorConfig | None = None
) -> Inflector:
    """Learn an :class:`Inflector` from table rows."""
    inflector = Inflector(lang=lang, config=config or InflectorConfig())
    for entry in entries:
        inflector.add(entry.lemma, entry.form, entry.features)
    inflector.compact()
    return inflector
