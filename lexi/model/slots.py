"""Slot filling as token classification: BIO tags from character spans, and back.

Slots are character spans over the text (:class:`~lexi.data.records.SlotSpan`, parsed from
MASSIVE's ``annot_utt``). The model tags sub-word tokens, so the two meet through the fast
tokenizer's offset mapping:

- the text is cut into **words**: runs of letters/digits, and each other non-space
  character alone (``what's`` → ``what``, ``'``, ``s``), so a slot that ends before
  punctuation (``[time : five am].``) still ends on a word boundary whatever the tokenizer
  does with the ``.``;
- each word is tagged on its **first sub-word token** (the first token whose characters
  overlap it); continuation sub-words, special tokens and padding get :data:`IGNORE`, so
  the loss sees one decision per word. A token that covers the start of two words (a
  sentencepiece piece such as ``▁am.``) makes them one :class:`Unit`;
- a unit inside a span is ``B-name`` when it is the span's first unit, else ``I-name``;
  outside every span it is ``O``.

Decoding reads the tag of each unit's first token and merges units back into spans (the
span runs from its first unit's start to its last unit's end). An ``I-x`` without a ``B-x``
before it starts a span, as in seqeval's lenient (non-strict) mode. A model's tags are first
read through :func:`continue_same_type` (a ``B-x`` right after an ``x`` word continues it).

Everything here is pure: text, offsets and spans in, lists out; no model, no tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lexi.data.records import SlotSpan, Utterance

OUTSIDE = "O"
# What torch's cross-entropy skips (its default ignore_index): tokens that are not the
# first sub-word of a word.
IGNORE = -100
# A word: letters/digits (\w, so any script), or a single other non-space character.
WORD = re.compile(r"\w+|[^\w\s]")
# ``auto``: ``intent+slots`` when the training rows mark at least one slot, else ``intent``.
TASKS = ("intent", "intent+slots", "auto")


@dataclass(frozen=True)
class Unit:
    """Characters ``start:end`` of the text, tagged (and decoded) at token ``token``."""

    start: int
    end: int
    token: int


def slot_tag_list(slot_names: Iterable[str]) -> list[str]:
    """``["O", "B-a", "I-a", "B-b", "I-b", ...]`` for the sorted slot names: the slot head's
    output order."""
    tags = [OUTSIDE]
    for name in sorted(set(slot_names)):
        tags += [f"B-{name}", f"I-{name}"]
    return tags


def tag_counts(token_tags: Iterable[Sequence[int]], num_tags: int) -> list[int]:
    """How often each tag index is a training label (:data:`IGNORE` positions left out):
    the tag prior the slot head starts from."""
    counts = [0] * num_tags
    for row in token_tags:
        for tag in row:
            if tag != IGNORE:
                counts[tag] += 1
    return counts


def has_slot_markup(utt: Utterance, massive: bool) -> bool:
    """Whether ``utt``'s slots are known (it may have none): a MASSIVE row with
    ``annot_utt``, or any row with spans. Other rows (CSV, generic JSONL, MASSIVE rows
    without ``annot_utt``) say nothing about slots and train the intent head only."""
    return bool(utt.slots) or (massive and not utt.metadata.get("_no_annot"))


def words(text: str) -> list[tuple[int, int]]:
    """Character ranges of the words of ``text`` (see the module docstring)."""
    return [match.span() for match in WORD.finditer(text)]


def units(text: str, offsets: Sequence[tuple[int, int]]) -> list[Unit]:
    """The tagged units of ``text`` for a tokenisation with these character ``offsets``.

    Tokens with empty offsets (special tokens, padding) belong to no word. A word none of
    whose characters reached a token (truncated away) belongs to no unit: it is never
    tagged and never part of a decoded span.
    """
    found: list[Unit] = []
    token = 0
    for start, end in words(text):
        # Tokens and words both run left to right, so one pointer serves every word.
        while token < len(offsets) and (offsets[token][1] <= start
                                        or offsets[token][0] == offsets[token][1]):
            token += 1
        if token == len(offsets):
            break
        if offsets[token][0] >= end:
            continue  # the token starts after this word (the word was dropped): no tag
        if found and found[-1].token == token:
            found[-1] = Unit(found[-1].start, end, token)  # one token opens both words
        else:
            found.append(Unit(start, end, token))
    return found


def _span_of(unit: Unit, spans: Sequence[SlotSpan]) -> SlotSpan | None:
    """The first span that overlaps ``unit``'s characters."""
    return next((s for s in spans if unit.start < s.end and unit.end > s.start), None)


def bio_tags(text_units: Sequence[Unit], spans: Sequence[SlotSpan]) -> list[str]:
    """One BIO tag per unit for gold ``spans``."""
    tags: list[str] = []
    previous: SlotSpan | None = None
    ordered = sorted(spans)
    for unit in text_units:
        span = _span_of(unit, ordered)
        if span is None:
            tags.append(OUTSIDE)
        else:
            tags.append(("I-" if span == previous else "B-") + span.name)
        previous = span
    return tags


def token_labels(text: str, offsets: Sequence[tuple[int, int]], spans: Sequence[SlotSpan],
                 tag_index: dict[str, int]) -> list[int]:
    """Training labels for one tokenised text: a tag index on each word's first token,
    :data:`IGNORE` elsewhere. Slot names missing from ``tag_index`` are tagged ``O``."""
    labels = [IGNORE] * len(offsets)
    text_units = units(text, offsets)
    for unit, tag in zip(text_units, bio_tags(text_units, spans), strict=True):
        labels[unit.token] = tag_index.get(tag, tag_index[OUTSIDE])
    return labels


def decode(text_units: Sequence[Unit], tags: Sequence[str]) -> tuple[SlotSpan, ...]:
    """Spans from one tag per unit: ``B-x`` opens a span, ``I-x`` continues an open ``x``
    span (or opens one: an ``I-`` without ``B-`` starts a span), ``O`` closes it."""
    spans: list[SlotSpan] = []
    open_span: SlotSpan | None = None
    for unit, tag in zip(text_units, tags, strict=True):
        if tag == OUTSIDE or "-" not in tag:
            if open_span is not None:
                spans.append(open_span)
            open_span = None
            continue
        prefix, name = tag.split("-", 1)
        if prefix == "I" and open_span is not None and open_span.name == name:
            open_span = SlotSpan(open_span.start, unit.end, name)
            continue
        if open_span is not None:
            spans.append(open_span)
        open_span = SlotSpan(unit.start, unit.end, name)
    if open_span is not None:
        spans.append(open_span)
    return tuple(spans)


def continue_same_type(tags: Sequence[str]) -> list[str]:
    """Predicted tags with each ``B-x`` that directly follows an ``x`` word turned into
    ``I-x``: the prediction then never puts two spans of one type side by side.

    MASSIVE's annotation never does (0 of the 11,344 en-US train spans touches a span of
    its own type), while a tagger transferred to another language often restarts ``B-``
    inside one long value (``[time : saa] [time : kumi na moja]`` for the gold ``[time :
    saa kumi na moja]``). This reads the model's tags before scoring, so every metric
    (seqeval's too) sees the same prediction; gold tags are never changed."""
    out: list[str] = []
    for tag in tags:
        if (tag.startswith("B-") and out and out[-1] != OUTSIDE
                and out[-1][2:] == tag[2:]):
            tag = "I-" + tag[2:]
        out.append(tag)
    return out


def decode_tokens(text: str, offsets: Sequence[tuple[int, int]], token_tags: Sequence[int],
                  tag_list: Sequence[str], predicted: bool = False) -> tuple[SlotSpan, ...]:
    """Spans from the tag index of every token (only each unit's first token is read:
    continuation sub-words follow their word). ``predicted``: the tags are a model's, read
    through :func:`continue_same_type`."""
    text_units = [u for u in units(text, offsets) if u.token < len(token_tags)]
    tags = [tag_list[token_tags[u.token]] for u in text_units]
    return decode(text_units, continue_same_type(tags) if predicted else tags)


def trim(span: SlotSpan, text: str) -> SlotSpan:
    """``span`` without surrounding whitespace (a gold ``[time : five am ]`` is scored as
    ``five am``: decoded spans always end on a word)."""
    value = text[span.start:span.end]
    start = span.start + len(value) - len(value.lstrip())
    end = span.end - (len(value) - len(value.rstrip()))
    return SlotSpan(start, max(start, end), span.name)


def span_dicts(text: str, spans: Iterable[SlotSpan]) -> list[dict]:
    """JSON-ready spans: ``{"slot", "start", "end", "text"}`` (``end`` exclusive)."""
    return [{"slot": s.name, "start": s.start, "end": s.end, "text": text[s.start:s.end]}
            for s in spans]


def spans_from_dicts(items: Iterable[dict]) -> tuple[SlotSpan, ...]:
    """The inverse of :func:`span_dicts` (the ``text`` field is not needed)."""
    return tuple(sorted(SlotSpan(int(d["start"]), int(d["end"]), str(d["slot"]))
                        for d in items))


def scored_spans(text: str, spans: Iterable[SlotSpan]) -> frozenset[SlotSpan]:
    """The spans as they are scored: trimmed of whitespace (:func:`trim`), empty ones
    dropped, duplicates merged. A span counts when its start, end and slot type all match."""
    trimmed = (trim(span, text) for span in spans)
    return frozenset(span for span in trimmed if span.end > span.start)


def span_counts(text: str, gold: Iterable[SlotSpan], pred: Iterable[SlotSpan]
                ) -> tuple[int, int, int]:
    """``(correct, predicted, gold)`` span counts of one row: the sums over rows give
    micro precision, recall and F1 (seqeval's definition over exact span and type)."""
    gold_set, pred_set = scored_spans(text, gold), scored_spans(text, pred)
    return len(gold_set & pred_set), len(pred_set), len(gold_set)
