"""The training loop: data → tokenised examples → LoRA (or full) fine-tuning → a run directory.

One function, :func:`train`, does the work for ``lexi train``, for notebooks and for every
process of a ``torchrun`` launch (DDP: gloo on CPU, nccl on GPU; only rank 0 writes).

The run directory's layout lives in :mod:`lexi.model.run`, devices and process groups in
:mod:`lexi.model.devices`, divergence checks in :mod:`lexi.model.stability`, multi-view
pairing in :mod:`lexi.model.views` and slot tags (``--task intent+slots``) in
:mod:`lexi.model.slots`; this module is the loop that uses them.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import os
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lexi.console import console
from lexi.data.readers import detect_format, read_dataset
from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.model.batching import collate, collate_tags, epoch_batches, shard_batches
from lexi.model.classifier import (
    EncoderClassifier,
    evaluate_joint,
    evaluate_logits,
    load_encoder,
    load_tokenizer,
)
from lexi.model.config import TrainConfig
from lexi.model.devices import (
    Distributed,
    autocast,
    barrier,
    mean_over_processes,
    peak_memory_bytes,
    resolve_device,
)
from lexi.model.run import (
    ADAPTER_DIR,
    CHECKPOINT_DIR,
    ENCODER_DIR,
    HEAD_FILE,
    LABELS_FILE,
    RUN_FILE,
    SLOT_HEAD_FILE,
    SLOT_LABELS_FILE,
    TrainResult,
    check_run_dir,
    finalise,
    prepare_run_dir,
    replace_dir,
    save_last,
    save_model,
    write_failed,
)
from lexi.model.slots import (
    IGNORE,
    decode_tokens,
    has_slot_markup,
    slot_tag_list,
    span_counts,
    token_labels,
)
from lexi.model.stability import (
    RETRY_LR_SCALE,
    Divergence,
    DivergenceGuard,
    Snapshot,
    label_entropy,
    majority_rate,
)
from lexi.model.views import (
    FreshViews,
    FreshViewSpec,
    ViewIndex,
    draw_seed,
    draw_views,
    index_views,
    is_original,
    source_id,
    symmetric_kl,
)

# Names other modules import from here (the run layout, inference).
__all__ = ["ADAPTER_DIR", "CHECKPOINT_DIR", "ENCODER_DIR", "HEAD_FILE", "LABELS_FILE",
           "RUN_FILE", "SLOT_HEAD_FILE", "SLOT_LABELS_FILE", "Distributed", "TrainResult",
           "TrainingDiverged", "evaluate_logits", "load_examples", "resolve_device",
           "resolve_model_path", "train"]


class TrainingDiverged(LexiError):
    """Training diverged and was not (or could no longer be) retried; run.json says failed."""




# --------------------------------------------------------------------------- data


def load_examples(paths: list[str], split: str | None, *, text_field: str | None = None,
                  label_field: str | None = None) -> list[Utterance]:
    """Labelled rows of ``paths`` whose split is ``split`` (rows without a split are kept)."""
    return load_examples_with_markup(paths, split, text_field=text_field,
                                     label_field=label_field)[0]


def load_examples_with_markup(paths: list[str], split: str | None, *,
                              text_field: str | None = None, label_field: str | None = None
                              ) -> tuple[list[Utterance], list[bool]]:
    """:func:`load_examples`, and for each row whether its slots are known
    (:func:`lexi.model.slots.has_slot_markup`: MASSIVE rows with ``annot_utt``)."""
    rows: list[Utterance] = []
    markup: list[bool] = []
    for path in paths:
        # (A missing file is left to read_dataset, whose error names it.)
        massive = (path == "-" or Path(path).exists()) and detect_format(path) == "massive"
        for utt in read_dataset(path, text_field=text_field, label_field=label_field):
            if split is not None and utt.split is not None and utt.split != split:
                continue
            if utt.label is None:
                raise LexiError(f"row {utt.id!r} has no label", path=path,
                                hint="training data needs a label column (--label-field)")
            rows.append(utt)
            markup.append(has_slot_markup(utt, massive))
    return rows, markup


def _check_data(train_rows: list[Utterance], dev_rows: list[Utterance] | None,
                config: TrainConfig) -> list[str]:
    if not train_rows:
        where = ", ".join(config.data)
        raise LexiError(
            f"no training rows in {where}"
            + (f" with split {config.split!r}" if config.split else ""),
            hint="check the file, or pick another split with --split (or --split all)",
        )
    labels = sorted({utt.label for utt in train_rows})
    if len(labels) < 2:
        raise LexiError(f"the training data has a single label ({labels[0]!r})",
                        path=config.data[0], hint="a classifier needs at least two labels")
    if dev_rows is not None:
        if not dev_rows:
            raise LexiError(
                "no dev rows" + (f" with split {config.dev_split!r}" if config.dev_split else ""),
                path=config.dev, hint="pick the split with --dev-split",
            )
        unseen = sorted({utt.label for utt in dev_rows} - set(labels))
        if unseen:
            shown = ", ".join(repr(label) for label in unseen[:5])
            raise LexiError(
                f"{len(unseen)} dev label(s) never seen in training: {shown}"
                + (" …" if len(unseen) > 5 else ""),
                path=config.dev,
                hint="the dev set must use the training labels; check the files and --split",
            )
    return labels


def _check_slots(train_rows: list[Utterance], markup: list[bool], config: TrainConfig
                 ) -> list[str]:
    """The slot head's tags (``--task intent+slots``); empty for intent-only runs."""
    if not config.with_slots:
        return []
    if not any(markup):
        raise LexiError(
            "--task intent+slots needs training rows with slot markup, and none has any",
            path=config.data[0], hint="train on MASSIVE jsonl with annot_utt "
            "('wake me up at [time : five am]'), or use --task intent")
    names = {span.name for utt, known in zip(train_rows, markup, strict=True) if known
             for span in utt.slots}
    if not names:
        raise LexiError("--task intent+slots: the training rows' annot_utt mark no slot",
                        path=config.data[0], hint="use --task intent")
    return slot_tag_list(names)



def resolve_model_path(name: str) -> str:
    """``default`` → the converted embedded model; folders and hub ids pass through."""
    try:
        from lexi.model.default import resolve_model
    except ImportError:
        if name == "default":
            raise LexiError("the embedded default model is not available in this install",
                            hint="pass --model with a model folder or Hugging Face id") from None
        local = Path(name).expanduser()
        return str(local.resolve()) if local.is_dir() else name
    return str(resolve_model(name))









# --------------------------------------------------------------------------- model


def build_model(config: TrainConfig, model_path: str, num_labels: int,
                num_slot_labels: int = 0) -> EncoderClassifier:
    encoder = load_encoder(model_path)
    if config.method == "lora":
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                          lora_dropout=config.lora_dropout,
                          target_modules=list(config.target_modules), bias="none")
        try:
            encoder = get_peft_model(encoder, lora)
        except ValueError as exc:
            raise LexiError(f"LoRA: {exc}", hint="check --target-modules against the model's "
                            "layer names") from None
    return EncoderClassifier(encoder, num_labels, pooling=config.pooling,
                             dropout=config.head_dropout, num_slot_labels=num_slot_labels)








# --------------------------------------------------------------------------- loop






@dataclass
class DevSlots:
    """What scoring the dev set's slots needs: each row's text, token offsets and gold
    spans (``None`` for a row without slot markup, which is not scored on slots)."""

    texts: list[str]
    offsets: list[list[tuple[int, int]]]
    gold: list[tuple | None]
    tags: list[str]


def _dev_metrics(model: nn.Module, dev_ids: list[list[int]], dev_y: torch.Tensor, pad_id: int,
                 device: torch.device, config: TrainConfig,
                 dist_env: Distributed, slots: DevSlots | None = None) -> dict[str, float]:
    # Each process scores its share of the dev set; the sums are added across processes.
    share = list(range(dist_env.rank, len(dev_ids), dist_env.world_size))
    if slots is None:
        logits = evaluate_logits(model, [dev_ids[i] for i in share], pad_id, device,
                                 config.eval_batch_size)
    else:
        logits, slot_logits = evaluate_joint(model, [dev_ids[i] for i in share], pad_id,
                                             device, config.eval_batch_size)
    gold = dev_y[share]
    correct = logits.argmax(-1) == gold if len(share) else torch.zeros(0, dtype=torch.bool)
    sums = [
        float(correct.sum()) if len(share) else 0.0,
        float(nn.functional.cross_entropy(logits, gold, reduction="sum")) if len(share) else 0.0,
        float(len(share)),
    ]
    if slots is not None:
        # Span counts (micro F1) and exact matches over the rows with slot markup.
        tp = n_pred = n_gold = exact = marked = 0
        for k, i in enumerate(share):
            if slots.gold[i] is None:
                continue
            pred = decode_tokens(slots.texts[i], slots.offsets[i],
                                 slot_logits[k].argmax(-1).tolist(), slots.tags)
            hits, predicted, golden = span_counts(slots.texts[i], slots.gold[i], pred)
            tp, n_pred, n_gold = tp + hits, n_pred + predicted, n_gold + golden
            exact += int(bool(correct[k]) and hits == predicted == golden)
            marked += 1
        sums += [tp, n_pred, n_gold, exact, marked]
    totals = torch.tensor(sums, dtype=torch.float64)
    if dist_env.world_size > 1:
        totals = totals.to(device)
        torch.distributed.all_reduce(totals)
        totals = totals.cpu()
    correct_count, loss, count, *slot_sums = totals.tolist()
    metrics = {"dev_accuracy": correct_count / count, "dev_loss": loss / count}
    if slot_sums and slot_sums[-1] > 0:
        tp, n_pred, n_gold, exact, marked = slot_sums
        metrics["dev_slot_f1"] = 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0
        metrics["dev_exact_match"] = exact / marked
    return metrics


@contextlib.contextmanager
def _progress(enabled: bool, total: int, description: str) -> Iterator[Any]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if not enabled:
        yield None, None
        return
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>6.1f} samples/s  loss {task.fields[loss]:.4f}"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True,
    )
    with progress:
        task = progress.add_task(description, total=total, rate=0.0, loss=float("nan"))
        yield progress, task






def train(config: TrainConfig) -> TrainResult:
    """Fine-tune ``config.model`` on ``config.data``, select on ``config.dev``; write the run."""
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
        return _train(config, dist_env, device, started)
    except torch.cuda.OutOfMemoryError:
        raise LexiError(
            f"out of GPU memory at --batch-size {config.batch_size}",
            hint=f"pass a smaller --batch-size (e.g. {max(1, config.batch_size // 2)}) and "
            "--grad-accum 2 to keep the effective batch",
        ) from None
    finally:
        if own_group:
            torch.distributed.destroy_process_group()




def _train(config: TrainConfig, dist_env: Distributed, device: torch.device,
           started: float) -> TrainResult:
    from transformers import get_linear_schedule_with_warmup

    main = dist_env.is_main
    train_rows, train_markup = load_examples_with_markup(
        config.data, config.split, text_field=config.text_field, label_field=config.label_field)
    dev_rows, dev_markup = (load_examples_with_markup(
        [config.dev], config.dev_split, text_field=config.text_field,
        label_field=config.label_field) if config.dev else (None, []))
    labels = _check_data(train_rows, dev_rows, config)
    slot_labels = _check_slots(train_rows, train_markup, config)
    if dev_rows is None and main:
        console.print("[yellow]no --dev: no early stopping and no model selection; the last "
                      "epoch is kept and the divergence guard cannot check dev accuracy[/]",
                      highlight=False, soft_wrap=True)
    model_path = resolve_model_path(config.model)
    tokenizer = load_tokenizer(model_path)
    if slot_labels and not getattr(tokenizer, "is_fast", False):
        raise LexiError("--task intent+slots needs a fast tokenizer (character offsets)",
                        path=model_path, hint="the model folder needs a tokenizer.json")
    check_run_dir(config)
    barrier(dist_env)
    if main:
        prepare_run_dir(config)
    barrier(dist_env)
    run_dir = config.run_dir
    checkpoint_dir = run_dir / CHECKPOINT_DIR

    label_index = {label: i for i, label in enumerate(labels)}

    def encode(rows: list[Utterance]) -> list[list[int]]:
        return tokenizer([u.text for u in rows], truncation=True,
                         max_length=config.max_length)["input_ids"]

    tag_index = {tag: i for i, tag in enumerate(slot_labels)}

    def encode_slots(rows: list[Utterance], markup: list[bool]
                     ) -> tuple[list[list[int]], list[list[tuple[int, int]]], list[list[int]]]:
        """Token ids (the same as :func:`encode`'s), offsets and slot labels; a row without
        slot markup gets no slot label (IGNORE everywhere): it trains the intent head only."""
        encoded = tokenizer([u.text for u in rows], truncation=True,
                            max_length=config.max_length, return_offsets_mapping=True)
        offsets = [[tuple(pair) for pair in row] for row in encoded["offset_mapping"]]
        tags = [token_labels(u.text, o, u.slots, tag_index) if known else [IGNORE] * len(o)
                for u, o, known in zip(rows, offsets, markup, strict=True)]
        return encoded["input_ids"], offsets, tags

    train_tags: list[list[int]] | None = None
    dev_slots: DevSlots | None = None
    if slot_labels:
        train_ids, _, train_tags = encode_slots(train_rows, train_markup)
    else:
        train_ids = encode(train_rows)
    train_y = torch.tensor([label_index[u.label] for u in train_rows], dtype=torch.long)
    if slot_labels and dev_rows and any(dev_markup):
        dev_ids, dev_offsets, _ = encode_slots(dev_rows, dev_markup)
        dev_slots = DevSlots([u.text for u in dev_rows], dev_offsets,
                             [u.slots if known else None
                              for u, known in zip(dev_rows, dev_markup, strict=True)],
                             slot_labels)
    else:
        dev_ids = encode(dev_rows) if dev_rows else []
    dev_y = torch.tensor([label_index[u.label] for u in dev_rows or []], dtype=torch.long)

    random.seed(config.seed)
    torch.manual_seed(config.seed)
    model = build_model(config, model_path, len(labels), len(slot_labels)).to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad
                and (p.ndim < 2 or "LayerNorm" in n or "layer_norm" in n)]
    decay = [p for p in trainable if all(p is not q for q in no_decay)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=config.learning_rate,
    )
    fresh = FreshViews(FreshViewSpec.read(config.synth)) if config.synth else None
    soft_targets = (_teacher_targets(config, train_rows, labels, device)
                    if config.teacher else None)
    row_of_id = {str(u.id): i for i, u in enumerate(train_rows)}

    def epoch_data(epoch: int) -> EpochData:
        """The epoch's rows: the training files' rows, plus this epoch's fresh views."""
        extra = fresh.epoch([u for u in train_rows if is_original(u)], epoch) if fresh else []
        rows = train_rows + extra
        targets = soft_targets
        if soft_targets is not None and extra:
            # A fresh view learns what the teacher said of the row it was made from.
            sources = [row_of_id[str(source_id(u))] for u in extra]
            targets = torch.cat([soft_targets, soft_targets[sources]])
        tags, extra_ids = train_tags, None
        if train_tags is not None and extra:
            # Synthesis keeps the slots aligned: a view's slots are known when its source's are.
            sources = [row_of_id.get(str(source_id(u))) for u in extra]
            known = [bool(u.slots) or (k is not None and train_markup[k])
                     for u, k in zip(extra, sources, strict=True)]
            extra_ids, _, extra_tags = encode_slots(extra, known)
            tags = train_tags + extra_tags
        elif extra:
            extra_ids = encode(extra)
        return EpochData(
            ids=train_ids + extra_ids if extra else train_ids,
            gold=torch.cat([train_y, torch.tensor([label_index[u.label] for u in extra],
                                                   dtype=torch.long)]) if extra else train_y,
            views=_view_index(rows, config), targets=targets, fresh_rows=len(extra),
            epoch=epoch, slot_tags=tags)

    def batches_of(epoch: int, data: EpochData) -> list[list[int]]:
        """This process's batches of row indices (anchors only with --consistency)."""
        rows = data.views.anchors if data.views is not None else range(len(data.ids))
        lengths = [len(data.ids[i]) for i in rows]
        batches = epoch_batches(lengths, config.batch_size, seed=config.seed, epoch=epoch,
                                bucket=config.bucket)
        return shard_batches([[rows[j] for j in b] for b in batches], dist_env.rank,
                             dist_env.world_size)

    data = epoch_data(0)  # sizes the schedule (fresh views: about as many every epoch)
    batches_per_epoch = len(batches_of(0, data))
    if batches_per_epoch == 0:
        raise LexiError(f"{len(train_rows)} training rows are fewer than one batch per process",
                        hint="use a smaller --batch-size or fewer processes")
    steps_per_epoch = math.ceil(batches_per_epoch / config.grad_accum)
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    warmup_steps = int(config.warmup_ratio * total_steps)
    scheduler = get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps)
    guard = DivergenceGuard(
        num_labels=len(labels), label_entropy=label_entropy([u.label for u in train_rows]),
        dev_majority_rate=majority_rate([u.label for u in dev_rows]) if dev_rows else None,
        warmup_steps=warmup_steps, total_steps=total_steps)

    history: list[dict[str, float]] = []
    retries: list[dict] = []
    best_epoch, best_accuracy, stale, global_step, first_epoch = 0, -1.0, 0, 0, 0
    if dev_slots is not None:
        best_accuracy = (-1.0, -1.0)  # see _selection
    if config.resume:
        state = torch.load(checkpoint_dir / "last.pt", map_location="cpu", weights_only=False)
        if state["labels"] != labels or state["config"]["model"] != config.model \
                or state["config"]["method"] != config.method \
                or state.get("slot_labels", []) != slot_labels:
            raise LexiError("the checkpoint was trained with other labels, slot tags, model "
                            "or method",
                            path=checkpoint_dir, hint="resume with the same data and --model")
        model.load_state_dict(state["trainable"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        history, best_epoch = state["history"], state["best_epoch"]
        best_accuracy = state["best_accuracy"]
        stale, global_step, first_epoch = state["stale"], state["global_step"], state["epoch"] + 1
        retries = state.get("retries", [])
    # The state a retry goes back to: the window with the lowest loss below the label
    # entropy, else the start (LoRA: the adapter at zero; either way the head as initialised).
    good_state = Snapshot.take(global_step, model, optimizer)
    good_loss = math.inf

    def diverged(found: Divergence) -> None:
        """Retry once from ``good_state`` at half the rate, or write the run as failed."""
        nonlocal global_step
        if config.on_divergence != "retry" or retries:
            if main:
                write_failed(config, found, labels, history, retries, guard, model_path,
                              dist_env, device, slot_labels)
            barrier(dist_env)
            what = ("it had already been retried once" if retries else
                    "--on-divergence stop")
            raise TrainingDiverged(
                f"training diverged: {found.reason}; {what}, so the run is written as failed",
                path=config.run_dir / RUN_FILE,
                hint=f"lower --lr (this run: {config.learning_rate:g}), raise --warmup-ratio, "
                "or check the training data for rows that are mostly noise")
        good_state.restore(model, optimizer)
        global_step = good_state.step
        scheduler.base_lrs = [lr * RETRY_LR_SCALE for lr in scheduler.base_lrs]
        scheduler.last_epoch = global_step
        factor = scheduler.lr_lambdas[0](global_step)
        for group, base in zip(optimizer.param_groups, scheduler.base_lrs, strict=True):
            group["lr"] = base * factor
        guard.after_retry(global_step)
        scale = scheduler.base_lrs[0] / config.learning_rate if config.learning_rate else 0.0
        retries.append({**found.as_dict(), "restored_step": global_step, "lr_scale": scale})
        if main:
            console.print(f"[yellow]training diverged: {found.reason}. Retrying once from "
                          f"step {global_step} at {scale:g} × the learning rate "
                          f"(--on-divergence retry).[/]", highlight=False, soft_wrap=True)

    network: nn.Module = model
    if dist_env.world_size > 1:
        # No buffer broadcast: the encoder's buffers are constants, and a broadcast per
        # forward would deadlock the unevenly sharded dev evaluation (done on ``model``).
        ddp = nn.parallel.DistributedDataParallel
        no_buffer_sync = ({"forward_sync_buffers": False}
                          if "forward_sync_buffers" in inspect.signature(ddp).parameters
                          else {"broadcast_buffers": False})
        network = ddp(model, device_ids=[device.index] if device.type == "cuda" else None,
                      **no_buffer_sync)

    pad_id = tokenizer.pad_token_id
    pad_to = config.max_length if config.pad_to_max_length else None
    loss_fn = nn.CrossEntropyLoss()
    # The first micro-batch of a process pays one-off costs (allocator, kernel selection);
    # the steady rate leaves it out, so that short benchmarks measure the real pace.
    warmup_seconds, warmup_samples = None, 0
    epoch = first_epoch
    while epoch < config.epochs + (1 if retries else 0):
        # A retry rewinds the step count: one more epoch of data may be needed to finish.
        if global_step >= total_steps:
            break
        if stale >= config.patience and dev_rows:
            break
        if fresh is not None and epoch != data.epoch:
            data = epoch_data(epoch)
        train_ids, train_y, views, soft_targets = data.ids, data.gold, data.views, data.targets
        slot_tags = data.slot_tags
        batches = batches_of(epoch, data)
        network.train()
        loss_sum, consistency_sum, seen, epoch_seconds = 0.0, 0.0, 0, 0.0
        slot_loss_sum, slot_tokens = 0.0, 0
        planned = config.epochs + (1 if retries else 0)
        # The bar (and its ETA) counts the micro-batches this epoch will really run, which
        # --max-steps can cut short.
        remaining = min(len(batches), (total_steps - global_step) * config.grad_accum)
        with _progress(main, remaining, f"epoch {epoch + 1}/{planned}") as (bar, task):
            for micro, batch in enumerate(batches):
                tick = time.perf_counter()
                drawn = (draw_views(batch, views, random.Random(draw_seed(config.seed, epoch,
                                                                          micro)))
                         if views is not None else [])
                rows = batch + [view for _, view in drawn]
                input_ids, mask = collate([train_ids[i] for i in rows], pad_id, pad_to)
                gold = train_y[rows].to(device)
                boundary = (micro + 1) % config.grad_accum == 0 or micro + 1 == len(batches)
                sync = contextlib.nullcontext() if boundary or dist_env.world_size == 1 \
                    else network.no_sync()
                with sync:
                    with autocast(device):
                        if slot_tags is None:
                            logits = network(input_ids.to(device), mask.to(device))
                        else:
                            logits, slot_logits = network(input_ids.to(device), mask.to(device),
                                                          with_slots=True)
                    loss = loss_fn(logits.float(), gold)
                    agreement = _consistency(logits, len(batch), drawn, device)
                    total = loss + config.consistency * agreement
                    if soft_targets is not None:
                        distilled = _distillation(logits, soft_targets[rows].to(device),
                                                  config.temperature)
                        total = (1 - config.teacher_weight) * total \
                            + config.teacher_weight * distilled
                    if slot_tags is not None:
                        tag_gold = collate_tags([slot_tags[i] for i in rows],
                                                input_ids.shape[1]).to(device)
                        slot_loss, labelled = _slot_loss(slot_logits, tag_gold)
                        total = total + config.slot_weight * slot_loss
                        slot_loss_sum += float(slot_loss.detach()) * labelled
                        slot_tokens += labelled
                    (total / config.grad_accum).backward()
                # The guard judges the cross-entropy alone: its thresholds are about labels.
                loss_value = float(loss.detach())
                consistency_sum += float(agreement.detach()) * len(rows)
                guard.add_loss(loss_value)
                if boundary:
                    # The norm is taken over the reduced gradients: every process agrees.
                    norm = float(torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm))
                    found = guard.grad_norm(global_step + 1, norm)
                    if found is not None:
                        optimizer.zero_grad(set_to_none=True)
                        diverged(found)
                        continue
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad(set_to_none=True)
                    global_step += 1
                    if guard.window_due(global_step):
                        mean_loss = mean_over_processes(guard.losses, device, dist_env)
                        found = guard.check_window(global_step, mean_loss)
                        if found is not None:
                            diverged(found)
                        elif mean_loss < min(good_loss, guard.label_entropy):
                            good_loss = mean_loss
                            good_state = Snapshot.take(global_step, model, optimizer)
                loss_sum += loss_value * len(rows)
                seen += len(rows)
                epoch_seconds += time.perf_counter() - tick
                if warmup_seconds is None:
                    warmup_seconds, warmup_samples = epoch_seconds, seen * dist_env.world_size
                if bar is not None:
                    rate = seen * dist_env.world_size / max(epoch_seconds, 1e-9)
                    bar.update(task, advance=1, rate=rate, loss=loss_sum / seen)
                if boundary and global_step >= total_steps:
                    break
        record: dict[str, float] = {
            "epoch": epoch + 1, "step": global_step, "train_loss": loss_sum / max(seen, 1),
            "train_samples_per_s": seen * dist_env.world_size / max(epoch_seconds, 1e-9),
            "train_seconds": epoch_seconds,
        }
        if views is not None:
            record["train_consistency"] = consistency_sum / max(seen, 1)
        if slot_tags is not None:
            record["train_slot_loss"] = slot_loss_sum / max(slot_tokens, 1)
        if fresh is not None:
            record["fresh_views"] = data.fresh_rows
        if dev_rows:
            record.update(_dev_metrics(model, dev_ids, dev_y, pad_id, device, config, dist_env,
                                       dev_slots))
        history.append(record)
        found = guard.check_dev(global_step, record["dev_accuracy"]) if dev_rows else None
        if found is not None:
            record["diverged"] = found.kind
            diverged(found)
        selection = _selection(record)
        improved = found is None and (not dev_rows or selection > best_accuracy)
        if improved:
            best_epoch, best_accuracy, stale = epoch + 1, selection, 0
        elif found is None:  # a retried epoch does not count towards early stopping
            stale += 1
        if main:
            if improved:
                staging = checkpoint_dir / "best.tmp"
                if staging.exists():
                    shutil.rmtree(staging)
                save_model(model, labels, staging, slot_labels)
                replace_dir(staging, checkpoint_dir / "best")
            save_last(checkpoint_dir, model, optimizer, scheduler, config, labels, history,
                       epoch, best_epoch, best_accuracy, stale, global_step, retries,
                       slot_labels)
            _report_epoch(record, improved)
        barrier(dist_env)
        epoch += 1

    wall = time.perf_counter() - started
    peak = peak_memory_bytes(device)
    best = next(r for r in history if r["epoch"] == best_epoch)
    metrics = {k: v for k, v in best.items() if k.startswith("dev_")}
    seconds = sum(r["train_seconds"] for r in history)
    samples = sum(r["train_samples_per_s"] * r["train_seconds"] for r in history)
    metrics["train_samples_per_s"] = samples / max(seconds, 1e-9)
    if warmup_seconds is not None and seconds > warmup_seconds:
        metrics["train_samples_per_s_steady"] = (samples - warmup_samples) / (
            seconds - warmup_seconds)
    result = TrainResult(run_dir=run_dir, best_epoch=best_epoch, metrics=metrics, history=history,
                         labels=labels, steps=global_step, retries=retries, wall_time_s=wall,
                         train_rows=len(train_rows), dev_rows=len(dev_rows or []),
                         peak_memory_bytes=peak, slot_labels=slot_labels)
    if main:
        finalise(config, result, model_path, dist_env, device, guard)
    barrier(dist_env)
    return result


def _selection(record: dict[str, float]) -> float | tuple[float, float]:
    """What model selection and early stopping maximise: dev accuracy, or for a slot run
    (dev rows with slot markup) dev exact match (intent and every slot right), ties going
    to the higher intent accuracy. Intent accuracy levels off epochs before slot tagging
    does, so it alone would stop a slot run early. The divergence guard still judges the
    intent accuracy, the figure its thresholds are about."""
    if "dev_exact_match" in record:
        return record["dev_exact_match"], record["dev_accuracy"]
    return record.get("dev_accuracy", 0.0)


@dataclass
class EpochData:
    """What one epoch trains on: token ids and gold labels per row, the multi-view pairing
    and the teacher's soft targets (rows = the files' rows, then the epoch's fresh views)."""

    ids: list[list[int]]
    gold: torch.Tensor
    views: ViewIndex | None
    targets: torch.Tensor | None
    fresh_rows: int = 0
    epoch: int = -1
    slot_tags: list[list[int]] | None = None
    """Per row, a slot tag index per token (IGNORE where not tagged); None: no slot head."""


def _view_index(train_rows: list[Utterance], config: TrainConfig) -> ViewIndex | None:
    """Anchors and their synthetic views for ``--consistency`` (None when it is off)."""
    if config.consistency <= 0:
        return None
    views = index_views(train_rows)
    if not views.paired:
        raise LexiError(
            "--consistency needs synthetic rows whose lexi.source_id names a training row",
            path=config.data[-1], hint="train on the English file and its `lexi synth` output "
            "together (--data en.jsonl --data synth.jsonl)")
    return views


def _teacher_targets(config: TrainConfig, train_rows: list[Utterance], labels: list[str],
                     device: torch.device) -> torch.Tensor:
    """Soft targets ``[rows, labels]``: the teacher's tempered probabilities for each row's
    source row (a synthetic view gets those of the English row it was made from)."""
    from lexi.model.predict import load_predictor

    teacher = load_predictor(config.teacher, device=str(device.type))
    missing = sorted(set(labels) - set(teacher.labels))
    if missing:
        raise LexiError(f"the teacher does not know {len(missing)} training label(s): "
                        + ", ".join(missing[:5]), path=config.teacher,
                        hint="use a teacher trained on the same labels")
    anchor_of = {view: anchor for anchor, views in index_views(train_rows).views.items()
                 for view in views}
    sources = sorted({anchor_of.get(i, i) for i in range(len(train_rows))})
    logits = evaluate_logits(teacher.model, teacher.tokenizer(
        [train_rows[i].text for i in sources], truncation=True,
        max_length=teacher.max_length)["input_ids"], teacher.tokenizer.pad_token_id,
        teacher.device, config.eval_batch_size)
    columns = torch.tensor([teacher.labels.index(label) for label in labels])
    probs = torch.softmax(logits[:, columns] / config.temperature, dim=-1)
    row_of_source = {row: k for k, row in enumerate(sources)}
    return probs[[row_of_source[anchor_of.get(i, i)] for i in range(len(train_rows))]]


def _slot_loss(slot_logits: torch.Tensor, tags: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Mean cross-entropy over the tagged tokens (each word's first sub-word) of the batch,
    and how many there were. A batch with none (rows without slot markup) gives a zero that
    still reaches the slot head, so every DDP process reduces the same parameters."""
    labelled = int((tags != IGNORE).sum())
    summed = nn.functional.cross_entropy(slot_logits.float().flatten(0, 1), tags.flatten(),
                                         ignore_index=IGNORE, reduction="sum")
    return summed / max(labelled, 1), labelled


def _distillation(logits: torch.Tensor, targets: torch.Tensor, temperature: float
                  ) -> torch.Tensor:
    """KL(teacher ‖ student) at ``temperature``, scaled by T² (Hinton et al. 2015)."""
    student = nn.functional.log_softmax(logits.float() / temperature, dim=-1)
    return nn.functional.kl_div(student, targets, reduction="batchmean") * temperature ** 2


def _consistency(logits: torch.Tensor, anchors: int, drawn: list[tuple[int, int]],
                 device: torch.device) -> torch.Tensor:
    """Symmetric KL between each drawn view (after the anchors) and its anchor's prediction."""
    if not drawn:
        return torch.zeros((), device=device)
    positions = torch.tensor([position for position, _ in drawn], device=device)
    return symmetric_kl(logits[positions], logits[anchors:])






def _report_epoch(record: dict[str, float], improved: bool) -> None:
    dev = (f"  dev acc {record['dev_accuracy']:.4f}  dev loss {record['dev_loss']:.4f}"
           if "dev_accuracy" in record else "")
    if "dev_slot_f1" in record:
        dev += (f"  dev slot F1 {record['dev_slot_f1']:.4f}  dev exact match "
                f"{record['dev_exact_match']:.4f}")
    console.print(
        f"epoch {record['epoch']}: train loss {record['train_loss']:.4f}{dev}  "
        f"{record['train_samples_per_s']:.1f} samples/s" + ("  [green]best[/]" if improved else ""),
        highlight=False, soft_wrap=True,
    )








