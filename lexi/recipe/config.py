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
or not; empty entries in ``inputs``/``outputs`` are dropped. The substituting itself is
:mod:`lexi.recipe.substitute`'s.

A step with ``foreach: NAME in LIST`` is expanded into one step per value of ``LIST``
(commas or spaces, after substitution), named ``STEP@VALUE``, with ``${NAME}`` set to the
value in its ``run``, ``inputs``, ``outputs`` and ``help``. ``${outputs:STEP}`` in a later
step is the outputs of every expansion of ``STEP``, comma-joined in ``run`` (what
``lexi eval --run NAME=DIR,DIR`` takes) and one entry each in ``inputs``/``outputs``.
``${paths:VAR}`` is ``VAR``'s value in ``run`` (shell words: several paths, quoted where
needed) and one entry per path in ``inputs``/``outputs``, so that a variable holding
several files (the lexicons ``lexi bootstrap`` found) declares each of them as an input.
``state: DIR`` keeps a step's record in ``DIR``'s state file instead of the recipe's, so
that recipes sharing that step's outputs (one English baseline for many languages) share
its record too.

``when: ${var}`` (substituted before ``foreach``) leaves the step and every expansion of it
out when empty or ``false``/``no``/``off``/``0`` (:attr:`Recipe.left_out`); ``when:`` a list
leaves it out when any entry is (``when: ["${unlabelled}", "${second_round}"]``); a later
``${outputs:STEP}`` naming it is dropped with its ``inputs``/``outputs`` entry, or in ``run``
with its whole shell word (``--run=soup=${outputs:soup}``): :mod:`lexi.recipe.optional`.
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
from lexi.recipe.optional import LeftOut, drop_words, is_off, off_reason
from lexi.recipe.substitute import SYNTAX, Substituter, line_of

STEP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# foreach: NAME in LIST
FOREACH = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.*?)\s*$", re.S)
FOREACH_VALUE = re.compile(r"^[A-Za-z0-9_.+-]+$")
# Separates a step's name from its foreach value in the expanded step's name.
EXPANSION_MARK = "@"
STEP_FIELDS = ("name", "help", "run", "inputs", "outputs", "foreach", "state", "when")
BUILTIN_DIR = Path(__file__).with_name("recipes")


@dataclass(frozen=True)
class Step:
    """One command of a recipe.

    ``run`` is the command line after substitution (a ``lexi ...`` command, or any
    program); ``inputs`` are files or folders it reads (their hashes decide whether it
    reruns); ``outputs`` are what it must write.

    A step expanded by ``foreach`` is named ``GROUP@VALUE``: ``group`` is the name written
    in the recipe (``--force GROUP`` and ``--until GROUP`` mean all its expansions) and
    ``value`` its loop value. ``state`` is the folder whose state file records the step
    (``None``: the recipe's directory).
    """

    name: str
    run: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    help: str = ""
    group: str = ""
    value: str | None = None
    state: Path | None = None

    def __post_init__(self) -> None:
        if not self.group:
            object.__setattr__(self, "group", self.name)

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.run)


@dataclass(frozen=True)
class Recipe:
    """A recipe with every variable substituted.

    ``directory`` holds the state file (which steps succeeded, with which inputs);
    ``report`` is the evaluation output folder, when the recipe makes one; ``left_out``:
    the steps whose ``when:`` is off in this run."""

    path: Path
    title: str
    description: str
    variables: dict[str, str]
    directory: Path
    steps: tuple[Step, ...]
    report: Path | None = None
    defaults: dict[str, str] = field(default_factory=dict)
    left_out: tuple[LeftOut, ...] = ()

    def step(self, name: str) -> Step:
        """The step named ``name`` (an expanded ``GROUP@VALUE``, or a step expanded once)."""
        for step in self.steps:
            if step.name == name:
                return step
        absent = next((s for s in self.left_out if s.name == name), None)
        if absent is not None:
            raise LexiError(f"step {name!r} is left out of this run ({absent.reason})",
                            path=self.path)
        expansions = self.steps_of(name)
        if len(expansions) == 1:
            return expansions[0]
        if expansions:
            raise LexiError(f"step {name!r} is expanded into {len(expansions)} steps",
                            path=self.path,
                            hint=f"name one: {', '.join(s.name for s in expansions)}")
        raise LexiError(f"no step {name!r} in this recipe", path=self.path,
                        hint=f"steps: {', '.join(self.names())}")

    def steps_of(self, name: str) -> list[Step]:
        """Every step called ``name`` in the recipe: its ``foreach`` expansions, or itself."""
        return [step for step in self.steps if step.name == name or step.group == name]

    def names(self) -> list[str]:
        """Step names as the recipe writes them, each once (before ``foreach`` expansion)."""
        return list(dict.fromkeys(step.group for step in self.steps))

    def listing(self) -> list[Step | LeftOut]:
        """Every step in recipe order, the ones left out (``when:``) in their places."""
        entries: list[Step | LeftOut] = list(self.steps)
        for absent in reversed(self.left_out):  # the last first: the positions still hold
            entries.insert(absent.position, absent)
        return entries


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


def _as_str(value: object, what: str, path: Path, text: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise LexiError(f"{what} must be a string, got {type(value).__name__}", path=path,
                    line=line_of(text, what.split(".")[-1]))


def _as_list(value: object, what: str, path: Path, text: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [_as_str(v, what, path, text) for v in value]
    raise LexiError(f"{what} must be a list of paths", path=path, line=line_of(text, what))


def _foreach(spec: object, name: str, sub: Substituter, path: Path, text: str,
             line: int | None) -> tuple[str, list[str]]:
    """``foreach: NAME in LIST``: the loop variable and its values (commas or spaces)."""
    match = FOREACH.match(_as_str(spec, "foreach", path, text))
    if not match:
        raise LexiError(f"step {name}: foreach must read 'NAME in LIST'", path=path, line=line,
                        hint="e.g. foreach: train_seed in ${seeds}")
    loop, values = match.group(1), re.split(r"[,\s]+", sub.expand(match.group(2)))
    values = [value for value in values if value]
    if loop in sub.raw:
        raise LexiError(f"step {name}: the foreach variable {loop!r} is also a recipe "
                        "variable", path=path, line=line, hint="give the loop another name")
    if not values:
        raise LexiError(f"step {name}: foreach over an empty list ({match.group(2)!r})",
                        path=path, line=line, hint="give at least one value, e.g. --var seeds=13")
    bad = [value for value in values if not FOREACH_VALUE.match(value)]
    if bad:
        raise LexiError(f"step {name}: foreach value {bad[0]!r} cannot name a step", path=path,
                        line=line, hint="letters, digits, '_', '.', '+' and '-'")
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise LexiError(f"step {name}: foreach lists {repeated[0]!r} twice", path=path,
                        line=line)
    return loop, values


def _check_refs(entry: dict, sub: Substituter) -> None:
    """A step left out must name existing variables and steps too: a typo is an error."""
    loop = FOREACH.match(str(entry.get("foreach", "")))
    fields = " ".join(str(entry.get(key) or "") for key in ("run", "inputs", "outputs", "help"))
    for match in SYNTAX.finditer(fields):
        if match.group(2) is not None:
            sub.outputs_of(match.group(2))
        elif (match.group(1) or match.group(3)) not in (None, loop and loop.group(1)):
            sub.variable(match.group(1) or match.group(3))


def _step(entry: dict, name: str, value: str | None, sub: Substituter, path: Path, text: str,
          line: int | None) -> Step:
    """One step of the recipe (one expansion of a ``foreach`` step), substituted."""
    full = name if value is None else f"{name}{EXPANSION_MARK}{value}"

    def names_left_out(word: str) -> bool:  # ${outputs:STEP} of a step `when:` left out
        return any(m.group(2) in sub.left_out for m in SYNTAX.finditer(word) if m.group(2))

    written = drop_words(_as_str(entry["run"], "run", path, text), names_left_out)
    run = " ".join(sub.expand(written).split())
    try:
        shlex.split(run)
    except ValueError as exc:
        raise LexiError(f"step {full}: cannot split the command line ({exc})", path=path,
                        line=line) from None

    def entries(field_name: str) -> tuple[str, ...]:
        raw = _as_list(entry.get(field_name), field_name, path, text)
        return tuple(p for v in raw for p in sub.expand_entry(v) if p)

    state = sub.expand(_as_str(entry.get("state"), "state", path, text))
    return Step(name=full, run=run, inputs=entries("inputs"), outputs=entries("outputs"),
                help=sub.expand(_as_str(entry.get("help"), "help", path, text)),
                group=name, value=value, state=Path(state) if state else None)


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
                        line=line_of(text, "vars:"))
    defaults = {str(k): _as_str(v, f"vars.{k}", path, text) for k, v in declared.items()}
    raw = dict(defaults)
    for name, value in (overrides or {}).items():
        if name not in defaults:
            raise LexiError(f"--var {name}: the recipe has no such variable", path=path,
                            hint=f"its variables: {', '.join(defaults) or 'none'}")
        raw[name] = str(value)
    raw.setdefault("recipe_dir", str(path.resolve().parent))
    sub = Substituter(raw, path, text)
    variables = {name: sub.variable(name) for name in raw}

    sub.refs = {}  # step name -> outputs of all its expansions, for ${outputs:STEP}
    steps: list[Step] = []
    left_out: list[LeftOut] = []
    for index, entry in enumerate(data["steps"], 1):
        if not isinstance(entry, dict) or "name" not in entry or "run" not in entry:
            raise LexiError(f"step {index} needs at least name: and run:", path=path)
        name = str(entry["name"])
        line = line_of(text, f"name: {name}")
        if not STEP_NAME.match(name):
            raise LexiError(f"bad step name {name!r}", path=path, line=line,
                            hint="letters, digits, '-', '_' and '.'")
        if name in sub.refs or name in sub.left_out:
            raise LexiError(f"two steps are named {name!r}", path=path,
                            line=line_of(text, f"name: {name}", 2))
        unknown = set(entry) - set(STEP_FIELDS)
        if unknown:
            raise LexiError(f"step {name}: unknown field(s) {', '.join(sorted(unknown))}",
                            path=path, line=line, hint=f"fields: {', '.join(STEP_FIELDS)}")
        if "when" in entry:
            # One condition, or a list of them that must all be on (a second round needs
            # both the pool and the option): the first one off says why.
            raw = entry["when"]
            conditions = [_as_str(condition, "when", path, text)
                          for condition in (raw if isinstance(raw, list) else [raw])]
            off = next(((written, value) for written in conditions
                        if is_off(value := sub.expand(written))), None)
            if off is not None:
                _check_refs(entry, sub)
                left_out.append(LeftOut(name, off_reason(*off), len(steps)))
                sub.left_out.add(name)
                continue
        expansions = [(sub, None)]
        if "foreach" in entry:
            loop, values = _foreach(entry["foreach"], name, sub, path, text, line)
            expansions = [(sub.with_value(loop, value), value) for value in values]
        group: list[Step] = []
        for step_sub, value in expansions:
            group.append(_step(entry, name, value, step_sub, path, text, line))
        sub.refs[name] = [out for step in group for out in step.outputs]
        steps += group
    sub.refs = None
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
        left_out=tuple(left_out),
    )
