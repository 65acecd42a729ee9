"""Batches for training and inference: length buckets and dynamic padding.

Utterances are tokenised once; a batch is padded only to its longest member, and
bucketing puts utterances of similar length in the same batch, so little compute is
spent on padding. The order is a pure function of (seed, epoch): runs are reproducible
and every DDP process computes the same list of batches, then takes its own share.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch

# How many batches' worth of examples are sorted by length together: large enough that
# batches are nearly uniform in length, small enough that an epoch still mixes well.
BUCKET_BATCHES = 50


def epoch_batches(lengths: Sequence[int], batch_size: int, *, seed: int, epoch: int,
                  bucket: bool = True) -> list[list[int]]:
    """Index lists, one per batch, for one epoch (shuffled; bucketed by length if asked)."""
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if bucket:
        chunk = batch_size * BUCKET_BATCHES
        order = [
            i
            for start in range(0, len(order), chunk)
            for i in sorted(order[start : start + chunk], key=lambda j: lengths[j])
        ]
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    if bucket:
        rng.shuffle(batches)  # so that an epoch does not run short→long within each chunk
    return batches


def shard_batches(batches: list[list[int]], rank: int, world_size: int) -> list[list[int]]:
    """This process's batches: every ``world_size``-th, the same count on every process."""
    if world_size == 1:
        return batches
    usable = len(batches) - len(batches) % world_size
    return batches[rank:usable:world_size]


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Inference batches: sorted by length (least padding), to be put back in order after."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def collate(token_ids: Sequence[Sequence[int]], pad_id: int,
            pad_to: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad a batch to its longest member (or to ``pad_to``): ``(input_ids, attention_mask)``."""
    width = pad_to if pad_to is not None else max(len(ids) for ids in token_ids)
    input_ids = torch.full((len(token_ids), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(token_ids), width), dtype=torch.long)
    for row, ids in enumerate(token_ids):
        ids = ids[:width]
        input_ids[row, : len(ids)] = torch.as_tensor(ids, dtype=torch.long)
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


def collate_tags(tags: Sequence[Sequence[int]], width: int, ignore: int = -100) -> torch.Tensor:
    """Slot tag indices padded (and cut) to ``width`` with ``ignore``: ``[rows, width]``,
    aligned with :func:`collate`'s ``input_ids``."""
    out = torch.full((len(tags), width), ignore, dtype=torch.long)
    for row, labels in enumerate(tags):
        labels = labels[:width]
        out[row, : len(labels)] = torch.as_tensor(labels, dtype=torch.long)
    return out
