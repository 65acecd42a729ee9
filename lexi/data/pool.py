"""Unlabelled text: a pool of utterances read from plain text (one a line) or from any
dataset file lexi reads, keeping only each row's id, text and split.

Self-training (:mod:`lexi.model.selftrain`) labels such a pool; synthesis weighs a word's
translations by how often each occurs in one (:mod:`lexi.synth.sense_prior`). Neither
may see a label: :class:`PoolRow` has no field for one, so whatever else the file holds is
dropped at reading.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lexi.data.massive import not_utf8
from lexi.errors import LexiError

POOL_FORMATS = ("auto", "text", "massive", "jsonl", "csv", "tsv")
# Suffixes read as datasets under ``auto``; any other pool file is plain text.
DATASET_SUFFIXES = {".jsonl": "auto", ".json": "auto", ".ndjson": "auto", ".csv": "csv",
                    ".tsv": "tsv", ".tab": "tsv"}

@dataclass(frozen=True)
class PoolRow:
    """One unlabelled utterance. Deliberately without a label field: see the module docstring."""

    id: str
    text: str
    split: str | None = None
    """Kept only to warn about pseudo-labelling a test split; never written."""


def pool_format(path: str, format: str = "auto", first_line: str | None = None) -> str:
    """``text`` or a :func:`lexi.data.readers.read_dataset` format for the pool ``path``.

    ``first_line`` is the first non-blank line of stdin (``-`` has no suffix to go by).
    """
    if format != "auto":
        return format
    if path == "-":
        if first_line is None or not first_line.lstrip().startswith("{"):
            return "text"
        try:
            row = json.loads(first_line)
        except json.JSONDecodeError:
            return "jsonl"  # the reader reports the bad line precisely
        return "massive" if isinstance(row, dict) and {"utt", "intent"} <= row.keys() else "jsonl"
    return DATASET_SUFFIXES.get(Path(path).suffix.lower(), "text")


def text_rows(lines: Sequence[str]) -> list[PoolRow]:
    """One row per non-blank line; the id is the 1-based line number, to trace a row back."""
    return [PoolRow(id=str(number), text=line.strip())
            for number, line in enumerate(lines, start=1) if line.strip()]


@contextlib.contextmanager
def _stdin_from(text: str) -> Iterator[None]:
    # read_dataset reads "-" from sys.stdin; stdin was already read to sniff its format.
    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


def _dataset_rows(path: str, format: str, text_field: str | None,
                  split: str | None) -> list[PoolRow]:
    from lexi.data.readers import read_dataset

    # Only id, text and split are taken from each record: the label, slots, scenario and
    # every other column stay behind.
    return [PoolRow(id=utt.id, text=utt.text, split=utt.split)
            for utt in read_dataset(path, format=format, text_field=text_field, split=split)
            if utt.text.strip()]


def read_pool(path: str, format: str = "auto", *, text_field: str | None = None,
              split: str | None = None) -> list[PoolRow]:
    """The pool's utterances, in file order; a LexiError when there are none."""
    if path != "-" and not Path(path).is_file():
        raise LexiError(f"no such pool file: {path}")
    try:
        return _read_pool(path, format, text_field, split)
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None


def _read_pool(path: str, format: str, text_field: str | None, split: str | None
               ) -> list[PoolRow]:
    stdin_text = sys.stdin.read() if path == "-" else None
    first = None
    if stdin_text is not None:
        first = next((line for line in stdin_text.splitlines() if line.strip()), None)
    fmt = pool_format(path, format, first)
    if fmt == "text":
        if split is not None:
            raise LexiError(f"--split {split} needs a dataset pool; a text pool has no splits",
                            path=path)
        if stdin_text is not None:
            rows = text_rows(stdin_text.splitlines())
        else:
            with open(path, encoding="utf-8") as handle:
                rows = text_rows(handle.readlines())
    elif stdin_text is not None:
        with _stdin_from(stdin_text):
            rows = _dataset_rows(path, fmt, text_field, split)
    else:
        rows = _dataset_rows(path, fmt, text_field, split)
    if not rows:
        raise LexiError("the pool has no utterances" + (f" with split {split!r}" if split else ""),
                        path=path, hint="one utterance per line, or a dataset file")
    return rows
