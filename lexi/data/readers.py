"""Read any labelled dataset: MASSIVE jsonl, generic JSONL, CSV or TSV.

Generic files name their text and label columns (``text_field``/``label_field``); a
SIB-200 TSV (``index_id, category, text``) is recognised without options. Files whose
name is ``train``/``dev``/``test`` get that split when they carry no split column.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lexi.data.jsonl import iter_jsonl
from lexi.data.massive import (
    COMPACT,
    JsonStyle,
    MassiveReader,
    not_utf8,
    open_text,
    write_massive,
)
from lexi.data.records import Utterance
from lexi.errors import LexiError

FORMATS = ("auto", "massive", "jsonl", "csv", "tsv")
SPLIT_NAMES = {"train": "train", "dev": "dev", "validation": "dev", "valid": "dev", "test": "test"}
# Column names tried, in order, when the user gives none.
TEXT_CANDIDATES = ("text", "utt", "sentence", "utterance")
LABEL_CANDIDATES = ("label", "intent", "category", "topic")
ID_CANDIDATES = ("id", "index_id", "idx")


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset is and how to read it."""

    path: str
    format: str = "auto"
    text_field: str | None = None
    label_field: str | None = None
    id_field: str | None = None
    split_field: str | None = None
    split: str | None = None


def detect_format(path: str | Path) -> str:
    """Guess the format from the suffix and, for JSONL, from the first row's keys."""
    name = str(path)
    if name == "-":
        return "massive"
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".tsv", ".tab"):
        return "tsv"
    if suffix in (".jsonl", ".json", ".ndjson"):
        try:
            with open(name, encoding="utf-8") as handle:
                line = next((line for line in handle if line.strip()), None)
        except UnicodeDecodeError as exc:
            raise not_utf8(name, exc) from None
        if line is None:
            return "jsonl"
        try:
            keys = json.loads(line)
        except (ValueError, RecursionError):
            return "jsonl"  # the reader reports the bad line precisely
        return (
            "massive" if isinstance(keys, dict) and "utt" in keys and "intent" in keys
            else "jsonl"
        )
    raise LexiError(
        f"cannot tell the format of {name!r} from its suffix",
        hint="pass --format massive|jsonl|csv|tsv",
    )


def _pick(
    columns: Iterable[str], wanted: str | None, candidates: tuple[str, ...], what: str, path: str
) -> str | None:
    cols = list(columns)
    if wanted is not None:
        if wanted not in cols:
            raise LexiError(f"no {what} column {wanted!r}; columns are {cols}", path=path, line=1)
        return wanted
    return next((c for c in candidates if c in cols), None)


def _split_from_name(path: str) -> str | None:
    return SPLIT_NAMES.get(Path(path).stem.lower())


def _rows_jsonl(path: str, stream: IO[str]) -> Iterator[tuple[int, dict]]:
    for number, row in iter_jsonl(stream, path):
        if not isinstance(row, dict):
            raise LexiError("expected a JSON object", path=path, line=number)
        yield number, row


def _rows_delimited(path: str, stream: IO[str], delimiter: str) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(stream, delimiter=delimiter)
    try:
        if reader.fieldnames is None:
            return
        for row in reader:
            if None in row:
                width = len(reader.fieldnames)
                raise LexiError(
                    f"{width + len(row[None])} fields, header has {width}",
                    path=path,
                    line=reader.line_num,
                )
            yield reader.line_num, row
    except csv.Error as exc:
        # A quote left open to the end of the file, a field over csv's size limit, ...
        kind = "TSV" if delimiter == "\t" else "CSV"
        raise LexiError(f"malformed {kind}: {exc}", path=path, line=reader.line_num or 1) from None


def split_value(split: str | None) -> str | None:
    """A split as the readers take it: ``all`` (or ``''``, ``none``) means every row (None)."""
    if split is None or split.strip().lower() in ("all", "", "none"):
        return None
    return split.strip()


def dataset_format(path: str | Path, format: str = "auto") -> str:
    """The format :func:`read_dataset` reads ``path`` in (``auto`` resolved), once it has
    checked that the file exists and the format is known."""
    name = str(path)
    if name != "-" and not Path(name).exists():
        raise LexiError(f"no such file: {name}")
    fmt = detect_format(name) if format == "auto" else format
    if fmt not in FORMATS:
        raise LexiError(f"unknown format {fmt!r}", hint=f"one of {', '.join(FORMATS[1:])}")
    return fmt


def read_dataset(
    path: str | Path,
    *,
    format: str = "auto",
    text_field: str | None = None,
    label_field: str | None = None,
    id_field: str | None = None,
    split_field: str | None = None,
    split: str | None = None,
) -> Iterator[Utterance]:
    """Stream :class:`Utterance` records from any supported file (``-`` is stdin), of
    ``split`` only when it is given (``all``: every row)."""
    split = split_value(split)
    name = str(path)
    fmt = dataset_format(name, format)
    if fmt == "massive":
        yield from MassiveReader(name, split)
        return
    # newline="": the csv module reads line ends itself (a quoted field may hold one).
    with open_text(name, newline="") as stream:
        rows = (
            _rows_jsonl(name, stream)
            if fmt == "jsonl"
            else _rows_delimited(name, stream, "," if fmt == "csv" else "\t")
        )
        yield from _generic_utterances(
            rows, name, text_field, label_field, id_field, split_field, split
        )


def _generic_utterances(
    rows: Iterable[tuple[int, dict]],
    name: str,
    text_field: str | None,
    label_field: str | None,
    id_field: str | None,
    split_field: str | None,
    split: str | None,
) -> Iterator[Utterance]:
    """Utterances from the rows of a generic JSONL/CSV/TSV file (columns found on row 1)."""
    default_split = _split_from_name(name)
    columns: tuple[str | None, ...] | None = None
    for number, row in rows:
        if columns is None:
            text_col = _pick(row, text_field, TEXT_CANDIDATES, "text", name)
            if text_col is None:
                raise LexiError(
                    f"no text column among {list(row)}",
                    path=name,
                    line=number,
                    hint="pass --text-field",
                )
            columns = (
                text_col,
                _pick(row, label_field, LABEL_CANDIDATES, "label", name),
                _pick(row, id_field, ID_CANDIDATES, "id", name),
                _pick(row, split_field, ("split", "partition"), "split", name),
            )
        text_col, label_col, id_col, split_col = columns
        text = row.get(text_col)
        if not isinstance(text, str):
            raise LexiError(f"missing or non-text field {text_col!r}", path=name, line=number)
        label = _scalar(row, label_col, name, number) if label_col else None
        if label_col and label is None:
            raise LexiError(f"missing field {label_col!r}", path=name, line=number)
        row_split = _scalar(row, split_col, name, number) if split_col else default_split
        if split is not None and row_split != split:
            continue
        row_id = _scalar(row, id_col, name, number) if id_col else str(number)
        if row_id is None:
            raise LexiError(f"missing field {id_col!r}", path=name, line=number)
        used = {c for c in columns if c}
        yield Utterance(
            id=row_id,
            text=text,
            label=label,
            split=row_split,
            locale=_scalar(row, "locale", name, number),
            metadata={k: v for k, v in row.items() if k not in used and k != "locale"},
        )


def _scalar(row: dict, column: str, path: str, line: int) -> str | None:
    """``row[column]`` as a string: a string or an integer (a JSONL label or id may be a
    number); None when absent or null. Anything else is reported with its line: it would
    otherwise become a label like ``"{'a': 1}"`` or fail later with no line."""
    value = row.get(column)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise LexiError(f"field {column!r} must be a string or an integer, got {value!r}",
                    path=path, line=line)


def _labelled(utterances: Iterable[Utterance]) -> Iterator[Utterance]:
    """``utterances``, refusing one without a label: a MASSIVE row needs an intent, and
    lexi (like MASSIVE's own tools) could not read the file back."""
    for utt in utterances:
        if utt.label is None:
            raise LexiError(f"row {utt.id!r} has no label, and a MASSIVE row needs an intent",
                            hint="convert to jsonl, csv or tsv, or name the label column "
                            "with --label-field")
        yield utt


def write_dataset(
    utterances: Iterable[Utterance],
    out: IO[str],
    format: str = "massive",
    style: JsonStyle = COMPACT,
) -> int:
    """Write utterances in ``format`` (massive, jsonl, csv, tsv); returns the row count."""
    if format == "massive":
        return write_massive(_labelled(utterances), out, style)
    count = 0
    if format == "jsonl":
        for utt in utterances:
            row = {"id": utt.id, "text": utt.text, "label": utt.label, "split": utt.split}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    if format in ("csv", "tsv"):
        writer = csv.writer(out, delimiter="," if format == "csv" else "\t", lineterminator="\n")
        writer.writerow(["id", "text", "label", "split"])
        for utt in utterances:
            writer.writerow([utt.id, utt.text, utt.label or "", utt.split or ""])
            count += 1
        return count
    raise LexiError(f"cannot write format {format!r}", hint="one of massive, jsonl, csv, tsv")
