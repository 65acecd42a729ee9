"""The records that flow between lexi's steps."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, order=True)
class SlotSpan:
    """A labelled slot: characters ``text[start:end]`` of an utterance are slot ``name``."""

    start: int
    end: int
    name: str


@dataclass
class Utterance:
    """One labelled example.

    ``label`` is the intent (or topic) label; ``slots`` are character spans over ``text``,
    sorted and non-overlapping; ``metadata`` holds every other field of the source row
    (MASSIVE's ``scenario``, ``worker_id``, ``judgments`` …, in their original order) and
    the provenance that synthesis adds.
    """

    id: str
    text: str
    label: str | None = None
    slots: tuple[SlotSpan, ...] = ()
    locale: str | None = None
    split: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def slot_value(self, span: SlotSpan) -> str:
        return self.text[span.start : span.end]

    def with_(self, **changes: Any) -> Utterance:
        """A copy with some fields changed (records are treated as values)."""
        return replace(self, **changes)
