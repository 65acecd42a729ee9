"""Training and prediction throughput of the default model on MASSIVE-length utterances.

    python benchmarks/bench_train.py [--steps 20] [--model default] [--device cpu] [--json]

Each configuration trains in its own process (so peak memory is its own) through
``lexi.model.train.train`` itself, batch 32, for ``--steps`` optimizer steps on MASSIVE
en-US train utterances (../shared/data or $LEXI_SHARED_DATA):

- LoRA, every batch padded to 32 tokens (the baseline: ~42 samples/s measured outside lexi)
- LoRA, dynamic padding + length buckets (lexi's default), float32
- the same under bf16 autocast on the CPU (lexi's default where the CPU has bf16 units;
  ``--cpu-bf16``; its roofline ratio is against
  the float32 peak, so above 1 is possible on a CPU with fast bf16 units)
- the same two with torch's own ``nn.Dropout`` (``--no-fast-dropout``) instead of lexi's
  default FastDropout on the CPU (``*-torch-dropout``), each beside its FastDropout twin
- LoRA on the top 6 of the 12 layers only (``--lora-layers 6``, bf16; ``*-top6``): no
  backward pass below them, which the FLOP count follows
- full fine-tuning, padded to 32 and dynamic + buckets (float32)

then prediction throughput (utterances/s) of the LoRA run on en-US dev, and the cost of fresh
synthetic views (``lexi train --synth``): one epoch's views of every MASSIVE en-US train
row (translate, the WECHSEL en-sw list when ../shared/data has it), timed as
:class:`lexi.model.views.FreshViews` makes them, against the time the default
configuration (``lora-dynamic-bucketed-bf16``, or the first one run) needs to train on that
epoch's rows at its measured samples/s (issue goal: at most 5 % of the step time). Samples/s count
training steps only (forward, backward, optimizer), not model loading, dev evaluation or
the first step (one-off warm-up costs).

Roofline, in the same run: the machine's matrix-multiply throughput is measured (torch,
the training's thread count, products shaped like the model's at its batch sizes: tokens
× 384 by 384 × 1536 and the like, each repeated for ``--peak-seconds``; the best
sustained GFLOP/s, before and after the configurations, is the peak), and each
configuration's achieved FLOP/s is counted from the shapes of the batches it really
trained on (padding included: it is computed), by :func:`lexi.model.flops.step_flops`
(matmul FLOPs only; backward 2 × forward for full fine-tuning, about 1 × for a frozen
base with LoRA: the formula and its assumptions are in that module), over the same steps
and seconds as samples/s. The ratio achieved / peak is the roofline ratio (goal ≥ 0.6).
Each configuration also counts one real step with torch's ``FlopCounterMode``, as a check
of the formula (``counted / analytic``; ``--no-flop-check`` skips it). ``--json`` prints
every figure as one JSON document (the tables then go to stderr).
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
    # float32 unless a name says bf16: lexi's default (``cpu_bf16=None``) follows the CPU,
    # and the comparison needs both precisions whatever the CPU.
    "lora-fixed32": {"method": "lora", "pad_to_max_length": True, "max_length": 32,
                     "bucket": False, "cpu_bf16": False},
    "lora-dynamic-bucketed": {"method": "lora", "cpu_bf16": False},
    # The same under bf16 autocast on the CPU (``--cpu-bf16``, lexi's default on a CPU with
    # bf16 units): whether it pays depends on those units, so it is measured beside float32.
    "lora-dynamic-bucketed-bf16": {"method": "lora", "cpu_bf16": True},
    # torch.compile (``--compile``, off by default), alone and with bf16: its compilation is
    # paid in the first steps, so the steady rate and the whole run's rate are both printed.
    "lora-dynamic-bucketed-compile": {"method": "lora", "cpu_bf16": False, "compile": True},
    "lora-dynamic-bucketed-bf16-compile": {"method": "lora", "cpu_bf16": True, "compile": True},
    # torch's own nn.Dropout (``--no-fast-dropout``) against lexi's default FastDropout on
    # the CPU: the same p, a quarter of the random draws (lexi.model.fastpath).
    "lora-dynamic-bucketed-torch-dropout": {"method": "lora", "cpu_bf16": False,
                                            "fast_dropout": False},
    "lora-dynamic-bucketed-bf16-torch-dropout": {"method": "lora", "cpu_bf16": True,
                                                 "fast_dropout": False},
    # LoRA on the top 6 of the 12 layers only (``--lora-layers 6``): no backward pass
    # below them. The FLOP count follows (the lower layers' backward is not counted).
    "lora-dynamic-bucketed-bf16-top6": {"method": "lora", "cpu_bf16": True, "lora_layers": 6},
    "full-fixed32": {"method": "full", "pad_to_max_length": True, "max_length": 32,
                     "bucket": False, "cpu_bf16": False},
    "full-dynamic-bucketed": {"method": "full", "cpu_bf16": False},
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
    import lexi.model.train as train_module
    from lexi.model.config import TrainConfig
    from lexi.model.train import train

    config = TrainConfig(
        data=[str(work / "train.jsonl")], dev=str(work / "dev.jsonl"),
        output=str(work / name), model=args.model, epochs=1, batch_size=32,
        max_steps=args.steps, device=args.device, threads=args.threads, overwrite=True,
        # A few dozen steps measure speed, not learning: full fine-tuning at its small rate
        # is still above the label entropy when the "stuck" check starts, so only warn.
        on_divergence="warn", **CONFIGS[name],
    )
    # The shape of every training micro-batch, as the loop pads it (dev evaluation pads
    # through its own module and is not recorded): what the FLOP count is made of.
    shapes: list[tuple[int, int, int]] = []
    real_collate = train_module.collate

    def recording(rows, pad_id, pad_to=None):
        input_ids, mask = real_collate(rows, pad_id, pad_to)
        shapes.append((input_ids.shape[0], input_ids.shape[1], int(mask.sum())))
        return input_ids, mask

    train_module.collate = recording
    try:
        result = train(config)
    finally:
        train_module.collate = real_collate
    metrics = result.metrics
    steady = "train_samples_per_s_steady" in metrics
    figures = {"config": name,
               "samples_per_s": metrics.get("train_samples_per_s_steady",
                                            metrics["train_samples_per_s"]),
               # Every micro-batch, the first (and, compiled, its compilation) included.
               "samples_per_s_whole": metrics["train_samples_per_s"],
               "peak_memory_mib": result.peak_memory_bytes / 2**20, "steps": result.steps,
               "threads": torch_threads()}
    figures.update(achieved_flops(config, shapes[1:] if steady else shapes,
                                  len(result.labels), figures["samples_per_s"]))
    if args.flop_check:
        figures.update(flop_check(config, shapes[-1], len(result.labels)))
    if name == "lora-dynamic-bucketed":
        figures.update(predict_throughput(work / name, work / "dev.jsonl", args.device))
    return figures


def fresh_view_cost(lexicon: Path) -> dict:
    """Seconds :class:`~lexi.model.views.FreshViews` takes to make two epochs' views of
    every MASSIVE en-US train row (translate), in this process; loading the lexicon and
    building the synthesizer (once a run) are timed apart."""
    from lexi.data.readers import read_dataset
    from lexi.model.views import FreshViews, FreshViewSpec, is_original

    originals = [u for u in read_dataset(shared_data())
                 if u.split == "train" and is_original(u)]
    start = time.perf_counter()
    spec = FreshViewSpec((str(lexicon),), {"ops": ("translate",), "locale": "sw-KE"}, {})
    fresh = FreshViews(spec, freeze_after_load=True)  # as lexi train builds it
    build = time.perf_counter() - start
    epochs = []
    for epoch in (0, 1):
        start = time.perf_counter()
        views = fresh.epoch(originals, epoch)
        epochs.append({"epoch": epoch, "seconds": time.perf_counter() - start,
                       "views": len(views)})
    return {"lexicon": str(lexicon), "originals": len(originals), "build_seconds": build,
            "epochs": epochs}


def fresh_view_share(cost: dict, samples_per_s: float) -> dict:
    """The views' share of an epoch: synthesis seconds / (synthesis + training seconds),
    the epoch's rows being the originals and their views, trained at ``samples_per_s``."""
    worst = max(cost["epochs"], key=lambda e: e["seconds"])
    rows = cost["originals"] + worst["views"]
    train_seconds = rows / samples_per_s
    return {"epoch_rows": rows, "train_seconds": train_seconds,
            "synth_seconds": worst["seconds"],
            "share": worst["seconds"] / (worst["seconds"] + train_seconds)}


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def achieved_flops(config, shapes: list[tuple[int, int, int]], num_labels: int,
                   samples_per_s: float) -> dict:
    """FLOP/s over the timed steps: their FLOPs per sample (from the batch shapes) times
    samples/s (the same steps: the first micro-batch is out of both when the steady rate
    leaves it out)."""
    from lexi.model.classifier import resolve_model_path
    from lexi.model.flops import EncoderShape, step_flops

    encoder = EncoderShape.read(resolve_model_path(config.model))
    flops = sum(step_flops(encoder, b, s, num_labels, config.method, config.lora_r,
                           config.target_modules, config.lora_layers).total
                for b, s, _ in shapes)
    samples = sum(b for b, _, _ in shapes)
    tokens = sum(b * s for b, s, _ in shapes)
    real = sum(n for _, _, n in shapes)
    return {"flops_per_sample": flops / samples,
            "achieved_gflops": flops / samples * samples_per_s / 1e9,
            "padded_tokens_per_sample": tokens / samples, "tokens_per_sample": real / samples,
            "non_embedding_weights": encoder.non_embedding_weights()}


def flop_check(config, shape: tuple[int, int, int], num_labels: int) -> dict:
    """One forward and backward pass of a freshly built model (the configuration's, on its
    device) on a batch of ``shape``, counted by torch: the analytic count's check."""
    import torch

    from lexi.model.classifier import build_model, resolve_model_path
    from lexi.model.devices import autocast, resolve_device
    from lexi.model.flops import EncoderShape, counted_flops, step_flops

    path = resolve_model_path(config.model)
    device = resolve_device(config.device)
    model = build_model(config, path, num_labels).to(device).train()
    batch, length, _ = shape
    vocab = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))["vocab_size"]
    input_ids = torch.randint(0, vocab, (batch, length), device=device)
    mask = torch.ones(batch, length, dtype=torch.long, device=device)
    gold = torch.randint(0, num_labels, (batch,), device=device)

    def step() -> None:
        with autocast(device):
            logits = model(input_ids, mask)
        torch.nn.functional.cross_entropy(logits.float(), gold).backward()

    counted = counted_flops(step)
    analytic = step_flops(EncoderShape.read(path), batch, length, num_labels, config.method,
                          config.lora_r, config.target_modules, config.lora_layers).total
    return {"check_shape": [batch, length], "check_counted_flops": counted,
            "check_analytic_flops": analytic, "check_ratio": counted / analytic}


# Products shaped like the model's (hidden 384, feed-forward 1536) at the token counts of
# a batch of 32: dynamic padding with buckets (~11 tokens per utterance) and fixed 32.
PEAK_SHAPES = [(tokens, k, n) for tokens in (352, 1024)
               for k, n in ((384, 1536), (1536, 384), (384, 384))]


def matmul_peak(device_name: str, seconds: float) -> dict:
    """GFLOP/s of each product of :data:`PEAK_SHAPES` (float32 on CPU, bfloat16 on CUDA:
    what training computes in), each repeated for ``seconds`` after a warm-up; the best
    is the peak."""
    import torch

    device = torch.device(device_name)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    rates = {}
    for m, k, n in PEAK_SHAPES:
        a = torch.randn(m, k, device=device, dtype=dtype)
        b = torch.randn(k, n, device=device, dtype=dtype)
        out = torch.empty(m, n, device=device, dtype=dtype)
        for _ in range(3):
            torch.mm(a, b, out=out)
        sync()
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            for _ in range(10):
                torch.mm(a, b, out=out)
            sync()
            done += 10
        elapsed = time.perf_counter() - started
        rates[f"{m}x{k}x{n}"] = 2 * m * k * n * done / elapsed / 1e9
    return {"peak_gflops": max(rates.values()), "by_shape": rates,
            "threads": torch.get_num_threads()}


def by_config(results: list[dict], name: str) -> dict:
    """The result of configuration ``name``, else the first one run."""
    return next((r for r in results if r["config"] == name), results[0])


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
    parser.add_argument("--peak-seconds", type=float, default=1.0,
                        help="seconds each matmul shape of the peak measurement runs")
    parser.add_argument("--no-flop-check", dest="flop_check", action="store_false",
                        help="skip counting one real step with FlopCounterMode")
    parser.add_argument("--json", action="store_true",
                        help="print the figures as one JSON document (tables to stderr)")
    parser.add_argument("--no-fresh-views", dest="fresh_views", action="store_false",
                        help="skip timing fresh synthetic views (lexi train --synth)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--fresh", help=argparse.SUPPRESS)
    parser.add_argument("--peak", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        print(json.dumps(run_one(args.one, args, Path(args.work))), flush=True)
        return
    if args.fresh:
        print(json.dumps(fresh_view_cost(Path(args.fresh))), flush=True)
        return
    if args.peak:
        import torch

        # The thread count training sets (lexi.model.train.train), so that the peak is
        # what the same cores can do for it.
        torch.set_num_threads(args.threads or os.cpu_count() or 1)
        print(json.dumps(matmul_peak(args.device, args.peak_seconds)), flush=True)
        return

    out = sys.stderr if args.json else sys.stdout
    common = ["--steps", str(args.steps), "--model", args.model, "--device", args.device,
              "--peak-seconds", str(args.peak_seconds)]
    if args.threads:
        common += ["--threads", str(args.threads)]
    if not args.flop_check:
        common.append("--no-flop-check")

    def child(*extra: str) -> dict:
        done = subprocess.run([sys.executable, __file__, *extra, *common],
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{' '.join(extra)} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    peaks = [child("--peak")]
    print(f"matmul peak (before): {peaks[0]['peak_gflops']:.1f} GFLOP/s at "
          f"{peaks[0]['threads']} threads", file=out, flush=True)
    with tempfile.TemporaryDirectory(prefix="lexi-bench-") as tmp:
        work = Path(tmp)
        write_subsets(work, rows=max(2000, 32 * args.steps * 2))
        results = []
        for name in args.configs.split(","):
            results.append(child("--one", name, "--work", str(work)))
            print(f"{name:24s} {results[-1]['samples_per_s']:7.1f} samples/s  "
                  f"{results[-1]['achieved_gflops']:7.1f} GFLOP/s  "
                  f"peak {results[-1]['peak_memory_mib']:7.0f} MiB", file=out, flush=True)
    peaks.append(child("--peak"))
    lexicon = shared_data().parents[1] / "lexicons" / "wechsel-en-sw.tsv"
    fresh = None
    if args.fresh_views and results and lexicon.exists():
        fresh = child("--fresh", str(lexicon))  # its own process: a cold synthesizer
        default = by_config(results, "lora-dynamic-bucketed-bf16")
        fresh.update(fresh_view_share(fresh, default["samples_per_s"]), config=default["config"])
    peak = max(p["peak_gflops"] for p in peaks)
    for r in results:
        r["peak_gflops"] = peak
        r["roofline_ratio"] = r["achieved_gflops"] / peak

    by_name = {r["config"]: r for r in results}
    threads = results[0]["threads"] if results else peaks[0]["threads"]
    print(f"\nmodel {args.model}, device {args.device}, torch threads {threads}, batch 32, "
          f"{args.steps} steps each; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", file=out)
    print(f"matmul peak: {peak:.1f} GFLOP/s (best of before "
          f"{peaks[0]['peak_gflops']:.1f} and after {peaks[1]['peak_gflops']:.1f}; "
          f"shapes {', '.join(peaks[0]['by_shape'])})", file=out)
    print(f"\n{'configuration':<28} {'samples/s':>9} {'GFLOP/s':>8} {'peak':>7} {'ratio':>6} "
          f"{'tokens/sample':>13} {'counted/analytic':>16}", file=out)
    for r in results:
        check = f"{r['check_ratio']:16.3f}" if "check_ratio" in r else f"{'-':>16}"
        print(f"{r['config']:<28} {r['samples_per_s']:9.1f} {r['achieved_gflops']:8.1f} "
              f"{peak:7.1f} {r['roofline_ratio']:6.2f} "
              f"{r['padded_tokens_per_sample']:13.1f} {check}", file=out)

    if "lora-fixed32" in by_name and "lora-dynamic-bucketed" in by_name:
        ratio = by_name["lora-dynamic-bucketed"]["samples_per_s"] / by_name["lora-fixed32"][
            "samples_per_s"]
        goal = by_name["lora-dynamic-bucketed"]["samples_per_s"] / BASELINE_OUTSIDE
        print(f"LoRA dynamic+bucketed / fixed-32 (same run): {ratio:.2f}x; "
              f"vs the {BASELINE_OUTSIDE:.0f} samples/s measured outside: {goal:.2f}x "
              "(goal 2x)", file=out)
    if "lora-dynamic-bucketed-bf16" in by_name and "lora-dynamic-bucketed" in by_name:
        bf16 = by_name["lora-dynamic-bucketed-bf16"]["samples_per_s"] / by_name[
            "lora-dynamic-bucketed"]["samples_per_s"]
        print(f"bf16 autocast / float32, LoRA dynamic+bucketed (same run): {bf16:.2f}x",
              file=out)
    for fast, torch_dropout in (("lora-dynamic-bucketed", "lora-dynamic-bucketed-torch-dropout"),
                                ("lora-dynamic-bucketed-bf16",
                                 "lora-dynamic-bucketed-bf16-torch-dropout")):
        if fast in by_name and torch_dropout in by_name:
            gain = by_name[fast]["samples_per_s"] / by_name[torch_dropout]["samples_per_s"]
            print(f"FastDropout / torch's dropout, {fast} (same run): {gain:.2f}x", file=out)
    for compiled, plain in (("lora-dynamic-bucketed-compile", "lora-dynamic-bucketed"),
                            ("lora-dynamic-bucketed-bf16-compile", "lora-dynamic-bucketed-bf16")):
        if compiled in by_name and plain in by_name:
            after, before = by_name[compiled], by_name[plain]
            steady = after["samples_per_s"] / before["samples_per_s"]
            whole = after["samples_per_s_whole"] / before["samples_per_s_whole"]
            print(f"torch.compile / eager, {plain} (same run): steady {steady:.2f}x, whole "
                  f"run with the compilation {whole:.2f}x", file=out)
    if "full-fixed32" in by_name and "lora-fixed32" in by_name:
        lora, full = by_name["lora-fixed32"], by_name["full-fixed32"]
        speedup = lora["samples_per_s"] / full["samples_per_s"]
        print(f"LoRA / full fine-tuning at fixed 32: {speedup:.2f}x", file=out)
    if fresh:
        print(f"fresh views (lexi train --synth, translate, {fresh['originals']} rows): "
              f"{fresh['build_seconds']:.1f} s to build once; an epoch's "
              f"{max(e['views'] for e in fresh['epochs'])} views in "
              f"{fresh['synth_seconds']:.2f} s against {fresh['train_seconds']:.0f} s of "
              f"{fresh['config']} training on the epoch's {fresh['epoch_rows']} rows: "
              f"{100 * fresh['share']:.1f}% of the epoch (goal at most 5%)", file=out)
    for r in results:
        if "predict_utt_per_s" in r:
            print(f"prediction: {r['predict_utt_per_s']:.1f} utterances/s "
                  f"({r['predict_n']} en-US dev utterances, batch 64)", file=out)
    if args.json:
        print(json.dumps({"model": args.model, "device": args.device, "steps": args.steps,
                          "threads": threads, "peak": peaks, "peak_gflops": peak,
                          "load_average": os.getloadavg(), "configs": results,
                          "fresh_views": fresh}, indent=2))


if __name__ == "__main__":
    main()
