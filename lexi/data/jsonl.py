"""Reading JSON Lines: one decoder and one iterator, so that every JSONL reader in lexi
skips the same blank lines and reports a bad line the same way (file and line number)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from lexi.errors import LexiError


def json_line(raw: str, *, path: str, line: int) -> Any:
    """One line of a JSONL file, decoded; a :class:`LexiError` naming the line if it is not
    JSON."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LexiError(
            f"malformed JSON at column {exc.colno}: {exc.msg}", path=path, line=line,
            hint="each line must be one JSON object",
        ) from None
    except (ValueError, RecursionError) as exc:
        # Valid JSON that Python will not decode: an integer of over 4300 digits, or arrays
        # nested thousands deep.
        raise LexiError(f"JSON that cannot be read: {exc}", path=path, line=line) from None


def iter_jsonl(lines: Iterable[str], path: str) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line of ``lines`` (an open text file,
    stdin, a list), numbered from 1 with blank lines counted. A line that is not JSON is a
    :class:`LexiError` naming ``path`` and the line; a file that is not UTF-8 is the
    caller's to report (``lexi.data.massive.not_utf8``)."""
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            yield number, json_line(raw, path=path, line=number)
