"""Column files: ``tsv`` (WECHSEL, GATITOS and any two-column list) and ``muse`` (MUSE
dictionaries, one ``source target`` pair a line, space- or tab-separated)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lexi.errors import LexiError
from lexi.lexicon.adapters.base import ImportContext, rank_weight
from lexi.lexicon.model import Entry


def _read_lines(path: Path, context: ImportContext) -> Iterator[tuple[int, str]]:
    """Lines of ``path`` with 1-based numbers; undecodable lines are reported, not fatal."""
    if not path.is_file():
        raise LexiError("no such lexicon file", path=path)
    # surrogateescape keeps decoding in C for the whole file and marks bad bytes, so only
    # the (rare) non-ASCII lines need a check.
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        for number, line in enumerate(handle, 1):
            if not line.isascii():
                try:
                    line.encode("utf-8")
                except UnicodeEncodeError:
                    text = line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                    context.malformed(path, number, text.rstrip(), "UTF-8 text")
                    continue
                if number == 1:
                    line = line.lstrip("\ufeff")
            yield number, line.rstrip("\r\n")


def _column(value: str, name: str) -> int | None:
    if value in ("", "none"):
        return None
    if not value.isdigit() or int(value) < 1:
        raise LexiError(f"option {name}={value!r} must be a 1-based column number")
    return int(value) - 1


class TsvAdapter:
    """Delimited columns, source and target in any order, ranked by order of appearance."""

    name = "tsv"
    summary = "Two or more delimited columns (WECHSEL, GATITOS): source<TAB>target a line"
    needs_path = True
    options = {
        "source_column": "1-based column of the source phrase (default 1)",
        "target_column": "1-based column of the target phrase (default 2; 1 and 2 swap direction)",
        "pos_column": "1-based column holding a part of speech (default: none)",
        "weight_column": "1-based column holding a numeric weight (default: order of appearance)",
        "delimiter": "field separator (default TAB; 'space' = any run of whitespace)",
        "header": "first non-comment line is a header to skip (default false)",
        "comment": "lines starting with this are ignored (default '#'; '' = none)",
    }
    default_delimiter = "\t"

    def read(self, path: Path | None, context: ImportContext) -> Iterator[Entry]:
        for row in self.read_rows(path, context):
            yield Entry(*row)

    def read_rows(self, path: Path | None, context: ImportContext) -> Iterator[tuple]:
        """``read`` as plain ``(source, target, pos, weight, provenance)`` tuples: the
        importer's fast path (building a million Entry objects only to unpack them again
        costs a third of an import)."""
        assert path is not None
        src_col = _column(context.option("source_column", "1"), "source_column")
        tgt_col = _column(context.option("target_column", "2"), "target_column")
        pos_col = _column(context.option("pos_column", ""), "pos_column")
        weight_col = _column(context.option("weight_column", ""), "weight_column")
        if src_col is None or tgt_col is None:
            raise LexiError("source_column and target_column are required")
        delimiter: str | None = context.option("delimiter", self.default_delimiter)
        if delimiter in ("space", "whitespace", "auto"):
            delimiter = None
        elif delimiter == "\\t":
            delimiter = "\t"
        comment = context.option("comment", "#")
        skip_header = context.flag("header", False)
        needed = max(c for c in (src_col, tgt_col, pos_col, weight_col) if c is not None) + 1
        expected = f"at least {needed} {'TAB-' if delimiter == chr(9) else ''}separated fields"
        # How many translations each source had so far: its next one ranks one lower.
        seen: dict[str, int] = {}
        # Under --strict every line has as many fields as the first: a line with more is
        # as malformed as one with fewer (a stray TAB, two lines run together).
        width: int | None = None
        name = path.name
        for number, line in _read_lines(path, context):
            if not line.strip() or (comment and line.startswith(comment)):
                continue
            if skip_header:
                skip_header = False
                continue
            fields = line.split(delimiter)
            if len(fields) < needed:
                context.malformed(path, number, line, expected)
                continue
            if context.strict:
                width = width or len(fields)
                if len(fields) != width:
                    context.malformed(path, number, line,
                                      f"{width} fields, as on the first line")
                    continue
            source, target = fields[src_col].strip(), fields[tgt_col].strip()
            if not source or not target:
                context.malformed(path, number, line, "an empty source or target field")
                continue
            if weight_col is not None:
                try:
                    weight = float(fields[weight_col])
                except ValueError:
                    context.malformed(path, number, line, f"a number in column {weight_col + 1}")
                    continue
            else:
                key = source.casefold()
                rank = seen.get(key, 0) + 1
                seen[key] = rank
                weight = rank_weight(rank)
            pos = fields[pos_col].strip() or None if pos_col is not None else None
            yield (source, target, pos, weight, f"{name}:{number}")


class MuseAdapter(TsvAdapter):
    """MUSE bilingual dictionaries (``en-de.txt``): ``source target``, space or TAB."""

    name = "muse"
    summary = "MUSE dictionaries (en-de.0-5000.txt): 'source target' a line, space or TAB"
    default_delimiter = "space"
