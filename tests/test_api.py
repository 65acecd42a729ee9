"""Notebook use: ``import lexi`` is fast and exposes the chain as functions; the library
logs through ``logging``; ``lexi bootstrap demo`` says where it writes."""

from __future__ import annotations

import importlib
import json
import logging
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import lexi

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import build_tiny_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
API = ["synthesize", "train", "TrainConfig", "evaluate", "load_predictor", "predict", "export",
       "import_lexicon", "load_lexicon", "demo_data", "resolve_language"]


def test_import_lexi_is_fast_and_loads_nothing_heavy():
    code = ("import sys, time; t = time.perf_counter(); import lexi; "
            "print(time.perf_counter() - t); "
            "print(sorted(m for m in ('torch', 'transformers', 'typer', 'rich', 'peft') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    seconds, heavy = done.stdout.splitlines()
    assert heavy == "[]"


def test_the_api_is_listed_and_callable():
    assert set(API) <= set(dir(lexi)) and set(API) <= set(lexi.__all__)
    for name in API:
        assert callable(getattr(lexi, name)), name
    importlib.import_module("lexi.evaluate.metrics")  # binds lexi.evaluate to the package
    assert callable(lexi.evaluate)
    assert lexi.evaluate.metrics is sys.modules["lexi.evaluate.metrics"]


def test_the_chain_from_a_notebook(tmp_path, caplog):
    demo = lexi.demo_data(tmp_path / "demo")
    store = tmp_path / "en-sw.sqlite"
    report = lexi.import_lexicon("tsv", [demo.lexicon], store, tgt="Swahili")
    assert report.rows > 0 and lexi.load_lexicon(store).translations("alarm")
    summary = lexi.synthesize(str(demo.source), str(tmp_path / "synth.jsonl"), [str(store)],
                              split="train", locale="swahili")
    assert summary.rows_written > 0
    first = json.loads((tmp_path / "synth.jsonl").read_text().splitlines()[0])
    assert first["locale"] == "sw-KE"
    model = build_tiny_model(tmp_path / "model")
    with caplog.at_level(logging.INFO, logger="lexi"):
        result = lexi.train(data=str(demo.source), output=str(tmp_path / "run"),
                            model=str(model), epochs=1, max_steps=3, batch_size=8,
                            device="cpu", threads=1)
    said = [r for r in caplog.records if r.name.startswith("lexi.")]
    assert any("no --dev" in r.getMessage() and r.levelno == logging.WARNING for r in said)
    assert any(r.getMessage().startswith("epoch 1:") for r in said)
    assert result.run_dir == tmp_path / "run"
    rows = lexi.predict(result.run_dir, ["amka saa kumi"], top_k=2)
    assert len(rows) == 1 and len(rows[0]["top_k"]) == 2
    evaluation = lexi.evaluate(result.run_dir, demo.target, tmp_path / "report", split="all")
    assert (tmp_path / "report" / "report.html").is_file()
    assert evaluation.baseline.metrics.n == sum(1 for _ in open(demo.target))


def test_bootstrap_demo_says_where_it_writes(tmp_path, monkeypatch):
    from lexi.cli.main import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    default = runner.invoke(app, ["bootstrap", "demo", "--dry-run"])
    assert default.exit_code == 0, default.output
    said = " ".join(default.stderr.split())
    assert f"writing into {tmp_path / 'lexi-demo'} (choose another with -o DIR)" in said
    chosen = runner.invoke(app, ["bootstrap", "demo", "--dry-run", "-o", "out/demo"])
    assert f"writing into {tmp_path / 'out' / 'demo'}" in " ".join(chosen.stderr.split())
    old = runner.invoke(app, ["bootstrap", "demo", "--dry-run", "--work", "old"])
    assert old.exit_code == 0 and "--work is deprecated" in " ".join(old.stderr.split())
    assert f"writing into {tmp_path / 'old'}" in " ".join(old.stderr.split())


def test_the_cli_shows_the_library_log_on_stderr(capsys):
    from lexi.console import log_to_console

    logger = logging.getLogger("lexi")
    before = (list(logger.handlers), logger.level, logger.propagate)
    try:
        log_to_console()
        log_to_console()  # once only
        logging.getLogger("lexi.model.train").warning("no --dev: %s", "a warning")
        logging.getLogger("lexi.model.train").info("epoch 1: a line")
        logging.getLogger("lexi.model.train").debug("hidden")
        err = capsys.readouterr().err
        assert err.count("no --dev: a warning") == 1 and "epoch 1: a line" in err
        assert "hidden" not in err
    finally:
        logger.handlers[:], logger.propagate = before[0], before[2]
        logger.setLevel(before[1])
