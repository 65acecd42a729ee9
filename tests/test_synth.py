"""Synthesis operators, their composition, provenance, the file pipeline and the CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter

import pytest
from test_synth_fakes import PrefixPluralMorphology, lexicon, plural_analyzer

from lexi.data.massive import format_annot, parse_annot, read_massive, write_massive
from lexi.data.records import SlotSpan, Utterance
from lexi.errors import LexiError
from lexi.synth import SynthConfig, Synthesizer, synthesize_file
from lexi.synth.phonetic import EpitranTranscriber, epitran_code, fold_ipa
from lexi.synth.summary import SynthSummary, synthesize_stream, synthesize_to

SW = lexicon([
    ("set", "weka"), ("alarm", "kengele"), ("five", "tano"), ("alarm clock", "saa ya kengele"),
    ("music", "muziki"), ("play", "cheza"), ("friday", "Ijumaa"), ("for", "-ia"),
    ("wake", "amka"), ("light", "taa"),
])
CLDR = lexicon([("friday", "ijumaa"), ("five am", "saa kumi na moja asubuhi")])


def utt(annot: str, uid: str = "7", **kw) -> Utterance:
    text, slots = parse_annot(annot)
    return Utterance(uid, text, "alarm_set", slots, "en-US", "train", {"scenario": "alarm", **kw})


def annot(u: Utterance) -> str:
    return format_annot(u.text, u.slots)


def make(lexicons=(SW,), **config) -> Synthesizer:
    config.setdefault("sense", "first")
    return Synthesizer(SynthConfig(**config), list(lexicons), analyze=plural_analyzer)


def test_translate_longest_match_keeps_slots_aligned():
    # Numbers through the lexicon word by word (no locale: no CLDR); am is never "be".
    row = make(numbers="lexicon").variant(
        utt("set an alarm clock for [time : five am] on [date : friday]"), "translate")
    # "alarm clock" is one multi-word entry; "-ia" (an affix) is not used as a word.
    assert annot(row) == "weka an saa ya kengele for [time : tano am] on [date : Ijumaa]"
    assert [row.slot_value(s) for s in row.slots] == ["tano am", "Ijumaa"]
    assert row.id == "7-translate-0" and row.split == "train" and row.label == "alarm_set"
    provenance = row.metadata["lexi"]
    assert provenance["source_id"] == "7" and provenance["op"] == "translate"
    assert provenance["replaced"][1] == {"src": "alarm clock", "tgt": "saa ya kengele",
                                         "entry": "test:4"}
    assert row.metadata["scenario"] == "alarm"


def test_locale_is_the_target_and_judgments_are_not_copied():
    source = utt("play music", judgments=[{"intent_score": 1}])
    row = make(locale="sw-KE").variant(source, "translate")
    assert row.locale == "sw-KE" and "judgments" not in row.metadata


def test_source_in_target_language_is_refused():
    source = utt("play music").with_(locale="sw-KE")
    with pytest.raises(LexiError, match="target language"):
        make(locale="sw-KE").synthesize(source)


def test_slot_mode_keep_leaves_values_verbatim():
    row = make(slot_mode="keep").variant(utt("wake me at [time : five am] on [date : friday]"),
                                         "translate")
    assert annot(row) == "amka me at [time : five am] on [date : friday]"


def test_slot_mode_localise_uses_only_the_slot_lexicon_inside_slots():
    synth = Synthesizer(SynthConfig(slot_mode="localise", sense="first", numbers="lexicon"),
                        [SW], slot_lexicon=CLDR)
    row = synth.variant(utt("set alarm at [time : five am] on [date : friday]"), "translate")
    assert annot(row) == (
        "weka kengele at [time : saa kumi na moja asubuhi] on [date : ijumaa]"
    )
    assert row.metadata["lexi"]["replaced"][-1]["lexicon"] == "slot"


def test_localise_without_slot_lexicon_is_an_error():
    with pytest.raises(LexiError, match="slot lexicon"):
        Synthesizer(SynthConfig(slot_mode="localise"), [SW])


def test_unknown_drop_removes_words_outside_slots_only():
    row = make(unknown="drop", numbers="lexicon").variant(
        utt("please set the alarm at [time : five am] on [date : friday] thanks"), "translate")
    assert annot(row) == "weka kengele [time : tano am] [date : Ijumaa]"


def test_lemma_fallback_and_inflection():
    morph = PrefixPluralMorphology()
    synth = Synthesizer(SynthConfig(ops=("translate", "inflect"), sense="first"), [SW],
                        analyze=plural_analyzer, morphology=morph)
    row = synth.variant(utt("set alarms and lights"), "translate")
    # "alarms" is not in the lexicon; its lemma "alarm" is, and the plural is transferred.
    assert row.text == "weka makengele and mataa"
    record = row.metadata["lexi"]["replaced"][1]
    assert record == {"src": "alarms", "tgt": "makengele", "entry": "test:2", "lemma": "kengele",
                      "morph": "table"}
    without = make().variant(utt("set alarms and lights"), "translate")
    assert without.text == "weka kengele and taa"


def test_inflect_needs_morphology():
    with pytest.raises(LexiError, match="morphology"):
        Synthesizer(SynthConfig(ops=("inflect",)), [SW])
    assert SynthConfig(ops=("inflect",)).generators == ("translate",)


def test_sense_choice_weight_random_first():
    senses = lexicon([("light", "taa", 9.0), ("light", "mwanga", 1.0), ("light", "nuru", 0.0)])
    source = utt("light")
    counts = {}
    for sense in ("weight", "random", "first"):
        synth = Synthesizer(SynthConfig(sense=sense, seed=3), [senses])
        counts[sense] = Counter(
            synth.variant(source.with_(id=str(i)), "translate").text for i in range(400)
        )
    assert counts["first"] == Counter({"taa": 400})
    assert set(counts["weight"]) == {"taa", "mwanga"}  # weight 0 is never drawn
    assert counts["weight"]["taa"] > 300
    assert set(counts["random"]) == {"taa", "mwanga", "nuru"}


def test_rows_are_deterministic_and_independent_of_order():
    sources = [utt("set alarm for five and play music", uid=str(i)) for i in range(30)]
    config = {"ops": ("translate", "codeswitch"), "per_utterance": 3, "sense": "random",
              "token_ratio": 0.4}
    first = [r for s in sources for r in make(**config).synthesize(s).rows]
    backwards = [r for s in reversed(sources) for r in make(**config).synthesize(s).rows]
    assert sorted((r.id, r.text) for r in first) == sorted((r.id, r.text) for r in backwards)
    again = [r for s in sources for r in make(**config).synthesize(s).rows]
    assert [(r.id, r.text) for r in first] == [(r.id, r.text) for r in again]
    other_seed = [r for s in sources for r in make(seed=1, **config).synthesize(s).rows]
    assert [r.text for r in first] != [r.text for r in other_seed]


def test_codeswitch_token_and_sentence_ratio():
    source = utt("set alarm and play music and light")  # 5 translatable words
    synth = make(ops=("codeswitch",), token_ratio=0.4)
    for index in range(20):
        row = synth.variant(source, "codeswitch", index)
        assert len(row.metadata["lexi"]["replaced"]) == 2
    nothing = make(ops=("codeswitch",), sentence_ratio=0.0).synthesize(source)
    assert nothing.rows == [] and nothing.skipped == Counter({"not_selected": 1})
    half = make(ops=("codeswitch",), sentence_ratio=0.5)
    selected = sum(
        half.variant(source.with_(id=str(i)), "codeswitch") is not None for i in range(400)
    )
    assert 150 < selected < 250


def test_codeswitch_mixes_several_lexicons():
    turkish = lexicon([("set", "kur"), ("alarm", "alarm"), ("play", "çal"), ("music", "müzik")])
    synth = Synthesizer(SynthConfig(ops=("codeswitch",), token_ratio=1.0, sense="first"),
                        [SW, turkish], lexicon_names=["sw", "tr"])
    used = Counter()
    for i in range(50):
        row = synth.variant(utt("set alarm and play music", uid=str(i)), "codeswitch")
        used.update(r["lexicon"] for r in row.metadata["lexi"]["replaced"])
    assert set(used) == {"sw", "tr"}


def test_keep_source_duplicates_and_unchanged_are_reported():
    source = utt("play music")
    result = make(per_utterance=3, keep_source=True).synthesize(source)
    assert [r.id for r in result.rows] == ["7", "7-translate-0"]
    assert result.skipped == Counter({"duplicate": 2})
    unknown = make().synthesize(utt("hello there"))
    assert unknown.rows == [] and unknown.skipped == Counter({"unchanged": 1})
    assert unknown.untranslated == ("hello", "there")


def test_targets_that_would_break_markup_are_skipped():
    bad = lexicon([("play", "[cheza]"), ("play", "cheza"), ("music", "-muziki")])
    row = Synthesizer(SynthConfig(sense="first"), [bad]).variant(utt("play music"), "translate")
    assert row.text == "cheza music"


def test_capitalised_source_word_gives_capitalised_target():
    assert make().variant(utt("Play music"), "translate").text == "Cheza muziki"


def test_phonetic_transcribes_target_words_only():
    synth = Synthesizer(SynthConfig(ops=("phonetic",), sense="first"),
                        [lexicon([("school", "shule"), ("food", "chakula")])],
                        transcribe=EpitranTranscriber("sw-KE"))
    row = synth.variant(utt("school [food_type : food] please"), "phonetic")
    assert annot(row) == "ʃule [food_type : t͡ʃakula] please"
    assert fold_ipa("ʃule t͡ʃakula jako") == "shule chakula yako"


def test_epitran_codes_and_unsupported_languages():
    assert epitran_code("sw-KE") == "swa-Latn"
    assert epitran_code("swh") == "swa-Latn"
    assert epitran_code("tur-Latn") == "tur-Latn"
    with pytest.raises(LexiError, match="swa-Latn"):  # the message lists what is supported
        epitran_code("ln")
    with pytest.raises(LexiError, match="external"):
        epitran_code("eng-Latn")


def test_config_validation():
    for bad in ({"ops": ("transl",)}, {"sense": "best"}, {"token_ratio": 1.5},
                {"per_utterance": 0}, {"ops": ()}, {"slot_mode": "localize"}):
        with pytest.raises(LexiError):
            SynthConfig(**bad)


SOURCE_ROWS = [
    {"id": 1, "locale": "en-US", "partition": "train", "scenario": "alarm",
     "intent": "alarm_set", "utt": "wake me at five am on friday",
     "annot_utt": "wake me at [time : five am] on [date : friday]", "worker_id": 3},
    {"id": 2, "locale": "en-US", "partition": "test", "scenario": "play",
     "intent": "play_music", "utt": "play music", "annot_utt": "play music"},
    {"id": 3, "locale": "en-US", "partition": "train", "scenario": "play",
     "intent": "play_music", "utt": "play some music", "annot_utt": "play some music"},
]


@pytest.fixture
def files(tmp_path):
    source = tmp_path / "en.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in SOURCE_ROWS), encoding="utf-8")
    lex = tmp_path / "en-sw.tsv"
    lex.write_text("wake\tamka\nplay\tcheza\nmusic\tmuziki\nfive\ttano\nfriday\tIjumaa\n",
                   encoding="utf-8")
    return source, lex


def test_synthesize_file_streams_rows_and_summary(files, tmp_path):
    source, _ = files
    out = tmp_path / "out.jsonl"
    summary_path = tmp_path / "summary.json"
    synth = Synthesizer(SynthConfig(locale="sw-KE", sense="first", numbers="auto"), [SW])
    summary = synthesize_file(source, out, synth, split="train", summary_json=summary_path)
    rows = list(read_massive(out))  # validates every annot_utt against utt
    assert [r.id for r in rows] == ["1-translate-0", "3-translate-0"]
    # sw has CLDR spell-out rules, so --numbers auto is cldr: "five am" is one time
    # (5:00 is "alfajiri" by CLDR's Swahili day periods) and "friday" is CLDR's weekday,
    # lower case like its English word. (Before numbers went through CLDR, this row was
    # "amka me at tano am on Ijumaa"; --numbers lexicon below.)
    assert rows[0].text == "amka me at tano alfajiri on ijumaa"
    assert rows[0].slots == (SlotSpan(11, 24, "time"), SlotSpan(28, 34, "date"))
    assert rows[0].metadata["lexi"]["params"]["numbers"] == "cldr"
    assert summary.rows_written == 2 and summary.source_rows == 2
    assert summary.replaced_words == 6 and summary.words == 7 + 3
    data = json.loads(summary_path.read_text())
    assert data["untranslated_top"] == {"me": 1, "at": 1, "on": 1, "some": 1}
    assert data["labels"] == {"alarm_set": 1, "play_music": 1}
    assert "report" not in data
    lexicon_out = tmp_path / "lexicon.jsonl"
    synth = Synthesizer(SynthConfig(locale="sw-KE", sense="first", numbers="lexicon"), [SW])
    synthesize_file(source, lexicon_out, synth, split="train")
    first = next(iter(read_massive(lexicon_out)))
    # The lexicon writes the number; "am" is never looked up, it is CLDR's day period.
    assert first.text == "amka me at tano alfajiri on Ijumaa"
    assert first.metadata["lexi"]["params"]["numbers"] == "lexicon"


def run_lexi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lexi.cli.main", *args], capture_output=True,
                          text=True, input=stdin, timeout=120)


def test_cli_chains_stdin_to_stdout_with_summary(files, tmp_path):
    source, lex = files
    summary_path = tmp_path / "s.json"
    result = run_lexi(
        "synth", "--source", "-", "--lexicon", str(lex), "--ops", "translate,codeswitch",
        "--per-utterance", "2", "--locale", "sw-KE", "-o", "-", "--summary-json",
        str(summary_path), stdin=source.read_text(encoding="utf-8"),
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines and all(row["locale"] == "sw-KE" for row in lines)
    assert {row["lexi"]["op"] for row in lines} == {"translate", "codeswitch"}
    assert json.loads(summary_path.read_text())["rows_written"] == len(lines)
    assert "rows written" in result.stderr  # the summary table goes to stderr


def test_cli_error_is_one_line_and_writes_nothing(files, tmp_path):
    source, lex = files
    out = tmp_path / "x.jsonl"
    result = run_lexi("synth", "--source", str(source), "--lexicon", str(lex),
                      "--ops", "translate,phonetic", "--phonetic-lang", "ln", "-o", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "epitran has no offline grapheme-to-phoneme map for 'ln'" in result.stderr
    assert not out.exists()


def test_phrase_matches_are_memoised_by_the_words_they_read():
    # "alarm" can start "alarm clock": its match depends on the next word, so one
    # synthesizer must still tell the two apart wherever they occur.
    synth = make()
    first = synth.variant(utt("set alarm clock", uid="1"), "translate")
    second = synth.variant(utt("alarm set", uid="2"), "translate")
    third = synth.variant(utt("music alarm clock", uid="3"), "translate")
    assert (first.text, second.text, third.text) == (
        "weka saa ya kengele", "kengele weka", "muziki saa ya kengele"
    )
    assert [r["src"] for r in third.metadata["lexi"]["replaced"]] == ["music", "alarm clock"]


def test_lemma_candidates_agree_with_the_full_analysis():
    from lexi.morph.english import analyze_english, lemma_candidates

    words = ["alarms", "leaves", "playing", "went", "is", "me", "what's", "like", "lights",
             "better", "tomorrow", "adele", "Olly", "news", "wakes", "set", ",", "12:30"]
    for word in words:
        assert lemma_candidates(word)[0] == analyze_english([word])[0].lemma, word
    assert lemma_candidates("leaves") == ("leave", "leaf")
    # The synthesizer finds the same lemma (and so writes the same rows) either way.
    source = utt("wake me when the alarms go off please")
    lemma_rows = Synthesizer(SynthConfig(), [SW], lemmatize=lemma_candidates).synthesize(source)
    full_rows = Synthesizer(SynthConfig(), [SW], analyze=analyze_english).synthesize(source)
    assert [r.text for r in lemma_rows.rows] == [r.text for r in full_rows.rows]
    assert "kengele" in lemma_rows.rows[0].text  # alarms → alarm, found through its lemma


def _written(rows, synthesizer, batch: int | None) -> tuple[str, str | None, dict]:
    """What synthesising ``rows`` writes (in batches of ``batch``, or row by row for
    None), the error it ends with, and its summary."""
    out, summary, error = io.StringIO(), SynthSummary(), None
    try:
        if batch is None:
            write_massive(synthesize_stream(rows, synthesizer, summary), out)
        else:
            synthesize_to(rows, synthesizer, summary, out, batch)
    except LexiError as exc:
        error = str(exc)
    return out.getvalue(), error, summary.as_dict(report=True)


def test_batches_write_what_row_by_row_writes_up_to_an_error():
    texts = ["wake me at [time : five am]", "play music", "set an alarm clock",
             "the red house", "wake me", "play the music please", "house of music"]
    rows = [utt(text, uid=str(i)) for i, text in enumerate(texts)]

    def failing_read():  # a read error after four rows, as a bad line would give
        yield from rows[:4]
        raise LexiError("malformed JSON", path="f.jsonl", line=5)

    foreign = [*rows[:5], rows[5].with_(locale="sw-KE"), rows[6]]  # synthesis refuses it
    for source, config in ((rows, {}), (failing_read, {}), (foreign, {"locale": "sw-KE"})):
        def fresh(source=source):
            return source() if callable(source) else list(source)

        expected = _written(fresh(), make(**config), None)
        assert expected[0]  # some rows, before any error
        for batch in (1, 3, 64):
            assert _written(fresh(), make(**config), batch) == expected
