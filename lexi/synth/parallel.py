"""``lexi synth --workers N``: the source rows in contiguous chunks, synthesised by N worker
processes, the results handed back in input order.

Every row depends only on the configuration, the resources and its source row (see
:mod:`lexi.synth.seeded`), so a worker makes the same rows as one process would; the
parent writes each chunk's text as it comes, in order, and merges the chunks' summaries
(:meth:`~lexi.synth.summary.SynthSummary.merge`), so the output and the summary are the
same bytes as with one process.

The parent does as little as it can, since it shares the cores with the workers: for
MASSIVE jsonl (what ``lexi synth`` reads in practice) it only cuts the file into batches
of lines; the workers parse them, synthesise, and write the jsonl text. Other formats are
read in the parent and sent as parsed rows.

Workers are forked where the platform allows it, after the lexicon is loaded, so they
share its memory (copy-on-write; ``gc.freeze`` keeps the collector from touching it);
elsewhere each builds its own synthesizer from a picklable ``factory``.
"""

from __future__ import annotations

import itertools
import os
import pickle
import signal
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lexi.data.massive import massive_line_batches, parse_massive_lines
from lexi.data.readers import dataset_format, read_dataset, split_value
from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.synth.operators import Synthesizer
from lexi.synth.summary import SynthSummary, synthesize_to

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
# multiprocessing and concurrent.futures are imported when workers start: every lexi
# command imports this module, most never start one.

# Source lines (or rows) per chunk. A chunk is 20-100 ms of work: the per-chunk cost
# (pickling, the pipe) stays well under 1 %, and the last chunk, which one worker does
# alone while the others have finished, is short.
CHUNK_ROWS = 1000
# Chunks in flight per worker: one being done and one waiting, so that no worker idles
# while the parent reads, and memory stays bounded by 2 × workers chunks.
IN_FLIGHT = 2
# A worker looks every this many source rows whether the run was stopped (an error, or
# Ctrl-C in the parent), so that it does not finish its chunk, and those queued, for
# nothing. The look costs about a microsecond.
STOP_EVERY = 64

SynthFactory = Callable[[], Synthesizer]


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def resolve_workers(workers: int) -> int:
    """The number of worker processes ``--workers`` asks for: 0 means one per available
    core; 1 is the plain single-process run."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise LexiError(
            f"--workers must be a whole number, 0 or more, got {workers!r}",
            hint="1 runs in this process (the default), N > 1 in N worker processes, "
            "0 in one per available core",
        )
    return available_cores() if workers == 0 else workers


def start_method() -> str:
    """``fork`` where the platform has it, so that workers share the loaded lexicon;
    ``spawn`` elsewhere (Windows) and on macOS, where CPython deems fork unsafe."""
    import multiprocessing

    if sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


@dataclass(frozen=True)
class Job:
    """A contiguous piece of the source: MASSIVE jsonl ``lines`` whose first is line
    ``first_line`` of ``path`` (parsed in the worker, of ``split`` only), or ``rows``
    already read."""

    path: str
    split: str | None = None
    first_line: int = 1
    lines: list[str] | None = None
    rows: list[Utterance] | None = None

    def utterances(self) -> Iterable[Utterance]:
        if self.rows is not None:
            return self.rows
        return parse_massive_lines(self.lines or (), self.path, self.split, self.first_line)


class WorkerTraceback(Exception):
    """The traceback of an error raised in a worker, as text (the ``__cause__`` of the
    error re-raised in the parent, shown under ``--debug``)."""


@dataclass
class ChunkResult:
    """What a worker made of one :class:`Job`: the jsonl text of its rows, their summary,
    and the error that stopped it, if one did (``text`` then holds the rows before it)."""

    text: str
    summary: SynthSummary
    error: Exception | None = None
    trace: str = ""
    stopped: bool = False

    def check(self) -> None:
        """Raise the chunk's error, if any, as the parent's own."""
        if self.error is not None:
            raise self.error from WorkerTraceback(self.trace)
        if self.stopped:  # only ever set once the parent has left the run
            raise LexiError("synthesis was stopped before this chunk was done")


def source_jobs(source: str | Path, *, format: str = "auto", split: str | None = None,
                size: int | None = None) -> Iterator[Job]:
    """``source`` cut into jobs of ``size`` lines (MASSIVE jsonl) or rows (other formats;
    read here with :func:`~lexi.data.readers.read_dataset`); default :data:`CHUNK_ROWS`.
    A missing file or an unknown format is an error now, before any worker starts."""
    name = str(source)
    size = size or CHUNK_ROWS
    if dataset_format(name, format) == "massive":
        return _line_jobs(name, split_value(split), size)
    return _row_jobs(read_dataset(name, format=format, split=split), name, size)


def _line_jobs(name: str, split: str | None, size: int) -> Iterator[Job]:
    for first, lines in massive_line_batches(name, size):
        yield Job(name, split, first, lines=lines)


def _row_jobs(rows: Iterator[Utterance], name: str, size: int) -> Iterator[Job]:
    while batch := list(itertools.islice(rows, size)):
        yield Job(name, rows=batch)


# This worker process's synthesizer, and the parent's "stop" (set by _start_worker).
_SYNTHESIZER: Synthesizer | None = None
_STOP: Any = None


class _Stopped(Exception):
    pass


def _start_worker(synthesizer: Synthesizer | None, factory: SynthFactory | None,
                  stop: Any) -> None:
    global _SYNTHESIZER, _STOP
    # Ctrl-C reaches every process of the terminal's group: the parent handles it (it
    # stops the run); a worker that raised too would print its own traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STOP = stop
    _SYNTHESIZER = synthesizer if synthesizer is not None else factory()


def _unless_stopped(rows: Iterable[Utterance]) -> Iterator[Utterance]:
    for count, utt in enumerate(rows):
        if count % STOP_EVERY == 0 and _STOP.is_set():
            raise _Stopped
        yield utt


def _run_job(job: Job) -> ChunkResult:
    synthesizer = _SYNTHESIZER
    summary = SynthSummary(numbers_mode=synthesizer.config.numbers, share_terms=[],
                           word_order=synthesizer.config.word_order)
    out = StringIO()
    rows = _unless_stopped(job.utterances())
    try:
        synthesize_to(rows, synthesizer, summary, out)
    except _Stopped:
        return ChunkResult("", summary, stopped=True)
    except Exception as exc:
        # Returned, not raised: the parent writes the rows before the error first, as one
        # process would have (it matters on stdout).
        return ChunkResult(out.getvalue(), summary, _picklable(exc), traceback.format_exc())
    return ChunkResult(out.getvalue(), summary)


def _picklable(exc: Exception) -> Exception:
    """``exc``, or a RuntimeError saying the same when it cannot cross to the parent."""
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class WorkerPool:
    """``workers`` processes, each with the synthesizer, while the ``with`` block runs.

    Under ``fork`` the workers inherit ``synthesizer``; under ``spawn`` each calls
    ``factory`` (picklable, e.g. a ``functools.partial`` of ``build_synthesizer``).
    Leaving the block on an error or Ctrl-C cancels the chunks not started and stops those
    under way within :data:`STOP_EVERY` rows; their output is dropped.
    """

    def __init__(self, synthesizer: Synthesizer, workers: int,
                 factory: SynthFactory | None = None) -> None:
        import multiprocessing

        method = start_method()
        if method != "fork" and factory is None:
            raise LexiError(f"--workers needs a synthesizer factory where processes are "
                            f"not forked ({sys.platform})", hint="pass factory=, or workers=1")
        self.workers = workers
        self._context = multiprocessing.get_context(method)
        self._stop = self._context.Event()
        self._initargs = ((synthesizer, None, self._stop) if method == "fork"
                          else (None, factory, self._stop))
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> WorkerPool:
        # A forked child inherits unflushed output buffers and flushes them when it exits:
        # without this, text printed before the run could appear twice.
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        from concurrent.futures import ProcessPoolExecutor

        self._executor = ProcessPoolExecutor(
            self.workers, mp_context=self._context, initializer=_start_worker,
            initargs=self._initargs,
        )
        # Start the workers now, before this process starts threads of its own (the
        # progress bar's): a fork while another thread holds a lock copies the lock held.
        try:
            _wait(self._executor.submit(os.getpid))
        except BaseException:
            self._executor.shutdown(wait=True, cancel_futures=True)
            raise
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is not None:
            self._stop.set()  # the chunks under way end at their next look
        # Always wait, even on an error or Ctrl-C: the workers stop within STOP_EVERY rows,
        # and shutdown(wait=False) leaves the executor's thread closing pipes while the
        # interpreter exits, which now and then printed "OSError: [Errno 9] Bad file
        # descriptor" from a thread after a Ctrl-C (CPython gh-83279, gh-94440).
        self._executor.shutdown(wait=True, cancel_futures=True)

    def results(self, jobs: Iterable[Job]) -> Iterator[ChunkResult]:
        """The result of each job, in the order of ``jobs``, with at most
        ``IN_FLIGHT × workers`` jobs submitted and not yet handed back."""
        pending: deque[Future] = deque()
        jobs = iter(jobs)
        while True:
            try:
                job = next(jobs, None)
            except Exception:
                # A read error (bad UTF-8, a malformed CSV row): the rows before it come
                # first, and an error in an earlier row wins, as in one process.
                while pending:
                    yield _wait(pending.popleft())
                raise
            if job is None:
                break
            pending.append(self._executor.submit(_run_job, job))
            if len(pending) >= IN_FLIGHT * self.workers:
                yield _wait(pending.popleft())
        while pending:
            yield _wait(pending.popleft())


def _wait(future: Future) -> Any:
    """``future``'s result; a worker process that died (killed, out of memory, a factory
    that failed) is a :class:`LexiError`."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise LexiError(
            "a synthesis worker process stopped unexpectedly (killed, or out of memory?)",
            hint="nothing was written; run again, with fewer --workers",
        ) from exc
