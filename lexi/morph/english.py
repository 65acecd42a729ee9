"""English source-side analysis: lemma + UniMorph features for each word of a sentence.

Lemmas and inflection classes come from ``lemminflect`` (offline; its own lexicon of
English lemmas and Penn-tagged inflections). lemminflect does not tag parts of speech;
spaCy's English model is not on PyPI (only unofficial re-uploads) and NLTK's tagger data
downloads at run time, so the part of speech is chosen by a small, documented
rule layer tuned for assistant commands, on top of lemminflect's per-POS lexicon:

1. closed-class words (pronouns, determiners, prepositions, auxiliaries, conjunctions,
   numbers, wh-words) come from the word lists below;
2. a word lemminflect knows only under one open class takes that class;
3. otherwise context decides: the first open-class word of a command (or the word after
   "please", "and", "then", a modal, "to", "let's") is a verb if it can be one; a word
   after a determiner, possessive, number or adjective is a noun (or an adjective when a
   noun follows); a word after a subject pronoun is a verb;
4. features follow from which of the lemma's inflections the word is (``alarms`` is the
   NNS of ``alarm`` → N;PL; ``plays`` is VBZ → V;IND;PRS;3;SG).

An imperative verb gets ``V;IMP;2;SG`` (assistant commands address one listener).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# lemminflect's lookups; lemmas are read from its table without importing it.
from lexi.morph import lemma_table

# Every part of speech ``Analysis.pos`` takes (UniMorph names): what ``lexi synth
# --inflect-pos`` selects from. V.PTCP (``playing``, ``taken``) is its own
# value, as it is in the features; PUNCT is anything without a letter or digit.
POS_TAGS = ("V", "V.PTCP", "AUX", "N", "PROPN", "PRO", "ADJ", "ADV", "DET", "ADP", "CONJ",
            "NUM", "PART", "PUNCT")
# Universal Dependencies names that differ from ours (VERB is V), for error messages.
UD_NAMES = {"VERB": "V", "NOUN": "N", "PRON": "PRO", "CCONJ": "CONJ", "SCONJ": "CONJ"}


@dataclass(frozen=True)
class Analysis:
    """One English word: its lemma, UniMorph POS and UniMorph features (POS included)."""

    word: str
    lemma: str
    pos: str
    features: frozenset[str]


# Closed classes: word → (lemma, UniMorph features). Pronoun features follow UniMorph
# (person, number, case); possessives are determiners with a possessor feature.
_PRONOUNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "i": ("i", ("PRO", "1", "SG", "NOM")), "me": ("i", ("PRO", "1", "SG", "ACC")),
    "you": ("you", ("PRO", "2")), "he": ("he", ("PRO", "3", "SG", "NOM", "MASC")),
    "him": ("he", ("PRO", "3", "SG", "ACC", "MASC")),
    "she": ("she", ("PRO", "3", "SG", "NOM", "FEM")),
    "her": ("she", ("PRO", "3", "SG", "ACC", "FEM")),
    "it": ("it", ("PRO", "3", "SG")), "we": ("we", ("PRO", "1", "PL", "NOM")),
    "us": ("we", ("PRO", "1", "PL", "ACC")), "they": ("they", ("PRO", "3", "PL", "NOM")),
    "them": ("they", ("PRO", "3", "PL", "ACC")),
    "myself": ("myself", ("PRO", "1", "SG", "REFL")),
    "something": ("something", ("PRO", "3", "SG")), "anything": ("anything", ("PRO", "3", "SG")),
    "what": ("what", ("PRO", "INT")), "who": ("who", ("PRO", "INT")),
    "which": ("which", ("PRO", "INT")), "this": ("this", ("PRO", "PROX", "SG")),
}
_POSSESSIVES: dict[str, tuple[str, ...]] = {
    "my": ("DET", "PSS1S"), "your": ("DET", "PSS2S"), "his": ("DET", "PSS3S"),
    "its": ("DET", "PSS3S"), "our": ("DET", "PSS1P"), "their": ("DET", "PSS3P"),
}
_DETERMINERS: dict[str, tuple[str, ...]] = {
    "the": ("DET", "DEF"), "a": ("DET", "INDF", "SG"), "an": ("DET", "INDF", "SG"),
    "that": ("DET", "REMT", "SG"), "these": ("DET", "PROX", "PL"),
    "those": ("DET", "REMT", "PL"), "some": ("DET",), "any": ("DET",), "every": ("DET", "SG"),
    "all": ("DET", "PL"), "each": ("DET", "SG"), "no": ("DET", "NEG"), "another": ("DET", "SG"),
}
_ADPOSITIONS = frozenset(
    "at in on for by to from with about of into onto over under after before until till "
    "during near around between through without within via per as than".split()
)
_CONJUNCTIONS = frozenset("and or but nor so if because when while whether".split())
_WH_ADVERBS = frozenset("how where when why".split())
_ADVERBS = frozenset(
    "not now today tonight tomorrow yesterday please also again just very too here there "
    "then later soon up down off out away back".split()
)
# Phrasal-verb particles: "wake me up", "turn off the lights".
_PARTICLES = frozenset("up down off out on in away back over".split())
# Auxiliaries and modals with their lemma and UniMorph features.
_AUXILIARIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "am": ("be", ("AUX", "IND", "PRS", "1", "SG")), "'m": ("be", ("AUX", "IND", "PRS", "1", "SG")),
    "is": ("be", ("AUX", "IND", "PRS", "3", "SG")), "'s": ("be", ("AUX", "IND", "PRS", "3", "SG")),
    "are": ("be", ("AUX", "IND", "PRS")), "'re": ("be", ("AUX", "IND", "PRS")),
    "was": ("be", ("AUX", "IND", "PST", "SG")), "were": ("be", ("AUX", "IND", "PST")),
    "be": ("be", ("AUX", "NFIN")), "been": ("be", ("AUX", "V.PTCP", "PST")),
    "do": ("do", ("AUX", "IND", "PRS")), "does": ("do", ("AUX", "IND", "PRS", "3", "SG")),
    "did": ("do", ("AUX", "IND", "PST")), "have": ("have", ("AUX", "IND", "PRS")),
    "has": ("have", ("AUX", "IND", "PRS", "3", "SG")), "had": ("have", ("AUX", "IND", "PST")),
    "can": ("can", ("AUX", "POT")), "could": ("can", ("AUX", "POT", "PST")),
    "will": ("will", ("AUX", "FUT")), "'ll": ("will", ("AUX", "FUT")),
    "would": ("will", ("AUX", "COND")), "shall": ("shall", ("AUX", "FUT")),
    "should": ("shall", ("AUX", "OBLIG")), "may": ("may", ("AUX", "PERM")),
    "might": ("may", ("AUX", "POT")), "must": ("must", ("AUX", "OBLIG")),
}
_MODALS = frozenset("can could will would shall should may might must 'll do does did".split())
_NUMBERS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million half".split()
)
# Words after which a verb in its base form is an imperative ("please play", "and turn").
_IMPERATIVE_OPENERS = frozenset("please and then now just kindly".split())
_SUBJECT_PRONOUNS = {
    "i": ("1", "SG"), "you": ("2",), "we": ("1", "PL"), "they": ("3", "PL"),
    "he": ("3", "SG"), "she": ("3", "SG"), "it": ("3", "SG"),
}
# lemminflect's upos → UniMorph POS.
_UPOS = {"NOUN": "N", "VERB": "V", "ADJ": "ADJ", "ADV": "ADV", "PROPN": "PROPN", "AUX": "AUX"}


# A Lemminflect keeps at most this many answers of each kind, then starts again (bounded
# on streams).
LEMMINFLECT_MEMO_LIMIT = 200_000


class Lemminflect:
    """The two lemminflect lookups this module makes, as asked (no memory): the default."""

    def all_lemmas(self, word: str, upos: str | None = None) -> dict[str, tuple[str, ...]]:
        return lemma_table.all_lemmas(word, upos=upos)

    def inflection(self, lemma: str, tag: str) -> tuple[str, ...]:
        return lemma_table.inflection(lemma, tag=tag)


class LemminflectMemo(Lemminflect):
    """The lookups with their answers remembered, for one owner (a synthesizer).

    lemminflect deep-copies its table's answer on every call, most of the cost of
    analysing a sentence, and a text asks about the same few thousand words again and
    again. The answers are shared, so callers must not change them (this module's
    functions only read them)."""

    def __init__(self) -> None:
        self._lemmas: dict[tuple[str, str | None], dict[str, tuple[str, ...]]] = {}
        self._inflections: dict[tuple[str, str], tuple[str, ...]] = {}

    def all_lemmas(self, word: str, upos: str | None = None) -> dict[str, tuple[str, ...]]:
        key = (word, upos)
        found = self._lemmas.get(key)
        if found is None:
            found = _remember(self._lemmas, key, lemma_table.all_lemmas(word, upos=upos))
        return found

    def inflection(self, lemma: str, tag: str) -> tuple[str, ...]:
        key = (lemma, tag)
        found = self._inflections.get(key)
        if found is None:
            found = _remember(self._inflections, key, lemma_table.inflection(lemma, tag=tag))
        return found


def _remember(memo: dict, key: tuple, answer):
    """Store ``answer`` under ``key`` and return it; a full memo starts again (bounded
    memory on endless text, and the hot path, a hit, never pays for the check)."""
    if len(memo) >= LEMMINFLECT_MEMO_LIMIT:
        memo.clear()
    memo[key] = answer
    return answer


DIRECT = Lemminflect()  # holds nothing: shared safely


def _clitic_split(word: str) -> tuple[str, str | None]:
    """``what's`` → (``what``, ``'s``); ``let's`` keeps its own entry."""
    lowered = word.lower().replace("’", "'")
    for clitic in ("'s", "'re", "'m", "'ll", "'ve", "'d"):
        if lowered.endswith(clitic) and len(lowered) > len(clitic) and lowered != "let's":
            return lowered[: -len(clitic)], clitic
    return lowered, None


def _closed_class(word: str) -> Analysis | None:
    lowered, _ = _clitic_split(word)
    if word.lower() == "let's":
        return Analysis(word, "let", "V", frozenset({"V", "IMP", "1", "PL"}))
    if lowered in _PRONOUNS:
        lemma, feats = _PRONOUNS[lowered]
        return Analysis(word, lemma, "PRO", frozenset(feats))
    if lowered in _POSSESSIVES:
        return Analysis(word, lowered, "DET", frozenset(_POSSESSIVES[lowered]))
    if lowered in _DETERMINERS:
        return Analysis(word, lowered, "DET", frozenset(_DETERMINERS[lowered]))
    if lowered in _AUXILIARIES:
        lemma, feats = _AUXILIARIES[lowered]
        return Analysis(word, lemma, "AUX", frozenset(feats))
    if lowered in _ADPOSITIONS:
        return Analysis(word, lowered, "ADP", frozenset({"ADP"}))
    if lowered in _CONJUNCTIONS:
        return Analysis(word, lowered, "CONJ", frozenset({"CONJ"}))
    if lowered in _WH_ADVERBS:
        return Analysis(word, lowered, "ADV", frozenset({"ADV", "INT"}))
    if lowered in _NUMBERS or lowered.replace(":", "").replace(".", "").isdigit():
        return Analysis(word, lowered, "NUM", frozenset({"NUM"}))
    return None


def _verb_features(word: str, lemma: str, context: str,
                   lemminflect: Lemminflect = DIRECT) -> tuple[str, frozenset[str]]:
    """UniMorph features of a verb form, from which of the lemma's inflections it is."""
    word = word.lower()

    def is_form(tag: str) -> bool:
        return word in lemminflect.inflection(lemma, tag)

    if word != lemma and is_form("VBG"):
        return "V.PTCP", frozenset({"V.PTCP", "PRS"})
    if word != lemma and is_form("VBZ"):
        return "V", frozenset({"V", "IND", "PRS", "3", "SG"})
    agreement: tuple[str, ...] = ()
    if context.startswith("subject:"):
        agreement = _SUBJECT_PRONOUNS[context.split(":", 1)[1]]
    if word != lemma and is_form("VBD"):
        return "V", frozenset({"V", "IND", "PST", *agreement})
    if word != lemma and is_form("VBN"):
        return "V.PTCP", frozenset({"V.PTCP", "PST"})
    if context == "imperative":
        return "V", frozenset({"V", "IMP", "2", "SG"})
    if agreement:
        return "V", frozenset({"V", "IND", "PRS", *agreement})
    return "V", frozenset({"V", "NFIN"})


def _open_class(word: str, upos: str, lemminflect: Lemminflect = DIRECT) -> tuple[str, str]:
    """(lemma, UniMorph POS) of ``word`` read as lemminflect's ``upos``."""
    lowered = word.lower()
    lemmas = lemminflect.all_lemmas(lowered, upos=upos).get(upos) or lemma_table.all_lemmas_oov(
        lowered, upos=upos
    ).get(upos)
    return (lemmas[0] if lemmas else lowered), _UPOS[upos]


def analyze_english(
    words: Sequence[str], *, lemminflect: Lemminflect = DIRECT
) -> list[Analysis]:
    """One :class:`Analysis` per word of one English sentence (punctuation included).
    ``lemminflect``: a :class:`LemminflectMemo` is faster when called for many sentences
    (the same analyses).

    >>> [(a.lemma, sorted(a.features)) for a in analyze_english(["set", "alarms"])]
    [('set', ['2', 'IMP', 'SG', 'V']), ('alarm', ['N', 'PL'])]
    """
    analyses: list[Analysis] = []
    seen_verb = False
    for position, word in enumerate(words):
        previous = analyses[-1] if analyses else None
        following = words[position + 1].lower() if position + 1 < len(words) else ""
        if not any(ch.isalnum() for ch in word):
            analyses.append(Analysis(word, word, "PUNCT", frozenset()))
            continue
        lowered = word.lower()
        # A particle right after a verb (or verb + object pronoun) is part of a phrasal verb.
        if lowered in _PARTICLES and previous is not None and (
            previous.pos == "V"
            or (previous.pos == "PRO" and len(analyses) > 1 and analyses[-2].pos == "V")
        ):
            analyses.append(Analysis(word, lowered, "PART", frozenset({"PART"})))
            continue
        if lowered == "like" and (previous is None or previous.pos not in ("PRO", "AUX")):
            # "what's the weather like", "songs like this": a preposition, not the verb.
            analyses.append(Analysis(word, lowered, "ADP", frozenset({"ADP"})))
            continue
        if lowered == "to" and previous is not None and previous.pos == "V" and (
            "VERB" in lemminflect.all_lemmas(following)
        ):
            # Infinitive marker: "i want to hear".
            analyses.append(Analysis(word, lowered, "PART", frozenset({"PART"})))
            continue
        closed = _closed_class(word)
        if closed is not None:
            analyses.append(closed)
            continue
        if lowered in _ADVERBS:
            analyses.append(Analysis(word, lowered, "ADV", frozenset({"ADV"})))
            continue
        candidates = set(lemminflect.all_lemmas(lowered))
        context = _context(analyses, previous, seen_verb)
        upos = _choose_upos(candidates, context, following, word, lemminflect)
        if upos is None:
            # Unknown to the lexicon: a name ("adele", "olly") or a rare noun.
            pos = "N" if previous is not None and previous.pos in ("DET", "ADJ") else "PROPN"
            analyses.append(Analysis(word, lowered, pos, frozenset({pos, "SG"})))
            continue
        lemma, pos = _open_class(word, upos, lemminflect)
        if pos == "V":
            pos, features = _verb_features(word, lemma, context, lemminflect)
            seen_verb = True
        elif pos in ("N", "PROPN"):
            plural = lowered != lemma and lowered in lemminflect.inflection(lemma, "NNS")
            features = frozenset({pos, "PL" if plural else "SG"})
        elif pos == "ADJ":
            degree = (
                "CMPR" if lowered != lemma and lowered in lemminflect.inflection(lemma, "JJR")
                else "SPRL" if lowered != lemma and lowered in lemminflect.inflection(lemma, "JJS")
                else None
            )
            features = frozenset({"ADJ", degree} - {None})
        else:
            features = frozenset({pos})
        analyses.append(Analysis(word, lemma, pos, features))
    return analyses


def _context(analyses: list[Analysis], previous: Analysis | None, seen_verb: bool) -> str:
    """What the words before suggest about the next open-class word."""
    if previous is None:
        return "imperative"
    if previous.pos == "PROPN" and len(analyses) == 1:
        return "imperative"  # a name addressed first: "olly set an alarm", "alexa play"
    prev = previous.word.lower()
    if prev in _IMPERATIVE_OPENERS and not seen_verb:
        return "imperative"
    if prev in ("and", "then") and seen_verb and analyses[0].features >= {"IMP"}:
        return "imperative"  # "turn off the lights and play music"
    if prev in _MODALS or prev == "to" or prev == "let's":
        return "infinitive"
    if prev in _SUBJECT_PRONOUNS and previous.pos == "PRO":
        if len(analyses) > 1 and analyses[-2].word.lower() in _MODALS:
            return "infinitive"  # "can you play ..."
        return f"subject:{prev}"
    if previous.pos in ("DET", "NUM", "ADJ") or (previous.pos == "ADP" and prev != "to"):
        return "nominal"
    if previous.pos == "AUX":
        return "after-aux"
    return "other"


def _choose_upos(candidates: set[str], context: str, following: str, word: str,
                 lemminflect: Lemminflect = DIRECT) -> str | None:
    open_classes = candidates & {"NOUN", "VERB", "ADJ", "ADV"}
    if not open_classes:
        return "PROPN" if "PROPN" in candidates else None
    if len(open_classes) == 1:
        return next(iter(open_classes))
    if context in ("imperative", "infinitive") or context.startswith("subject:"):
        if "VERB" in open_classes:
            return "VERB"
    if context == "after-aux" and "VERB" in open_classes and word.lower().endswith(("ing", "ed")):
        return "VERB"
    if context == "nominal" and "ADJ" in open_classes and following and "NOUN" in set(
        lemminflect.all_lemmas(following)
    ):
        return "ADJ"
    for upos in ("NOUN", "ADJ", "VERB", "ADV"):
        if upos in open_classes:
            return upos
    return None


def lemma_candidates(word: str, *, lemminflect: Lemminflect = DIRECT) -> tuple[str, ...]:
    """Possible lemmas of ``word`` taken alone, most likely first (lower case).

    The first is the lemma ``analyze_english([word])`` gives (a word alone reads as a
    command, so a verb reading wins), found without the features: one lemminflect
    lookup instead of the several a full analysis makes, several times faster. The rest
    are the lemmas of the word's other readings (``leaves`` → ``leave``, ``leaf``).

    >>> lemma_candidates("alarms"), lemma_candidates("leaves"), lemma_candidates("me")
    (('alarm',), ('leave', 'leaf'), ('i',))
    """
    if not any(ch.isalnum() for ch in word):
        return (word,)
    lowered = word.lower()
    if lowered == "like":  # alone, as in analyze_english: the preposition
        return (lowered,)
    closed = _closed_class(word)
    if closed is not None:
        return (closed.lemma,)
    if lowered in _ADVERBS:
        return (lowered,)
    readings = lemminflect.all_lemmas(lowered)
    upos = _choose_upos(set(readings), "imperative", "", word, lemminflect)
    if upos is None:
        return (lowered,)
    if upos == "PROPN":  # lemminflect looks proper nouns up differently: ask as analysis does
        first = _open_class(word, upos, lemminflect)[0]
    else:
        found = readings.get(upos) or lemma_table.all_lemmas_oov(lowered, upos=upos).get(upos)
        first = found[0] if found else lowered
    others = (lemma for lemmas in readings.values() for lemma in lemmas)
    return tuple(dict.fromkeys((first, *others)))
