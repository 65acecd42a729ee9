"""Run a trained model over a test set, and save or load what it predicted.

Predictions are saved as JSONL (one row per test utterance: ``id, text, gold, pred,
prob``) with a first header row naming the run and the model's labels, so metrics can be
recomputed later (``lexi eval --predictions FILE``) without the model. A run with a slot
head adds ``slot_labels`` to the header and ``gold_slots`` (null for a row without slot
markup) and ``pred_slots`` to each row, as ``{"slot", "start", "end", "text"}`` spans.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lexi.data.jsonl import iter_jsonl
from lexi.data.massive import not_utf8
from lexi.data.records import SlotSpan, Utterance
from lexi.errors import LexiError
from lexi.io import atomic_write
from lexi.model.slots import span_dicts, spans_from_dicts


@dataclass(frozen=True)
class Prediction:
    """What a model said about one test utterance."""

    id: str
    text: str
    gold: str
    pred: str
    prob: float
    gold_slots: tuple[SlotSpan, ...] | None = None
    """Gold slot spans (None: the row has no slot markup, or the run predicts no slots)."""
    pred_slots: tuple[SlotSpan, ...] | None = None
    """Predicted slot spans (None: the run has no slot head)."""

    def as_dict(self) -> dict:
        """The saved row: slot fields only for a run that predicts slots."""
        row = {"id": self.id, "text": self.text, "gold": self.gold, "pred": self.pred,
               "prob": self.prob}
        if self.pred_slots is not None:
            row["gold_slots"] = (None if self.gold_slots is None
                                 else span_dicts(self.text, self.gold_slots))
            row["pred_slots"] = span_dicts(self.text, self.pred_slots)
        return row


@dataclass
class RunPredictions:
    """All predictions of one run on one test set; ``labels`` is the model's label set."""

    run: str
    labels: list[str]
    rows: list[Prediction] = field(default_factory=list)
    slot_labels: list[str] | None = None
    """The run's slot tags when it predicts slots (``--task intent+slots``), else None."""

    @property
    def gold(self) -> list[str]:
        return [row.gold for row in self.rows]

    @property
    def pred(self) -> list[str]:
        return [row.pred for row in self.rows]

    @property
    def name(self) -> str:
        """A short name for tables and plots: the run directory's last part."""
        return Path(self.run.rstrip("/")).name or self.run


def predict_run(
    run_dir: str | Path, utterances: Sequence[Utterance], batch_size: int = 64,
    markup: Sequence[bool] | None = None,
) -> RunPredictions:
    """Load the model saved in ``run_dir`` and predict the label of every utterance (and
    its slots, for a run with a slot head). ``markup[i]`` says whether utterance ``i``'s
    gold slots are known (None: none are): only those rows are scored on slots."""
    # Imported here so that metrics and reports work without torch being imported.
    from lexi.model.predict import load_predictor

    missing = [i for i, u in enumerate(utterances) if u.label is None]
    if missing:
        raise LexiError(f"{len(missing)} test rows have no label (first: row {missing[0] + 1})")
    predictor = load_predictor(str(run_dir))
    labels = list(predictor.labels)
    slot_labels = getattr(predictor, "slot_labels", None)
    texts = [u.text for u in utterances]
    spans: list | None = None
    if slot_labels and texts:
        probs, spans = predictor.predict_with_slots(texts, batch_size=batch_size)
    else:
        probs = predictor.predict_proba(texts, batch_size=batch_size) if texts else []
    known = list(markup) if markup is not None else [False] * len(utterances)
    rows = []
    for i, (utt, row) in enumerate(zip(utterances, probs, strict=True)):
        best = int(row.argmax())
        slots = {} if spans is None else {"gold_slots": utt.slots if known[i] else None,
                                          "pred_slots": tuple(spans[i])}
        rows.append(Prediction(str(utt.id), utt.text, str(utt.label), labels[best],
                               float(row[best]), **slots))
    return RunPredictions(str(run_dir), labels, rows, list(slot_labels) if slot_labels else None)


def write_predictions(predictions: RunPredictions, path: str | Path) -> None:
    """Save predictions as JSONL: a header row, then one row per utterance."""
    with atomic_write(path) as out:
        header = {"run": predictions.run, "labels": predictions.labels}
        if predictions.slot_labels:
            header["slot_labels"] = predictions.slot_labels
        out.write(json.dumps({"header": header}, ensure_ascii=False) + "\n")
        for row in predictions.rows:
            out.write(json.dumps(row.as_dict(), ensure_ascii=False) + "\n")


def read_predictions(path: str | Path) -> RunPredictions:
    """Load predictions written by :func:`write_predictions`."""
    path = Path(path)
    if not path.is_file():
        raise LexiError("predictions file not found", path=path)
    try:
        with path.open(encoding="utf-8") as handle:
            result = _read_rows(path, handle)
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    if result is None:
        raise LexiError("empty predictions file", path=path)
    return result


def _read_rows(path: Path, handle) -> RunPredictions | None:
    """The header and rows of a predictions file (None when it has no line)."""
    result: RunPredictions | None = None
    for line_no, row in iter_jsonl(handle, str(path)):
        if result is None:
            header = row.get("header") if isinstance(row, dict) else None
            if not isinstance(header, dict):
                raise LexiError("expected a header row {\"header\": {\"run\", \"labels\"}}",
                                path=path, line=line_no, hint="write it with lexi eval")
            labels = header.get("labels", [])
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise LexiError(f"the header's 'labels' must be a list of strings, got "
                                f"{labels!r}", path=path, line=line_no)
            result = RunPredictions(str(header.get("run", path.stem)), list(labels),
                                    slot_labels=header.get("slot_labels") or None)
            continue
        if not isinstance(row, dict):
            raise LexiError(f"expected a JSON object, got {type(row).__name__}",
                            path=path, line=line_no)
        try:
            slots = {}
            if row.get("pred_slots") is not None:
                gold_slots = row.get("gold_slots")
                slots = {"pred_slots": spans_from_dicts(row["pred_slots"]),
                         "gold_slots": (None if gold_slots is None
                                        else spans_from_dicts(gold_slots))}
            for name in ("text", "gold", "pred"):
                if not isinstance(row[name], str):
                    raise TypeError(f"{name!r} is {row[name]!r}, not a string")
            result.rows.append(Prediction(str(row["id"]), row["text"], row["gold"],
                                          row["pred"], float(row["prob"]), **slots))
        except (KeyError, TypeError, ValueError) as exc:
            raise LexiError(f"expected fields id, text, gold, pred, prob ({exc})",
                            path=path, line=line_no) from None
    return result
