"""``lexi synth --workers N`` (issue 14, item 2): the same bytes as one process, rows and
summary, for every operator; errors, Ctrl-C and a dead worker end the run cleanly."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lexi.synth.parallel as parallel
import lexi.synth.pipeline as pipeline
from lexi.data.demo import write_demo_data
from lexi.data.massive import read_massive, write_massive
from lexi.data.readers import write_dataset
from lexi.errors import LexiError
from lexi.synth import SynthConfig, build_synthesizer, synthesize_file
from lexi.synth.synthesize import synthesize

# (ops, options): the operator combinations compared, 1 worker against 2.
COMBINATIONS = [
    ("translate", {}),
    ("translate,codeswitch", {"per_utterance": 2, "numbers": "lexicon"}),
    ("translate,inflect", {"keep_source": True, "numbers": "keep"}),
    ("translate,inflect,codeswitch",
     {"per_utterance": 2, "keep_source": True, "unknown": "drop-function-words",
      "sentence_ratio": 0.7, "seed": 3}),
    ("codeswitch", {"token_ratio": 0.3, "sense": "random", "numbers": "cldr"}),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo data (227 English rows with slots, a word list, a verb table)."""
    return write_demo_data(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 7 source lines: the demo file becomes 33 chunks, so every merge is seen."""
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 7)


def run(demo, tmp_path, ops, workers, name, **options):
    out, summary = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.summary.json"
    result = synthesize(
        str(demo.source), str(out), [str(demo.lexicon)], ops, locale="sw-KE", morph="swc",
        unimorph=str(demo.unimorph), summary_json=str(summary), report=True,
        workers=workers, **options,
    )
    return out.read_bytes(), summary.read_bytes(), result


@pytest.mark.parametrize(("ops", "options"), COMBINATIONS)
def test_two_workers_write_the_same_bytes_as_one(demo, tmp_path, small_chunks, lexi_home, ops,
                                                 options):
    rows1, summary1, result1 = run(demo, tmp_path, ops, 1, "one", **options)
    rows2, summary2, result2 = run(demo, tmp_path, ops, 2, "two", **options)
    assert rows2 == rows1 and rows1.count(b"\n") > 100
    assert summary2 == summary1
    # The report's float sum too, exactly (it is added in row order, not per chunk).
    assert result2 == result1 and result2.share_sum == result1.share_sum


def test_every_chunk_size_gives_the_same_bytes(demo, tmp_path):
    config = SynthConfig(ops=("translate", "codeswitch"), per_utterance=2, locale="sw-KE")
    synth = build_synthesizer(config, [demo.lexicon])
    one = synthesize_file(demo.source, tmp_path / "one.jsonl", synth, report=True)
    expected = (tmp_path / "one.jsonl").read_bytes()
    for workers, size in ((2, 1), (3, 50), (2, 226), (4, 1000)):
        out = tmp_path / f"w{workers}-{size}.jsonl"
        summary = synthesize_file(demo.source, out, synth, workers=workers, chunk_rows=size,
                                  split="all")
        assert out.read_bytes() == expected, (workers, size)
        assert summary.as_dict(report=True) == one.as_dict(report=True)


def test_split_filter_and_a_csv_source(demo, tmp_path, small_chunks):
    synth = build_synthesizer(SynthConfig(locale="sw-KE"), [demo.lexicon])
    for workers in (1, 2):
        synthesize_file(demo.source, tmp_path / f"dev{workers}.jsonl", synth, split="dev",
                        workers=workers)
    dev = (tmp_path / "dev1.jsonl").read_bytes()
    assert dev == (tmp_path / "dev2.jsonl").read_bytes()
    assert {r.split for r in read_massive(tmp_path / "dev1.jsonl")} == {"dev"}
    # Not MASSIVE jsonl: the parent reads the rows and sends them, parsed, to the workers.
    csv = tmp_path / "en.csv"
    with csv.open("w", encoding="utf-8") as out:
        write_dataset(read_massive(demo.source), out, format="csv")
    for workers in (1, 2):
        synthesize_file(csv, tmp_path / f"csv{workers}.jsonl", synth, workers=workers)
    assert (tmp_path / "csv1.jsonl").read_bytes() == (tmp_path / "csv2.jsonl").read_bytes()


def test_nothing_selected_is_the_same_error(demo, tmp_path, small_chunks):
    synth = build_synthesizer(SynthConfig(locale="sw-KE"), [demo.lexicon])
    errors = []
    for workers in (1, 2):
        with pytest.raises(LexiError) as caught:
            synthesize_file(demo.source, tmp_path / "t.jsonl", synth, split="test",
                            workers=workers)
        errors.append(str(caught.value))
    assert errors[0] == errors[1] and "0 rows selected" in errors[0]
    assert list(tmp_path.iterdir()) == []
    # A chunk a worker left undone because the run stopped is never taken for done.
    with pytest.raises(LexiError, match="stopped"):
        parallel.ChunkResult("", pipeline.SynthSummary(), stopped=True).check()


def test_progress_bar_counts_with_workers(demo, tmp_path, small_chunks):
    synth = build_synthesizer(SynthConfig(locale="sw-KE"), [demo.lexicon])
    summary = synthesize_file(demo.source, tmp_path / "p.jsonl", synth, workers=2,
                              progress=True)
    assert summary.source_rows == 227


def test_workers_count_is_checked_first(demo, tmp_path):
    with pytest.raises(LexiError, match="--workers must be a whole number, 0 or more, got -1"):
        run(demo, tmp_path, "translate", -1, "neg")
    assert not (tmp_path / "neg.jsonl").exists()
    assert parallel.resolve_workers(0) == parallel.available_cores() >= 1
    assert parallel.resolve_workers(3) == 3
    with pytest.raises(LexiError):
        parallel.resolve_workers(True)


def _bad_source(demo, tmp_path, line: int, text: str) -> Path:
    lines = demo.source.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = text
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "message"), [
    ('{"id": 40, "utt": "no intent"}\n', "bad.jsonl:40: missing field 'intent'"),
    ('{"id": 40, "utt": \n', "bad.jsonl:40: malformed JSON"),
    ('{"id": 40, "locale": "sw-KE", "intent": "alarm_set", "utt": "amka"}\n',
     "source row 40 is in sw-KE, the target language"),
])
def test_a_bad_row_is_the_same_error_and_writes_nothing(demo, tmp_path, small_chunks, text,
                                                        message):
    source = _bad_source(demo, tmp_path, 40, text)
    synth = build_synthesizer(SynthConfig(locale="sw-KE"), [demo.lexicon])
    errors = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}.jsonl"
        with pytest.raises(LexiError) as caught:
            synthesize_file(source, out, synth, workers=workers)
        errors.append((str(caught.value), caught.value.path, caught.value.line))
        assert not out.exists()
        assert list(tmp_path.glob(".out*")) == []  # no temporary file left behind
    assert errors[0] == errors[1] and message in errors[0][0]


def test_an_earlier_bad_row_wins_over_a_later_read_error(demo, tmp_path, small_chunks):
    # Line 12 is not MASSIVE (found by a worker), line 200 is not UTF-8 (found by the
    # parent as it reads): one process reports line 12, and so must two.
    source = _bad_source(demo, tmp_path, 12, '{"id": 12, "utt": "x"}\n')
    data = source.read_bytes().splitlines(keepends=True)
    data[199] = b'{"id": 199, "utt": "caf\xe9"}\n'
    source.write_bytes(b"".join(data))
    synth = build_synthesizer(SynthConfig(locale="sw-KE"), [demo.lexicon])
    for workers in (1, 2):
        with pytest.raises(LexiError, match=r"bad.jsonl:12: missing field 'intent'"):
            synthesize_file(source, tmp_path / "out.jsonl", synth, workers=workers)
    source.write_bytes(b"".join(data[:11] + data[12:]))  # only the bad byte is left
    for workers in (1, 2):
        with pytest.raises(LexiError, match=r"bad.jsonl:199: not valid UTF-8: byte 0xe9"):
            synthesize_file(source, tmp_path / "out.jsonl", synth, workers=workers)


def test_rows_before_an_error_reach_stdout_as_with_one_process(demo, tmp_path, small_chunks,
                                                               capsys):
    source = _bad_source(demo, tmp_path, 40, '{"id": 40, "utt": "no intent"}\n')
    synth = build_synthesizer(SynthConfig(locale="sw-KE"), [demo.lexicon])
    printed = []
    for workers in (1, 2):
        with pytest.raises(LexiError):
            synthesize_file(source, "-", synth, workers=workers)
        printed.append(capsys.readouterr().out)
    assert printed[0] == printed[1] and printed[0].count("\n") > 30


class Failing:
    """A synthesizer that fails on one source row (a bug, not a LexiError), or kills its
    process there."""

    def __init__(self, synth, bad_id: str, kill: bool = False) -> None:
        self._synth, self._bad_id, self._kill = synth, bad_id, kill
        self.config = synth.config

    def synthesize(self, utt):
        if utt.id == self._bad_id:
            if self._kill:
                os._exit(3)
            raise ValueError(f"cannot synthesise row {utt.id}")
        return self._synth.synthesize(utt)


def test_an_unexpected_error_in_a_worker_keeps_its_type_and_traceback(demo, tmp_path,
                                                                       small_chunks):
    synth = Failing(build_synthesizer(SynthConfig(locale="sw-KE"), [demo.lexicon]), "100")
    for workers in (1, 2):
        with pytest.raises(ValueError, match="^cannot synthesise row 100$") as caught:
            synthesize_file(demo.source, tmp_path / "out.jsonl", synth, workers=workers)
        assert not (tmp_path / "out.jsonl").exists()
        # Every worker has exited when the error reaches the caller: none is left closing
        # its pipes while the interpreter exits (a rare "Bad file descriptor" traceback).
        assert multiprocessing.active_children() == []
    cause = caught.value.__cause__
    assert isinstance(cause, parallel.WorkerTraceback) and "in synthesize" in str(cause)


def test_a_worker_that_dies_is_an_error_not_a_hang(demo, tmp_path, small_chunks):
    synth = Failing(build_synthesizer(SynthConfig(locale="sw-KE"), [demo.lexicon]), "100",
                    kill=True)
    with pytest.raises(LexiError, match="worker process stopped unexpectedly"):
        synthesize_file(demo.source, tmp_path / "out.jsonl", synth, workers=2)
    assert not (tmp_path / "out.jsonl").exists()


def test_spawned_workers_build_their_own_synthesizer(demo, tmp_path, monkeypatch, caplog,
                                                     lexi_home):
    # Where processes are not forked (Windows, macOS), each worker calls the factory.
    monkeypatch.setattr(parallel, "start_method", lambda: "spawn")
    monkeypatch.setattr(pipeline, "start_method", lambda: "spawn")
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 60)
    ops, options = COMBINATIONS[3]
    rows1, summary1, _ = run(demo, tmp_path, ops, 1, "one", **options)
    rows2, summary2, _ = run(demo, tmp_path, ops, 2, "two", **options)
    assert (rows2, summary2) == (rows1, summary1)
    # synthesize_file without a factory cannot start such workers: it runs in-process.
    synth = build_synthesizer(SynthConfig(locale="sw-KE"), [demo.lexicon])
    with caplog.at_level(logging.WARNING, logger="lexi"):
        synthesize_file(demo.source, tmp_path / "plain.jsonl", synth, workers=2)
    assert "synthesising in this process" in caplog.text


def lexi_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lexi.cli.main", *args], capture_output=True,
                          timeout=120, **kwargs)


def _many_rows(demo, path: Path, copies: int) -> Path:
    """The demo rows ``copies`` times over, with ids of their own."""
    rows = list(read_massive(demo.source))
    with path.open("w", encoding="utf-8") as out:
        write_massive((row.with_(id=f"{k}{row.id}") for k in range(copies) for row in rows),
                      out)
    return path


def test_cli_workers_stdout_and_summary(demo, tmp_path):
    source = _many_rows(demo, tmp_path / "en.jsonl", 6)  # 1,362 rows: 2 chunks
    common = ("synth", "--source", "-", "--lexicon", str(demo.lexicon), "--ops",
              "translate,codeswitch", "--per-utterance", "2", "--locale", "sw-KE",
              "-o", "-", "--report", "--quiet")
    results = []
    for workers in ("1", "2"):
        summary = tmp_path / f"s{workers}.json"
        done = lexi_cli(*common, "--summary-json", str(summary), "--workers", workers,
                        input=source.read_bytes())
        assert done.returncode == 0, done.stderr.decode()
        results.append((done.stdout, summary.read_bytes()))
    assert results[0] == results[1]
    assert json.loads(results[0][1])["source_rows"] == 1362
    bad = lexi_cli("synth", "--source", str(source), "--lexicon", str(demo.lexicon),
                   "-o", str(tmp_path / "x.jsonl"), "--workers", "-2")
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr
    assert b"--workers must be a whole number, 0 or more, got -2" in bad.stderr


def test_ctrl_c_stops_every_process_and_leaves_no_file(demo, tmp_path):
    # The rows come through stdin, which stays open: the run cannot finish before the
    # Ctrl-C, however fast the machine (a file of rows raced the signal on an idle one).
    source = _many_rows(demo, tmp_path / "en.jsonl", 20)  # 4,540 rows: several chunks
    out = tmp_path / "out" / "sw.jsonl"
    out.parent.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lexi.cli.main", "synth", "--source", "-",
         "--lexicon", str(demo.lexicon), "--locale", "sw-KE", "-o", str(out), "--workers",
         "2"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
        # A shell runs background jobs with SIGINT ignored, and the child would inherit
        # that (then Python installs no KeyboardInterrupt): give it a terminal's default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        proc.stdin.write(source.read_bytes())
        proc.stdin.flush()
        # The temporary output appears once the workers run; then Ctrl-C, which the
        # terminal sends to the whole process group.
        deadline = time.monotonic() + 60
        while not list(out.parent.glob(".sw.jsonl.*")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        # In a shell the Ctrl-C also ends the process feeding the pipe: its end closes.
        proc.stdin.close()
        proc.wait(timeout=30)
        stderr = proc.stderr.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr.decode()  # lexi's exit status for Ctrl-C
    assert b"Traceback" not in stderr  # nor from a worker
    assert list(out.parent.iterdir()) == []


def test_collector_thresholds_are_raised_while_rows_stream_and_restored(demo, tmp_path,
                                                                        monkeypatch):
    """``synthesize`` (``lexi synth``; ``lexi.synthesize`` in a notebook) collects the young
    generation less often while rows stream, and leaves the thresholds as it found them,
    after a run and after an error."""
    import gc

    import lexi.synth.synthesize as module

    seen = []
    real = module.synthesize_file

    def spy(*args, **kwargs):
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "synthesize_file", spy)
    before = gc.get_threshold()
    try:
        gc.set_threshold(500, 9, 8)
        run(demo, tmp_path, "translate", 1, "gc")
        assert seen == [(module.STREAM_GC_THRESHOLD, 9, 8)]
        assert gc.get_threshold() == (500, 9, 8)
        with pytest.raises(LexiError):
            synthesize(str(demo.source), str(tmp_path / "none.jsonl"), [str(demo.lexicon)],
                       split="test")
        assert gc.get_threshold() == (500, 9, 8)
    finally:
        gc.set_threshold(*before)
