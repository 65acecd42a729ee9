"""Dataset records and I/O: the ``Utterance`` every step passes around, MASSIVE jsonl,
generic JSONL/CSV/TSV readers, and dataset statistics."""

from lexi.data.records import SlotSpan, Utterance

__all__ = ["SlotSpan", "Utterance"]
