"""The docs run as written: the README's chain is the default recipe, and every command
block of README.md and docs/*.md parses against the real CLI and uses only files that exist.

Each ``lexi`` command in a shell block is parsed by the command's own click parser (an
unknown command or option, a missing argument or a bad value fails), and every file it
reads must be in the repository, be written by an earlier command on the same page (the
README's chain counts for every page), or lie under ``../shared/data`` -- and then the
block says so with a ``# needs ../shared/data`` line. A block that downloads says
``# needs the network``. Nothing is trained here: the test stays fast. Transcripts
(``$ command`` followed by its output) that need neither are run, and their output must
still be what the page shows. Inline ``lexi ...`` code in the prose must name real
commands and options.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.main import get_command

from lexi.cli.main import app
from lexi.recipe.config import load_recipe
from lexi.recipe.runner import shell_script

REPO = Path(__file__).resolve().parents[1]
DATA = "../shared/data"
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
ROOT = get_command(app)
NEEDS_DATA = "# needs ../shared/data"
NEEDS_NETWORK = "# needs the network"
# The marks a reader sees: a comment that says what the block needs.
MARKS = {NEEDS_DATA: re.compile(r"#[^\n]*\bneeds\b[^\n]*\.\./shared/data"),
         NEEDS_NETWORK: re.compile(r"#[^\n]*\bneeds the network")}
SUBST = "@SUBSTITUTED@"
SHELLS = {"", "bash", "sh", "shell", "console"}
# Parameters whose values are files or folders a command reads ("target" is read by
# bootstrap, written by `data convert`).
INPUTS = {"data", "dev", "source", "target", "lexicon", "lexicons", "slot_lexicon", "unimorph",
          "table", "morph_model", "run", "teacher", "config_file", "synth", "predictions",
          "agree", "pool", "path", "paths", "dataset", "data_dir", "train", "test", "catalog"}
OUTPUTS = {"output", "summary_json"}


def test_readme_chain_is_the_massive_recipe():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A real language, step by step"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    marked = [line.split("  # recipe")[0] for line in block.splitlines()
              if line.endswith("# recipe")]
    recipe = load_recipe("massive", {"data_root": DATA, "work": "sw",
                                     "target": f"{DATA}/massive/sw-KE.partial.jsonl"})
    generated = [line.replace(DATA, "$D") for line in shell_script(recipe).splitlines()
                 if line.startswith("lexi ")]
    assert marked == generated


# --- reading the pages -------------------------------------------------------------------


@dataclass
class Block:
    page: Path
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"

    @property
    def transcript(self) -> bool:
        return any(line.startswith("$ ") for line in self.text.splitlines())

    def commands(self) -> list[str]:
        """Logical command lines: continuations joined; in a transcript only ``$`` lines."""
        out: list[str] = []
        lines = self.text.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if self.transcript:
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            while line.rstrip().endswith("\\") and i < len(lines):
                line = line.rstrip()[:-1] + " " + lines[i].strip()
                i += 1
            if line.strip() and not line.lstrip().startswith("#"):
                out.append(line.strip())
        return out


def fences(page: Path) -> list[tuple[str, Block]]:
    """(language, block) for every fenced block of a page."""
    text = page.read_text(encoding="utf-8")
    return [(match.group(1), Block(page, text[:match.start()].count("\n") + 1, match.group(2)))
            for match in re.finditer(r"^```([\w-]*)[^\n]*\n(.*?)^```", text, re.S | re.M)]


def blocks(page: Path) -> list[Block]:
    """Command blocks: shell blocks, and untagged blocks that are transcripts (``$ ...``);
    other untagged blocks show output."""
    return [block for language, block in fences(page)
            if language in SHELLS - {""} or (language == "" and block.transcript)]


def is_command(line: str) -> bool:
    """Whether a logical line is a command this test reads (not output or prose)."""
    first = line.split()[0]
    return (first in ("lexi", "python", "python3", "torchrun", "pip", "pip3", "for", "do",
                      "done", "set", "cat", "cd", "printf", "echo")
            or first.endswith(("/python", "/pip")) or bool(re.fullmatch(r"\w+=\S*", first)))


def _substitutions(line: str) -> tuple[str, list[str]]:
    """``line`` with each ``$(...)`` replaced by a placeholder, and the inner commands."""
    inner, out, i = [], [], 0
    while i < len(line):
        if line.startswith("$(", i):
            depth, j = 1, i + 2
            while j < len(line) and depth:
                depth += {"(": 1, ")": -1}.get(line[j], 0)
                j += 1
            inner.append(line[i + 2:j - 1])
            out.append(SUBST)
            i = j
        else:
            out.append(line[i])
            i += 1
    return "".join(out), inner


def _expand(line: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), f"@{m.group(1)}@"), line)


def segments(line: str, env: dict[str, str]) -> list[tuple[list[str], list[str]]]:
    """Simple commands of a line as (words, files redirected to), variables expanded."""
    lexer = shlex.shlex(_expand(line, env), posix=True, punctuation_chars=";&|<>()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    out, words, written = [], [], []
    tokens = list(lexer)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in (">", ">>"):
            written.append(tokens[i + 1])
            i += 2
            continue
        if token in ("&&", "||", "|", ";", "(", ")", "<"):
            if words:
                out.append((words, written))
            words, written = [], []
            i += 1
            continue
        words.append(token)
        i += 1
    if words:
        out.append((words, written))
    return out


# --- checking one lexi command -------------------------------------------------------------


@dataclass
class Page:
    """What the commands of a page have written so far, and what they needed."""

    written: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    needs_data: bool = False
    needs_network: bool = False

    def wrote(self, path: str) -> None:
        self.written.append(os.path.normpath(path))

    def has(self, path: str) -> bool:
        path = os.path.normpath(path)
        if any(c in path for c in "*?["):
            return any(fnmatch.fnmatch(w, path) for w in self.written) or any(
                REPO.glob(path))
        return (REPO / path).exists() or any(
            path == w or path.startswith(w + os.sep) for w in self.written)


def _values(name: str, value, page: Page) -> list[str]:
    """The paths in a parameter's value: ``--run NAME=DIR,DIR`` names several (a value that
    is a path as a whole is taken whole, as ``lexi eval`` does)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if item is None or isinstance(item, bool):
            continue
        text = str(item)
        if name not in ("run", "predictions") or page.has(text):
            out.append(text)
            continue
        text = text.split("=", 1)[1] if "=" in text else text
        out.extend(part for part in text.split(",") if part)
    return out


class NoCommand(Exception):
    def format_message(self) -> str:
        return str(self)


def parse_lexi(args: list[str]) -> tuple[str, dict, set[str]]:
    """(command path, parameters, hidden option spellings) as the CLI parses ``args``;
    raises click's errors (or :class:`NoCommand`)."""
    command, path = ROOT, ["lexi"]
    while hasattr(command, "commands"):
        while args and args[0].startswith("-"):
            args = args[1:]  # root options: --debug
        if not args or args[0] not in command.commands:
            raise NoCommand(f"no command {' '.join(path[1:] + args[:1])!r}")
        command, path, args = command.commands[args[0]], [*path, args[0]], args[1:]
    ctx = command.make_context(" ".join(path), list(args))
    hidden = {o for p in command.get_params(ctx) if getattr(p, "hidden", False)
              for o in p.opts}
    return " ".join(path), ctx.params, hidden


def check_lexi(args: list[str], page: Page, where: str) -> None:
    try:
        path, params, hidden = parse_lexi(args)
    except Exception as exc:  # noqa: BLE001 (click's errors: usage, missing, bad value)
        if not hasattr(exc, "format_message"):
            raise
        page.problems.append(f"{where}: `lexi {' '.join(args)}`: {exc.format_message()}")
        return
    for word in args:
        if word.split("=", 1)[0] in hidden:
            page.problems.append(f"{where}: `{path}`: {word} is a deprecated spelling")
    for name, value in params.items():
        reads = name in INPUTS and not (path == "lexi data convert" and name == "target")
        reads = reads and not (path == "lexi fetch" and name == "source")  # a source id
        if path == "lexi recipe run" or path == "lexi recipe show":
            reads = reads or (name == "recipe" and ("/" in value or value.endswith(".yml")))
        for item in _values(name, value, page):
            if item == "-" or SUBST in item:
                continue
            if name in OUTPUTS or (path == "lexi data convert" and name == "target"):
                page.wrote(item)
            elif reads:
                if os.path.normpath(item).startswith(os.path.normpath(DATA)):
                    page.needs_data = True
                elif not page.has(item):
                    page.problems.append(
                        f"{where}: `{path}` reads {item!r}, which is not in the repository, "
                        "not written by an earlier command on the page and not under "
                        f"{DATA}")
    if path == "lexi train" and params.get("model") not in (None, "default") \
            and not page.has(params["model"]):
        page.needs_network = True  # a Hugging Face id
    if path == "lexi fetch" and not params.get("offline"):
        page.needs_network = True
    if path in ("lexi bootstrap", "lexi recipe run"):
        # What the chain writes: -o, else the recipe's folder (``work``).
        variables = dict(v.split("=", 1) for v in params.get("var") or [] if "=" in v)
        recipe = params["recipe"] if path == "lexi recipe run" else (
            "demo" if params["lang"] == "demo" else None)
        folder = params.get("output") or variables.get("work")
        if folder is None and recipe is not None:
            try:
                folder = str(load_recipe(recipe, variables).directory)
            except Exception:  # noqa: BLE001 (a recipe file the page writes itself)
                folder = None
        if folder:
            page.wrote(folder)
        if variables.get("baseline_dir"):  # the English baseline's folder, shared by languages
            page.wrote(variables["baseline_dir"])


def check_command(words: list[str], page: Page, where: str) -> None:
    head = words[0]
    if head == "lexi":
        check_lexi(words[1:], page, where)
    elif head in ("python", "python3") or head.endswith("/python"):
        if words[1:2] == ["-m"]:
            module = words[2]
            if module == "lexi.cli.main":
                check_lexi(words[3:], page, where)
            elif importlib.util.find_spec(module) is None:
                page.problems.append(f"{where}: no module {module}")
            if "--download" in words:
                page.needs_network = True
        elif not (REPO / words[1]).is_file():
            page.problems.append(f"{where}: no script {words[1]}")
    elif head == "torchrun" and "-m" in words:
        at = words.index("-m")
        check_command(["python", *words[at:]], page, where)
    elif head in ("pip", "pip3") or head.endswith("/pip"):
        page.needs_network = True


def marked(block: Block, need: str) -> bool:
    return bool(MARKS[need].search(block.text))


def unrolled(lines: list[str], env: dict[str, str]):
    """The lines, a ``for V in A B C; do ... done`` loop's body once per value (``V`` set)."""
    i = 0
    while i < len(lines):
        loop = re.fullmatch(r"for (\w+) in (.+?);\s*do\s*(.*)", lines[i])
        if loop is None:
            yield lines[i]
            i += 1
            continue
        body, i = ([loop.group(3)] if loop.group(3) else []), i + 1
        while i < len(lines) and not lines[i].startswith("done"):
            body.append(lines[i])
            i += 1
        i += 1
        for value in shlex.split(_expand(loop.group(2), env)):
            env[loop.group(1)] = value
            yield from body


def check_block(block: Block, page: Page, env: dict[str, str]) -> None:
    page.needs_data = page.needs_network = False
    for line in unrolled(block.commands(), env):
        if not is_command(line):
            continue
        line, inner = _substitutions(line)
        try:
            inner_segments = [s for command in inner for s in segments(command, env)]
            line_segments = segments(line, env)
        except ValueError as exc:
            page.problems.append(f"{block.where}: cannot read {line!r} as shell: {exc}")
            continue
        for words, _ in inner_segments:
            check_command(words, page, block.where)
        for words, written in line_segments:
            while words and words[0] in ("do", "then", "else", "time"):
                words = words[1:]
            if not words or words[0] in ("done", "fi", "set", "cd", "export"):
                continue
            if words[0] == "for" and len(words) > 3 and words[2] == "in":
                env[words[1]] = words[3]
                continue
            while words and re.fullmatch(r"\w+=.*", words[0]):
                name, value = words[0].split("=", 1)
                env[name] = value
                words = words[1:]
            if words:
                check_command(words, page, block.where)
            for path in written:
                page.wrote(path)
        if DATA in _expand(line, env):
            page.needs_data = True
    if page.needs_data and not marked(block, NEEDS_DATA):
        page.problems.append(f"{block.where}: uses {DATA}; say so with a `{NEEDS_DATA}` line")
    if page.needs_network and not marked(block, NEEDS_NETWORK):
        page.problems.append(f"{block.where}: downloads; say so with a `{NEEDS_NETWORK}` line")


def check_page(path: Path, page: Page) -> Page:
    """Every command block of a page, in order, as one shell session would run them."""
    env: dict[str, str] = {}
    for block in blocks(path):
        check_block(block, page, env)
    for language, block in fences(path):
        first = block.text.split("\n", 1)[0]
        if language == "" and first.startswith("lexi ") and not block.transcript:
            page.problems.append(f"{block.where}: commands in an untagged block: tag it "
                                 "```bash (or show a transcript with `$ `)")
    return page


def readme_state() -> Page:
    return check_page(REPO / "README.md", Page())


@pytest.mark.parametrize("page_path", PAGES, ids=lambda p: p.name)
def test_every_command_block_runs_as_written(page_path):
    written = readme_state().written if page_path.name != "README.md" else []
    page = check_page(page_path, Page(written=list(written)))
    assert page.problems == []


def test_the_checker_catches_what_went_stale():
    page = Page()
    bad = Block(REPO / "docs" / "x.md", 1, "lexi evaluate --run runs/a --data sw.jsonl\n"
                "lexi synth --source en-US.jsonl --lexicon en-sw.tsv -o out.jsonl\n"
                "lexi data stats ../shared/data/massive/en-US.jsonl --split all\n"
                "lexi predict --run runs/en --input x.jsonl\n")
    check_block(bad, page, {})
    said = "\n".join(page.problems)
    assert "no command 'evaluate'" in said
    assert "'en-US.jsonl'" in said and "'en-sw.tsv'" in said
    assert NEEDS_DATA in said
    assert "--input is a deprecated spelling" in said
    good = Page()
    check_block(Block(REPO / "docs" / "y.md", 1,
                      "lexi demo-data -o demo\nlexi data stats demo/en-US.jsonl --split all\n"
                      "lexi lexicon import tsv demo/en-sw.tsv --tgt Swahili -o sw.sqlite\n"
                      "lexi lexicon lookup sw.sqlite alarm\n"), good, {})
    assert good.problems == []


# --- transcripts and prose -----------------------------------------------------------------


def transcripts():
    for page in PAGES:
        for block in blocks(page):
            if block.transcript and not marked(block, NEEDS_DATA) \
                    and not marked(block, NEEDS_NETWORK):
                yield block


@pytest.mark.parametrize("block", list(transcripts()), ids=lambda b: b.where)
def test_transcripts_still_say_what_they_show(block, tmp_path):
    for entry in REPO.iterdir():
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    lines = block.text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        shown = []
        for following in lines[i + 1:]:
            if following.startswith("$ "):
                break
            shown.append(following)
        words = shlex.split(line[2:])
        if words[0] != "lexi":
            continue  # only lexi's own transcripts are run
        done = subprocess.run([sys.executable, "-m", "lexi.cli.main", *words[1:]],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"})
        said = " ".join((done.stdout + done.stderr).split())
        for expected in shown:
            pattern = r"\s*".join(re.escape(part) for part in expected.split())
            pattern = pattern.replace(re.escape("..."), ".*").replace(re.escape("…"), ".*")
            assert re.search(pattern, said), f"{block.where}: {expected!r} not in {said!r}"


def inline_commands():
    for page in PAGES:
        text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
        for match in re.finditer(r"`(lexi [^`]+)`", text):
            yield page, " ".join(match.group(1).split())


def inline_problems() -> list[str]:
    problems = []
    for page, code in inline_commands():
        code = re.split(r"\s(?:\||&&|;|>)\s", code)[0]
        try:
            words = shlex.split(code)[1:]
        except ValueError:
            words = code.split()[1:]
        command, path = ROOT, "lexi"
        while hasattr(command, "commands") and words and not words[0].startswith("-"):
            if words[0] not in command.commands:
                if words[0].isidentifier() and words[0].islower() and path == "lexi":
                    problems.append(f"{page.name}: `{code}`: no command {words[0]!r}")
                break
            command, path, words = command.commands[words[0]], f"{path} {words[0]}", words[1:]
        ctx = command.make_context(path, [], resilient_parsing=True)
        known = {o for p in command.get_params(ctx) for o in (*p.opts, *p.secondary_opts)}
        for word in words:
            option = word.split("=", 1)[0]
            if re.fullmatch(r"--?[a-zA-Z][\w-]*", option) and option not in known:
                problems.append(f"{page.name}: `{code}`: `{path}` has no option {option}")
    return problems


def test_inline_commands_name_real_commands_and_options():
    assert inline_problems() == []
