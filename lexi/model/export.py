"""Deployment export: the adapter merged into the encoder, saved as a plain transformers model.

The folder holds ``config.json`` + ``model.safetensors`` (``AutoModel.from_pretrained``
loads it, no peft needed), the tokenizer files, ``head.safetensors`` and ``lexi.json``
(labels, pooling, max length), so ``load_predictor(folder)`` works on it too.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from lexi.errors import LexiError
from lexi.io import atomic_write


def export_run(run_dir: str | Path, output: str | Path, *, merge: bool = True,
               overwrite: bool = False) -> Path:
    """Write a merged, peft-free copy of ``run_dir`` to ``output``; returns ``output``."""
    from safetensors.torch import save_file

    from lexi.model.predict import EXPORT_FILE, load_predictor
    from lexi.model.train import HEAD_FILE, LABELS_FILE

    if not merge:
        raise LexiError("only merged exports are written", hint="pass --merge; the run "
                        "directory itself is the unmerged adapter")
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        if not overwrite:
            raise LexiError("the output directory exists and is not empty", path=output,
                            hint="pass --overwrite")
    predictor = load_predictor(run_dir, device="cpu")  # merges the adapter on load
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        predictor.model.encoder.save_pretrained(staging)
        predictor.tokenizer.save_pretrained(staging)
        save_file({k: v.contiguous() for k, v in predictor.model.head.state_dict().items()},
                  str(staging / HEAD_FILE))
        info = {"format": "lexi-export/1", "labels": predictor.labels,
                "pooling": predictor.model.pooling, "max_length": predictor.max_length,
                "source_run": str(run_dir)}
        with atomic_write(staging / EXPORT_FILE) as handle:
            handle.write(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
        (staging / LABELS_FILE).write_text(json.dumps(predictor.labels, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
        if output.exists():
            shutil.rmtree(output)
        os.replace(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return output
