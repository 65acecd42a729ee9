"""Entry point: registers the command modules a run needs and turns errors into one
readable line."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Annotated

import typer
from rich.markup import escape

from lexi.cli import _util
from lexi.console import console, log_to_console
from lexi.errors import LexiError
from lexi.version import __version__

# Importing a command module registers its commands on the root app (as spaCy's cli/
# does). In this order the commands are listed by `lexi --help` (lexicon_coverage imports
# synth, so `synth` comes before the lexicon commands' `fetch`).
COMMAND_MODULES = (
    "data", "doctor", "evaluate", "languages", "lexicon", "synth", "lexicon_coverage",
    "lexicon_sources", "morph", "recipe", "selftrain", "train",
)
# Each top-level command or group → the modules that register it and its subcommands (the
# first registers the name). `lexi NAME ...` imports only these: a command's process does
# not pay for every other command's imports (`lexi synth` no longer loads the evaluation,
# language table, recipe or training modules; docs/performance.md, "Synthesis").
# tests/test_cli_foundation.py checks this table against what the modules register.
MODULES_OF: dict[str, tuple[str, ...]] = {
    "data": ("data",), "doctor": ("doctor",), "eval": ("evaluate",),
    "languages": ("languages",), "lexicon": ("lexicon", "lexicon_coverage", "lexicon_sources"),
    "synth": ("synth",), "fetch": ("lexicon_sources",), "morph": ("morph",),
    "recipe": ("recipe",), "demo-data": ("recipe",), "bootstrap": ("recipe",),
    "selftrain": ("selftrain",), "train": ("train",), "predict": ("train",),
    "export": ("train",), "average": ("train",),
}
# Root options that may come before the command name and print nothing of their own (a
# `--help` or `--version` there needs every command: the root help lists them all).
_QUIET_ROOT_OPTIONS = frozenset({"--debug"})


def load_commands(argv: Sequence[str] | None = None) -> typer.Typer:
    """Import the command modules ``argv`` (a command line without the program name)
    needs, every one when it names no single command or asks for the root help, and
    return the root app."""
    modules = COMMAND_MODULES
    # Shell completion reads its words from the environment, not argv: it needs them all.
    if argv is not None and "_LEXI_COMPLETE" not in os.environ:
        name = next((arg for arg in argv if not arg.startswith("-")), None)
        if name in MODULES_OF and set(argv[: list(argv).index(name)]) <= _QUIET_ROOT_OPTIONS:
            modules = MODULES_OF[name]
    for module in modules:
        import_module(f"lexi.cli.{module}")
    if modules is COMMAND_MODULES:
        _in_help_order()
    return _util.app


def _in_help_order() -> None:
    """Put the registered commands in :data:`COMMAND_MODULES` order: a process that ran
    one command and then loads them all (a test, a notebook) lists them as a fresh one
    does. The sort is stable, so a module's commands keep their order."""
    rank = {f"lexi.cli.{module}": i for i, module in enumerate(COMMAND_MODULES)}
    app = _util.app
    app.registered_commands.sort(key=lambda command: rank[command.callback.__module__])
    app.registered_groups.sort(key=lambda group: rank[f"lexi.cli.{MODULES_OF[group.name][0]}"])
    for group in app.registered_groups:
        group.typer_instance.registered_commands.sort(
            key=lambda command: rank[command.callback.__module__])


def __getattr__(name: str) -> typer.Typer:
    """``lexi.cli.main.app``: the root app with every command registered (tests and
    tools that walk the command tree import it by this name)."""
    if name == "app":
        return load_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lexi {__version__}")
        raise typer.Exit()


@_util.app.callback()
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
        load_commands(args)(args=args, prog_name="lexi")
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
