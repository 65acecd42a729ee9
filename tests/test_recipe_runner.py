"""The recipe runner with cheap steps: substitution, skip, force, dry run, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lexi.errors import LexiError
from lexi.recipe.config import builtin_recipes, load_recipe
from lexi.recipe.runner import STATE_FILE, run_recipe, shell_script

REPO = Path(__file__).resolve().parents[1]

# Three cheap lexi commands: write the demo data, convert it, convert the conversion.
RECIPE = """\
title: cheap chain for ${lang}
vars:
  lang: sw
  work: WORKDIR
  data: ${{work}}/data
  to: tsv
directory: ${{work}}
steps:
  - name: data
    help: demo data
    run: lexi demo-data --overwrite -o ${{data}}
    outputs:
      - ${{data}}/sw-KE.jsonl
  - name: convert
    run: lexi data convert --overwrite ${{data}}/sw-KE.jsonl ${{work}}/sw.${{to}} --to ${{to}}
    inputs:
      - ${{data}}/sw-KE.jsonl
    outputs:
      - ${{work}}/sw.${{to}}
  - name: back
    run: lexi data convert --overwrite ${{work}}/sw.${{to}} ${{work}}/back.jsonl --to massive
    inputs:
      - ${{work}}/sw.${{to}}
    outputs:
      - ${{work}}/back.jsonl
"""


@pytest.fixture
def recipe_file(tmp_path) -> Path:
    path = tmp_path / "chain.yml"
    path.write_text(RECIPE.replace("{{", "{").replace("}}", "}")
                    .replace("WORKDIR", str(tmp_path / "work")))
    return path


def statuses(outcomes) -> dict[str, str]:
    return {o.name: o.status for o in outcomes}


def test_substitution_nested_variables_and_overrides(recipe_file, tmp_path):
    recipe = load_recipe(recipe_file, {"to": "csv"})
    assert recipe.title == "cheap chain for sw"
    assert recipe.variables["data"] == f"{tmp_path}/work/data"
    convert = recipe.step("convert")
    assert convert.run.endswith(f"{tmp_path}/work/sw.csv --to csv")
    assert convert.outputs == (f"{tmp_path}/work/sw.csv",)
    assert recipe.directory == tmp_path / "work"


@pytest.mark.parametrize("text, message, line", [
    ("vars: {a: x}\nsteps:\n  - name: s\n    run: echo ${b}\n", r"undefined variable \$\{b\}", 4),
    ("vars: {a: '${b}', b: '${a}'}\nsteps: []\n", "cycle", None),
    ("steps:\n  - name: s\n    run: a\n  - name: s\n    run: b\n", "two steps are named 's'", 4),
    ("steps:\n  - name: s\n    run: a\n    input: [x]\n", "unknown field", 2),
    ("steps: [\n", "not valid YAML", None),
])
def test_recipe_errors_name_file_and_line(tmp_path, text, message, line):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(LexiError, match=message) as info:
        load_recipe(path)
    assert info.value.path == str(path)
    if line is not None:
        assert info.value.line == line


def test_a_variable_of_several_paths_lists_each_as_an_input(tmp_path):
    """${paths:VAR}: the value as shell words in run:, one entry per path in inputs:, so a
    change in any of the files reruns the step."""
    files = [tmp_path / "a.txt", tmp_path / "b c.txt"]
    for path in files:
        path.write_text(f"{path.name}\n")
    recipe_path = tmp_path / "paths.yml"
    recipe_path.write_text(f"""\
vars:
  files: {files[0]} '{files[1]}'
  none: ""
directory: {tmp_path / "work"}
steps:
  - name: join
    run: cat ${{files}}
    inputs:
      - ${{paths:files}}
      - ${{paths:none}}
    outputs: []
""")
    recipe = load_recipe(recipe_path)
    step = recipe.step("join")
    assert step.run == f"cat {files[0]} '{files[1]}'"
    assert step.argv == ["cat", str(files[0]), str(files[1])]
    assert step.inputs == (str(files[0]), str(files[1]))  # the empty variable adds none
    assert statuses(run_recipe(recipe)) == {"join": "ran"}
    assert statuses(run_recipe(recipe)) == {"join": "skipped"}
    files[1].write_text("changed\n")
    assert run_recipe(recipe, dry_run=True)[0].reason == f"input {files[1]} changed"
    with pytest.raises(LexiError, match=r"\$\{paths:none\}: cannot split") as info:
        load_recipe(recipe_path, {"none": "'unclosed"})
    assert info.value.line == 10


def test_unknown_override_is_refused(recipe_file):
    with pytest.raises(LexiError, match="no such variable"):
        load_recipe(recipe_file, {"lnag": "tr"})


def test_run_skip_change_force_and_dry_run(recipe_file, tmp_path):
    work = tmp_path / "work"
    recipe = load_recipe(recipe_file)
    assert statuses(run_recipe(recipe, dry_run=True)) == dict.fromkeys(
        ("data", "convert", "back"), "would-run")
    assert not work.exists()  # a dry run runs nothing

    assert statuses(run_recipe(recipe)) == dict.fromkeys(("data", "convert", "back"), "ran")
    back = (work / "back.jsonl").read_text()
    assert back.count("\n") == 90
    state = json.loads((work / STATE_FILE).read_text())
    assert set(state["steps"]) == {"data", "convert", "back"}

    assert statuses(run_recipe(recipe)) == dict.fromkeys(("data", "convert", "back"), "skipped")

    # An edited output reruns its step; the steps after it compare content, and the demo
    # data step writes the same bytes again, so they stay skipped.
    data_file = work / "data" / "sw-KE.jsonl"
    data_file.write_text("\n".join(data_file.read_text().splitlines()[:10]) + "\n")
    outcomes = run_recipe(recipe)
    assert statuses(outcomes) == {"data": "ran", "convert": "skipped", "back": "skipped"}
    assert outcomes[0].reason == f"output {data_file} was modified"
    assert (work / "back.jsonl").read_text() == back

    forced = run_recipe(recipe, force=["convert"])
    # convert rewrites identical bytes, so back stays skipped (make-like, by content).
    assert statuses(forced) == {"data": "skipped", "convert": "ran", "back": "skipped"}
    assert forced[1].reason == "forced"

    # A deleted output reruns its step; a dry run says so and that downstream follows.
    (work / "sw.tsv").unlink()
    planned = run_recipe(recipe, dry_run=True)
    assert statuses(planned) == {"data": "would-skip", "convert": "would-run",
                                 "back": "would-run"}
    assert planned[1].reason == f"output {work}/sw.tsv is missing"
    assert "rewritten by an earlier step" in planned[2].reason

    # A changed command (a variable) reruns the steps that use it.
    other = load_recipe(recipe_file, {"to": "csv"})
    assert statuses(run_recipe(other)) == {"data": "skipped", "convert": "ran", "back": "ran"}

    with pytest.raises(LexiError, match="no step named nope"):
        run_recipe(recipe, force=["nope"])

    # --until stops after a step; the rest are left alone.
    assert statuses(run_recipe(recipe, force=["all"], until="convert")) == {
        "data": "ran", "convert": "ran"}
    with pytest.raises(LexiError, match="no step 'nope'"):
        run_recipe(recipe, until="nope")


def test_failed_step_resumes_after_the_fix(tmp_path):
    work = tmp_path / "work"
    path = tmp_path / "r.yml"
    text = f"""\
vars:
  src: {tmp_path}/missing.jsonl
directory: {work}
steps:
  - name: data
    run: lexi demo-data -o {work}/data
    outputs: [{work}/data/en-US.jsonl]
  - name: convert
    run: lexi data convert --overwrite ${{src}} {work}/out.tsv --to tsv
    inputs: ["${{src}}"]
    outputs: [{work}/out.tsv]
"""
    path.write_text(text)
    with pytest.raises(LexiError, match="missing.jsonl does not exist"):
        run_recipe(load_recipe(path))
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n")
    with pytest.raises(LexiError, match=r"step convert failed \(exit code 2\): .*broken"):
        run_recipe(load_recipe(path, {"src": str(broken)}))  # says why: the step's error
    assert "convert" not in json.loads((work / STATE_FILE).read_text())["steps"]
    source = tmp_path / "source.jsonl"
    source.write_text((work / "data" / "en-US.jsonl").read_text())
    recipe = load_recipe(path, {"src": str(source)})
    assert statuses(run_recipe(recipe)) == {"data": "skipped", "convert": "ran"}
    assert statuses(run_recipe(recipe)) == {"data": "skipped", "convert": "skipped"}
    source.write_text("\n".join(source.read_text().splitlines()[:5]) + "\n")
    outcomes = run_recipe(recipe)
    assert statuses(outcomes) == {"data": "skipped", "convert": "ran"}
    assert outcomes[1].reason == f"input {source} changed"
    assert (work / "out.tsv").read_text().count("\n") == 6  # header + 5 rows


def test_a_step_that_does_not_write_its_output_fails(tmp_path):
    path = tmp_path / "r.yml"
    path.write_text(f"directory: {tmp_path}/w\nsteps:\n  - name: s\n    run: lexi --version\n"
                    f"    outputs: [{tmp_path}/w/never]\n")
    with pytest.raises(LexiError, match="did not write its output"):
        run_recipe(load_recipe(path))


# A step that writes half its output, records its pid (and its own child's), then works
# on for two minutes: long enough to be stopped in the middle.
SLOW_STEP = """\
import os, subprocess, sys, time
from pathlib import Path
output, pids, with_child = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "child"
found = [os.getpid()]
if with_child:
    found.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]).pid)
output.write_text("half of it")
pids.with_suffix(".tmp").write_text(" ".join(map(str, found)))
pids.with_suffix(".tmp").rename(pids)
time.sleep(120)
"""


def slow_recipe(tmp_path: Path, with_child: bool) -> Path:
    """A recipe of one slow step (:data:`SLOW_STEP`) writing ``work/out.txt``."""
    script = tmp_path / "slow_step.py"
    script.write_text(SLOW_STEP)
    work = tmp_path / "work"
    path = tmp_path / "slow.yml"
    path.write_text(f"directory: {work}\nsteps:\n  - name: slow\n"
                    f"    run: {sys.executable} {script} {work}/out.txt {tmp_path}/pids "
                    f"{'child' if with_child else 'alone'}\n"
                    f"    outputs: [{work}/out.txt]\n")
    return path


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_until(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PDEATHSIG")
@pytest.mark.parametrize("how, runner_status, with_child", [
    (signal.SIGTERM, 128 + signal.SIGTERM, True),  # kill PID, systemd, a job scheduler
    (signal.SIGINT, 130, True),  # Ctrl-C: only the runner's group hears it
    (signal.SIGKILL, -signal.SIGKILL, False),  # nothing runs in the runner: the kernel's part
], ids=["SIGTERM", "SIGINT", "SIGKILL"])
def test_a_stopped_runner_takes_its_step_along_and_records_nothing(
        tmp_path, how, runner_status, with_child):
    """``lexi recipe run`` stopped in the middle of a step (issue 16, item 7) leaves no step
    running (nor a child the step started, for the signals the runner sees) and its
    half-written output is not taken as done: the next run runs the step again."""
    recipe = slow_recipe(tmp_path, with_child)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runner = subprocess.Popen(
        [sys.executable, "-m", "lexi.cli.main", "recipe", "run", str(recipe)], cwd=REPO,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        # A runner started in the background may inherit an ignored SIGINT: not this one.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    pids_file = tmp_path / "pids"
    try:
        assert wait_until(pids_file.exists), runner.communicate(timeout=5)[0]
        pids = [int(pid) for pid in pids_file.read_text().split()]
        assert all(alive(pid) for pid in pids)
        runner.send_signal(how)
        output = runner.communicate(timeout=60)[0]
        assert runner.returncode == runner_status, output
        assert wait_until(lambda: not any(alive(pid) for pid in pids), 30), \
            f"left running: {[pid for pid in pids if alive(pid)]}"
    finally:
        if runner.poll() is None:
            runner.kill()
        for pid in (int(p) for p in pids_file.read_text().split()) if pids_file.exists() \
                else ():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert "lexi/recipe/runner.py" not in output  # no traceback of the runner's own
    assert (tmp_path / "work" / "out.txt").read_text() == "half of it"
    state = json.loads((tmp_path / "work" / STATE_FILE).read_text())
    assert "slow" not in state["steps"]
    planned = run_recipe(load_recipe(recipe), dry_run=True)
    assert [(o.status, o.reason) for o in planned] == [("would-run", "never ran")]


def _one_python_step(tmp_path: Path, name: str, code: str) -> Path:
    """A recipe (``tmp_path/r.yml``, folder ``tmp_path/work``) of one step ``name`` that
    runs ``code`` as a script with ``tmp_path/out.txt``, its output, as argument."""
    script = tmp_path / f"{name}.py"
    script.write_text(code)
    path = tmp_path / "r.yml"
    path.write_text(f"directory: {tmp_path}/work\nsteps:\n  - name: {name}\n"
                    f"    run: {sys.executable} {script} {tmp_path}/out.txt\n"
                    f"    outputs: [{tmp_path}/out.txt]\n")
    return path


def test_a_step_killed_midway_is_an_error_and_not_recorded(tmp_path):
    """A step ended by a signal (the OOM killer's SIGKILL, say) after writing part of its
    output: the run fails naming the signal, and the output is not recorded as done."""
    work = tmp_path / "work"
    path = _one_python_step(tmp_path, "s", "import os, signal, sys\n"
                            "open(sys.argv[1], 'w').write('half')\n"
                            "os.kill(os.getpid(), signal.SIGKILL)\n")
    with pytest.raises(LexiError, match=r"step s was stopped by SIGKILL \(signal 9\); its "
                       "outputs are not recorded"):
        run_recipe(load_recipe(path))
    assert (tmp_path / "out.txt").read_text() == "half"
    assert json.loads((work / STATE_FILE).read_text())["steps"] == {}
    assert [o.reason for o in run_recipe(load_recipe(path), dry_run=True)] == ["never ran"]


def test_with_json_stdout_is_the_document_and_the_steps_print_to_stderr(tmp_path):
    """`lexi recipe run --json > out.json` is valid JSON: a step's own stdout (`lexi train`
    prints its run folder) goes to stderr then; without --json it stays on stdout, for
    shell chaining."""
    path = _one_python_step(tmp_path, "chatty", "import sys\n"
                            "print('chatty step was here', flush=True)\n"
                            "open(sys.argv[1], 'w').write('done')\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def lexi(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "lexi.cli.main", *args], cwd=REPO,
                              env=env, capture_output=True, text=True, timeout=120)

    as_json = lexi("recipe", "run", str(path), "--json")
    assert as_json.returncode == 0, as_json.stderr
    outcomes = json.loads(as_json.stdout)  # the whole of stdout, nothing before or after
    assert [(o["name"], o["status"]) for o in outcomes] == [("chatty", "ran")]
    assert "chatty step was here" in as_json.stderr
    plain = lexi("recipe", "run", str(path), "--force", "all")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == "chatty step was here\n"
    assert "chatty step was here" not in plain.stderr


def test_shell_script_runs_the_same_chain(recipe_file, tmp_path):
    recipe = load_recipe(recipe_file)
    script = shell_script(recipe)
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "lexi").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lexi.cli.main "$@"\n')
    (bin_dir / "lexi").chmod(0o755)
    result = subprocess.run(["bash", "-c", script], env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "work" / "back.jsonl").read_text().count("\n") == 90


@pytest.mark.parametrize("name", ["demo", "massive", "sib200"])
def test_builtin_recipes_load_and_end_with_an_evaluation(name):
    assert name in builtin_recipes()
    recipe = load_recipe(name)
    assert recipe.steps[-1].name == "eval"
    assert recipe.report is not None
    assert all(str(recipe.report) in out for out in recipe.steps[-1].outputs)
    names = recipe.names()
    assert names.index("train-baseline") < names.index("train-augmented") < names.index("eval")
    # One training seed by default: each training step is expanded once.
    assert [s.name for s in recipe.steps_of("train-baseline")] == ["train-baseline@13"]
    assert "--run baseline=" in recipe.step("eval").run


def test_repository_recipes_are_the_packaged_ones():
    repo_dir = Path(__file__).resolve().parents[1] / "recipes"
    for name, path in builtin_recipes().items():
        assert (repo_dir / f"{name}.yml").read_text() == path.read_text()
