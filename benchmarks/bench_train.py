"""Training and prediction throughput of the default model on MASSIVE-length utterances.

    python benchmarks/bench_train.py [--steps 20] [--model default] [--device cpu]

Each configuration trains in its own process (so peak memory is its own) through
``lexi.model.train.train`` itself, batch 32, for ``--steps`` optimizer steps on MASSIVE
en-US train utterances (../shared/data or $LEXI_SHARED_DATA):

- LoRA, every batch padded to 32 tokens (the baseline: ~42 samples/s measured outside lexi)
- LoRA, dynamic padding + length buckets (lexi's default)
- the same two for full fine-tuning

then prediction throughput (utterances/s) of the LoRA run on en-US dev. Samples/s count
training steps only (forward, backward, optimizer), not model loading, dev evaluation or
the first step (one-off warm-up costs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE_OUTSIDE = 42.0  # samples/s, LoRA at fixed length 32, measured outside the project

CONFIGS = {
    "lora-fixed32": {"method": "lora", "pad_to_max_length": True, "max_length": 32,
                     "bucket": False},
    "lora-dynamic-bucketed": {"method": "lora"},
    "full-fixed32": {"method": "full", "pad_to_max_length": True, "max_length": 32,
                     "bucket": False},
    "full-dynamic-bucketed": {"method": "full"},
}


def shared_data() -> Path:
    root = Path(os.environ.get("LEXI_SHARED_DATA", REPO.parent / "shared" / "data"))
    path = root / "massive" / "en-US.jsonl"
    if not path.exists():
        sys.exit(f"MASSIVE en-US not found at {path} (set LEXI_SHARED_DATA)")
    return path


def write_subsets(work: Path, rows: int) -> tuple[Path, Path]:
    """A random sample of en-US train rows, and 256 dev rows (evaluation is not timed)."""
    from lexi.data.massive import write_massive
    from lexi.data.readers import read_dataset

    everything = list(read_dataset(shared_data()))
    train = [u for u in everything if u.split == "train"]
    dev = [u for u in everything if u.split == "dev"]
    random.Random(0).shuffle(train)
    with open(work / "train.jsonl", "w", encoding="utf-8") as handle:
        write_massive(train[:rows], handle)
    with open(work / "dev.jsonl", "w", encoding="utf-8") as handle:
        write_massive(dev[:256], handle)
    return work / "train.jsonl", work / "dev.jsonl"


def run_one(name: str, args: argparse.Namespace, work: Path) -> dict:
    """Train one configuration in this process and print its figures as JSON."""
    from lexi.model.config import TrainConfig
    from lexi.model.train import train

    config = TrainConfig(
        data=[str(work / "train.jsonl")], dev=str(work / "dev.jsonl"),
        output=str(work / name), model=args.model, epochs=1, batch_size=32,
        max_steps=args.steps, device=args.device, threads=args.threads, overwrite=True,
        **CONFIGS[name],
    )
    result = train(config)
    figures = {"config": name,
               "samples_per_s": result.metrics.get("train_samples_per_s_steady",
                                                   result.metrics["train_samples_per_s"]),
               "peak_memory_mib": result.peak_memory_bytes / 2**20, "steps": result.steps}
    if name == "lora-dynamic-bucketed":
        figures.update(predict_throughput(work / name, work / "dev.jsonl", args.device))
    return figures


def predict_throughput(run_dir: Path, dev: Path, device: str) -> dict:
    from lexi.data.readers import read_dataset
    from lexi.model.predict import load_predictor

    texts = [u.text for u in read_dataset(dev)]
    predictor = load_predictor(run_dir, device=device)
    predictor.predict_proba(texts[:64])  # warm-up
    started = time.perf_counter()
    predictor.predict_proba(texts, batch_size=64)
    seconds = time.perf_counter() - started
    return {"predict_utt_per_s": len(texts) / seconds, "predict_n": len(texts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps per configuration")
    parser.add_argument("--model", default="default")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        print(json.dumps(run_one(args.one, args, Path(args.work))), flush=True)
        return

    import torch

    with tempfile.TemporaryDirectory(prefix="lexi-bench-") as tmp:
        work = Path(tmp)
        write_subsets(work, rows=max(2000, 32 * args.steps * 2))
        results = []
        for name in args.configs.split(","):
            command = [sys.executable, __file__, "--one", name, "--work", str(work),
                       "--steps", str(args.steps), "--model", args.model,
                       "--device", args.device]
            if args.threads:
                command += ["--threads", str(args.threads)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"{name} failed:\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"{name:24s} {results[-1]['samples_per_s']:7.1f} samples/s  "
                  f"peak {results[-1]['peak_memory_mib']:7.0f} MiB", flush=True)

    by_name = {r["config"]: r for r in results}
    print(f"\nmodel {args.model}, device {args.device}, torch threads "
          f"{args.threads or torch.get_num_threads()}, batch 32, {args.steps} steps each")
    if "lora-fixed32" in by_name and "lora-dynamic-bucketed" in by_name:
        ratio = by_name["lora-dynamic-bucketed"]["samples_per_s"] / by_name["lora-fixed32"][
            "samples_per_s"]
        goal = by_name["lora-dynamic-bucketed"]["samples_per_s"] / BASELINE_OUTSIDE
        print(f"LoRA dynamic+bucketed / fixed-32 (same run): {ratio:.2f}x; "
              f"vs the {BASELINE_OUTSIDE:.0f} samples/s measured outside: {goal:.2f}x (goal 2x)")
    if "full-fixed32" in by_name and "lora-fixed32" in by_name:
        lora, full = by_name["lora-fixed32"], by_name["full-fixed32"]
        speedup = lora["samples_per_s"] / full["samples_per_s"]
        print(f"LoRA / full fine-tuning at fixed 32: {speedup:.2f}x")
    for r in results:
        if "predict_utt_per_s" in r:
            print(f"prediction: {r['predict_utt_per_s']:.1f} utterances/s "
                  f"({r['predict_n']} en-US dev utterances, batch 64)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
