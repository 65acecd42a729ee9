"""``${...}`` substitution in a recipe: variables, ``${outputs:STEP}`` and ``${paths:VAR}``.

:func:`lexi.recipe.config.load_recipe` reads the YAML and builds the steps; a
:class:`Substituter` resolves the references in its values against the variable table
(variables referring to variables, a cycle or an undefined name being an error that names
the file and line). The syntax itself is described in :mod:`lexi.recipe.config`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path

from lexi.errors import LexiError

# $${ (a literal "${"), ${var}, ${outputs:STEP} (the outputs of every expansion of an
# earlier step) and ${paths:VAR} (the paths a variable holds, as shell words).
SYNTAX = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{outputs:([^}]*)\}"
                    r"|\$\{paths:([A-Za-z_][A-Za-z0-9_]*)\}")


def line_of(text: str, needle: str, occurrence: int = 1) -> int | None:
    """The line number of the ``occurrence``-th line holding ``needle`` (for error messages)."""
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    return None


class Substituter:
    """Resolves ``${var}`` against a variable table, variables referring to variables.

    ``refs`` maps step names to their outputs for ``${outputs:STEP}`` (steps only; in
    ``vars:`` it is an error).
    """

    def __init__(self, raw: Mapping[str, str], path: Path, text: str,
                 refs: Mapping[str, list[str]] | None = None) -> None:
        self.raw = raw
        self.path = path
        self.text = text
        self.refs = refs
        self.resolved: dict[str, str] = {}
        self.left_out: set[str] = set()  # earlier steps left out by `when:`

    def with_value(self, name: str, value: str) -> Substituter:
        """The same table plus a loop variable (``foreach``) bound to ``value``."""
        child = Substituter({**self.raw, name: value}, self.path, self.text, self.refs)
        child.resolved = {**self.resolved, name: value}
        child.left_out = self.left_out
        return child

    def variable(self, name: str, chain: tuple[str, ...] = ()) -> str:
        if name in self.resolved:
            return self.resolved[name]
        if name in chain:
            cycle = " → ".join((*chain, name))
            raise LexiError(f"variables refer to each other in a cycle: {cycle}", path=self.path,
                            line=line_of(self.text, f"{name}:"))
        if name not in self.raw:
            raise LexiError(f"undefined variable ${{{name}}}", path=self.path,
                            line=line_of(self.text, f"${{{name}}}"),
                            hint=f"define it under vars: or pass --var {name}=VALUE")
        value = self.expand(self.raw[name], (*chain, name))
        self.resolved[name] = value
        return value

    def outputs_of(self, name: str) -> list[str]:
        where = line_of(self.text, f"${{outputs:{name}}}")
        if self.refs is None:
            raise LexiError(f"${{outputs:{name}}} is only allowed in a step", path=self.path,
                            line=where, hint="use it in run:, inputs: or outputs:")
        if name in self.left_out:
            return []  # the step is left out: it has no outputs to refer to
        if name not in self.refs:
            raise LexiError(f"${{outputs:{name}}}: no earlier step is named {name!r}",
                            path=self.path, line=where,
                            hint=f"earlier steps: {', '.join(self.refs) or 'none'}")
        return self.refs[name]

    def paths_of(self, name: str) -> list[str]:
        """The paths variable ``name`` holds: its value split as a shell splits it."""
        value = self.variable(name)
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise LexiError(f"${{paths:{name}}}: cannot split {value!r} into paths ({exc})",
                            path=self.path, line=line_of(self.text, f"${{paths:{name}}}"),
                            hint="quote a path holding spaces or quotes") from None

    def expand(self, value: str, chain: tuple[str, ...] = ()) -> str:
        """``value`` with every ``${var}`` substituted; ``${outputs:STEP}`` is the step's
        outputs, comma-joined (``lexi eval --run NAME=DIR,DIR`` reads that), and
        ``${paths:VAR}`` the variable's value as it is (shell words)."""
        return self._expand(value, chain, lambda name: ",".join(self.outputs_of(name)),
                            lambda name: self.variable(name, chain))

    def _expand(self, value: str, chain: tuple[str, ...], outputs, paths) -> str:
        def replace(match: re.Match) -> str:
            if match.group(0) == "$${":
                return "${"
            if match.group(2) is not None:
                return outputs(match.group(2))
            if match.group(3) is not None:
                return paths(match.group(3))
            return self.variable(match.group(1), chain)

        return SYNTAX.sub(replace, value)

    def expand_entry(self, value: str) -> list[str]:
        """An ``inputs``/``outputs`` entry: one entry per output of a ``${outputs:STEP}``
        or per path of a ``${paths:VAR}`` it holds (at most one such reference), else the
        entry itself."""
        refs = [m for m in SYNTAX.finditer(value)
                if m.group(2) is not None or m.group(3) is not None]
        if not refs:
            return [self.expand(value)]
        if len(refs) > 1:
            raise LexiError(f"{value!r}: at most one ${{outputs:STEP}} or ${{paths:VAR}} per "
                            "entry", path=self.path, line=line_of(self.text, value))
        mark = "\0"
        template = self._expand(value, (), lambda name: mark, lambda name: mark)
        ref = refs[0]
        items = (self.outputs_of(ref.group(2)) if ref.group(2) is not None
                 else self.paths_of(ref.group(3)))
        return [template.replace(mark, item) for item in items]
