"""Numbers, times and calendar names through CLDR (--numbers), the untranslated-word policy
(--unknown drop-function-words) and the coverage report (--report)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_synth_fakes import lexicon

from lexi.data.massive import format_annot, parse_annot, read_massive
from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.synth import SynthConfig, Synthesizer, synthesize_file
from lexi.synth.align import split_chunks
from lexi.synth.numbers import CldrNumbers, find_numbers, rbnf_language, resolve_numbers
from lexi.synth.pipeline import SynthSummary

SW = lexicon([("set", "weka"), ("alarm", "kengele"), ("wake", "amka"), ("me", "mimi"),
              ("five", "tano"), ("twenty", "ishirini"), ("two", "mbili"), ("friday", "Ijumaa")])


def utt(annot: str, uid: str = "1", label: str = "alarm_set") -> Utterance:
    text, slots = parse_annot(annot)
    return Utterance(uid, text, label, slots, "en-US", "train")


def row_of(annot: str, lexicons=(SW,), **config) -> str:
    config.setdefault("sense", "first")
    row = Synthesizer(SynthConfig(**config), list(lexicons)).variant(utt(annot), "translate")
    return format_annot(row.text, row.slots)


def exprs(text: str) -> list[tuple[str, str, object]]:
    """(English text, kind, value) of each expression find_numbers sees in ``text``."""
    (chunk,) = split_chunks(utt(text))
    return [
        (" ".join(chunk.words[e.start : e.end]), e.kind, e.value)
        for e in find_numbers(chunk.words, chunk.gaps)
    ]


def test_find_numbers_reads_whole_expressions():
    assert exprs("wake me at five am") == [("five am", "time", 5)]
    assert exprs("five hundred and twenty one is divided by three") == [
        ("five hundred and twenty one", "cardinal", 521), ("three", "cardinal", 3)]
    # A new number starts where the grammar stops: 25, then 2017.
    assert exprs("december twenty five two thousand and seventeen") == [
        ("december", "month", 12), ("twenty five", "cardinal", 25),
        ("two thousand and seventeen", "cardinal", 2017)]
    assert exprs("between three and four p. m.") == [
        ("three", "cardinal", 3), ("four p . m .", "time", 4)]
    assert exprs("at 10:30 a.m. or 7am or 6.30pm") == [
        ("10 : 30 a . m .", "time", 10), ("7am", "time", 7), ("6 . 30pm", "time", 6)]
    assert exprs("the 3rd and twenty-first of march") == [
        ("3rd", "ordinal", 3), ("twenty-first", "ordinal", 21), ("march", "month", 3)]
    assert exprs("call 0712 about 1,000 and 2.5") == [
        ("0712", "digits", "0712"), ("1 , 000", "cardinal", 1000), ("2 . 5", "decimal", "2.5")]
    # "eight hundred am" is 08:00 (MASSIVE writes times like that).
    (time,) = find_numbers(*_words_gaps("eight hundred thirty am"))
    assert (time.kind, time.value, time.minute, time.period) == ("time", 8, 30, "am")


def _words_gaps(text: str):
    (chunk,) = split_chunks(utt(text))
    return chunk.words, chunk.gaps


def test_find_numbers_leaves_words_that_only_look_like_numbers():
    # "may" and "march" are months only next to a number; "second" is the unit unless it
    # is next to a weekday or month or after "the"; "a" is an article unless "a.m.".
    assert exprs("may i march on") == []
    assert exprs("ten seconds or one second") == [("ten", "cardinal", 10), ("one", "cardinal", 1)]
    assert exprs("the second of may") == [("second", "ordinal", 2), ("may", "month", 5)]
    assert exprs("second saturday") == [("second", "ordinal", 2), ("saturday", "weekday", 5)]
    assert exprs("buy a. m. radio") == []
    assert exprs("what time am i") == []


def test_cldr_spells_numbers_times_and_names_in_swahili_and_turkish():
    sw, tr = CldrNumbers("sw-KE"), CldrNumbers("tr")
    cases = {  # English → (sw, tr)
        "twenty two": ("ishirini na mbili", "yirmi iki"),
        "five am": ("tano alfajiri", "gece beş"),  # CLDR day periods: 05:00
        "nine p. m.": ("tisa usiku", "gece dokuz"),
        "three thirty p. m.": ("tatu thelathini mchana", "öğleden sonra üç otuz"),
        "twenty-first": ("wa ishirini na moja", "yirmi birinci"),
        "twelve am": ("kumi na mbili usiku", "gece on iki"),  # midnight: the period after it
    }
    for english, (in_sw, in_tr) in cases.items():
        (expr,) = find_numbers(*_words_gaps(english))
        assert (sw.spell(expr).text, tr.spell(expr).text) == (in_sw, in_tr), english
    (friday,) = find_numbers(*_words_gaps("friday"))
    assert sw.spell(friday).text == "Ijumaa" and sw.spell(friday).provenance == "cldr:sw:weekday"


def test_languages_without_spell_out_rules_fall_back_to_the_lexicon():
    assert rbnf_language("sw-KE") == "sw" and rbnf_language("tr-TR") == "tr"
    assert rbnf_language("ln-CD") is None and rbnf_language("xx") is None
    lingala = CldrNumbers("ln-CD")
    assert not lingala.has_rules
    assert resolve_numbers("auto", lingala) == "lexicon"
    assert resolve_numbers("auto", CldrNumbers("sw")) == "cldr"
    assert resolve_numbers("auto", None) == "lexicon"  # no --locale: today's behaviour
    with pytest.raises(LexiError, match="no number spell-out rules"):
        resolve_numbers("cldr", lingala)
    with pytest.raises(LexiError, match="needs the target language"):
        Synthesizer(SynthConfig(numbers="cldr"), [SW])
    # Lingala: numbers from the lexicon, but am is Babel's ln day period, not a word.
    ln = lexicon([("five", "mitano"), ("wake", "lamuka")])
    assert row_of("wake at [time : five am]", [ln], locale="ln-CD", numbers="auto") == (
        "lamuka at [time : mitano ntɔ́ngɔ́]")


def test_numbers_modes_inside_and_outside_slots():
    annot = "wake me at [time : five am] on [date : friday] or at twenty two"
    assert row_of(annot, locale="sw-KE", numbers="auto") == (
        "amka mimi at [time : tano alfajiri] on [date : ijumaa] or at ishirini na mbili")
    assert row_of(annot, locale="sw-KE", numbers="lexicon") == (
        "amka mimi at [time : tano alfajiri] on [date : Ijumaa] or at ishirini mbili")
    assert row_of(annot, locale="sw-KE", numbers="keep") == (
        "amka mimi at [time : five am] on [date : friday] or at twenty two")
    # No locale: auto is lexicon, am kept (never looked up).
    assert row_of(annot, numbers="auto") == (
        "amka mimi at [time : tano am] on [date : Ijumaa] or at ishirini mbili")
    # slot mode keep: slot values stay, numbers outside slots are still written.
    assert row_of(annot, locale="sw-KE", numbers="cldr", slot_mode="keep") == (
        "amka mimi at [time : five am] on [date : friday] or at ishirini na mbili")


def test_a_slot_lexicon_entry_for_the_whole_time_wins():
    cldr = lexicon([("five am", "saa kumi na moja asubuhi")])
    synth = Synthesizer(SynthConfig(locale="sw-KE", sense="first", slot_mode="localise",
                                    numbers="cldr"), [SW], slot_lexicon=cldr)
    row = synth.variant(utt("wake at [time : five am] and at five am"), "translate")
    assert format_annot(row.text, row.slots) == (
        "amka at [time : saa kumi na moja asubuhi] and at tano alfajiri")


def test_a_lexicon_phrase_never_runs_into_a_number_written_whole():
    """A phrase that starts before an expression ("at five") must not swallow part of it:
    the rest ("am") would then go to the lexicon, as the verb "be"."""
    phrases = lexicon([("at five", "saa tano"), ("wake", "amka"), ("five", "tano"),
                       ("am", "ni"), ("five am", "saa kumi na moja")])
    annot = "wake at five am or at [time : five am]"
    assert row_of(annot, [phrases], locale="sw-KE", numbers="cldr") == (
        "amka at tano alfajiri or at [time : tano alfajiri]")
    assert row_of(annot, [phrases], locale="sw-KE", numbers="keep") == (
        "amka at five am or at [time : five am]")
    # lexicon: an entry for the whole time ("five am") is used as it is, and "at five"
    # stops short of it; without that entry "at five" may take the number word (the
    # lexicon writes numbers), but never the am of the time.
    assert row_of(annot, [phrases], locale="sw-KE", numbers="lexicon") == (
        "amka at saa kumi na moja or at [time : saa kumi na moja]")
    at_five = lexicon([("at five", "saa tano"), ("am", "ni")])
    assert row_of("wake at five am", [at_five], locale="sw-KE", numbers="lexicon") == (
        "wake saa tano alfajiri")


def test_number_provenance_and_params():
    row = Synthesizer(SynthConfig(locale="sw-KE", sense="first", numbers="auto"), [SW]).variant(
        utt("set alarm at [time : five am]"), "translate")
    params = row.metadata["lexi"]["params"]
    assert params["numbers"] == "cldr" and params["unknown"] == "keep"
    assert row.metadata["lexi"]["replaced"][-1] == {
        "src": "five am", "tgt": "tano alfajiri", "entry": "cldr:sw:time", "lexicon": "cldr"}


def test_unknown_drop_function_words_drops_only_untranslated_articles_outside_slots():
    annot = "set the alarm for a friend at [time : the five am] with an olly"
    assert row_of(annot, locale="sw-KE", numbers="cldr", unknown="drop-function-words") == (
        "weka kengele for friend at [time : the tano alfajiri] with olly")
    assert row_of(annot, locale="sw-KE", numbers="cldr", unknown="drop") == (
        "weka kengele [time : the tano alfajiri]")
    assert row_of(annot, locale="sw-KE", numbers="cldr", unknown="drop-function-words",
                  function_words=("for", "with")) == (
        "weka the kengele a friend at [time : the tano alfajiri] an olly")
    # A translated article is not dropped: the policy is for words with no translation.
    with_the = lexicon([("the", "hiyo"), ("alarm", "kengele")])
    assert row_of("the alarm", [with_the], unknown="drop-function-words") == "hiyo kengele"
    row = Synthesizer(SynthConfig(unknown="drop-function-words"), [SW]).variant(
        utt("set the alarm"), "translate")
    assert row.metadata["lexi"]["params"]["function_words"] == ["a", "an", "the"]
    for bad, message in (
        ({"unknown": "drop-all"}, "unknown unknown"), ({"numbers": "words"}, "numbers mode"),
        ({"function_words": "the"}, "list of single words"),
        ({"function_words": ("a", "")}, "list of single words"),
        ({"function_words": ("of the",)}, "list of single words"),  # never one token
        ({"function_words": (), "unknown": "drop-function-words"}, "would drop nothing"),
    ):
        with pytest.raises(LexiError, match=message):
            SynthConfig(**bad)
    assert SynthConfig(function_words=["a"]).function_words == ("a",)  # from a YAML list
    assert SynthConfig(function_words=[" The "]).function_words == ("The",)


def test_summary_report_counts_rows_labels_numbers():
    synth = Synthesizer(SynthConfig(locale="sw-KE", sense="first", numbers="cldr"), [SW])
    summary = SynthSummary(numbers_mode="cldr")
    for uid, annot, label in (
        ("1", "wake me at [time : five am] on [date : friday]", "alarm_set"),  # 5 of 7
        ("2", "set the alarm for tomorrow", "alarm_set"),  # 2 of 5
        ("3", "play some music", "play_music"),  # nothing known: no row
        ("4", "wake twenty two people", "other"),  # 3 of 4
    ):
        summary.add(synth.synthesize(utt(annot, uid, label)))
    report = summary.report()
    assert summary.synthetic_rows == 3
    assert report["row_share"]["histogram"] == {
        "0-10%": 0, "10-20%": 0, "20-30%": 0, "30-40%": 0, "40-50%": 1, "50-60%": 0,
        "60-70%": 0, "70-80%": 2, "80-90%": 0, "90-100%": 0,
    }
    assert report["row_share"]["mean"] == round((5 / 7 + 2 / 5 + 3 / 4) / 3, 4)
    assert report["labels"] == {
        "alarm_set": {"rows": 2, "words": 12, "translated": 7, "share": round(7 / 12, 4)},
        "other": {"rows": 1, "words": 4, "translated": 3, "share": 0.75},
    }
    assert report["numbers"] == {"mode": "cldr", "cldr_numbers": 2, "cldr_names": 1}
    assert report["untranslated_top"]["play"] == 1
    assert "report" in summary.as_dict(report=True) and "report" not in summary.as_dict()


def test_report_counts_lexicon_numbers_and_day_periods():
    synth = Synthesizer(SynthConfig(locale="sw-KE", numbers="lexicon", sense="first"), [SW])
    result = synth.synthesize(utt("wake me at twenty two and at five am"))
    assert result.numbers == {"lexicon_numbers": 3, "cldr_periods": 1}


def test_report_counts_inflected_words_of_written_rows_only():
    from test_synth_fakes import PrefixPluralMorphology, plural_analyzer

    synth = Synthesizer(SynthConfig(ops=("translate", "inflect"), per_utterance=3,
                                    sense="first"), [SW], analyze=plural_analyzer,
                        morphology=PrefixPluralMorphology())
    result = synth.synthesize(utt("set alarms"))
    # Three rows asked, one written (the others are duplicates): one inflected word.
    assert len(result.rows) == 1 and result.inflected == {"table": 1}
    assert result.inflections == {"table": 3, "lemma": 3}  # every inflection asked for


def run_lexi(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lexi.cli.main", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.fixture
def files(tmp_path):
    rows = [
        {"id": 1, "locale": "en-US", "partition": "train", "scenario": "alarm",
         "intent": "alarm_set", "utt": "wake me at five am on friday",
         "annot_utt": "wake me at [time : five am] on [date : friday]"},
        {"id": 2, "locale": "en-US", "partition": "train", "scenario": "alarm",
         "intent": "alarm_set", "utt": "set the alarm", "annot_utt": "set the alarm"},
    ]
    source = tmp_path / "en.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    lex = tmp_path / "en-sw.tsv"
    lex.write_text("wake\tamka\nset\tweka\nalarm\tkengele\nfive\ttano\n", encoding="utf-8")
    return source, lex


def test_cli_numbers_unknown_and_report(files, tmp_path):
    source, lex = files
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    done = run_lexi("synth", "-s", str(source), "-l", str(lex), "--locale", "sw-KE",
                    "--numbers", "auto", "--unknown", "drop-function-words", "--report",
                    "-o", str(out),
                    "--summary-json", str(summary))
    assert done.returncode == 0, done.stderr
    rows = list(read_massive(out))
    assert [r.text for r in rows] == ["amka me at tano alfajiri on ijumaa", "weka kengele"]
    assert rows[0].metadata["lexi"]["params"]["numbers"] == "cldr"
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["report"]["numbers"] == {"mode": "cldr", "cldr_numbers": 1, "cldr_names": 1}
    assert data["report"]["labels"]["alarm_set"]["rows"] == 2
    for title in ("translated per row (mean", "lowest 1 of 1 labels",
                  "numbers, times, days, months"):
        assert title in done.stderr
    as_json = run_lexi("synth", "-s", str(source), "-l", str(lex), "--locale", "sw-KE",
                       "--numbers", "keep", "--report", "--json", "-o", str(tmp_path / "k.jsonl"))
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["report"]["numbers"] == {"mode": "keep"}
    bad = run_lexi("synth", "-s", str(source), "-l", str(lex), "--locale", "ln-CD",
                   "--numbers", "cldr", "-o", str(tmp_path / "x.jsonl"))
    assert bad.returncode == 2 and "no number spell-out rules for 'ln-CD'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_cli_option_mistakes_are_one_line_errors(files, tmp_path):
    source, lex = files
    out = tmp_path / "x.jsonl"
    common = ("synth", "-s", str(source), "-l", str(lex), "-o", str(out))
    for args, message in (
        (("--numbers", "cldr"), "--numbers cldr needs the target language (pass --locale"),
        (("--numbers", "words"), "unknown numbers mode 'words' (one of auto, cldr, lexicon"),
        # --function-words without the policy that reads it would be silently ignored.
        (("--function-words", "a,the"), "--function-words is only read by --unknown "
         "drop-function-words"),
        (("--unknown", "drop-function-words", "--function-words", ","), "would drop nothing"),
    ):
        done = run_lexi(*common, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in " ".join(done.stderr.split()), (args, done.stderr)
        assert "Traceback" not in done.stderr and not out.exists()


def test_cli_quiet_report_prints_only_the_report(files, tmp_path):
    source, lex = files
    done = run_lexi("synth", "-s", str(source), "-l", str(lex), "--locale", "sw-KE",
                    "--numbers", "keep", "-q", "--report", "-o", str(tmp_path / "q.jsonl"))
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())  # table titles may wrap
    assert "translated per row (mean" in said and "rows written" not in said
    # The summary's untranslated-words table is part of the report when -q hides it.
    assert "words with no translation" in said and "│ me " in done.stderr


def test_the_numbers_default_is_one_constant():
    """``NUMBERS_DEFAULT`` is the one place the default of --numbers is set."""
    import inspect

    from lexi.cli.synth import synth, synth_command
    from lexi.synth.numbers import NUMBER_MODES, NUMBERS_DEFAULT

    assert NUMBERS_DEFAULT in NUMBER_MODES
    assert SynthConfig().numbers == NUMBERS_DEFAULT
    for function in (synth, synth_command):
        assert inspect.signature(function).parameters["numbers"].default == NUMBERS_DEFAULT


@pytest.mark.shared_data
def test_report_on_massive(shared_data, tmp_path):
    lines = (shared_data / "massive" / "en-US.jsonl").read_text(encoding="utf-8").splitlines()
    source = tmp_path / "en-US.head.jsonl"
    source.write_text("\n".join(lines[:400]) + "\n", encoding="utf-8")
    from lexi.synth import build_synthesizer

    synth = build_synthesizer(SynthConfig(locale="sw-KE", numbers="auto"),
                              [shared_data / "lexicons" / "wechsel-en-sw.tsv"])
    summary = synthesize_file(source, tmp_path / "sw.jsonl", synth, split="train", report=True)
    report = summary.report()
    assert sum(report["row_share"]["histogram"].values()) == summary.synthetic_rows
    assert 0.3 < report["row_share"]["mean"] < 0.95
    assert sum(v["rows"] for v in report["labels"].values()) == summary.synthetic_rows
    assert report["numbers"]["mode"] == "cldr" and report["numbers"]["cldr_numbers"] > 10
    # "nine am" is a time, not "tisa wa" ("be").
    rows = {r.id: r for r in read_massive(tmp_path / "sw.jsonl")}
    assert rows["1-translate-0"].slot_value(rows["1-translate-0"].slots[0]) == "tisa asubuhi"
