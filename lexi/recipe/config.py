"""Load a recipe: a YAML file of variables and steps, with ``${var}`` substitution.

A recipe looks like this (see docs/recipes.md)::

    title: Zero-shot intents for a MASSIVE locale
    vars:
      locale: sw-KE
      work: runs/massive-${locale}
    directory: ${work}          # where the state file lives
    report: ${work}/report      # the eval step's output directory (read by bootstrap)
    steps:
      - name: synth
        help: Synthesise target-language training data
        run: lexi synth --source ${source} ... -o ${work}/synth.jsonl
        inputs: [${source}]
        outputs: [${work}/synth.jsonl]

Variables may use other variables; ``$${`` writes a literal ``${``. ``${recipe_dir}`` is
the folder of the recipe file. After substitution a command line is split like a shell
would (``shlex``), so a variable holding ``--unimorph x.tsv`` or nothing adds an option
or not; empty entries in ``inputs``/``outputs`` are dropped.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lexi.data.massive import not_utf8
from lexi.errors import LexiError

VARIABLE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
STEP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
BUILTIN_DIR = Path(__file__).with_name("recipes")


@dataclass(frozen=True)
class Step:
    """One command of a recipe.

    ``run`` is the command line after substitution (a ``lexi ...`` command, or any
    program); ``inputs`` are files or folders it reads (their hashes decide whether it
    reruns); ``outputs`` are what it must write.
    """

    name: str
    run: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    help: str = ""

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.run)


@dataclass(frozen=True)
class Recipe:
    """A recipe with every variable substituted.

    ``directory`` holds the state file (which steps succeeded, with which inputs);
    ``report`` is the evaluation output folder, when the recipe makes one.
    """

    path: Path
    title: str
    description: str
    variables: dict[str, str]
    directory: Path
    steps: tuple[Step, ...]
    report: Path | None = None
    defaults: dict[str, str] = field(default_factory=dict)

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise LexiError(f"no step {name!r} in this recipe", path=self.path,
                        hint=f"steps: {', '.join(s.name for s in self.steps)}")


def builtin_recipes() -> dict[str, Path]:
    """The recipes shipped with lexi, by name (``demo``, ``massive``, ``sib200``)."""
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.yml"))}


def find_recipe(name_or_path: str | Path) -> Path:
    """A recipe file: an existing path, or the name of a built-in recipe."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    builtin = builtin_recipes()
    if str(name_or_path) in builtin:
        return builtin[str(name_or_path)]
    raise LexiError("recipe not found", path=path,
                    hint=f"a YAML file, or a built-in recipe: {', '.join(builtin)}")


def _line_of(text: str, needle: str, occurrence: int = 1) -> int | None:
    """The line number of the ``occurrence``-th line holding ``needle`` (for error messages)."""
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    return None


class _Substituter:
    """Resolves ``${var}`` against a variable table, variables referring to variables."""

    def __init__(self, raw: Mapping[str, str], path: Path, text: str) -> None:
        self.raw = raw
        self.path = path
        self.text = text
        self.resolved: dict[str, str] = {}

    def variable(self, name: str, chain: tuple[str, ...] = ()) -> str:
        if name in self.resolved:
            return self.resolved[name]
        if name in chain:
            cycle = " → ".join((*chain, name))
            raise LexiError(f"variables refer to each other in a cycle: {cycle}", path=self.path,
                            line=_line_of(self.text, f"{name}:"))
        if name not in self.raw:
            raise LexiError(f"undefined variable ${{{name}}}", path=self.path,
                            line=_line_of(self.text, f"${{{name}}}"),
                            hint=f"define it under vars: or pass --var {name}=VALUE")
        value = self.expand(self.raw[name], (*chain, name))
        self.resolved[name] = value
        return value

    def expand(self, value: str, chain: tuple[str, ...] = ()) -> str:
        def replace(match: re.Match) -> str:
            if match.group(0) == "$${":
                return "${"
            return self.variable(match.group(1), chain)

        return VARIABLE.sub(replace, value)


def _as_str(value: object, what: str, path: Path, text: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise LexiError(f"{what} must be a string, got {type(value).__name__}", path=path,
                    line=_line_of(text, what.split(".")[-1]))


def _as_list(value: object, what: str, path: Path, text: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [_as_str(v, what, path, text) for v in value]
    raise LexiError(f"{what} must be a list of paths", path=path, line=_line_of(text, what))


def load_recipe(name_or_path: str | Path, overrides: Mapping[str, str] | None = None) -> Recipe:
    """Read a recipe and substitute its variables (``overrides`` win over ``vars:``).

    Raises :class:`LexiError` naming the file and line of an undefined variable, an
    unknown override, a duplicate step or a malformed field.
    """
    path = find_recipe(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LexiError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=path,
                        line=None if mark is None else mark.line + 1) from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise LexiError("expected a mapping with a list of steps: (see docs/recipes.md)",
                        path=path)
    declared = data.get("vars") or {}
    if not isinstance(declared, dict):
        raise LexiError("vars: must be a mapping of name: value", path=path,
                        line=_line_of(text, "vars:"))
    defaults = {str(k): _as_str(v, f"vars.{k}", path, text) for k, v in declared.items()}
    raw = dict(defaults)
    for name, value in (overrides or {}).items():
        if name not in defaults:
            raise LexiError(f"--var {name}: the recipe has no such variable", path=path,
                            hint=f"its variables: {', '.join(defaults) or 'none'}")
        raw[name] = str(value)
    raw.setdefault("recipe_dir", str(path.resolve().parent))
    sub = _Substituter(raw, path, text)
    variables = {name: sub.variable(name) for name in raw}

    steps: list[Step] = []
    for index, entry in enumerate(data["steps"], 1):
        if not isinstance(entry, dict) or "name" not in entry or "run" not in entry:
            raise LexiError(f"step {index} needs at least name: and run:", path=path)
        name = str(entry["name"])
        line = _line_of(text, f"name: {name}")
        if not STEP_NAME.match(name):
            raise LexiError(f"bad step name {name!r}", path=path, line=line,
                            hint="letters, digits, '-', '_' and '.'")
        if any(s.name == name for s in steps):
            raise LexiError(f"two steps are named {name!r}", path=path,
                            line=_line_of(text, f"name: {name}", 2))
        unknown = set(entry) - {"name", "run", "inputs", "outputs", "help"}
        if unknown:
            raise LexiError(f"step {name}: unknown field(s) {', '.join(sorted(unknown))}",
                            path=path, line=line, hint="fields: name, help, run, inputs, outputs")
        run = " ".join(sub.expand(_as_str(entry["run"], "run", path, text)).split())
        try:
            shlex.split(run)
        except ValueError as exc:
            raise LexiError(f"step {name}: cannot split the command line ({exc})", path=path,
                            line=line) from None
        steps.append(Step(
            name=name, run=run,
            inputs=tuple(p for p in (sub.expand(v) for v in
                                     _as_list(entry.get("inputs"), "inputs", path, text)) if p),
            outputs=tuple(p for p in (sub.expand(v) for v in
                                      _as_list(entry.get("outputs"), "outputs", path, text)) if p),
            help=sub.expand(_as_str(entry.get("help"), "help", path, text)),
        ))
    directory = sub.expand(_as_str(data.get("directory", "."), "directory", path, text))
    report = data.get("report")
    return Recipe(
        path=path,
        title=sub.expand(_as_str(data.get("title", path.stem), "title", path, text)),
        description=sub.expand(
            _as_str(data.get("description", ""), "description", path, text)).strip(),
        variables=variables,
        directory=Path(directory or "."),
        steps=tuple(steps),
        report=None if report is None else Path(sub.expand(_as_str(report, "report", path,
                                                                     text))),
        defaults=defaults,
    )
