"""Self-training: pseudo-label unlabelled target-language text with a trained run.

``pseudo_label(config)`` reads a pool of utterances (plain text, one per line, or any
dataset file lexi reads), classifies them with a run, keeps the confident predictions and
writes them as MASSIVE jsonl that ``lexi train --data`` takes as one more training file.
Retraining on that file and labelling again is one round; rounds are the caller's loop
(docs/selftraining.md).

Two guarantees the code is built around:

- **No gold label reaches the output.** The pool is read into :class:`PoolRow`, which has no
  field for a label, a slot, a partition or any other column: whatever the pool file holds
  besides id and text is dropped at reading, so an output row can only carry the id, the text,
  the predicted label and the provenance.
- **Only confident rows are kept.** Unfiltered hard relabelling hurt LexC-Gen by 2 to 14
  points; rows below ``threshold``, rows outside the most confident ``top_share`` of their
  predicted label, rows on which the ``agree`` runs disagree, rows on which
  the ``agree_back`` runs disagree when they read the row translated back into the source
  language, and rows beyond ``max_per_label`` are dropped, and the summary says how many for
  each reason.

The back-translated view is co-training (Blum and Mitchell 1998) with the two views lexi
has: the target text, read by a run that learnt target words from synthetic rows, and the
same text turned word by word into English with the synthesis lexicon read backwards, read
by the English-only run. Their errors differ, so rows both label alike are cleaner than rows
either is merely sure of (docs/selftraining.md has the measurement).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lexi.data.massive import write_massive

# The pool reader lives with the data readers: synthesis reads pools too.
from lexi.data.pool import POOL_FORMATS, PoolRow, read_pool
from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.io import atomic_write

DEFAULT_THRESHOLD = 0.9
"""A starting point, not a measured value: see docs/selftraining.md."""
# What ``lexi train`` recognises as (MASSIVE) jsonl by its suffix.
OUTPUT_SUFFIXES = (".jsonl", ".json", ".ndjson")
OP = "selftrain"


# Why a row was not kept, in the order the filters apply (a row counts under the first).
BELOW_THRESHOLD = "below threshold"
BELOW_TOP_SHARE = "outside the label's top share"
RUNS_DISAGREE = "runs disagree"
NOTHING_TO_TRANSLATE_BACK = "no word to translate back"
BACK_DISAGREES = "back-translation disagrees"
OVER_CAP = "over max per label"
DROP_REASONS = (BELOW_THRESHOLD, BELOW_TOP_SHARE, RUNS_DISAGREE, NOTHING_TO_TRANSLATE_BACK,
                BACK_DISAGREES, OVER_CAP)


@dataclass
class SelfTrainConfig:
    """What ``lexi selftrain`` does."""

    pool: str
    """Unlabelled utterances: a text file (one per line, blank lines skipped), a dataset file
    (MASSIVE jsonl, JSONL, CSV, TSV; its labels are ignored) or ``-`` for stdin."""
    run: str
    """The run (or ``lexi export`` folder) whose predictions become the labels."""
    output: str
    """The MASSIVE jsonl file to write (``*.jsonl``); never the pool itself."""
    threshold: float | None = None
    """Keep rows whose top probability is at least this, in (0, 1]. None: 0.9 (a starting
    point, not a measured value), or no absolute threshold when ``top_share`` is set."""
    top_share: float | None = None
    """Keep, of the rows each label is predicted for, only this share, the most confident
    first (in (0, 1]; a label predicted for n rows keeps ceil(share * n)). A rank, not a
    probability: it keeps as many rows from a model whose probabilities are flat (a weight
    average of runs is less sure than either, docs/selftraining.md) as from a sharp one.
    None: no such filter."""
    max_per_label: int | None = None
    """Keep at most this many rows per predicted label, the most confident first, so that
    the labels the model predicts most often do not swamp the rest; None: no cap."""
    agree: list[str] = field(default_factory=list)
    """More runs; a row is kept only when every one of them predicts the same label as
    ``run`` (their probabilities are not thresholded)."""
    agree_back: list[str] = field(default_factory=list)
    """Runs that read each pool row translated back into the source language, word by word
    with ``back_lexicon`` read from target to source (a second view of the row; typically
    the English-only run): a row is kept only when every one of them predicts the same label
    as ``run``. A row none of whose words the lexicon has is dropped: it has no second view."""
    back_lexicon: list[str] = field(default_factory=list)
    """The source→target lexicon(s) the synthetic rows were made with (stores or TSVs), read
    in reverse for ``agree_back``; several: the first that has a word translates it."""
    round: int = 1
    """Self-training round recorded in each row's provenance (1 for the first pass)."""
    format: str = "auto"
    """Pool format: ``auto`` (``.jsonl/.json/.ndjson/.csv/.tsv/.tab`` are datasets, any other
    file is text; stdin is JSON lines when its first line is a JSON object, else text),
    ``text``, ``massive``, ``jsonl``, ``csv`` or ``tsv``."""
    text_field: str | None = None
    """Text column of a generic dataset pool (default: the first of text, utt, sentence…)."""
    split: str | None = None
    """Only pool rows of this split (dataset pools); None: every row."""
    batch_size: int = 64
    device: str | None = None
    """``auto``, ``cpu`` or ``cuda``; None: auto."""
    overwrite: bool = False
    """Replace an existing output file."""
    allow_empty: bool = False
    """When no row passes the filters, write an empty file (and say so) instead of failing:
    for chains such as the recipes, where a weak model on a new language should cost one
    self-training round, not the whole run."""

    def __post_init__(self) -> None:
        if self.threshold is not None and not (
                isinstance(self.threshold, (int, float)) and 0 < self.threshold <= 1):
            # NaN fails the comparison too, so it is refused here as well.
            raise LexiError(f"--threshold must be in (0, 1], not {self.threshold}",
                            hint=f"{DEFAULT_THRESHOLD} keeps rows the model is 90% sure of")
        if self.top_share is not None and not (
                isinstance(self.top_share, (int, float)) and 0 < self.top_share <= 1):
            raise LexiError(f"--top-share must be in (0, 1], not {self.top_share}",
                            hint="0.5 keeps the more confident half of each label's rows")
        if self.max_per_label is not None and self.max_per_label < 1:
            raise LexiError(f"--max-per-label must be at least 1, not {self.max_per_label}")
        if self.round < 1:
            raise LexiError(f"--round must be at least 1, not {self.round}")
        if self.batch_size < 1:
            raise LexiError(f"--batch-size must be at least 1, not {self.batch_size}")
        if self.format not in POOL_FORMATS:
            raise LexiError(f"unknown pool format {self.format!r}",
                            hint=f"one of {', '.join(POOL_FORMATS)}")
        if self.agree_back and not self.back_lexicon:
            raise LexiError("--agree-back needs --back-lexicon",
                            hint="the English→target lexicon the synthetic rows were made with")
        if self.back_lexicon and not self.agree_back:
            raise LexiError("--back-lexicon is read only for --agree-back",
                            hint="name the run that reads the back-translated pool, e.g. the "
                            "English-only baseline")

    @property
    def min_prob(self) -> float:
        """The absolute threshold in force (0.0: none)."""
        if self.threshold is not None:
            return self.threshold
        return 0.0 if self.top_share is not None else DEFAULT_THRESHOLD


@dataclass(frozen=True)
class Pseudo:
    """A pool row with the main run's best label and its probability."""

    row: PoolRow
    label: str
    prob: float


@dataclass
class SelfTrainResult:
    """What :func:`pseudo_label` read and wrote."""

    rows_read: int
    rows_kept: int
    kept_per_label: dict[str, int]
    """Rows kept per predicted label, most frequent first."""
    output: Path
    dropped: dict[str, int] = field(default_factory=dict)
    """Rows not kept, by the first filter that dropped them."""
    threshold: float = DEFAULT_THRESHOLD
    """The absolute threshold in force (0.0: none)."""
    top_share: float | None = None
    round: int = 1
    test_split_rows: int = 0
    back_translated: int | None = None
    """Pool rows the back lexicon translated at least one word of (None: no ``agree_back``)."""
    """Pool rows whose split is ``test``: evaluating on them afterwards is not zero-shot."""

    def as_dict(self) -> dict[str, Any]:
        return {"output": str(self.output), "rows_read": self.rows_read,
                "rows_kept": self.rows_kept, "kept_per_label": self.kept_per_label,
                "dropped": self.dropped, "threshold": self.threshold,
                "top_share": self.top_share, "round": self.round,
                "test_split_rows": self.test_split_rows,
                "back_translated": self.back_translated}


# --------------------------------------------------------------------------- the pool


# --------------------------------------------------------------------------- filtering


def select(candidates: Sequence[Pseudo], threshold: float, *,
           others: Sequence[Sequence[str]] = (),
           back: Sequence[Sequence[str | None]] = (), max_per_label: int | None = None,
           top_share: float | None = None) -> tuple[list[Pseudo], Counter[str]]:
    """The candidates to keep, in pool order, and how many were dropped for which reason.

    ``others[k][i]`` is the label run ``k`` of ``--agree`` predicts for candidate ``i``;
    ``back[k][i]`` the label run ``k`` of ``--agree-back`` predicts for its back-translation,
    None when nothing of it could be translated back. Filters apply in order (threshold,
    top share, agreement, back-translation, cap); the top share ranks each label's rows in
    the whole pool, and the cap comes last so that it counts only rows that passed the others.
    """
    dropped: Counter[str] = Counter()
    passed: list[int] = []
    in_share = top_share_of_labels(candidates, top_share) if top_share is not None else None
    for i, candidate in enumerate(candidates):
        if not candidate.prob >= threshold:
            dropped[BELOW_THRESHOLD] += 1
        elif in_share is not None and i not in in_share:
            dropped[BELOW_TOP_SHARE] += 1
        elif any(labels[i] != candidate.label for labels in others):
            dropped[RUNS_DISAGREE] += 1
        elif any(labels[i] is None for labels in back):
            dropped[NOTHING_TO_TRANSLATE_BACK] += 1
        elif any(labels[i] != candidate.label for labels in back):
            dropped[BACK_DISAGREES] += 1
        else:
            passed.append(i)
    if max_per_label is not None:
        capped = cap_per_label([candidates[i] for i in passed], max_per_label)
        dropped[OVER_CAP] += len(passed) - len(capped)
        passed = [passed[j] for j in capped]
    return [candidates[i] for i in passed], dropped


def top_share_of_labels(candidates: Sequence[Pseudo], share: float) -> set[int]:
    """Indices of the ceil(``share`` * n) most probable of the n candidates of each label
    (ties go to the earlier row)."""
    per_label = Counter(candidate.label for candidate in candidates)
    limits = {label: math.ceil(share * count - 1e-9) for label, count in per_label.items()}
    return set(_most_probable_per_label(candidates, limits))


def cap_per_label(candidates: Sequence[Pseudo], limit: int) -> list[int]:
    """Indices (ascending) of at most ``limit`` candidates per label, the most probable first
    (ties go to the earlier row, so the choice is reproducible)."""
    return sorted(_most_probable_per_label(
        candidates, {candidate.label: limit for candidate in candidates}))


def _most_probable_per_label(candidates: Sequence[Pseudo],
                             limits: dict[str, int]) -> list[int]:
    order = sorted(range(len(candidates)), key=lambda i: (-candidates[i].prob, i))
    taken: Counter[str] = Counter()
    keep = []
    for i in order:
        label = candidates[i].label
        if taken[label] < limits[label]:
            taken[label] += 1
            keep.append(i)
    return keep


def to_utterance(pseudo: Pseudo, run: str, round_number: int,
                 agree: Sequence[str] = (), agree_back: Sequence[str] = ()) -> Utterance:
    """The output row: id (see :func:`output_id`), text, predicted label and provenance,
    nothing else.

    No split (so ``lexi train --split train`` keeps it), no locale, no slots: ``_no_annot``
    leaves annot_utt out, since the pool's slot markup would be gold annotation.
    """
    provenance: dict[str, Any] = {"op": OP, "run": run, "prob": round_prob(pseudo.prob),
                                  "round": round_number}
    if agree:
        provenance["agree"] = list(agree)
    if agree_back:
        provenance["agree_back"] = list(agree_back)
    return Utterance(id=output_id(pseudo.row.id, round_number), text=pseudo.row.text,
                     label=pseudo.label, metadata={"_no_annot": True, "lexi": provenance})


def output_id(pool_id: str, round_number: int) -> str:
    """``selftrain-r1-17`` for pool row ``17``: traceable to the pool, and never equal to an id
    of another training file. MASSIVE ids are shared across locales (row 17 of sw-KE
    translates row 17 of en-US), and training pairs rows by id (``lexi.model.views``), so a
    bare pool id could pair rows through gold parallel alignment."""
    return f"{OP}-r{round_number}-{pool_id}"


def round_prob(prob: float) -> float:
    # Six digits say how sure the model was; the full float64 adds only noise to the file.
    # Rounding is monotone, so a kept row never shows less than a threshold of <= 6 digits.
    return round(prob, 6)


# --------------------------------------------------------------------------- the run


def predict_top(run: str, texts: Sequence[str], batch_size: int,
                device: str | None) -> list[tuple[str, float]]:
    """The best label of each text under ``run`` and its probability.

    The model is loaded here and released on return, so that several ``--agree`` runs are
    never in memory together.
    """
    from lexi.model.predict import load_predictor

    predictor = load_predictor(run, device=device)
    return [best[0] for best in predictor.predict(texts, top_k=1, batch_size=batch_size)]


def translate_back(rows: Sequence[PoolRow], lexicons: Sequence[str]) -> list[str | None]:
    """Each row's text translated word by word into the source language with ``lexicons``
    (source→target) read from target to source, the first lexicon that has a target word
    translating it back; None where the lexicons have none of its words.

    The synthesis operator ``translate`` does the work (same tokenisation, longest match,
    senses by weight with a fixed seed, words it lacks kept as they are), with the English
    lemma fallback off: the words looked up here are target-language words.
    """
    from lexi.lexicon.importer import reversed_view
    from lexi.synth.config import SynthConfig
    from lexi.synth.pipeline import build_synthesizer

    view = reversed_view(lexicons, hint="--back-lexicon takes the English→target store or TSV "
                         "the synthetic rows were made with")
    synthesizer = build_synthesizer(SynthConfig(ops=("translate",), numbers="keep"), [view],
                                    lemma_fallback=False)
    texts: list[str | None] = []
    for row in rows:
        variant = synthesizer.variant(Utterance(id=row.id, text=row.text), "translate")
        texts.append(None if variant is None else variant.text)
    return texts


def predict_back(runs: Sequence[str], rows: Sequence[PoolRow], lexicons: Sequence[str],
                 batch_size: int, device: str | None) -> tuple[list[list[str | None]], int]:
    """The labels each of ``runs`` predicts for the back-translated rows (None where a row
    has no back-translation), and how many rows have one."""
    if not runs:
        return [], 0
    translated = translate_back(rows, lexicons)
    present = [i for i, text in enumerate(translated) if text is not None]
    texts = [translated[i] for i in present]
    labels: list[list[str | None]] = []
    for run in runs:
        predicted = predict_top(run, texts, batch_size, device) if texts else []
        per_row: list[str | None] = [None] * len(rows)
        for i, (label, _) in zip(present, predicted, strict=True):
            per_row[i] = label
        labels.append(per_row)
    return labels, len(present)


def _same_file(a: Path, b: Path) -> bool:
    # Resolving follows symbolic links; samefile also catches a hard link to the pool.
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # the output does not exist yet
        return False


def _check_output(config: SelfTrainConfig) -> Path:
    if config.output == "-":
        raise LexiError("selftrain writes its rows to a file",
                        hint="stdout carries the output path; pass -o pseudo.jsonl")
    output = Path(config.output)
    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise LexiError("the output is MASSIVE jsonl and needs a .jsonl name", path=output,
                        hint="lexi train tells the format by the suffix")
    if config.pool != "-" and _same_file(output, Path(config.pool)):
        raise LexiError("the output is the pool file", path=output,
                        hint="write the pseudo-labels to a new file")
    if output.is_dir():
        raise LexiError("the output is a directory", path=output)
    if (output.exists() or output.is_symlink()) and not config.overwrite:
        raise LexiError("the output exists", path=output, hint="pass --overwrite to replace it")
    return output


def _check_runs(runs: Sequence[str]) -> None:
    """Fail before the (slow) prediction when a run is not a run directory at all."""
    from lexi.model.predict import EXPORT_FILE, load_predictor
    from lexi.model.run import RUN_FILE

    for run in runs:
        if not ((Path(run) / RUN_FILE).is_file() or (Path(run) / EXPORT_FILE).is_file()):
            load_predictor(run)  # raises its precise error (unfinished, not a run) at once
            raise LexiError("not a lexi run directory", path=run)  # pragma: no cover


def pseudo_label(config: SelfTrainConfig) -> SelfTrainResult:
    """Label the pool with ``config.run``, filter, write ``config.output``; see the module doc."""
    output = _check_output(config)
    _check_runs([config.run, *config.agree, *config.agree_back])
    rows = read_pool(config.pool, config.format, text_field=config.text_field,
                     split=config.split)
    texts = [row.text for row in rows]
    best = predict_top(config.run, texts, config.batch_size, config.device)
    candidates = [Pseudo(row, label, prob) for row, (label, prob) in zip(rows, best, strict=True)]
    others = [[label for label, _ in predict_top(run, texts, config.batch_size, config.device)]
              for run in config.agree]
    back, back_translated = predict_back(config.agree_back, rows, config.back_lexicon,
                                         config.batch_size, config.device)
    kept, dropped = select(candidates, config.min_prob, others=others, back=back,
                           max_per_label=config.max_per_label, top_share=config.top_share)
    if not kept and not config.allow_empty:
        # An empty training file would only make the next round a silent copy of this one.
        reasons = ", ".join(f"{reason}: {count}" for reason, count in dropped.items())
        surest = max(candidate.prob for candidate in candidates)
        raise LexiError(f"no row kept of {len(rows)} read ({reasons}); the most confident "
                        f"prediction has probability {surest:.4f}", path=config.pool,
                        hint="lower --threshold (or use --top-share), or check the run; "
                        "nothing was written")
    with atomic_write(output) as out:
        write_massive((to_utterance(p, config.run, config.round, config.agree, config.agree_back)
                       for p in kept), out)
    per_label = Counter(p.label for p in kept)
    return SelfTrainResult(
        rows_read=len(rows), rows_kept=len(kept), kept_per_label=dict(per_label.most_common()),
        output=output, dropped={k: dropped[k] for k in DROP_REASONS if dropped[k]},
        threshold=config.min_prob, top_share=config.top_share, round=config.round,
        test_split_rows=sum(row.split == "test" for row in rows),
        back_translated=back_translated if config.agree_back else None,
    )
