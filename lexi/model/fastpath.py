"""Cheaper training-time work on the CPU: dropout masks from fewer random draws, no float32
round trip of LoRA inputs under bf16 autocast, and frozen weights cast to bf16 once an
epoch instead of at every product.

Profiled on the recipe's MASSIVE training (LoRA r=16 on every linear layer, bf16 autocast,
2 cores; docs/performance.md, "Dropout masks and LoRA casts"), ``aten::bernoulli_`` took 27%
of the step: torch's CPU dropout draws one 32-bit number from its Mersenne Twister per
element, and the LoRA adapters alone drop out six activations per layer (peft draws one
mask per adapted module, three of them for the same attention input). :class:`FastDropout`
draws 64-bit words and reads each as four 16-bit numbers, a quarter of the draws. peft
also casts every adapter's input to the adapter's float32 weights, which autocast then casts
back to bf16 for the product: two copies of each activation per adapter and step that
:func:`speed_up_training` turns off where autocast runs the step. And autocast casts every
frozen weight matrix to bf16 again at every product (it caches casts only of weights that
are trained): :func:`frozen_weights_in` holds them in bf16 for an epoch, the same values.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

# A keep decision is one 16-bit number at or above this many steps of 1/65536 into its
# range, so p is honoured to within 1/131072.
_LEVELS = 1 << 16


class FastDropout(nn.Module):
    """``nn.Dropout`` (same ``p``, same scaling by ``1 / (1 - p)``, identity in eval mode)
    whose mask takes 16 bits of a 64-bit draw per element. Deterministic for a
    ``torch.manual_seed``, though not the stream ``nn.Dropout`` draws."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p  # transformers' attention reads ``.p`` of its dropout module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        count = x.numel()
        # Full-range draws: every bit, the top one too, is uniform (random_() with no
        # bounds leaves an int64's sign bit at 0).
        words = torch.empty((count + 3) // 4, dtype=torch.int64, device=x.device)
        words.random_(-(1 << 63), None)
        halves = words.view(torch.int16)[:count]
        keep = (halves >= round(-(_LEVELS // 2) + self.p * _LEVELS)).view(x.shape)
        # A Python scalar for the scale: the product is formed at float32 precision and
        # rounded once, as nn.Dropout's is, also for bf16 activations.
        return x * keep * (1.0 / (1.0 - self.p))

    def extra_repr(self) -> str:
        return f"p={self.p}"


def swap_dropout(model: nn.Module) -> int:
    """Replace every ``nn.Dropout`` (exactly that class) with ``p > 0`` in ``model`` by a
    :class:`FastDropout` of the same ``p``; the number replaced."""
    swapped = 0
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if type(child) is nn.Dropout and child.p > 0:
                setattr(module, name, FastDropout(child.p))
                swapped += 1
    return swapped


def keep_adapter_inputs(model: nn.Module) -> int:
    """Stop peft's LoRA layers casting their input to the adapter's (float32) dtype, for
    steps that run under autocast, which casts for each product anyway; the number of
    layers changed (0 without peft)."""
    changed = 0
    for module in model.modules():
        if getattr(module, "cast_input_dtype_enabled", None) is True:
            module.cast_input_dtype_enabled = False
            changed += 1
    return changed


def uses_fast_dropout(requested: bool, device: torch.device) -> bool:
    """Whether a run asking for ``fast_dropout`` gets it: on the CPU only (CUDA's dropout
    kernel is already fast). What training does and what ``run.json`` records."""
    return requested and device.type == "cpu"


def speed_up_training(model: nn.Module, device: torch.device, autocast_bf16: bool, *,
                      fast_dropout: bool = True) -> dict[str, int]:
    """Both changes where they pay: :func:`swap_dropout` where :func:`uses_fast_dropout`
    says so, :func:`keep_adapter_inputs` when the step runs under bf16 autocast. What was
    changed, as counts."""
    return {
        "fast_dropout": swap_dropout(model) if uses_fast_dropout(fast_dropout, device) else 0,
        "uncast_adapters": keep_adapter_inputs(model) if autocast_bf16 else 0,
    }


@contextlib.contextmanager
def frozen_weights_in(model: nn.Module, device: torch.device, cpu_bf16: bool) -> Iterator[int]:
    """Inside the block, when training runs under bf16 autocast on the CPU: the weight and
    bias of every frozen ``nn.Linear`` (LoRA's base layers) held in bf16, exactly the cast
    autocast makes of them at each product, made once; on leaving, the float32 tensors
    back (for evaluation, which runs in float32, and saving). Yields how many were cast.
    Trained tensors are never touched: the optimizer keeps their float32 values."""
    originals: list[tuple[nn.Parameter, torch.Tensor]] = []
    if cpu_bf16 and device.type == "cpu":
        for module in model.modules():
            if not isinstance(module, nn.Linear):
                continue
            for param in (module.weight, module.bias):
                if param is not None and not param.requires_grad \
                        and param.dtype == torch.float32:
                    originals.append((param, param.data))
                    param.data = param.data.to(torch.bfloat16)
    try:
        yield len(originals)
    finally:
        for param, data in originals:
            param.data = data
