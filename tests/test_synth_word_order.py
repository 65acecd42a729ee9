"""Noun-phrase word order (``--word-order``): which words move, that only they move, that
slots stay exact, and where the orders come from (lexi/resources/word_order.tsv)."""

from __future__ import annotations

import importlib.util
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_synth_fakes import lexicon

from lexi.data.massive import format_annot, parse_annot
from lexi.data.records import SlotSpan, Utterance
from lexi.errors import LexiError
from lexi.morph.english import Analysis, analyze_english
from lexi.synth import SynthConfig, Synthesizer
from lexi.synth.word_order import (
    WordOrder,
    chunk_order,
    language_order,
    load_table,
    parse_word_order,
    resolve_word_order,
)

SW = lexicon([("play", "cheza"), ("my", "wangu"), ("favorite", "pendwa"), ("song", "wimbo"),
              ("turn", "washa"), ("on", "juu"), ("kitchen", "jikoni"), ("lights", "taa"),
              ("two", "mbili"), ("alarms", "kengele"), ("this", "hii"), ("week", "wiki"),
              ("living room", "sebule"), ("big", "kubwa"), ("dim", "punguza")])
SWAHILI_LIKE = "adj,poss,num,dem"


def utt(text: str, slots: tuple[SlotSpan, ...] = ()) -> Utterance:
    return Utterance("1", text, "intent", slots, "en-US", "train", {})


def translate(text: str, order: str, *, locale: str | None = None,
              slots: tuple[SlotSpan, ...] = ()) -> Utterance:
    config = SynthConfig(sense="first", numbers="lexicon", word_order=order, locale=locale)
    synth = Synthesizer(config, [SW], analyze=analyze_english)
    row = synth.variant(utt(text, slots), "translate")
    assert row is not None
    return row


def test_possessor_and_adjective_follow_the_noun():
    assert translate("play my favorite song", "source").text == "cheza wangu pendwa wimbo"
    assert translate("play my favorite song", SWAHILI_LIKE).text == "cheza wimbo wangu pendwa"
    # Only the classes named move: the adjective stays in front when only poss is named.
    assert translate("play my favorite song", "poss").text == "cheza pendwa wimbo wangu"
    assert translate("play my favorite song", "adj").text == "cheza wangu wimbo pendwa"


def test_numerals_demonstratives_and_noun_modifiers():
    assert translate("two alarms", SWAHILI_LIKE).text == "kengele mbili"
    assert translate("this week", SWAHILI_LIKE).text == "wiki hii"
    assert translate("this week", "adj,poss").text == "hii wiki"  # dem not named
    assert translate("the kitchen lights", SWAHILI_LIKE).text == "the taa jikoni"
    # A multi-word match moves as one unit.
    assert translate("the big living room", SWAHILI_LIKE).text == "the sebule kubwa"


def test_a_verb_the_tagger_called_an_adjective_does_not_move():
    # "dim the lights": out of English's noun-phrase order, so no phrase "dim ... lights".
    assert translate("dim the lights", SWAHILI_LIKE).text == "punguza the taa"


def test_postpositions_and_verbs_last():
    row = translate("play two songs in the kitchen", "adp")
    assert row.text == "cheza mbili wimbo the jikoni in"
    # The verb (with its particle) after its object: "turn on" moves as one.
    assert translate("turn on the kitchen lights", "verb").text == "the jikoni taa washa juu"
    assert translate("turn on the kitchen lights", "adp,verb,adj,poss").text == \
        "the taa jikoni washa juu"
    # A verb with no noun phrase after it stays.
    assert translate("play", "verb").text == "cheza"


def test_nothing_crosses_a_slot_boundary():
    text = "turn on the kitchen lights"
    slot = (SlotSpan(12, 19, "house_place"),)
    row = translate(text, SWAHILI_LIKE, slots=slot)
    assert format_annot(row.text, row.slots) == "washa juu the [house_place : jikoni] taa"
    inside = (SlotSpan(12, 26, "device"),)
    row = translate(text, SWAHILI_LIKE, slots=inside)
    assert format_annot(row.text, row.slots) == "washa juu the [device : taa jikoni]"


def test_auto_reads_the_locale_language_and_records_what_it_did():
    sw = translate("play my favorite song", "auto", locale="sw-KE")
    assert sw.text == "cheza wimbo wangu pendwa"
    assert sw.metadata["lexi"]["params"]["word_order"] == "poss,adj,num,dem"
    # Turkish: modifiers before the noun as in English, but the verb last.
    tr = translate("play my favorite song", "auto", locale="tr-TR")
    assert tr.text == "wangu pendwa wimbo cheza"
    assert tr.metadata["lexi"]["params"]["word_order"] == "adp,verb"
    en = translate("play my favorite song", "en")  # English's own order: nothing moves
    assert en.text == "cheza wangu pendwa wimbo"
    assert "word_order" not in en.metadata["lexi"]["params"]
    assert translate("play my favorite song", "auto").text == "cheza wangu pendwa wimbo"


def test_codeswitched_rows_keep_the_english_order():
    config = SynthConfig(ops=("codeswitch",), token_ratio=1.0, sense="first",
                         word_order=SWAHILI_LIKE)
    row = Synthesizer(config, [SW], analyze=analyze_english).variant(
        utt("play my favorite song"), "codeswitch")
    assert row.text == "cheza wangu pendwa wimbo"


def test_the_order_needs_the_analyser():
    with pytest.raises(LexiError, match="English analyser"):
        Synthesizer(SynthConfig(word_order="adj"), [SW])


@pytest.mark.parametrize("spec, normal", [("source", "source"), ("AUTO", "auto"), ("", "source"),
                                          ("dem, adj", "adj,dem"), ("num,poss", "poss,num")])
def test_specs_are_normalised(spec, normal):
    assert parse_word_order(spec) == normal


def test_an_unknown_class_is_named():
    with pytest.raises(LexiError, match="unknown word-order class 'noun'"):
        SynthConfig(word_order="adj,noun")
    with pytest.raises(LexiError, match="neither a word-order class nor a language"):
        SynthConfig(word_order="qqq")


def test_a_language_gives_its_order_without_a_locale():
    assert translate("play my favorite song", "swh_Latn").text == "cheza wimbo wangu pendwa"
    assert translate("play my favorite song", "tr").text == "wangu pendwa wimbo cheza"
    # Bambara: adjective after the noun, possessor before it, the verb last.
    row = translate("play my favorite song", "bm")
    assert row.text == "wangu wimbo pendwa cheza"
    assert row.metadata["lexi"]["params"]["word_order"] == "adj,num,adp,verb"


def test_chunk_order_mirrors_english_after_the_noun():
    # these two big red cars: dem num adj adj n → n adj adj (mirrored) num dem
    classes = ["dem", "num", "adj", "adj", "n"]
    units = [(k, 1) for k in range(5)]
    assert chunk_order(classes, units, WordOrder(frozenset({"adj", "num", "dem"}))) == \
        [4, 3, 2, 1, 0]
    assert chunk_order(classes, units, WordOrder(frozenset())) is None
    # Units longer than one token expand in place.
    assert chunk_order(["adj", "n"], [(0, 1), (1, 2)], WordOrder(frozenset({"adj"}))) == \
        [1, 2, 0]


def test_the_table_has_the_shared_languages():
    table = load_table()
    assert len(table) > 7000
    assert language_order("sw")[0].after == {"adj", "poss", "num", "dem"}
    assert language_order("swh_Latn")[0] == language_order("sw")[0]
    assert language_order("tr")[0].after == {"adp", "verb"}
    assert language_order("en")[0].after == frozenset()
    assert language_order("lin")[0].after == {"adj", "poss", "num", "dem"}
    assert language_order("bm")[0].after == {"adj", "num", "adp", "verb"}
    assert language_order("Bambara") == language_order("bm")  # a name, as lexi reads it
    assert language_order("qqq") is None
    assert resolve_word_order("auto", "qqq") is None
    assert resolve_word_order("auto", None) is None


@pytest.mark.skipif(importlib.util.find_spec("lang2vec") is None, reason="lang2vec not installed")
def test_the_committed_table_is_what_the_generator_writes():
    from lexi.resources.build_word_order import main

    assert main(["--check"]) == 0


WORDS = ["play", "my", "favorite", "song", "the", "kitchen", "lights", "two", "alarms", "this",
         "week", "big", "living", "room", "dim", "on", "turn", ",", "and"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=10),
       cuts=st.sets(st.integers(0, 10), max_size=4),
       order=st.sampled_from([SWAHILI_LIKE, "adj", "poss,num"]))
def test_reordering_only_permutes_words_within_chunks(words, cuts, order):
    text, starts, ends = "", [], []
    for word in words:
        text += (" " if text else "") + word
        starts.append(len(text) - len(word))
        ends.append(len(text))
    points = sorted(c for c in cuts if c <= len(words))
    slots = tuple(SlotSpan(starts[a], ends[b - 1], "s")
                  for a, b in zip(points[::2], points[1::2], strict=False) if a < b)
    config = SynthConfig(sense="first", numbers="keep")
    plain = Synthesizer(config, [SW], analyze=analyze_english).variant(
        utt(text, slots), "translate")
    moved = Synthesizer(SynthConfig(sense="first", numbers="keep", word_order=order), [SW],
                        analyze=analyze_english).variant(utt(text, slots), "translate")
    assert (plain is None) == (moved is None)
    if plain is None:
        return
    assert parse_annot(format_annot(moved.text, moved.slots)) == (moved.text, moved.slots)
    assert [s.name for s in moved.slots] == [s.name for s in plain.slots]
    for a, b in zip(plain.slots, moved.slots, strict=True):
        assert Counter(plain.slot_value(a).split()) == Counter(moved.slot_value(b).split())
    assert Counter(plain.text.split()) == Counter(moved.text.split())


def test_the_generator_takes_wals_first_then_other_sources_then_predictions(tmp_path):
    import numpy as np

    from lexi.resources.build_word_order import FEATURES, build_rows

    names = [name for pair in FEATURES for name in pair]
    sources = ["ETHNO", "WALS", "SSWL"]
    langs = ["aaa", "bbb", "ccc", "ddd"]
    data = np.full((len(langs), len(names), len(sources)), -1.0, dtype=np.float32)

    def put(lang, feature, source, before, after):
        b, a = names.index(FEATURES[feature][0]), names.index(FEATURES[feature][1])
        data[langs.index(lang), b, sources.index(source)] = before
        data[langs.index(lang), a, sources.index(source)] = after

    for feature in range(len(FEATURES)):
        put("aaa", feature, "WALS", 1, 0)      # WALS: before ...
        put("aaa", feature, "SSWL", 0, 1)      # ... wins over another source's after
        put("bbb", feature, "SSWL", 1, 1)      # no WALS: both orders attested
    put("ccc", 0, "ETHNO", 0, 1)               # one feature observed, the rest predicted
    predicted = np.zeros((len(langs), len(names), 1), dtype=np.float32)
    for feature in range(len(FEATURES)):
        predicted[:, names.index(FEATURES[feature][0]), 0] = 1.0  # predicted: before
    np.savez(tmp_path / "features.npz", feats=np.array(names), data=data,
             sources=np.array(sources), langs=np.array(langs))
    np.savez(tmp_path / "feature_predictions.npz", feats=np.array(names), data=predicted,
             sources=np.array(["predicted"]), langs=np.array(langs[:3]))
    rows = {row[0]: row[1:] for row in build_rows(tmp_path)}
    n = len(FEATURES)
    assert rows["aaa"] == ("before",) * n + ("observed",)
    assert rows["bbb"] == ("both",) * n + ("observed",)
    assert rows["ccc"] == ("after",) + ("before",) * (n - 1) + ("observed+predicted",)
    assert "ddd" not in rows  # nothing observed and no prediction: left out, not guessed


def test_lexi_synth_reports_the_order_it_wrote(tmp_path):
    import json

    from lexi.synth.synthesize import synthesize

    source = tmp_path / "en.jsonl"
    source.write_text(json.dumps({"id": "1", "locale": "en-US", "partition": "train",
                                  "utt": "play my favorite song", "intent": "play_music",
                                  "annot_utt": "play my favorite song"}) + "\n")
    words = tmp_path / "en-sw.tsv"
    words.write_text("play\tcheza\nmy\twangu\nfavorite\tpendwa\nsong\twimbo\n")
    for order, expected in (("auto", "poss,adj,num,dem"), ("source", "source")):
        out = tmp_path / f"{order}.jsonl"
        summary = synthesize(str(source), str(out), [str(words)], "translate", locale="sw-KE",
                             word_order=order)
        assert summary.word_order == summary.as_dict()["word_order"] == expected
    rows = [json.loads(line)["utt"] for line in (tmp_path / "auto.jsonl").open()]
    assert rows == ["cheza wimbo wangu pendwa"]


def test_slot_values_stay_verbatim_under_slot_mode_keep():
    text = "turn on the kitchen lights"
    slot = (SlotSpan(12, 26, "device"),)
    config = SynthConfig(sense="first", numbers="lexicon", word_order=SWAHILI_LIKE,
                         slot_mode="keep")
    row = Synthesizer(config, [SW], analyze=analyze_english).variant(utt(text, slot),
                                                                     "translate")
    assert format_annot(row.text, row.slots) == "washa juu the [device : kitchen lights]"


def test_punctuation_does_not_move_even_when_called_a_noun():
    def all_nouns(words):
        return [Analysis(word, word.lower(), "N", frozenset({"N", "SG"})) for word in words]

    config = SynthConfig(sense="first", numbers="keep", word_order=SWAHILI_LIKE)
    row = Synthesizer(config, [SW], analyze=all_nouns).variant(utt("song , lights"),
                                                                "translate")
    assert row.text == "wimbo , taa"


def test_the_sentence_capital_goes_to_the_word_now_first():
    # A word capitalised only because it opened the sentence gives its capital away.
    assert translate("This week", SWAHILI_LIKE).text == "Wiki hii"
    assert translate("Play my favorite song", SWAHILI_LIKE).text == "Cheza wimbo wangu pendwa"
    assert translate("My favorite song", SWAHILI_LIKE).text == "Wimbo wangu pendwa"
    # Nothing moved, an acronym, or a name first: the letters stay as they were.
    assert translate("This week", "source").text == "Hii wiki"
    assert translate("NASA alarms", SWAHILI_LIKE).text == "NASA kengele"
    assert translate("Olly play my song", SWAHILI_LIKE).text == "Olly cheza wimbo wangu"
