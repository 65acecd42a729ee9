"""Lexicon store benchmark: import rate (entries/s) and lookup rate (tokens/s).

    python benchmarks/bench_lexicon.py [--entries 1000000] [--tokens 1000000] [--repeat 3]
        [--workdir DIR]

Generates a synthetic English→target TSV of ``--entries`` lines (about 10 % multi-word
sources, several senses per word), then measures in the same run:

- import: ``import_lexicon("tsv", ...)`` (parse, normalise, SQLite bulk load, dedupe, index)
  against a naive baseline (parse, normalise, one INSERT per row into an indexed table),
  the baseline timed on a subset;
- lookup: greedy longest match over ``--tokens`` word tokens, in sentences of 5–12 words
  (MASSIVE's utterances are about that long), two ways over the same sentences: ``match``
  called at each uncovered position (as synthesis and coverage walk a sentence) and
  ``scan``, one call per sentence. Sentences draw lexicon phrases with Zipf frequencies
  (rank r has weight 1/r), as words occur in real text, plus 20 % unknown words. A first
  pass starts from a freshly loaded view (``match`` and ``scan`` take turns going first,
  ``--repeat`` times each); the second (warm) pass reuses the view's per-word memo (as
  synthesis does when it makes several variants of each utterance), ``match`` and
  ``scan`` taking turns on one view ``--repeat`` times. Each row is the best of its
  passes, all of which are printed. A second corpus draws phrases uniformly, the worst
  case for the memo (first passes only). Baselines on the same sentences: a naive lookup
  that asks the SQLite store for every candidate phrase length at each position (timed
  on a subset), and the "machine ceiling", the least any per-token lookup can do (a
  method call and one dict probe), best of ``--repeat``; every lookup row is also given
  as a multiple of each.

Rates are given by wall time and per CPU-second of this process: on a shared machine other
processes stretch wall time, and only ratios within one run compare. The load line gives
the view's phrases, entries, load time and the growth of resident memory while loading.
``--workdir DIR`` keeps the synthetic lexicon, its store and its source list in DIR; a
later run with the same ``--entries`` and ``--seed`` reuses them and skips generating and
importing (the import is then not timed), so lookup alone can be measured in a short run.

Targets: >= 200,000 entries/s import and >= 1,000,000 tokens/s lookup.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from lexi.lexicon import LexiconView, Normalizer, import_lexicon, load_lexicon

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choices(LETTERS, k=rng.randint(3, 9))))
    return sorted(words)


def write_lexicon(path: Path, rng: random.Random, entries: int) -> list[str]:
    """``entries`` lines; returns the source phrases (for drawing test sentences)."""
    vocab = make_vocabulary(rng, max(entries // 3, 1000))
    sources: list[str] = []
    with open(path, "w", encoding="utf-8") as out:
        written = 0
        while written < entries:
            if rng.random() < 0.1:
                source = " ".join(rng.choices(vocab, k=rng.randint(2, 3)))
            else:
                source = rng.choice(vocab).capitalize() if rng.random() < 0.2 else rng.choice(vocab)
            sources.append(source)
            for _ in range(min(rng.randint(1, 4), entries - written)):
                out.write(f"{source}\t{''.join(rng.choices(LETTERS, k=6))}\n")
                written += 1
    return sources


def naive_import(tsv: Path, db_path: Path, limit: int) -> int:
    norm = Normalizer()
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE entries (source TEXT, target TEXT, weight REAL)")
    db.execute("CREATE INDEX entries_source ON entries(source)")
    count = 0
    with open(tsv, encoding="utf-8") as handle:
        for line in handle:
            if count == limit:
                break
            source, target = line.rstrip("\n").split("\t")
            db.execute("INSERT INTO entries VALUES (?, ?, 1.0)", (norm(source), target))
            count += 1
    db.commit()
    db.close()
    return count


def make_sentences(
    rng: random.Random, sources: list[str], tokens: int, zipf: bool
) -> list[list[str]]:
    """Sentences of 4–16 words: 80 % lexicon phrases, 20 % unknown words; phrases and
    unknown words are drawn with Zipf frequencies when ``zipf``, else uniformly."""
    phrases = list(dict.fromkeys(sources))
    rng.shuffle(phrases)
    unknown = ["zz" + "".join(rng.choices(LETTERS, k=5)) for _ in range(len(phrases) // 4)]
    weights = (lambda n: list(itertools.accumulate(1 / r for r in range(1, n + 1)))) if zipf \
        else (lambda n: None)
    phrase_cum, unknown_cum = weights(len(phrases)), weights(len(unknown))
    sentences, total = [], 0
    while total < tokens:
        words: list[str] = []
        for _ in range(rng.randint(4, 16)):
            if rng.random() < 0.8:
                words.extend(rng.choices(phrases, cum_weights=phrase_cum)[0].split())
            else:
                words.append(rng.choices(unknown, cum_weights=unknown_cum)[0])
        sentences.append(words)
        total += len(words)
    return sentences


def massive_lengths(rng: random.Random, sentences: list[list[str]]) -> list[list[str]]:
    """The same tokens, in the same order, cut into sentences of 5–12 words."""
    tokens = [word for words in sentences for word in words]
    cut, start = [], 0
    while start < len(tokens):
        size = rng.randint(5, 12)
        cut.append(tokens[start : start + size])
        start += size
    return cut


def walk(view, sentences: list[list[str]]) -> int:
    """Greedy longest match over every sentence with one ``match`` call per uncovered
    position, as synthesis does; returns tokens walked."""
    match, total = view.match, 0
    for words in sentences:
        i, n = 0, len(words)
        while i < n:
            found = match(words, i)
            i += found.length if found else 1
        total += n
    return total


class GcTimer:
    """Adds up the time Python's cyclic garbage collector runs inside a ``with`` block."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started

    def __enter__(self) -> GcTimer:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


class _DictProbe:
    """The least a lookup can do per token: one method call and one dict probe."""

    def __init__(self, words: dict[str, int]) -> None:
        self.words = words

    def match(self, words: list[str], start: int) -> None:
        self.words.get(words[start])


def scan(view, sentences: list[list[str]]) -> int:
    """The same walk with one ``scan`` call per sentence; returns tokens walked."""
    scan_sentence, total = view.scan, 0
    for words in sentences:
        scan_sentence(words)
        total += len(words)
    return total


def naive_walk(db: sqlite3.Connection, norm: Normalizer, longest: int,
               sentences: list[list[str]]) -> int:
    total = 0
    for words in sentences:
        i, n = 0, len(words)
        while i < n:
            step = 1
            for size in range(min(longest, n - i), 0, -1):
                phrase = norm(" ".join(words[i : i + size]))
                rows = db.execute(
                    "SELECT target FROM entries WHERE source = ? ORDER BY weight DESC", (phrase,)
                ).fetchall()
                if rows:
                    step = size
                    break
            i += step
        total += n
    return total


def resident_mib() -> float | None:
    """This process's resident memory now (Linux: /proc/self/statm), or None."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def timed(work, *args) -> tuple:
    """``work(*args)``'s result, its wall seconds and the CPU seconds of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def rate(work, view, *args) -> tuple[float, float, float]:
    """Tokens per wall second, the seconds, and tokens per CPU-second of ``work(view, ...)``."""
    walked, seconds, cpu = timed(work, view, *args)
    return walked / seconds, seconds, walked / cpu


LOOKUPS = (("match", walk), ("scan", scan))


def best_row(name: str, passes: list[tuple[float, float, float]]) -> float:
    """Print the row of the best of ``passes`` ((tokens/s, per CPU-second, seconds in the
    GC) each) and return its tokens/s."""
    tokens_per_s, per_cpu, gc_seconds = max(passes)
    print(f"  {name}, best of {len(passes)}: {tokens_per_s:,.0f} tokens/s, {per_cpu:,.0f} per "
          f"CPU-second (target >= 1,000,000); {gc_seconds:.2f}s of it in Python's garbage "
          f"collector (passes: {', '.join(f'{p[0]:,.0f}' for p in passes)})")
    return tokens_per_s


def timed_pass(work, view, sentences: list[list[str]]) -> tuple[float, float, float]:
    """One pass of ``work``: tokens/s, tokens per CPU-second, seconds in the GC."""
    with GcTimer() as gc_time:
        tokens_per_s, _, per_cpu = rate(work, view, sentences)
    return tokens_per_s, per_cpu, gc_time.seconds


def lookup_rows(
    store: Path, label: str, sentences: list[list[str]], repeat: int, warm: bool
) -> tuple[LexiconView, dict[str, float]]:
    """The lookup rows for one corpus: ``repeat`` first passes of ``match`` and of ``scan``,
    each from a freshly loaded view (taking turns, which goes first), then when ``warm``
    ``repeat`` warm passes of each, taking turns on one view; best of each. Returns the
    last view and each row's tokens/s."""
    tokens = sum(map(len, sentences))
    print(f"lookup, {label}: {tokens:,} tokens in {len(sentences):,} sentences of 5-12 words")
    first: dict[str, list] = {"match": [], "scan": []}
    view = None
    for turn in range(repeat):
        for name, work in LOOKUPS if turn % 2 == 0 else LOOKUPS[::-1]:
            view = None  # the previous view goes before the next one loads
            view = load_lexicon(store, freeze_after_load=True)  # fresh view: memo empty
            first[name].append(timed_pass(work, view, sentences))
    rates = {f"{name} first": best_row(f"{name}, first pass", passes)
             for name, passes in first.items()}
    print(f"  first pass, scan / match: {rates['scan first'] / rates['match first']:.2f}x")
    if warm:
        again: dict[str, list] = {"match": [], "scan": []}
        for _ in range(repeat):
            for name, work in LOOKUPS:
                again[name].append(timed_pass(work, view, sentences))
        for name, passes in again.items():
            rates[f"{name} warm"] = best_row(f"{name}, second pass (warm)", passes)
        print(f"  warm, scan / match: {rates['scan warm'] / rates['match warm']:.2f}x")
    return view, rates


def baselines(store: Path, view: LexiconView, sources: list[str],
              sentences: list[list[str]], rates: dict[str, float], repeat: int) -> None:
    """The naive SQLite lookup and the machine ceiling on ``sentences``, and each lookup
    row (``rates``) against them."""
    # The naive lookup is far slower: time it on a slice of the same sentences.
    part = sentences[: max(1, len(sentences) // 50)]
    db = sqlite3.connect(store)
    naive = rate(naive_walk, db, view.normalizer, view.max_phrase_words, part)[0]
    db.close()
    print(f"  naive baseline (SQLite query per candidate phrase), {len(part):,} sentences: "
          f"{naive:,.0f} tokens/s")
    probe = _DictProbe({p: 1 for p in sources})
    ceiling = max(rate(walk, probe, sentences) for _ in range(repeat))
    print(f"  machine ceiling on these sentences (a method call + one dict probe per token), "
          f"best of {repeat}: {ceiling[0]:,.0f} tokens/s, {ceiling[2]:,.0f} per CPU-second")
    for against, base in (("naive", naive), ("ceiling", ceiling[0])):
        print(f"  against the {against}: " + ", ".join(
            f"{name} {value / base:.2f}x" for name, value in rates.items()))


def prepare(workdir: Path, entries: int, seed: int) -> tuple[Path, Path, list[str], bool]:
    """The synthetic TSV, its store and the source phrases; made again only when
    ``workdir`` does not already hold them for these ``entries`` and ``seed``."""
    tsv, store = workdir / "synthetic.tsv", workdir / "synthetic.sqlite"
    listing = workdir / f"sources-{entries}-{seed}.txt"
    if listing.exists() and tsv.exists() and store.exists():
        return tsv, store, listing.read_text(encoding="utf-8").split("\n"), True
    for path in (tsv, store, listing):
        path.unlink(missing_ok=True)
    started = time.perf_counter()
    sources = write_lexicon(tsv, random.Random(seed), entries)
    print(f"generated {entries:,} entries in {time.perf_counter() - started:.1f}s")
    report, seconds, cpu = timed(lambda: import_lexicon("tsv", [tsv], store, src="en", tgt="sw"))
    import_rate = report.rows / seconds
    print(f"import: {report.rows:,} entries in {seconds:.2f}s = {import_rate:,.0f} entries/s"
          f" ({report.rows / cpu:,.0f} per CPU-second; target >= 200,000)")
    subset = min(100_000, entries)
    started = time.perf_counter()
    naive_count = naive_import(tsv, workdir / "naive.sqlite", subset)
    naive_rate = naive_count / (time.perf_counter() - started)
    (workdir / "naive.sqlite").unlink()
    print(f"  naive baseline (row-by-row INSERT, indexed table), {naive_count:,} entries: "
          f"{naive_rate:,.0f} entries/s; ratio {import_rate / naive_rate:.1f}x")
    listing.write_text("\n".join(sources), encoding="utf-8")
    return tsv, store, sources, False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--repeat", type=int, default=3,
                        help="passes of each lookup row (first passes each from a fresh "
                        "view) and of the ceiling: best of these")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the synthetic lexicon and its store here, and reuse them "
                        "when they are already there (the import is then not timed again)")
    args = parser.parse_args()
    args.repeat = max(args.repeat, 1)
    with tempfile.TemporaryDirectory(prefix="lexi-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        _, store, sources, reused = prepare(workdir, args.entries, args.seed)
        if reused:
            print(f"reused the {args.entries:,}-entry lexicon and store in {workdir} "
                  "(import not timed)")
        rng = random.Random(args.seed + 1)

        before = resident_mib()
        # As the lexi commands load a store: frozen for the GC once loaded (read_store).
        view, seconds, cpu = timed(lambda: load_lexicon(store, freeze_after_load=True))
        after = resident_mib()
        memory = f"; resident memory +{after - before:,.0f} MiB" if before and after else ""
        print(f"load store into memory: {len(view):,} phrases, {view.entry_count:,} entries in "
              f"{seconds:.2f}s ({cpu:.2f} CPU-s){memory}")

        for label, zipf in (("Zipf-distributed words", True), ("uniform words", False)):
            sentences = massive_lengths(rng, make_sentences(rng, sources, args.tokens, zipf))
            del view
            view, rates = lookup_rows(store, label, sentences, args.repeat, warm=zipf)
            baselines(store, view, sources, sentences, rates, args.repeat)
        print(f"load average while running: {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
              f" on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
