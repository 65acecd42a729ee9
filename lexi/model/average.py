"""Weight-space averaging of finished runs: one model between an English-only run and an
augmented one (WiSE-FT, Wortsman et al. 2022; model soups).

Fine-tuned from the same pretrained encoder, the two runs sit in one basin of the loss, and
their weighted average keeps what each learned: the English run's clean decision
boundaries and the synthetic run's target-language words. docs/results.md measures it: the
augmented run alone loses points on some languages (label skew from noisy synthetic rows),
the average of the two gains on average over languages.

LoRA runs are averaged exactly: the merged update of the average is Σ wᵢ·sᵢ·BᵢAᵢ, which is
one LoRA adapter of rank Σ rᵢ (the Aᵢ stacked, the wᵢ·sᵢ·Bᵢ side by side, scaling 1), so
nothing is approximated and the result loads like any run. Full fine-tuning runs average
their encoder tensors. Heads (intent and, when every run has one with the same tags, slot)
are averaged. The folder is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lexi.errors import LexiError

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ENCODER_WEIGHTS = "model.safetensors"


@dataclass(frozen=True)
class AveragedRun:
    """What :func:`average_runs` wrote."""

    output: Path
    runs: list[Path]
    weights: list[float]
    method: str
    """``lora`` (adapters concatenated, exact) or ``full`` (encoder tensors averaged)."""


def parse_weights(text: str | None, count: int) -> list[float]:
    """``"0.5,0.5"`` → normalised weights for ``count`` runs; ``None`` → equal weights."""
    if text is None or not text.strip():
        return [1.0 / count] * count
    try:
        weights = [float(part) for part in text.replace(" ", ",").split(",") if part]
    except ValueError:
        raise LexiError(f"--weights {text!r}: expected numbers separated by commas, "
                        "e.g. 0.5,0.5") from None
    if len(weights) != count:
        raise LexiError(f"--weights gives {len(weights)} numbers for {count} runs",
                        hint="one weight per --run, in the same order")
    if any(w < 0 or w != w for w in weights) or sum(weights) <= 0:
        raise LexiError(f"--weights {text!r}: weights must be ≥ 0 with a positive sum")
    total = sum(weights)
    return [w / total for w in weights]


def average_runs(runs: list[str | Path], output: str | Path, weights: list[float] | None = None,
                 *, overwrite: bool = False) -> AveragedRun:
    """Write the weighted average of finished ``runs`` (same encoder, labels and method) as
    a run directory at ``output``; ``weights`` default to equal and are normalised."""
    from lexi.io import staged_dir
    from lexi.model.run import RUN_FILE

    paths = [Path(run) for run in runs]
    output = Path(output)
    if len(paths) < 2:
        raise LexiError("averaging needs at least two runs", hint="give --run twice or more")
    weights = parse_weights(",".join(map(str, weights)) if weights else None, len(paths))
    _check_output(paths, output, overwrite)
    records = [_finished_run(path) for path in paths]
    method = _common(records, paths)
    with staged_dir(output) as staging:
        _average_heads(paths, weights, staging)
        if method == "lora":
            _average_adapters(paths, weights, staging)
        else:
            _average_encoders(paths, weights, staging)
        run = _averaged_record(records[0], paths, weights, output, method)
        (staging / "README.md").write_text(_card(run), encoding="utf-8")
        (staging / RUN_FILE).write_text(json.dumps(run, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    return AveragedRun(output, paths, weights, method)


def _finished_run(path: Path) -> dict[str, Any]:
    from lexi.model.export import _read_run

    run = _read_run(path)
    if run.get("status", "ok") != "ok":
        raise LexiError(f"this run did not finish ({run.get('status')}): nothing to average",
                        path=path, hint="retrain it, or leave it out")
    return run


def _common(records: list[dict[str, Any]], paths: list[Path]) -> str:
    """The shared method; every run must have the first one's encoder, labels and pooling."""
    first = records[0]["model"]
    for record, path in zip(records[1:], paths[1:], strict=True):
        model = record["model"]
        for key, what in (("path", "encoder"), ("labels", "labels"), ("pooling", "pooling"),
                          ("method", "training method")):
            if model.get(key) != first.get(key):
                raise LexiError(f"its {what} ({model.get(key)!r}) differs from {paths[0]}'s "
                                f"({first.get(key)!r}): only runs of one model can be "
                                "averaged", path=path)
        if model.get("slot_labels") != first.get("slot_labels"):
            raise LexiError(f"its slot tags differ from {paths[0]}'s", path=path)
    method = first.get("method")
    if method is None:  # a record without the field: the folder says what was saved
        from lexi.model.run import ENCODER_DIR

        method = "full" if (paths[0] / ENCODER_DIR).is_dir() else "lora"
    if method not in ("lora", "full"):
        raise LexiError(f"unknown training method {method!r}", path=paths[0])
    return method


def _check_output(paths: list[Path], output: Path, overwrite: bool) -> None:
    out = output.resolve()
    for path in paths:
        run = path.resolve()
        if run == out or out in run.parents or run in out.parents:
            raise LexiError("the output directory overlaps a run being averaged", path=output,
                            hint="write the average to a new folder (-o)")
    if output.exists() and (not output.is_dir() or any(output.iterdir())) and not overwrite:
        raise LexiError("output exists", path=output, hint="pass --overwrite to replace it")


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise LexiError(f"{what} is missing: not a complete run", path=path,
                        hint="retrain the run, or restore the file")
    return path


def _load(path: Path):
    from safetensors.torch import load_file

    _require(path, "a weights file")
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for broken files
        raise LexiError(f"unreadable weights: {exc}", path=path) from None


def _weighted(tensors: list, weights: list[float]):
    if not tensors[0].is_floating_point():
        return tensors[0]
    total = sum(w * t.float() for w, t in zip(weights, tensors, strict=True))
    return total.to(tensors[0].dtype).contiguous()


def _average_heads(paths: list[Path], weights: list[float], staging: Path) -> None:
    from safetensors.torch import save_file

    from lexi.model.run import HEAD_FILE, LABELS_FILE, SLOT_HEAD_FILE, SLOT_LABELS_FILE

    for name in (HEAD_FILE, SLOT_HEAD_FILE):
        if not (paths[0] / name).exists():
            continue
        heads = [_load(path / name) for path in paths]
        save_file({key: _weighted([head[key] for head in heads], weights) for key in heads[0]},
                  str(staging / name))
    for name in (LABELS_FILE, SLOT_LABELS_FILE):
        if (paths[0] / name).exists():
            shutil.copyfile(paths[0] / name, staging / name)


def _average_adapters(paths: list[Path], weights: list[float], staging: Path) -> None:
    """Σ wᵢ·sᵢ·BᵢAᵢ as one adapter of rank Σ rᵢ and scaling 1 (lora_alpha = r).

    Linear layers and embeddings (peft's ``lora_embedding_A/B``) alike. A module that only
    some runs adapt counts as a zero update in the others (zero A and B of their rank), so
    a run with LoRA on the word embeddings averages with one without."""
    import torch
    from safetensors.torch import save_file

    from lexi.model.run import ADAPTER_CONFIG, ADAPTER_DIR, read_adapter_config

    configs = [read_adapter_config(path) for path in paths]
    for config, path in zip(configs, paths, strict=True):
        if config.get("use_rslora") or config.get("use_dora") or config.get("rank_pattern") \
                or config.get("alpha_pattern"):
            raise LexiError("rsLoRA, DoRA and per-module ranks are not averaged",
                            path=path / ADAPTER_DIR)
    scalings = [config["lora_alpha"] / config["r"] for config in configs]
    ranks = [config["r"] for config in configs]
    states = [_load(path / ADAPTER_DIR / ADAPTER_WEIGHTS) for path in paths]
    keys = list(dict.fromkeys(key for state in states for key in state))
    merged = {}
    for key in keys:
        side = _lora_side(key)
        if side is None:  # modules_to_save and the like: plain weighted average
            if any(key not in state for state in states):
                raise LexiError("the adapters save different modules", path=paths[-1] / ADAPTER_DIR)
            merged[key] = _weighted([state[key] for state in states], weights)
            continue
        like = next(state[key] for state in states if key in state)
        parts = [state[key] if key in state else
                 like.new_zeros((rank, like.shape[1]) if side == "A" else (like.shape[0], rank))
                 for state, rank in zip(states, ranks, strict=True)]
        if side == "A":
            merged[key] = torch.cat(parts, dim=0).contiguous()
        else:
            scaled = [w * s * part for w, s, part in zip(weights, scalings, parts, strict=True)]
            merged[key] = torch.cat(scaled, dim=1).contiguous()
    rank = sum(ranks)
    config = {**configs[0], "r": rank, "lora_alpha": rank,
              "target_modules": _union_targets(configs, paths),
              "layers_to_transform": _union_layers(configs)}
    (staging / ADAPTER_DIR).mkdir()
    save_file(merged, str(staging / ADAPTER_DIR / ADAPTER_WEIGHTS))
    (staging / ADAPTER_DIR / ADAPTER_CONFIG).write_text(json.dumps(config, indent=2) + "\n",
                                                        encoding="utf-8")


def _lora_side(key: str) -> str | None:
    """``A`` or ``B`` for a LoRA factor's tensor name (linear or embedding), else None."""
    if ".lora_A." in key or key.endswith(".lora_embedding_A"):
        return "A"
    if ".lora_B." in key or key.endswith(".lora_embedding_B"):
        return "B"
    return None


def _union_targets(configs: list[dict[str, Any]], paths: list[Path]) -> Any:
    """Every module any run adapts, so that peft builds a layer for each saved factor."""
    targets = [config.get("target_modules") for config in configs]
    if all(isinstance(t, list) for t in targets):
        return sorted({name for t in targets for name in t})
    if any(t != targets[0] for t in targets):  # a regular expression: only if all agree
        raise LexiError("the adapters name their target modules differently",
                        path=paths[-1], hint="average runs trained with the same --target-modules")
    return targets[0]


def _union_layers(configs: list[dict[str, Any]]) -> list[int] | None:
    """Every layer any run adapts (``--lora-layers``); None (all) if one run adapts all."""
    layers = [config.get("layers_to_transform") for config in configs]
    if any(chosen is None for chosen in layers):
        return None
    return sorted({int(i) for chosen in layers
                   for i in ([chosen] if isinstance(chosen, int) else chosen)})


def _average_encoders(paths: list[Path], weights: list[float], staging: Path) -> None:
    from safetensors.torch import save_file

    from lexi.model.run import ENCODER_DIR

    for path in paths:
        _require(path / ENCODER_DIR / "config.json", "the fine-tuned encoder")
    shutil.copytree(paths[0] / ENCODER_DIR, staging / ENCODER_DIR)
    files = sorted(p.name for p in (paths[0] / ENCODER_DIR).glob("*.safetensors"))
    if not files:
        raise LexiError("no safetensors weights to average", path=paths[0] / ENCODER_DIR)
    for name in files:
        states = [_load(path / ENCODER_DIR / name) for path in paths]
        save_file({key: _weighted([state[key] for state in states], weights)
                   for key in states[0]}, str(staging / ENCODER_DIR / name),
                  metadata={"format": "pt"})


def _averaged_record(first: dict[str, Any], paths: list[Path], weights: list[float],
                     output: Path, method: str) -> dict[str, Any]:
    from lexi.model.run import read_adapter_config

    run = {key: first[key] for key in ("format", "model", "versions") if key in first}
    config = dict(first.get("config") or {})
    config["output"] = str(output)
    if method == "lora":
        rank = sum(read_adapter_config(path)["r"] for path in paths)
        config.update(lora_r=rank, lora_alpha=rank)
    run.update(
        status="ok",
        config=config,
        # Dev accuracy is not re-measured here: `lexi eval --data DEV` measures the average.
        metrics={},
        averaged={"runs": [str(path) for path in paths], "weights": weights,
                  "method": "weight-space average (WiSE-FT)"},
    )
    return run


def _card(run: dict[str, Any]) -> str:
    from lexi.model.export_card import averaged_sentence

    model = run["model"]
    return (f"# lexi run (weight-space average)\n\n"
            f"{averaged_sentence(run['averaged'])}: encoder `{model.get('name')}`, "
            f"{model.get('method')} training, labels {', '.join(model.get('labels') or [])}.\n\n"
            "Written by `lexi average`. For a LoRA run, `adapter/` is one peft adapter whose "
            "merged update is the weighted sum of the runs' updates (ranks concatenated); "
            "`head.safetensors` is the average of their heads. Load it with "
            "`lexi predict --run` or `lexi export`.\n")
