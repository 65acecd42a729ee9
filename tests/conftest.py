"""Shared fixtures: where the public reference data is, and skipping when it is absent."""

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
