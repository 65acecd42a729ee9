"""`lexi bootstrap`: language table, resource lookup, the plan it runs; the demo end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lexi.cli.main import main
from lexi.errors import LexiError
from lexi.recipe.bootstrap import (
    Resources,
    bootstrap,
    bootstrap_variables,
    find_language,
    load_languages,
)


def fake_root(root: Path) -> Path:
    """A data root laid out like the reference data, with tiny files."""
    for rel in ("massive/en-US.jsonl", "massive/sw-KE.partial.jsonl", "massive/tr-TR.jsonl",
                "lexicons/wechsel-en-sw.tsv", "lexicons/gatitos-en-ln.tsv",
                "lexicons/wechsel-en-ln.tsv", "unimorph/swc", "sib200/eng_Latn/train.tsv",
                "sib200/eng_Latn/dev.tsv", "sib200/lin_Latn/test.tsv"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x\n")
    return root


def test_language_table_maps_codes_locales_and_iso3():
    languages = load_languages()
    assert languages["sw"].massive == "sw-KE" and languages["sw"].unimorph == "swc"
    assert find_language("sw-KE").code == "sw"
    assert find_language("lin_Latn").code == "ln"
    assert all(lang.massive or lang.sib200 for lang in languages.values())
    with pytest.raises(LexiError, match="no default recipe for language 'xx'"):
        find_language("xx")


def test_massive_language_finds_partial_target_lexicon_and_unimorph(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = fake_root(tmp_path / "data")
    task, variables = bootstrap_variables("sw", data_root=root)
    assert task == "massive"
    assert variables["target"] == str(root / "massive/sw-KE.partial.jsonl")
    assert variables["lexicon_tsv"] == str(root / "lexicons/wechsel-en-sw.tsv")
    assert variables["morph_args"] == f"--morph swc --unimorph {root / 'unimorph/swc'}"
    assert "ops" not in variables  # the recipe's measured default applies


def test_language_without_massive_uses_sib200_and_prefers_gatitos(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = fake_root(tmp_path / "data")
    task, variables = bootstrap_variables("ln", data_root=root)
    assert task == "sib200"
    assert variables["sib200"] == "lin_Latn"
    assert variables["lexicon_tsv"] == str(root / "lexicons/gatitos-en-ln.tsv")
    assert "morph_args" not in variables and "ops" not in variables


def test_given_paths_win_and_missing_resources_are_named(tmp_path, monkeypatch):
    monkeypatch.delenv("LEXI_DATA_ROOT", raising=False)
    root = fake_root(tmp_path / "data")
    mine = tmp_path / "mine.tsv"
    mine.write_text("x\n")
    _, variables = bootstrap_variables("sw", data_root=root, given=Resources(lexicon=mine))
    assert variables["lexicon_tsv"] == str(mine)
    with pytest.raises(LexiError, match="no source, dev, target, lexicon given") as info:
        bootstrap_variables("sw")
    assert "--data-root" in info.value.hint
    with pytest.raises(LexiError, match="no lexicon given or found"):
        bootstrap_variables("tr", data_root=root)  # tr-TR.jsonl exists, but no lexicon


def test_dry_run_plans_the_whole_chain_with_the_shared_data(shared_data, tmp_path):
    result = bootstrap("sw", data_root=shared_data, work=tmp_path / "sw", dry_run=True)
    assert [o.status for o in result.outcomes] == ["would-run"] * 5
    synth = result.recipe.step("synth")
    assert "--morph swc" in synth.run and "sw-KE.partial.jsonl" in result.recipe.step("eval").run
    assert result.report == tmp_path / "sw" / "report"
    assert not (tmp_path / "sw").exists()


def test_cli_bootstrap_dry_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = fake_root(tmp_path / "data")
    with pytest.raises(SystemExit) as info:
        main(["bootstrap", "ln", "--data-root", str(root), "-o", str(tmp_path / "w"), "-n"])
    assert info.value.code == 0
    err = capsys.readouterr().err
    assert "would-run source" in err and "gatitos-en-ln.tsv" in err


@pytest.mark.slow
def test_bootstrap_demo_end_to_end(tmp_path, capsys, monkeypatch):
    """The README's quick start: the whole chain on the demo data, offline (minutes)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["bootstrap", "demo"])
    assert info.value.code == 0
    err = capsys.readouterr().err
    report = tmp_path / "lexi-demo" / "report"
    metrics = json.loads((report / "metrics.json").read_text())
    assert [r["name"] for r in metrics["runs"]] == ["baseline", "augmented"]
    assert metrics["data"]["rows"] == 90
    assert "report: " in err and "baseline" in err and "gain:" in err
    # The gain is the point of the demo: synthetic Swahili beats English only.
    gain = metrics["runs"][1]["vs_baseline"][0]
    assert gain["metric"] == "accuracy" and gain["low"] > 0
    # A second run does nothing: every step is up to date.
    with pytest.raises(SystemExit):
        main(["bootstrap", "demo"])
    assert capsys.readouterr().err.count("skipped (unchanged)") == 6
