"""Adaptation: a multilingual encoder + mean pooling + a classification head, LoRA-tuned.

``config`` (TrainConfig), ``classifier`` (the network), ``batching`` (dynamic padding and
length buckets), ``train`` (the loop, checkpoints, run directories, DDP), ``predict``
(loading a run and classifying), ``export`` (a merged model that loads without peft),
``default`` (the embedded default encoder).
"""
