"""What every command module shares: the root typer app, the consoles, JSON output, and the
vocabulary of options every command uses the same way (``--data``, ``--split``, ``-o``).

Help is rendered from Markdown (so that `code` reads as code); :class:`LexiCommand` and
:class:`LexiGroup` make it read well: types as ``INTEGER``, ``FILE``, ``SPLIT`` (not
typer's ``<int>``), no type for on/off flags, and ``<lang>`` kept as written rather than
swallowed as an HTML tag.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from lexi.console import console  # noqa: F401  (re-exported for the command modules)
from lexi.data.readers import split_value  # noqa: F401  (re-exported: --split all)
from lexi.errors import LexiError

# --- readable help ------------------------------------------------------------------------

# Type names shown for a parameter, by its name first (the shared vocabulary), then by its
# Python type. A parameter that sets its own metavar keeps it.
METAVAR_BY_NAME = {
    "data": "FILE", "dev": "FILE", "source": "FILE", "target": "FILE", "pool": "FILE",
    "unlabelled": "FILE", "lexicon": "FILE", "lexicons": "FILE", "slot_lexicon": "FILE",
    "dataset": "FILE",
    "predictions": "FILE", "config_file": "FILE", "synth": "FILE", "summary_json": "FILE",
    "unimorph": "PATH", "table": "PATH", "morph_model": "FILE", "catalog": "FILE",
    "output": "PATH", "run": "DIR", "runs": "DIR", "agree": "DIR", "teacher": "DIR",
    "data_root": "DIR", "data_dir": "DIR", "split": "SPLIT", "dev_split": "SPLIT",
    "lang": "LANG", "src": "LANG", "tgt": "LANG", "locale": "LANG", "morph": "LANG",
    "phonetic_lang": "LANG", "var": "NAME=VALUE", "option": "KEY=VALUE",
    "format": "FORMAT", "device": "DEVICE", "model": "MODEL", "recipe": "RECIPE",
}
METAVAR_BY_TYPE = {int: "INTEGER", float: "NUMBER", str: "TEXT", Path: "PATH"}
_READY = "_lexi_readable"


def _type_of(param: TyperOption | TyperArgument) -> Any:
    annotation = param.type_descriptor.annotation
    args = getattr(annotation, "__args__", None)
    if getattr(annotation, "__origin__", None) is list and args:
        return args[0]
    return annotation


def readable_type(param: TyperOption | TyperArgument) -> str | None:
    """The type a help page shows for ``param``; None for an on/off flag."""
    if isinstance(param, TyperOption) and param.is_flag:
        return None
    descriptor = param.type_descriptor
    if descriptor.is_choice and descriptor.choices:
        return "|".join(str(getattr(c, "value", c)) for c in descriptor.choices)
    return METAVAR_BY_NAME.get(param.name or "") or METAVAR_BY_TYPE.get(_type_of(param), "TEXT")


def escape_markdown_html(text: str) -> str:
    """``text`` with ``<word>`` kept as written by the Markdown renderer (which drops what
    looks like an HTML tag: ``$UNIMORPH/<lang>/<lang>`` would print ``$UNIMORPH//``).
    Code spans and indented code blocks are literal already and stay as they are."""
    lines = inspect.cleandoc(text).split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        indented = line.startswith("    ") and (i == 0 or not lines[i - 1].strip()
                                                or (out and out[-1].startswith("    ")))
        if indented:
            out.append(line)
            continue
        parts = re.split(r"(`[^`]*`)", line)
        out.append("".join(part if part.startswith("`") else
                           re.sub(r"(?<!\\)<(?=[A-Za-z/!?])", r"\\<", part) for part in parts))
    return "\n".join(out)


def make_readable(params: list) -> list:
    """Give each parameter a readable type and escape its help (once)."""
    for param in params:
        if getattr(param, _READY, False):
            continue
        setattr(param, _READY, True)
        if getattr(param, "help", None):
            param.help = escape_markdown_html(param.help)
        if not isinstance(param, (TyperOption, TyperArgument)):
            continue
        label = param.metavar or readable_type(param)
        if isinstance(param, TyperOption):
            param.metavar = label if label is not None else ""
        else:
            # An argument's metavar is its name in the help; only its type column changes.
            param.display_type_rich = lambda ctx, _label=label: _label
    return params


class _ReadableHelp:
    """Mixed in before typer's command or group class: its own help escaped (once) and its
    parameters made readable (see :func:`make_readable`). Commands and groups render help
    the same way, so both take it from here."""

    help: str | None

    def get_params(self, ctx: typer.Context) -> list:
        if self.help and not getattr(self, _READY, False):
            self.help = escape_markdown_html(self.help)
            setattr(self, _READY, True)
        return make_readable(super().get_params(ctx))


class LexiCommand(_ReadableHelp, TyperCommand):
    """A typer command whose help reads well (see :func:`make_readable`)."""


class LexiGroup(_ReadableHelp, TyperGroup):
    """A typer group whose help reads well (see :func:`make_readable`)."""


class LexiTyper(typer.Typer):
    """``typer.Typer`` whose commands and groups are :class:`LexiCommand`/:class:`LexiGroup`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", LexiGroup)
        kwargs.setdefault("rich_markup_mode", "markdown")
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("cls", LexiCommand)
        return super().command(*args, **kwargs)


app = LexiTyper(
    name="lexi",
    help=(
        "Bootstrap language understanding for a language with almost no labelled data: "
        "bilingual lexicons + UniMorph paradigms + an English training set → synthetic "
        "target-language data → a LoRA-tuned multilingual encoder → a zero-shot evaluation.\n\n"
        "Start with `lexi bootstrap demo`; `lexi doctor` says what this machine has. "
        "Shell completion: `lexi --install-completion`."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

# Tables and progress go to stderr (lexi.console) so that stdout stays clean for data that
# chains in shell.
stdout = Console()


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (one JSON document)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def subgroup(name: str, help: str) -> typer.Typer:
    """A command group (``lexi NAME ...``) registered on the root app."""
    group = LexiTyper(help=help, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


# --- the shared vocabulary of options ------------------------------------------------------

SPLIT_VALUES = "train, dev, test, … or `all` (every row)"

# Options that several commands declare alike (flags, type and help) are declared once,
# here, so that their help cannot drift apart; each command still gives its own default.
SplitFilter = Annotated[str, typer.Option(
    "--split", help=f"Only rows of this split: {SPLIT_VALUES}.")]
BatchSize = Annotated[int, typer.Option("--batch-size", help="Texts per forward pass.")]
Device = Annotated[str | None, typer.Option("--device", help="auto, cpu or cuda.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
AsJsonNotTables = Annotated[bool, typer.Option(
    "--json", help="Print JSON on stdout instead of tables.")]


def parse_pairs(pairs: list[str] | None, option: str, shape: str, example: str) -> dict[str, str]:
    """Repeated ``NAME=VALUE`` options (``--var``, ``-O``) → a dict; a pair without ``=`` or
    with an empty name is one error naming the option and an example. The value is kept as
    written (it may itself hold ``=``); the last of a repeated name wins."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise LexiError(f"{option} {pair!r}: expected {shape}", hint=f"e.g. {option} {example}")
        out[name.strip()] = value
    return out


def deprecated(old: str, new: str) -> None:
    """Say once, on stderr, that an option spelling is on its way out."""
    console.print(f"[yellow]note:[/] {old} is deprecated; use {new}", highlight=False)
