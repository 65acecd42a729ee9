"""Scoring the dev set after each epoch, and what model selection maximises.

Every process scores its share of the dev rows; the sums are added across processes, so
that each one sees the same figures (early stopping and the divergence guard agree).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from lexi.model.classifier import evaluate_joint, evaluate_logits
from lexi.model.config import TrainConfig
from lexi.model.devices import Distributed
from lexi.model.slots import decode_tokens, span_counts


@dataclass
class DevSlots:
    """What scoring the dev set's slots needs: each row's text, token offsets and gold
    spans (``None`` for a row without slot markup, which is not scored on slots)."""

    texts: list[str]
    offsets: list[list[tuple[int, int]]]
    gold: list[tuple | None]
    tags: list[str]


def dev_metrics(model: nn.Module, dev_ids: list[list[int]], dev_y: torch.Tensor, pad_id: int,
                device: torch.device, config: TrainConfig,
                dist_env: Distributed, slots: DevSlots | None = None) -> dict[str, float]:
    """``dev_accuracy`` and ``dev_loss`` (and ``dev_slot_f1``, ``dev_exact_match`` for a
    slot run whose dev rows have slot markup), over the whole dev set."""
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
                                 slot_logits[k].argmax(-1).tolist(), slots.tags,
                                 predicted=True)
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


def selection_score(record: dict[str, float]) -> float | tuple[float, float]:
    """What model selection and early stopping maximise: dev accuracy, or for a slot run
    (dev rows with slot markup) dev exact match (intent and every slot right), ties going
    to the higher intent accuracy. Intent accuracy levels off epochs before slot tagging
    does, so it alone would stop a slot run early. The divergence guard still judges the
    intent accuracy, the figure its thresholds are about."""
    if "dev_exact_match" in record:
        return record["dev_exact_match"], record["dev_accuracy"]
    return record.get("dev_accuracy", 0.0)
