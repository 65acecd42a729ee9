"""`lexi lexicon coverage` under synthesis options: each token counted as `lexi synth --ops
translate` writes it (translated verbatim or by its lemma, a number, dropped, left
untranslated), and the coverage figures of before left as they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lexi.cli.main import app
from lexi.data.readers import read_dataset
from lexi.errors import LexiError
from lexi.lexicon.coverage import dataset_coverage
from lexi.synth import synthesize_file
from lexi.synth.handled import coverage_config, dataset_handling, handled_tokens
from lexi.synth.pipeline import build_synthesizer

runner = CliRunner()
LEXICON = "light\ttaa\nset\tweka\nalarm\tkengele\nfive\ttano\nwake\tamka\n"
# annot_utt, intent: "the lights" (a lemma, an article), a time, a slot holding an article.
ROWS = [
    ("the lights", "iot_hue_lighton"),
    ("set an alarm for five am", "alarm_set"),
    ("wake me up at [date : the weekend]", "alarm_set"),
]


def _text(annot: str) -> str:
    return annot.replace("[date : ", "").replace("]", "")


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    lexicon, data = tmp_path / "lex.tsv", tmp_path / "en.jsonl"
    lexicon.write_text(LEXICON, encoding="utf-8")
    data.write_text("".join(
        json.dumps({"id": str(i), "locale": "en-US", "partition": "train", "intent": intent,
                    "utt": _text(annot), "annot_utt": annot}) + "\n"
        for i, (annot, intent) in enumerate(ROWS)), encoding="utf-8")
    return lexicon, data


def counts(lexicon: Path, data: Path, **options) -> dict:
    handled = dataset_handling([lexicon], data, **options).handled.as_dict()
    return {name: part["tokens"] for name, part in handled["categories"].items()}


def test_the_lights_one_by_lemma_one_dropped_all_handled(files, tmp_path):
    lexicon, _ = files
    data = tmp_path / "one.jsonl"
    data.write_text(json.dumps({"id": "1", "locale": "en-US", "intent": "iot_hue_lighton",
                                "utt": "the lights", "annot_utt": "the lights"}) + "\n")
    report = dataset_handling([lexicon], data, unknown="drop-function-words").handled
    assert (report.tokens, report.verbatim, report.lemma, report.dropped,
            report.untranslated) == (2, 0, 1, 1, 0)
    assert report.handled_share == 1.0
    data_out = report.as_dict()
    assert data_out["handled_share"] == 1.0 and data_out["translated_share"] == 0.5
    assert data_out["top_dropped"] == [{"word": "the", "count": 1}]
    assert data_out["top_untranslated"] == []
    # Under the default --unknown keep, "the" stays English: half handled.
    kept = dataset_handling([lexicon], data).handled
    assert (kept.lemma, kept.dropped, kept.untranslated, kept.handled_share) == (1, 0, 1, 0.5)


def test_each_way_is_counted_under_each_policy(files):
    lexicon, data = files
    # 14 word tokens: the lights | set an alarm for five am | wake me up at the weekend.
    # Without --locale, --numbers auto is lexicon: "five" through the lexicon, "am" kept
    # (never looked up as the verb "be"); in the slot "the weekend" nothing is dropped.
    assert counts(lexicon, data) == {"verbatim": 3, "lemma": 1, "numbers": 2, "dropped": 0,
                                     "untranslated": 8}
    report = dataset_handling([lexicon], data, unknown="drop-function-words")
    handled = report.handled
    assert (handled.dropped, handled.untranslated) == (2, 6)  # the (outside the slot), an
    assert dict(handled.numbers) == {"lexicon_numbers": 1, "kept": 1}
    assert handled.untranslated_words["the"] == 1  # the slot's, never dropped
    assert handled.dropped_words == {"the": 1, "an": 1}
    assert handled.handled == 14 - 6
    assert counts(lexicon, data, unknown="drop") == {
        "verbatim": 3, "lemma": 1, "numbers": 2, "dropped": 6, "untranslated": 2}
    assert counts(lexicon, data, unknown="drop-function-words",
                  function_words="the,an,for,at") == {
        "verbatim": 3, "lemma": 1, "numbers": 2, "dropped": 4, "untranslated": 4}
    # --numbers keep leaves "five am" as it is; CLDR (with a language) spells it whole.
    assert counts(lexicon, data, numbers="keep")["numbers"] == 2
    cldr = dataset_handling([lexicon], data, numbers="auto", locale="sw").handled
    assert dict(cldr.numbers) == {"cldr_numbers": 2}
    assert cldr.options["numbers"] == "cldr" and cldr.options["locale"] == "sw-KE"
    # Per label: iot_hue_lighton keeps "the" in English under keep.
    labels = report.handled.as_dict()["labels"]
    assert labels["iot_hue_lighton"] == {"tokens": 2, "handled": 2, "handled_share": 1.0}


def test_the_figures_are_what_synthesis_writes(files, tmp_path):
    """Translated + numbers written = synth's "words replaced"; dropped + untranslated = its
    "words with no translation" (every row here is written)."""
    lexicon, data = files
    rows = list(read_dataset(data))
    for options in ({}, {"unknown": "drop-function-words"}, {"numbers": "auto", "locale": "sw"}):
        config = coverage_config(**options)
        synthesizer = build_synthesizer(config, [lexicon])
        summary = synthesize_file(data, tmp_path / "out.jsonl", synthesizer, overwrite=True)
        assert summary.rows_written == len(rows)
        handled = handled_tokens(build_synthesizer(config, [lexicon]), rows)
        written = sum(count for way, count in handled.numbers.items() if way != "kept")
        assert summary.replaced_words == handled.verbatim + handled.lemma + written, options
        assert summary.untranslated_tokens == handled.dropped + handled.untranslated
        assert summary.untranslated == handled.dropped_words + handled.untranslated_words
        out = [json.loads(line) for line in (tmp_path / "out.jsonl").open()]
        assert out[0]["utt"] == ("taa" if options.get("unknown") else "the taa")


def test_default_options_keep_the_coverage_of_before(files):
    lexicon, data = files
    result = runner.invoke(app, ["lexicon", "coverage", str(lexicon), str(data), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    before = dataset_coverage([lexicon], data).as_dict()
    assert {key: value for key, value in printed.items() if key != "handled"} == before
    assert (printed["tokens"], printed["covered_tokens"]) == (14, 4)  # not "lights"
    handled = printed["handled"]
    assert handled["options"] == {"numbers": "lexicon", "unknown": "keep",
                                  "function_words": None, "locale": None}
    assert handled["tokens"] == printed["tokens"]
    # The lexicon's own words are what it covers: here the three verbatim ones and "five",
    # which --numbers lexicon writes through it.
    assert handled["categories"]["verbatim"]["tokens"] == 3
    assert handled["numbers"]["lexicon_numbers"] == 1


def test_several_lexicons_are_read_merged_in_priority_order(files, tmp_path):
    lexicon, data = files
    extra = tmp_path / "extra.tsv"
    extra.write_text("lights\ttaa nyingi\nfor\tkwa\n", encoding="utf-8")
    report = dataset_handling([lexicon, extra], data).handled
    # "lights" is now in the merge itself, "for" too.
    assert (report.verbatim, report.lemma, report.untranslated) == (5, 0, 7)


def test_the_command_prints_the_ways_and_the_words_left_untranslated(files):
    lexicon, data = files
    result = runner.invoke(app, ["lexicon", "coverage", str(lexicon), str(data),
                                 "--unknown", "drop-function-words"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "--numbers lexicon, --unknown drop-function-words" in said
    assert "translated, its English lemma │ 1 (7.1%)" in said
    assert "dropped (--unknown) │ 2 (14.3%) │ function words: a,an,the" in said
    assert "handled (not left untranslated) │ 8 (57.1%)" in said
    assert "most frequent untranslated words" in said
    assert "│ an │" not in said  # dropped, so not listed as untranslated
    bad = runner.invoke(app, ["lexicon", "coverage", str(lexicon), str(data),
                              "--function-words", "the"])
    # As for `lexi synth`: --function-words without the policy that reads it is refused.
    assert isinstance(bad.exception, LexiError)
    assert "only read by --unknown drop-function-words" in str(bad.exception)
