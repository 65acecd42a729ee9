"""A lexi classifier as a standard transformers model: shipped as ``modeling_lexi.py``.

``lexi export`` copies this file into the exported folder and points ``auto_map`` in
``config.json`` at it, so that, with no lexi installed::

    from transformers import AutoModelForSequenceClassification, pipeline
    model = AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=True)
    classify = pipeline("text-classification", model=folder, trust_remote_code=True)

load the trained encoder, lexi's pooling and the trained head, with the run's labels. It
computes what ``lexi.model.classifier.EncoderClassifier`` computes: encoder → pooling
(``mean`` over real tokens, or the first token, ``cls``) → dropout → linear head.

The file must not import lexi (it runs where lexi is not installed). The two
``... as Encoder...`` imports below name the encoder's architecture family; the export
rewrites them for the family of the run's encoder (BERT here, XLM-R, …).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import BertModel as EncoderModel
from transformers import BertPreTrainedModel as EncoderPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

POOLINGS = ("mean", "cls")


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors of real tokens (padding excluded), as lexi trains."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def _encoder(config) -> nn.Module:
    # lexi pools the token vectors itself; a pooler would be untrained, unused weights.
    try:
        return EncoderModel(config, add_pooling_layer=False)
    except TypeError:  # families without a pooler do not take the argument
        return EncoderModel(config)


class LexiForSequenceClassification(EncoderPreTrainedModel):
    """Encoder → ``config.lexi_pooling`` pooling → dropout → ``classifier`` → logits.

    Weights are named like the family's own ``...ForSequenceClassification``
    (``bert.*`` / ``roberta.*`` …, ``classifier.*``), so ``AutoModel`` still loads the
    encoder alone from the same folder.
    """

    def __init__(self, config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.pooling = getattr(config, "lexi_pooling", "mean")
        if self.pooling not in POOLINGS:
            raise ValueError(f"lexi_pooling must be one of {POOLINGS}, found {self.pooling!r}")
        setattr(self, self.base_model_prefix, _encoder(config))
        dropout = getattr(config, "classifier_dropout", None)
        if dropout is None:
            dropout = getattr(config, "hidden_dropout_prob", 0.1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return mean_pool(hidden, attention_mask) if self.pooling == "mean" else hidden[:, 0]

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs,
    ) -> SequenceClassifierOutput:
        if attention_mask is None:
            reference = input_ids if input_ids is not None else inputs_embeds[..., 0]
            attention_mask = torch.ones(reference.shape[:2], dtype=torch.long,
                                        device=reference.device)
        if token_type_ids is not None:  # not every family has token types
            kwargs["token_type_ids"] = token_type_ids
        kwargs.pop("return_dict", None)
        outputs = getattr(self, self.base_model_prefix)(
            input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds,
            return_dict=True, **kwargs)
        pooled = self.pool(outputs.last_hidden_state, attention_mask)
        logits = self.classifier(self.dropout(pooled).to(self.classifier.weight.dtype))
        loss = None
        if labels is not None:  # lexi trains single-label classifiers only
            loss = nn.functional.cross_entropy(logits.view(-1, self.num_labels).float(),
                                               labels.view(-1))
        return SequenceClassifierOutput(loss=loss, logits=logits,
                                        hidden_states=outputs.hidden_states,
                                        attentions=outputs.attentions)
