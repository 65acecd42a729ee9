"""English analysis of assistant commands: lemma + UniMorph features for every word.

The expectations are hand-written linguistic analyses (UniMorph conventions: imperatives
V;IMP;2;SG, plural nouns N;PL, -ing forms V.PTCP;PRS).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lexi.data.tokens import tokenize
from lexi.morph import analyze_english, parse_features

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.fresh_python import modules_after  # noqa: E402

# sentence → [(word, lemma, features)] for the words whose analysis matters to transfer.
COMMANDS: dict[str, list[tuple[str, str, str]]] = {
    "wake me up at seven": [
        ("wake", "wake", "V;IMP;2;SG"), ("me", "i", "PRO;1;SG;ACC"), ("up", "up", "PART"),
        ("at", "at", "ADP"), ("seven", "seven", "NUM"),
    ],
    "set alarms for tomorrow": [
        ("set", "set", "V;IMP;2;SG"), ("alarms", "alarm", "N;PL"), ("for", "for", "ADP"),
    ],
    "what's the weather like": [
        ("what's", "what", "PRO;INT"), ("the", "the", "DET;DEF"),
        ("weather", "weather", "N;SG"), ("like", "like", "ADP"),
    ],
    "play songs by adele": [
        ("play", "play", "V;IMP;2;SG"), ("songs", "song", "N;PL"), ("by", "by", "ADP"),
        ("adele", "adele", "PROPN;SG"),
    ],
    "turn off the lights": [
        ("turn", "turn", "V;IMP;2;SG"), ("off", "off", "PART"), ("lights", "light", "N;PL"),
    ],
    "please remind me about the meetings": [
        ("remind", "remind", "V;IMP;2;SG"), ("meetings", "meeting", "N;PL"),
    ],
    "show me my emails": [
        ("show", "show", "V;IMP;2;SG"), ("my", "my", "DET;PSS1S"), ("emails", "email", "N;PL"),
    ],
    "is it raining in london": [
        ("is", "be", "AUX;IND;PRS;3;SG"), ("raining", "rain", "V.PTCP;PRS"),
    ],
    "i want to hear the next song": [
        ("i", "i", "PRO;1;SG;NOM"), ("want", "want", "V;IND;PRS;1;SG"), ("to", "to", "PART"),
        ("hear", "hear", "V;NFIN"), ("next", "next", "ADJ"), ("song", "song", "N;SG"),
    ],
    "can you play louder music": [
        ("play", "play", "V;NFIN"), ("louder", "loud", "ADJ;CMPR"), ("music", "music", "N;SG"),
    ],
    "turn the volume up and play some music": [
        ("turn", "turn", "V;IMP;2;SG"), ("volume", "volume", "N;SG"),
        ("play", "play", "V;IMP;2;SG"),
    ],
    "add eggs to my shopping list": [
        ("add", "add", "V;IMP;2;SG"), ("eggs", "egg", "N;PL"), ("to", "to", "ADP"),
        ("list", "list", "N;SG"),
    ],
    "she played two games yesterday": [
        ("played", "play", "V;IND;PST;3;SG"), ("games", "game", "N;PL"),
    ],
    # The wake word, a name addressed first, leaves the command after it an imperative.
    "olly set light to twenty percent": [
        ("olly", "olly", "PROPN;SG"), ("set", "set", "V;IMP;2;SG"), ("light", "light", "N;SG"),
    ],
    "cancel the meeting with the children": [
        ("cancel", "cancel", "V;IMP;2;SG"), ("children", "child", "N;PL"),
    ],
}


@pytest.mark.parametrize("sentence", sorted(COMMANDS))
def test_assistant_commands(sentence):
    words = [token.text for token in tokenize(sentence)]
    analyses = {a.word: a for a in analyze_english(words)}
    assert len(analyze_english(words)) == len(words)
    for word, lemma, features in COMMANDS[sentence]:
        got = analyses[word]
        assert (got.lemma, got.features) == (lemma, parse_features(features)), word


def test_pos_field_matches_features():
    for analysis in analyze_english("set two alarms for me".split()):
        assert analysis.pos in analysis.features


def test_punctuation_passes_through():
    analyses = analyze_english(["stop", "!"])
    assert analyses[1].pos == "PUNCT" and analyses[1].features == frozenset()
    assert analyses[0].features == parse_features("V;IMP;2;SG")


def test_the_lemma_table_answers_as_lemminflect_does():
    """lexi.morph.lemma_table reads lemminflect's table without importing lemminflect: the
    same answers (same dict order: readings are taken in order) as ``getAllLemmas``, over
    every hundredth word of the table (all 70k take about 15 s), its overrides,
    words it lacks, in three capitalisations and for every part of speech."""

    from lemminflect import getAllLemmas
    from lemminflect.core.Lemmatizer import Lemmatizer

    from lexi.morph.lemma_table import all_lemmas, lemma_table

    assert lemma_table() is not None  # found lemminflect's files
    lemmatizer = Lemmatizer()
    table_words = sorted(lemmatizer._getLemmaDict())
    words = [*table_words[::100], *lemmatizer._getOverridesDict(), "alarms", "leaves",
             "'d", "paris", "xyzzy", "", "12", "don't"]
    for word in words:
        for form in (word, word.upper(), word.capitalize()):
            for upos in (None, "NOUN", "PROPN", "VERB", "ADJ", "ADV", "AUX", "DET"):
                assert list(all_lemmas(form, upos).items()) == \
                    list(getAllLemmas(form, upos).items()), (form, upos)
    # What it is for: a lemma lookup loads neither lemminflect nor numpy.
    loaded = modules_after("from lexi.morph.english import lemma_candidates\n"
                           "assert lemma_candidates('alarms') == ('alarm',)")
    assert "lexi.morph.lemma_table" in loaded
    assert not loaded & {"lemminflect", "numpy"}
