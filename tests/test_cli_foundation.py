"""The CLI surface of the foundation: help, version, doctor, data commands, error lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lexi import __version__

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.fresh_python import modules_after  # noqa: E402


def run_lexi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lexi.cli.main", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def test_help_and_version():
    result = run_lexi("--help")
    assert result.returncode == 0
    assert "data" in result.stdout and "doctor" in result.stdout
    version = run_lexi("--version")
    assert version.stdout.strip() == f"lexi {__version__}"


def test_doctor_json_reports_versions():
    result = run_lexi("doctor", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["libraries"]["torch"]
    assert report["cpu_threads"] >= 1


def test_bad_input_is_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "utt": "hi", "intent": "greet", "annot_utt": "[hi"}\n')
    result = run_lexi("data", "stats", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}:1: unbalanced '['" in " ".join(result.stderr.split())
    debug = run_lexi("--debug", "data", "stats", str(bad))
    assert "Traceback" in debug.stderr


def test_stats_and_convert_chain_through_stdin(tmp_path):
    src = tmp_path / "test.tsv"
    src.write_text("index_id\tcategory\ttext\n1\tsports\tGoal!\n2\ttravel\tA [bracket] trip\n")
    converted = run_lexi("data", "convert", str(src), "-", "--to", "massive")
    assert converted.returncode == 0, converted.stderr
    stats = run_lexi("data", "stats", "-", "--json", stdin=converted.stdout)
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["rows"] == 2 and data["labels"] == {"sports": 1, "travel": 1}


def test_modules_of_names_what_registers_each_command():
    """`lexi NAME ...` imports only ``MODULES_OF[NAME]``: the table must name, for every
    top-level command and group, the modules that register it and its subcommands."""
    from lexi.cli.main import COMMAND_MODULES, MODULES_OF, app

    registered = {command.name: {command.callback.__module__}
                  for command in app.registered_commands}
    for group in app.registered_groups:
        registered[group.name] = {command.callback.__module__
                                  for command in group.typer_instance.registered_commands}
    assert set(MODULES_OF) == set(registered)
    for name, modules in registered.items():
        assert {m.removeprefix("lexi.cli.") for m in modules} <= set(MODULES_OF[name]), name
        assert f"lexi.cli.{MODULES_OF[name][0]}" in modules, name  # the first registers it
    assert {m for ms in MODULES_OF.values() for m in ms} == set(COMMAND_MODULES)


def test_one_command_imports_only_its_own_modules():
    loaded = modules_after("from lexi.cli.main import main\ntry:\n    main(['synth', '--help'])\n"
                           "except SystemExit as exc:\n    assert not exc.code\n")
    assert "lexi.cli.synth" in loaded
    assert not loaded & {"lexi.cli.train", "lexi.cli.evaluate", "lexi.evaluate",
                         "lexi.cli.languages"}


def test_root_help_lists_every_command_after_one_command_ran():
    """A process that ran one command (a test, a notebook) and then shows the root help
    lists the commands in the same order as a fresh one."""
    code = ("from typer.testing import CliRunner\nfrom lexi.cli.main import load_commands\n"
            "load_commands(['fetch', '--help']); load_commands(['synth'])\n"
            "app = load_commands()\n"
            "print(CliRunner().invoke(app, ['--help'], terminal_width=100).output)")
    after = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=120)
    fresh = subprocess.run([sys.executable, "-c", code.replace(
        "load_commands(['fetch', '--help']); load_commands(['synth'])\n", "")],
        capture_output=True, text=True, timeout=120)
    assert after.returncode == 0 and fresh.returncode == 0, after.stderr + fresh.stderr
    assert after.stdout == fresh.stdout and "synth" in fresh.stdout
