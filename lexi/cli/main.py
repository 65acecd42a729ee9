"""Entry point: registers every command module and turns errors into one readable line."""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated

import typer
from rich.markup import escape

# Importing a command module registers its commands on ``app`` (as spaCy's cli/ does).
from lexi.cli import (  # noqa: E402,F401,I001
    data,
    doctor,
    evaluate,
    languages,
    lexicon,
    lexicon_coverage,
    lexicon_sources,
    morph,
    recipe,
    selftrain,
    synth,
    train,
)
from lexi.cli._util import app, console
from lexi.console import log_to_console
from lexi.errors import LexiError
from lexi.version import __version__


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lexi {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    # Declared here so that typer accepts and documents --debug; main() reads the flag from
    # argv itself, since the errors it governs are caught outside typer.
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")
    ] = False,
) -> None:
    """lexi: zero-shot language understanding from a lexicon and paradigms."""


# Set by the recipe runner for each step: the file the step's error message goes to, so
# that a failed step can say why (lexi.recipe.runner).
ERROR_FILE_ENV = "LEXI_ERROR_FILE"


def _leave_error(message: str) -> None:
    """Write the error for the recipe runner, when a step of a recipe is what failed."""
    path = os.environ.get(ERROR_FILE_ENV)
    if path:
        try:
            with open(path, "w", encoding="utf-8") as out:
                out.write(message)
        except OSError:
            pass


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    log_to_console(logging.DEBUG if debug else logging.INFO)
    try:
        app(args=args, prog_name="lexi")
    except LexiError as exc:
        _leave_error(str(exc))
        if debug:
            raise
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]")
        sys.exit(130)
    except (OSError, ValueError, RuntimeError) as exc:
        _leave_error(f"{type(exc).__name__}: {exc}")
        if debug:
            raise
        console.print(
            f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}"
            " (rerun with --debug for details)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
