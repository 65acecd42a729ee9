"""Scoring (dev evaluation, `lexi eval`, `lexi predict --data`) draws a progress bar on a
terminal, and none in a pipe or for a couple of batches."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import torch
from rich.console import Console
from rich.progress import Progress

import lexi.console
from lexi.model import classifier

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import build_tiny_model  # noqa: E402


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    folder = build_tiny_model(tmp_path_factory.mktemp("progress") / "model")
    encoder = classifier.load_encoder(str(folder))
    return classifier.EncoderClassifier(encoder, num_labels=3).eval()


def screen(monkeypatch, terminal: bool) -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(lexi.console, "console",
                        Console(file=out, force_terminal=terminal, width=120))
    return out


TOKENS = [[2, 5 + i % 7, 6, 3] for i in range(40)]


def test_a_bar_with_rows_on_a_terminal(tiny_model, monkeypatch):
    out = screen(monkeypatch, terminal=True)
    logits = classifier.evaluate_logits(tiny_model, TOKENS, 0, torch.device("cpu"), 8)
    assert logits.shape == (40, 3)
    drawn = out.getvalue()
    assert "scoring" in drawn and "40/40" in drawn and "rows" in drawn


def test_no_bar_in_a_pipe_or_for_a_few_rows(tiny_model, monkeypatch):
    out = screen(monkeypatch, terminal=False)
    classifier.evaluate_logits(tiny_model, TOKENS, 0, torch.device("cpu"), 8)
    assert out.getvalue() == ""
    out = screen(monkeypatch, terminal=True)
    classifier.evaluate_logits(tiny_model, TOKENS[:8], 0, torch.device("cpu"), 8)
    assert "scoring" not in out.getvalue()


def test_scoring_while_another_bar_is_live(tiny_model, monkeypatch):
    """Rich stacks live displays (older versions refuse: then scoring draws nothing)."""
    screen(monkeypatch, terminal=True)
    with Progress(console=lexi.console.console, transient=True) as training:
        training.add_task("epoch 1/1", total=1)
        logits = classifier.evaluate_logits(tiny_model, TOKENS, 0, torch.device("cpu"), 8)
    assert logits.shape == (40, 3)
