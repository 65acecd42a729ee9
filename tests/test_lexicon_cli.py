"""`lexi lexicon ...` commands end to end, and a third-party adapter package installed by pip."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lexi.cli.main import app, main
from lexi.lexicon import import_lexicon, load_lexicon
from lexi.lexicon.adapters import adapter_specs

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "lexicon" / "small.tsv"
runner = CliRunner()


def run(*args: str, input: str | None = None):
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_import_stats_lookup_round_trip(tmp_path):
    out = tmp_path / "en-sw.sqlite"
    result = run("lexicon", "import", "tsv", str(SMALL), "--tgt", "sw", "-o", str(out), "--json")
    report = json.loads(result.stdout)
    assert (report["rows"], report["skipped"]) == (8, 2)
    stats = json.loads(run("lexicon", "stats", str(out), "--json").stdout)
    assert (stats["src"], stats["tgt"], stats["entries"]) == ("en", "sw", 8)
    lookup = run("lexicon", "lookup", str(out), "mother", "alarm clock").stdout.splitlines()
    assert lookup == [
        "mother\tmama\t1\t", "mother\tmzazi\t0.5\t", "alarm clock\tsaa ya kengele\t1\t",
    ]
    piped = run("lexicon", "lookup", str(out), "--json", input="turn off\nnothing here\n")
    assert json.loads(piped.stdout)["turn off"][0]["target"] == "zima"
    assert json.loads(piped.stdout)["nothing here"] == []


def test_strict_import_error_names_file_line_and_text(tmp_path, capsys):
    out = tmp_path / "x.sqlite"
    with pytest.raises(SystemExit) as info:
        main(["lexicon", "import", "tsv", str(SMALL), "--tgt", "sw", "-o", str(out), "--strict"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"{SMALL}:9:" in err.replace("\n", "") and "broken line without a tab" in err
    assert not out.exists()


def test_adapter_options_on_the_command_line(tmp_path):
    lex = tmp_path / "rev.csv"
    lex.write_text("nyumba;house\n", encoding="utf-8")
    out = tmp_path / "rev.sqlite"
    run("lexicon", "import", "tsv", str(lex), "--tgt", "sw", "-o", str(out),
        "-O", "delimiter=;", "-O", "source_column=2", "-O", "target_column=1")
    assert load_lexicon(out).translations("house")[0].target == "nyumba"


def test_coverage_json_and_report_file(tmp_path):
    data = tmp_path / "mini.jsonl"
    rows = [
        {"id": "1", "locale": "en-US", "partition": "train", "intent": "alarm_set",
         "utt": "wake up mother", "annot_utt": "wake up mother"},
        {"id": "2", "locale": "en-US", "partition": "test", "intent": "alarm_query",
         "utt": "what alarm", "annot_utt": "what alarm"},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report_file = tmp_path / "coverage.json"
    result = run("lexicon", "coverage", str(SMALL), str(data), "--json", "-o", str(report_file))
    printed = json.loads(result.stdout)
    assert printed == json.loads(report_file.read_text())
    assert (printed["tokens"], printed["covered_tokens"]) == (5, 4)
    assert printed["top_uncovered"] == [{"word": "what", "count": 1}]
    assert printed["labels"]["alarm_query"]["token_coverage"] == 0.5
    train_only = json.loads(run("lexicon", "coverage", str(SMALL), str(data), "--split", "train",
                                "--json").stdout)
    assert train_only["utterances"] == 1 and train_only["token_coverage"] == 1.0


def test_merge_and_cldr_from_the_command_line(tmp_path):
    cldr = tmp_path / "cldr.sqlite"
    run("lexicon", "import", "cldr", "--src", "en", "--tgt", "sw", "-o", str(cldr))
    small = tmp_path / "small.sqlite"
    run("lexicon", "import", "tsv", str(SMALL), "--tgt", "sw", "-o", str(small))
    merged = tmp_path / "all.sqlite"
    run("lexicon", "merge", str(small), str(cldr), "-o", str(merged))
    view = load_lexicon(merged)
    assert "mother" in view and "kenya" in view


def test_sources_lists_catalog_entries_for_a_language():
    rows = json.loads(run("lexicon", "sources", "--lang", "sw", "--json").stdout)
    ids = {row["id"] for row in rows}
    assert {"wechsel", "kaikki", "cldr", "panlex"} <= ids and "muse" not in ids
    wechsel = next(r for r in rows if r["id"] == "wechsel")
    assert wechsel["url"].startswith("https://raw.githubusercontent.com/CPJKU/wechsel/")
    assert wechsel["adapter"] == "tsv"


@pytest.mark.shared_data
def test_cli_on_shared_wechsel_and_massive(shared_data, tmp_path):
    out = tmp_path / "en-sw.sqlite"
    run("lexicon", "import", "tsv", str(shared_data / "lexicons" / "wechsel-en-sw.tsv"),
        "--src", "en", "--tgt", "sw", "-o", str(out))
    coverage = json.loads(run("lexicon", "coverage", str(out),
                              str(shared_data / "massive" / "en-US.jsonl"), "--split", "train",
                              "--json").stdout)
    assert coverage["utterances"] == 11514 and len(coverage["labels"]) == 60
    assert 0 < coverage["type_coverage"] < coverage["token_coverage"] < 1


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], check=True,
                   capture_output=True, timeout=300)


def test_a_third_party_adapter_package_is_discovered(tmp_path):
    package = tmp_path / "lexi-adapter-example"
    shutil.copytree(FIXTURES / "lexi-adapter-example", package)
    assert "equals" not in adapter_specs()
    _pip("install", "--no-deps", "--no-build-isolation", str(package))
    try:
        importlib.invalidate_caches()
        spec = adapter_specs()["equals"]
        assert spec.distribution == "lexi-adapter-example"
        listed = json.loads(run("lexicon", "adapters", "--json").stdout)
        assert "equals" in {row["name"] for row in listed}
        words = tmp_path / "words.txt"
        words.write_text("dog = mbwa\nnot a pair\ndog = kibwa\n", encoding="utf-8")
        report = import_lexicon("equals", [words], tmp_path / "eq.sqlite", tgt="sw")
        assert (report.rows, report.skipped) == (2, 1)
        view = load_lexicon(tmp_path / "eq.sqlite")
        assert [e.target for e in view.translations("dog")] == ["mbwa", "kibwa"]
    finally:
        _pip("uninstall", "-y", "lexi-adapter-example")
        importlib.invalidate_caches()
    assert "equals" not in adapter_specs()


def test_commands_freeze_a_large_store_for_the_collector_and_the_library_does_not(
    tmp_path, monkeypatch
):
    """`lexi lexicon lookup/coverage/stats` and `lexi synth` load a store once and then work,
    so they hand it to gc.freeze(); lexi.synthesize, the same work in a notebook, must not
    freeze the caller's whole session."""
    import gc

    import lexi
    from lexi.lexicon import store

    lexicon = tmp_path / "en-sw.sqlite"
    import_lexicon("tsv", [SMALL], lexicon, src="en", tgt="sw")
    data = tmp_path / "mini.jsonl"
    row = {"id": "1", "locale": "en-US", "partition": "train", "intent": "alarm_set",
           "utt": "wake up mother", "annot_utt": "wake up mother"}
    data.write_text(json.dumps(row) + "\n", encoding="utf-8")
    monkeypatch.setattr(store, "FREEZE_ROWS", 1)  # as if the store were a large one
    commands = {
        "lookup": ("lexicon", "lookup", str(lexicon), "mother"),
        "coverage": ("lexicon", "coverage", str(lexicon), str(data), "--json"),
        "stats": ("lexicon", "stats", str(lexicon), "--json"),
        "synth": ("synth", "--source", str(data), "--lexicon", str(lexicon),
                  "-o", str(tmp_path / "cli.jsonl"), "--quiet"),
    }
    try:
        for name, args in commands.items():
            gc.unfreeze()
            run(*args)
            assert gc.get_freeze_count() > 0, name
        gc.unfreeze()
        summary = lexi.synthesize(str(data), str(tmp_path / "lib.jsonl"), [str(lexicon)])
        assert summary.rows_written == 1 and gc.get_freeze_count() == 0
    finally:
        gc.enable()
        gc.unfreeze()
