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
from lexi.synth.numbers import CldrNumbers, find_numbers

WORDS = ["set", "alarm", "alarms", "clock", "five", "am", "play", "music", "the", "at", "on",
         "friday", "me", "wake", "lights", "don't", "wi-fi", "café", "東京", "Olly"]
# Numbers, times, ordinals, dates: number words, digits, "10:30", "p. m.", "7am" … (the
# tokeniser cuts "10:30" and "p.m." into several tokens, so expressions span punctuation).
NUMBER_WORDS = ["twenty", "two", "hundred", "and", "thirty", "twelve", "pm", "p.", "m.",
                "a.m.", "o'clock", "10:30", "7am", "6.30pm", "3rd", "second", "twenty-first",
                "march", "May", "2.5", "1,000", "0712", "a"]
PUNCT = [",", "?", "!", "'s", "."]
TARGET_ALPHABET = "abkmnsuwyɓʃüé -[]"


@st.composite
def utterances(draw) -> Utterance:
    tokens = draw(st.lists(st.sampled_from(WORDS + NUMBER_WORDS + PUNCT), min_size=1,
                           max_size=12))
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
        st.lists(st.sampled_from(WORDS + NUMBER_WORDS), min_size=1, max_size=3).map(" ".join),
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
    unknown=st.sampled_from(["keep", "drop", "drop-function-words"]),
    # sw and tr have CLDR spell-out rules, ln only names and day periods, None nothing.
    locale=st.sampled_from([None, "sw-KE", "tr-TR", "ln-CD"]),
    numbers=st.sampled_from(["auto", "lexicon", "keep"]),
    slot_mode=st.sampled_from(["keep", "translate", "localise"]),
    token_ratio=st.floats(0, 1),
    sentence_ratio=st.floats(0, 1),
    keep_source=st.booleans(),
    word_order=st.sampled_from(["source", "auto", "adj,poss,num,dem"]),
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
        provenance = row.metadata.get("lexi", {})
        for record in provenance.get("replaced", []):
            assert record["tgt"] in text
            # Numbers, times and names come from CLDR only under --numbers cldr, and a
            # day-period word alone (the lexicon wrote the number) under lexicon.
            if record.get("lexicon") == "cldr":
                assert provenance["params"]["numbers"] in ("cldr", "lexicon")
                assert provenance["params"]["numbers"] == "cldr" or \
                    record["entry"].endswith(":day_period")
        if provenance:
            expected = config.numbers if config.numbers != "auto" else (
                "cldr" if config.locale in ("sw-KE", "tr-TR") else "lexicon")
            assert provenance["params"]["numbers"] == expected
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
    config = SynthConfig(seed=seed, sense=sense, numbers="lexicon")
    row = Synthesizer(config, [upper]).variant(source, "translate")
    # Tokens never cross a slot boundary: tokenise each slot value and each gap alone.
    cuts = sorted({0, len(source.text), *(i for s in source.slots for i in (s.start, s.end))})
    tokens, periods = [], set()
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = [Token(t.text, a + t.start, a + t.end) for t in tokenize(source.text[a:b])]
        gaps = [""] + [source.text[x.end : y.start]
                       for x, y in zip(piece, piece[1:], strict=False)]
        # Numbers go through the lexicon (--numbers lexicon, no locale), but the am/pm of a
        # time is never looked up (it is not the verb "be"), so it stays as it is.
        for expr in find_numbers([t.text for t in piece], gaps):
            if expr.kind == "time" and expr.period_start is not None:
                periods.update(piece[expr.period_start : expr.end])
        tokens += piece
    expected = list(source.text)
    changed = [t for t in tokens if t.text in WORDS and t not in periods]
    for token in changed:
        expected[token.start : token.end] = token.text.upper()
    if all(t.text.upper() == t.text for t in changed):
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


# English number expressions and what CLDR writes for them in Swahili (unicode-rbnf's sw
# spell-out rules, Babel's sw day periods: 05:00 is alfajiri, 07:00-12:00 asubuhi).
SW_NUMBERS = [
    ("five am", "tano alfajiri"), ("three thirty p. m.", "tatu thelathini mchana"),
    ("10:30", "kumi thelathini"), ("twenty two", "ishirini na mbili"), ("7am", "saba asubuhi"),
    ("twenty-first", "wa ishirini na moja"), ("eight hundred am", "nane asubuhi"),
    ("6.30pm", "sita thelathini jioni"), ("five hundred and twenty one",
                                           "mia tano na ishirini na moja"),
    ("friday", "ijumaa"), ("nine a.m.", "tisa asubuhi"), ("2.5", "mbili nukta tano"),
]
CONTEXT = ["set", "alarm", "play", "music", "at", "on", "me", "wake", "please", "the", ","]


@st.composite
def numbered(draw) -> tuple[Utterance, str, str, bool]:
    """An utterance with one number expression, inside a slot of its own or outside the
    slots (with a slot elsewhere), and random words around it."""
    english, spelled = draw(st.sampled_from(SW_NUMBERS))
    before = draw(st.lists(st.sampled_from(CONTEXT), max_size=4))
    after = draw(st.lists(st.sampled_from(CONTEXT), max_size=4))
    inside = draw(st.booleans())
    expr = f"[time : {english}]" if inside else english
    other = "[device_type : alarm]"  # a second slot, so spans must move past the number
    parts = [*before, expr, *after]
    parts.insert(draw(st.integers(0, len(parts))) if not inside else len(parts), other)
    annot = " ".join(parts).replace(" ,", ",")
    text, slots = parse_annot(annot)
    utt = Utterance(str(draw(st.integers(0, 10**6))), text, "alarm_set", slots, "en-US", "train")
    return utt, english, spelled, inside


@settings(max_examples=150, deadline=None)
@given(case=numbered(), op=st.sampled_from(["translate", "phonetic"]),
       unknown=st.sampled_from(["keep", "drop", "drop-function-words"]))
def test_numbers_and_times_land_exactly_in_their_slot(case, op, unknown):
    source, english, spelled, inside = case
    plain = lexicon([("alarm", "kengele"), ("play", "cheza"), ("set", "weka")])
    config = SynthConfig(ops=(op,), locale="sw-KE", sense="first", unknown=unknown,
                         numbers="cldr")
    row = Synthesizer(config, [plain], transcribe=str.upper).variant(source, op)
    assert row is not None and row.metadata["lexi"]["params"]["numbers"] == "cldr"
    if op == "phonetic":
        spelled = spelled.upper()
    values = {s.name: row.slot_value(s) for s in row.slots}
    assert values["device_type"] == ("KENGELE" if op == "phonetic" else "kengele")
    if inside:
        assert values["time"] == spelled  # the whole slot value, nothing else
    else:
        # Once in the text, and not inside the other slot.
        start = row.text.index(spelled)
        span = row.slots[0]
        assert start + len(spelled) <= span.start or start >= span.end
    assert parse_annot(format_annot(row.text, row.slots)) == (row.text, row.slots)
    assert row.text == row.text.strip() and "  " not in row.text
    records = [r for r in row.metadata["lexi"]["replaced"] if r.get("lexicon") == "cldr"]
    assert [r["src"] for r in records] == [english]
    assert records[0]["entry"].startswith("cldr:sw:")
    # The English number words never survive next to their translation.
    assert english not in row.text


SW = CldrNumbers("sw-KE")
BE = ("am", "pm", "a", "p", "m")


@settings(max_examples=150, deadline=None)
@given(source=utterances(), numbers=st.sampled_from(["cldr", "lexicon", "keep"]))
def test_am_of_a_time_is_never_the_verb_be(source, numbers):
    """Under every --numbers mode the am/pm of a time is never looked up in the lexicon
    (WECHSEL's "am" is the verb "be"); under keep every expression is copied as it is."""
    be = lexicon([*((word, "ni") for word in BE), ("five", "tano"), ("two", "mbili"),
                  ("set", "weka")])
    synth = Synthesizer(SynthConfig(locale="sw-KE", numbers=numbers, sense="first"), [be])
    row = synth.variant(source, "translate")
    free = 0  # words of BE outside the tokens the numbers mode protects: those say "ni"
    for chunk in split_chunks(source):
        protected: set[int] = set()
        for expr in find_numbers(chunk.words, chunk.gaps):
            whole = numbers == "keep" or (numbers == "cldr" and SW.spell(expr) is not None)
            start = expr.start if whole else (expr.period_start or expr.end)
            protected.update(range(start, expr.end))
            if numbers == "keep" and row is not None:
                english = chunk.words[expr.start] + "".join(
                    chunk.gaps[j] + chunk.words[j] for j in range(expr.start + 1, expr.end))
                assert english in row.text
        free += sum(
            1 for k, word in enumerate(chunk.words) if word.lower() in BE and k not in protected
        )
    said = 0 if row is None else sum(
        1 for record in row.metadata["lexi"]["replaced"] if record["tgt"] == "ni"
    )
    assert said == free
