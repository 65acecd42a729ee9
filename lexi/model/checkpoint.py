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

from lexi.data.outputs import same_path
from lexi.errors import LexiError
from lexi.io import file_sha256, staged_dir
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


# Settings that a resumed run may take from the new command: where and how fast it runs,
# and when it stops early. None of them changes what the epochs already trained would have
# been, so the resumed run is still the uninterrupted run of the new command. Every other
# setting must be the checkpoint's (the data by content: a file may have moved).
FREE_ON_RESUME = ("device", "threads", "eval_batch_size", "patience")
# What the command does with the run directory, not how the model is trained.
RUN_ACTIONS = ("output", "resume", "overwrite")
# Settings that name a file or folder: the same when spelt otherwise (relative, a link).
PATH_SETTINGS = ("model", "synth", "teacher")
# The data is compared by content (its SHA-256), recorded in ``last.pt``, not by name.
DATA_SETTINGS = ("data", "dev")


def data_fingerprint(config: TrainConfig) -> dict[str, list[str] | str | None]:
    """The SHA-256 of each training file (in order) and of the dev file: ``last.pt`` keeps
    it so that ``--resume`` can tell a moved file from a changed one."""
    return {"data": [file_sha256(path) for path in config.data],
            "dev": file_sha256(config.dev) if config.dev else None}


def read_checkpoint(checkpoint_dir: Path) -> dict:
    """``last.pt`` as saved; a damaged or foreign file is an error naming it."""
    path = checkpoint_dir / "last.pt"
    try:
        saved = torch.load(path, map_location="cpu", weights_only=False)
        if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
            raise ValueError(f"expected lexi's checkpoint record, found {type(saved).__name__}")
    except Exception as exc:  # a truncated or foreign file: torch raises many kinds
        raise LexiError(f"the checkpoint is damaged ({type(exc).__name__}: {exc})", path=path,
                        hint="it cannot be resumed; train again with --overwrite") from None
    return saved


def check_continuation(saved: dict, config: TrainConfig, fingerprint: dict,
                       checkpoint_dir: Path) -> None:
    """Refuse to resume a checkpoint under settings other than its own: the optimizer
    state, the schedule and the epochs already run belong to them, and ``run.json`` would
    record settings that made only part of the run. The message names each setting that
    differs, with the checkpoint's value and the new one."""
    differences = _setting_differences(saved["config"], config)
    differences += _data_differences(saved.get("data_sha256"), fingerprint, config)
    if differences:
        free = ", ".join(_option(name) for name in FREE_ON_RESUME)
        raise LexiError(
            "the checkpoint was trained with other settings: " + "; ".join(differences),
            path=checkpoint_dir,
            hint="resume with the checkpoint's settings (only " + free + " may change), or "
            "start a new run: another -o, or --overwrite without --resume")


def _setting_differences(old_values: dict, config: TrainConfig) -> list[str]:
    """``--lr: 0.01 in the checkpoint, 0.02 now`` for each setting that differs."""
    try:
        old = TrainConfig.from_dict(old_values)
    except LexiError as exc:  # written by another version, with values this one refuses
        raise LexiError(f"the checkpoint's settings are not valid here: {exc.message}",
                        hint="resume it with the lexi version that started it") from None
    found = []
    for name in TrainConfig.__dataclass_fields__:
        if name in (*FREE_ON_RESUME, *RUN_ACTIONS, *DATA_SETTINGS):
            continue
        # The learning rate as used: no --lr and the method's default are the same rate.
        before, now = ((old.learning_rate, config.learning_rate) if name == "lr"
                       else (getattr(old, name), getattr(config, name)))
        if before == now or (name in PATH_SETTINGS and before is not None
                             and now is not None and same_path(before, now)):
            continue
        found.append(f"{_option(name)}: {_shown(before)} in the checkpoint, {_shown(now)} now")
    return found


def _data_differences(old: dict | None, now: dict, config: TrainConfig) -> list[str]:
    """The data files whose content is not the checkpoint's (by SHA-256); nothing to say
    for a checkpoint written before lexi recorded it."""
    if not isinstance(old, dict):
        return []
    found = []
    if old.get("data") != now["data"]:
        before, after = old.get("data") or [], now["data"]
        changed = [path for i, path in enumerate(config.data)
                   if i >= len(before) or before[i] != after[i]]
        what = (f"{', '.join(changed)} changed since the checkpoint" if changed and
                len(before) == len(after) else
                f"{len(before)} file(s) in the checkpoint, {len(after)} now")
        found.append(f"--data: {what} (by SHA-256)")
    if old.get("dev") != now["dev"]:
        found.append(f"--dev: {config.dev or 'none'} is not the checkpoint's dev file "
                     "(by SHA-256)")
    return found


def _option(name: str) -> str:
    """The command-line spelling of a setting (``batch_size`` → ``--batch-size``)."""
    return "-o" if name == "output" else "--" + name.replace("_", "-")


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def resume(saved: dict, labels: list[str], slot_labels: list[str], model: nn.Module,
           optimizer, scheduler, state: LoopState, checkpoint_dir: Path) -> LoopState:
    """Restore the model, optimizer, scheduler and random state from ``saved`` (``last.pt``,
    checked by :func:`check_continuation`), and the counters into ``state``; refuses a
    checkpoint of other labels or slot tags (other data, in a checkpoint that does not
    record the data's hashes)."""
    if saved.get("labels") != labels or saved.get("slot_labels", []) != slot_labels:
        raise LexiError("the checkpoint was trained with other labels or slot tags",
                        path=checkpoint_dir, hint="resume with the same data")
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
               epoch: int, improved: bool, fingerprint: dict | None = None) -> None:
    """After ``epoch`` (main process): the model into ``best`` if it ``improved``, then
    ``last.pt``. Both are written aside and renamed (:func:`lexi.io.staged_dir`,
    :func:`lexi.io.atomic_write`): a kill never leaves half a file, and the previous best
    stays until the new one is complete."""
    best = checkpoint_dir / "best"
    # A kill during an earlier save left its staging folder (or the old best on its way
    # out) beside ``best``: this folder is the run's own, written by this process alone, so
    # every such leftover is stale, and each is a whole model's size.
    for leftover in checkpoint_dir.glob(f".{best.name}.*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if improved:
        with staged_dir(best) as staging:
            save_model(model, labels, staging, slot_labels)
    save_last(checkpoint_dir, model, optimizer, scheduler, config, labels, state.history,
              epoch, state.best_epoch, state.best_accuracy, state.stale, state.global_step,
              state.retries, slot_labels, fingerprint)
