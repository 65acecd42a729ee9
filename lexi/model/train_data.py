"""The training data: reading and checking the rows, tokenising them (with slot tags), and
what each epoch trains on (its fresh synthetic views, its batches).

:func:`load_examples` and the checks run before the model is loaded, so that a data
problem is reported in seconds; :class:`TrainingData` holds the tokenised rows the
training loop (:mod:`lexi.model.train`) draws its batches from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from lexi.data.readers import detect_format, read_dataset
from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.model.batching import epoch_batches, shard_batches
from lexi.model.config import TrainConfig
from lexi.model.devices import Distributed
from lexi.model.selection import DevSlots
from lexi.model.slots import IGNORE, has_slot_markup, slot_tag_list, token_labels
from lexi.model.views import FreshViews, ViewIndex, index_views, is_original, source_id


def load_examples(paths: list[str], split: str | None, *, text_field: str | None = None,
                  label_field: str | None = None) -> list[Utterance]:
    """Labelled rows of ``paths`` whose split is ``split`` (rows without a split are kept)."""
    return load_examples_with_markup(paths, split, text_field=text_field,
                                     label_field=label_field)[0]


def load_examples_with_markup(paths: list[str], split: str | None, *,
                              text_field: str | None = None, label_field: str | None = None
                              ) -> tuple[list[Utterance], list[bool]]:
    """:func:`load_examples`, and for each row whether its slots are known
    (:func:`lexi.model.slots.has_slot_markup`: MASSIVE rows with ``annot_utt``)."""
    rows: list[Utterance] = []
    markup: list[bool] = []
    for path in paths:
        # (A missing file is left to read_dataset, whose error names it.)
        massive = (path == "-" or Path(path).exists()) and detect_format(path) == "massive"
        for utt in read_dataset(path, text_field=text_field, label_field=label_field):
            if split is not None and utt.split is not None and utt.split != split:
                continue
            if utt.label is None:
                raise LexiError(f"row {utt.id!r} has no label", path=path,
                                hint="training data needs a label column (--label-field)")
            rows.append(utt)
            markup.append(has_slot_markup(utt, massive))
    return rows, markup


def check_data(train_rows: list[Utterance], dev_rows: list[Utterance] | None,
               config: TrainConfig) -> list[str]:
    """The training labels, sorted; refuses empty data, a single label and dev labels
    never seen in training."""
    if not train_rows:
        where = ", ".join(config.data)
        raise LexiError(
            f"no training rows in {where}"
            + (f" with split {config.split!r}" if config.split else ""),
            hint="check the file, or pick another split with --split (or --split all)",
        )
    labels = sorted({utt.label for utt in train_rows})
    if len(labels) < 2:
        raise LexiError(f"the training data has a single label ({labels[0]!r})",
                        path=config.data[0], hint="a classifier needs at least two labels")
    if dev_rows is not None:
        if not dev_rows:
            raise LexiError(
                "no dev rows" + (f" with split {config.dev_split!r}" if config.dev_split else ""),
                path=config.dev, hint="pick the split with --dev-split",
            )
        unseen = sorted({utt.label for utt in dev_rows} - set(labels))
        if unseen:
            shown = ", ".join(repr(label) for label in unseen[:5])
            raise LexiError(
                f"{len(unseen)} dev label(s) never seen in training: {shown}"
                + (" …" if len(unseen) > 5 else ""),
                path=config.dev,
                hint="the dev set must use the training labels; check the files and --split",
            )
    return labels


def check_slots(train_rows: list[Utterance], markup: list[bool], config: TrainConfig
                ) -> list[str]:
    """The slot head's tags (``--task intent+slots``, or ``auto`` on rows that mark slots);
    empty for intent-only runs."""
    if not config.with_slots:
        return []
    names = {span.name for utt, known in zip(train_rows, markup, strict=True) if known
             for span in utt.slots}
    if config.task == "auto":
        return slot_tag_list(names) if names else []
    if not any(markup):
        raise LexiError(
            "--task intent+slots needs training rows with slot markup, and none has any",
            path=config.data[0], hint="train on MASSIVE jsonl with annot_utt "
            "('wake me up at [time : five am]'), or use --task intent")
    if not names:
        raise LexiError("--task intent+slots: the training rows' annot_utt mark no slot",
                        path=config.data[0], hint="use --task intent")
    return slot_tag_list(names)


def view_index(train_rows: list[Utterance], config: TrainConfig) -> ViewIndex | None:
    """Anchors and their synthetic views for ``--consistency`` (None when it is off)."""
    if config.consistency <= 0:
        return None
    views = index_views(train_rows)
    if not views.paired:
        raise LexiError(
            "--consistency needs synthetic rows whose lexi.source_id names a training row",
            path=config.data[-1], hint="train on the English file and its `lexi synth` output "
            "together (--data en.jsonl --data synth.jsonl)")
    return views


@dataclass
class EpochData:
    """What one epoch trains on: token ids and gold labels per row, the multi-view pairing
    and the teacher's soft targets (rows = the files' rows, then the epoch's fresh views)."""

    ids: list[list[int]]
    gold: torch.Tensor
    views: ViewIndex | None
    targets: torch.Tensor | None
    fresh_rows: int = 0
    epoch: int = -1
    slot_tags: list[list[int]] | None = None
    """Per row, a slot tag index per token (IGNORE where not tagged); None: no slot head."""


@dataclass(eq=False)
class TrainingData:
    """The training and dev rows, tokenised once; each epoch's rows and batches.

    ``fresh`` (``--synth``: new synthetic views every epoch) and ``soft_targets``
    (``--teacher``) are set by the loop once the model exists, before the first epoch.
    """

    config: TrainConfig
    tokenizer: Any
    labels: list[str]
    slot_labels: list[str]
    train_rows: list[Utterance]
    train_markup: list[bool]
    dev_rows: list[Utterance] | None
    dev_markup: list[bool]
    fresh: FreshViews | None = None
    soft_targets: torch.Tensor | None = None
    train_ids: list[list[int]] = field(init=False)
    train_y: torch.Tensor = field(init=False)
    train_tags: list[list[int]] | None = field(init=False, default=None)
    dev_ids: list[list[int]] = field(init=False)
    dev_y: torch.Tensor = field(init=False)
    dev_slots: DevSlots | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.label_index = {label: i for i, label in enumerate(self.labels)}
        self.tag_index = {tag: i for i, tag in enumerate(self.slot_labels)}
        if self.slot_labels:
            self.train_ids, _, self.train_tags = self.encode_slots(self.train_rows,
                                                                   self.train_markup)
        else:
            self.train_ids = self.encode(self.train_rows)
        self.train_y = torch.tensor([self.label_index[u.label] for u in self.train_rows],
                                    dtype=torch.long)
        dev_rows = self.dev_rows
        if self.slot_labels and dev_rows and any(self.dev_markup):
            self.dev_ids, dev_offsets, _ = self.encode_slots(dev_rows, self.dev_markup)
            self.dev_slots = DevSlots([u.text for u in dev_rows], dev_offsets,
                                      [u.slots if known else None
                                       for u, known in zip(dev_rows, self.dev_markup,
                                                           strict=True)],
                                      self.slot_labels)
        else:
            self.dev_ids = self.encode(dev_rows) if dev_rows else []
        self.dev_y = torch.tensor([self.label_index[u.label] for u in dev_rows or []],
                                  dtype=torch.long)
        self.row_of_id = {str(u.id): i for i, u in enumerate(self.train_rows)}

    def encode(self, rows: list[Utterance]) -> list[list[int]]:
        return self.tokenizer([u.text for u in rows], truncation=True,
                              max_length=self.config.max_length)["input_ids"]

    def encode_slots(self, rows: list[Utterance], markup: list[bool]
                     ) -> tuple[list[list[int]], list[list[tuple[int, int]]], list[list[int]]]:
        """Token ids (the same as :meth:`encode`'s), offsets and slot labels; a row without
        slot markup gets no slot label (IGNORE everywhere): it trains the intent head only."""
        encoded = self.tokenizer([u.text for u in rows], truncation=True,
                                 max_length=self.config.max_length,
                                 return_offsets_mapping=True)
        offsets = [[tuple(pair) for pair in row] for row in encoded["offset_mapping"]]
        tags = [token_labels(u.text, o, u.slots, self.tag_index) if known
                else [IGNORE] * len(o)
                for u, o, known in zip(rows, offsets, markup, strict=True)]
        return encoded["input_ids"], offsets, tags

    def epoch_data(self, epoch: int) -> EpochData:
        """The epoch's rows: the training files' rows, plus this epoch's fresh views."""
        fresh, soft_targets = self.fresh, self.soft_targets
        extra = (fresh.epoch([u for u in self.train_rows if is_original(u)], epoch)
                 if fresh else [])
        rows = self.train_rows + extra
        targets = soft_targets
        if soft_targets is not None and extra:
            # A fresh view learns what the teacher said of the row it was made from.
            sources = [self.row_of_id[str(source_id(u))] for u in extra]
            targets = torch.cat([soft_targets, soft_targets[sources]])
        tags, extra_ids = self.train_tags, None
        if self.train_tags is not None and extra:
            # Synthesis keeps the slots aligned: a view's slots are known when its source's are.
            sources = [self.row_of_id.get(str(source_id(u))) for u in extra]
            known = [bool(u.slots) or (k is not None and self.train_markup[k])
                     for u, k in zip(extra, sources, strict=True)]
            extra_ids, _, extra_tags = self.encode_slots(extra, known)
            tags = self.train_tags + extra_tags
        elif extra:
            extra_ids = self.encode(extra)
        return EpochData(
            ids=self.train_ids + extra_ids if extra else self.train_ids,
            gold=torch.cat([self.train_y,
                            torch.tensor([self.label_index[u.label] for u in extra],
                                         dtype=torch.long)]) if extra else self.train_y,
            views=view_index(rows, self.config), targets=targets, fresh_rows=len(extra),
            epoch=epoch, slot_tags=tags)

    def batches_of(self, epoch: int, data: EpochData, dist_env: Distributed
                   ) -> list[list[int]]:
        """This process's batches of row indices (anchors only with --consistency)."""
        config = self.config
        rows = data.views.anchors if data.views is not None else range(len(data.ids))
        lengths = [len(data.ids[i]) for i in rows]
        batches = epoch_batches(lengths, config.batch_size, seed=config.seed, epoch=epoch,
                                bucket=config.bucket)
        return shard_batches([[rows[j] for j in b] for b in batches], dist_env.rank,
                             dist_env.world_size)
