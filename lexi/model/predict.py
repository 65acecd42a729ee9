"""Classify text with a trained run (or an exported, merged model).

``load_predictor(run_dir)`` reads ``run.json``, loads the base encoder, applies the peft
adapter and merges it (inference then costs what the plain encoder costs), and loads the
head. A folder written by ``lexi export --merge`` loads the same way, without peft.
A run trained with ``--task intent+slots`` also gets its slot head:
:meth:`Predictor.predict_with_slots` returns each text's slot spans beside the intents.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy
import torch

from lexi.data.records import SlotSpan
from lexi.errors import LexiError
from lexi.model.classifier import (
    EncoderClassifier,
    evaluate_joint,
    evaluate_logits,
    load_encoder,
    load_tokenizer,
    resolve_model_path,
)
from lexi.model.slots import OUTSIDE, decode_tokens

EXPORT_FILE = "lexi.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"  # what peft's save_pretrained writes


@dataclass
class Predictor:
    """A loaded classifier: ``labels[i]`` is column ``i`` of :meth:`predict_proba`."""

    model: EncoderClassifier
    tokenizer: object
    labels: list[str]
    max_length: int
    device: torch.device
    slot_labels: list[str] | None = None
    """The slot head's BIO tags (a run trained with ``--task intent+slots``), else None."""

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> numpy.ndarray:
        """Class probabilities, ``[len(texts), len(labels)]``; each row sums to 1."""
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
        return self.rank(self.predict_proba(texts, batch_size=batch_size), top_k)

    def rank(self, proba: numpy.ndarray, top_k: int = 1) -> list[list[tuple[str, float]]]:
        """The ``top_k`` labels of each row of ``proba``, best first, with probabilities."""
        k = max(1, min(top_k, len(self.labels)))
        order = numpy.argsort(-proba, axis=1, kind="stable")[:, :k]
        return [[(self.labels[j], float(row[j])) for j in idx]
                for row, idx in zip(proba, order, strict=True)]

    @torch.no_grad()
    def predict_with_slots(self, texts: Sequence[str], batch_size: int = 64
                           ) -> tuple[numpy.ndarray, list[tuple[SlotSpan, ...]]]:
        """Intent probabilities (as :meth:`predict_proba`) and each text's slot spans,
        decoded from the BIO tag of every word's first sub-word (:mod:`lexi.model.slots`)."""
        if not self.slot_labels:
            raise LexiError("this run has no slot head", hint="train it with --task "
                            "intent+slots to predict slots")
        texts = list(texts)
        if not texts:
            return numpy.zeros((0, len(self.labels)), dtype=numpy.float32), []
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length,
                                 return_offsets_mapping=True)
        logits, slot_logits = evaluate_joint(self.model, encoded["input_ids"],
                                             self.tokenizer.pad_token_id, self.device,
                                             batch_size)
        spans = [decode_tokens(text, [tuple(pair) for pair in offsets],
                               tags.argmax(-1).tolist(), self.slot_labels, predicted=True)
                 for text, offsets, tags in zip(texts, encoded["offset_mapping"], slot_logits,
                                                strict=True)]
        return torch.softmax(logits.double(), dim=-1).numpy(), spans

    def predict_slots(self, texts: Sequence[str], batch_size: int = 64
                      ) -> list[tuple[SlotSpan, ...]]:
        """The slot spans of each text (character offsets into it)."""
        return self.predict_with_slots(texts, batch_size)[1]


def _read_json(path: Path) -> dict:
    """A JSON object from ``path``; anything else is a :class:`LexiError` naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LexiError(f"malformed JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except UnicodeDecodeError:
        raise LexiError("not UTF-8 text", path=path) from None
    if not isinstance(data, dict):
        raise LexiError(f"expected a JSON object, found {type(data).__name__}", path=path)
    return data


# What loading needs of a run's "model" record (or of an export's lexi.json): key → (type,
# what it should be). Checked before anything heavy is loaded, so that a damaged or hand-
# edited file is one line naming it rather than a KeyError deep in loading.
_MODEL_FIELDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "labels": (list, "a list of label names"),
    "pooling": (str, "a pooling name such as 'mean'"),
    "max_length": (int, "a positive integer"),
}
_RUN_MODEL_FIELDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "name": (str, "the model name or path"),
    "path": ((str, type(None)), "the model's folder"),
}


def _model_info(info: object, path: Path, *, run: bool) -> dict:
    """``info`` checked against what :func:`load_predictor` reads from it."""
    hint = ("the file is written by `lexi train`; retrain, or restore it" if run
            else "the file is written by `lexi export`; export the run again")
    if not isinstance(info, dict):
        raise LexiError("no 'model' record" if run else "expected a JSON object", path=path,
                        hint=hint)
    fields = {**_MODEL_FIELDS, **(_RUN_MODEL_FIELDS if run else {})}
    for key, (kind, what) in fields.items():
        value = info.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            where = f"model.{key}" if run else key
            raise LexiError(f"{where!r} must be {what}, found {value!r}", path=path, hint=hint)
    labels = info["labels"]
    if not labels or not all(isinstance(label, str) for label in labels):
        where = "model.labels" if run else "labels"
        raise LexiError(f"{where!r} must be a non-empty list of label names", path=path,
                        hint=hint)
    if info["max_length"] < 1:
        raise LexiError(f"'max_length' must be a positive integer, found {info['max_length']}",
                        path=path, hint=hint)
    tags = info.get("slot_labels")
    if tags is not None and (not isinstance(tags, list) or not tags or tags[0] != OUTSIDE
                             or not all(isinstance(tag, str) for tag in tags)):
        where = "model.slot_labels" if run else "slot_labels"
        raise LexiError(f"{where!r} must be a list of BIO tags starting with 'O', found "
                        f"{tags!r}", path=path, hint=hint)
    return info


def _check_weights(path: Path, what: str) -> None:
    """Open ``path``'s safetensors header (cheap: the tensors are not read) so that a
    missing, empty or truncated file is reported by name before the encoder is loaded."""
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        raise LexiError(f"the {what} is missing", path=path,
                        hint="the run directory is incomplete; retrain or restore it")
    try:
        with safe_open(str(path), framework="pt") as weights:
            weights.keys()
    except (SafetensorError, OSError) as exc:
        size = path.stat().st_size
        raise LexiError(f"the {what} is damaged ({size} bytes: {exc})", path=path,
                        hint="it is empty or truncated; retrain or restore the run") from None


def load_predictor(run_dir: str | Path, device: str | None = None, *,
                   lean: bool = False) -> Predictor:
    """Load a finished run directory (or an exported folder) for prediction.

    ``lean``: when the model allows it, load the encoder and tokenizer without transformers
    (:mod:`lexi.model.lean`: the same function, a fraction of the start-up); the predictor
    then predicts as always, but its encoder is not a transformers model (``lexi export``
    needs one, so it loads without)."""
    from lexi.model.devices import resolve_device
    from lexi.model.run import ADAPTER_DIR, ENCODER_DIR, HEAD_FILE, RUN_FILE, SLOT_HEAD_FILE

    run_dir = Path(run_dir)
    if (run_dir / EXPORT_FILE).exists():
        info = _model_info(_read_json(run_dir / EXPORT_FILE), run_dir / EXPORT_FILE, run=False)
        encoder_path, adapter, tokenizer_path = str(run_dir), None, str(run_dir)
    elif (run_dir / RUN_FILE).exists():
        run = _read_json(run_dir / RUN_FILE)
        if run.get("status", "ok") != "ok":
            failure = run.get("failure")
            reason = failure.get("reason") if isinstance(failure, dict) else None
            raise LexiError(f"this run failed ({run.get('status')}): "
                            f"{reason or 'no reason recorded'}", path=run_dir,
                            hint="a failed run has no model; retrain it (lower --lr, or "
                            "--on-divergence retry)")
        info = _model_info(run.get("model"), run_dir / RUN_FILE, run=True)
        if info["name"] == "default" or not info["path"] or not Path(info["path"]).exists():
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

    _check_weights(run_dir / HEAD_FILE, "classification head")
    slot_labels = list(info["slot_labels"]) if info.get("slot_labels") else None
    if slot_labels:
        _check_weights(run_dir / SLOT_HEAD_FILE, "slot head")
    if adapter is not None and not (adapter / "adapter_model.bin").is_file():
        _check_weights(adapter / ADAPTER_WEIGHTS, "LoRA adapter")  # (older peft wrote .bin)
    torch_device = resolve_device(device or "auto")
    loaded = _load_lean(encoder_path, tokenizer_path, adapter) if lean else None
    encoder = loaded[0] if loaded else _load_merged(encoder_path, adapter)
    labels = list(info["labels"])
    model = EncoderClassifier(encoder, len(labels), pooling=info["pooling"], dropout=0.0,
                              num_slot_labels=len(slot_labels or []))
    _load_head(model.head, run_dir / HEAD_FILE, "classification head", f"{len(labels)} labels")
    if model.slot_head is not None:
        _load_head(model.slot_head, run_dir / SLOT_HEAD_FILE, "slot head",
                   f"{len(slot_labels or [])} slot tags")
    model.to(torch_device).eval()
    tokenizer = loaded[1] if loaded else load_tokenizer(tokenizer_path)
    if slot_labels and not getattr(tokenizer, "is_fast", False):
        raise LexiError("slot prediction needs a fast tokenizer (character offsets)",
                        path=tokenizer_path, hint="the model folder needs a tokenizer.json")
    return Predictor(model=model, tokenizer=tokenizer, labels=labels,
                     max_length=info["max_length"], device=torch_device,
                     slot_labels=slot_labels)


def _load_merged(encoder_path: str, adapter: Path | None) -> torch.nn.Module:
    """The transformers encoder with the run's adapter merged in: by hand for plain LoRA
    (the same arithmetic as peft, without importing it), else by peft."""
    from lexi.model.lean import merge_lora

    encoder = load_encoder(encoder_path)
    if adapter is None or merge_lora(encoder, adapter):
        return encoder
    from peft import PeftModel

    return PeftModel.from_pretrained(encoder, str(adapter)).merge_and_unload()


def _load_lean(encoder_path: str, tokenizer_path: str, adapter: Path | None
               ) -> tuple[torch.nn.Module, object] | None:
    """The lean encoder (adapter merged) and tokenizer, or None when the model is not one
    the lean path computes exactly (the caller then loads through transformers)."""
    from lexi.model import lean

    if not lean.enabled() or not lean.lean_tokenizer_ok(tokenizer_path):
        return None
    # Any failure (a damaged weights or tokenizer file: safetensors' and tokenizers' errors
    # are bare exceptions) falls back to transformers, whose load says what is wrong.
    try:
        config = lean.lean_config(encoder_path)
        encoder = lean.load_lean_encoder(encoder_path, config) if config else None
        if encoder is None or (adapter is not None and not lean.merge_lora(encoder, adapter)):
            return None
        return encoder, lean.LeanTokenizer(tokenizer_path)
    except Exception:  # noqa: BLE001
        return None


def _load_head(layer: torch.nn.Linear, path: Path, what: str, size: str) -> None:
    """Load a linear head's weights, checking the shapes first."""
    from safetensors.torch import load_file

    weights = load_file(str(path))
    # Compared here so that a mismatch is one line, not torch's multi-line size report.
    expected = {name: list(t.shape) for name, t in layer.state_dict().items()}
    found = {name: list(t.shape) for name, t in weights.items()}
    if found != expected:
        raise LexiError(f"the {what} does not fit this run ({size}): "
                        f"tensor shapes {found}, expected {expected}", path=path,
                        hint="the head and run.json come from different runs")
    layer.load_state_dict(weights)


def predict_rows(run: str | Path, texts: list[str], input: str | None = None, top_k: int = 1,
                 batch_size: int = 64, device: str | None = None, text_field: str | None = None,
                 split: str | None = None) -> list[dict]:
    """Classify ``texts`` and/or the rows of the dataset file ``input`` (of ``split``; None
    or ``all``: every row): one JSON-ready dict per text.

    A run with a slot head (``--task intent+slots``) adds ``annot_utt`` (the text in
    MASSIVE markup, ``wake me up at [time : five am]``) and ``slots`` (``{"slot", "start",
    "end", "text"}``, character offsets, ``end`` exclusive).
    """
    from lexi.data.massive import format_annot
    from lexi.data.outputs import nothing_selected
    from lexi.data.readers import read_dataset
    from lexi.model.slots import span_dicts

    rows: list[dict] = [{"text": text} for text in texts]
    run = Path(run)
    if input is not None:
        for utt in read_dataset(input, text_field=text_field, split=split):
            row = {"id": utt.id, "text": utt.text}
            if utt.label is not None:
                row["gold"] = utt.label
            rows.append(row)
    if input is not None and len(rows) == len(texts):
        raise nothing_selected(input, None)
    if not rows:
        raise LexiError("nothing to classify", hint='pass texts, or --data FILE (- for stdin)')
    for name, value in (("--top-k", top_k), ("--batch-size", batch_size)):
        if value < 1:
            raise LexiError(f"{name} must be at least 1, not {value}")
    # A command that loads once to classify a few texts: start-up is most of its time.
    predictor = load_predictor(run, device=device, lean=True)
    texts = [row["text"] for row in rows]
    if predictor.slot_labels:
        proba, spans = predictor.predict_with_slots(texts, batch_size=batch_size)
        ranked = predictor.rank(proba, top_k)
    else:
        ranked, spans = predictor.predict(texts, top_k=top_k, batch_size=batch_size), None
    for i, (row, best) in enumerate(zip(rows, ranked, strict=True)):
        row["label"], row["score"] = best[0]
        row["top_k"] = [{"label": label, "score": score} for label, score in best]
        if spans is not None:
            row["annot_utt"] = format_annot(row["text"], spans[i])
            row["slots"] = span_dicts(row["text"], spans[i])
    return rows
