"""``LexiconView.scan``: a whole sentence at once, the matches ``match`` gives word by word."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from lexi.lexicon import Entry, LexiconView, Match, Normalizer


def walk(view: LexiconView, words: list[str]) -> list[Match]:
    """Greedy longest match with one ``match`` call per uncovered position, as synthesis
    and coverage walk a sentence."""
    found, i = [], 0
    while i < len(words):
        match = view.match(words, i)
        if match is not None:
            found.append(match)
        i += match.length if match else 1
    return found


_BASE = ["a", "b", "c", "d", "é"]
# Surface forms: case, composed and decomposed accents (folded or not), unknown words, and
# odd tokens (empty, a space, several words in one token).
_SURFACE = [*_BASE, "A", "B", "C", "D", "É", "e\u0301", "E\u0301", "e", "zz", "Zz", "", " ",
            "a b", "B c"]


def _view(sources: list[list[str]], fold_diacritics: bool) -> LexiconView:
    return LexiconView.from_entries(
        (Entry(" ".join(words), f"t{i}") for i, words in enumerate(sources)),
        Normalizer(fold_diacritics=fold_diacritics),
    )


@settings(max_examples=300, deadline=None)
@given(
    sources=st.lists(st.lists(st.sampled_from(_BASE), min_size=1, max_size=4), max_size=12),
    sentences=st.lists(st.lists(st.sampled_from(_SURFACE), max_size=12), min_size=1,
                       max_size=6),
    fold_diacritics=st.booleans(),
    scan_first=st.booleans(),
)
@example(sources=[["a", "b", "c"], ["a"]], sentences=[["a", "B c"], ["A", "a b", "c"]],
         fold_diacritics=False, scan_first=True)
@example(sources=[["a", "b", "c", "d"], ["a", "b"]], sentences=[["a", "b", "B c", "a", "b"]],
         fold_diacritics=False, scan_first=True)
@example(sources=[["é", "a"], ["e"]], sentences=[["E\u0301", "A", "e"], ["É"]],
         fold_diacritics=True, scan_first=True)
def test_scan_gives_the_matches_of_match_at_each_uncovered_position(
    sources, sentences, fold_diacritics, scan_first
):
    # Two views over the same entries, so that each call starts from a memo filled only by
    # its own kind of walk (first pass), then again from the filled memo (second pass);
    # scan_first also lets scan meet words that match then reads from the memo, and back.
    by_scan, by_match = _view(sources, fold_diacritics), _view(sources, fold_diacritics)
    for _ in range(2):
        for words in sentences:
            if scan_first:
                assert by_scan.scan(words) == walk(by_match, words), words
                assert by_match.scan(words) == walk(by_scan, words), words
            else:
                assert walk(by_match, words) == by_scan.scan(words), words


def test_scan_returns_matches_in_order_and_skips_covered_words():
    view = LexiconView.from_entries([
        Entry("turn off", "zima"), Entry("turn", "geuka"), Entry("off", "mbali"),
        Entry("alarm clock", "saa ya kengele"), Entry("alarm", "kengele"),
        Entry("café", "mgahawa"),
    ])
    words = ["Please", "TURN", "off", "the", "Alarm", "clock", "at", "the", "Cafe\u0301"]
    found = view.scan(words)
    assert [span[:3] for span in found] == [
        (1, 2, "turn off"), (4, 2, "alarm clock"), (8, 1, "café"),
    ]
    # Plain tuples (start, length, source, entries), equal to match's Match objects.
    assert all(type(span) is tuple for span in found)
    assert found[1][3] == view.translations("alarm clock")
    assert found == [view.match(words, 1), view.match(words, 4), view.match(words, 8)]
    assert type(view.match(words, 1)) is Match  # match still builds Match objects
    assert view.scan([]) == []
    assert view.scan(["zz", "yy"]) == []


def test_scan_matches_a_decomposed_word_by_its_normal_form():
    view = LexiconView.from_entries([Entry("café", "mgahawa")])
    decomposed = unicodedata.normalize("NFD", "Café")
    assert view.scan([decomposed, "café"]) == [
        Match(0, 1, "café", view.translations("café")),
        Match(1, 1, "café", view.translations("café")),
    ]


def test_scan_and_match_on_words_written_other_than_their_normal_form():
    # A capitalised word is met through its normal form's entry in the view (a single-word
    # source, the first word of multi-word sources, both, or neither); each kind alike by
    # scan and match, met first by either, and again from the memo.
    entries = [Entry("alarm", "kengele"), Entry("alarm clock", "saa ya kengele"),
               Entry("turn off", "zima"), Entry("off", "mbali"), Entry("clock", "saa")]
    words = ["Alarm", "Clock", "ALARM", "Turn", "OFF", "Turn", "Zz", "Off", "Alarm"]
    expected = [(0, 2, "alarm clock"), (2, 1, "alarm"), (3, 2, "turn off"), (7, 1, "off"),
                (8, 1, "alarm")]
    by_scan, by_match = LexiconView.from_entries(entries), LexiconView.from_entries(entries)
    for _ in range(2):
        found = by_scan.scan(words)
        assert [span[:3] for span in found] == expected
        assert found == walk(by_match, words)
        assert all(span[3] == by_scan.translations(span[2]) for span in found)
