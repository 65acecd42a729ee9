"""Shared fixtures: where the public reference data is (skipping when it is absent), a
private cache, and the tiny BERT with its toy data that training tests run on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("LEXI_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` (or ``$LEXI_SHARED_DATA``); the test is skipped without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def lexi_home(tmp_path, monkeypatch) -> Path:
    """An empty, private cache directory for the test."""
    home = tmp_path / "lexi-home"
    monkeypatch.setenv("LEXI_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    """(model folder, toy MASSIVE file with train and dev partitions), built once per test
    module (``fixtures.tiny_bert.config_for`` trains on it). A module that needs other
    files (slot markup, a run) defines its own ``tiny``, which takes precedence here."""
    from fixtures.tiny_bert import build_tiny_model, write_toy_data

    root = tmp_path_factory.mktemp("tiny")
    return build_tiny_model(root / "model"), write_toy_data(root / "toy.jsonl")
