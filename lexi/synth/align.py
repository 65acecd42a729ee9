"""Slot-preserving rendering: the part of synthesis that keeps slot spans correct.

An utterance is cut at its slot boundaries into :class:`Chunk` s (text outside slots, and
each slot value) and each chunk is tokenised on its own, so no token and no lexicon match
ever crosses a slot boundary. Operators only say what each token becomes (a new string,
or ``None`` when it is dropped or folded into a multi-word match); :func:`render` then
rebuilds the text from the chunks, in order, and a slot's span is exactly where its chunk
landed. Whitespace between tokens is copied from the source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from operator import add

from lexi.data.records import SlotSpan, Utterance
from lexi.data.tokens import TOKEN_RE, Token

# The tokeniser's pattern as one capturing group: ``split`` then returns, in one C call,
# the text before the first token, each token, the text between tokens and the text after
# the last, which is all a chunk needs (no Token objects are built per token).
_SPLIT_RE = re.compile(f"({TOKEN_RE.pattern})")


@dataclass(slots=True)
class Chunk:
    """A stretch of the source text: one slot value (``slot`` is its name) or text
    between slots (``slot is None``). Treat it as read-only.

    ``words`` are the token texts (:func:`lexi.data.tokens.tokenize`'s tokens) and
    ``is_word`` says which are words rather than punctuation; ``gaps[k]`` is the source text
    between token ``k-1`` and token ``k`` (``gaps[0] == ""``); ``lead``/``trail`` are the
    text before the first and after the last token. ``offset`` is the index of this chunk's
    first token among all tokens of the utterance. ``tokens`` gives the tokens with offsets
    (relative to the chunk).
    """

    slot: str | None
    text: str
    words: tuple[str, ...]
    is_word: tuple[bool, ...]
    gaps: tuple[str, ...]
    lead: str
    trail: str
    offset: int

    @property
    def tokens(self) -> tuple[Token, ...]:
        """The tokens with offsets in :attr:`text` (built on demand: synthesis needs none)."""
        tokens: list[Token] = []
        position = len(self.lead)
        for gap, word in zip(self.gaps, self.words, strict=True):
            position += len(gap)
            tokens.append(Token(word, position, position + len(word)))
            position += len(word)
        return tuple(tokens)


# What tokenising a chunk's text gives, before the chunk is placed in an utterance:
# words, is_word, gaps, lead, trail.
_Layout = tuple[tuple[str, ...], tuple[bool, ...], tuple[str, ...], str, str]


def _layout(text: str) -> _Layout:
    parts = _SPLIT_RE.split(text)
    if len(parts) == 1:
        return (), (), (), text, ""
    words = tuple(parts[1::2])
    # Token.is_word: a word starts with a letter, digit or underscore.
    is_word = tuple([word[0].isalnum() or word[0] == "_" for word in words])
    return words, is_word, ("", *parts[2:-1:2]), parts[0], parts[-1]


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
        words, is_word, gaps, lead, trail = layout
        chunks.append(Chunk(slot, text, words, is_word, gaps, lead, trail, offset))
        offset += len(words)
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
    if not emitted and chunk.words:
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
    dropped = False
    for chunk, outs in zip(chunks, outputs, strict=True):
        if None in outs:
            dropped = True
            piece = _render_chunk(chunk, outs)
        else:  # the common case, inline: the source gaps interleaved with the outputs
            piece = chunk.lead + "".join(map(add, chunk.gaps, outs)) + chunk.trail
        if chunk.slot is not None:
            if not piece.strip():
                piece = chunk.text
            spans.append(SlotSpan(length, length + len(piece), chunk.slot))
        parts.append(piece)
        length += len(piece)
    text = "".join(parts)
    if not dropped:
        # Outputs are never empty nor padded, so without a drop no whitespace moved.
        return text, tuple(spans)
    # Trim only whitespace the source did not have (a dropped first or last word).
    head = (len(text) - len(text.lstrip())) - (len(source_text) - len(source_text.lstrip()))
    if head > 0 and all(span.start >= head for span in spans):
        text = text[head:]
        spans = [SlotSpan(s.start - head, s.end - head, s.name) for s in spans]
    tail = (len(text) - len(text.rstrip())) - (len(source_text) - len(source_text.rstrip()))
    if tail > 0 and all(span.end <= len(text) - tail for span in spans):
        text = text[: len(text) - tail]
    return text, tuple(spans)
