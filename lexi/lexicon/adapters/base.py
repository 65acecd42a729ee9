"""The one interface every lexicon adapter implements, and the context it reads with."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from lexi.errors import LexiError
from lexi.lexicon.model import Entry

# How many skipped lines an import keeps as examples for its report.
MAX_EXAMPLES = 5
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


@dataclass
class ImportContext:
    """What an adapter needs to know while reading, and the tally of what it skipped.

    ``options`` are the adapter's own ``-O KEY=VALUE`` settings; ``strict`` makes the first
    malformed line an error instead of a skipped, counted one.
    """

    src: str
    tgt: str
    strict: bool = False
    options: Mapping[str, str] = field(default_factory=dict)
    skipped: int = 0
    examples: list[str] = field(default_factory=list)

    def malformed(self, path: str | Path, line: int | None, text: str, expected: str) -> None:
        """Report one bad input line: raise under ``strict``, else count it and go on."""
        shown = text if len(text) <= 120 else text[:117] + "..."
        if self.strict:
            raise LexiError(
                f"{expected}; got {shown!r}", path=path, line=line,
                hint="drop --strict to skip and count such lines",
            )
        self.skipped += 1
        if len(self.examples) < MAX_EXAMPLES:
            where = f"{path}:{line}" if line is not None else str(path)
            self.examples.append(f"{where}: {expected}; got {shown!r}")

    def option(self, name: str, default: str) -> str:
        return self.options.get(name, default)

    def flag(self, name: str, default: bool) -> bool:
        value = self.options.get(name)
        if value is None:
            return default
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
        raise LexiError(f"option {name}={value!r} is not a yes/no value", hint="use true or false")


@runtime_checkable
class LexiconAdapter(Protocol):
    """Reads one lexicon format into :class:`Entry` records.

    ``name`` is what users type (``lexi lexicon import NAME PATH``); ``summary`` is one line
    for ``lexi lexicon adapters``; ``options`` maps each ``-O`` option to its help text;
    ``needs_path`` is false for adapters that build from installed data (``cldr``).
    ``read`` yields entries with raw source text (the importer normalises it) and calls
    ``context.malformed(...)`` for every line it cannot use.
    """

    name: str
    summary: str
    options: Mapping[str, str]
    needs_path: bool

    def read(self, path: Path | None, context: ImportContext) -> Iterator[Entry]: ...


def rank_weight(rank: int) -> float:
    """Weight of the ``rank``-th translation (1-based) of a word in an ordered list.

    Dictionaries such as WECHSEL list a word's most common sense first; 1/rank keeps
    that order and lets weights from different lexicons mix in a merge.
    """
    return 1.0 / rank
