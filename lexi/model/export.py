"""Deployment export: a finished run as a standard Hugging Face model folder.

``lexi export`` (merged, the default) writes a text-classification model that transformers
loads on its own, lexi not installed::

    AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=True)
    pipeline("text-classification", model=folder, trust_remote_code=True)

``config.json`` + ``model.safetensors`` hold the encoder with the LoRA adapter merged in
and the trained head (``classifier.*``), with the run's ``id2label``/``label2id`` and its
pooling (``lexi_pooling``); ``auto_map`` points at ``modeling_lexi.py``, a copy of
:mod:`lexi.model.hf_modeling`, because lexi's mean pooling is not what the families' own
``...ForSequenceClassification`` classes compute. ``AutoModel`` still loads the encoder
alone. The folder also holds the tokenizer, a model card (``README.md``) and what
``lexi predict --run`` reads (``lexi.json``, ``head.safetensors``, ``labels.json``).

``--no-merge`` (LoRA runs) keeps the adapter separate instead: a copy of the run with a
portable ``base_model_name_or_path`` and a real card in place of peft's template.

Either way the folder is written under a temporary name beside ``output`` and renamed
into place, so it is never seen half-written.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

from lexi.errors import LexiError
from lexi.io import atomic_write, staged_dir
from lexi.model.export_card import adapter_card, merged_card, portable_base_model

MODELING_FILE = "modeling_lexi.py"
MODEL_CLASS = "LexiForSequenceClassification"
EXPORT_FORMAT = "lexi-export/2"


def export_run(run_dir: str | Path, output: str | Path, *, merge: bool = True,
               overwrite: bool = False) -> Path:
    """Write the export of finished run ``run_dir`` to ``output``; returns ``output``.

    ``merge``: a transformers text-classification model (see the module docstring); else a
    portable copy of a LoRA run. ``overwrite``: replace a non-empty ``output``.
    """
    from lexi.model.predict import load_predictor

    run_dir, output = Path(run_dir), Path(output)
    _check_output(run_dir, output, overwrite)
    run = _read_run(run_dir)
    if not merge and run["model"].get("method") != "lora":
        raise LexiError("--no-merge exports a LoRA adapter, and this run has none "
                        f"(method {run['model'].get('method')!r})", path=run_dir,
                        hint="drop --no-merge: the merged export is the whole model")
    # Loaded in both cases: a run that does not load is refused before anything is written.
    predictor = load_predictor(run_dir, device="cpu")  # merges the adapter on load
    with staged_dir(output) as staging:
        if merge:
            _write_merged(predictor, run, run_dir, staging, output)
        else:
            _write_unmerged(run, run_dir, staging, output)
    return output


def _check_output(run_dir: Path, output: Path, overwrite: bool) -> None:
    """Refuse an occupied ``output`` without ``overwrite``, and one that would swallow the run."""
    if output.exists() and not output.is_dir():
        raise LexiError("the output exists and is not a directory", path=output)
    if output.exists() and any(output.iterdir()) and not overwrite:
        raise LexiError("the output directory exists and is not empty", path=output,
                        hint="pass --overwrite")
    # --overwrite would delete the run, and --no-merge copy the run into itself.
    run, out = run_dir.resolve(), output.resolve()
    if run == out or out in run.parents or run in out.parents:
        raise LexiError("the output directory overlaps the run being exported", path=output,
                        hint="export to a folder outside the run (-o)")


def _read_run(run_dir: Path) -> dict[str, Any]:
    """``run.json`` of a finished run; the card and the portable base model come from it."""
    from lexi.model.predict import EXPORT_FILE, load_predictor
    from lexi.model.run import RUN_FILE

    path = run_dir / RUN_FILE
    if not path.is_file():
        if (run_dir / EXPORT_FILE).is_file():
            raise LexiError("this folder is already an export", path=run_dir,
                            hint="copy it, or export the run it came from")
        load_predictor(run_dir)  # raises the precise reason (not a run, not finished, …)
        raise LexiError("not a finished run (no run.json)", path=run_dir)
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise LexiError(f"unreadable run record: {exc}", path=path) from None
    if not isinstance(run, dict) or not isinstance(run.get("model"), dict):
        raise LexiError("no 'model' record", path=path,
                        hint="the file is written by `lexi train`; retrain, or restore it")
    return run


# --- merged: a transformers text-classification model -------------------------------------


def _write_merged(predictor, run: dict[str, Any], run_dir: Path, staging: Path,
                  output: Path) -> None:
    from safetensors.torch import save_file

    from lexi.model.predict import EXPORT_FILE
    from lexi.model.run import HEAD_FILE, LABELS_FILE

    base_model = portable_base_model(run["model"])
    _save_classifier(predictor, staging, base_model)
    tokenizer = predictor.tokenizer
    # pipeline(..., truncation=True) then truncates where lexi predict does.
    tokenizer.model_max_length = predictor.max_length
    tokenizer.save_pretrained(staging)
    # What `lexi predict --run EXPORT` reads (load_predictor); the head is small, so
    # keeping a second copy beside model.safetensors costs little.
    save_file({k: v.detach().float().contiguous()
               for k, v in predictor.model.head.state_dict().items()},
              str(staging / HEAD_FILE))
    info = {"format": EXPORT_FORMAT, "labels": predictor.labels,
            "pooling": predictor.model.pooling, "max_length": predictor.max_length,
            "base_model": base_model, "source_run": str(run_dir)}
    info.update(_copy_slot_head(predictor, run_dir, staging))
    with atomic_write(staging / EXPORT_FILE) as handle:
        handle.write(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
    (staging / LABELS_FILE).write_text(json.dumps(predictor.labels, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    with atomic_write(staging / "README.md") as handle:
        handle.write(merged_card(run, output, base_model))


def _copy_slot_head(predictor, run_dir: Path, staging: Path) -> dict[str, Any]:
    """An ``intent+slots`` run's slot head, for ``lexi predict`` (the transformers model is
    the intent classifier alone); returns what ``lexi.json`` records of it."""
    slot_labels = getattr(predictor, "slot_labels", None)
    if not slot_labels:
        return {}
    from lexi.model.run import SLOT_HEAD_FILE, SLOT_LABELS_FILE

    for name in (SLOT_HEAD_FILE, SLOT_LABELS_FILE):
        shutil.copy2(run_dir / name, staging / name)
    return {"slot_labels": list(slot_labels)}


def modeling_source(encoder_class: type) -> str:
    """The text of ``modeling_lexi.py`` for an encoder of class ``encoder_class``.

    :mod:`lexi.model.hf_modeling` with its two family imports pointed at the encoder's
    class and the family's ``PreTrainedModel`` (the class weights and config load through).
    """
    import transformers

    from lexi.model import hf_modeling

    family = _family_base(encoder_class)
    if getattr(transformers, encoder_class.__name__, None) is not encoder_class:
        raise LexiError(f"the encoder class {encoder_class.__name__} is not part of "
                        "transformers, so the export cannot name it",
                        hint="`lexi predict --run` still uses the run (and --no-merge "
                        "exports a LoRA run's adapter)")
    source = Path(hf_modeling.__file__).read_text(encoding="utf-8")
    for name, alias in ((encoder_class.__name__, "EncoderModel"),
                        (family.__name__, "EncoderPreTrainedModel")):
        pattern = re.compile(rf"^from transformers import \w+ as {alias}$", re.M)
        source, count = pattern.subn(f"from transformers import {name} as {alias}", source)
        if count != 1:  # the template changed without this function
            raise RuntimeError(f"hf_modeling.py must import exactly one ... as {alias}")
    return source


def _family_base(encoder_class: type) -> type:
    """The architecture family's ``...PreTrainedModel`` (``BertPreTrainedModel`` for BERT)."""
    import transformers
    from transformers import PreTrainedModel

    for parent in encoder_class.__mro__[1:]:
        if (issubclass(parent, PreTrainedModel) and parent is not PreTrainedModel
                and getattr(transformers, parent.__name__, None) is parent):
            return parent
    raise LexiError(f"no transformers PreTrainedModel family found for "
                    f"{encoder_class.__name__}",
                    hint="`lexi predict --run` still uses the run (and --no-merge exports "
                    "a LoRA run's adapter)")


def _import_file(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"lexi_export_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def classifier_config(encoder_config, labels: list[str], pooling: str,
                      base_model: str | None):
    """The encoder's config made a sequence-classification config of the run's classifier."""
    config = copy.deepcopy(encoder_config)
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    config.problem_type = "single_label_classification"
    config.lexi_pooling = pooling
    config.architectures = [MODEL_CLASS]
    config.auto_map = {"AutoModelForSequenceClassification": f"modeling_lexi.{MODEL_CLASS}"}
    # Never lexi's cache path: a portable hub id, or nothing.
    config._name_or_path = base_model or ""
    return config


def _save_classifier(predictor, staging: Path, base_model: str | None) -> None:
    """``config.json``, ``model.safetensors`` and ``modeling_lexi.py`` into ``staging``.

    The class is built from the very file that is shipped, and loaded strictly with the
    merged encoder and the head: a name or shape that would not load fails here, not later.
    """
    encoder, head = predictor.model.encoder, predictor.model.head
    (staging / MODELING_FILE).write_text(modeling_source(type(encoder)), encoding="utf-8")
    model_class = getattr(_import_file(staging / MODELING_FILE), MODEL_CLASS)
    config = classifier_config(encoder.config, predictor.labels, predictor.model.pooling,
                               base_model)
    model = model_class(config)
    prefix = model.base_model_prefix
    state = {f"{prefix}.{name}": tensor for name, tensor in encoder.state_dict().items()}
    state.update({f"classifier.{name}": tensor for name, tensor in head.state_dict().items()})
    model.load_state_dict(state, strict=True)
    model.eval().save_pretrained(staging)


# --- unmerged: the run's adapter, made portable ------------------------------------------


def _write_unmerged(run: dict[str, Any], run_dir: Path, staging: Path, output: Path) -> None:
    """A copy of the LoRA run (``lexi predict`` loads it) with a usable ``adapter/``."""
    from lexi.model.run import ADAPTER_DIR, CHECKPOINT_DIR

    base_model = portable_base_model(run["model"])
    shutil.copytree(run_dir, staging, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(CHECKPOINT_DIR, "README.md"))
    adapter_config = staging / ADAPTER_DIR / "adapter_config.json"
    settings = json.loads(adapter_config.read_text(encoding="utf-8"))
    if base_model is not None:  # a local model folder has no portable name: keep its path
        settings["base_model_name_or_path"] = base_model
    adapter_config.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n",
                              encoding="utf-8")
    # In place of peft's blank template (and of the run's card, which names the run's paths).
    card = adapter_card(run, output, base_model)
    for path in (staging / ADAPTER_DIR / "README.md", staging / "README.md"):
        path.write_text(card, encoding="utf-8")
