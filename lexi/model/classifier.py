"""The network: a transformers encoder, pooling over tokens, a linear classification head.

The encoder is any ``AutoModel`` (BERT, XLM-R, …); LoRA wraps the encoder only, so the
adapter folder is an ordinary peft adapter of that encoder, and the head is saved beside it.
:func:`build_model` puts them together for training; :func:`evaluate_logits` and
:func:`evaluate_joint` run them for inference.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn

from lexi.errors import LexiError
from lexi.model.batching import collate, length_sorted_batches
from lexi.model.config import TrainConfig
from lexi.model.devices import autocast


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors of real tokens (padding excluded)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


class EncoderClassifier(nn.Module):
    """``encoder`` → pooling (``mean`` or ``cls``) → dropout → ``head`` → logits.

    With ``num_slot_labels`` it also has ``slot_head``, a linear layer over every token's
    encoding (BIO slot tags, :mod:`lexi.model.slots`); ``forward(..., with_slots=True)``
    then returns ``(intent logits, slot logits)``. Without it nothing is created, so an
    intent-only model (and its random initialisation) is what it always was.
    """

    def __init__(self, encoder: nn.Module, num_labels: int, pooling: str = "mean",
                 dropout: float = 0.1, num_slot_labels: int = 0) -> None:
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        hidden_size = encoder.config.hidden_size
        self.head = nn.Linear(hidden_size, num_labels)
        self.slot_head = nn.Linear(hidden_size, num_slot_labels) if num_slot_labels else None
        if self.slot_head is not None:
            # Zero weights: at the start no slot gradient reaches the encoder, so the first
            # steps cannot flatten the token vectors that the intent head pools (with random
            # weights, MASSIVE's intent loss stayed at the label entropy).
            nn.init.zeros_(self.slot_head.weight)
            nn.init.zeros_(self.slot_head.bias)

    def start_slots_at_prior(self, tag_counts: Sequence[int]) -> None:
        """Set the slot head's bias to the log frequency of each tag (add-one smoothed), so
        that training starts from the tag prior instead of spending its first steps (and
        the encoder's) learning that most words are ``O``."""
        if self.slot_head is None:
            raise ValueError("this model has no slot head")
        counts = torch.tensor(tag_counts, dtype=self.slot_head.bias.dtype) + 1.0
        with torch.no_grad():
            self.slot_head.bias.copy_(torch.log(counts / counts.sum()))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                with_slots: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = mean_pool(hidden, attention_mask) if self.pooling == "mean" else hidden[:, 0]
        # The head runs in float32 even under bf16 autocast: logits feed a softmax.
        logits = self.head(self.dropout(pooled).float())
        if not with_slots:
            return logits
        if self.slot_head is None:
            raise ValueError("this model has no slot head")
        return logits, self.slot_head(self.dropout(hidden).float())


def _check_model_folder(model_path: str) -> None:
    local = Path(model_path).expanduser()
    if local.exists() and not (local / "config.json").is_file():
        raise LexiError(
            "not a transformers model folder (no config.json)", path=model_path,
            hint="pass --model default, a model folder or a Hugging Face model id",
        )
    looks_like_a_path = model_path.startswith((".", "/", "~")) or model_path.count("/") > 1
    if not local.exists() and looks_like_a_path:
        raise LexiError("no such model folder", path=model_path,
                        hint="pass --model default, a model folder or a Hugging Face model id")


HUB_TIMEOUT_S = 3.0


@lru_cache(maxsize=1)
def hub_reachable() -> bool:
    """Whether the Hugging Face hub answers (one TCP connection, a few seconds at most).

    Offline (``HF_HUB_OFFLINE``) or with no route to the hub, transformers would retry for
    a minute and then blame a missing file; lexi asks once and says what is wrong. Behind
    a proxy the answer is left to the hub client (yes).
    """
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on") or \
            os.environ.get("TRANSFORMERS_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    if any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                                             "all_proxy")):
        return True
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        socket.create_connection((url.hostname or "huggingface.co",
                                  url.port or (443 if url.scheme != "http" else 80)),
                                 timeout=HUB_TIMEOUT_S).close()
    except OSError:
        return False
    return True


def _in_hub_cache(model_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(model_id, "config.json"), str)
    except Exception:  # noqa: BLE001 (not a valid repo id, or no cache: not cached)
        return False


def hub_kwargs(model_path: str) -> dict:
    """Extra ``from_pretrained`` arguments for ``model_path``: none for a local folder or a
    reachable hub; ``local_files_only`` for a hub id in the cache while offline; a
    :class:`LexiError` that says "offline" for a hub id that is neither."""
    if Path(model_path).expanduser().exists() or hub_reachable():
        return {}
    if _in_hub_cache(model_path):
        return {"local_files_only": True}
    from huggingface_hub.constants import HF_HUB_CACHE

    raise LexiError(
        f"offline: {model_path!r} is a Hugging Face model id, the hub "
        f"({os.environ.get('HF_ENDPOINT') or 'huggingface.co'}) cannot be reached from here, "
        f"and the model is not in the cache ({HF_HUB_CACHE})",
        hint="connect to the network (or unset HF_HUB_OFFLINE) and rerun, copy the model "
        "into a folder and pass that folder, or pass --model default (the embedded model, "
        "no network needed)",
    )


def quiet_transformers() -> None:
    """Silence what transformers and peft print on every load: their own progress bars
    (lexi draws its own) and a deprecation warning peft triggers inside transformers, which
    says nothing a lexi user can act on. Called by every model load, so the notebook API is
    as quiet as the CLI."""
    import warnings

    from transformers.utils import logging

    logging.disable_progress_bar()
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")


def load_encoder(model_path: str, dtype: torch.dtype | None = None) -> nn.Module:
    """``AutoModel`` from a folder or hub id, without the pooler (mean pooling needs none).

    Anything that is not a model becomes a :class:`LexiError` that says so.
    """
    quiet_transformers()
    from transformers import AutoConfig, AutoModel

    _check_model_folder(model_path)
    hub = hub_kwargs(model_path)
    try:
        config = AutoConfig.from_pretrained(model_path, **hub)
        kwargs = {**hub, **({"dtype": dtype} if dtype is not None else {})}
        # BERT-family models accept add_pooling_layer; a pooler nobody uses would only
        # get adapters (and leave DDP with unused parameters).
        try:
            return AutoModel.from_pretrained(model_path, config=config, add_pooling_layer=False,
                                             **kwargs)
        except TypeError:
            return AutoModel.from_pretrained(model_path, config=config, **kwargs)
    except (OSError, ValueError, KeyError) as exc:
        raise LexiError(
            f"cannot load a model from {model_path!r}: {str(exc).splitlines()[0]}",
            hint="pass --model default, a model folder or a Hugging Face model id "
            "(ids need the hub or its cache)",
        ) from None


def load_tokenizer(model_path: str):
    """The model's fast tokenizer, with the same errors as :func:`load_encoder`."""
    from transformers import AutoTokenizer

    _check_model_folder(model_path)
    hub = hub_kwargs(model_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_path, **hub)
    except (OSError, ValueError, KeyError) as exc:
        raise LexiError(
            f"cannot load a tokenizer from {model_path!r}: {str(exc).splitlines()[0]}",
            hint="the model folder needs tokenizer.json or the files of its tokenizer",
        ) from None
    if tokenizer.pad_token_id is None:
        raise LexiError(f"the tokenizer of {model_path!r} has no padding token")
    return tokenizer


# Scoring this many batches or more draws a progress bar (on a terminal).
PROGRESS_MIN_BATCHES = 3


def scored_batches(token_ids: list[list[int]], batch_size: int,
                   description: str = "scoring") -> Iterator[list[int]]:
    """Length-sorted batches of ``token_ids``, with a progress bar (rows, elapsed, ETA) on
    lexi's console when it is a terminal, the work is more than a couple of batches and
    this is the main process."""
    from rich.errors import LiveError

    from lexi import console as lexi_console
    from lexi.model.progress import progress_bar

    batches = length_sorted_batches([len(t) for t in token_ids], batch_size)
    screen = lexi_console.console
    if (len(batches) < PROGRESS_MIN_BATCHES or not screen.is_terminal
            or os.environ.get("RANK", "0") != "0"):
        yield from batches
        return
    progress = progress_bar("rows", screen)
    try:
        progress.start()
    except LiveError:  # a rich that cannot stack live displays: leave the screen as it is
        yield from batches
        return
    try:
        task = progress.add_task(description, total=len(token_ids))
        for batch in batches:
            yield batch
            progress.advance(task, len(batch))
    finally:
        progress.stop()


@torch.no_grad()
def evaluate_logits(model: nn.Module, token_ids: list[list[int]], pad_id: int,
                    device: torch.device, batch_size: int) -> torch.Tensor:
    """Logits (float32, CPU, input order) for tokenised examples."""
    model.eval()
    out = torch.empty((len(token_ids), 0))
    chunks: dict[int, torch.Tensor] = {}
    for batch in scored_batches(token_ids, batch_size):
        input_ids, mask = collate([token_ids[i] for i in batch], pad_id)
        with autocast(device):
            logits = model(input_ids.to(device), mask.to(device))
        for row, index in enumerate(batch):
            chunks[index] = logits[row].float().cpu()
    if chunks:
        out = torch.stack([chunks[i] for i in range(len(token_ids))])
    return out


@torch.no_grad()
def evaluate_joint(model: EncoderClassifier, token_ids: list[list[int]], pad_id: int,
                   device: torch.device, batch_size: int
                   ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Intent logits ``[rows, labels]`` and, per row, slot logits ``[its tokens, tags]``
    (float32, CPU, input order) of a model with a slot head."""
    model.eval()
    intents: dict[int, torch.Tensor] = {}
    slots: dict[int, torch.Tensor] = {}
    for batch in scored_batches(token_ids, batch_size):
        input_ids, mask = collate([token_ids[i] for i in batch], pad_id)
        with autocast(device):
            logits, slot_logits = model(input_ids.to(device), mask.to(device), with_slots=True)
        for row, index in enumerate(batch):
            intents[index] = logits[row].float().cpu()
            slots[index] = slot_logits[row, : len(token_ids[index])].float().cpu()
    if not intents:
        return torch.empty((0, model.head.out_features)), []
    return (torch.stack([intents[i] for i in range(len(token_ids))]),
            [slots[i] for i in range(len(token_ids))])


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


def top_layers(encoder: nn.Module, count: int | None) -> list[int] | None:
    """The indices of the encoder's top ``count`` layers, for peft's ``layers_to_transform``
    (None: every layer, also when ``count`` is the encoder's depth or more: a recipe's
    ``--lora-layers 6`` then still runs on a smaller model). peft finds the layer list by
    its usual names (``layer``, ``layers``, ``h``, ``block``), which covers the BERT family."""
    if count is None:
        return None
    total = int(encoder.config.num_hidden_layers)
    if count >= total:
        logging.getLogger(__name__).info(
            "--lora-layers %d: the encoder has %d layers, so every layer is adapted", count, total)
        return None
    return list(range(total - count, total))


def build_model(config: TrainConfig, model_path: str, num_labels: int,
                num_slot_labels: int = 0) -> EncoderClassifier:
    """The encoder (with a LoRA adapter unless ``--method full``) and its heads."""
    encoder = load_encoder(model_path)
    if config.method == "lora":
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                          lora_dropout=config.lora_dropout,
                          target_modules=list(config.target_modules), bias="none",
                          layers_to_transform=top_layers(encoder, config.lora_layers))
        try:
            encoder = get_peft_model(encoder, lora)
        except ValueError as exc:
            raise LexiError(f"LoRA: {exc}", hint="check --target-modules against the model's "
                            "layer names") from None
    return EncoderClassifier(encoder, num_labels, pooling=config.pooling,
                             dropout=config.head_dropout, num_slot_labels=num_slot_labels)
