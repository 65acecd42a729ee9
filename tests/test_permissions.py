"""Files lexi writes get the modes the umask gives any other file: a run directory or a
lexicon store written under umask 022 is readable by another user or a container."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from lexi.io import atomic_write, ordinary_permissions
from lexi.lexicon import import_lexicon, merge_lexicons
from lexi.model.config import TrainConfig
from lexi.model.train import train

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import build_tiny_model, write_toy_data  # noqa: E402

SMALL = Path(__file__).parent / "fixtures" / "lexicon" / "small.tsv"


@pytest.fixture
def umask():
    """Set the umask for one test (and put the old one back)."""
    old = os.umask(0o022)
    yield lambda value: os.umask(value)
    os.umask(old)


def modes(root: Path) -> dict[str, str]:
    """Relative path → octal mode of everything under ``root`` (``root`` itself as ``.``)."""
    return {str(p.relative_to(root)): oct(stat.S_IMODE(p.stat().st_mode))
            for p in (root, *root.rglob("*"))}


def expected(root: Path, file_mode: int, dir_mode: int) -> dict[str, str]:
    return {str(p.relative_to(root)): oct(dir_mode if p.is_dir() else file_mode)
            for p in (root, *root.rglob("*"))}


@pytest.mark.parametrize("mask, file_mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_lexicon_stores_follow_the_umask(tmp_path, umask, mask, file_mode):
    umask(mask)
    store = tmp_path / "en-sw.sqlite"
    import_lexicon("tsv", [SMALL], store, tgt="sw")
    merged = tmp_path / "merged.sqlite"
    merge_lexicons([store, SMALL], merged)
    assert oct(stat.S_IMODE(store.stat().st_mode)) == oct(file_mode)
    assert oct(stat.S_IMODE(merged.stat().st_mode)) == oct(file_mode)


def test_a_run_directory_is_readable_by_others(tmp_path, umask):
    model = build_tiny_model(tmp_path / "model")
    data = write_toy_data(tmp_path / "toy.jsonl")
    run = tmp_path / "run"
    train(TrainConfig(data=[str(data)], dev=str(data), output=str(run), model=str(model),
                      epochs=1, max_steps=2, batch_size=8, device="cpu", threads=1))
    assert (run / "head.safetensors").is_file() and (run / "run.json").is_file()
    # No blank peft model-card template in the adapter: the run's README.md is the card.
    assert (run / "README.md").is_file() and not (run / "adapter" / "README.md").exists()
    assert modes(run) == expected(run, 0o644, 0o755)


def test_ordinary_permissions_keeps_executables_and_follows_the_umask(tmp_path, umask):
    folder = tmp_path / "f"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "data.bin").write_bytes(b"x")
    (folder / "tool.sh").write_text("#!/bin/sh\n")
    os.chmod(folder / "tool.sh", 0o700)
    for item in (folder / "sub" / "data.bin", folder / "sub", folder):
        os.chmod(item, 0o700 if item.is_dir() else 0o600)
    ordinary_permissions(folder)
    assert modes(folder) == {".": "0o755", "sub": "0o755", "sub/data.bin": "0o644",
                             "tool.sh": "0o755"}
    with atomic_write(tmp_path / "out.txt") as handle:
        handle.write("x")
    assert oct(stat.S_IMODE((tmp_path / "out.txt").stat().st_mode)) == "0o644"
