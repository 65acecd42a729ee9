"""What a synthesis run does: the operators and their parameters, as one dataclass."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lexi.errors import LexiError
from lexi.synth.numbers import NUMBER_MODES, NUMBERS_DEFAULT
from lexi.synth.word_order import parse_word_order

# Generators each write their own rows; modifiers change how every generator writes
# target words. Order in ``--ops`` does not matter: the composition is fixed (see docs).
GENERATORS = ("translate", "codeswitch", "phonetic")
MODIFIERS = ("inflect",)
SENSES = ("weight", "random", "first")
UNKNOWN = ("keep", "drop", "drop-function-words")
# Closed-class English words many target languages have no word for, dropped by
# ``--unknown drop-function-words`` when the lexicon has no translation for them: the
# articles (Swahili, Turkish, Lingala and most Bantu languages have none). Deliberately
# short; ``--function-words`` replaces the list (e.g. to add "to", "of" for an ablation).
FUNCTION_WORDS = ("a", "an", "the")
SLOT_MODES = ("keep", "translate", "localise")
PHONETIC_STYLES = ("ipa", "ascii")
# Where ``inflect`` takes a form from: the UniMorph table, then the learned inflector for a
# lemma no table has (``table+learned``, the default), or the table alone (``table``: a
# lemma outside it keeps its lexicon form). Measured on Swahili, the learned inflector
# wrote most of the inflected forms (docs/synthesis.md), hence the choice.
INFLECT_FROM = ("table+learned", "table")


def inflect_pos_list(inflect_pos: str | None) -> tuple[str, ...] | None:
    """``--inflect-pos`` (comma separated, any case) as a tuple; ``None`` or ``all``: every
    part of speech (the default, no selection)."""
    if inflect_pos is None or inflect_pos.strip().lower() == "all":
        return None
    return tuple(tag.strip().upper() for tag in inflect_pos.split(",") if tag.strip())


def _check_inflect_pos(tags: Any) -> tuple[str, ...]:
    """``tags`` as upper-case parts of speech, each one the English analysis gives
    (imported here: it loads lemminflect, which a run without ``--inflect-pos`` need not)."""
    from lexi.morph.english import POS_TAGS, UD_NAMES

    allowed = f"one or more of {', '.join(POS_TAGS)} (comma separated), or all"
    if not isinstance(tags, (list, tuple)) or not all(isinstance(tag, str) for tag in tags):
        raise LexiError(f"inflect_pos must be a list of parts of speech, got {tags!r}",
                        hint=allowed)
    tags = tuple(tag.strip().upper() for tag in tags)
    if not tags:
        raise LexiError("inflect_pos selects no part of speech", hint=allowed)
    for tag in tags:
        if tag not in POS_TAGS:
            ours = UD_NAMES.get(tag)
            raise LexiError(
                f"unknown part of speech {tag!r} in inflect_pos"
                + (f" (lexi's English analysis calls it {ours})" if ours else ""),
                hint=f"one of {', '.join(POS_TAGS)} (the English analysis's UniMorph names)",
            )
    return tags


def function_word_list(function_words: str | None, unknown: str) -> tuple[str, ...]:
    """The words ``--unknown drop-function-words`` drops, from ``--function-words`` (comma
    separated; ``None``: :data:`FUNCTION_WORDS`). Given with another ``--unknown`` it is an
    error rather than ignored: the user expects it to change something."""
    if function_words is not None and unknown != "drop-function-words":
        raise LexiError(
            f"--function-words is only read by --unknown drop-function-words "
            f"(--unknown is {unknown!r})",
            hint="add --unknown drop-function-words, or leave --function-words out",
        )
    if function_words is None:
        return FUNCTION_WORDS
    return tuple(word.strip() for word in function_words.split(",") if word.strip())


@dataclass(frozen=True)
class SynthConfig:
    """Parameters of a synthesis run.

    ops: generators (``translate``, ``codeswitch``, ``phonetic``) and modifiers
        (``inflect``); each generator writes ``per_utterance`` rows per source row.
    per_utterance: rows each generator writes per source row (variants differ by seed).
    seed: global seed; each row's randomness comes from (seed, source id, op, index).
    locale: the target locale written into every row (``sw-KE``); ``None`` omits it.
    sense: which translation of a word: ``weight`` (sampled by lexicon weight),
        ``random`` (uniform) or ``first`` (the lexicon's best).
    unknown: words without a translation are kept (``keep``), dropped (``drop``), or
        dropped only when they are in ``function_words`` (``drop-function-words``); drops
        happen outside slot values only, so that no slot ever becomes empty.
    function_words: the words ``drop-function-words`` drops (compared in lower case).
    numbers: numbers, times, weekdays and months (:mod:`lexi.synth.numbers`): written
        with CLDR (``cldr``), through the lexicon word by word (``lexicon``; am/pm is
        never looked up, it becomes CLDR's day-period word when there is one), or kept
        as in the source (``keep``); ``auto`` is ``cldr`` where CLDR has spell-out rules
        for the locale's language and ``lexicon`` elsewhere (the synthesizer resolves it).
        Default :data:`~lexi.synth.numbers.NUMBERS_DEFAULT`.
    slot_mode: slot values are kept verbatim (``keep``), translated like the rest
        (``translate``; a slot lexicon, when given, is tried first) or localised
        (``localise``: only words the slot lexicon knows, e.g. CLDR weekdays, change).
    token_ratio: codeswitch replaces this share of the translatable words.
    sentence_ratio: codeswitch switches this share of sentences (the rest yield nothing).
    phonetic_style: ``ipa`` (epitran's output) or ``ascii`` (IPA folded to plain letters).
    keep_source: also write each source row, unchanged, before its synthetic rows.
    inflect_from: where ``inflect`` takes forms from (:data:`INFLECT_FROM`): the paradigm
        table, then the learned inflector (``table+learned``), or the table alone
        (``table``: a translation that is no table lemma stays as the lexicon gives it).
    inflect_pos: ``inflect`` changes only words whose English analysis has one of these
        parts of speech (``Analysis.pos``: ``V``, ``V.PTCP``, ``N``...; a comma-separated
        string is read too); ``None``: every word. Neither does anything without
        ``inflect`` in ``ops`` (like ``--morph``), so one set of options can serve runs
        with and without it.
    word_order: word order of ``translate`` and ``phonetic`` rows
        (:mod:`lexi.synth.word_order`): English's (``source``), a language's from URIEL
        (``sw``; ``auto``: the locale's language), or the classes to move
        (``adj,poss,num,dem`` after the noun, ``adp`` after its phrase, ``verb`` last).
    """

    ops: tuple[str, ...] = ("translate",)
    per_utterance: int = 1
    seed: int = 0
    locale: str | None = None
    sense: str = "weight"
    unknown: str = "keep"
    function_words: tuple[str, ...] = FUNCTION_WORDS
    numbers: str = NUMBERS_DEFAULT
    slot_mode: str = "translate"
    token_ratio: float = 0.5
    sentence_ratio: float = 1.0
    phonetic_style: str = "ipa"
    keep_source: bool = False
    inflect_from: str = "table+learned"
    inflect_pos: tuple[str, ...] | None = None
    word_order: str = "source"

    def __post_init__(self) -> None:
        known = GENERATORS + MODIFIERS
        for op in self.ops:
            if op not in known:
                raise LexiError(f"unknown operator {op!r}", hint=f"one of {', '.join(known)}")
        if not self.ops:
            raise LexiError("no operators given", hint=f"e.g. --ops {','.join(GENERATORS[:2])}")
        if len(set(self.ops)) != len(self.ops):
            raise LexiError(f"an operator is listed twice in {','.join(self.ops)}")
        for name, value, allowed in (
            ("sense", self.sense, SENSES),
            ("unknown", self.unknown, UNKNOWN),
            ("numbers mode", self.numbers, NUMBER_MODES),
            ("slot mode", self.slot_mode, SLOT_MODES),
            ("phonetic style", self.phonetic_style, PHONETIC_STYLES),
            ("inflect_from", self.inflect_from, INFLECT_FROM),
        ):
            if value not in allowed:
                raise LexiError(f"unknown {name} {value!r}", hint=f"one of {', '.join(allowed)}")
        words = self.function_words
        if not isinstance(words, (list, tuple)) or not all(
            isinstance(word, str) and word.strip() and len(word.split()) == 1 for word in words
        ):
            raise LexiError(
                f"function_words must be a list of single words, got {words!r}",
                hint="e.g. a,an,the (words are compared one token at a time, in lower case)",
            )
        if self.unknown == "drop-function-words" and not words:
            raise LexiError(
                "--unknown drop-function-words with no function words would drop nothing",
                hint=f"give --function-words (default {','.join(FUNCTION_WORDS)}), "
                "or use --unknown keep",
            )
        # A list from a YAML spec (lexi train --synth) becomes a tuple: the config is hashable.
        object.__setattr__(self, "function_words", tuple(word.strip() for word in words))
        tags = self.inflect_pos
        if isinstance(tags, str):  # "V,N", as on the command line or in a YAML spec
            tags = inflect_pos_list(tags)
        if tags is not None:  # None: every part of speech (and nothing to import)
            tags = _check_inflect_pos(tags)
        object.__setattr__(self, "inflect_pos", tags)
        object.__setattr__(self, "word_order", parse_word_order(self.word_order))
        if self.per_utterance < 1:
            raise LexiError(f"per_utterance must be at least 1, got {self.per_utterance}")
        ratios = (("token_ratio", self.token_ratio), ("sentence_ratio", self.sentence_ratio))
        for name, ratio in ratios:
            if not 0.0 <= ratio <= 1.0:
                raise LexiError(f"{name} must be between 0 and 1, got {ratio}")

    @property
    def generators(self) -> tuple[str, ...]:
        """The generators in ``ops``; ``inflect`` alone means ``translate`` + ``inflect``."""
        found = tuple(op for op in self.ops if op in GENERATORS)
        return found or ("translate",)

    @property
    def inflect(self) -> bool:
        return "inflect" in self.ops

    def params_for(self, op: str) -> dict[str, Any]:
        """The parameters that shaped a row of generator ``op`` (recorded as provenance)."""
        params: dict[str, Any] = {
            "sense": self.sense, "slot_mode": self.slot_mode, "inflect": self.inflect,
            "numbers": self.numbers,
        }
        if self.inflect:  # what shaped the inflected words ("all": no POS selection)
            params["inflect_from"] = self.inflect_from
            params["inflect_pos"] = list(self.inflect_pos) if self.inflect_pos else "all"
        if op == "codeswitch":
            params["token_ratio"] = self.token_ratio
            params["sentence_ratio"] = self.sentence_ratio
        else:
            params["unknown"] = self.unknown
            if self.word_order != "source":
                params["word_order"] = self.word_order
            if self.unknown == "drop-function-words":
                params["function_words"] = list(self.function_words)
        if op == "phonetic":
            params["phonetic_style"] = self.phonetic_style
        return params

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ops"] = list(self.ops)
        data["function_words"] = list(self.function_words)
        if self.inflect_pos is not None:
            data["inflect_pos"] = list(self.inflect_pos)
        return data
