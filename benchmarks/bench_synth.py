"""Synthesis throughput per operator on MASSIVE en-US train (one process).

    python benchmarks/bench_synth.py [--data ../shared/data] [--repeat 3]

Prints source utterances per second for each operator (operators alone, over rows already
in memory) and for the whole file-to-file run, by wall time and by the CPU time of this
process, against a baseline measured in the same run: reading and writing the same rows as
MASSIVE jsonl with no synthesis ("vs base" compares CPU throughputs). The target is
≥ 20,000 utterances/s for translate and codeswitch. A last line times the lemma lookup a
fresh run makes for each new word: ``lemma_candidates`` (what synthesis uses) against a full
``analyze_english`` of the word alone (what it used before; the same first lemma).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from lexi.data.massive import read_massive, write_massive
from lexi.data.tokens import tokenize
from lexi.morph.english import analyze_english, lemma_candidates
from lexi.synth import SynthConfig, build_synthesizer, synthesize_file

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("LEXI_SHARED_DATA", REPO.parent / "shared" / "data"))
TARGET = 20_000
# (name, ops, needs): the operator rows of the table.
OPERATORS = (
    ("translate", ("translate",)),
    ("codeswitch", ("codeswitch",)),
    ("translate+inflect", ("translate", "inflect")),
    ("phonetic", ("phonetic",)),
)


def best_of(repeat: int, work) -> tuple[float, float]:
    """Fastest wall time and fastest CPU time of ``repeat`` runs, in seconds.

    On a shared machine other processes stretch wall time; the CPU time this process
    used is what the same run would take on a core of its own.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def row(name: str, n: int, seconds: tuple[float, float], baseline: float, note: str = "") -> str:
    wall, cpu = seconds
    return (f"{name:<40} {n / wall:>10,.0f} {n / cpu:>12,.0f} {n / cpu / baseline:>9.2f}x"
            f"{note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    source = args.data / "massive" / "en-US.jsonl"
    lexicon = args.data / "lexicons" / "wechsel-en-sw.tsv"
    unimorph = args.data / "unimorph" / "swc"
    if not (source.exists() and lexicon.exists()):
        print(f"skipped: shared data not found under {args.data} (pass --data DIR)")
        return 0
    rows = list(read_massive(source, split="train"))
    n = len(rows)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"MASSIVE en-US train: {n} utterances; lexicon {lexicon.name}; "
          f"best of {args.repeat}; python {sys.version.split()[0]}; "
          f"{os.cpu_count()} CPUs, load average {load}")

    def read_write() -> None:
        write_massive(read_massive(source, split="train"), io.StringIO())

    base = best_of(args.repeat, read_write)
    baseline = n / base[1]
    print(f"{'':<40} {'utt/s wall':>10} {'utt/s CPU':>12} {'vs base':>10}")
    print(row("baseline: read + write jsonl", n, base, baseline))
    print("operators over rows in memory, fresh memos:")
    for name, ops in OPERATORS:
        config = SynthConfig(ops=ops, locale="sw-KE", seed=0)
        made = [0]

        def run(config: SynthConfig = config, made: list[int] = made) -> None:
            # A new synthesizer each time, so its memos start empty, as in a real run.
            synth = build_synthesizer(config, [lexicon], morph="swc", unimorph=unimorph,
                                      phonetic_lang="sw")
            made[0] = sum(len(synth.synthesize(utt).rows) for utt in rows)

        try:
            seconds = best_of(args.repeat, run)
        except Exception as exc:  # a missing optional resource must not hide the others
            print(f"{name:<40} failed: {type(exc).__name__}: {exc}")
            continue
        note = f"  ({made[0] / seconds[1]:,.0f} rows/CPU-s)"
        if name in ("translate", "codeswitch"):
            ok = n / seconds[1] >= TARGET
            note += "  target met (CPU)" if ok else "  below the 20,000 target"
        print(row("  " + name, n, seconds, baseline, note))

    # Steady state: the same synthesizer a second time over the rows (memos filled), which
    # is what a long stream sees once its vocabulary has been met.
    for name, ops in OPERATORS[:2]:
        synth = build_synthesizer(SynthConfig(ops=ops, locale="sw-KE"), [lexicon])
        for utt in rows:
            synth.synthesize(utt)
        seconds = best_of(args.repeat, lambda synth=synth: [synth.synthesize(u) for u in rows])
        print(row(f"  {name} (steady state, memos filled)", n, seconds, baseline))

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        config = SynthConfig(ops=("translate",), locale="sw-KE", seed=0)

        def file_run() -> None:
            synth = build_synthesizer(config, [lexicon])
            synthesize_file(source, out, synth, split="train", overwrite=True)

        whole = best_of(args.repeat, file_run)
    print(row("file → translate → file (lexi synth)", n, whole, baseline))

    words = sorted({t.text for utt in rows for t in tokenize(utt.text) if t.is_word})
    full = best_of(args.repeat, lambda: [analyze_english([w]) for w in words])[1]
    quick = best_of(args.repeat, lambda: [lemma_candidates(w) for w in words])[1]
    print(f"lemma of each of {len(words):,} distinct words, CPU: analyze_english "
          f"{full / len(words) * 1e6:.1f} µs/word, lemma_candidates "
          f"{quick / len(words) * 1e6:.1f} µs/word ({full / quick:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
