"""The terminal lexi talks to: one rich console on stderr.

Tables, progress bars and messages go to stderr so that stdout stays clean for data that
chains in shell (paths, JSON lines). The library reports through :mod:`logging` (logger
``lexi``) and draws progress bars here; the CLI routes the ``lexi`` logger to this console
(:func:`log_to_console`), and a notebook can do the same, or configure logging its own way.
"""

from __future__ import annotations

import logging

from rich.console import Console
from rich.markup import escape

console = Console(stderr=True)


class ConsoleHandler(logging.Handler):
    """Log records as plain lines on :data:`console` (warnings in yellow, errors in red)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = escape(self.format(record))
        except Exception:  # noqa: BLE001 (logging must never raise)
            self.handleError(record)
            return
        if record.levelno >= logging.ERROR:
            message = f"[red]{message}[/]"
        elif record.levelno >= logging.WARNING:
            message = f"[yellow]{message}[/]"
        console.print(message, highlight=False, soft_wrap=True)


def log_to_console(level: int = logging.INFO) -> None:
    """Show the ``lexi`` logger's records of ``level`` and above on the console (once)."""
    logger = logging.getLogger("lexi")
    logger.setLevel(level)
    if not any(isinstance(h, ConsoleHandler) for h in logger.handlers):
        logger.addHandler(ConsoleHandler())
    logger.propagate = False
