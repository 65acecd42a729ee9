"""The training loop: data → tokenised examples → LoRA (or full) fine-tuning → a run directory.

One function, :func:`train`, does the work for ``lexi train``, for notebooks and for every
process of a ``torchrun`` launch (DDP: gloo on CPU, nccl on GPU; only rank 0 writes).

This module is the loop itself: set-up (:class:`_Loop`), one epoch (:meth:`_Loop.run_epoch`)
and what follows it: dev scores, model selection, early stopping, checkpoints
(:meth:`_Loop.end_epoch`). What it uses lives beside it:

- :mod:`lexi.model.train_data`: reading and checking the rows, tokenising, each epoch's
  rows and batches;
- :mod:`lexi.model.objectives` (the losses) and :mod:`lexi.model.optim` (parameter groups);
- :mod:`lexi.model.selection`: dev scores and what model selection maximises;
- :mod:`lexi.model.checkpoint`: ``last.pt`` and ``best`` after each epoch, ``--resume``;
- :mod:`lexi.model.run`: the run directory's layout, ``run.json`` and the model card;
- :mod:`lexi.model.devices`, :mod:`lexi.model.stability` (divergence checks),
  :mod:`lexi.model.views` (multi-view pairing), :mod:`lexi.model.slots` (slot tags) and
  :mod:`lexi.model.progress` (what is shown while it runs).
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import time
from pathlib import Path

import torch
from torch import nn

from lexi.errors import LexiError
from lexi.model.batching import collate, collate_tags
from lexi.model.checkpoint import (
    LoopState,
    check_continuation,
    data_fingerprint,
    read_checkpoint,
    resume,
    save_epoch,
)
from lexi.model.classifier import build_model, load_tokenizer, resolve_model_path
from lexi.model.config import TrainConfig
from lexi.model.devices import (
    Distributed,
    autocast,
    barrier,
    mean_over_processes,
    peak_memory_bytes,
    resolve_device,
    training_network,
    use_cpu_bf16,
)
from lexi.model.fastpath import frozen_weights_in
from lexi.model.objectives import consistency, distillation, slot_loss, teacher_targets
from lexi.model.optim import build_optimizer
from lexi.model.progress import epoch_progress, report_epoch, warn
from lexi.model.run import (
    CHECKPOINT_DIR,
    RUN_FILE,
    TrainResult,
    check_run_dir,
    finalise,
    load_run_into,
    prepare_run_dir,
    write_failed,
)
from lexi.model.selection import dev_metrics, selection_score
from lexi.model.slots import tag_counts
from lexi.model.stability import (
    RETRY_LR_SCALE,
    Divergence,
    DivergenceGuard,
    Snapshot,
    label_entropy,
    majority_rate,
)
from lexi.model.train_data import (
    TrainingData,
    check_data,
    check_slots,
    load_examples,
    load_examples_with_markup,
    view_index,
)
from lexi.model.views import FreshViews, FreshViewSpec, draw_seed, draw_views

__all__ = ["Distributed", "TrainResult", "TrainingDiverged", "build_model", "load_examples",
           "resolve_device", "resolve_model_path", "train"]  # names others import from here


class TrainingDiverged(LexiError):
    """Training diverged and was not (or could no longer be) retried; run.json says failed."""


def train(config: TrainConfig, *, freeze_after_load: bool = False) -> TrainResult:
    """Fine-tune ``config.model`` on ``config.data``, select on ``config.dev``; write the run.
    ``freeze_after_load``: see :class:`~lexi.model.views.FreshViews` (``lexi train``: on)."""
    started = time.perf_counter()
    dist_env = Distributed.from_env()
    device = resolve_device(config.device, dist_env.local_rank)
    if device.type == "cpu":
        cores = os.cpu_count() or 1
        torch.set_num_threads(config.threads or max(1, cores // dist_env.local_world_size))
    elif dist_env.world_size > 1:
        torch.cuda.set_device(device)
    own_group = False
    if dist_env.world_size > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
        own_group = True
    try:
        loop = _Loop(config, dist_env, device, freeze_after_load)
        loop.run()
        return loop.finish(started)
    except torch.cuda.OutOfMemoryError:
        raise LexiError(
            f"out of GPU memory at --batch-size {config.batch_size}",
            hint=f"pass a smaller --batch-size (e.g. {max(1, config.batch_size // 2)}) and "
            "--grad-accum 2 to keep the effective batch",
        ) from None
    finally:
        if own_group:
            torch.distributed.destroy_process_group()


class _Loop:
    """One training run in progress: data, model, optimizer, schedule, divergence guard and
    the counters (:class:`~lexi.model.checkpoint.LoopState`), set up by the constructor."""

    def __init__(self, config: TrainConfig, dist_env: Distributed, device: torch.device,
                 freeze_after_load: bool = False):
        from transformers import get_linear_schedule_with_warmup

        self.config, self.dist_env, self.device = config, dist_env, device
        self.cpu_bf16 = use_cpu_bf16(config.cpu_bf16, device)  # None: what the CPU has
        self.main = main = dist_env.is_main
        # Data first: a problem in it is reported before the model is loaded.
        train_rows, train_markup = load_examples_with_markup(
            config.data, config.split, text_field=config.text_field,
            label_field=config.label_field)
        dev_rows, dev_markup = (load_examples_with_markup(
            [config.dev], config.dev_split, text_field=config.text_field,
            label_field=config.label_field) if config.dev else (None, []))
        labels = check_data(train_rows, dev_rows, config)
        slot_labels = check_slots(train_rows, train_markup, config)
        # Checked now, so that these mistakes are reported before the model loads: a bad
        # --synth spec, --consistency without views (fresh views come later), --teacher.
        fresh_spec = FreshViewSpec.read(config.synth) if config.synth else None
        if fresh_spec is None:
            view_index(train_rows, config)
        if config.teacher and not Path(config.teacher).is_dir():
            raise LexiError("the teacher run is not found", path=config.teacher,
                            hint="--teacher takes the -o directory of a finished lexi train")
        if config.init and not (Path(config.init) / RUN_FILE).is_file():
            raise LexiError("--init: not a finished lexi run", path=config.init,
                            hint="--init takes the -o folder of a finished lexi train")
        check_run_dir(config)  # before the model loads: a refusal takes no time
        self.checkpoint_dir = config.run_dir / CHECKPOINT_DIR
        self.fingerprint = data_fingerprint(config)
        saved = read_checkpoint(self.checkpoint_dir) if config.resume else None
        if saved is not None:
            check_continuation(saved, config, self.fingerprint, self.checkpoint_dir)
        if dev_rows is None and main:
            warn("no --dev: no early stopping and no model selection; the last epoch is kept "
                 "and the divergence guard cannot check dev accuracy")
        self.model_path = resolve_model_path(config.model)
        tokenizer = load_tokenizer(self.model_path)
        if slot_labels and not getattr(tokenizer, "is_fast", False):
            raise LexiError("--task intent+slots needs a fast tokenizer (character offsets)",
                            path=self.model_path, hint="the model folder needs a tokenizer.json")
        barrier(dist_env)
        if main:
            prepare_run_dir(config)
        barrier(dist_env)
        self.labels, self.slot_labels = labels, slot_labels
        self.data = data = TrainingData(config, tokenizer, labels, slot_labels, train_rows,
                                        train_markup, dev_rows, dev_markup)

        random.seed(config.seed)
        torch.manual_seed(config.seed)
        self.model = model = build_model(config, self.model_path, len(labels),
                                         len(slot_labels)).to(device)
        if data.train_tags is not None:
            model.start_slots_at_prior(tag_counts(data.train_tags, len(slot_labels)))
        if config.init:
            load_run_into(model, config.init, config, labels, slot_labels)
        self.trainable, optimizer = build_optimizer(model, config)
        self.optimizer = optimizer
        data.fresh = (None if fresh_spec is None
                      else FreshViews(fresh_spec, freeze_after_load=freeze_after_load))
        data.soft_targets = (teacher_targets(config, train_rows, labels, device)
                             if config.teacher else None)

        # The schedule is sized on epoch 0 (fresh views: about as many every epoch).
        self.current = data.epoch_data(0)
        batches_per_epoch = len(data.batches_of(0, self.current, dist_env))
        if batches_per_epoch == 0:
            raise LexiError(f"{len(train_rows)} training rows are fewer than one batch per "
                            "process", hint="use a smaller --batch-size or fewer processes")
        steps_per_epoch = math.ceil(batches_per_epoch / config.grad_accum)
        total_steps = steps_per_epoch * config.epochs
        if config.max_steps is not None:
            total_steps = min(total_steps, config.max_steps)
        self.total_steps = total_steps
        warmup_steps = int(config.warmup_ratio * total_steps)
        self.scheduler = get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps)
        self.guard = DivergenceGuard(
            num_labels=len(labels), label_entropy=label_entropy([u.label for u in train_rows]),
            dev_majority_rate=majority_rate([u.label for u in dev_rows]) if dev_rows else None,
            warmup_steps=warmup_steps, total_steps=total_steps,
            warn_only=config.on_divergence == "warn")
        # A slot run selects on (exact match, accuracy): see selection_score.
        self.state = LoopState(best_accuracy=(-1.0, -1.0) if data.dev_slots is not None
                               else -1.0)
        if saved is not None:
            resume(saved, labels, slot_labels, model, optimizer, self.scheduler, self.state,
                   self.checkpoint_dir)
        # The state a retry goes back to: the window with the lowest loss below the label
        # entropy, else the start (LoRA: the adapter at zero; either way the head as
        # initialised).
        self.good_state = Snapshot.take(self.state.global_step, model, optimizer)
        self.good_loss = math.inf

        self.network = training_network(model, dist_env, device, compile_model=config.compile,
                                        cpu_bf16=self.cpu_bf16, fast_dropout=config.fast_dropout)
        self.pad_id = tokenizer.pad_token_id
        self.pad_to = config.max_length if config.pad_to_max_length else None
        self.loss_fn = nn.CrossEntropyLoss()
        # The first micro-batch of a process pays one-off costs (allocator, kernel
        # selection); the steady rate leaves it out, so that short benchmarks measure the
        # real pace.
        self.warmup_seconds: float | None = None
        self.warmup_samples = 0

    def run(self) -> None:
        """Epochs until the last one, ``--max-steps`` or early stopping."""
        config, state = self.config, self.state
        epoch = state.first_epoch
        while epoch < config.epochs + (1 if state.retries else 0):
            # A retry rewinds the step count: one more epoch of data may be needed to finish.
            if state.global_step >= self.total_steps:
                break
            if state.stale >= config.patience and self.data.dev_rows:
                break
            if self.data.fresh is not None and epoch != self.current.epoch:
                self.current = self.data.epoch_data(epoch)
            with frozen_weights_in(self.model, self.device, self.cpu_bf16):
                record = self.run_epoch(epoch)
            self.end_epoch(epoch, record)
            epoch += 1

    def run_epoch(self, epoch: int) -> dict[str, float]:
        """One pass over this process's batches; the epoch's train figures."""
        config, dist_env, device, state = self.config, self.dist_env, self.device, self.state
        network, guard, data = self.network, self.guard, self.current
        train_ids, train_y, views, soft_targets = data.ids, data.gold, data.views, data.targets
        slot_tags = data.slot_tags
        batches = self.data.batches_of(epoch, data, dist_env)
        network.train()
        loss_sum, consistency_sum, seen, epoch_seconds = 0.0, 0.0, 0, 0.0
        slot_loss_sum, slot_tokens = 0.0, 0
        planned = config.epochs + (1 if state.retries else 0)
        # The bar (and its ETA) counts the micro-batches this epoch will really run, which
        # --max-steps can cut short.
        remaining = min(len(batches), (self.total_steps - state.global_step) * config.grad_accum)
        with epoch_progress(self.main, remaining, f"epoch {epoch + 1}/{planned}") as (bar, task):
            for micro, batch in enumerate(batches):
                tick = time.perf_counter()
                drawn = (draw_views(batch, views, random.Random(draw_seed(config.seed, epoch,
                                                                          micro)))
                         if views is not None else [])
                rows = batch + [view for _, view in drawn]
                input_ids, mask = collate([train_ids[i] for i in rows], self.pad_id, self.pad_to)
                gold = train_y[rows].to(device)
                boundary = (micro + 1) % config.grad_accum == 0 or micro + 1 == len(batches)
                sync = contextlib.nullcontext() if boundary or dist_env.world_size == 1 \
                    else network.no_sync()
                with sync:
                    with autocast(device, self.cpu_bf16):
                        if slot_tags is None:
                            logits = network(input_ids.to(device), mask.to(device))
                        else:
                            logits, slot_logits = network(input_ids.to(device), mask.to(device),
                                                          with_slots=True)
                    loss = self.loss_fn(logits.float(), gold)
                    agreement = consistency(logits, len(batch), drawn, device)
                    total = loss + config.consistency * agreement
                    if soft_targets is not None:
                        distilled = distillation(logits, soft_targets[rows].to(device),
                                                 config.temperature)
                        total = (1 - config.teacher_weight) * total \
                            + config.teacher_weight * distilled
                    if slot_tags is not None:
                        tag_gold = collate_tags([slot_tags[i] for i in rows],
                                                input_ids.shape[1]).to(device)
                        tagging, labelled = slot_loss(slot_logits, tag_gold)
                        total = total + config.slot_weight * tagging
                        slot_loss_sum += float(tagging.detach()) * labelled
                        slot_tokens += labelled
                    (total / config.grad_accum).backward()
                # The guard judges the cross-entropy alone: its thresholds are about labels.
                loss_value = float(loss.detach())
                consistency_sum += float(agreement.detach()) * len(rows)
                guard.add_loss(loss_value)
                if boundary and not self.step():
                    continue
                loss_sum += loss_value * len(rows)
                seen += len(rows)
                epoch_seconds += time.perf_counter() - tick
                if self.warmup_seconds is None:
                    self.warmup_seconds = epoch_seconds
                    self.warmup_samples = seen * dist_env.world_size
                if bar is not None:
                    rate = seen * dist_env.world_size / max(epoch_seconds, 1e-9)
                    bar.update(task, advance=1, rate=rate, loss=loss_sum / seen)
                if boundary and state.global_step >= self.total_steps:
                    break
        record: dict[str, float] = {
            "epoch": epoch + 1, "step": state.global_step,
            "train_loss": loss_sum / max(seen, 1),
            "train_samples_per_s": seen * dist_env.world_size / max(epoch_seconds, 1e-9),
            "train_seconds": epoch_seconds,
        }
        if views is not None:
            record["train_consistency"] = consistency_sum / max(seen, 1)
        if slot_tags is not None:
            record["train_slot_loss"] = slot_loss_sum / max(slot_tokens, 1)
        if self.data.fresh is not None:
            record["fresh_views"] = data.fresh_rows
        return record

    def step(self) -> bool:
        """One optimizer step at an accumulation boundary; False when the gradient norm
        diverged and was retried (the micro-batch is not counted)."""
        config, guard, state, optimizer = self.config, self.guard, self.state, self.optimizer
        # The norm is taken over the reduced gradients: every process agrees.
        norm = float(torch.nn.utils.clip_grad_norm_(self.trainable, config.max_grad_norm))
        found = guard.grad_norm(state.global_step + 1, norm)
        if found is not None:
            optimizer.zero_grad(set_to_none=True)
            self.diverged(found)
            return False
        optimizer.step()
        self.scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        state.global_step += 1
        if guard.window_due(state.global_step):
            mean_loss = mean_over_processes(guard.losses, self.device, self.dist_env)
            found = guard.check_window(state.global_step, mean_loss)
            if found is not None:
                self.diverged(found)
            elif mean_loss < min(self.good_loss, guard.label_entropy):
                self.good_loss = mean_loss
                self.good_state = Snapshot.take(state.global_step, self.model, optimizer)
        return True

    def end_epoch(self, epoch: int, record: dict[str, float]) -> None:
        """Dev scores, the divergence check, model selection and early stopping, and the
        checkpoints (main process)."""
        config, state, dev_rows = self.config, self.state, self.data.dev_rows
        if dev_rows:
            record.update(dev_metrics(self.model, self.data.dev_ids, self.data.dev_y,
                                      self.pad_id, self.device, config, self.dist_env,
                                      self.data.dev_slots))
        state.history.append(record)
        found = self.guard.check_dev(state.global_step, record["dev_accuracy"]) \
            if dev_rows else None
        if found is not None:
            record["diverged"] = found.kind
            self.diverged(found)
        selection = selection_score(record)
        improved = found is None and (not dev_rows or selection > state.best_accuracy)
        if improved:
            state.best_epoch, state.best_accuracy, state.stale = epoch + 1, selection, 0
        elif found is None:  # a retried epoch does not count towards early stopping
            state.stale += 1
        if self.main:
            save_epoch(self.checkpoint_dir, self.model, self.optimizer, self.scheduler, config,
                       self.labels, self.slot_labels, state, epoch, improved,
                       self.fingerprint)
            report_epoch(record, improved)
        barrier(self.dist_env)

    def diverged(self, found: Divergence) -> None:
        """Retry once from ``good_state`` at half the rate, or write the run as failed."""
        config, state, scheduler, optimizer = self.config, self.state, self.scheduler, \
            self.optimizer
        if config.on_divergence != "retry" or state.retries:
            if self.main:
                write_failed(config, found, self.labels, state.history, state.retries,
                             self.guard, self.model_path, self.dist_env, self.device,
                             self.slot_labels)
            barrier(self.dist_env)
            what = ("it had already been retried once" if state.retries else
                    "--on-divergence stop")
            raise TrainingDiverged(
                f"training diverged: {found.reason}; {what}, so the run is written as failed",
                path=config.run_dir / RUN_FILE,
                hint=_divergence_hint(config, bool(self.slot_labels)))
        self.good_state.restore(self.model, optimizer)
        state.global_step = self.good_state.step
        scheduler.base_lrs = [lr * RETRY_LR_SCALE for lr in scheduler.base_lrs]
        scheduler.last_epoch = state.global_step
        factor = scheduler.lr_lambdas[0](state.global_step)
        for group, base in zip(optimizer.param_groups, scheduler.base_lrs, strict=True):
            group["lr"] = base * factor
        self.guard.after_retry(state.global_step)
        scale = scheduler.base_lrs[0] / config.learning_rate if config.learning_rate else 0.0
        state.retries.append({**found.as_dict(), "restored_step": state.global_step,
                              "lr_scale": scale})
        if self.main:
            warn(f"training diverged: {found.reason}. Retrying once from step "
                 f"{state.global_step} at {scale:g} × the learning rate "
                 "(--on-divergence retry).")

    def finish(self, started: float) -> TrainResult:
        """The result of the selected epoch; the main process writes ``run.json``."""
        state, config = self.state, self.config
        wall = time.perf_counter() - started
        peak = peak_memory_bytes(self.device)
        history = state.history
        best = next(r for r in history if r["epoch"] == state.best_epoch)
        metrics = {k: v for k, v in best.items() if k.startswith("dev_")}
        seconds = sum(r["train_seconds"] for r in history)
        samples = sum(r["train_samples_per_s"] * r["train_seconds"] for r in history)
        metrics["train_samples_per_s"] = samples / max(seconds, 1e-9)
        if self.warmup_seconds is not None and seconds > self.warmup_seconds:
            metrics["train_samples_per_s_steady"] = (samples - self.warmup_samples) / (
                seconds - self.warmup_seconds)
        result = TrainResult(run_dir=config.run_dir, best_epoch=state.best_epoch,
                             metrics=metrics, history=history, labels=self.labels,
                             steps=state.global_step, retries=state.retries, wall_time_s=wall,
                             train_rows=len(self.data.train_rows),
                             dev_rows=len(self.data.dev_rows or []),
                             peak_memory_bytes=peak, slot_labels=self.slot_labels)
        if self.main:
            finalise(config, result, self.model_path, self.dist_env, self.device, self.guard)
        barrier(self.dist_env)
        return result


def _divergence_hint(config: TrainConfig, with_slots: bool) -> str:
    """What to change after a diverged run; a run with a slot head names --slot-weight first
    (the slot term's gradients reach the encoder that the intent head pools)."""
    hint = (f"lower --lr (this run: {config.learning_rate:g}), raise --warmup-ratio, "
            "or check the training data for rows that are mostly noise")
    if with_slots:
        return f"lower --slot-weight (this run: {config.slot_weight:g}), or {hint}"
    return hint
