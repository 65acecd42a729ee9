"""What every command module shares: the root typer app, the consoles, JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console

from lexi.console import console  # noqa: F401  (re-exported for the command modules)

app = typer.Typer(
    name="lexi",
    help=(
        "Bootstrap language understanding for a language with almost no labelled data: "
        "bilingual lexicons + UniMorph paradigms + an English training set → synthetic "
        "target-language data → a LoRA-tuned multilingual encoder → a zero-shot evaluation.\n\n"
        "Start with `lexi bootstrap demo`; `lexi doctor` says what this machine has."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)

# Tables and progress go to stderr (lexi.console) so that stdout stays clean for data that
# chains in shell.
stdout = Console()


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (one JSON document)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def subgroup(name: str, help: str) -> typer.Typer:
    """A command group (``lexi NAME ...``) registered on the root app."""
    group = typer.Typer(help=help, no_args_is_help=True, rich_markup_mode="markdown")
    app.add_typer(group, name=name)
    return group
