"""The terminal lexi talks to: one rich console on stderr, shared by every layer.

Tables, progress bars and messages go to stderr so that stdout stays clean for data that
chains in shell (paths, JSON lines). The CLI and the library's long-running functions
(training) both print here; living at the package root, it keeps the library from
importing the CLI.
"""

from __future__ import annotations

from rich.console import Console

console = Console(stderr=True)
