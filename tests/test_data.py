"""Dataset records and I/O: MASSIVE round trip, generic readers, precise errors."""

from __future__ import annotations

import io
import json

import pytest

from lexi.data.jsonl import iter_jsonl
from lexi.data.massive import (
    JsonStyle,
    MassiveReader,
    format_annot,
    parse_annot,
    read_massive,
    write_massive,
)
from lexi.data.readers import read_dataset, write_dataset
from lexi.data.records import SlotSpan, Utterance
from lexi.data.stats import dataset_stats
from lexi.data.tokens import tokenize
from lexi.errors import LexiError


def test_parse_annot_gives_spans_over_the_plain_text():
    text, slots = parse_annot("wake me up at [time : five am] [date : this week]")
    assert text == "wake me up at five am this week"
    assert [(text[s.start : s.end], s.name) for s in slots] == [
        ("five am", "time"),
        ("this week", "date"),
    ]
    assert format_annot(text, slots) == "wake me up at [time : five am] [date : this week]"


def test_slot_value_may_contain_a_colon():
    text, slots = parse_annot("wake me at [time : 5:30 am]")
    assert text[slots[0].start : slots[0].end] == "5:30 am"


@pytest.mark.parametrize(
    ("annot", "fragment"),
    [
        ("wake me [time : five", "unbalanced '['"),
        ("wake me time : five]", "unbalanced ']'"),
        ("wake [me [time : five]]", "unbalanced '['"),
        ("wake me [five]", "is not '[slot : value]'"),
    ],
)
def test_bad_markup_names_file_line_and_expectation(tmp_path, annot, fragment):
    path = tmp_path / "bad.jsonl"
    good = {"id": 1, "utt": "x", "annot_utt": "x", "intent": "a"}
    bad = {
        "id": 2,
        "utt": annot.replace("[", "").replace("]", ""),
        "annot_utt": annot,
        "intent": "a",
    }
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(LexiError) as err:
        list(read_massive(path))
    assert f"{path}:2:" in str(err.value)
    assert fragment in str(err.value)


def test_malformed_json_and_missing_field_are_located(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "utt": "hi", "intent": "greet"}\n{"id": 2, "utt": \n')
    with pytest.raises(LexiError, match=r"bad.jsonl:2: malformed JSON"):
        list(read_massive(path))
    path.write_text('{"id": 1, "utt": "hi"}\n')
    with pytest.raises(LexiError, match=r"bad.jsonl:1: missing field 'intent'"):
        list(read_massive(path))


def test_the_jsonl_iterator_skips_blank_lines_and_locates_a_bad_one():
    lines = ['{"a": 1}\n', "\n", "  \n", "[2]\n", "3"]
    assert list(iter_jsonl(lines, "x.jsonl")) == [(1, {"a": 1}), (4, [2]), (5, 3)]
    with pytest.raises(LexiError, match=r"x.jsonl:2: malformed JSON"):
        list(iter_jsonl(["1\n", "{oops\n"], "x.jsonl"))
    with pytest.raises(LexiError, match=r"x.jsonl:1: JSON that cannot be read"):
        list(iter_jsonl(["1" * 5000], "x.jsonl"))


def test_slot_value_not_matching_text_is_an_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": 1,
                "utt": "wake me at six",
                "annot_utt": "wake me at [time : seven]",
                "intent": "a",
            }
        )
        + "\n"
    )
    with pytest.raises(LexiError, match=r"bad.jsonl:1: .*slot values must match the text"):
        list(read_massive(path))


@pytest.mark.parametrize("name", ["en-US.jsonl", "sw-KE.partial.jsonl"])
def test_massive_round_trip_is_byte_for_byte(shared_data, name):
    path = shared_data / "massive" / name
    reader = MassiveReader(path)
    rows = list(reader)
    out = io.StringIO()
    write_massive(rows, out, reader.style)
    assert out.getvalue() == path.read_text(encoding="utf-8")
    if name == "en-US.jsonl":
        assert len(rows) == 16521
        assert sum(1 for r in rows if r.split == "train") == 11514


def test_split_selection_streams_only_that_split(shared_data):
    rows = read_massive(shared_data / "massive" / "en-US.jsonl", split="dev")
    first = next(rows)
    assert first.split == "dev"
    assert sum(1 for _ in rows) + 1 == 2033


def test_json_style_detection():
    assert JsonStyle.detect('{"id":0,"a":1}').dumps({"id": 0, "a": 1}) == '{"id":0,"a":1}'
    assert JsonStyle.detect('{"id": 0, "a": 1}').dumps({"id": 0, "a": 1}) == '{"id": 0, "a": 1}'


def test_sib200_tsv_reads_without_options(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text("index_id\tcategory\ttext\n7\tsports\tThe team won.\n8\thealth\tDrink water.\n")
    rows = list(read_dataset(path))
    assert [(r.id, r.label, r.text, r.split) for r in rows] == [
        ("7", "sports", "The team won.", "train"),
        ("8", "health", "Drink water.", "train"),
    ]


def test_csv_with_named_fields_and_split_selection(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text('sentence,goal,part\n"hello, there",greet,train\nbye,leave,test\n')
    rows = list(
        read_dataset(
            path, text_field="sentence", label_field="goal", split_field="part", split="test"
        )
    )
    assert [(r.text, r.label) for r in rows] == [("bye", "leave")]
    with pytest.raises(LexiError, match="mine.csv:1: no label column 'intent'"):
        list(read_dataset(path, text_field="sentence", label_field="intent"))


def test_csv_row_with_extra_fields_is_located(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("text\tlabel\na\tb\nc\td\te\n")
    with pytest.raises(LexiError, match=r"x.tsv:3: 3 fields, header has 2"):
        list(read_dataset(path))


def test_generic_jsonl_and_conversion_to_massive(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "play jazz", "label": "play_music"}\n')
    rows = list(read_dataset(path))
    assert rows[0].label == "play_music" and rows[0].text == "play jazz"
    out = io.StringIO()
    write_dataset(rows, out, "massive")
    back = json.loads(out.getvalue())
    assert (
        back["utt"] == "play jazz"
        and back["intent"] == "play_music"
        and back["annot_utt"] == "play jazz"
    )


def test_stats_count_labels_slots_and_lengths():
    rows = [
        Utterance(
            "1", "wake me at six", "alarm_set", (SlotSpan(11, 14, "time"),), "en-US", "train"
        ),
        Utterance("2", "hi", "greet", (), "en-US", "test"),
    ]
    stats = dataset_stats(rows)
    assert stats.rows == 2
    assert stats.labels == {"alarm_set": 1, "greet": 1}
    assert stats.slot_types == {"time": 1}
    assert stats.mean_words == 2.5


def test_tokenize_keeps_offsets_in_any_script():
    text = "niamshe saa 10:30, don't — ሰላም ዓለም"
    tokens = tokenize(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert [t.text for t in tokens if t.is_word] == [
        "niamshe",
        "saa",
        "10",
        "30",
        "don't",
        "ሰላም",
        "ዓለም",
    ]
