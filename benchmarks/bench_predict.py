"""`lexi predict` start-up from the shell, and prediction throughput, against baselines
measured in the same run.

    python benchmarks/bench_predict.py [--model default] [--run DIR] [--repeat 3] [--json]
    python benchmarks/bench_predict.py --model tiny --repeat 1 --rows 32 \\
        --batch-sizes 8 --threads 1                                  # a smoke run

Without ``--run`` it makes an untrained LoRA run of ``--model`` (random adapter and head:
prediction costs the same whatever the weights; ``tiny`` is the test suite's 2-layer
BERT) and its merged export (``lexi export``), in a temporary folder.

Start-up: wall time (and the child's CPU time) of ``lexi predict --run X`` on three
utterances, each in a fresh Python (``python -m lexi.cli.main``, model load included), best
of ``--repeat``, for the run and for its merged export, each loaded through transformers
(+ peft for the run: the baseline, how ``lexi predict`` loaded before;
``LEXI_LEAN_PREDICT=0``) and through the lean path (:mod:`lexi.model.lean`, what it does
now); ``python -c pass`` and ``lexi --help`` give the floors. The lean and transformers
answers are compared (labels equal, probabilities within 1e-4).

Throughput: ``Predictor.predict_proba`` on ``--rows`` utterances (MASSIVE en-US dev under
../shared/data or $LEXI_SHARED_DATA, else the toy sentences repeated) with the merged
export, for each thread count (its own process, ``torch.set_num_threads``) and batch
size, lean and transformers, after one warm-up call; best of ``--repeat``. Baseline:
transformers, batch 64, all cores (what ``lexi predict`` and ``lexi eval`` ran with),
always measured whatever ``--threads``/``--batch-sizes`` say. "speed-up" is each row
against its baseline (baseline time / time, or utt/s / baseline utt/s: above 1 is faster).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LEXI_SHARED_DATA", REPO.parent / "shared" / "data"))
UTTERANCES = ["wake me up at five am this week", "what is the weather in nairobi",
              "play some jazz"]
BASELINE_BATCH = 64


def child_env(lean: bool | None = None) -> dict[str, str]:
    """The environment of a measured child: this checkout's lexi first on the path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    if lean is not None:
        env["LEXI_LEAN_PREDICT"] = "1" if lean else "0"
    return env


# --- the model under test ---------------------------------------------------------------------


def texts_for(rows: int) -> list[str]:
    path = SHARED / "massive" / "en-US.jsonl"
    if path.exists():
        from lexi.data.readers import read_dataset

        texts = [u.text for u in read_dataset(path, split="dev")]
    else:
        sys.path.insert(0, str(REPO / "tests"))
        from fixtures.tiny_bert import toy_rows

        texts = [r["utt"] for r in toy_rows()]
    random.Random(0).shuffle(texts)
    return (texts * math.ceil(rows / len(texts)))[:rows]


def labels_for() -> list[str]:
    path = SHARED / "massive" / "en-US.jsonl"
    if path.exists():
        from lexi.data.readers import read_dataset

        return sorted({u.label for u in read_dataset(path, split="dev")})
    return [f"intent_{i}" for i in range(60)]  # MASSIVE has 60 intents


def make_run(work: Path, model: str) -> Path:
    """An untrained LoRA run of ``model`` (``tiny``: the test fixture), as `lexi train` lays
    it out: adapter (B drawn at random, so the merge is not a no-op), head, run.json."""
    import torch

    from lexi.model.classifier import build_model, resolve_model_path
    from lexi.model.config import TrainConfig
    from lexi.model.run import RUN_FILE, save_model

    if model == "tiny":
        sys.path.insert(0, str(REPO / "tests"))
        from fixtures.tiny_bert import build_tiny_model, toy_rows

        words = [r["utt"] for r in toy_rows()] + texts_for(256) + UTTERANCES
        model = str(build_tiny_model(work / "tiny-model", words))
    run = work / "run"
    config = TrainConfig(data=["(untrained)"], dev=None, output=str(run), model=model,
                         method="lora")
    path = resolve_model_path(model)
    labels = labels_for()
    torch.manual_seed(0)
    network = build_model(config, path, len(labels))
    with torch.no_grad():
        for name, parameter in network.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0.0, 0.02)
    save_model(network, labels, run)
    record = {"format": "lexi-run/1", "status": "ok", "config": config.portable_dict(),
              "model": {"name": model, "path": path, "tokenizer": path, "method": "lora",
                        "pooling": config.pooling, "max_length": config.max_length,
                        "labels": labels},
              "note": "untrained: made by benchmarks/bench_predict.py to time prediction"}
    (run / RUN_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return run


def make_export(run: Path, work: Path) -> Path:
    from lexi.model.export import export_run

    return export_run(run, work / "merged")


# --- start-up -----------------------------------------------------------------------------------


def timed(command: list[str], env: dict[str, str], repeat: int) -> dict:
    """Best wall time and best child CPU time (user + system) of ``repeat`` runs."""
    walls, cpus, out = [], [], ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
        out = done.stdout
    return {"wall_s": min(walls), "cpu_s": min(cpus), "stdout": out}


def startup(run: Path, merged: Path, repeat: int) -> list[dict]:
    python = [sys.executable]
    predict = [*python, "-m", "lexi.cli.main", "predict", *UTTERANCES, "--run"]
    cases = [
        ("python -c pass (floor)", [*python, "-c", "pass"], None),
        ("lexi --help (CLI floor)", [*python, "-m", "lexi.cli.main", "--help"], None),
        ("run, transformers + peft (baseline)", [*predict, str(run)], False),
        ("run, lean", [*predict, str(run)], True),
        ("merged export, transformers", [*predict, str(merged)], False),
        ("merged export, lean", [*predict, str(merged)], True),
    ]
    rows = []
    for name, command, lean in cases:
        result = timed(command, child_env(lean), repeat)
        rows.append({"case": name, "lean": lean, "wall_s": result["wall_s"],
                     "cpu_s": result["cpu_s"], "stdout": result["stdout"]})
    base = next(r for r in rows if "baseline" in r["case"])
    for r in rows:
        r["vs_baseline"] = base["wall_s"] / r["wall_s"]
    return rows


def answers_agree(rows: list[dict]) -> bool:
    """Whether every `lexi predict` case printed the same labels and probabilities."""
    answers = [[json.loads(line) for line in r["stdout"].splitlines()]
               for r in rows if r["lean"] is not None]
    first = answers[0]
    return all(len(a) == len(first) and all(
        x["label"] == y["label"] and abs(x["score"] - y["score"]) < 1e-4
        for x, y in zip(a, first, strict=True)) for a in answers)


# --- throughput -------------------------------------------------------------------------------


def throughput_one(merged: Path, threads: int, batch_sizes: list[int], rows: int,
                   repeat: int) -> list[dict]:
    """In this process: utterances/s of each path and batch size at ``threads`` threads."""
    import torch

    from lexi.model.predict import load_predictor

    torch.set_num_threads(threads)
    texts = texts_for(rows)
    out = []
    for lean in (False, True):
        predictor = load_predictor(merged, device="cpu", lean=lean)
        for batch in batch_sizes:
            predictor.predict_proba(texts[: batch * 2], batch_size=batch)  # warm-up
            best = math.inf
            for _ in range(repeat):
                started = time.perf_counter()
                predictor.predict_proba(texts, batch_size=batch)
                best = min(best, time.perf_counter() - started)
            out.append({"threads": threads, "batch_size": batch, "lean": lean,
                        "utt_per_s": len(texts) / best, "rows": len(texts)})
        del predictor
    return out


def throughput(merged: Path, args: argparse.Namespace) -> list[dict]:
    """Every thread count and batch size asked for, and always the baseline's."""
    cores = os.cpu_count() or 1
    batch_sizes = sorted({*args.batch_sizes, BASELINE_BATCH})
    rows = []
    for threads in sorted({*args.threads, cores}):
        command = [sys.executable, __file__, "--one-throughput", str(threads),
                   "--merged", str(merged), "--rows", str(args.rows), "--repeat",
                   str(args.repeat), "--batch-sizes", ",".join(map(str, batch_sizes))]
        done = subprocess.run(command, capture_output=True, text=True, env=child_env())
        if done.returncode != 0:
            sys.exit(f"throughput at {threads} threads failed:\n{done.stderr[-3000:]}")
        rows += json.loads(done.stdout.strip().splitlines()[-1])
    base = next(r for r in rows if not r["lean"] and r["batch_size"] == BASELINE_BATCH
                and r["threads"] == cores)
    for r in rows:
        r["vs_baseline"] = r["utt_per_s"] / base["utt_per_s"]
    return rows


# --- main -----------------------------------------------------------------------------------------


def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def report(results: dict, out) -> None:
    print(f"model {results['model']}; {results['cores']} cores; load average "
          f"{results['load_average']}", file=out)
    print(f"\n{'lexi predict, 3 utterances, from the shell':<42} {'wall s':>7} {'CPU s':>7} "
          f"{'speed-up':>11}", file=out)
    for r in results["startup"]:
        print(f"{r['case']:<42} {r['wall_s']:7.2f} {r['cpu_s']:7.2f} "
              f"{r['vs_baseline']:10.2f}x", file=out)
    print(f"answers agree (lean vs transformers): {results['answers_agree']}", file=out)
    if results["throughput"]:
        print(f"\n{'predict_proba, merged export':<30} {'threads':>7} {'batch':>5} "
              f"{'utt/s':>9} {'speed-up':>11}", file=out)
        for r in results["throughput"]:
            print(f"{'lean' if r['lean'] else 'transformers':<30} {r['threads']:>7} "
                  f"{r['batch_size']:>5} {r['utt_per_s']:9.1f} {r['vs_baseline']:10.2f}x",
                  file=out)
        best = max(results["throughput"], key=lambda r: r["utt_per_s"])
        print(f"fastest: {'lean' if best['lean'] else 'transformers'}, {best['threads']} "
              f"threads, batch {best['batch_size']}: {best['utt_per_s']:.1f} utt/s "
              f"({best['rows']} utterances)", file=out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default",
                        help="`default`, a model folder, or `tiny` (the test fixture)")
    parser.add_argument("--run", type=Path, help="time this finished run instead")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--batch-sizes", type=int_list, default=[1, 8, 32, 64, 128])
    parser.add_argument("--threads", type=int_list,
                        default=sorted({1, os.cpu_count() or 1}))
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--json", action="store_true",
                        help="print the results as one JSON document (tables go to stderr)")
    parser.add_argument("--one-throughput", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--merged", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one_throughput:
        print(json.dumps(throughput_one(args.merged, args.one_throughput, args.batch_sizes,
                                        args.rows, args.repeat)))
        return
    with tempfile.TemporaryDirectory(prefix="lexi-bench-predict-") as tmp:
        work = Path(tmp)
        run = args.run or make_run(work, args.model)
        merged = make_export(run, work)
        results = {"model": str(args.run or args.model), "cores": os.cpu_count(),
                   "load_average": [round(x, 2) for x in os.getloadavg()],
                   "startup": startup(run, merged, args.repeat)}
        results["answers_agree"] = answers_agree(results["startup"])
        results["throughput"] = [] if args.no_throughput else throughput(merged, args)
    for r in results["startup"]:
        r.pop("stdout")
    report(results, sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
