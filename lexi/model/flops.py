"""Matrix-multiply FLOPs of one training step of a BERT-family classifier, counted from
the batch's shape (``benchmarks/bench_train.py`` divides them by the step's time and by
the machine's measured matmul throughput: a roofline ratio).

What is counted: every matrix product (FLOPs = 2 × multiply-adds), nothing elementwise
(LayerNorm, GELU, softmax, dropout, the optimizer's update: memory-bound work that a
matmul roofline does not measure). A batch of ``B`` sequences padded to ``S`` tokens
(``T = B·S``: padding is computed like any token) through ``L`` layers of hidden size
``h`` and feed-forward size ``f``:

- forward, linear layers: ``2·T·L·(4h² + 2hf)`` (query, key, value, attention output,
  feed-forward in and out: the encoder's non-embedding weights; the embedding is a
  lookup, no product);
- forward, attention: ``4·B·L·S²·h`` (scores ``QKᵀ`` and ``softmax·V``, ``B·S²·h``
  multiply-adds each);
- LoRA rank ``r`` on a layer ``in → out``: ``2·T·r·(in + out)`` more (``x·A`` then ``·B``);
- the intent head over the pooled vector: ``2·B·h·C`` for ``C`` labels.

Backward, as autograd runs it: a product's input gradient is computed where that input
needs one (it depends on something trained), its weight gradient where the weight is
trained. Full fine-tuning: every product twice more, backward = 2 × forward. LoRA with
the base frozen: no weight gradients for the base layers, but activation gradients still
flow down to the lowest adapter, so a frozen linear layer costs about 1 × its forward
(less where its input needs no gradient: layer 0's query, key and value read the frozen
embedding), the attention products 2 × (gradients of scores, Q, K and V: their operands
are activations), each adapter 2 × its forward (less its input's gradient in layer 0)
and the head 2 ×. For the default adapters (query, key, value, every dense) that is
2 × the base's linear FLOPs plus 3 × the attention's. ``tests/test_flops.py`` checks the
count against :class:`torch.utils.flop_counter.FlopCounterMode` on a real step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EncoderShape:
    """What the count needs of the encoder (``config.json``)."""

    layers: int
    hidden: int
    intermediate: int

    @classmethod
    def read(cls, model_folder: str | Path) -> EncoderShape:
        config = json.loads((Path(model_folder) / "config.json").read_text(encoding="utf-8"))
        return cls(config["num_hidden_layers"], config["hidden_size"],
                   config["intermediate_size"])

    def linears(self) -> list[tuple[str, int, int]]:
        """Each layer's linear layers: (module name, inputs, outputs), in BERT's names."""
        h, f = self.hidden, self.intermediate
        return [("attention.self.query", h, h), ("attention.self.key", h, h),
                ("attention.self.value", h, h), ("attention.output.dense", h, h),
                ("intermediate.dense", h, f), ("output.dense", f, h)]

    def non_embedding_weights(self) -> int:
        return self.layers * sum(i * o for _, i, o in self.linears())


@dataclass(frozen=True)
class StepFlops:
    forward: int
    backward: int

    @property
    def total(self) -> int:
        return self.forward + self.backward


def step_flops(shape: EncoderShape, batch: int, length: int, num_labels: int,
               method: str = "lora", lora_r: int = 16,
               targets: Sequence[str] = ("query", "key", "value", "dense"),
               lora_layers: int | None = None) -> StepFlops:
    """FLOPs of one forward and backward pass over ``batch`` sequences of ``length`` tokens
    (see the module docstring for the formula and what it leaves out).

    Backward follows autograd: a product's input gradient is computed only where that
    input needs one (it depends on something trained), a weight gradient only for a
    trained weight. With LoRA the embedding is frozen, so below the lowest adapter
    nothing needs a gradient: with ``lora_layers`` (the top N layers adapted) the layers
    below them have no backward pass at all."""
    tokens, h = batch * length, shape.hidden
    full = method == "full"
    one_attention_product = 2 * batch * length * length * h
    forward = backward = 0
    grad = full  # whether the hidden state entering the layer needs a gradient

    def linear(name: str, inputs: int, outputs: int, input_grad: bool, in_adapted_layer: bool
               ) -> bool:
        """Count one linear layer; whether its output needs a gradient."""
        nonlocal forward, backward
        product = 2 * tokens * inputs * outputs
        forward += product
        backward += product * (int(input_grad) + int(full))  # input's, weight's gradient
        # peft matches a target against the module name's last part ("dense" adapts the
        # attention output and both feed-forward layers).
        adapted = not full and in_adapted_layer and name.rpartition(".")[2] in targets
        if adapted:
            down, up = 2 * tokens * inputs * lora_r, 2 * tokens * lora_r * outputs
            forward += down + up
            # B's weight and input gradients, A's weight gradient, and x's through A.
            backward += 2 * up + down + down * int(input_grad)
        return input_grad or adapted or full

    q, k, v, out, inner, down = (name for name, _, _ in shape.linears())
    ff = shape.intermediate
    lowest_adapted = shape.layers - (shape.layers if lora_layers is None else lora_layers)
    for index in range(shape.layers):
        adapts = index >= lowest_adapted
        q_grad, k_grad, v_grad = (linear(name, h, h, grad, adapts) for name in (q, k, v))
        forward += 2 * one_attention_product
        # Scores' gradient (from softmax·V's) if Q or K needs one, then Q's, K's and V's.
        backward += one_attention_product * (int(q_grad or k_grad) + q_grad + k_grad + v_grad)
        context_grad = q_grad or k_grad or v_grad
        attended = linear(out, h, h, context_grad, adapts) or grad  # + residual, LayerNorm
        expanded = linear(inner, h, ff, attended, adapts)
        grad = linear(down, ff, h, expanded, adapts) or attended
    head = 2 * batch * h * num_labels
    forward += head
    backward += head * (1 + int(grad))  # the head is always trained
    return StepFlops(forward, backward)


def counted_flops(step: Callable[[], object]) -> int:
    """The matmul FLOPs torch's own counter sees while ``step()`` runs (forward and
    backward), with CPU attention counted too: its fused kernels are missing from
    torch's table (it would count 0), so they get the formula of the other attention
    kernels."""
    import torch
    from torch.utils.flop_counter import (
        FlopCounterMode,
        sdpa_backward_flop_count,
        sdpa_flop_count,
    )

    def forward(query, key, value, *args, out_shape=None, **kwargs) -> int:
        return sdpa_flop_count(query, key, value)

    def backward(grad_out, query, key, value, *args, out_shape=None, **kwargs) -> int:
        return sdpa_backward_flop_count(grad_out, query, key, value)

    aten = torch.ops.aten
    mapping = {}
    if hasattr(aten, "_scaled_dot_product_flash_attention_for_cpu"):
        mapping[aten._scaled_dot_product_flash_attention_for_cpu] = forward
    if hasattr(aten, "_scaled_dot_product_flash_attention_for_cpu_backward"):
        mapping[aten._scaled_dot_product_flash_attention_for_cpu_backward] = backward
    with FlopCounterMode(display=False, custom_mapping=mapping) as counter:
        step()
    return int(counter.get_total_flops())
