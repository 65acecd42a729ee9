"""Prediction without transformers or peft: a BERT encoder in plain torch, the model's own
``tokenizer.json`` through ``tokenizers``, and LoRA merged by hand.

Why: ``lexi predict`` from the shell spends most of its time starting up, not predicting.
Importing transformers' modelling code pulls in ``torch._dynamo``, ``torch.distributed``
and more (``python -X importtime``: longer than importing torch itself), and peft
imports that same code to merge an adapter. The encoder itself is a
few matrix products; written here in plain torch, with the parameter names of
transformers' ``BertModel``, it loads the same ``model.safetensors`` and computes the same
function (``tests/test_lean.py`` compares the two, LoRA merged, padding included).

Only what is known to compute the same is taken (:func:`lean_config`,
:func:`plain_lora`, :func:`lean_tokenizer_ok`): a BERT-family ``config.json`` with the
exact GELU and absolute positions, a tokenizer that transformers itself would read from
``tokenizer.json`` as it is, an adapter that is plain LoRA. Anything else makes the
caller (:func:`lexi.model.predict.load_predictor`) load through transformers, as before.
``LEXI_LEAN_PREDICT=0`` turns this path off.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional

LEAN_ENV = "LEXI_LEAN_PREDICT"
# Families other than "bert" differ in ways the module below does not reproduce (XLM-R
# offsets its positions by the padding id, DistilBERT has no token types, ...).
_FAMILY = "bert"
# Tokenizer classes that take tokenizer.json as it is; a named class (BertTokenizer, ...)
# may rebuild the pipeline from its own options, which this path would not see.
_PLAIN_TOKENIZERS = {"TokenizersBackend", "PreTrainedTokenizerFast"}


def enabled() -> bool:
    """Whether the lean path may be used (``LEXI_LEAN_PREDICT=0`` turns it off)."""
    return os.environ.get(LEAN_ENV, "1").lower() not in ("0", "false", "no", "off")


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class LeanConfig:
    """What the encoder needs of ``config.json``; ``hidden_size`` is also what
    :class:`~lexi.model.classifier.EncoderClassifier` reads of ``encoder.config``."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float


def lean_config(folder: str | Path) -> LeanConfig | None:
    """The folder's encoder configuration if the lean encoder computes what transformers'
    ``BertModel`` computes for it, else None."""
    config = _read(Path(folder) / "config.json")
    if config is None or config.get("model_type") != _FAMILY:
        return None
    if config.get("hidden_act", "gelu") != "gelu":  # "gelu" is the exact (erf) GELU
        return None
    if config.get("position_embedding_type", "absolute") != "absolute":
        return None
    if config.get("is_decoder") or config.get("add_cross_attention"):
        return None
    try:
        found = LeanConfig(**{name: config[name] for name in LeanConfig.__dataclass_fields__})
    except (KeyError, TypeError):
        return None
    if found.hidden_size % found.num_attention_heads or found.type_vocab_size < 1:
        return None
    return found


class _Output:
    """What the classifier reads of an encoder's output."""

    def __init__(self, last_hidden_state: torch.Tensor):
        self.last_hidden_state = last_hidden_state


def _holder(**children: nn.Module) -> nn.Module:
    """An empty module holding ``children``: gives parameters transformers' names."""
    module = nn.Module()
    for name, child in children.items():
        module.add_module(name, child)
    return module


def _uninitialised(*shape: int) -> nn.Parameter:
    # Not torch.nn's layers: they draw random weights that the checkpoint then replaces (a
    # second for the 96M-value embedding), and building them on the "meta" device instead
    # imports torch._dynamo (2 s). torch.empty allocates without writing.
    return nn.Parameter(torch.empty(*shape), requires_grad=False)


class _Linear(nn.Module):
    def __init__(self, inputs: int, outputs: int):
        super().__init__()
        self.weight, self.bias = _uninitialised(outputs, inputs), _uninitialised(outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return functional.linear(x, self.weight, self.bias)


class _LayerNorm(nn.Module):
    def __init__(self, size: int, eps: float):
        super().__init__()
        self.weight, self.bias, self.eps = _uninitialised(size), _uninitialised(size), eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return functional.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)


class _Embedding(nn.Module):
    def __init__(self, rows: int, size: int):
        super().__init__()
        self.weight = _uninitialised(rows, size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return functional.embedding(ids, self.weight)


class _Layer(nn.Module):
    """One encoder layer: self-attention and feed-forward, each with residual + LayerNorm."""

    def __init__(self, config: LeanConfig):
        super().__init__()
        h, eps = config.hidden_size, config.layer_norm_eps
        self.heads = config.num_attention_heads
        self.attention = _holder(
            self=_holder(query=_Linear(h, h), key=_Linear(h, h), value=_Linear(h, h)),
            output=_holder(dense=_Linear(h, h), LayerNorm=_LayerNorm(h, eps)))
        self.intermediate = _holder(dense=_Linear(h, config.intermediate_size))
        self.output = _holder(dense=_Linear(config.intermediate_size, h),
                              LayerNorm=_LayerNorm(h, eps))

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        own = self.attention.self

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

        mixed = functional.scaled_dot_product_attention(
            split(own.query(x)), split(own.key(x)), split(own.value(x)), attn_mask=keep)
        mixed = mixed.transpose(1, 2).reshape(batch, length, hidden)
        out = self.attention.output
        x = out.LayerNorm(out.dense(mixed) + x)
        inner = functional.gelu(self.intermediate.dense(x))
        return self.output.LayerNorm(self.output.dense(inner) + x)


class LeanBert(nn.Module):
    """transformers' ``BertModel`` (no pooler) at inference: same parameter names, same
    function, none of its machinery (caches, cross-attention, masking utilities). Built
    uninitialised: :func:`load_lean_encoder` fills it."""

    def __init__(self, config: LeanConfig):
        super().__init__()
        self.config = config
        h = config.hidden_size
        self.embeddings = _holder(
            word_embeddings=_Embedding(config.vocab_size, h),
            position_embeddings=_Embedding(config.max_position_embeddings, h),
            token_type_embeddings=_Embedding(config.type_vocab_size, h),
            LayerNorm=_LayerNorm(h, config.layer_norm_eps))
        self.encoder = _holder(layer=nn.ModuleList(
            _Layer(config) for _ in range(config.num_hidden_layers)))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> _Output:
        emb = self.embeddings
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        # The same order of additions as transformers (word + type, then + position).
        x = emb.word_embeddings(input_ids) + emb.token_type_embeddings.weight[0]
        x = emb.LayerNorm(x + emb.position_embeddings(positions))
        # Boolean mask, True = attend: padding keys are left out of every query's softmax.
        keep = attention_mask.bool()[:, None, None, :]
        for layer in self.encoder.layer:
            x = layer(x, keep)
        return _Output(x)


# Buffers some checkpoints carry (older transformers saved them); the lean module has none.
_BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")


def load_lean_encoder(folder: str | Path, config: LeanConfig) -> LeanBert | None:
    """The encoder of ``folder/model.safetensors`` (an encoder's own weights, or those of a
    ``lexi export`` with its ``bert.`` prefix and ``classifier``), or None when its tensors
    are not exactly the encoder's."""
    from safetensors.torch import load_file

    path = Path(folder) / "model.safetensors"
    if not path.is_file():
        return None  # sharded or .bin checkpoints: transformers knows how to read them
    weights = load_file(str(path))
    if "bert.embeddings.word_embeddings.weight" in weights:
        weights = {name.removeprefix("bert."): tensor for name, tensor in weights.items()
                   if not name.startswith("classifier.")}
    for name in _BUFFERS:
        weights.pop(name, None)
    if any(t.dtype != torch.float32 for t in weights.values()):
        return None  # transformers would compute in the saved precision: leave it to it
    model = LeanBert(config)
    expected = {name: tuple(p.shape) for name, p in model.state_dict().items()}
    if {name: tuple(t.shape) for name, t in weights.items()} != expected:
        return None
    model.load_state_dict(weights, assign=True)
    return model.eval()


# --- LoRA merged by hand --------------------------------------------------------------------

# adapter_config.json keys that do not change what a merge computes: where the adapter
# came from, how it was initialised or trained, which modules it targets (the saved
# tensors say that).
_IRRELEVANT = {
    "auto_mapping", "base_model_name_or_path", "revision", "task_type", "inference_mode",
    "peft_version", "init_lora_weights", "lora_dropout", "target_modules", "exclude_modules",
    "layers_pattern", "loftq_config", "megatron_core", "qalora_group_size", "peft_type",
    "r", "lora_alpha", "use_rslora", "bias", "layers_to_transform",
}


def plain_lora(settings: dict[str, Any]) -> bool:
    """Whether an adapter's settings describe plain LoRA: ``W += (alpha / r) · B·A`` for
    every adapted linear layer (``alpha / √r`` with rsLoRA). Any other setting that is on
    (DoRA, per-layer ranks, fan-in/fan-out, trained biases, saved modules, options that
    newer peft versions add) leaves the merge to peft."""
    if settings.get("peft_type") != "LORA" or settings.get("bias", "none") != "none":
        return False
    if not isinstance(settings.get("r"), int) or settings["r"] < 1:
        return False
    if not isinstance(settings.get("lora_alpha"), (int, float)):
        return False
    return not any(value for key, value in settings.items() if key not in _IRRELEVANT)


def merge_lora(model: nn.Module, adapter: str | Path, prefix: str = "base_model.model."
               ) -> bool:
    """Add a saved plain-LoRA adapter to ``model``'s linear weights in place, as peft's
    ``merge_and_unload`` does; False (``model`` untouched) when the adapter is not plain
    LoRA or does not fit the model."""
    from safetensors.torch import load_file

    adapter = Path(adapter)
    settings = _read(adapter / "adapter_config.json")
    path = adapter / "adapter_model.safetensors"
    if settings is None or not plain_lora(settings) or not path.is_file():
        return False
    r, alpha = settings["r"], settings["lora_alpha"]
    scale = alpha / math.sqrt(r) if settings.get("use_rslora") else alpha / r
    tensors = load_file(str(path))
    parameters = dict(model.named_parameters())
    updates = {}
    for name in tensors:
        module, dot, kind = name.removeprefix(prefix).rpartition(".lora_")
        if not name.startswith(prefix) or not dot or kind not in ("A.weight", "B.weight"):
            return False
        a, b = tensors.get(f"{prefix}{module}.lora_A.weight"), \
            tensors.get(f"{prefix}{module}.lora_B.weight")
        weight = parameters.get(f"{module}.weight")
        if a is None or b is None or weight is None or weight.shape != (b.shape[0], a.shape[1]) \
                or a.shape[0] != b.shape[1]:
            return False
        updates[module] = (weight, a, b)
    with torch.no_grad():
        for weight, a, b in updates.values():
            # peft's arithmetic exactly: delta = (B @ A) * scale, then W += delta.
            b, a = b.to(weight.dtype), a.to(weight.dtype)
            weight += (b @ a) * scale
    return True


# --- the tokenizer ----------------------------------------------------------------------------


def lean_tokenizer_ok(folder: str | Path) -> bool:
    """Whether transformers would tokenize with ``folder/tokenizer.json`` as it is."""
    folder = Path(folder)
    settings = _read(folder / "tokenizer_config.json")
    if settings is None or not (folder / "tokenizer.json").is_file():
        return False
    if settings.get("tokenizer_class") not in _PLAIN_TOKENIZERS:
        return False
    # Options with which transformers changes the pipeline or the call's defaults.
    changing = ("add_bos_token", "add_eos_token", "add_prefix_space", "do_lower_case",
                "truncation_side", "padding_side")
    return all(settings.get(key) in (None, "right") for key in changing) \
        and isinstance(settings.get("pad_token"), str)


class LeanTokenizer:
    """The part of a transformers fast tokenizer that :class:`~lexi.model.predict.Predictor`
    calls: ``tokenizer(texts, truncation=True, max_length=n)`` → ``{"input_ids": ...}``
    (and ``offset_mapping`` on request), ``pad_token_id``, ``is_fast``."""

    is_fast = True

    def __init__(self, folder: str | Path):
        from tokenizers import Tokenizer

        folder = Path(folder)
        self.backend = Tokenizer.from_file(str(folder / "tokenizer.json"))
        pad = _read(folder / "tokenizer_config.json")["pad_token"]
        self.pad_token_id = self.backend.token_to_id(pad)
        if self.pad_token_id is None:
            raise ValueError(f"padding token {pad!r} is not in the vocabulary")
        # What transformers does for a call without padding and (until one asks) without
        # truncation, whatever tokenizer.json itself says.
        self.backend.no_padding()
        self.backend.no_truncation()
        self._max_length: int | None = None

    def __call__(self, texts: list[str], truncation: bool = True, max_length: int | None = None,
                 return_offsets_mapping: bool = False) -> dict[str, list]:
        limit = max_length if truncation else None
        if limit != self._max_length:
            # As transformers sets it: longest-first, from the right, no stride.
            if limit is None:
                self.backend.no_truncation()
            else:
                self.backend.enable_truncation(limit)
            self._max_length = limit
        encodings = self.backend.encode_batch(list(texts), add_special_tokens=True)
        out: dict[str, list] = {"input_ids": [e.ids for e in encodings]}
        if return_offsets_mapping:
            out["offset_mapping"] = [e.offsets for e in encodings]
        return out
