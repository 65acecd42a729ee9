"""Property tests: whatever the operators do, every row's slot spans are right and its
annot_utt round-trips (hypothesis over random utterances, slots, lexicons and configs)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_synth_fakes import PrefixPluralMorphology, lexicon, plural_analyzer

from lexi.data.massive import format_annot, parse_annot, row_to_utterance, utterance_to_row
from lexi.data.records import SlotSpan, Utterance
from lexi.data.tokens import Token, tokenize
from lexi.synth import SynthConfig, Synthesizer
from lexi.synth.align import split_chunks

WORDS = ["set", "alarm", "alarms", "clock", "five", "am", "play", "music", "the", "at", "on",
         "friday", "me", "wake", "lights", "don't", "wi-fi", "café", "東京", "Olly"]
PUNCT = [",", "?", "!", "'s", "."]
TARGET_ALPHABET = "abkmnsuwyɓʃüé -[]"


@st.composite
def utterances(draw) -> Utterance:
    tokens = draw(st.lists(st.sampled_from(WORDS + PUNCT), min_size=1, max_size=12))
    # Punctuation sticks to the word before it half the time ("five am," vs "five am ,").
    text, starts, ends = "", [], []
    for i, token in enumerate(tokens):
        if i and not (token in PUNCT and draw(st.booleans())):
            text += " "
        starts.append(len(text))
        text += token
        ends.append(len(text))
    cuts = sorted(draw(st.sets(st.integers(0, len(tokens)), max_size=6)))
    slots = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        if a < b:
            slots.append(SlotSpan(starts[a], ends[b - 1], draw(st.sampled_from(["time", "date",
                                                                              "song_name"]))))
    return Utterance(str(draw(st.integers(0, 10**6))), text, "intent", tuple(slots), "en-US",
                     "train", {"scenario": "s"})


@st.composite
def lexicons(draw):
    entries = draw(st.lists(st.tuples(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
        st.text(TARGET_ALPHABET, max_size=8),
        st.floats(0, 5),
    ), max_size=25))
    return lexicon(entries)


configs = st.builds(
    SynthConfig,
    ops=st.lists(st.sampled_from(["translate", "codeswitch", "phonetic", "inflect"]),
                 min_size=1, max_size=4, unique=True).map(tuple),
    per_utterance=st.integers(1, 3),
    seed=st.integers(0, 5),
    sense=st.sampled_from(["weight", "random", "first"]),
    unknown=st.sampled_from(["keep", "drop"]),
    slot_mode=st.sampled_from(["keep", "translate", "localise"]),
    token_ratio=st.floats(0, 1),
    sentence_ratio=st.floats(0, 1),
    keep_source=st.booleans(),
)


def spell(word: str) -> str:
    # A stand-in transcriber that changes lengths (as IPA does) so spans must move.
    return "".join(c * 2 if c in "aeiou" else c for c in word)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=utterances(), main=lexicons(), slot=lexicons(), config=configs)
def test_every_row_has_aligned_slots(source, main, slot, config):
    synth = Synthesizer(config, [main], slot_lexicon=slot, analyze=plural_analyzer,
                        morphology=PrefixPluralMorphology(), transcribe=spell)
    result = synth.synthesize(source)
    source_values = [source.slot_value(s) for s in source.slots]
    for row in result.rows:
        text, slots = row.text, row.slots
        # Spans are sorted, disjoint, inside the text, non-empty, unpadded, same names.
        assert [s.name for s in slots] == [s.name for s in source.slots]
        assert all(0 <= s.start < s.end <= len(text) for s in slots)
        assert all(a.end <= b.start for a, b in zip(slots, slots[1:], strict=False))
        values = [row.slot_value(s) for s in slots]
        assert all(v == v.strip() and v for v in values)
        # annot_utt round-trips, also through a MASSIVE row.
        assert parse_annot(format_annot(text, slots)) == (text, slots)
        back = row_to_utterance(utterance_to_row(row))
        assert (back.text, back.slots) == (text, slots)
        # No stray whitespace: the source has single spaces and no padding.
        assert text == text.strip() and "  " not in text and text
        if config.slot_mode == "keep":
            assert values == source_values
        for record in row.metadata.get("lexi", {}).get("replaced", []):
            assert record["tgt"] in text
    again = Synthesizer(config, [main], slot_lexicon=slot, analyze=plural_analyzer,
                        morphology=PrefixPluralMorphology(), transcribe=spell)
    assert [(r.id, r.text, r.slots) for r in again.synthesize(source).rows] == [
        (r.id, r.text, r.slots) for r in result.rows
    ]


@settings(max_examples=200, deadline=None)
@given(source=utterances(), seed=st.integers(0, 3), sense=st.sampled_from(["weight", "first"]))
def test_translate_exact_output_for_an_uppercasing_lexicon(source, seed, sense):
    """A lexicon that maps every word to its upper case keeps every length, so the row
    must be the source with its known words upper-cased and the very same spans."""
    upper = lexicon([(word, word.upper()) for word in WORDS])
    row = Synthesizer(SynthConfig(seed=seed, sense=sense), [upper]).variant(source, "translate")
    # Tokens never cross a slot boundary: tokenise each slot value and each gap alone.
    cuts = sorted({0, len(source.text), *(i for s in source.slots for i in (s.start, s.end))})
    tokens = [
        Token(t.text, a + t.start, a + t.end)
        for a, b in zip(cuts, cuts[1:], strict=False) for t in tokenize(source.text[a:b])
    ]
    expected = list(source.text)
    for token in tokens:
        if token.text in WORDS:
            expected[token.start : token.end] = token.text.upper()
    if all(t.text.upper() == t.text for t in tokens if t.text in WORDS):
        return  # nothing visibly changes (e.g. only "東京"): the row may be skipped
    assert row.text == "".join(expected)
    assert row.slots == source.slots


@settings(max_examples=60, deadline=None)
@given(utterances())
def test_chunks_tokenise_like_the_shared_tokeniser(source):
    for chunk in split_chunks(source):
        tokens = tuple(tokenize(chunk.text))
        assert chunk.tokens == tokens
        assert chunk.words == tuple(t.text for t in tokens)
        assert chunk.is_word == tuple(t.is_word for t in tokens)
        body = "".join(gap + word for gap, word in zip(chunk.gaps, chunk.words, strict=True))
        assert chunk.lead + body + chunk.trail == chunk.text
