"""Run a trained model over a test set, and save or load what it predicted.

Predictions are saved as JSONL (one row per test utterance: ``id, text, gold, pred,
prob``) with a first header row naming the run and the model's labels, so metrics can be
recomputed later (``lexi eval --predictions FILE``) without the model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.io import atomic_write


@dataclass(frozen=True)
class Prediction:
    """What a model said about one test utterance."""

    id: str
    text: str
    gold: str
    pred: str
    prob: float


@dataclass
class RunPredictions:
    """All predictions of one run on one test set; ``labels`` is the model's label set."""

    run: str
    labels: list[str]
    rows: list[Prediction] = field(default_factory=list)

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
    run_dir: str | Path, utterances: Sequence[Utterance], batch_size: int = 64
) -> RunPredictions:
    """Load the model saved in ``run_dir`` and predict the label of every utterance."""
    # Imported here so that metrics and reports work without torch being imported.
    from lexi.model.predict import load_predictor

    missing = [i for i, u in enumerate(utterances) if u.label is None]
    if missing:
        raise LexiError(f"{len(missing)} test rows have no label (first: row {missing[0] + 1})")
    predictor = load_predictor(str(run_dir))
    labels = list(predictor.labels)
    texts = [u.text for u in utterances]
    probs = predictor.predict_proba(texts, batch_size=batch_size) if texts else []
    rows = []
    for utt, row in zip(utterances, probs, strict=True):
        best = int(row.argmax())
        rows.append(Prediction(str(utt.id), utt.text, str(utt.label), labels[best],
                               float(row[best])))
    return RunPredictions(str(run_dir), labels, rows)


def write_predictions(predictions: RunPredictions, path: str | Path) -> None:
    """Save predictions as JSONL: a header row, then one row per utterance."""
    with atomic_write(path) as out:
        header = {"run": predictions.run, "labels": predictions.labels}
        out.write(json.dumps({"header": header}, ensure_ascii=False) + "\n")
        for row in predictions.rows:
            out.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def read_predictions(path: str | Path) -> RunPredictions:
    """Load predictions written by :func:`write_predictions`."""
    path = Path(path)
    if not path.is_file():
        raise LexiError("predictions file not found", path=path)
    result: RunPredictions | None = None
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LexiError(f"not JSON: {exc.msg}", path=path, line=line_no) from None
            if result is None:
                header = row.get("header") if isinstance(row, dict) else None
                if not isinstance(header, dict):
                    raise LexiError("expected a header row {\"header\": {\"run\", \"labels\"}}",
                                    path=path, line=line_no, hint="write it with lexi eval")
                result = RunPredictions(str(header.get("run", path.stem)),
                                        list(header.get("labels", [])))
                continue
            try:
                result.rows.append(Prediction(str(row["id"]), row["text"], row["gold"],
                                              row["pred"], float(row["prob"])))
            except (KeyError, TypeError) as exc:
                raise LexiError(f"expected fields id, text, gold, pred, prob ({exc})",
                                path=path, line=line_no) from None
    if result is None:
        raise LexiError("empty predictions file", path=path)
    return result
