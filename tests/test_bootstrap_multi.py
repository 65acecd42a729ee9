"""Seed groups in the recipes and `lexi bootstrap` over several languages, end to end on a
toy data root and a tiny random BERT.

The recipe runner normally starts each `lexi` step as a subprocess; here the steps run in
this interpreter (`inprocess` below: the same argv through `lexi.cli.main.main`), so the
real commands train, synthesise and evaluate without importing torch once per step.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.tiny_bert import build_tiny_model, toy_rows  # noqa: E402

from lexi.cli.main import main  # noqa: E402
from lexi.errors import LexiError  # noqa: E402
from lexi.recipe import runner  # noqa: E402
from lexi.recipe.bootstrap import BootstrapResult, baseline_key, bootstrap  # noqa: E402
from lexi.recipe.config import load_recipe  # noqa: E402
from lexi.recipe.multilang import (  # noqa: E402
    FAILED,
    NOT_A_RESULT,
    OK,
    LanguageRun,
    MultiResult,
    _record,
    bootstrap_many,
    read_langs_file,
)
from lexi.recipe.plan import Resources  # noqa: E402
from lexi.recipe.summary import summary_lines, summary_markdown, write_summary  # noqa: E402

# Learns the toy intents in a few dozen steps (dev accuracy well above chance), so no run
# is flagged as degenerate.
TRAIN_ARGS = "--epochs 4 --lr 1e-2 --batch-size 8 --max-length 32 --device cpu --threads 1"
LEXICON = "wake\tamsha\nalarm\tkengele\nweather\thali\nrain\tmvua\nplay\tcheza\nmusic\tmuziki\n"


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """A data root like the reference data (MASSIVE en-US, sw-KE, tr-TR and fr-FR test
    sets, word lists; the French one broken) and a tiny model."""
    root = tmp_path_factory.mktemp("multi")
    data = root / "data"
    _write_jsonl(data / "massive" / "en-US.jsonl", toy_rows())
    for locale in ("sw-KE", "tr-TR", "fr-FR"):
        rows = [dict(r, locale=locale, partition="test") for r in toy_rows(seed=1)]
        _write_jsonl(data / "massive" / f"{locale}.jsonl", rows)
    (data / "lexicons").mkdir()
    (data / "lexicons" / "wechsel-en-sw.tsv").write_text(LEXICON)
    (data / "lexicons" / "wechsel-en-tr.tsv").write_text(LEXICON)
    (data / "lexicons" / "wechsel-en-fr.tsv").write_text("no tab on this line\n")
    return {"root": root, "data": data, "model": build_tiny_model(root / "model")}


@pytest.fixture
def inprocess(monkeypatch) -> list[list[str]]:
    """Run the recipe's `lexi` steps in this process; returns the argv of each step run."""
    calls: list[list[str]] = []
    real_run = runner.run_step_command

    def run(argv: list[str], env: dict[str, str], stdout_to_stderr: bool = False) -> int:
        # Only the runner's lexi steps change; any other program runs as it would.
        if argv[:3] != [sys.executable, "-m", "lexi.cli.main"]:
            return real_run(argv, env, stdout_to_stderr)
        calls.append(list(argv[3:]))
        # As the real runner does for --json: what the step prints on stdout goes to stderr.
        to_stderr = (contextlib.redirect_stdout(sys.stderr) if stdout_to_stderr
                     else contextlib.nullcontext())
        with monkeypatch.context() as step_env, to_stderr:
            for name in ("LEXI_RECIPE_STEP", "LEXI_ERROR_FILE"):
                step_env.setenv(name, env[name])
            try:
                main(list(argv[3:]))
            except SystemExit as exc:
                return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return 0

    monkeypatch.setattr(runner, "run_step_command", run)
    monkeypatch.setenv("UNIMORPH", "/nonexistent")
    return calls


def tiny_vars(world, **more: str) -> dict[str, str]:
    return {"model": str(world["model"]), "train_args": TRAIN_ARGS, **more}


def trainings(calls: list[list[str]]) -> list[str]:
    """The -o folder of every `lexi train` that ran."""
    return [argv[argv.index("-o") + 1] for argv in calls if argv[0] == "train"]


def test_seeds_make_groups_in_the_evaluation_and_skip_per_seed(world, inprocess, tmp_path):
    work = tmp_path / "sw"
    result = bootstrap("sw", data_root=world["data"], work=work,
                       overrides=tiny_vars(world, seeds="13,14"))
    ran = [o.name for o in result.outcomes if o.status == "ran"]
    assert ran == ["lexicon", "synth", "train-baseline@13", "train-baseline@14",
                   "train-augmented@13", "train-augmented@14", "average@13",
                   "average@14", "eval"]
    assert sorted(trainings(inprocess)) == sorted(
        f"{work}/runs/{kind}-s{seed}" for kind in ("baseline", "augmented") for seed in (13, 14))
    metrics = result.metrics
    groups = {g["name"]: g for g in metrics["groups"]}
    assert groups["baseline"]["runs"] == ["baseline-s13", "baseline-s14"]
    assert groups["augmented"]["runs"] == ["augmented-s13", "augmented-s14"]
    for group in groups.values():
        accuracy = group["metrics"]["accuracy"]
        assert len(accuracy["per_run"]) == 2 and accuracy["sd"] is not None
        assert accuracy["low"] <= accuracy["mean"] <= accuracy["high"]
    assert [d["metric"] for d in groups["augmented"]["vs_baseline"]][0] == "accuracy"
    assert not result.problems()
    lines = result.summary()
    assert lines[0].startswith("baseline  (baseline-s13, baseline-s14): ")
    assert "± " in lines[0] and "over 2 seeds" in lines[0]
    assert lines[2].startswith("averaged  (averaged-s13, averaged-s14): ")
    assert lines[3].startswith("gain (averaged − baseline): ")
    assert len(lines) == 4 and "slot F1" not in "".join(lines)  # the toy rows mark no slot
    # Seeds taken together with seeds alone: a third seed trains only that seed.
    inprocess.clear()
    more = bootstrap("sw", data_root=world["data"], work=work,
                     overrides=tiny_vars(world, seeds="13,14,15"))
    assert [o.name for o in more.outcomes if o.status == "ran"] == [
        "train-baseline@15", "train-augmented@15", "average@15", "eval"]
    assert len(more.metrics["groups"][0]["runs"]) == 3
    inprocess.clear()
    again = bootstrap("sw", data_root=world["data"], work=work,
                      overrides=tiny_vars(world, seeds="13,14,15"))
    assert {o.status for o in again.outcomes} == {"skipped"} and inprocess == []


def test_several_languages_share_one_baseline_and_one_summary(
        world, inprocess, tmp_path, capsys, monkeypatch):
    out = tmp_path / "langs"
    langs = tmp_path / "langs.txt"
    langs.write_text("# the languages of this run\nsw\nfr  # broken word list\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["bootstrap", "tr", "--langs-from", str(langs), "--data-root", str(world["data"]),
              "-o", str(out), "-v", f"model={world['model']}", "-v", f"train_args={TRAIN_ARGS}",
              "--json"])
    assert info.value.code == 1  # French failed
    captured = capsys.readouterr()
    err = captured.err
    # With --json stdout is the summary alone: the run folders `lexi train` printed went to
    # stderr (`bootstrap ... --json > summary.json` must be valid JSON).
    printed = json.loads(captured.out)
    assert [run["code"] for run in printed["languages"]] == ["tr", "sw", "fr"]
    assert f"{out / 'tr' / 'runs' / 'augmented-s13'}\n" in err.splitlines(keepends=True)

    # The English baseline was trained once, for the first language, and reused.
    baselines = trainings([a for a in inprocess if str(out / "baselines") in " ".join(a)])
    assert len(baselines) == 1 and baselines[0].endswith("/runs/baseline-s13")
    assert len(list((out / "baselines").glob("*/runs/baseline-s*"))) == 1
    summary = json.loads((out / "summary.json").read_text())
    runs = {run["code"]: run for run in summary["languages"]}
    assert [run["code"] for run in summary["languages"]] == ["tr", "sw", "fr"]
    assert "train-baseline@13" in runs["tr"]["ran"]
    assert "train-baseline@13" in runs["sw"]["skipped"]
    assert runs["tr"]["baseline_dir"] == runs["sw"]["baseline_dir"]
    for code in ("tr", "sw"):
        metrics = json.loads((out / code / "report" / "metrics.json").read_text())
        assert metrics["runs"][0]["run"] == baselines[0]
        assert runs[code]["status"] == OK and runs[code]["task"] == "massive"
        assert runs[code]["baseline"]["mean"] > 0 and runs[code]["gain"]["metric"] == "accuracy"
        assert runs[code]["seconds"] > 0 and runs[code]["seeds"] == ["13"]
    # The failing language is named, with why, and did not stop the one after it.
    assert runs["fr"]["status"] == FAILED and "step lexicon failed" in runs["fr"]["error"]
    assert "wechsel-en-fr.tsv: no entries read" in runs["fr"]["error"]  # the step's own error
    assert summary["failed"] == ["fr"]
    markdown = (out / "summary.md").read_text()
    for name in ("Turkish (tr)", "Swahili (sw)", "French (fr)"):
        assert name in markdown
    assert "## Not a result" in markdown and "- French (fr): failed: " in markdown
    html = (out / "summary.html").read_text()
    assert html.count("<tr") == 4 and "Swahili (sw)" in html and 'class="bad"' in html
    assert "1 of 3 languages are not a result" in err and "summary.md" in err
    assert "Swahili (sw), massive (sw-KE), 1 seed, " in err and "  baseline " in err

    # A second run does nothing but rewrite the summary; French fails again.
    inprocess.clear()
    with pytest.raises(SystemExit) as info:
        main(["bootstrap", "tr", "sw", "fr", "--data-root", str(world["data"]), "-o", str(out),
              "-v", f"model={world['model']}", "-v", f"train_args={TRAIN_ARGS}"])
    assert info.value.code == 1
    assert [argv[0] for argv in inprocess] == ["lexicon"]  # French's, failing again
    # Forcing the baseline retrains it once for the series, not once per language.
    inprocess.clear()
    result = bootstrap_many(["tr", "sw"], out, data_root=world["data"],
                            overrides=tiny_vars(world), force=["train-baseline"])
    assert [r.status for r in result.languages] == [OK, OK]
    assert len([t for t in trainings(inprocess) if "baselines" in t]) == 1
    assert "train-baseline@13" in result.languages[1].skipped


def test_languages_file_dry_run_and_refused_variables(world, tmp_path, capsys):
    langs = tmp_path / "langs.txt"
    langs.write_text("sw, tr   # two on a line\n\n# comment only\nSwahili\n")
    assert read_langs_file(langs) == ["sw", "tr", "Swahili"]
    with pytest.raises(LexiError, match="the language list is empty"):
        (tmp_path / "empty.txt").write_text("# nothing\n")
        read_langs_file(tmp_path / "empty.txt")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main(["bootstrap", "--langs-from", str(langs), "--data-root", str(world["data"]),
              "-o", str(out), "-n"])
    err = capsys.readouterr().err
    assert info.value.code == 1  # Swahili twice: the second spelling is refused
    assert "Swahili (sw), task massive" in err and "Turkish (tr), task massive" in err
    assert err.count(f"{out}/baselines/massive-default-") >= 2
    assert "already run as 'sw'" in err
    assert not out.exists()  # a dry run writes nothing, not even the summary
    with pytest.raises(LexiError, match="--var work"):
        bootstrap_many(["sw", "tr"], out, data_root=world["data"], overrides={"work": "x"})
    with pytest.raises(LexiError, match="demo runs on its own"):
        bootstrap_many(["demo", "sw"], out)
    with pytest.raises(LexiError, match="--lexicon would be every language's"):
        bootstrap_many(["sw", "tr"], out, given=Resources(lexicon=langs))


def test_baseline_key_names_task_model_and_settings():
    base = {"data_root": "d", "source": "d/en-US.jsonl", "model": "default",
            "train_args": "--epochs 1", "work": "w-sw", "seeds": "13"}
    key = baseline_key("massive", base)
    assert key.startswith("massive-default-")
    # Not the language, its folder, the seeds or anything only the other runs use.
    for same in ({"work": "w-tr", "lang": "tr", "locale": "tr-TR"}, {"seeds": "14,15"},
                 {"epochs": "3", "adapt_args": "--lr 1e-3", "ops": "translate,inflect"}):
        assert baseline_key("massive", dict(base, **same)) == key, same
    assert baseline_key("sib200", base) != key
    # Everything the baseline's own command holds names a different baseline: the
    # options of every run, the baseline's own budget (massive's baseline_epochs), the
    # task, the data, and settings no one listed by hand.
    for other in ({"train_args": "--epochs 2"}, {"baseline_epochs": "2"}, {"task": "intent"},
                  {"source": "d/other.jsonl"}, {"dev": "d/dev.jsonl"}):
        assert baseline_key("massive", dict(base, **other)) != key, other
    assert baseline_key("massive", dict(base, model="/x/tiny model/")).startswith(
        "massive-tiny-model-")


def test_baseline_key_follows_a_recipes_own_baseline_variables(tmp_path):
    # A user's recipe whose baseline reads a variable of its own: the key follows it, and
    # a variable only the other steps read leaves it alone.
    recipe = tmp_path / "mine.yml"
    recipe.write_text("""vars:
  seeds: "13"
  work: w
  baseline_dir: ${work}
  model: default
  extra: "--max-length 64"
  other: "a"
steps:
  - name: train-baseline
    foreach: train_seed in ${seeds}
    state: ${baseline_dir}
    run: >
      lexi train --model ${model} ${extra} --seed ${train_seed}
      -o ${baseline_dir}/runs/b-s${train_seed}
    outputs:
      - ${baseline_dir}/runs/b-s${train_seed}
  - name: train-other
    run: lexi train --model ${model} ${other} -o ${work}/runs/o
    outputs:
      - ${work}/runs/o
""")
    key = baseline_key(recipe, {})
    assert key.startswith("mine-default-")
    assert baseline_key(recipe, {"extra": "--max-length 128"}) != key
    assert baseline_key(recipe, {"other": "b", "work": "elsewhere", "seeds": "14"}) == key
    no_shared = tmp_path / "plain.yml"
    no_shared.write_text(recipe.read_text().replace("    state: ${baseline_dir}\n", ""))
    with pytest.raises(LexiError, match="no step with state"):
        baseline_key(no_shared, {})


def test_summary_flags_degenerate_runs_and_failures(tmp_path):
    score = {"mean": 0.5, "sd": 0.02, "low": 0.45, "high": 0.55, "runs": ["a", "b"]}
    good = LanguageRun("sw", "sw", "Swahili", "massive", "sw-KE", OK, seconds=312,
                       seeds=["13", "14"], baseline=score, augmented=dict(score, mean=0.6),
                       gain={"metric": "accuracy", "estimate": 0.1, "low": 0.05,
                             "high": 0.15, "p_value": 0.0})
    flagged = LanguageRun("ln", "ln", "Lingala", "sib200", "lin_Latn", NOT_A_RESULT,
                          error="augmented-s13: predicts 'x' for 204 of 204 test rows",
                          seconds=4000, seeds=["13", "14"], warnings=[
                              {"run": "augmented-s13", "code": "one-label",
                               "message": "predicts 'x' for 204 of 204 test rows",
                               "degenerate": True},
                              {"run": "baseline-s13", "code": "smoke-run",
                               "message": "only 2 optimizer steps", "degenerate": False}])
    failed = LanguageRun("xx", error="unknown language 'xx'", seconds=0.2)
    result = MultiResult(tmp_path, tmp_path / "baselines", [good, flagged, failed], 4312.2)
    assert result.failed() == [flagged, failed]
    text = summary_markdown(result)
    row = next(line for line in text.splitlines() if line.startswith("| Swahili"))
    assert "| 50.0 ± 2.0 [45.0, 55.0] | 60.0 ± 2.0 [45.0, 55.0] | +10.0 [+5.0, +15.0] |" in row
    assert "| 5 min 12 s | ok |" in row
    lingala = next(line for line in text.splitlines() if line.startswith("| Lingala"))
    assert "NOT A RESULT: augmented-s13: predicts" in lingala
    assert lingala.index("NOT A RESULT") < lingala.index("baseline-s13: only 2")
    assert "1 h 06 min" in lingala
    assert "- xx: failed: unknown language 'xx'" in text
    assert "3 languages, 1 with a result; 2 training seeds (13, 14)" in text
    lines = summary_lines(result)
    assert lines[0] == "Swahili (sw), massive (sw-KE), 2 seeds, 5 min 12 s: ok"
    assert lines[1] == ("  baseline 50.0 ± 2.0 [45.0, 55.0], augmented 60.0 ± 2.0 [45.0, 55.0], "
                        "gain +10.0 [+5.0, +15.0]")
    assert lines[2].startswith("Lingala (ln), sib200 (lin_Latn), 2 seeds, 1 h 06 min: "
                               "not a result: augmented-s13: predicts")
    assert lines[3:5] == ["  NOT A RESULT: augmented-s13: predicts 'x' for 204 of 204 test rows",
                          "  note: baseline-s13: only 2 optimizer steps"]
    assert lines[5] == "xx, 0 s: failed: unknown language 'xx'"
    paths = write_summary(result)
    assert json.loads(paths["json"].read_text())["failed"] == ["ln", "xx"]
    assert "NOT A RESULT" in paths["html"].read_text()


def _score(mean: float) -> dict:
    return {"mean": mean, "sd": None, "low": mean - 0.03, "high": mean + 0.03,
            "per_run": [mean]}


def _groups(*names_means: tuple[str, float]) -> list[dict]:
    base = names_means[0][1]
    return [{"name": name, "runs": [f"{name}-s13"], "metrics": {"accuracy": _score(mean)},
             "vs_baseline": [] if name == "baseline" else [
                 {"metric": "accuracy", "estimate": mean - base, "low": mean - base - 0.02,
                  "high": mean - base + 0.02}]}
            for name, mean in names_means]


def test_the_soup_is_the_recipes_model_beside_the_averaged_one(tmp_path):
    recipe = load_recipe("sib200", {"work": str(tmp_path / "ln")})
    groups = _groups(("baseline", 0.721), ("augmented", 0.691), ("averaged", 0.740),
                     ("selftrained", 0.716), ("soup", 0.765))
    metrics = {"runs": [{"name": g["runs"][0], "warnings": []} for g in groups],
               "groups": groups}
    result = BootstrapResult(recipe, [], tmp_path / "ln" / "report", metrics)
    assert result.model() == "soup"
    lines = result.summary()
    assert lines[-2:] == ["gain (averaged − baseline): +1.9 points [95% CI -0.1 to +3.9]",
                          "gain (soup − baseline): +4.4 points [95% CI +2.4 to +6.4]"]
    run = LanguageRun("ln", "ln", "Lingala")
    _record(run, result, dry_run=False)
    # `augmented` and `gain` keep what they held (the averaged model); the soup is added.
    assert (run.augmented["name"], run.soup["name"], run.model) == ("averaged", "soup", "soup")
    assert round(run.gain["estimate"], 3) == 0.019 and round(run.soup_gain["estimate"], 3) == 0.044
    assert set(run.as_dict()) >= {"baseline", "augmented", "gain", "soup", "soup_gain", "model"}
    # Without a round: no soup, the averaged model is the recipe's, the table as before.
    plain = LanguageRun("sw", "sw", "Swahili")
    without = dict(metrics, groups=groups[:3], runs=metrics["runs"][:3])
    _record(plain, BootstrapResult(recipe, [], None, without), dry_run=False)
    assert (plain.soup, plain.model) == (None, "averaged")
    assert "soup accuracy" not in summary_markdown(MultiResult(tmp_path, tmp_path, [plain]))
    both = MultiResult(tmp_path, tmp_path / "baselines", [run, plain])
    text = summary_markdown(both)
    assert ("| baseline accuracy | averaged accuracy | gain (points) | soup accuracy | "
            "soup gain (points) |") in text
    assert "| 74.0 [71.0, 77.0] | +1.9 [-0.1, +3.9] | 76.5 [73.5, 79.5] | +4.4 [+2.4, +6.4] |" \
        in text
    assert "| +1.9 [-0.1, +3.9] | — | — |" in text  # Swahili: no round, no soup
    assert summary_lines(both)[1].endswith("; soup 76.5 [73.5, 79.5], gain +4.4 [+2.4, +6.4]")


def test_after_a_second_round_its_soup_is_the_recipes_model(tmp_path):
    recipe = load_recipe("massive", {"work": str(tmp_path / "sw"), "second_round": "yes"})
    groups = _groups(("baseline", 0.55), ("augmented", 0.665), ("averaged", 0.648),
                     ("selftrained", 0.678), ("soup", 0.675), ("selftrained2", 0.663),
                     ("soup2", 0.673))
    metrics = {"runs": [{"name": g["runs"][0], "warnings": []} for g in groups],
               "groups": groups}
    result = BootstrapResult(recipe, [], tmp_path / "sw" / "report", metrics)
    # soup2 is the model even where round 1's soup scored higher: the choice is the
    # recipe's, made before the test set is read.
    assert result.model() == "soup2"
    assert result.summary()[-3:] == [
        "gain (averaged − baseline): +9.8 points [95% CI +7.8 to +11.8]",
        "gain (soup − baseline): +12.5 points [95% CI +10.5 to +14.5]",
        "gain (soup2 − baseline): +12.3 points [95% CI +10.3 to +14.3]"]
    run = LanguageRun("sw", "sw", "Swahili")
    _record(run, result, dry_run=False)
    assert (run.augmented["name"], run.soup["name"], run.model) == (
        "averaged", "soup2", "soup2")
    assert round(run.soup_gain["estimate"], 3) == 0.123


def test_each_language_self_trains_on_its_own_pool(tmp_path, monkeypatch):
    data = tmp_path / "data"
    for rel in ("sib200/eng_Latn/train.tsv", "sib200/eng_Latn/dev.tsv",
                "sib200/lin_Latn/test.tsv", "sib200/lin_Latn/train.tsv",
                "sib200/tso_Latn/test.tsv", "lexicons/gatitos-en-ln.tsv",
                "lexicons/gatitos-en-ts.tsv"):
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).write_text("x\n")
    catalog = tmp_path / "empty-catalog.yml"  # nothing fetched: only the data root's files
    catalog.write_text("sources: {}\n")
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    recipes = {}
    result = bootstrap_many(["ln", "ts"], tmp_path / "out", data_root=data, dry_run=True,
                            catalog=catalog,
                            on_recipe=lambda r: recipes.setdefault(r.variables["lang"], r))
    assert [r.status for r in result.languages] == [OK, OK]
    assert recipes["ln"].step("selftrain").argv[2] == str(data / "sib200/lin_Latn/train.tsv")
    assert "soup@13" in result.languages[0].ran
    assert [s.name for s in recipes["ts"].left_out] == [
        "selftrain", "train-selftrained", "soup", "selftrain2", "train-selftrained2", "soup2"]
    assert not any(name.startswith("soup") for name in result.languages[1].ran)
    quiet = bootstrap_many(["ln"], tmp_path / "out", data_root=data, dry_run=True,
                           catalog=catalog, selftrain=False)
    assert not any(name.startswith("selftrain") for name in quiet.languages[0].ran)
