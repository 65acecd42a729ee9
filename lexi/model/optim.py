"""The optimizer of a training run: AdamW over the trainable parameters, in groups.

- weights decay (``--weight-decay``); biases and LayerNorm parameters do not;
- the slot head (``--task intent+slots``) learns at ``--slot-lr-scale`` × the rate: its
  inputs, the encoder's token vectors, vary little between tokens, so at the adapter's
  rate it stays at the tag prior.

The slot head's groups come last: the first group's rate is the run's own ``--lr``.
"""

from __future__ import annotations

import torch
from torch import nn

from lexi.model.config import TrainConfig


def _decays(name: str, parameter: nn.Parameter) -> bool:
    return parameter.ndim >= 2 and "LayerNorm" not in name and "layer_norm" not in name


def build_optimizer(model: nn.Module, config: TrainConfig
                    ) -> tuple[list[nn.Parameter], torch.optim.AdamW]:
    """The trainable parameters and the AdamW that updates them."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    slot = [(n, p) for n, p in named if n.startswith("slot_head.")]
    rest = [(n, p) for n, p in named if not n.startswith("slot_head.")]
    rate = config.learning_rate
    groups = [{"params": [p for n, p in rest if _decays(n, p)],
               "weight_decay": config.weight_decay},
              {"params": [p for n, p in rest if not _decays(n, p)], "weight_decay": 0.0}]
    if slot:
        slot_rate = rate * config.slot_lr_scale
        groups += [{"params": [p for n, p in slot if _decays(n, p)],
                    "weight_decay": config.weight_decay, "lr": slot_rate},
                   {"params": [p for n, p in slot if not _decays(n, p)],
                    "weight_decay": 0.0, "lr": slot_rate}]
    return [p for _, p in named], torch.optim.AdamW(groups, lr=rate)
