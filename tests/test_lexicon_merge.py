"""Several lexicons for one language: priority and union merges, the parts a store records,
and coverage by source (what each lexicon adds to the ones before it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lexi.cli.main import app
from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.lexicon import import_lexicon, load_lexicon, merge_lexicons
from lexi.lexicon.coverage import LexiconSource, coverage_by_source, lexicon_sources
from lexi.lexicon.store import read_store_parts, store_info

runner = CliRunner()
FIRST = "mother\tmama\nmother\tmzazi\nalarm\tkengele\nwake up\tamka\n"
SECOND = "mother\tmamake\ndog\tmbwa\nalarm clock\tsaa ya kengele\nplay\tcheza\nmusic\tmuziki\n"


@pytest.fixture
def lists(tmp_path) -> tuple[Path, Path]:
    first, second = tmp_path / "first.tsv", tmp_path / "second.tsv"
    first.write_text(FIRST, encoding="utf-8")
    second.write_text(SECOND, encoding="utf-8")
    return first, second


def targets(view, phrase: str) -> list[str]:
    return [entry.target for entry in view.translations(phrase)]


def test_priority_keeps_the_first_inputs_senses_and_adds_only_new_words(lists, tmp_path):
    first, second = lists
    out = tmp_path / "priority.sqlite"
    report = merge_lexicons([first, second], out, mode="priority")
    merged, alone = load_lexicon(out), load_lexicon(first)
    # Every word the first list has keeps exactly its senses, in its order...
    for phrase in alone.phrases():
        assert merged.translations(phrase) == alone.translations(phrase), phrase
    assert targets(merged, "mother") == ["mama", "mzazi"]  # not the second list's "mamake"
    # ... and the second list only adds the words the first lacks.
    assert targets(merged, "dog") == ["mbwa"]
    assert targets(merged, "alarm clock") == ["saa ya kengele"]
    assert len(merged) == 3 + 4  # mother, alarm, wake up; dog, alarm clock, play, music
    assert report.mode == "priority" and report.rows == 8
    assert [(p.input, p.rows, p.dropped) for p in report.parts] == [
        (str(first), 4, 0), (str(second), 4, 1)]
    meta = store_info(out).meta
    assert meta["mode"] == "priority" and meta["inputs"] == [str(first), str(second)]
    assert [(p["input"], p["rows"]) for p in meta["parts"]] == [(str(first), 4),
                                                                 (str(second), 4)]
    # The other order: the second list's sense wins.
    reverse = tmp_path / "reverse.sqlite"
    merge_lexicons([second, first], reverse, mode="priority")
    assert targets(load_lexicon(reverse), "mother") == ["mamake"]


def test_union_is_unchanged_and_weights_scale_each_input(lists, tmp_path):
    first, second = lists
    union = tmp_path / "union.sqlite"
    report = merge_lexicons([first, second], union)  # the default mode
    assert report.mode == "union" and report.rows == 9
    assert targets(load_lexicon(union), "mother") == ["mama", "mamake", "mzazi"]
    assert store_info(union).meta["mode"] == "union"
    weighed = tmp_path / "weighed.sqlite"
    merge_lexicons([first, second], weighed, mode="union", weights=[0.25, 1])
    view = load_lexicon(weighed)
    assert [(e.target, e.weight) for e in view.translations("mother")] == [
        ("mamake", 1.0), ("mama", 0.25), ("mzazi", 0.125)]


@pytest.mark.parametrize("options, message", [
    ({"mode": "newest"}, "unknown merge mode 'newest'"),
    ({"mode": "priority", "weights": [1, 0.5]}, "changes nothing in priority mode"),
    ({"weights": [1]}, "gives 1 numbers for 2 inputs"),
    ({"weights": [1, 0]}, "must be a positive number"),
])
def test_bad_merge_options_are_refused_and_nothing_is_written(lists, tmp_path, options,
                                                              message):
    out = tmp_path / "bad.sqlite"
    with pytest.raises(LexiError, match=message):
        merge_lexicons(list(lists), out, **options)
    assert not out.exists()


def test_an_input_whose_words_are_all_covered_adds_nothing_and_is_no_error(lists, tmp_path):
    first, _ = lists
    same = tmp_path / "same.tsv"
    same.write_text("mother\tmamake\n", encoding="utf-8")
    report = merge_lexicons([first, same], tmp_path / "out.sqlite", mode="priority")
    assert [(p.rows, p.dropped) for p in report.parts] == [(4, 0), (0, 1)]
    empty = tmp_path / "empty.tsv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(LexiError, match="no lexicon entries"):
        merge_lexicons([first, empty], tmp_path / "out2.sqlite", mode="priority")


def test_an_import_of_several_files_merges_them_as_asked(lists, tmp_path):
    first, second = lists
    out = tmp_path / "import.sqlite"
    report = import_lexicon("tsv", [first, second], out, tgt="sw", merge="priority")
    assert targets(load_lexicon(out), "mother") == ["mama", "mzazi"]
    assert [(p.rows, p.dropped) for p in report.parts] == [(4, 0), (4, 1)]
    # Its parts are read back per input (coverage by source uses them).
    parts = read_store_parts(out)
    assert [name for name, _ in parts] == [str(first), str(second)]
    assert sorted(parts[1][1].phrases()) == ["alarm clock", "dog", "music", "play"]
    # One file: the store is as before (no mode, no parts).
    single = tmp_path / "single.sqlite"
    plain = import_lexicon("tsv", [first], single, tgt="sw")
    assert plain.mode is None and plain.parts == []
    assert "parts" not in store_info(single).meta and read_store_parts(single) == []
    with pytest.raises(LexiError, match="unknown merge mode"):
        import_lexicon("tsv", [first], tmp_path / "x.sqlite", tgt="sw", merge="first")


# Five sentences, counted by hand below. Word tokens: 3 + 4 + 3 + 2 + 3 = 15; types: wake,
# up, mother, set, the, alarm, clock, walk, dog, play, music, and = 12.
ROWS = [
    Utterance("1", "Wake up, mother!", label="alarm_set"),
    Utterance("2", "set the alarm clock", label="alarm_set"),
    Utterance("3", "walk the dog", label="pets"),
    Utterance("4", "play music", label="play_music"),
    Utterance("5", "mother and dog", label="pets"),
]


def check_by_hand(report, second_alone: int | None) -> None:
    first, second = report.sources
    # First list: wake up (2) + mother in 1; alarm in 2; mother in 5 = 5 tokens;
    # types wake, up, mother, alarm.
    assert (first.added_tokens, first.added_types, first.phrases) == (5, 4, 3)
    assert first.alone.covered_tokens == 5
    assert first.added_labels == {"alarm_set": 4, "pets": 1, "play_music": 0}
    # Both: 1: 3; 2: "alarm clock" now matches whole, 2; 3: dog, 1; 4: 2; 5: 2 = 10. The
    # second list adds 5 tokens (one of them by re-segmenting "alarm clock") and the
    # types clock, dog, play, music.
    assert (second.added_tokens, second.added_types) == (5, 4)
    assert second.added_labels == {"alarm_set": 1, "pets": 2, "play_music": 2}
    assert (None if second.alone is None else second.alone.covered_tokens) == second_alone
    merged = report.merged
    assert (merged.tokens, merged.covered_tokens, merged.types, merged.covered_types) == (
        15, 10, 12, 8)
    assert first.added_tokens + second.added_tokens == merged.covered_tokens
    assert merged.uncovered.most_common() == [("the", 2), ("set", 1), ("walk", 1), ("and", 1)]


def test_coverage_by_source_counted_by_hand(lists, tmp_path):
    first, second = lists
    sources = [LexiconSource("first", load_lexicon(first)),
               LexiconSource("second", load_lexicon(second))]
    report = coverage_by_source(sources, ROWS)
    # The second list alone: mother (1), alarm clock (2), dog (1), play music (2),
    # mother + dog (2) = 8.
    check_by_hand(report, second_alone=8)
    data = report.as_dict()
    assert data["covered_tokens"] == 10 and data["token_coverage"] == round(10 / 15, 4)
    assert data["sources"][1]["added"] == {"tokens": 5, "token_share": round(5 / 15, 4),
                                           "types": 4, "type_share": round(4 / 12, 4)}
    assert data["sources"][1]["labels"]["pets"] == {"added_tokens": 2,
                                                    "added_share": round(2 / 6, 4)}
    # A merged store stands for its inputs: the same figures, whichever the mode. In
    # priority mode the second part holds only words the first lacks, so it has no
    # "alone" figure; a union store's parts are whole.
    for mode, alone in (("priority", None), ("union", 8)):
        store = tmp_path / f"{mode}.sqlite"
        merge_lexicons([first, second], store, mode=mode)
        loaded = lexicon_sources([store])
        assert [s.name for s in loaded] == [str(first), str(second)]
        check_by_hand(coverage_by_source(loaded, ROWS), second_alone=alone)


def test_the_coverage_command_takes_several_lexicons_then_the_dataset(lists, tmp_path):
    first, second = lists
    data = tmp_path / "five.jsonl"
    data.write_text("".join(
        json.dumps({"id": r.id, "locale": "en-US", "partition": "train", "intent": r.label,
                    "utt": r.text, "annot_utt": r.text}) + "\n" for r in ROWS),
        encoding="utf-8")
    result = runner.invoke(app, ["lexicon", "coverage", str(first), str(second), str(data),
                                 "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [(s["name"], s["added"]["tokens"]) for s in printed["sources"]] == [
        (str(first), 5), (str(second), 5)]
    assert printed["sources"][1]["alone"]["covered_tokens"] == 8
    assert printed["top_uncovered"][0] == {"word": "the", "count": 2}
    tables = runner.invoke(app, ["lexicon", "coverage", str(first), str(second), str(data)],
                           env={"COLUMNS": "200"})
    assert tables.exit_code == 0, tables.output
    said = " ".join(tables.output.split())
    assert "lexicon coverage (2 lexicons in priority order)" in said
    assert "+2 │ second.tsv │ 5 │ +5 (+33.33%) │ +4 (+33.33%) │ 8 (53.33%)" in said
    assert "merged │ │ 10 (66.67%) │ 8 (66.67%)" in said
    # One lexicon: the report of old, with the one source listed.
    one = json.loads(runner.invoke(app, ["lexicon", "coverage", str(first), str(data),
                                         "--json"]).stdout)
    assert (one["covered_tokens"], len(one["sources"])) == (5, 1)


@pytest.mark.shared_data
def test_lingala_gatitos_then_wechsel_on_sib200(shared_data, tmp_path):
    """The figures docs/lexicons.md shows: GATITOS alone covers 63.69 % of the SIB-200
    English train split's word tokens, WECHSEL alone 12.84 %, both 63.87 %."""
    from lexi.data.readers import read_dataset

    lists = [shared_data / "lexicons" / f"{name}-en-ln.tsv" for name in ("gatitos", "wechsel")]
    rows = list(read_dataset(shared_data / "sib200" / "eng_Latn" / "train.tsv"))
    assert len(rows) == 701
    report = coverage_by_source([LexiconSource(str(p), load_lexicon(p)) for p in lists], rows)
    gatitos, wechsel = report.sources
    tokens = report.merged.tokens
    assert round(gatitos.alone.covered_tokens / tokens, 4) == 0.6369
    assert round(wechsel.alone.covered_tokens / tokens, 4) == 0.1284
    assert round(report.merged.token_coverage, 4) == 0.6387
    assert gatitos.added_tokens + wechsel.added_tokens == report.merged.covered_tokens
    assert report.merged.uncovered.most_common(1)[0][0] == "the"
    # The priority store bootstrap builds from the two: same coverage, GATITOS's senses.
    store = tmp_path / "ln.sqlite"
    import_lexicon("tsv", lists, store, tgt="ln", merge="priority")
    again = coverage_by_source(lexicon_sources([store]), rows)
    assert [s.added_tokens for s in again.sources] == [gatitos.added_tokens,
                                                        wechsel.added_tokens]
    gatitos_view = load_lexicon(lists[0])
    merged = load_lexicon(store)
    assert all(merged.translations(p) == gatitos_view.translations(p)
               for p in gatitos_view.phrases())
