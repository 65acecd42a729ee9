"""Run a recipe make-style: a step reruns only when its command or its inputs changed.

The state file ``<directory>/.lexi-recipe-state.json`` records, for every step that
succeeded, its command line and the SHA-256 of each input and output. A step is skipped
when that record matches now and its outputs still exist. The record is written right
after each step succeeds, so an interrupted run resumes at the step that did not finish.
Hashes are remembered with each file's size and mtime so that unchanged large files
(model weights) are not read again.

A step runs in a process group of its own, so that it ends with the runner: Ctrl-C or
SIGTERM to the runner is passed on to the whole group (the step's own children too) and
waited for, and on Linux the kernel sends the step SIGTERM when the runner dies by SIGKILL.
A step stopped either way is not recorded, so the next run runs it again.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lexi.errors import LexiError
from lexi.io import atomic_write, file_sha256
from lexi.recipe.config import Recipe, Step

STATE_FILE = ".lexi-recipe-state.json"
STATE_VERSION = 1
ALL_STEPS = "all"
# Seconds a stopped step's group has to end after Ctrl-C or SIGTERM before it is killed.
STOP_GRACE_S = 10.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class StepOutcome:
    """What happened to one step: ``status`` is ran, skipped, would-run or would-skip.

    ``seconds``: the step's command, start to end (0 when it did not run);
    ``check_seconds``: the runner's own time on the step (deciding whether it runs:
    hashing its inputs and outputs, and recording it after); ``last_seconds``: for a
    step that did not run, how long its command took when it last ran (the state's
    record; None when unknown)."""

    name: str
    status: str
    reason: str
    seconds: float = 0.0
    check_seconds: float = 0.0
    last_seconds: float | None = None


@dataclass
class RecipeState:
    """The state file: per step, the command and input/output hashes of its last success."""

    steps: dict[str, dict] = field(default_factory=dict)
    # path -> [size, mtime_ns, sha256]: a hash is reused while size and mtime are unchanged.
    hashes: dict[str, list] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> RecipeState:
        """The state in ``directory`` (empty when there is none, or of an older version).

        A state file that cannot be read is an error naming it, not a silent reset: the
        file is only ever written whole (atomically), so a damaged one was edited or
        replaced by something else, and forgetting it would rerun every step (hours of
        training, for some recipes) without saying why.
        """
        path = directory / STATE_FILE
        if not path.is_file():
            return cls()
        hint = f"delete {path.name} to start afresh (every step then reruns)"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise LexiError(f"damaged recipe state: {exc.msg}", path=path, line=exc.lineno,
                            hint=hint) from None
        except UnicodeDecodeError:
            raise LexiError("damaged recipe state: not UTF-8 text", path=path,
                            hint=hint) from None
        if not isinstance(data, dict):
            raise LexiError(f"damaged recipe state: expected a JSON object, found "
                            f"{type(data).__name__}", path=path, hint=hint)
        if data.get("version") != STATE_VERSION:
            return cls()
        steps, hashes = data.get("steps", {}), data.get("hashes", {})
        if not _is_table(steps, dict) or not _is_table(hashes, list):
            raise LexiError("damaged recipe state: 'steps' or 'hashes' is not what lexi "
                            "writes", path=path, hint=hint)
        return cls(dict(steps), dict(hashes))

    def save(self, directory: Path) -> None:
        with atomic_write(directory / STATE_FILE) as out:
            json.dump({"version": STATE_VERSION, "steps": self.steps, "hashes": self.hashes},
                      out, indent=2, sort_keys=True)

    def file_hash(self, path: Path) -> str:
        stat = path.stat()
        key = str(path.resolve())
        known = self.hashes.get(key)
        if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            return known[2]
        digest = file_sha256(path)
        self.hashes[key] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest

    def path_hash(self, path: str | Path) -> str | None:
        """SHA-256 of a file, or of a folder's (relative name, file hash) list; None if absent."""
        path = Path(path)
        if path.is_file():
            return self.file_hash(path)
        if path.is_dir():
            digest = hashlib.sha256()
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                digest.update(f"{child.relative_to(path).as_posix()}\0"
                              f"{self.file_hash(child)}\n".encode())
            return "dir:" + digest.hexdigest()
        return None


def _is_table(value: object, kind: type) -> bool:
    """Whether ``value`` is a JSON object whose values are all ``kind``."""
    return isinstance(value, dict) and all(isinstance(v, kind) for v in value.values())


def command_argv(step: Step) -> list[str]:
    """The argv to run: ``lexi ...`` runs with this Python (no console script on PATH needed)."""
    argv = step.argv
    if not argv:
        raise LexiError(f"step {step.name} has an empty command")
    if argv[0] == "lexi":
        return [sys.executable, "-m", "lexi.cli.main", *argv[1:]]
    if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
        raise LexiError(f"step {step.name}: program {argv[0]!r} not found")
    return argv


def why_run(step: Step, state: RecipeState, changed: set[str]) -> str | None:
    """Why ``step`` must run, or None when its last success still holds.

    ``changed`` holds paths that earlier steps will rewrite (used by dry runs, where those
    steps do not actually run).
    """
    record = state.steps.get(step.name)
    if record is None:
        return "never ran"
    if record.get("run") != step.run:
        return "command changed"
    if set(record.get("inputs", {})) != set(step.inputs):
        return "inputs changed"
    for path in step.inputs:
        if path in changed:
            return f"input {path} is rewritten by an earlier step"
        if state.path_hash(path) != record["inputs"][path]:
            return f"input {path} changed"
    for path in step.outputs:
        current = state.path_hash(path)
        if current is None:
            return f"output {path} is missing"
        if current != record.get("outputs", {}).get(path):
            return f"output {path} was modified"
    return None


class StateBook:
    """The state files a recipe's steps are recorded in: the recipe's directory's, and the
    one of each ``state:`` folder (steps shared between recipes, such as one English
    baseline trained for many languages)."""

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe
        self.states: dict[Path, RecipeState] = {}

    def directory(self, step: Step) -> Path:
        return step.state if step.state is not None else self.recipe.directory

    def of(self, step: Step) -> RecipeState:
        directory = self.directory(step)
        if directory not in self.states:
            self.states[directory] = RecipeState.load(directory)
        return self.states[directory]

    def save(self, step: Step) -> None:
        directory = self.directory(step)
        directory.mkdir(parents=True, exist_ok=True)
        self.of(step).save(directory)

    def shared_key(self, step: Step) -> str | None:
        """``DIR::STEP`` for a step recorded outside the recipe's directory, else None."""
        directory = self.directory(step)
        if directory.resolve() == self.recipe.directory.resolve():
            return None
        return f"{directory.resolve()}::{step.name}"


def _check_names(recipe: Recipe, names: Iterable[str], option: str) -> None:
    # A step left out by `when:` is a known name: forcing it is no error, it is not there.
    known = ({s.name for s in recipe.steps} | {s.group for s in recipe.steps} | {ALL_STEPS}
             | {s.name for s in recipe.left_out})
    unknown = set(names) - known
    if unknown:
        raise LexiError(f"{option}: no step named {', '.join(sorted(unknown))}",
                        path=recipe.path, hint=f"steps: {', '.join(recipe.names())}")


@contextmanager
def _error_file() -> Iterator[str]:
    """An empty file a ``lexi`` step writes its error message to (``LEXI_ERROR_FILE``)."""
    fd, path = tempfile.mkstemp(prefix="lexi-step-", suffix=".err")
    os.close(fd)
    try:
        yield path
    finally:
        Path(path).unlink(missing_ok=True)


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While a step runs, SIGTERM raises ``SystemExit(143)`` in the runner instead of
    ending it at once, which would leave the step running with no one to stop it; the
    runner then stops the step, runs its clean-ups and exits with the status a shell
    gives a process ended by SIGTERM.

    Only where SIGTERM has its default action (an embedding program's own handler is left
    alone) and in the main thread, the only one Python lets set handlers.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _die_with_runner() -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks Linux to send the step SIGTERM when the runner dies: a
    SIGKILL gives the runner no chance to stop its step itself. None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: the child only calls it
    runner = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != runner:  # the runner died before the request was made
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def _end_group(process: subprocess.Popen, first: signal.Signals) -> None:
    """Send ``first`` to the step's process group, give it :data:`STOP_GRACE_S` to end,
    then SIGKILL what is left of the group (children the step started, too)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, first)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _stderr_fd() -> int:
    """The runner's stderr as a descriptor the step can inherit: ``sys.stderr``'s, or fd 2
    when ``sys.stderr`` has none (replaced in-process, as by a test's capture)."""
    try:
        sys.stderr.flush()  # what the runner said so far comes before the step's output
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return 2


def run_step_command(argv: list[str], env: dict[str, str],
                     stdout_to_stderr: bool = False) -> int:
    """Run one step's command and wait for it; its exit status (negative: the signal that
    stopped it).

    ``stdout_to_stderr`` sends what the step prints on stdout to the runner's stderr: for
    a runner asked for JSON, whose stdout must hold that one document (``lexi train``
    prints its run folder, for one). Otherwise the step shares the runner's stdout.

    The step gets a process group of its own (``start_new_session``), so the terminal's
    Ctrl-C reaches only the runner, which passes it on to the whole group (the step sees
    the Ctrl-C it would have seen); SIGTERM likewise. After either, the runner goes on
    ending: KeyboardInterrupt, or exit status 143. A runner killed outright takes the step
    with it (Linux).
    """
    with _sigterm_exits():
        process = subprocess.Popen(argv, env=env, start_new_session=True,
                                   stdout=_stderr_fd() if stdout_to_stderr else None,
                                   preexec_fn=_die_with_runner())
        try:
            return process.wait()
        except BaseException as exc:
            _end_group(process, signal.SIGINT if isinstance(exc, KeyboardInterrupt)
                       else signal.SIGTERM)
            raise


def _stopped(returncode: int) -> str:
    """How a step that did not succeed ended, for the error message."""
    if returncode >= 0:
        return f"failed (exit code {returncode})"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = "a signal"
    return f"was stopped by {name} (signal {-returncode}); its outputs are not recorded"


def run_recipe(
    recipe: Recipe, force: Iterable[str] = (), dry_run: bool = False,
    on_event: Callable[[Step, StepOutcome | None, str], None] | None = None,
    until: str | None = None, shared_ran: set[str] | None = None,
    step_stdout_to_stderr: bool = False,
) -> list[StepOutcome]:
    """Run the recipe's steps in order, skipping unchanged ones; returns what happened.

    ``force`` names steps to run regardless (``all`` for every step; a ``foreach`` step's
    name forces all its expansions, ``STEP@VALUE`` one of them). ``on_event`` is called
    with (step, None, reason) before a step runs and (step, outcome, "") after it runs or
    is skipped, for progress display. ``until`` stops after that step (after its last
    expansion; the steps after it are left as they are). A failing step raises
    :class:`LexiError`; the steps before it stay recorded, so the next run resumes there.

    ``shared_ran`` is for several recipes run in a row that share steps (``state:``): the
    shared steps that ran are added to it, and a step already in it is not forced again.
    ``step_stdout_to_stderr``: each step's stdout goes to stderr (see
    :func:`run_step_command`), for a caller that prints JSON on stdout.
    """
    if until is not None and not recipe.steps_of(until):
        recipe.step(until)  # raises, naming the steps
    forced = set(force)
    _check_names(recipe, forced, "--force")
    last = recipe.steps_of(until)[-1].name if until is not None else None
    book = StateBook(recipe)
    outcomes: list[StepOutcome] = []
    changed: set[str] = set()  # outputs a dry run pretends were rewritten
    for step in recipe.steps:
        began = time.monotonic()
        state = book.of(step)
        shared = book.shared_key(step)
        is_forced = (bool(forced & {step.name, step.group, ALL_STEPS})
                     and not (shared is not None and shared_ran is not None
                              and shared in shared_ran))
        reason = "forced" if is_forced else why_run(step, state, changed)
        if reason is None or dry_run:
            # Nothing is executed: the step is up to date, or this is a dry run.
            previous = (state.steps.get(step.name) or {}).get("seconds")
            previous = float(previous) if isinstance(previous, (int, float)) else None
            checked = time.monotonic() - began
            if reason is None:
                outcome = StepOutcome(step.name, "would-skip" if dry_run else "skipped",
                                      "unchanged", 0.0, checked, previous)
            else:
                changed.update(step.outputs)
                outcome = StepOutcome(step.name, "would-run", reason, 0.0, checked, previous)
            outcomes.append(outcome)
            if on_event:
                on_event(step, outcome, "")
            if step.name == last:
                break
            continue
        missing = [p for p in step.inputs if not Path(p).exists()]
        if missing:
            raise LexiError(f"step {step.name}: input {missing[0]} does not exist",
                            path=recipe.path, hint="give its path with --var, or check the "
                            "step that should write it")
        if on_event:
            on_event(step, None, reason)
        # Forget the old record first: if this run is interrupted the step reruns next time.
        state.steps.pop(step.name, None)
        book.save(step)
        started = time.monotonic()
        argv = command_argv(step)
        with _error_file() as error_file:
            env = dict(os.environ, LEXI_RECIPE_STEP=step.name, LEXI_ERROR_FILE=error_file)
            returncode = run_step_command(argv, env, step_stdout_to_stderr)
            why = Path(error_file).read_text(encoding="utf-8", errors="replace").strip()
        seconds = time.monotonic() - started
        if returncode != 0:
            raise LexiError(f"step {step.name} {_stopped(returncode)}"
                            + (f": {why}" if why else ""),
                            path=recipe.path, hint="fix it and rerun: finished steps are skipped")
        absent = [p for p in step.outputs if not Path(p).exists()]
        if absent:
            raise LexiError(f"step {step.name} did not write its output {absent[0]}",
                            path=recipe.path, hint="check the step's outputs: list")
        state.steps[step.name] = {
            "run": step.run,
            "inputs": {p: state.path_hash(p) for p in step.inputs},
            "outputs": {p: state.path_hash(p) for p in step.outputs},
            "seconds": round(seconds, 3),
        }
        book.save(step)
        if shared is not None and shared_ran is not None:
            shared_ran.add(shared)
        outcome = StepOutcome(step.name, "ran", reason, seconds,
                              time.monotonic() - began - seconds)
        outcomes.append(outcome)
        if on_event:
            on_event(step, outcome, "")
        if step.name == last:
            break
    return outcomes


def shell_script(recipe: Recipe) -> str:
    """The same chain as a plain shell script (what the recipe runs, without the skipping)."""
    lines = ["#!/usr/bin/env bash", f"# {recipe.title}", f"# generated from {recipe.path}",
             "set -euo pipefail", ""]
    for step in recipe.listing():
        if not isinstance(step, Step):  # left out by its `when:`: said, not run
            lines += [f"# {step.name}: left out ({step.reason})", ""]
            continue
        lines.append(f"# {step.name}: {step.help}" if step.help else f"# {step.name}")
        lines += [step.run, ""]
    return "\n".join(lines)
