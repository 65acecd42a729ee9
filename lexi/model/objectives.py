"""The training objectives beside the intent cross-entropy.

- multi-view consistency (``--consistency``): the symmetric KL between a row's prediction
  and that of a synthetic view of it (:mod:`lexi.model.views`);
- distillation from a teacher run (``--teacher``): the teacher's tempered probabilities,
  computed once before training, and the KL of the student from them;
- slot tagging (``--task intent+slots``): the cross-entropy of the token-level slot head.

The training loop (:mod:`lexi.model.train`) adds them up with their weights.
"""

from __future__ import annotations

import torch
from torch import nn

from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.model.classifier import evaluate_logits
from lexi.model.config import TrainConfig
from lexi.model.slots import IGNORE
from lexi.model.views import index_views, symmetric_kl


def teacher_targets(config: TrainConfig, train_rows: list[Utterance], labels: list[str],
                    device: torch.device) -> torch.Tensor:
    """Soft targets ``[rows, labels]``: the teacher's tempered probabilities for each row's
    source row (a synthetic view gets those of the English row it was made from)."""
    from lexi.model.predict import load_predictor

    teacher = load_predictor(config.teacher, device=str(device.type))
    missing = sorted(set(labels) - set(teacher.labels))
    if missing:
        raise LexiError(f"the teacher does not know {len(missing)} training label(s): "
                        + ", ".join(missing[:5]), path=config.teacher,
                        hint="use a teacher trained on the same labels")
    anchor_of = {view: anchor for anchor, views in index_views(train_rows).views.items()
                 for view in views}
    sources = sorted({anchor_of.get(i, i) for i in range(len(train_rows))})
    logits = evaluate_logits(teacher.model, teacher.tokenizer(
        [train_rows[i].text for i in sources], truncation=True,
        max_length=teacher.max_length)["input_ids"], teacher.tokenizer.pad_token_id,
        teacher.device, config.eval_batch_size)
    columns = torch.tensor([teacher.labels.index(label) for label in labels])
    probs = torch.softmax(logits[:, columns] / config.temperature, dim=-1)
    row_of_source = {row: k for k, row in enumerate(sources)}
    return probs[[row_of_source[anchor_of.get(i, i)] for i in range(len(train_rows))]]


def slot_loss(slot_logits: torch.Tensor, tags: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Mean cross-entropy over the tagged tokens (each word's first sub-word) of the batch,
    and how many there were. A batch with none (rows without slot markup) gives a zero that
    still reaches the slot head, so every DDP process reduces the same parameters."""
    labelled = int((tags != IGNORE).sum())
    summed = nn.functional.cross_entropy(slot_logits.float().flatten(0, 1), tags.flatten(),
                                         ignore_index=IGNORE, reduction="sum")
    return summed / max(labelled, 1), labelled


def distillation(logits: torch.Tensor, targets: torch.Tensor, temperature: float
                 ) -> torch.Tensor:
    """KL(teacher ‖ student) at ``temperature``, scaled by T² (Hinton et al. 2015)."""
    student = nn.functional.log_softmax(logits.float() / temperature, dim=-1)
    return nn.functional.kl_div(student, targets, reduction="batchmean") * temperature ** 2


def consistency(logits: torch.Tensor, anchors: int, drawn: list[tuple[int, int]],
                device: torch.device) -> torch.Tensor:
    """Symmetric KL between each drawn view (after the anchors) and its anchor's prediction."""
    if not drawn:
        return torch.zeros((), device=device)
    positions = torch.tensor([position for position, _ in drawn], device=device)
    return symmetric_kl(logits[positions], logits[anchors:])
