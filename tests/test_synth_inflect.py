"""Selective inflection: ``inflect_from`` (the paradigm table alone, or table + learned
inflector) and ``inflect_pos`` (only some English parts of speech), their checks, their
provenance and summary counts, the CLI options, and a run on the real Swahili table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_synth_fakes import FakeInflection, lexicon, plural_analyzer

from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.morph import Morphology, analyze_english
from lexi.morph.english import POS_TAGS
from lexi.morph.inflector import learn_inflector
from lexi.morph.transfer import Inflection
from lexi.morph.unimorph import Entry, ParadigmIndex
from lexi.synth import SynthConfig, Synthesizer
from lexi.synth.config import inflect_pos_list

# Class 5/6 nouns: the plural takes ma-. Eleven of them, so that the learned inflector sees
# N;PL often enough (InflectorConfig.min_pairs = 10) to offer it for a lemma outside the table.
NOUNS = ("kengele", "gari", "embe", "tunda", "jani", "yai", "debe", "bega", "shamba", "duka",
         "ziwa")
SW = lexicon([("alarm", "kengele"), ("light", "taa"), ("set", "weka"), ("play", "cheza"),
              ("song", "wimbo")])


def ma_plurals() -> Morphology:
    """A paradigm table of NOUNS (singular and ma- plural) and the inflector learned from it;
    ``taa`` (light) is not in it, so only the learned inflector can make it plural."""
    entries = [Entry(noun, noun, frozenset({"N", "SG"})) for noun in NOUNS]
    entries += [Entry(noun, "ma" + noun, frozenset({"N", "PL"})) for noun in NOUNS]
    return Morphology("swc", index=ParadigmIndex.from_entries(entries),
                      inflector_model=learn_inflector(entries, lang="swc"))


def utt(text: str, uid: str = "1") -> Utterance:
    return Utterance(uid, text, "alarm_set", (), "en-US", "train", {})


def synthesize(text: str, morphology, analyze=plural_analyzer, **config):
    synth = Synthesizer(SynthConfig(ops=("translate", "inflect"), sense="first", **config),
                        [SW], analyze=analyze, morphology=morphology)
    return synth.synthesize(utt(text))


# -- inflect_from -------------------------------------------------------------------------


def test_inflect_from_table_keeps_a_lemma_the_table_lacks():
    default = synthesize("set alarms and lights", ma_plurals())
    # Today's behaviour: the table inflects kengele, the learned inflector taa.
    assert default.rows[0].text == "weka makengele and mataa"
    # (weka, set, is asked for too: the fake analysis calls every word a noun.)
    assert default.inflections == {"table": 1, "learned": 2}
    table = synthesize("set alarms and lights", ma_plurals(), inflect_from="table")
    assert table.rows[0].text == "weka makengele and taa"
    records = table.rows[0].metadata["lexi"]["replaced"]
    assert records[1] == {"src": "alarms", "tgt": "makengele", "entry": "test:1",
                          "lemma": "kengele", "morph": "table"}
    assert records[2] == {"src": "lights", "tgt": "taa", "entry": "test:2"}  # unchanged
    assert table.inflections == {"table": 1, "not_in_table": 2}
    assert table.inflected == {"table": 1}


def test_table_only_never_learns_an_inflector():
    # A table without a model learns one on the first lemma outside it (slow on a big
    # table); table-only must not pay for that.
    entries = [Entry("kengele", "makengele", frozenset({"N", "PL"}))]
    morphology = Morphology("swc", index=ParadigmIndex.from_entries(entries),
                            learn_from=("never-read.tsv",))
    lights = plural_analyzer(["lights"])[0]
    assert morphology.inflect("taa", lights, learned=False) == Inflection(
        "taa", frozenset({"N", "PL"}), "not_in_table")
    assert morphology.inflector_model is None
    assert morphology.inflect("kengele", lights, learned=False).form == "makengele"


# -- inflect_pos --------------------------------------------------------------------------


class MarkingMorphology:
    """Verbs take ``ni-``, plural nouns ``ma-``: which words were inflected shows."""

    def inflect(self, target_lemma: str, source, *, learned: bool = True) -> FakeInflection:
        if source.pos == "V":
            return FakeInflection("ni" + target_lemma, source.features, "table")
        if "PL" in source.features:
            return FakeInflection("ma" + target_lemma, source.features, "table")
        return FakeInflection(target_lemma, source.features, "lemma")


@pytest.mark.parametrize(("pos", "expected"), [
    (None, "nicheza mawimbo"), (("V",), "nicheza wimbo"), (("N",), "cheza mawimbo"),
    (("ADJ",), "cheza wimbo"),
])
def test_inflect_pos_selects_by_the_english_part_of_speech(pos, expected):
    # The real English analysis: "play" is V (imperative), "songs" N;PL.
    result = synthesize("play songs", MarkingMorphology(), analyze=analyze_english,
                        inflect_pos=pos)
    assert result.rows[0].text == expected
    assert result.inflections["other_pos"] == 2 - expected.count("ni") - expected.count("ma")


def test_inflect_pos_reads_a_comma_separated_string_in_any_case():
    assert SynthConfig(inflect_pos="v, v.ptcp,N").inflect_pos == ("V", "V.PTCP", "N")
    assert SynthConfig(inflect_pos=["adj"]).inflect_pos == ("ADJ",)
    assert SynthConfig(inflect_pos="all").inflect_pos is None
    assert inflect_pos_list(None) is None and inflect_pos_list("V,N") == ("V", "N")


def test_every_part_of_speech_the_analysis_gives_can_be_selected():
    sentences = ["turn off the lights and play some music", "what's playing on my radio",
                 "i want to read the news at five", "could you set two alarms, please",
                 "olly is it warm today", "let's hear adele's new song"]
    seen = {a.pos for s in sentences for a in analyze_english(s.replace(",", " ,").split())}
    assert seen <= set(POS_TAGS) and {"V", "V.PTCP", "N", "PRO", "AUX", "PUNCT"} <= seen


# -- checks, provenance -------------------------------------------------------------------


@pytest.mark.parametrize(("config", "message"), [
    ({"inflect_from": "learned"}, "unknown inflect_from 'learned'"),
    ({"inflect_pos": "VERB"}, "'VERB'.*calls it V"),
    ({"inflect_pos": ("V", "VB")}, "unknown part of speech 'VB'"),
    ({"inflect_pos": ""}, "selects no part of speech"),
    ({"inflect_pos": 3}, "must be a list"),
])
def test_bad_inflect_options_name_the_allowed_values(config, message):
    with pytest.raises(LexiError, match=message) as error:
        SynthConfig(ops=("translate", "inflect"), **config)
    allowed = "table+learned, table" if "inflect_from" in config else "V, V.PTCP, AUX, N"
    assert allowed in (error.value.hint or "")


def test_provenance_records_the_inflect_options_with_inflect_only():
    row = synthesize("set alarms", ma_plurals(), inflect_from="table",
                     inflect_pos=("N",)).rows[0]
    params = row.metadata["lexi"]["params"]
    assert params["inflect"] is True
    assert (params["inflect_from"], params["inflect_pos"]) == ("table", ["N"])
    defaults = synthesize("set alarms", ma_plurals()).rows[0].metadata["lexi"]["params"]
    assert (defaults["inflect_from"], defaults["inflect_pos"]) == ("table+learned", "all")
    # Without inflect they shape nothing (as --morph), so a sweep over --ops can keep them.
    plain = SynthConfig(inflect_from="table", inflect_pos=("V",)).params_for("translate")
    assert "inflect_from" not in plain and "inflect_pos" not in plain
    assert SynthConfig(inflect_pos=("V",)).as_dict()["inflect_pos"] == ["V"]


# -- the command line ---------------------------------------------------------------------


def run_lexi(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lexi.cli.main", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def files(tmp_path, lexi_home):
    source = tmp_path / "en.jsonl"
    row = {"id": 1, "locale": "en-US", "partition": "train", "scenario": "alarm",
           "intent": "alarm_set", "utt": "set alarms and lights",
           "annot_utt": "set alarms and lights"}
    source.write_text(json.dumps(row) + "\n", encoding="utf-8")
    lex = tmp_path / "en-sw.tsv"
    lex.write_text("alarm\tkengele\nlight\ttaa\nset\tweka\n", encoding="utf-8")
    table = tmp_path / "swc"
    table.write_text("".join(f"{noun}\tma{noun}\tN;PL\n{noun}\t{noun}\tN;SG\n"
                             for noun in NOUNS), encoding="utf-8")
    return source, lex, table


def test_cli_inflect_options(files, tmp_path):
    source, lex, table = files
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    common = ("synth", "-s", str(source), "-l", str(lex), "--ops", "translate,inflect",
              "--morph", "swc", "--unimorph", str(table), "--sense", "first", "-q")
    result = run_lexi(*common, "--inflect-from", "table", "--inflect-pos", "n,V",
                      "-o", str(out), "--summary-json", str(summary))
    assert result.returncode == 0, result.stderr
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["utt"] == "weka makengele and taa"
    assert row["lexi"]["params"]["inflect_from"] == "table"
    assert row["lexi"]["params"]["inflect_pos"] == ["N", "V"]
    # "set" (a verb) → weka and "lights" → taa are no lemmas of the table.
    assert json.loads(summary.read_text())["inflections"] == {"table": 1, "not_in_table": 2}
    bad = run_lexi(*common, "--inflect-pos", "NOUN", "-o", str(tmp_path / "bad.jsonl"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "'NOUN'" in bad.stderr and "V.PTCP" in bad.stderr
    assert not (tmp_path / "bad.jsonl").exists()


# -- real Swahili forms -------------------------------------------------------------------


@pytest.mark.shared_data
def test_real_swahili_table_only_and_verbs_only(shared_data, lexi_home):
    from lexi.morph import load_morphology

    swc = load_morphology("swc", shared_data / "unimorph" / "swc")
    words = lexicon([("want", "taka"), ("read", "soma"), ("book", "kitabu")])

    def text(**config) -> str:
        synth = Synthesizer(SynthConfig(ops=("translate", "inflect"), sense="first", **config),
                            [words], analyze=analyze_english, morphology=swc)
        return synth.synthesize(utt("i want to read books")).rows[0].text

    # "soma" is a lemma of the UniMorph table (101 verbs), "taka" is not: the learned
    # inflector conjugates it (test_morph_shared), table-only keeps it.
    assert text() == "i ninataka to kusoma kitabu"
    assert text(inflect_from="table") == "i taka to kusoma kitabu"
    assert text(inflect_pos=("N",)) == "i taka to soma kitabu"
