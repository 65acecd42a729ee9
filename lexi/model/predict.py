"""Classify text with a trained run (or an exported, merged model).

``load_predictor(run_dir)`` reads ``run.json``, loads the base encoder, applies the peft
adapter and merges it (inference then costs what the plain encoder costs), and loads the
head. A folder written by ``lexi export --merge`` loads the same way, without peft.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy
import torch

from lexi.errors import LexiError
from lexi.model.classifier import EncoderClassifier, load_encoder, load_tokenizer

EXPORT_FILE = "lexi.json"


@dataclass
class Predictor:
    """A loaded classifier: ``labels[i]`` is column ``i`` of :meth:`predict_proba`."""

    model: EncoderClassifier
    tokenizer: object
    labels: list[str]
    max_length: int
    device: torch.device

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> numpy.ndarray:
        """Class probabilities, ``[len(texts), len(labels)]``; each row sums to 1."""
        from lexi.model.train import evaluate_logits

        texts = list(texts)
        if not texts:
            return numpy.zeros((0, len(self.labels)), dtype=numpy.float32)
        token_ids = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        logits = evaluate_logits(self.model, token_ids, self.tokenizer.pad_token_id, self.device,
                                 batch_size)
        return torch.softmax(logits.double(), dim=-1).numpy()

    def predict(self, texts: Sequence[str], top_k: int = 1,
                batch_size: int = 64) -> list[list[tuple[str, float]]]:
        """The ``top_k`` most probable labels of each text, best first, with probabilities."""
        proba = self.predict_proba(texts, batch_size=batch_size)
        k = max(1, min(top_k, len(self.labels)))
        order = numpy.argsort(-proba, axis=1, kind="stable")[:, :k]
        return [[(self.labels[j], float(row[j])) for j in idx]
                for row, idx in zip(proba, order, strict=True)]


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LexiError(f"malformed JSON: {exc.msg}", path=path, line=exc.lineno) from None


def load_predictor(run_dir: str | Path, device: str | None = None) -> Predictor:
    """Load a finished run directory (or an exported folder) for prediction."""
    from safetensors.torch import load_file

    from lexi.model.train import (
        ADAPTER_DIR,
        ENCODER_DIR,
        HEAD_FILE,
        RUN_FILE,
        resolve_device,
        resolve_model_path,
    )

    run_dir = Path(run_dir)
    if (run_dir / EXPORT_FILE).exists():
        info = _read_json(run_dir / EXPORT_FILE)
        encoder_path, adapter, tokenizer_path = str(run_dir), None, str(run_dir)
    elif (run_dir / RUN_FILE).exists():
        run = _read_json(run_dir / RUN_FILE)
        if run.get("status", "ok") != "ok":
            failure = run.get("failure") or {}
            raise LexiError(f"this run failed ({run.get('status')}): "
                            f"{failure.get('reason', 'no reason recorded')}", path=run_dir,
                            hint="a failed run has no model; retrain it (lower --lr, or "
                            "--on-divergence retry)")
        info = run["model"]
        if info["name"] == "default" or not Path(info["path"]).exists():
            base = resolve_model_path(info["name"])
        else:
            base = info["path"]
        if (run_dir / ENCODER_DIR).is_dir():
            encoder_path, adapter, tokenizer_path = str(run_dir / ENCODER_DIR), None, base
        else:
            encoder_path, adapter, tokenizer_path = base, run_dir / ADAPTER_DIR, base
    elif (run_dir / "checkpoint").is_dir():
        raise LexiError("the run is not finished (no run.json)", path=run_dir,
                        hint="finish it with `lexi train ... --resume`")
    else:
        raise LexiError("not a lexi run directory (no run.json)", path=run_dir,
                        hint="pass the -o directory of `lexi train` or of `lexi export`")

    torch_device = resolve_device(device or "auto")
    encoder = load_encoder(encoder_path)
    if adapter is not None:
        from peft import PeftModel

        encoder = PeftModel.from_pretrained(encoder, str(adapter)).merge_and_unload()
    labels = list(info["labels"])
    model = EncoderClassifier(encoder, len(labels), pooling=info["pooling"], dropout=0.0)
    model.head.load_state_dict(load_file(str(run_dir / HEAD_FILE)))
    model.to(torch_device).eval()
    return Predictor(model=model, tokenizer=load_tokenizer(tokenizer_path), labels=labels,
                     max_length=int(info["max_length"]), device=torch_device)
