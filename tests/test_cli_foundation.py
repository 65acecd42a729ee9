"""The CLI surface of the foundation: help, version, doctor, data commands, error lines."""

from __future__ import annotations

import json
import subprocess
import sys

from lexi import __version__


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
