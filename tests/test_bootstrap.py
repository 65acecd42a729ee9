"""`lexi bootstrap`: language table, resource lookup, the plan it runs; the demo end to end.

Language resolution itself (codes, tags, names, macrolanguages) is tested in
tests/test_languages.py.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lexi.cli.main import main
from lexi.errors import LexiError
from lexi.lexicon import load_lexicon
from lexi.lexicon.store import read_store_parts
from lexi.recipe.bootstrap import bootstrap, bootstrap_variables
from lexi.recipe.plan import Resources, find_language, load_languages, plan_bootstrap
from lexi.recipe.runner import run_recipe


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
    with pytest.raises(LexiError, match="unknown language 'xx'"):
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
    # Both lists, GATITOS first, merged in priority order.
    assert variables["lexicon_tsv"] == (f"{root / 'lexicons/gatitos-en-ln.tsv'} "
                                        f"{root / 'lexicons/wechsel-en-ln.tsv'}")
    assert variables["lexicon_args"] == "--merge priority"
    assert "morph_args" not in variables and "ops" not in variables


def uncatalogued(tmp_path: Path, monkeypatch) -> Path:
    """An empty catalog as $LEXI_CATALOG: nothing can come from the cache or be fetched."""
    catalog = tmp_path / "empty-catalog.yml"
    catalog.write_text("sources: {}\n")
    monkeypatch.setenv("LEXI_CATALOG", str(catalog))
    return catalog


def test_given_paths_win_and_missing_resources_are_named(tmp_path, monkeypatch, lexi_home):
    monkeypatch.delenv("LEXI_DATA_ROOT", raising=False)
    root = fake_root(tmp_path / "data")
    mine = tmp_path / "mine.tsv"
    mine.write_text("x\n")
    _, variables = bootstrap_variables("sw", data_root=root, given=Resources(lexicon=mine))
    # The list given comes first; the data root's follows it.
    assert variables["lexicon_tsv"] == f"{mine} {root / 'lexicons/wechsel-en-sw.tsv'}"
    # tr-TR.jsonl exists, but no word list: the catalog's TSV lists are planned, each at
    # its place in lexi's cache (nothing is downloaded by planning).
    _, variables = bootstrap_variables("tr", data_root=root)
    assert variables["lexicon_tsv"] == str(lexi_home / "downloads/wechsel/tr/turkish.txt")
    assert not (lexi_home / "downloads").exists()
    uncatalogued(tmp_path, monkeypatch)
    with pytest.raises(LexiError, match="task none: .* missing source, dev, lexicon") as info:
        bootstrap_variables("sw")  # no test set anywhere either: it would train, not score
    assert "--data-root" in info.value.hint
    with pytest.raises(LexiError, match="task massive.*missing lexicon") as info:
        bootstrap_variables("tr", data_root=root)
    # The error names every path that was tried, the catalog included.
    assert str(root / "lexicons" / "wechsel-en-tr.tsv") in info.value.message
    assert "the catalog" in info.value.message


def given_files(root: Path) -> Resources:
    """Every SIB-200 resource for Ewe given explicitly (no data root)."""
    paths = [root / rel for rel in ("eng_Latn/train.tsv", "eng_Latn/dev.tsv",
                                    "ewe_Latn/test.tsv", "en-ee.tsv")]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    return Resources(*paths)


def test_any_language_runs_when_every_resource_is_given(tmp_path, monkeypatch):
    monkeypatch.delenv("LEXI_DATA_ROOT", raising=False)
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    given = given_files(tmp_path)
    task, variables = bootstrap_variables("ee", task="sib200", given=given)
    assert task == "sib200"
    # A test set given: no self-training pool is looked for (give --unlabelled for one).
    assert variables == {
        "lang": "ee", "sib200": "ewe_Latn", "source": str(given.source),
        "dev": str(given.dev), "target": str(given.target), "lexicon_tsv": str(given.lexicon),
        "unlabelled": "", "unlabelled_args": "", "sense_text_args": "",
    }
    # Any spelling of Ewe; auto picks SIB-200 (no MASSIVE locale, and the target is a TSV).
    for lang in ("ewe", "ewe_Latn", "Ewe"):
        assert bootstrap_variables(lang, given=given)[1]["lang"] == "ee"
    # A TSV target for a MASSIVE language means SIB-200 too.
    assert bootstrap_variables("sw", given=given)[0] == "sib200"
    with pytest.raises(LexiError, match="--lexicon .*nope.tsv: no such file"):
        bootstrap_variables("ee", given=Resources(lexicon=tmp_path / "nope.tsv"))
    with pytest.raises(LexiError, match="English is the source language"):
        bootstrap_variables("en", given=given)
    with pytest.raises(LexiError, match=r"did you mean Swahili \(sw\)"):
        bootstrap_variables("swahilli", given=given)


def test_a_massive_format_test_set_for_a_language_massive_lacks(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    given = given_files(tmp_path)
    target = tmp_path / "ee-test.jsonl"
    target.write_text("{}\n")
    source = tmp_path / "en-US.jsonl"
    source.write_text("{}\n")
    task, variables = bootstrap_variables(
        "ee", task="massive", given=Resources(source, None, target, given.lexicon))
    assert task == "massive" and variables["locale"] == "ee-GH"
    assert variables["dev"] == str(source)
    with pytest.raises(LexiError, match="MASSIVE has no locale for Ewe"):
        bootstrap_variables("ee", task="massive")


def other_root(root: Path) -> Path:
    """A data root for languages languages.yml does not list: Tsonga and Akan (Twi)."""
    for rel in ("sib200/eng_Latn/train.tsv", "sib200/eng_Latn/dev.tsv",
                "sib200/tso_Latn/test.tsv", "sib200/twi_Latn/test.tsv",
                "lexicons/gatitos-en-ts.tsv", "lexicons/wechsel-en-ts.tsv",
                "lexicons/gatitos-en-ak.tsv", "unimorph/tso"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x\n")
    return root


def test_data_root_discovery_for_a_language_not_in_the_table(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = other_root(tmp_path / "data")
    assert "ts" not in load_languages()
    task, variables = bootstrap_variables("tso_Latn", data_root=root)
    assert task == "sib200"
    assert variables["lang"] == "ts" and variables["sib200"] == "tso_Latn"
    assert variables["target"] == str(root / "sib200/tso_Latn/test.tsv")
    assert variables["lexicon_tsv"] == (f"{root / 'lexicons/gatitos-en-ts.tsv'} "
                                        f"{root / 'lexicons/wechsel-en-ts.tsv'}")
    assert variables["morph_args"] == f"--morph tso --unimorph {root / 'unimorph/tso'}"
    plan = plan_bootstrap("ts", data_root=root)
    lexicon = plan.get("lexicon")
    assert lexicon.paths == (root / "lexicons/gatitos-en-ts.tsv",
                             root / "lexicons/wechsel-en-ts.tsv")
    assert lexicon.others == ()  # every list found is used
    text = "\n".join(plan.describe())
    assert "lexicon: 2, merged in priority order (GATITOS before WECHSEL;" in text
    assert f"1. {root / 'lexicons/gatitos-en-ts.tsv'} (data root)" in text
    assert f"2. {root / 'lexicons/wechsel-en-ts.tsv'} (data root)" in text
    # Twi: GATITOS files it under the macrolanguage (ak), SIB-200 under twi_Latn; one list,
    # imported as before (no merge option).
    _, variables = bootstrap_variables("twi", data_root=root)
    assert variables["lang"] == "ak" and variables["sib200"] == "twi_Latn"
    assert variables["lexicon_tsv"] == str(root / "lexicons/gatitos-en-ak.tsv")
    assert "lexicon_args" not in variables
    # What is still missing is named with every path tried.
    uncatalogued(tmp_path, monkeypatch)
    with pytest.raises(LexiError, match="Ewe .*missing target, lexicon") as info:
        bootstrap_variables("ee", data_root=root, task="sib200")
    assert str(root / "sib200/ewe_Latn/test.tsv") in info.value.message
    assert str(root / "lexicons/gatitos-en-ee.tsv") in info.value.message


def test_several_lexicons_are_all_used_and_the_order_is_said(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = fake_root(tmp_path / "data")
    plan = plan_bootstrap("ln", data_root=root)
    assert plan.get("lexicon").paths == (root / "lexicons/gatitos-en-ln.tsv",
                                         root / "lexicons/wechsel-en-ln.tsv")
    assert "merged in priority order (languages.yml's order for ln;" in "\n".join(
        plan.describe())


def test_the_self_training_pool_is_found_given_or_left_out(tmp_path, monkeypatch, lexi_home):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = fake_root(tmp_path / "data")
    uncatalogued(tmp_path, monkeypatch)  # nothing from the catalog: only what is local
    # SIB-200: the language's train split beside its test split.
    train = root / "sib200/lin_Latn/train.tsv"
    train.write_text("index_id\tcategory\ttext\n1\tscience\tmai\n")
    _, variables = bootstrap_variables("ln", data_root=root)
    assert (variables["unlabelled"], variables["unlabelled_args"]) == (str(train), "")
    assert variables["sense_text_args"] == f"--sense-text {train}"
    plan = plan_bootstrap("ln", data_root=root)
    assert (f"  unlabelled: {train} (data root): one self-training round (its labels are "
            "never read)") in plan.describe()
    # --no-selftrain: none, and the recipe leaves its steps out.
    _, variables = bootstrap_variables("ln", data_root=root, selftrain=False)
    assert variables["unlabelled"] == variables["sense_text_args"] == ""
    result = bootstrap("ln", data_root=root, work=tmp_path / "ln", dry_run=True,
                       selftrain=False)
    assert [s.name for s in result.recipe.left_out] == [
        "selftrain", "train-selftrained", "soup", "selftrain2", "train-selftrained2", "soup2"]
    assert "  unlabelled: none (--no-selftrain: no self-training round)" in \
        result.plan.describe()
    # No train split and nothing catalogued: no pool (not the recipe's default path).
    train.unlink()
    assert bootstrap_variables("ln", data_root=root)[1]["unlabelled"] == ""
    # MASSIVE: the locale file, read for its train rows; a file without any is no pool.
    assert bootstrap_variables("sw", data_root=root)[1]["unlabelled"] == ""
    locale = root / "massive/sw-KE.partial.jsonl"
    locale.write_text('{"id": "1", "partition": "test"}\n{"id": "2", "partition": "train"}\n')
    _, variables = bootstrap_variables("sw", data_root=root)
    assert (variables["unlabelled"], variables["unlabelled_args"]) == (str(locale),
                                                                       "--split train")
    assert variables["sense_text_args"] == f"--sense-text {locale} --sense-text-split train"
    # --unlabelled FILE: read as it is (a path with a space is one shell word).
    pool = tmp_path / "my pool.txt"
    pool.write_text("habari\n")
    _, variables = bootstrap_variables("sw", data_root=root, given=Resources(unlabelled=pool))
    assert (variables["unlabelled"], variables["unlabelled_args"]) == (f"'{pool}'", "")
    result = bootstrap("sw", data_root=root, given=Resources(unlabelled=pool),
                       work=tmp_path / "sw", dry_run=True)
    assert result.recipe.step("selftrain").argv[2] == str(pool)
    # The synthesis reads the pool only when sense_args says so (and then as one word).
    assert str(pool) in result.recipe.step("synth").inputs
    assert "--sense-text" not in result.recipe.step("synth").argv
    weighed = bootstrap("sw", data_root=root, given=Resources(unlabelled=pool),
                        work=tmp_path / "sw", dry_run=True,
                        overrides={"sense_args": "${sense_text_args}"})
    argv = weighed.recipe.step("synth").argv
    assert argv[argv.index("--sense-text") + 1] == str(pool)
    assert result.recipe.step("selftrain").inputs == (str(pool), f"{tmp_path}/sw/runs/averaged-s13")


def lexicon_root(root: Path) -> Path:
    """A data root whose Lingala word lists hold real pairs (fake_root's are one "x")."""
    fake_root(root)
    (root / "lexicons/gatitos-en-ln.tsv").write_text("water\tmai\nhouse\tndako\n")
    (root / "lexicons/wechsel-en-ln.tsv").write_text("water\tmái\ndog\tmbwa\n")
    return root


def test_bootstrap_merges_every_lexicon_into_one_store(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = lexicon_root(tmp_path / "data")
    mine = tmp_path / "mine.tsv"
    mine.write_text("water\tmayi\n")
    work = tmp_path / "ln"
    result = bootstrap("ln", data_root=root, given=Resources(lexicon=(mine,)), work=work,
                       dry_run=True)
    gatitos, wechsel = root / "lexicons/gatitos-en-ln.tsv", root / "lexicons/wechsel-en-ln.tsv"
    step = result.recipe.step("lexicon")
    # The list given first, then the data root's in languages.yml's order; each an input.
    assert step.run == (f"lexi lexicon import tsv {mine} {gatitos} {wechsel} --merge priority "
                        f"--src en --tgt ln --overwrite -o {work}/lexicon.sqlite")
    assert step.inputs == (str(mine), str(gatitos), str(wechsel))
    # The lexicon step alone (nothing trains): one store, each word's senses from the
    # first list that has it.
    only = dataclasses.replace(result.recipe, steps=(step,))
    assert [o.status for o in run_recipe(only)] == ["ran"]
    view = load_lexicon(work / "lexicon.sqlite")
    assert [e.target for e in view.translations("water")] == ["mayi"]
    assert view.translations("house")[0].target == "ndako"
    assert view.translations("dog")[0].target == "mbwa"
    assert [name for name, _ in read_store_parts(work / "lexicon.sqlite")] == [
        str(mine), str(gatitos), str(wechsel)]
    # A change in any of the lists reruns the step.
    assert run_recipe(only, dry_run=True)[0].status == "would-skip"
    wechsel.write_text("water\tmái\ndog\tmbwa\ncat\tpaka\n")
    assert run_recipe(only, dry_run=True)[0].reason == f"input {wechsel} changed"


def test_one_lexicon_is_imported_as_before(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = other_root(tmp_path / "data")
    result = bootstrap("twi", data_root=root, work=tmp_path / "ak", dry_run=True)
    step = result.recipe.step("lexicon")
    gatitos = root / "lexicons/gatitos-en-ak.tsv"
    assert step.run == (f"lexi lexicon import tsv {gatitos} --src en --tgt ak --overwrite "
                        f"-o {tmp_path / 'ak'}/lexicon.sqlite")
    assert step.inputs == (str(gatitos),)
    assert "lexicon: " + str(gatitos) + " (data root)" in result.plan.describe()[4]


def test_cli_bootstrap_takes_several_lexicons_in_order(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = lexicon_root(tmp_path / "data")
    mine, other = tmp_path / "mine.tsv", tmp_path / "other.tsv"
    for path in (mine, other):
        path.write_text("water\tmayi\n")
    with pytest.raises(SystemExit) as info:
        main(["bootstrap", "ln", "--data-root", str(root), "--lexicon", str(mine), "-l",
              str(other), "--lexicon", str(root / "lexicons/wechsel-en-ln.tsv"),
              "-o", str(tmp_path / "w"), "-n"])
    assert info.value.code == 0
    err = " ".join(capsys.readouterr().err.split())
    # A list both given and found counts once, where it was given.
    assert ("lexicon: 4, merged in priority order (--lexicon first, then languages.yml's "
            "order for ln; a word's translations come from the first that has it):") in err
    assert (f"1. {mine} (--lexicon) 2. {other} (--lexicon) "
            f"3. {root / 'lexicons/wechsel-en-ln.tsv'} (--lexicon) "
            f"4. {root / 'lexicons/gatitos-en-ln.tsv'} (data root)") in err
    assert "--merge priority" in err
    with pytest.raises(SystemExit) as info:
        main(["bootstrap", "ln", "tr", "--data-root", str(root), "--lexicon", str(mine), "-n"])
    assert info.value.code == 2
    assert "--lexicon would be every language's" in capsys.readouterr().err


def test_dry_run_plans_the_whole_chain_with_the_shared_data(shared_data, tmp_path):
    result = bootstrap("sw", data_root=shared_data, work=tmp_path / "sw", dry_run=True)
    assert [o.status for o in result.outcomes] == ["would-run"] * 9
    synth = result.recipe.step("synth")
    assert "--morph swc" in synth.run and "sw-KE.partial.jsonl" in result.recipe.step("eval").run
    # The locale file's train split is the self-training pool; the test split is scored.
    pool = shared_data / "massive/sw-KE.partial.jsonl"
    assert result.recipe.step("selftrain").run.startswith(
        f"lexi selftrain {pool} --split train --run {tmp_path}/sw/runs/averaged-s13 ")
    assert f"--run=soup={tmp_path}/sw/runs/soup-s13 " in result.recipe.step("eval").run
    assert result.report == tmp_path / "sw" / "report"
    assert not (tmp_path / "sw").exists()


def test_lingala_with_the_shared_data_merges_gatitos_then_wechsel(shared_data, tmp_path):
    result = bootstrap("ln", data_root=shared_data, work=tmp_path / "ln", dry_run=True)
    lists = [str(shared_data / "lexicons" / f"{name}-en-ln.tsv")
             for name in ("gatitos", "wechsel")]
    step = result.recipe.step("lexicon")
    assert step.inputs == tuple(lists)
    assert step.run.startswith(f"lexi lexicon import tsv {' '.join(lists)} --merge priority ")


def test_cli_bootstrap_dry_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = fake_root(tmp_path / "data")
    with pytest.raises(SystemExit) as info:
        main(["bootstrap", "ln", "--data-root", str(root), "-o", str(tmp_path / "w"), "-n"])
    assert info.value.code == 0
    err = capsys.readouterr().err
    assert "would-run source" in err and "gatitos-en-ln.tsv" in err


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "plain"])
def test_cli_bootstrap_json_sends_the_steps_stdout_to_stderr(tmp_path, monkeypatch, as_json):
    """`lexi bootstrap LANG --json` asks the runner to send each step's stdout to stderr,
    so that stdout is the JSON document alone; without --json the steps keep stdout
    (the several-languages path: test_bootstrap_multi)."""
    import lexi.recipe.bootstrap as bootstrap_module

    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = fake_root(tmp_path / "data")
    asked: list[bool] = []

    def no_steps(*args, **kwargs):
        asked.append(args[6] if len(args) > 6 else kwargs["step_stdout_to_stderr"])
        raise LexiError("steps not run in this test")

    monkeypatch.setattr(bootstrap_module, "run_recipe", no_steps)
    with pytest.raises(SystemExit):
        main(["bootstrap", "ln", "--data-root", str(root), "-o", str(tmp_path / "w"),
              "--offline", "--no-selftrain", *(["--json"] if as_json else [])])
    assert asked == [as_json]


def test_cli_bootstrap_any_language_dry_run(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LEXI_DATA_ROOT", raising=False)
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    monkeypatch.chdir(tmp_path)
    given_files(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["bootstrap", "ee", "--task", "sib200", "--source", "eng_Latn/train.tsv",
              "--dev", "eng_Latn/dev.tsv", "--target", "ewe_Latn/test.tsv",
              "--lexicon", "en-ee.tsv", "-o", str(tmp_path / "w"), "--dry-run"])
    assert info.value.code == 0
    err = capsys.readouterr().err
    assert "Ewe (ee), task sib200" in err
    assert "lexicon: en-ee.tsv (--lexicon)" in err
    assert "would-run eval" in err and "ewe_Latn/test.tsv" in err
    assert not (tmp_path / "w").exists()
    with pytest.raises(SystemExit) as info:
        main(["bootstrap", "swahilli", "-n"])
    assert info.value.code == 2
    assert "did you mean Swahili (sw)?" in capsys.readouterr().err


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
    assert [r["name"] for r in metrics["runs"]] == ["baseline-s13", "augmented-s13",
                                                    "averaged-s13"]
    assert [g["name"] for g in metrics["groups"]] == ["baseline", "augmented", "averaged"]
    assert metrics["data"]["rows"] == 90
    assert "report: " in err and "averaged " in err and "gain (averaged − baseline):" in err
    # The gain is the point of the demo: synthetic Swahili beats English only, and the
    # recipe's model (the average of the two runs) keeps a gain.
    for run in metrics["runs"][1:]:
        gain = run["vs_baseline"][0]
        assert gain["metric"] == "accuracy" and gain["low"] > 0, run["name"]
    # A second run does nothing: every step is up to date.
    with pytest.raises(SystemExit):
        main(["bootstrap", "demo"])
    assert capsys.readouterr().err.count("skipped (unchanged)") == 7


def test_the_summary_adds_slot_f1_for_joint_runs():
    from lexi.recipe.bootstrap import BootstrapResult

    def score(mean, sd=None):
        return {"mean": mean, "sd": sd, "low": mean - 0.03, "high": mean + 0.03}

    def group(name, accuracy, slot_f1, gains=()):
        return {"name": name, "runs": [f"{name}-s13"],
                "metrics": {"accuracy": score(accuracy), "slot_f1": score(slot_f1)},
                "vs_baseline": [{"metric": m, "estimate": e, "low": e - 0.02, "high": e + 0.02}
                                for m, e in gains]}

    metrics = {"runs": [{"name": "baseline-s13", "warnings": []},
                        {"name": "averaged-s13", "warnings": []}],
               "groups": [group("baseline", 0.55, 0.343),
                          group("averaged", 0.635, 0.389,
                                [("accuracy", 0.085), ("slot_f1", 0.046)])]}
    lines = BootstrapResult(recipe=None, outcomes=[], report=None, metrics=metrics).summary()
    assert lines == [
        "baseline (baseline-s13): 55.0% accuracy [95% CI 52.0–58.0]; slot F1 34.3",
        "averaged (averaged-s13): 63.5% accuracy [95% CI 60.5–66.5]; slot F1 38.9",
        "gain (averaged − baseline): +8.5 points [95% CI +6.5 to +10.5]",
        "slot F1 gain (averaged − baseline): +4.6 points [95% CI +2.6 to +6.6]"]
