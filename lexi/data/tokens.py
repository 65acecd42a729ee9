"""Tokenisation with character offsets, shared by lexicon lookup and synthesis.

Words are runs of letters/digits/marks joined by internal apostrophes or hyphens
("don't", "wi-fi"); every other non-space character is a token of its own. Offsets let
synthesis rebuild text and move slot spans exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# \w covers letters, digits and underscore in every script; \u0300-\u036f etc. are
# combining marks, which \w does not always include, so they are added explicitly.
_WORD = r"[\w\u0300-\u036f\u0900-\u0dff\u1ab0-\u1aff\u1dc0-\u1dff]+"
TOKEN_RE = re.compile(rf"{_WORD}(?:['’\-]{_WORD})*|[^\s]")


@dataclass(frozen=True)
class Token:
    """``text`` sits at ``[start, end)`` of the string it came from."""

    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] == "_"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into word and punctuation tokens with character offsets."""
    return [Token(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]
