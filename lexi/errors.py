"""Errors that reach the user as one readable line.

Every error lexi raises on purpose is a :class:`LexiError`; the CLI prints it as
``path:line: message (hint)`` and exits non-zero, with a traceback only under ``--debug``.
"""

from __future__ import annotations

from pathlib import Path


class LexiError(Exception):
    """A problem the user can fix: bad input, a missing resource, a wrong option.

    ``path`` and ``line`` (1-based) locate the offending input when there is one;
    ``hint`` says what to do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text
