"""The records synthesis passes around: a prepared source row and what it gave."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lexi.data.records import Utterance
from lexi.synth.align import Chunk
from lexi.synth.sites import ChunkMatches


@dataclass
class Prepared:
    """A source utterance cut into chunks, with its lexicon matches (per main lexicon,
    per chunk), computed once and shared by every row made from it."""

    utt: Utterance
    chunks: tuple[Chunk, ...]
    word_count: int
    analyses: Sequence[Any] | None = None
    matches: dict[int, tuple[ChunkMatches, ...]] = field(default_factory=dict)
    orders: dict[int, tuple[list[int] | None, ...]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens(self) -> list[str]:
        return [word for chunk in self.chunks for word in chunk.words]


@dataclass
class SynthResult:
    """What one source row gave: ``rows`` (the source first under ``keep_source``), and the
    counts the summary adds up."""

    source: Utterance
    rows: list[Utterance]
    words: int = 0
    replaced: list[int] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    untranslated: tuple[str, ...] = ()
    inflections: Counter = field(default_factory=Counter)
    # Over the rows written: numbers by how they were written (Site.tally), and the words
    # inflect changed by where the form came from (the records' "morph": table, learned).
    # None until there is one (a Counter per source row would cost synthesis speed).
    numbers: Counter | None = None
    inflected: Counter | None = None
