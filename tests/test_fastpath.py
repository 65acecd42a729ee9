"""FastDropout and the training-time switches of lexi.model.fastpath."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from lexi.model.fastpath import (
    FastDropout,
    frozen_weights_in,
    keep_adapter_inputs,
    speed_up_training,
    swap_dropout,
)

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import config_for, losses_while_hooked  # noqa: E402


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5])
def test_drops_the_share_p_and_scales_the_rest_like_nn_dropout(p):
    torch.manual_seed(0)
    x = torch.rand(1_000_000) + 0.5  # no zeros of its own
    layer = FastDropout(p).train()
    y = layer(x)
    dropped = (y == 0).double().mean().item()
    # 1M Bernoulli(p) draws: the standard error is below 0.0005
    assert abs(dropped - p) < 0.003
    kept = y != 0
    assert torch.equal(y[kept], x[kept] * (1.0 / (1.0 - p)))
    assert abs(y.mean().item() - x.mean().item()) < 0.01  # unbiased, as dropout is


def test_mask_bits_are_uniform_in_every_position_of_the_word():
    # Each 64-bit draw gives four masks; a biased sign bit would drop the fourth element of
    # every group of four at another rate.
    torch.manual_seed(1)
    y = FastDropout(0.5).train()(torch.ones(400_000))
    per_position = (y.view(-1, 4) == 0).double().mean(0)
    assert torch.all((per_position - 0.5).abs() < 0.01), per_position


def test_eval_mode_and_p_zero_are_the_identity():
    x = torch.randn(8, 5)
    assert FastDropout(0.1).eval()(x) is x
    assert FastDropout(0.0).train()(x) is x
    with pytest.raises(ValueError):
        FastDropout(1.0)


def test_seeded_draws_repeat_and_gradients_follow_the_mask():
    x = torch.randn(64, 32, requires_grad=True)
    layer = FastDropout(0.25).train()
    torch.manual_seed(7)
    first = layer(x)
    torch.manual_seed(7)
    again = layer(x)
    torch.manual_seed(8)
    other = layer(x)
    assert torch.equal(first, again) and not torch.equal(first, other)
    first.sum().backward()
    expected = (first != 0).float() / 0.75
    assert torch.allclose(x.grad, expected)


def test_bf16_activations_stay_bf16_and_round_once():
    torch.manual_seed(3)
    x = torch.randn(4096).to(torch.bfloat16)
    torch.manual_seed(4)
    y = FastDropout(0.1).train()(x)
    assert y.dtype == torch.bfloat16
    kept = y != 0
    exact = (x.float() * (1.0 / 0.9)).to(torch.bfloat16)
    assert torch.equal(y[kept], exact[kept])


class _OwnDropout(nn.Dropout):
    """A subclass may do more than drop: left alone."""


def test_swap_replaces_plain_dropout_with_p_only():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.1),
                          nn.ModuleDict({"a": nn.Dropout(0.2), "b": nn.Dropout(0.0)}),
                          _OwnDropout(0.3))
    assert swap_dropout(model) == 2
    assert isinstance(model[1], FastDropout) and model[1].p == 0.1
    assert isinstance(model[2]["a"], FastDropout) and model[2]["a"].p == 0.2
    assert type(model[2]["b"]) is nn.Dropout and type(model[3]) is _OwnDropout
    assert swap_dropout(model) == 0


def test_adapter_inputs_stay_in_the_autocast_dtype_with_the_same_output():
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)
    base = nn.Sequential(nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 4))
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["0", "2"],
                                            lora_dropout=0.0))
    for name, param in model.named_parameters():  # a trained-looking adapter, not zero
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.5)
    model.eval()
    x = torch.randn(5, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        cast = model(x)
    assert keep_adapter_inputs(model) == 2
    assert keep_adapter_inputs(model) == 0
    with torch.autocast("cpu", dtype=torch.bfloat16):
        kept = model(x)
    assert torch.allclose(cast.float(), kept.float(), atol=0.05, rtol=0.02)
    assert torch.allclose(model(x), model(x))  # float32 without autocast still works


def test_speed_up_training_only_where_it_pays():
    def fresh():
        return nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1))

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert speed_up_training(fresh(), cpu, False) == {"fast_dropout": 1, "uncast_adapters": 0}
    assert speed_up_training(fresh(), cpu, False, fast_dropout=False)["fast_dropout"] == 0
    model = fresh()
    assert speed_up_training(model, cuda, True)["fast_dropout"] == 0  # CUDA's kernel is fast
    assert type(model[1]) is nn.Dropout


def test_training_uses_fast_dropout_unless_asked_not_to_and_records_it(tiny, tmp_path):
    seen: dict[bool, set[type]] = {True: set(), False: set()}

    def trained(fast: bool) -> list[float]:
        def record(module, inputs, output):
            if module.training and isinstance(module, (nn.Dropout, FastDropout)):
                seen[fast].add(type(module))

        return losses_while_hooked(config_for(tiny, tmp_path / f"fast-{fast}", epochs=3,
                                              fast_dropout=fast), record)

    fast, plain = trained(True), trained(False)
    assert seen[True] == {FastDropout} and seen[False] == {nn.Dropout}
    assert fast[-1] < 0.8 * fast[0]  # it still learns
    assert fast != plain  # another random stream
    for flag in (True, False):
        run = json.loads((tmp_path / f"fast-{flag}" / "run.json").read_text())
        assert run["config"]["fast_dropout"] is flag
        assert run["device"]["fast_dropout"] is flag


def test_frozen_linear_weights_are_bf16_inside_the_block_only():
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)
    base = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.Linear(8, 3))
    model = get_peft_model(base, LoraConfig(r=2, lora_alpha=4, target_modules=["0"]))
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    frozen = model.base_model.model[0].base_layer
    cpu = torch.device("cpu")
    with frozen_weights_in(model, cpu, cpu_bf16=True) as count:
        # layer 0's base weight and bias, and layer 2 (not adapted: frozen too)
        assert count == 4
        assert frozen.weight.dtype == torch.bfloat16
        assert torch.equal(frozen.weight, before["base_model.model.0.base_layer.weight"]
                           .to(torch.bfloat16))
        for name, p in model.named_parameters():
            if p.requires_grad or "norm" in name or ".1." in name:  # trained, LayerNorm
                assert p.dtype == torch.float32, name
    for name, p in model.named_parameters():
        assert p.dtype == torch.float32 and torch.equal(p, before[name]), name
    with frozen_weights_in(model, cpu, cpu_bf16=False) as count:
        assert count == 0 and frozen.weight.dtype == torch.float32
    with frozen_weights_in(model, torch.device("cuda"), cpu_bf16=True) as count:
        assert count == 0


def test_bf16_training_is_the_same_with_weights_cast_once(tiny, tmp_path, monkeypatch):
    # The cast made once an epoch is the one autocast makes at every product: the run's
    # losses, dev scores and saved adapter are identical to the bit.
    import contextlib

    from safetensors.torch import load_file

    import lexi.model.train as train_module

    def history(out: Path) -> list[dict]:
        result = train_module.train(config_for(tiny, out, epochs=2, cpu_bf16=True))
        return [{k: v for k, v in epoch.items() if "per_s" not in k and "seconds" not in k}
                for epoch in result.history]

    once = history(tmp_path / "once")
    monkeypatch.setattr(train_module, "frozen_weights_in",
                        lambda *args: contextlib.nullcontext(0))
    every_product = history(tmp_path / "every")
    assert once == every_product
    adapters = [load_file(str(tmp_path / run / "adapter" / "adapter_model.safetensors"))
                for run in ("once", "every")]
    assert adapters[0].keys() == adapters[1].keys()
    assert all(torch.equal(adapters[0][k], adapters[1][k]) for k in adapters[0])
