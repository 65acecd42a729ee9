"""Checkpoints and ``--resume``: where the loop stands, saved after every epoch, and read back.

After each epoch the main process writes ``checkpoint/last.pt`` (the trainable weights,
the optimizer, scheduler and random state, and the loop's counters) and, when the epoch
is the best so far, the model into ``checkpoint/best``. ``lexi train --resume`` reads
``last.pt`` back and continues from the next epoch, exactly as if never interrupted.
The file names and the run layout are in :mod:`lexi.model.run`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from lexi.errors import LexiError
from lexi.io import replace_dir
from lexi.model.classifier import EncoderClassifier
from lexi.model.config import TrainConfig
from lexi.model.run import save_last, save_model


@dataclass
class LoopState:
    """The loop's counters: what ``last.pt`` keeps besides the weights and optimizer."""

    history: list[dict[str, float]] = field(default_factory=list)
    retries: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_accuracy: float | tuple[float, float] = -1.0
    """The best :func:`lexi.model.selection.selection_score` so far."""
    stale: int = 0
    """Epochs since the last improvement (early stopping after ``--patience``)."""
    global_step: int = 0
    first_epoch: int = 0


def resume(checkpoint_dir: Path, config: TrainConfig, labels: list[str], slot_labels: list[str],
           model: nn.Module, optimizer, scheduler, state: LoopState) -> LoopState:
    """Restore the model, optimizer, scheduler and random state from ``last.pt``, and the
    counters into ``state``; refuses a checkpoint of other labels, tags, model or method."""
    path = checkpoint_dir / "last.pt"
    try:
        saved = torch.load(path, map_location="cpu", weights_only=False)
        if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
            raise ValueError(f"expected lexi's checkpoint record, found {type(saved).__name__}")
    except Exception as exc:  # a truncated or foreign file: torch raises many kinds
        raise LexiError(f"the checkpoint is damaged ({type(exc).__name__}: {exc})", path=path,
                        hint="it cannot be resumed; train again with --overwrite") from None
    if saved.get("labels") != labels or saved["config"].get("model") != config.model \
            or saved["config"].get("method") != config.method \
            or saved.get("slot_labels", []) != slot_labels:
        raise LexiError("the checkpoint was trained with other labels, slot tags, model "
                        "or method",
                        path=checkpoint_dir, hint="resume with the same data and --model")
    model.load_state_dict(saved["trainable"], strict=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["torch_rng"])
    state.history, state.best_epoch = saved["history"], saved["best_epoch"]
    state.best_accuracy = saved["best_accuracy"]
    state.stale, state.global_step = saved["stale"], saved["global_step"]
    state.first_epoch = saved["epoch"] + 1
    state.retries = saved.get("retries", [])
    return state


def save_epoch(checkpoint_dir: Path, model: EncoderClassifier, optimizer, scheduler,
               config: TrainConfig, labels: list[str], slot_labels: list[str], state: LoopState,
               epoch: int, improved: bool) -> None:
    """After ``epoch`` (main process): the model into ``best`` if it ``improved``, then
    ``last.pt``. Both are written aside and renamed: a kill never leaves half a file."""
    if improved:
        staging = checkpoint_dir / "best.tmp"
        if staging.exists():
            shutil.rmtree(staging)
        save_model(model, labels, staging, slot_labels)
        replace_dir(staging, checkpoint_dir / "best")
    save_last(checkpoint_dir, model, optimizer, scheduler, config, labels, state.history,
              epoch, state.best_epoch, state.best_accuracy, state.stale, state.global_step,
              state.retries, slot_labels)
