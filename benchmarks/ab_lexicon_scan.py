"""A/B of lexicon lookup: an earlier commit's ``lexi/lexicon/view.py`` and ``model.py`` (old)
against the working tree's (new), side by side in one process, per CPU-second.

    python benchmarks/ab_lexicon_scan.py --base REV --entries 200000 --tokens 300000 \
        --rounds 9 --workdir DIR

``DIR`` holds a store made by ``bench_lexicon.py --workdir DIR`` with the same
``--entries`` (default seed). Both views share one load of the store's entries. Each round
builds a fresh view of each kind (memo empty) and walks the corpus (the benchmark's Zipf
and uniform sentences) in blocks of 500 sentences, old and new taking turns on each block
(which goes first alternates), so load from other processes falls on both alike: the first
pass; then the same on the filled views: the warm pass. Printed: medians of tokens per
CPU-second, the median of the per-round new/old ratios with their range, and the time the
cyclic garbage collector ran. Results of both are checked equal first (``scan`` and
``match``, first and warm passes). Only the ratios compare: absolute rates depend on the
load and on the interleaving.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import bench_lexicon as bench

import lexi.lexicon.model as new_model
import lexi.lexicon.view as new_view
from lexi.lexicon import load_lexicon

ROOT = Path(__file__).resolve().parents[1]


def old_module(name: str, path: str, base: str, replace: tuple[tuple[str, str], ...] = ()
               ) -> types.ModuleType:
    """``path`` at commit ``base``, imported as module ``name``."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{base}:{path}"],
                            capture_output=True, text=True, check=True).stdout
    for old, new in replace:
        source = source.replace(old, new)
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, f"<{base}:{path}>", "exec"), module.__dict__)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare against")
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--tokens", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args()

    old_norm = old_module("_old_lexicon_model", "lexi/lexicon/model.py", args.base)
    # The old view with the old Normalizer; Entry stays the current one (entries shared).
    old_view = old_module("_old_lexicon_view", "lexi/lexicon/view.py", args.base, (
        ("from lexi.lexicon.model import Entry, Normalizer",
         "from _old_lexicon_model import Normalizer\nfrom lexi.lexicon.model import Entry"),))
    listing = args.workdir / f"sources-{args.entries}-{args.seed}.txt"
    sources = listing.read_text(encoding="utf-8").split("\n")
    rng = random.Random(args.seed + 1)
    corpora = {
        label: bench.massive_lengths(rng, bench.make_sentences(rng, sources, args.tokens, zipf))
        for label, zipf in (("Zipf", True), ("uniform", False))
    }
    loaded = load_lexicon(args.workdir / "synthetic.sqlite", freeze_after_load=True)
    entries, fold = loaded._entries, loaded.normalizer.fold_diacritics
    del loaded

    def fresh(which: str) -> object:
        if which == "old":
            return old_view.LexiconView._of_entries(
                entries, old_norm.Normalizer(fold_diacritics=fold))
        return new_view.LexiconView._of_entries(
            entries, new_model.Normalizer(fold_diacritics=fold))

    for sentences in corpora.values():
        old, new, by_match = fresh("old"), fresh("new"), fresh("new")
        for _ in range(2):
            for words in sentences:
                assert old.scan(words) == new.scan(words), words
        for words in sentences:
            i = 0
            while i < len(words):
                found = old.match(words, i)
                assert found == by_match.match(words, i), (words, i)
                i += found.length if found else 1
    print("same results: scan and match, first and warm passes, both corpora")

    in_gc = [0.0, 0]

    def collector(phase: str, info: dict, started: list[float] = [0.0]) -> None:  # noqa: B006
        if phase == "start":
            started[0] = time.process_time()
        else:
            in_gc[0] += time.process_time() - started[0]
            in_gc[1] += 1

    gc.callbacks.append(collector)
    print(f"{args.entries:,} entries, {args.tokens:,} tokens, {args.rounds} rounds, base "
          f"{args.base}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for label, sentences in corpora.items():
        tokens = sum(map(len, sentences))
        for method, work in (("scan", bench.scan), ("match", bench.walk)):
            rates: dict[tuple[str, str], list] = {}
            for turn in range(args.rounds):
                views = {"old": fresh("old"), "new": fresh("new")}
                gc.collect()
                for phase in ("first", "warm"):
                    seconds = {"old": 0.0, "new": 0.0}
                    gc_before = list(in_gc)
                    for block, at in enumerate(range(0, len(sentences), 500)):
                        part = sentences[at : at + 500]
                        for which in ("old", "new") if (block + turn) % 2 == 0 else ("new", "old"):
                            started = time.process_time()
                            work(views[which], part)
                            seconds[which] += time.process_time() - started
                    for which, spent in seconds.items():
                        rates.setdefault((phase, which), []).append(tokens / spent)
                    rates.setdefault((phase, "gc"), []).append(
                        (in_gc[0] - gc_before[0], in_gc[1] - gc_before[1]))
            for phase in ("first", "warm"):
                old_rates, new_rates = rates[(phase, "old")], rates[(phase, "new")]
                ratios = [b / a for a, b in zip(old_rates, new_rates, strict=True)]
                collected = rates[(phase, "gc")]
                print(f"{label:7s} {method:5s} {phase:5s}: old "
                      f"{statistics.median(old_rates):>10,.0f}  new "
                      f"{statistics.median(new_rates):>10,.0f} tokens/CPU-s; new/old "
                      f"{statistics.median(ratios):.3f} (rounds {min(ratios):.3f}-"
                      f"{max(ratios):.3f}); GC (both views) "
                      f"{statistics.median(c[0] for c in collected) * 1000:.1f} ms in "
                      f"{statistics.median(c[1] for c in collected):.0f} collections")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
