"""Lexicon model, store, view, adapters, merge and coverage (CLI in test_lexicon_cli.py)."""

from __future__ import annotations

import sqlite3
import unicodedata
from pathlib import Path

import pytest
from babel import Locale
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.lexicon import (
    Entry,
    LexiconView,
    Match,
    Normalizer,
    import_lexicon,
    load_lexicon,
    merge_lexicons,
)
from lexi.lexicon.coverage import lexicon_coverage
from lexi.lexicon.stats import lexicon_stats

FIXTURES = Path(__file__).parent / "fixtures" / "lexicon"
SMALL = FIXTURES / "small.tsv"


@pytest.fixture
def small_store(tmp_path) -> Path:
    out = tmp_path / "small.sqlite"
    import_lexicon("tsv", [SMALL], out, src="en", tgt="sw")
    return out


def test_normalizer_nfc_case_spaces_and_optional_diacritics():
    norm = Normalizer()
    decomposed = unicodedata.normalize("NFD", "Café")
    assert norm(decomposed) == norm("CAFÉ") == "café"
    assert norm("  Alarm \t Clock ") == "alarm clock"
    assert Normalizer(fold_diacritics=True)(decomposed) == "cafe"
    assert Normalizer(fold_case=False)("Alarm") == "Alarm"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="abzAZ09_-' \t\n\x0b\x1f\x85\xa0é", max_size=8),
       fold_case=st.booleans(), fold_diacritics=st.booleans())
@example(text="3", fold_case=True, fold_diacritics=False)  # no cased letter: not islower
@example(text="a1", fold_case=False, fold_diacritics=False)
def test_normalizer_fast_path_for_plain_words_changes_nothing(text, fold_case,
                                                              fold_diacritics):
    # A lowercase ASCII word of letters and digits is returned as it is (no new strings);
    # every text normalises as the full rule says.
    norm = Normalizer(fold_case=fold_case, fold_diacritics=fold_diacritics)
    if text.isascii():
        assert norm(text) == " ".join((text.lower() if fold_case else text).split())
    else:
        full = unicodedata.normalize("NFC", text)
        full = full.casefold() if fold_case else full
        if fold_diacritics:
            full = unicodedata.normalize("NFC", "".join(
                c for c in unicodedata.normalize("NFD", full) if not unicodedata.combining(c)))
        assert norm(text) == " ".join(full.split())
    if text.isascii() and text.isalnum() and text.islower():
        assert norm(text) is text


def test_tsv_import_skips_and_counts_malformed_lines(small_store, tmp_path):
    report = import_lexicon("tsv", [SMALL], tmp_path / "again.sqlite", tgt="sw")
    # The header comment is not an error; the tab-less line and the empty target are.
    assert report.skipped == 2
    assert any("small.tsv:9" in e and "broken line without a tab" in e
               for e in report.skipped_examples)
    assert any("small.tsv:11" in e for e in report.skipped_examples)
    assert report.rows == 8


def test_strict_import_fails_at_the_first_bad_line_and_writes_nothing(tmp_path):
    out = tmp_path / "strict.sqlite"
    out.write_text("previous content")
    with pytest.raises(LexiError) as info:
        import_lexicon("tsv", [SMALL], out, tgt="sw", strict=True, overwrite=True)
    assert info.value.line == 9
    assert info.value.path.endswith("small.tsv")
    assert "broken line without a tab" in str(info.value)
    assert out.read_text() == "previous content"
    assert [p.name for p in tmp_path.iterdir()] == ["strict.sqlite"]


def test_order_becomes_weight_and_best_sense_comes_first(small_store):
    view = load_lexicon(small_store)
    assert [e.target for e in view.translations("Mother")] == ["mama", "mzazi"]
    first, second = view.translations("mother")
    assert first.weight > second.weight
    assert first.provenance == "small.tsv:6"


def test_longest_match_prefers_multiword_sources(small_store):
    view = load_lexicon(small_store)
    words = "Please TURN off the alarm clock now".split()
    turn_off = view.match(words, 1)
    assert (turn_off.start, turn_off.length, turn_off.source) == (1, 2, "turn off")
    assert turn_off.entries[0].target == "zima"
    clock = view.match(words, 4)
    assert (clock.length, clock.source) == (2, "alarm clock")
    assert clock.entries[0].target == "saa ya kengele"
    assert view.match(["alarm"], 0).source == "alarm"  # a phrase cut short falls back
    assert view.match(["turn", "on"], 0).source == "turn"
    assert view.match(words, 0) is None
    assert view.max_phrase_words == 2


def test_loading_a_store_leaves_the_garbage_collector_as_it_was(small_store, monkeypatch):
    import gc

    from lexi.lexicon import store

    # Just large enough: the store has FREEZE_ROWS rows (the real threshold is 100,000).
    rows = store.store_info(small_store).meta["rows"]
    monkeypatch.setattr(store, "FREEZE_ROWS", rows)
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        # A library call does not freeze, however large the store: it is process-wide.
        view = store.read_store(small_store)
        assert gc.isenabled() and gc.get_freeze_count() == frozen
        assert len(list(store.iter_store(small_store))) == view.entry_count
        assert lexicon_stats(small_store).entries == view.entry_count
        assert gc.isenabled() and gc.get_freeze_count() == frozen
        # Asked for: the loaded entries are frozen, and the collector runs again.
        view = store.read_store(small_store, freeze_after_load=True)
        assert gc.isenabled() and gc.get_freeze_count() > frozen
        assert view.match(["turn", "off"], 0).source == "turn off"
        gc.unfreeze()
        load_lexicon(small_store, freeze_after_load=True)  # passed on by load_lexicon
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        monkeypatch.setattr(store, "FREEZE_ROWS", rows + 1)  # one row short of large
        load_lexicon(small_store, freeze_after_load=True)
        assert gc.isenabled() and gc.get_freeze_count() == 0
        monkeypatch.setattr(store, "FREEZE_ROWS", rows)
        gc.disable()  # a caller that paused the collector itself: left paused, no freeze
        load_lexicon(small_store, freeze_after_load=True)
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()
        gc.unfreeze()


def test_lookup_normalises_the_same_way_as_import(small_store):
    view = load_lexicon(small_store)
    assert "café" in view and "CAFÉ" in view
    assert view.translations(unicodedata.normalize("NFD", "café"))[0].target == "mkahawa"
    assert view.translations("wake up")[0].target == "amka"  # the file had two spaces


def test_store_and_tsv_on_the_fly_give_the_same_view(small_store):
    compiled, direct = load_lexicon(small_store), load_lexicon(SMALL)
    assert len(compiled) == len(direct) == 7
    for phrase in compiled.phrases():
        assert compiled.translations(phrase) == direct.translations(phrase)
    assert (compiled.src_lang, compiled.tgt_lang) == ("en", "sw")


def test_duplicates_collapse_to_the_highest_weight(tmp_path):
    lex = tmp_path / "dup.tsv"
    lex.write_text("go\tenda\ngo\tnenda\ngo\tenda\n", encoding="utf-8")
    out = tmp_path / "dup.sqlite"
    report = import_lexicon("tsv", [lex], out, tgt="sw")
    assert report.rows == 3
    view = load_lexicon(out)
    assert view.entry_count == 2
    entries = view.translations("go")
    assert [(e.target, e.weight) for e in entries] == [("enda", 1.0), ("nenda", 0.5)]


def test_tsv_options_swap_columns_header_and_unknown_option(tmp_path):
    lex = tmp_path / "rev.tsv"
    lex.write_text("target\tsource\nnyumba\thouse\n", encoding="utf-8")
    out = tmp_path / "rev.sqlite"
    options = {"source_column": "2", "target_column": "1", "header": "true"}
    import_lexicon("tsv", [lex], out, tgt="sw", options=options)
    view = load_lexicon(out)
    assert [e.target for e in view.translations("house")] == ["nyumba"]
    assert "source" not in view
    with pytest.raises(LexiError, match="no option 'colour'"):
        import_lexicon("tsv", [lex], out, tgt="sw", options={"colour": "red"})


def test_muse_adapter_reads_space_separated_pairs(tmp_path):
    out = tmp_path / "muse.sqlite"
    report = import_lexicon("muse", [FIXTURES / "muse-en-sw.txt"], out, tgt="sw")
    assert report.skipped == 1
    view = load_lexicon(out)
    assert [e.target for e in view.translations("house")] == ["nyumba", "kaya"]
    assert view.translations("water")[0].target == "maji"


def test_kaikki_adapter_uses_translations_and_short_glosses(tmp_path):
    out = tmp_path / "kaikki.sqlite"
    report = import_lexicon("kaikki", [FIXTURES / "kaikki.jsonl"], out, src="en", tgt="sw")
    assert report.skipped == 2  # the broken JSON line and the row without a word
    view = load_lexicon(out)
    assert [e.target for e in view.translations("dog")] == ["mbwa"]  # not chien, not Hund
    assert view.translations("lion")[0].target == "simba"
    assert view.translations("hero")[0].target == "simba"
    assert view.translations("cut")[0].pos == "verb"  # "to cut" of a verb
    assert "a large cat of africa with a shaggy mane around the male's neck" not in view
    assert view.translations("lion")[0].weight < view.translations("dog")[0].weight


def _csv_to_sqlite(folder: Path, db_path: Path) -> None:
    import csv

    db = sqlite3.connect(db_path)
    for table in ("expr", "denotation", "langvar"):
        with open(folder / f"{table}.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        # Typed like PanLex's schema: ids are integers, txt and lang_code text.
        typed = [f"{c} {'TEXT' if c in ('txt', 'lang_code') else 'INTEGER'}" for c in rows[0]]
        db.execute(f"CREATE TABLE {table} ({', '.join(typed)})")
        db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows[1:])
    db.commit()
    db.close()


def _csv_to_json(folder: Path, out: Path) -> None:
    import csv
    import json

    out.mkdir()
    for table in ("expr", "denotation", "langvar"):
        with open(folder / f"{table}.csv", newline="", encoding="utf-8") as handle:
            records = [
                {k: (int(v) if v.isdigit() else v) for k, v in row.items()}
                for row in csv.DictReader(handle)
            ]
        (out / f"{table}.json").write_text(json.dumps(records), encoding="utf-8")


@pytest.mark.parametrize("kind", ["csv", "sqlite", "json"])
def test_panlex_pairs_share_meanings_and_weight_by_attestation(tmp_path, kind):
    source = FIXTURES / "panlex"
    if kind == "sqlite":
        source = tmp_path / "panlex.sqlite"
        _csv_to_sqlite(FIXTURES / "panlex", source)
    elif kind == "json":
        source = tmp_path / "panlex-json"
        _csv_to_json(FIXTURES / "panlex", source)
    out = tmp_path / "panlex-out.sqlite"
    import_lexicon("panlex", [source], out, src="eng", tgt="swh")
    view = load_lexicon(out)
    dog = view.translations("dog")
    assert [(e.target, e.weight) for e in dog] == [("mbwa", 2.0), ("mbwa koko", 1.0)]
    assert view.translations("hound")[0].target == "mbwa"
    assert "chien" not in {e.target for p in view.phrases() for e in view.translations(p)}
    with pytest.raises(LexiError, match="ISO 639-3"):
        import_lexicon("panlex", [source], tmp_path / "x.sqlite", src="en", tgt="sw")


def test_cldr_adapter_aligns_babel_names_by_key(tmp_path):
    out = tmp_path / "cldr.sqlite"
    report = import_lexicon("cldr", [], out, src="en", tgt="sw")
    assert report.rows > 500
    view = load_lexicon(out)
    en, sw = Locale("en"), Locale("sw")
    friday = en.days["format"]["wide"][4]
    assert view.translations(friday)[0].target == sw.days["format"]["wide"][4]
    assert view.translations(en.months["format"]["wide"][3])[0].target == \
        sw.months["format"]["wide"][3]
    assert view.translations(en.territories["KE"])[0].target == sw.territories["KE"]
    assert view.translations(en.languages["sw"])[0].target == sw.languages["sw"]
    with pytest.raises(LexiError, match="no CLDR locale"):
        # (a real language, Abau, that CLDR has no locale for)
        import_lexicon("cldr", [], tmp_path / "y.sqlite", src="en", tgt="aau")


def test_merge_keeps_the_union_and_the_best_weight(small_store, tmp_path):
    other = tmp_path / "other.tsv"
    other.write_text("mother\tmzazi\nmother\tmama\ndog\tmbwa\n", encoding="utf-8")
    other_store = tmp_path / "other.sqlite"
    import_lexicon("tsv", [other], other_store, tgt="sw")
    merged = tmp_path / "merged.sqlite"
    report = merge_lexicons([small_store, other_store], merged)
    view = load_lexicon(merged)
    assert report.rows == 11 and view.entry_count == 9
    assert [e.weight for e in view.translations("mother")] == [1.0, 1.0]
    assert view.translations("dog")[0].target == "mbwa"
    tr = tmp_path / "tr.sqlite"
    import_lexicon("tsv", [other], tr, tgt="tr")
    with pytest.raises(LexiError, match="different language pairs"):
        merge_lexicons([small_store, tr], tmp_path / "bad.sqlite")
    assert not (tmp_path / "bad.sqlite").exists()


def test_stats_count_entries_sources_and_multiword(small_store):
    stats = lexicon_stats(small_store)
    assert (stats.entries, stats.sources, stats.multiword_sources) == (8, 7, 3)
    assert stats.meta["skipped"] == 2 and stats.meta["adapter"] == "tsv"


def test_load_lexicon_rejects_missing_and_foreign_files(tmp_path):
    with pytest.raises(LexiError, match="no such lexicon"):
        load_lexicon(tmp_path / "absent.sqlite")
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(LexiError, match="entries/meta"):
        load_lexicon(foreign)


def test_view_from_entries_orders_by_weight():
    view = LexiconView.from_entries([
        Entry("Go", "nenda", weight=0.5), Entry("go", "enda", weight=2.0),
        Entry("go out", "toka"),
    ])
    assert [e.target for e in view.translations("GO")] == ["enda", "nenda"]
    assert view.match(["go", "out"], 0).length == 2
    assert len(view) == 2 and view.entry_count == 3


def _reference_match(view: LexiconView, words: list[str], start: int):
    """Greedy longest match as specified (and as the first version of the view did it):
    normalise each word, try every length from the longest source that starts with the
    first word down to one word, first hit wins."""
    norm = view.normalizer
    first = norm(words[start])
    longest = max((len(p.split(" ")) for p in view.phrases() if p.split(" ")[0] == first),
                  default=1)
    normalized = [first] + [norm(w) for w in words[start + 1 : start + longest]]
    for size in range(len(normalized), 0, -1):
        phrase = " ".join(normalized[:size])
        if phrase in set(view.phrases()):
            return (start, size, phrase, view.translations(phrase))
    return None


_BASE = ["a", "b", "c", "d", "é"]
# Surface forms: lower and upper case, decomposed accents, and odd tokens (empty, spaces).
_SURFACE = [*_BASE, "A", "B", "C", "D", "É", "e\u0301", "zz", "Zz", "", " ", "a b", "B c"]


@settings(max_examples=300, deadline=None)
@given(
    sources=st.lists(st.lists(st.sampled_from(_BASE), min_size=1, max_size=4), max_size=12),
    sentences=st.lists(st.lists(st.sampled_from(_SURFACE), max_size=10), min_size=1,
                       max_size=6),
)
# Tokens that normalise to several words or to nothing, next to multi-word sources.
@example(sources=[["a", "b", "c"], ["a"]], sentences=[["a", "B c"], ["A", "a b", "c"]])
@example(sources=[["a", "b", "c", "d"], ["a", "b"]], sentences=[["a", "b", "B c"], ["a", "b", ""]])
@example(sources=[["a", "b"], ["b"]], sentences=[["a", " ", "b"], ["a", "", "b"], ["A", "B"]])
def test_match_is_the_greedy_longest_match(sources, sentences):
    view = LexiconView.from_entries(
        Entry(" ".join(words), f"t{i}") for i, words in enumerate(sources)
    )
    for _ in range(2):  # the second time from the view's memo
        for words in sentences:
            for start in range(len(words)):
                found = view.match(words, start)
                expected = _reference_match(view, words, start)
                assert (found and tuple(found)) == expected, (words, start)


def test_view_entries_and_matches_are_ordinary_frozen_records():
    # The view builds Entry objects without their dataclass __init__ and Match tuples with
    # tuple.__new__ (for speed): they must still be equal to, and as immutable as,
    # constructed ones.
    view = LexiconView.from_entries([Entry("alarm", "kengele", "NOUN", 2.0, "t:1")])
    entry = view.translations("alarm")[0]
    assert entry == Entry("alarm", "kengele", "NOUN", 2.0, "t:1")
    assert repr(entry) == repr(Entry("alarm", "kengele", "NOUN", 2.0, "t:1"))
    found = view.match(["set", "Alarm"], 1)
    assert found == Match(1, 1, "alarm", (entry,))
    assert repr(found) == repr(Match(1, 1, "alarm", (entry,)))
    assert view.match(["Alarm", "Alarm"], 1) == found  # the memo gives the same answer
    assert view.match(["alarm"], 0) == Match(0, 1, "alarm", (entry,))
    assert type(view.match(["alarm"], 0).source) is str
    with pytest.raises(AttributeError):
        entry.target = "x"
    with pytest.raises(AttributeError):
        found.length = 2


def test_coverage_counts_tokens_types_labels_and_uncovered(small_store):
    rows = [
        Utterance("1", "turn off the alarm clock", label="alarm_remove"),
        Utterance("2", "wake up mother!", label="alarm_set"),
        Utterance("3", "the alarm", label="alarm_set"),
    ]
    report = lexicon_coverage(load_lexicon(small_store), rows)
    # words: 5 + 3 + 2 = 10 ("!" is not a word); uncovered: "the" twice.
    assert (report.tokens, report.covered_tokens) == (10, 8)
    assert report.uncovered.most_common() == [("the", 2)]
    assert report.multiword_matches == 3  # turn off, alarm clock, wake up
    assert (report.types, report.covered_types) == (8, 7)
    assert report.labels["alarm_set"].tokens == 5 and report.labels["alarm_set"].covered == 4
    data = report.as_dict()
    assert data["token_coverage"] == 0.8
    assert data["top_uncovered"] == [{"word": "the", "count": 2}]


@pytest.mark.shared_data
def test_coverage_on_massive_with_wechsel(shared_data, tmp_path):
    from lexi.data.readers import read_dataset

    out = tmp_path / "en-sw.sqlite"
    report = import_lexicon("tsv", [shared_data / "lexicons" / "wechsel-en-sw.tsv"], out, tgt="sw")
    assert report.rows > 5000
    view = load_lexicon(out)
    coverage = lexicon_coverage(
        view, read_dataset(shared_data / "massive" / "en-US.jsonl", split="train")
    )
    assert coverage.utterances == 11514
    assert len(coverage.labels) == 60
    assert sum(c.tokens for c in coverage.labels.values()) == coverage.tokens
    assert 0.2 < coverage.token_coverage < 0.95
    for word, _ in coverage.uncovered.most_common(20):
        assert word not in view


def test_untagged_duplicate_joins_a_tagged_sense_but_pos_keeps_senses_apart():
    view = LexiconView.from_entries([
        Entry("friday", "Ijumaa"), Entry("friday", "Ijumaa", pos="NOUN", weight=0.5),
        Entry("run", "kimbia", pos="VERB"), Entry("run", "mbio", pos="NOUN", weight=2.0),
        Entry("run", "kimbia", pos="NOUN"),
    ])
    assert [(e.target, e.pos, e.weight) for e in view.translations("friday")] == [
        ("Ijumaa", "NOUN", 1.0)
    ]
    assert [(e.target, e.pos) for e in view.translations("run")] == [
        ("mbio", "NOUN"), ("kimbia", "VERB"), ("kimbia", "NOUN"),
    ]


def test_diacritic_folding_is_recorded_in_the_store_and_used_at_lookup(tmp_path):
    out = tmp_path / "folded.sqlite"
    import_lexicon("tsv", [SMALL], out, tgt="sw", fold_diacritics=True)
    view = load_lexicon(out)
    assert view.normalizer == Normalizer(fold_diacritics=True)
    assert view.translations("CAFE")[0].target == "mkahawa"
    assert view.match(["café"], 0).source == "cafe"
    assert "cafe" not in load_lexicon(SMALL)  # without folding the accent matters
