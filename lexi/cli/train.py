"""`lexi train`, `lexi average`, `lexi predict`, `lexi export`: fine-tune, combine runs,
classify, deploy."""

from __future__ import annotations

import json
import sys
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Annotated

import typer

from lexi.cli._util import (
    SPLIT_VALUES,
    BatchSize,
    Device,
    app,
    console,
    deprecated,
    print_json,
    split_value,
)
from lexi.errors import LexiError
from lexi.model.config import TrainConfig

# Each default is declared once, in TrainConfig; the options show and pass it on.
_D = {f.name: f.default if f.default is not MISSING else f.default_factory()
      for f in fields(TrainConfig) if (f.default, f.default_factory) != (MISSING, MISSING)}

# `lexi train` and `lexi predict` read the same generic files.
TextField = Annotated[str | None, typer.Option(
    "--text-field", help="Column holding the text (generic JSONL, CSV, TSV files).")]


@app.command("train")
def train_cmd(
    ctx: typer.Context,
    data: Annotated[list[str] | None, typer.Option(
        "--data", "-d", help="Training file (repeatable): MASSIVE jsonl, JSONL, CSV, TSV.")
    ] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Run directory to create.")] = None,
    config_file: Annotated[Path | None, typer.Option(
        "--config", help="YAML or JSON file of options (field names of TrainConfig; a run's "
        "run.json works too); options given on the command line win.")] = None,
    dev: Annotated[str | None, typer.Option(
        "--dev", help="Source-language dev file for early stopping and model selection "
        "(never target-language data).")] = None,
    model: Annotated[str, typer.Option(
        "--model", help="`default` (embedded multilingual-e5-small), a model folder or a "
        "Hugging Face id.")] = _D["model"],
    split: Annotated[str, typer.Option(
        "--split", help=f"Training rows of this split: {SPLIT_VALUES} (rows without a split "
        "are kept).")] = _D["split"],
    dev_split: Annotated[str, typer.Option(
        "--dev-split", help=f"Dev rows of this split: {SPLIT_VALUES}.")] = _D["dev_split"],
    method: Annotated[str, typer.Option("--method", help="`lora` or `full` fine-tuning.")
    ] = _D["method"],
    task: Annotated[str, typer.Option(
        "--task", help="`intent`, or `intent+slots`: also a token-level head that tags slots "
        "(BIO, learnt from MASSIVE annot_utt spans; rows without markup train the intent "
        "head only); `auto`: intent+slots when the training rows mark slots, else "
        "intent.")] = _D["task"],
    slot_weight: Annotated[float, typer.Option(
        "--slot-weight", help="intent+slots: loss = intent CE + this × slot CE.")
    ] = _D["slot_weight"],
    slot_lr_scale: Annotated[float, typer.Option(
        "--slot-lr-scale", help="intent+slots: the slot head's learning rate as a multiple of "
        "--lr (its token features vary little: at the adapter's rate it stays at the tag "
        "prior).")] = _D["slot_lr_scale"],
    epochs: Annotated[int, typer.Option("--epochs", help="Passes over the training data.")
    ] = _D["epochs"],
    lr: Annotated[float | None, typer.Option(
        "--lr", help="Peak learning rate [default: 2e-3 LoRA, 3e-5 full].")] = _D["lr"],
    batch_size: Annotated[int, typer.Option(
        "--batch-size", help="Examples per step and process.")] = _D["batch_size"],
    grad_accum: Annotated[int, typer.Option(
        "--grad-accum", help="Micro-batches per optimizer step.")] = _D["grad_accum"],
    lora_r: Annotated[int, typer.Option("--lora-r", help="LoRA rank.")] = _D["lora_r"],
    lora_alpha: Annotated[int, typer.Option(
        "--lora-alpha", help="LoRA alpha (scale alpha/r).")] = _D["lora_alpha"],
    lora_dropout: Annotated[float, typer.Option(
        "--lora-dropout", help="Dropout on the LoRA branch during training.")] = _D["lora_dropout"],
    target_modules: Annotated[str, typer.Option(
        "--target-modules", help="Comma-separated encoder layers that get LoRA.")
    ] = ",".join(_D["target_modules"]),
    lora_layers: Annotated[int | None, typer.Option(
        "--lora-layers", help="LoRA on the top N encoder layers only [default: all]; "
        "no backward pass below them, so a faster step.")] = _D["lora_layers"],
    max_length: Annotated[int, typer.Option(
        "--max-length", help="Tokens kept per utterance.")] = _D["max_length"],
    warmup_ratio: Annotated[float, typer.Option(
        "--warmup-ratio", help="Share of steps with a linear warm-up.")] = _D["warmup_ratio"],
    consistency: Annotated[float, typer.Option(
        "--consistency", help="Multi-view training: pair each row with one of its synthetic "
        "views (rows whose lexi.source_id names it) in every batch, adding this weight × the "
        "symmetric KL between their predictions; 0 = off.")] = _D["consistency"],
    synth: Annotated[str | None, typer.Option(
        "--synth", help="A YAML/JSON file of `lexi synth` options (lexicon, ops, "
        "per_utterance, …): fresh synthetic views of the English rows every epoch.")] = _D["synth"],
    teacher: Annotated[str | None, typer.Option(
        "--teacher", help="A finished source-language run: its predictions on each row's "
        "English source become soft targets (distillation).")] = _D["teacher"],
    teacher_weight: Annotated[float, typer.Option(
        "--teacher-weight", help="Share of the loss given to the teacher's soft targets.")
    ] = _D["teacher_weight"],
    temperature: Annotated[float, typer.Option(
        "--temperature", help="Softmax temperature of the distillation term.")] = _D["temperature"],
    max_grad_norm: Annotated[float, typer.Option(
        "--max-grad-norm", help="Clip gradients to this global L2 norm at every step.")
    ] = _D["max_grad_norm"],
    on_divergence: Annotated[str, typer.Option(
        "--on-divergence", help="When the loss blows up or the model stops learning: `retry` "
        "(once, from the last good state at half the learning rate), `stop` (the run is "
        "written as failed) or `warn` (log it and train on; a non-finite loss still "
        "stops).")] = _D["on_divergence"],
    patience: Annotated[int, typer.Option(
        "--patience", help="Epochs without dev gain before stopping.")] = _D["patience"],
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed of initialisation, shuffling and dropout: same seed, same run.")
    ] = _D["seed"],
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = _D["device"],
    threads: Annotated[int | None, typer.Option(
        "--threads", help="CPU threads [default: all cores].")] = _D["threads"],
    cpu_bf16: Annotated[bool | None, typer.Option(
        "--cpu-bf16/--no-cpu-bf16", help="bf16 autocast on the CPU (on CUDA it is always "
        "on). Default: on where the CPU has bf16 units (AVX-512-BF16, AMX), 1.2-1.3x faster "
        "training, accuracy within noise of float32 over the measured recipe runs; off elsewhere. "
        "run.json says which (device.cpu_bf16); measure yours with benchmarks/bench_train.py.",
        show_default=False)
    ] = _D["cpu_bf16"],
    fast_dropout: Annotated[bool, typer.Option(
        "--fast-dropout/--no-fast-dropout", help="On the CPU, dropout masks drawn 16 bits at "
        "a time (same p, a quarter of the random draws; 1.2-1.5x faster training steps, "
        "the same accuracy within noise). "
        "--no-fast-dropout: torch's own dropout, the random stream of runs before 2026-12-05.")
    ] = _D["fast_dropout"],
    compile: Annotated[bool, typer.Option(  # the TrainConfig field's name: --config merges by it
        "--compile", help="torch.compile the training step (inductor; the first steps pay "
        "the compilation); measured in docs/performance.md, \"torch.compile\".")
    ] = _D["compile"],
    init: Annotated[str | None, typer.Option(
        "--init", metavar="DIR", help="Start from a finished LoRA run (same labels and "
        "adapter settings): its adapter and heads instead of fresh ones, to continue that "
        "model on these rows.")
    ] = _D["init"],
    max_steps: Annotated[int | None, typer.Option(
        "--max-steps", help="Stop after N optimizer steps (smoke tests, benchmarks).")
    ] = _D["max_steps"],
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue from the last epoch checkpoint.")] = _D["resume"],
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing run directory.")] = _D["overwrite"],
    text_field: TextField = _D["text_field"],
    label_field: Annotated[str | None, typer.Option(
        "--label-field", help="Column holding the label (generic JSONL, CSV, TSV files).")
    ] = _D["label_field"],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Fine-tune the encoder (LoRA by default) and write a run directory.

    Example (MASSIVE keeps train and dev in one file; the splits pick them):

        lexi train --data en-US.jsonl --dev en-US.jsonl -o runs/en

    Repeat a run's settings with other data: `lexi train --config runs/en/run.json
    --data en-US.jsonl --data synth.jsonl -o runs/en+sw`.

    Intent and slots (MASSIVE annot_utt markup): `lexi train --task intent+slots ...`.

    Many processes or GPUs: `torchrun --nproc_per_node 2 -m lexi.cli.main train ...`.
    Prints the run directory on stdout (or the result with --json). A run that diverges
    (non-finite or exploding loss, a loss or dev accuracy no better than guessing the most
    frequent labels) is retried once at half the learning rate, or with
    `--on-divergence stop` written as failed; either way it says so and exits non-zero
    when no good model came out.
    """
    from lexi.model.train import train

    values = dict(
        data=data or [], dev=dev, output=str(output) if output else None, model=model,
        split=split_value(split),
        dev_split=split_value(dev_split), text_field=text_field, label_field=label_field,
        method=method, lora_r=lora_r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
        target_modules=[m.strip() for m in target_modules.split(",") if m.strip()],
        lora_layers=lora_layers,
        lr=lr, epochs=epochs, batch_size=batch_size, grad_accum=grad_accum,
        warmup_ratio=warmup_ratio, consistency=consistency, synth=synth, teacher=teacher,
        teacher_weight=teacher_weight, temperature=temperature, max_grad_norm=max_grad_norm,
        on_divergence=on_divergence, max_length=max_length, max_steps=max_steps,
        patience=patience, seed=seed, device=device, threads=threads, resume=resume,
        overwrite=overwrite, task=task, slot_weight=slot_weight,
        slot_lr_scale=slot_lr_scale, cpu_bf16=cpu_bf16,
        compile=compile, fast_dropout=fast_dropout, init=init,
    )
    if config_file is not None:
        # Compared by name: typer may ship its own copy of click's ParameterSource enum.
        given = {name for name in values
                 if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"}
        values.update({k: v for k, v in TrainConfig.read_file(config_file).items()
                       if k not in given})
    if not values["output"]:
        raise LexiError("no run directory given", hint="pass -o DIR (or `output:` in --config)")
    config = TrainConfig(**values)
    result = train(config, freeze_after_load=True)  # one process per run: see read_store
    from lexi.model.train import Distributed

    if not Distributed.from_env().is_main:
        return
    if as_json:
        print_json({"run_dir": str(result.run_dir), "best_epoch": result.best_epoch,
                    "metrics": result.metrics, "history": result.history, "steps": result.steps,
                    "retries": result.retries,
                    "wall_time_s": result.wall_time_s,
                    "peak_memory_bytes": result.peak_memory_bytes})
    else:
        console.print(f"[green]run written to {result.run_dir}[/] (best epoch "
                      f"{result.best_epoch}: {result.metrics})", highlight=False)
        sys.stdout.write(f"{result.run_dir}\n")


def predict_rows(*args, **kwargs) -> list[dict]:
    """What ``lexi predict`` prints: :func:`lexi.model.predict.predict_rows` (imported
    when called, so that ``lexi --help`` does not load torch)."""
    from lexi.model.predict import predict_rows as rows

    return rows(*args, **kwargs)


@app.command("predict")
def predict_cmd(
    run: Annotated[Path, typer.Option(
        "--run", "-r", help="A run directory (or a `lexi export` folder).")],
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to classify.")] = None,
    data: Annotated[str | None, typer.Option(
        "--data", "-d", help="A dataset file to classify (any format `lexi train` reads; "
        "- for stdin).")] = None,
    split: Annotated[str, typer.Option(
        "--split", help=f"Only --data rows of this split: {SPLIT_VALUES}.")] = "all",
    top_k: Annotated[int, typer.Option("--top-k", help="Labels per text, best first.")] = 1,
    batch_size: BatchSize = 64,
    device: Device = None,
    text_field: TextField = None,
    input_old: Annotated[str | None, typer.Option(
        "--input", "-i", hidden=True, help="Deprecated spelling of --data.")] = None,
) -> None:
    """Classify texts with a trained run: one JSON line per text on stdout.

    A run trained with `--task intent+slots` also gives the slots, as `annot_utt`
    (`wake me up at [time : seven]`) and as `slots` spans with character offsets.

    Example:

        lexi predict --run runs/en "wake me up at seven" --top-k 3
        lexi predict --run runs/en --data sw-KE.jsonl --split test > predictions.jsonl
    """
    if input_old is not None:
        deprecated("--input/-i", "--data/-d")
        data = data or input_old
    for row in predict_rows(run, texts or [], data, top_k, batch_size, device, text_field,
                            split_value(split)):
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


@app.command("export")
def export_cmd(
    run: Annotated[Path, typer.Option("--run", "-r", help="A finished run directory.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write.")],
    merge: Annotated[bool, typer.Option(
        "--merge/--no-merge", help="Merge the LoRA adapter into the encoder: a Hugging Face "
        "text-classification model (the default). --no-merge keeps the adapter separate "
        "(LoRA runs): a portable copy of the run.")] = True,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing folder.")] = False,
) -> None:
    """Write a run as a standard Hugging Face text-classification model folder.

    Example:

        lexi export --run runs/en -o deploy/en

    `pipeline("text-classification", model="deploy/en", trust_remote_code=True)` and
    `AutoModelForSequenceClassification.from_pretrained(..., trust_remote_code=True)` load
    it with the run's labels, pooling and head (lexi not needed; `modeling_lexi.py` in the
    folder is the code they trust), and give the probabilities `lexi predict` gives;
    `lexi predict --run deploy/en` works on it too. The folder has a model card (README.md).
    Prints the folder on stdout.
    """
    from lexi.model.export import export_run

    written = export_run(run, output, merge=merge, overwrite=overwrite)
    sys.stdout.write(f"{written}\n")


@app.command("average")
def average_cmd(
    runs: Annotated[list[Path], typer.Option(
        "--run", "-r", help="A finished run directory (repeat: two or more runs of one "
        "encoder and label set).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Run directory to write.")],
    weights: Annotated[str | None, typer.Option(
        "--weights", help="One weight per --run, in order, commas (normalised to sum 1); "
        "equal weights by default.")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing output folder.")] = False,
) -> None:
    """Average trained runs in weight space into one run (WiSE-FT, model soups).

    The English-only baseline and the augmented run (English + synthetic) each know
    something the other lacks; their average keeps both and is one ordinary model, as fast
    as either. docs/results.md measures it against both on MASSIVE sw-KE and SIB-200. LoRA
    runs are averaged exactly (the adapters' ranks are concatenated); full fine-tuning runs
    average their tensors. Prints the new run directory on stdout.

    Example:

        lexi average -r runs/augmented -r runs/baseline -o runs/averaged
        lexi average -r runs/augmented -r runs/baseline --weights 0.7,0.3 -o runs/avg73
    """
    from lexi.model.average import average_runs, parse_weights

    weight_list = parse_weights(weights, len(runs)) if len(runs) >= 2 else None
    result = average_runs(runs, output, weight_list, overwrite=overwrite)
    console.print(f"[green]averaged {len(result.runs)} runs[/] ({result.method}, weights "
                  f"{', '.join(f'{w:.2f}' for w in result.weights)}) into {result.output}",
                  highlight=False)
    sys.stdout.write(f"{result.output}\n")
