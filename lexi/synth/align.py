"""Slot-preserving rendering: the part of synthesis that keeps slot spans correct.

An utterance is cut at its slot boundaries into :class:`Chunk` s (text outside slots, and
each slot value) and each chunk is tokenised on its own, so no token and no lexicon match
ever crosses a slot boundary. Operators only say what each token becomes (a new string,
or ``None`` when it is dropped or folded into a multi-word match); :func:`render` then
rebuilds the text from the chunks, in order, and a slot's span is exactly where its chunk
landed. Whitespace between tokens is copied from the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lexi.data.records import SlotSpan, Utterance
from lexi.data.tokens import Token, tokenize


@dataclass(slots=True)
class Chunk:
    """A stretch of the source text: one slot value (``slot`` is its name) or text
    between slots (``slot is None``). Treat it as read-only.

    ``words`` are the token texts (offsets in ``tokens`` are relative to the chunk) and
    ``is_word`` says which are words rather than punctuation; ``gaps[k]`` is the source text
    between token ``k-1`` and token ``k`` (``gaps[0] == ""``); ``lead``/``trail`` are the
    text before the first and after the last token. ``offset`` is the index of this chunk's
    first token among all tokens of the utterance.
    """

    slot: str | None
    text: str
    tokens: tuple[Token, ...]
    words: tuple[str, ...]
    is_word: tuple[bool, ...]
    gaps: tuple[str, ...]
    lead: str
    trail: str
    offset: int


# What tokenising a chunk's text gives, before the chunk is placed in an utterance.
_Layout = tuple[tuple[Token, ...], tuple[str, ...], tuple[bool, ...], tuple[str, ...], str, str]


def _layout(text: str) -> _Layout:
    tokens = tuple(tokenize(text))
    if not tokens:
        return (), (), (), (), text, ""
    gaps = ("",) + tuple(text[a.end : b.start] for a, b in zip(tokens, tokens[1:], strict=False))
    words = tuple(t.text for t in tokens)
    is_word = tuple(t.is_word for t in tokens)
    return tokens, words, is_word, gaps, text[: tokens[0].start], text[tokens[-1].end :]


def split_chunks(utt: Utterance, memo: dict[str, _Layout] | None = None) -> tuple[Chunk, ...]:
    """Cut ``utt.text`` at its slot boundaries (slots must be sorted and non-overlapping).

    ``memo`` (text → tokenisation) lets a caller reuse the work for chunks seen before.
    """
    pieces: list[tuple[str | None, str]] = []
    cursor = 0
    for span in sorted(utt.slots):
        if span.start > cursor:
            pieces.append((None, utt.text[cursor : span.start]))
        pieces.append((span.name, utt.text[span.start : span.end]))
        cursor = span.end
    if cursor < len(utt.text) or not pieces:
        pieces.append((None, utt.text[cursor:]))
    chunks: list[Chunk] = []
    offset = 0
    for slot, text in pieces:
        layout = memo.get(text) if memo is not None else None
        if layout is None:
            layout = _layout(text)
            if memo is not None:
                memo[text] = layout
        tokens, words, is_word, gaps, lead, trail = layout
        chunks.append(Chunk(slot, text, tokens, words, is_word, gaps, lead, trail, offset))
        offset += len(tokens)
    return tuple(chunks)


def _render_chunk(chunk: Chunk, outputs: Sequence[str | None]) -> str:
    if None not in outputs:
        # Nothing dropped (the common case): interleave the source gaps with the outputs.
        body = "".join([gap + out for gap, out in zip(chunk.gaps, outputs, strict=True)])
        return chunk.lead + body + chunk.trail
    parts: list[str] = [chunk.lead]
    emitted = False
    for gap, out in zip(chunk.gaps, outputs, strict=True):
        if out is None:
            continue
        if emitted:
            parts.append(gap)
        parts.append(out)
        emitted = True
    if not emitted and chunk.tokens:
        # Every token went: leave one space where there was whitespace, not two.
        return " " if chunk.lead or chunk.trail else ""
    parts.append(chunk.trail)
    return "".join(parts)


def render(
    chunks: Sequence[Chunk], outputs: Sequence[Sequence[str | None]], source_text: str
) -> tuple[str, tuple[SlotSpan, ...]]:
    """Rebuild text and slot spans from what each token of each chunk became.

    ``outputs[i][k]`` is the new text of token ``k`` of chunk ``i`` (``None``: not written).
    A slot chunk whose tokens all vanished keeps its source text, so no slot is empty.
    Whitespace that drops leave at the very start or end is trimmed unless a slot would move.
    """
    parts: list[str] = []
    spans: list[SlotSpan] = []
    length = 0
    for chunk, outs in zip(chunks, outputs, strict=True):
        piece = _render_chunk(chunk, outs)
        if chunk.slot is not None:
            if not piece.strip():
                piece = chunk.text
            spans.append(SlotSpan(length, length + len(piece), chunk.slot))
        parts.append(piece)
        length += len(piece)
    text = "".join(parts)
    # Trim only whitespace the source did not have (a dropped first or last word).
    head = (len(text) - len(text.lstrip())) - (len(source_text) - len(source_text.lstrip()))
    if head > 0 and all(span.start >= head for span in spans):
        text = text[head:]
        spans = [SlotSpan(s.start - head, s.end - head, s.name) for s in spans]
    tail = (len(text) - len(text.rstrip())) - (len(source_text) - len(source_text.rstrip()))
    if tail > 0 and all(span.end <= len(text) - tail for span in spans):
        text = text[: len(text) - tail]
    return text, tuple(spans)
