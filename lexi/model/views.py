"""Multi-view training: each source row beside a synthetic view of itself, in one batch.

Synthetic rows written by ``lexi synth`` carry ``lexi.source_id``, the id of the English
row they were made from. With ``--consistency λ`` the trainer iterates over the rows
that are not views (the English rows, and synthetic rows whose source is absent), draws
one of each row's views for every step (a different one each epoch when synthesis wrote
several: ``--per-utterance N`` or several operators), and adds ``λ`` × the symmetric KL
divergence between the two predictions to the cross-entropy of both (xTune, Zheng et al.
2021). The model then learns that a sentence and its pseudo-translation mean the same.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from lexi.data.records import Utterance

SOURCE_ID_KEY = "source_id"


@dataclass(frozen=True)
class ViewIndex:
    """Which training rows are anchors of an epoch and which rows are views of which."""

    anchors: list[int]
    """Rows an epoch iterates over (row indices into the training rows)."""
    views: dict[int, list[int]]
    """Anchor row index → indices of its synthetic views (absent: no view)."""

    @property
    def paired(self) -> int:
        """How many anchors have at least one view."""
        return len(self.views)

    @property
    def view_rows(self) -> int:
        return sum(len(v) for v in self.views.values())


def source_id(utt: Utterance) -> str | None:
    """The id of the row ``utt`` was synthesised from (None for an original row)."""
    provenance = utt.metadata.get("lexi")
    if isinstance(provenance, dict) and provenance.get(SOURCE_ID_KEY) is not None:
        return str(provenance[SOURCE_ID_KEY])
    return None


def index_views(rows: Sequence[Utterance]) -> ViewIndex:
    """Pair synthetic rows with the training row they came from (by id)."""
    first_by_id: dict[str, int] = {}
    for i, utt in enumerate(rows):
        if source_id(utt) is None:
            first_by_id.setdefault(str(utt.id), i)
    anchors: list[int] = []
    views: dict[int, list[int]] = {}
    for i, utt in enumerate(rows):
        origin = source_id(utt)
        anchor = first_by_id.get(origin) if origin is not None else None
        if anchor is None:
            anchors.append(i)  # an original row, or a view whose source is not here
        else:
            views.setdefault(anchor, []).append(i)
    return ViewIndex(anchors, views)


def draw_views(batch: Sequence[int], index: ViewIndex, rng: random.Random
               ) -> list[tuple[int, int]]:
    """One view for each anchor of ``batch`` that has any: ``(position in batch, view row)``."""
    drawn = []
    for position, row in enumerate(batch):
        candidates = index.views.get(row)
        if candidates:
            drawn.append((position, candidates[rng.randrange(len(candidates))]))
    return drawn


def draw_seed(seed: int, epoch: int, micro: int) -> int:
    """The seed of one micro-batch's draw: a pure function, so resume and DDP agree."""
    return (seed * 1_000_003 + epoch) * 1_000_033 + micro


def symmetric_kl(logits_a: torch.Tensor, logits_b: torch.Tensor) -> torch.Tensor:
    """Mean over rows of KL(p_a ‖ p_b) + KL(p_b ‖ p_a), computed in float32."""
    log_a = nn.functional.log_softmax(logits_a.float(), dim=-1)
    log_b = nn.functional.log_softmax(logits_b.float(), dim=-1)
    forward = nn.functional.kl_div(log_b, log_a, log_target=True, reduction="batchmean")
    backward = nn.functional.kl_div(log_a, log_b, log_target=True, reduction="batchmean")
    return forward + backward
