"""MASSIVE jsonl: ``utt``, ``annot_utt`` with ``[slot : value]`` markup, ``intent``.

Reading turns ``annot_utt`` into character spans over ``utt``; writing rebuilds it, and
reproduces the source file byte for byte in the fields lexi knows (key order, the JSON
separators of the file, non-ASCII kept as is).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from json.encoder import c_make_encoder, encode_basestring
from pathlib import Path
from typing import IO, Any

from lexi.data.jsonl import json_line
from lexi.data.records import SlotSpan, Utterance
from lexi.errors import LexiError

MASSIVE_FIELDS = ("id", "locale", "partition", "scenario", "intent", "utt", "annot_utt")
REQUIRED_FIELDS = ("id", "utt", "intent")
# The fields a row keeps out of its metadata (scenario goes there: Utterance has no field
# for it). A set: every key of every row read is looked up in it.
_NOT_METADATA = frozenset(MASSIVE_FIELDS) - {"scenario"}


@dataclass(frozen=True)
class JsonStyle:
    """How a jsonl file writes its JSON: MASSIVE 1.1 en-US is compact, sw-KE spaced."""

    item_separator: str = ","
    key_separator: str = ":"

    @classmethod
    def detect(cls, line: str) -> JsonStyle:
        # The first key is always followed by its separator: '{"id":0' vs '{"id": 0'.
        head = line.lstrip()[:64]
        colon = head.find('":')
        if colon >= 0 and head[colon + 2 : colon + 3] == " ":
            return cls(", ", ": ")
        return cls()

    def dumps(self, obj: dict[str, Any]) -> str:
        return self.encoder.encode(obj)

    @functools.cached_property
    def encoder(self) -> json.JSONEncoder:
        """The encoder ``json.dumps`` would build for this style on every call (made once
        per style: building it costs about a tenth of encoding a synthetic row)."""
        return json.JSONEncoder(
            ensure_ascii=False, separators=(self.item_separator, self.key_separator)
        )

    @functools.cached_property
    def encode_row(self) -> Callable[[dict[str, Any]], str]:
        """``encoder.encode`` for the rows a writer makes, the same text a fifth faster.

        ``JSONEncoder.encode`` builds a new C encoder for every call (two Python frames, a
        closure, a dict of the containers seen to refuse cycles): about 1.5 of 7.5 µs a
        synthetic row. This C encoder is made once, with the arguments ``encode`` passes
        it, less the cycle check (rows are trees built per row; a cycle would end in
        RecursionError instead of ValueError). Where ``_json`` is missing (not CPython),
        ``encode`` itself."""
        if c_make_encoder is None:
            return self.encoder.encode
        encoder = self.encoder
        chunks = c_make_encoder(
            None, encoder.default, encode_basestring, None, encoder.key_separator,
            encoder.item_separator, False, False, True,
        )
        return lambda row: "".join(chunks(row, 0))


COMPACT = JsonStyle()


def not_utf8(path: str | Path, exc: UnicodeDecodeError) -> LexiError:
    """The :class:`LexiError` for a text file that is not UTF-8: its line and the byte
    offset of the first bad byte.

    Text readers decode in blocks, so ``exc`` knows neither; the file is scanned again, in
    binary, only on this error path (reading stays as fast as before for good files).
    stdin cannot be read twice and is reported without a position.
    """
    hint = "lexi reads UTF-8 text; convert the file, e.g. with iconv -t UTF-8"
    name = str(path)
    if name == "-":
        return LexiError(f"not valid UTF-8 ({exc.reason}) on stdin", path="<stdin>", hint=hint)
    found = _first_bad_utf8(Path(name))
    if found is None:  # the file changed since; say what the decoder said
        return LexiError(f"not valid UTF-8 ({exc.reason})", path=name, hint=hint)
    line, offset, byte = found
    return LexiError(
        f"not valid UTF-8: byte 0x{byte:02x} at byte offset {offset}", path=name, line=line,
        hint=hint,
    )


@contextlib.contextmanager
def open_text(path: str | Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """``path`` open for reading as UTF-8 text (``-``: stdin, which is left open), for the
    readers that stream a dataset: text that is not UTF-8, met anywhere while the block
    runs, becomes the :func:`not_utf8` error (the decoding happens as the file is read)."""
    name = str(path)
    stream = sys.stdin if name == "-" else open(name, encoding="utf-8", newline=newline)  # noqa: SIM115
    try:
        yield stream
    except UnicodeDecodeError as exc:
        raise not_utf8(name, exc) from None
    finally:
        if stream is not sys.stdin:
            stream.close()


def _first_bad_utf8(path: Path) -> tuple[int, int, int] | None:
    """(1-based line, byte offset in the file, the byte) of the first invalid UTF-8 byte."""
    offset = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, offset + exc.start, raw[exc.start]
            offset += len(raw)
    return None


def _text_field(row: dict[str, Any], name: str, *, required: bool, path: str | None,
                line: int | None) -> str | None:
    """``row[name]`` when it is a non-empty string (or absent/null and not ``required``)."""
    value = row.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise LexiError(f"field {name!r} must be a non-empty string, got {value!r}", path=path,
                        line=line)
    return value


def _row_id(value: Any, *, path: str | None, line: int | None) -> str:
    """A row id: a string or an integer (MASSIVE's are integers), as a string."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise LexiError(f"field 'id' must be a string or an integer, got {value!r}", path=path,
                        line=line)
    return str(value)


def parse_annot(
    annot: str, *, path: str | None = None, line: int | None = None
) -> tuple[str, tuple[SlotSpan, ...]]:
    """Split ``"wake me at [time : five am]"`` into plain text and slot spans."""
    if "[" not in annot and "]" not in annot:
        return annot, ()  # no markup (a third of MASSIVE's rows): what the loop gives
    text_parts: list[str] = []
    spans: list[SlotSpan] = []
    length = 0
    i = 0
    while i < len(annot):
        open_at = annot.find("[", i)
        close_before = annot.find("]", i)
        if close_before != -1 and (open_at == -1 or close_before < open_at):
            raise LexiError(
                f"unbalanced ']' at column {close_before + 1} in annot_utt {annot!r}",
                path=path,
                line=line,
                hint="expected '[slot : value]'",
            )
        if open_at == -1:
            text_parts.append(annot[i:])
            length += len(annot) - i
            break
        text_parts.append(annot[i:open_at])
        length += open_at - i
        close_at = annot.find("]", open_at)
        nested = annot.find("[", open_at + 1)
        if close_at == -1 or (nested != -1 and nested < close_at):
            raise LexiError(
                f"unbalanced '[' at column {open_at + 1} in annot_utt {annot!r}",
                path=path,
                line=line,
                hint="expected '[slot : value]'",
            )
        inner = annot[open_at + 1 : close_at]
        name, sep, value = inner.partition(" : ")
        if not sep or not name.strip():
            raise LexiError(
                f"slot markup {annot[open_at : close_at + 1]!r} is not '[slot : value]'",
                path=path,
                line=line,
            )
        spans.append(SlotSpan(length, length + len(value), name.strip()))
        text_parts.append(value)
        length += len(value)
        i = close_at + 1
    return "".join(text_parts), tuple(spans)


def format_annot(text: str, slots: Iterable[SlotSpan]) -> str:
    """Inverse of :func:`parse_annot`."""
    out: list[str] = []
    cursor = 0
    for span in sorted(slots):
        out.append(text[cursor : span.start])
        out.append(f"[{span.name} : {text[span.start : span.end]}]")
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


def row_to_utterance(
    row: dict[str, Any], *, path: str | None = None, line: int | None = None
) -> Utterance:
    """One decoded MASSIVE row → an :class:`Utterance` (validated)."""
    if not isinstance(row, dict):
        raise LexiError(f"expected a JSON object, got {type(row).__name__}", path=path, line=line)
    for name in REQUIRED_FIELDS:
        if name not in row:
            raise LexiError(
                f"missing field {name!r}",
                path=path,
                line=line,
                hint=f"MASSIVE rows need {', '.join(REQUIRED_FIELDS)}",
            )
    text = row["utt"]
    if not isinstance(text, str):
        raise LexiError(f"field 'utt' must be a string, got {text!r}", path=path, line=line)
    # Checked here, not where they are used: an int intent or partition would otherwise
    # surface much later as a TypeError (sorting labels, joining names) with no line.
    # Every row is checked, and almost every row is plain: an int id and non-empty
    # strings are accepted inline, anything else goes to the checks that explain it.
    row_id = row["id"]
    row_id = str(row_id) if type(row_id) is int else _row_id(row_id, path=path, line=line)
    intent = row["intent"]
    if type(intent) is not str or not intent.strip():
        intent = _text_field(row, "intent", required=True, path=path, line=line)
    split = row.get("partition")
    if split is not None and (type(split) is not str or not split.strip()):
        split = _text_field(row, "partition", required=False, path=path, line=line)
    locale = row.get("locale")
    if locale is not None and (type(locale) is not str or not locale.strip()):
        locale = _text_field(row, "locale", required=False, path=path, line=line)
    slots: tuple[SlotSpan, ...] = ()
    annot = row.get("annot_utt")
    if annot is not None and not isinstance(annot, str):
        raise LexiError(f"field 'annot_utt' must be a string, got {annot!r}", path=path,
                        line=line)
    if annot is not None:
        plain, slots = parse_annot(annot, path=path, line=line)
        if plain != text:
            raise LexiError(
                f"annot_utt without markup is {plain!r} but utt is {text!r}",
                path=path,
                line=line,
                hint="slot values must match the text",
            )
    metadata = {k: v for k, v in row.items() if k not in _NOT_METADATA}
    if "annot_utt" not in row:
        metadata["_no_annot"] = True
    return Utterance(
        id=row_id, text=text, label=intent, slots=slots, locale=locale, split=split,
        metadata=metadata,
    )


def utterance_to_row(utt: Utterance) -> dict[str, Any]:
    """An :class:`Utterance` → a MASSIVE row, keys in MASSIVE's order."""
    row: dict[str, Any] = {"id": int(utt.id) if utt.id.isdigit() else utt.id}
    if utt.locale is not None:
        row["locale"] = utt.locale
    if utt.split is not None:
        row["partition"] = utt.split
    if "scenario" in utt.metadata:
        row["scenario"] = utt.metadata["scenario"]
    row["intent"] = utt.label
    row["utt"] = utt.text
    # MASSIVE markup has no escape for a literal bracket: such a text without slots is
    # written without annot_utt (readers take that as "no slots"); with slots it cannot be.
    has_brackets = "[" in utt.text or "]" in utt.text
    if has_brackets and utt.slots:
        raise LexiError(
            f"utterance {utt.id!r} has slots and a literal bracket in {utt.text!r}",
            hint="MASSIVE annot_utt cannot represent both",
        )
    if not utt.metadata.get("_no_annot") and not has_brackets:
        row["annot_utt"] = format_annot(utt.text, utt.slots)
    for key, value in utt.metadata.items():
        if key != "scenario" and not key.startswith("_"):
            row[key] = value
    return row


@dataclass
class MassiveReader:
    """Streams a MASSIVE jsonl file (``-`` is stdin), optionally one split only.

    After iteration, ``style`` holds the file's JSON style so that a writer can
    reproduce it.
    """

    path: str | Path
    split: str | None = None
    style: JsonStyle = COMPACT

    def __iter__(self) -> Iterator[Utterance]:
        with open_text(self.path) as stream:
            first = stream.readline()
            if first.strip():
                self.style = JsonStyle.detect(first)
            yield from parse_massive_lines(itertools.chain([first], stream), str(self.path),
                                           self.split)


def parse_massive_lines(
    lines: Iterable[str], path: str, split: str | None = None, first: int = 1
) -> Iterator[Utterance]:
    """The utterances of MASSIVE jsonl ``lines`` (numbered from ``first`` in errors; blank
    lines skipped), of ``split`` only when given: what :class:`MassiveReader` yields for
    them, and what a worker process of ``lexi synth --workers`` parses its lines with."""
    for number, raw in enumerate(lines, start=first):
        if raw.strip():
            row = json_line(raw, path=path, line=number)
            utt = row_to_utterance(row, path=path, line=number)
            if split is None or utt.split == split:
                yield utt


def massive_line_batches(path: str | Path, size: int) -> Iterator[tuple[int, list[str]]]:
    """The lines of a MASSIVE jsonl file (``-``: stdin), ``size`` at a time, each batch
    with the number of its first line, unparsed: :func:`parse_massive_lines` reads them,
    possibly in another process. Text that is not UTF-8 is reported here, as by
    :class:`MassiveReader` (the decoding happens where the file is read)."""
    with open_text(path) as stream:
        number = 1
        while batch := list(itertools.islice(stream, size)):
            yield number, batch
            number += len(batch)


def read_massive(path: str | Path, split: str | None = None) -> Iterator[Utterance]:
    """Stream utterances from a MASSIVE jsonl file."""
    return iter(MassiveReader(path, split))


def write_massive(utterances: Iterable[Utterance], out: IO[str], style: JsonStyle = COMPACT) -> int:
    """Write utterances as MASSIVE jsonl to an open text stream; returns the row count."""
    count = 0
    encode, write = style.encode_row, out.write
    for utt in utterances:
        write(encode(utterance_to_row(utt)) + "\n")  # one write a row, not two
        count += 1
    return count
