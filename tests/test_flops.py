"""The analytic FLOP count of a training step (lexi.model.flops) against torch's own
counter on a real forward and backward pass of the tiny BERT."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from lexi.model.classifier import build_model
from lexi.model.config import TrainConfig
from lexi.model.flops import EncoderShape, counted_flops, step_flops

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import build_tiny_model  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("flops") / "model")


@pytest.mark.parametrize("method, targets, lora_layers", [
    ("lora", ("query", "key", "value", "dense"), None),
    ("lora", ("value",), None),  # layer 0's query and key then need no gradient at all
    ("lora", ("dense",), None),  # nor its attention: the lowest adapter follows it
    ("lora", ("query", "key", "value", "dense"), 1),  # layer 0: no backward at all
    ("full", (), None),
])
def test_the_count_is_torchs_count(tiny, tmp_path, method, targets, lora_layers):
    changes = {"target_modules": targets} if targets else {}
    config = TrainConfig(data=["unused"], dev=None, output=str(tmp_path / "run"),
                         model=str(tiny), method=method, lora_r=4, lora_layers=lora_layers,
                         **changes)
    torch.manual_seed(0)
    model = build_model(config, str(tiny), 3).train()
    batch, length = 4, 11
    input_ids = torch.randint(0, 40, (batch, length))
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[0, 7:] = 0  # padding is computed like any token

    def step() -> None:
        logits = model(input_ids, mask)
        torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2, 0])).backward()

    analytic = step_flops(EncoderShape.read(tiny), batch, length, 3, method, lora_r=4,
                          targets=config.target_modules, lora_layers=lora_layers)
    assert counted_flops(step) == analytic.total


def test_the_formula_in_numbers():
    """The default model's shape (12 layers, 384, 1536) at batch 32 × 11 tokens: the
    documented terms, and LoRA's step between 2 and 3 forwards."""
    shape = EncoderShape(layers=12, hidden=384, intermediate=1536)
    assert shape.non_embedding_weights() == 12 * (4 * 384 * 384 + 2 * 384 * 1536)
    full = step_flops(shape, 32, 11, 60, "full")
    linear = 2 * 32 * 11 * shape.non_embedding_weights()
    attention = 4 * 32 * 12 * 11 * 11 * 384
    assert full.forward == linear + attention + 2 * 32 * 384 * 60
    assert full.backward == 2 * full.forward
    lora = step_flops(shape, 32, 11, 60, "lora", lora_r=16)
    assert lora.forward > full.forward  # the adapters' products come on top
    assert 2 * lora.forward < lora.total < 3 * lora.forward
    top6 = step_flops(shape, 32, 11, 60, "lora", lora_r=16, lora_layers=6)
    assert top6.forward < lora.forward  # six layers' adapters fewer
    assert top6.backward < 0.6 * lora.backward  # and no backward through the lower six
    assert step_flops(shape, 32, 11, 60, "lora", lora_r=16, lora_layers=12) == lora
