"""The run directory: its layout, the files a finished or failed run holds, the model card.

A run directory is complete when ``run.json`` exists: it is written last, atomically.
While training, ``checkpoint/last.pt`` (state after each epoch, for ``--resume``) and
``checkpoint/best/`` (the selected model so far) are replaced atomically, so a crash
leaves a run that is resumable and never one that looks finished.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lexi.errors import LexiError
from lexi.io import atomic_write, file_sha256, ordinary_permissions
from lexi.model.classifier import EncoderClassifier
from lexi.model.config import TrainConfig
from lexi.model.devices import Distributed, use_cpu_bf16, versions
from lexi.model.fastpath import uses_fast_dropout
from lexi.model.stability import Divergence, DivergenceGuard

RUN_FILE = "run.json"
CHECKPOINT_DIR = "checkpoint"
ADAPTER_DIR = "adapter"  # a peft adapter of the encoder (LoRA runs)
ADAPTER_CONFIG = "adapter_config.json"  # its settings (rank, alpha, modules), as peft writes them
ENCODER_DIR = "encoder"  # the whole fine-tuned encoder (full fine-tuning runs)
HEAD_FILE = "head.safetensors"
LABELS_FILE = "labels.json"
SLOT_HEAD_FILE = "slot_head.safetensors"  # intent+slots runs: the token-level BIO head
SLOT_LABELS_FILE = "slot_labels.json"  # its tag order (O, B-x, I-x, ...)
# What a finished run's model is made of (those present): moved into place, or removed.
MODEL_ITEMS = (ADAPTER_DIR, ENCODER_DIR, HEAD_FILE, LABELS_FILE, SLOT_HEAD_FILE,
               SLOT_LABELS_FILE)


@dataclass
class TrainResult:
    """What a finished training run produced."""

    run_dir: Path
    best_epoch: int
    metrics: dict[str, float]
    """Dev metrics of the selected epoch (``dev_accuracy``, ``dev_loss``), plus train figures."""
    history: list[dict[str, float]] = field(default_factory=list)
    """One entry per epoch: train loss, dev accuracy and loss, samples/s, seconds."""
    labels: list[str] = field(default_factory=list)
    steps: int = 0
    retries: list[dict] = field(default_factory=list)
    """Divergences that were retried: step, kind, reason, the step restored, the new lr scale."""
    train_rows: int = 0
    dev_rows: int = 0
    wall_time_s: float = 0.0
    peak_memory_bytes: int = 0
    slot_labels: list[str] = field(default_factory=list)
    """The slot head's BIO tags (``intent+slots`` runs); empty for intent-only runs."""


def save_model(model: EncoderClassifier, labels: list[str], directory: Path,
               slot_labels: list[str] | None = None) -> None:
    """Adapter (or whole encoder), head and label map into ``directory``, new or empty
    (a staging folder), and the slot head with its tag list, for a model that has one."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    if hasattr(model.encoder, "peft_config"):
        model.encoder.save_pretrained(directory / ADAPTER_DIR)
        # peft's blank model-card template; the run's own README.md describes the run.
        (directory / ADAPTER_DIR / "README.md").unlink(missing_ok=True)
    else:
        model.encoder.save_pretrained(directory / ENCODER_DIR)
    head = {k: v.detach().float().cpu().contiguous() for k, v in model.head.state_dict().items()}
    save_file(head, str(directory / HEAD_FILE))
    (directory / LABELS_FILE).write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n",
                                         encoding="utf-8")
    if model.slot_head is not None:
        slot_head = {k: v.detach().float().cpu().contiguous()
                     for k, v in model.slot_head.state_dict().items()}
        save_file(slot_head, str(directory / SLOT_HEAD_FILE))
        (directory / SLOT_LABELS_FILE).write_text(
            json.dumps(slot_labels or [], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    ordinary_permissions(directory)  # safetensors writes its files 0600


def load_run_into(model: EncoderClassifier, run_dir: str | Path, config: TrainConfig,
                  labels: list[str], slot_labels: list[str]) -> None:
    """Start ``model`` from a finished run's weights (``TrainConfig.init``): its LoRA adapter,
    intent head and, when both have one, slot head. Refuses a run of other labels, slot tags
    or adapter settings, or a full fine-tuning run, naming what differs."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    run_dir = Path(run_dir)
    hint = ("--init takes the -o folder of a finished lexi train with the same labels and "
            "LoRA settings")
    if not (run_dir / RUN_FILE).is_file():
        raise LexiError("--init: not a finished lexi run", path=run_dir, hint=hint)
    if not hasattr(model.encoder, "peft_config") or not (run_dir / ADAPTER_DIR).is_dir():
        raise LexiError("--init works with LoRA runs only (both this run and the one it "
                        "starts from)", path=run_dir, hint=hint)
    own = json.loads((run_dir / LABELS_FILE).read_text(encoding="utf-8"))
    if own != labels:
        raise LexiError(f"--init: the run has {len(own)} labels, this data {len(labels)}, or "
                        "another order", path=run_dir / LABELS_FILE, hint=hint)
    their_slots = (json.loads((run_dir / SLOT_LABELS_FILE).read_text(encoding="utf-8"))
                   if (run_dir / SLOT_LABELS_FILE).is_file() else [])
    if slot_labels and their_slots != slot_labels:
        raise LexiError("--init: the run was trained with other slot tags (or none)",
                        path=run_dir, hint=hint)
    adapter = read_adapter_config(run_dir)
    wanted = {"r": config.lora_r, "lora_alpha": config.lora_alpha,
              "target_modules": sorted(config.target_modules)}
    found = {"r": adapter.get("r"), "lora_alpha": adapter.get("lora_alpha"),
             "target_modules": sorted(adapter.get("target_modules") or [])}
    if found != wanted:
        differences = ", ".join(f"{key} {found[key]} (this run: {wanted[key]})"
                                for key in wanted if found[key] != wanted[key])
        raise LexiError(f"--init: the run's adapter differs: {differences}", path=run_dir,
                        hint="an averaged run's adapter has the summed rank; start from one "
                        "of the trained runs it averages")
    state = load_file(str(run_dir / ADAPTER_DIR / "adapter_model.safetensors"))
    result = set_peft_model_state_dict(model.encoder, state)
    missing = [key for key in getattr(result, "unexpected_keys", []) if "lora_" in key]
    if missing:  # a key of the file the model has no place for: nothing silently dropped
        raise LexiError(f"--init: {len(missing)} adapter tensors do not fit this model "
                        f"(e.g. {missing[0]})", path=run_dir, hint=hint)
    model.head.load_state_dict(load_file(str(run_dir / HEAD_FILE)))
    if model.slot_head is not None and their_slots:
        model.slot_head.load_state_dict(load_file(str(run_dir / SLOT_HEAD_FILE)))


def read_adapter_config(run_dir: str | Path) -> dict:
    """The LoRA settings of a run (its ``adapter/adapter_config.json``, as peft wrote it):
    a :class:`LexiError` naming the file when it is missing, unreadable or not LoRA's."""
    path = Path(run_dir) / ADAPTER_DIR / ADAPTER_CONFIG
    if not path.is_file():
        raise LexiError("the LoRA adapter's configuration is missing: not a complete run",
                        path=path, hint="retrain the run, or restore the file")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise LexiError(f"unreadable adapter configuration: {exc}", path=path) from None
    if not isinstance(config, dict) or not config.get("r") or "lora_alpha" not in config:
        raise LexiError("not a LoRA adapter configuration (no r / lora_alpha)", path=path)
    return config


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().cpu().clone() for n, p in model.named_parameters() if p.requires_grad}


def check_run_dir(config: TrainConfig) -> None:
    """Refuse to resume nothing, or to overwrite a run by accident (every process checks)."""
    run_dir = config.run_dir
    last = run_dir / CHECKPOINT_DIR / "last.pt"
    if run_dir.exists() and not run_dir.is_dir():
        raise LexiError("is a file; the run directory must be a folder", path=run_dir,
                        hint="choose another -o")
    holds_files = run_dir.is_dir() and any(run_dir.iterdir())
    if config.resume:
        if (run_dir / RUN_FILE).exists():
            raise LexiError("this run is already complete; nothing to resume", path=run_dir,
                            hint="train into a new -o directory")
        if not last.exists():
            # (Stopped before its first epoch ended, or never started: nothing to keep.)
            raise LexiError("no checkpoint to resume from", path=run_dir,
                            hint="start the run again: drop --resume"
                            + (" and pass --overwrite" if holds_files else ""))
    elif holds_files and not config.overwrite:
        resumable = last.exists() and not (run_dir / RUN_FILE).exists()
        raise LexiError("the run directory exists and is not empty", path=run_dir,
                        hint="pass --overwrite to replace it"
                        + (", --resume to continue it" if resumable else ""))


def prepare_run_dir(config: TrainConfig) -> None:
    """A fresh run directory (rank 0 only, after every process has checked)."""
    if config.resume:
        return
    if config.run_dir.exists():
        shutil.rmtree(config.run_dir)
    (config.run_dir / CHECKPOINT_DIR).mkdir(parents=True)


def save_last(checkpoint_dir: Path, model: nn.Module, optimizer, scheduler, config: TrainConfig,
               labels: list[str], history: list[dict[str, float]], epoch: int, best_epoch: int,
               best_accuracy: float | tuple[float, float], stale: int, global_step: int,
               retries: list[dict], slot_labels: list[str] | None = None,
               data_sha256: dict | None = None) -> None:
    """``last.pt``: what ``--resume`` continues from, and what it checks the new command
    against (the settings, and ``data_sha256``: the data's content)."""
    state = {
        "trainable": trainable_state(model), "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(), "torch_rng": torch.get_rng_state(),
        "config": config.to_dict(), "labels": labels, "history": history, "epoch": epoch,
        "best_epoch": best_epoch, "best_accuracy": best_accuracy, "stale": stale,
        "global_step": global_step, "retries": retries, "slot_labels": slot_labels or [],
        "data_sha256": data_sha256,
    }
    with atomic_write(checkpoint_dir / "last.pt", "wb") as handle:
        torch.save(state, handle)


def run_record(config: TrainConfig, model_path: str, labels: list[str], dist_env: Distributed,
                device: torch.device, guard: DivergenceGuard, retries: list[dict],
                slot_labels: list[str] | None = None) -> dict:
    """The parts of ``run.json`` that a finished and a failed run share."""
    files = [*config.data, *([config.dev] if config.dev else [])]
    model = {"name": config.model, "path": model_path, "tokenizer": model_path,
             "method": config.method, "pooling": config.pooling,
             "max_length": config.max_length, "labels": labels}
    if slot_labels:
        # Only slot runs get these: an intent-only record stays what it always was.
        model.update(task="intent+slots", slot_labels=slot_labels)
    return {
        "format": "lexi-run/1",
        "status": "ok",
        "config": config.portable_dict(),
        "model": model,
        "data_sha256": {str(path): file_sha256(path) for path in dict.fromkeys(files)},
        "versions": versions(),
        "device": {"type": device.type, "world_size": dist_env.world_size,
                   "name": torch.cuda.get_device_name(device) if device.type == "cuda"
                   else platform.processor() or platform.machine(),
                   "threads": torch.get_num_threads(),
                   "cpu_bf16": use_cpu_bf16(config.cpu_bf16, device),
                   "fast_dropout": uses_fast_dropout(config.fast_dropout, device)},
        "stability": {"max_grad_norm": config.max_grad_norm,
                      "on_divergence": config.on_divergence, "retries": retries,
                      **guard.describe()},
        "command": sys.argv,
    }


def write_failed(config: TrainConfig, found: Divergence, labels: list[str],
                  history: list[dict[str, float]], retries: list[dict], guard: DivergenceGuard,
                  model_path: str,
                  dist_env: Distributed, device: torch.device,
                  slot_labels: list[str] | None = None) -> None:
    """A diverged run: ``run.json`` with status ``failed`` and no model to load."""
    run_dir = config.run_dir
    for item in (*MODEL_ITEMS, CHECKPOINT_DIR):
        target = run_dir / item
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    run = run_record(config, model_path, labels, dist_env, device, guard, retries, slot_labels)
    run.update(status="failed", failure=found.as_dict(), history=history)
    with atomic_write(run_dir / RUN_FILE) as handle:
        handle.write(json.dumps(run, ensure_ascii=False, indent=2) + "\n")


def finalise(config: TrainConfig, result: TrainResult, model_path: str, dist_env: Distributed,
              device: torch.device, guard: DivergenceGuard) -> None:
    """Move the selected model into place, write the model card, then ``run.json`` last."""
    run_dir = config.run_dir
    best_dir = run_dir / CHECKPOINT_DIR / "best"
    for item in MODEL_ITEMS:
        target = run_dir / item
        if target.is_dir():
            shutil.rmtree(target)
        if (best_dir / item).exists():
            os.replace(best_dir / item, target)
    run = run_record(config, model_path, result.labels, dist_env, device, guard, result.retries,
                     result.slot_labels)
    run.update({
        "data_rows": {"train": result.train_rows, "dev": result.dev_rows},
        "best_epoch": result.best_epoch,
        "metrics": result.metrics,
        "history": result.history,
        "steps": result.steps,
        "wall_time_s": round(result.wall_time_s, 3),
        "peak_memory_bytes": result.peak_memory_bytes,
    })
    with atomic_write(run_dir / "README.md") as handle:
        handle.write(model_card(run))
    with atomic_write(run_dir / RUN_FILE) as handle:
        handle.write(json.dumps(run, ensure_ascii=False, indent=2) + "\n")
    # Only now: a crash before this line leaves a checkpoint that --resume finishes from.
    shutil.rmtree(run_dir / CHECKPOINT_DIR)


def model_card(run: dict[str, Any]) -> str:
    """A short README for the run directory: what it is, how it was made, how to use it."""
    model, config = run["model"], run["config"]
    has_dev = bool(config.get("dev"))
    if has_dev:
        header = ("| epoch | train loss | dev accuracy | dev loss | samples/s |\n"
                  "|---|---|---|---|---|")
        rows = "\n".join(
            f"| {r['epoch']} | {r['train_loss']:.4f} | {r.get('dev_accuracy', float('nan')):.4f} "
            f"| {r.get('dev_loss', float('nan')):.4f} | {r['train_samples_per_s']:.1f} |"
            for r in run["history"])
        selection = (f"model selected on dev `{config['dev']}` (split {config['dev_split']}): "
                     f"epoch {run['best_epoch']}")
    else:
        # Without a dev set nothing was selected: say so instead of a column of nan.
        header = "| epoch | train loss | samples/s |\n|---|---|---|"
        rows = "\n".join(f"| {r['epoch']} | {r['train_loss']:.4f} | "
                          f"{r['train_samples_per_s']:.1f} |" for r in run["history"])
        selection = f"no dev set: the last epoch ({run['best_epoch']}) is kept"
    method = (f"LoRA (r={config['lora_r']}, alpha={config['lora_alpha']}, "
              f"targets {', '.join(config['target_modules'])})" if model["method"] == "lora"
              else "full fine-tuning")
    card = f"""# lexi intent classifier

- base encoder: `{model['name']}` ({model['path']}), {model['pooling']} pooling
- method: {method}, {config['epochs']} epoch(s), lr {config['lr'] or 'default'},
  batch {config['batch_size']} × {config['grad_accum']}, max length {model['max_length']}
- labels: {len(model['labels'])}; training data: {', '.join(config['data'])};
  {selection}
- trained on {run['device']['type']} × {run['device']['world_size']} in {run['wall_time_s']:.0f} s

{header}
{rows}

Use it:

```sh
lexi predict --run {config['output']} "wake me up at seven"
lexi export --run {config['output']} --merge -o deploy/
```

`adapter/` is a peft adapter of the encoder (`PeftModel.from_pretrained`), `head.safetensors`
the linear head over the pooled encoding, `labels.json` its label order; `run.json` holds
the full configuration, data hashes, versions and metrics.
"""
    return card + (_slot_card(run) if model.get("slot_labels") else "")


def _slot_card(run: dict[str, Any]) -> str:
    """The model card's part about the slot head (``intent+slots`` runs only)."""
    tags = run["model"]["slot_labels"]
    names = sorted({tag[2:] for tag in tags if tag != "O"})
    rows = "\n".join(
        f"| {r['epoch']} | {r.get('dev_slot_f1', float('nan')):.4f} | "
        f"{r.get('dev_exact_match', float('nan')):.4f} |" for r in run["history"])
    return f"""
## Slots

Trained with `--task intent+slots` (slot loss weight {run['config']['slot_weight']:g}, slot head
at {run['config'].get('slot_lr_scale', 1.0):g} × the learning rate):
`slot_head.safetensors` tags every word's first sub-word with one of the BIO tags in
`slot_labels.json` ({len(names)} slot types: {', '.join(names)}). Epochs are selected on
dev exact match (intent and every slot right) when the dev rows have slot markup.

| epoch | dev slot F1 | dev exact match |
|---|---|---|
{rows}
"""
