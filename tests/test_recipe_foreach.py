"""Recipe steps expanded per value (`foreach:`), `${outputs:STEP}`, and records kept in a
shared state folder (`state:`): cheap commands, a real runner, real subprocesses."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from lexi.cli.main import main
from lexi.errors import LexiError
from lexi.recipe.config import load_recipe
from lexi.recipe.runner import STATE_FILE, run_recipe, shell_script

# `python tool.py OUT WORDS...` writes WORDS to OUT: a step that costs milliseconds.
TOOL = """\
import sys
from pathlib import Path
out = Path(sys.argv[1])
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(" ".join(sys.argv[2:]) + "\\n")
"""

RECIPE = """\
vars:
  seeds: "13"
  work: WORK
  shared: ${work}
  tool: PYTHON TOOL
directory: ${work}
steps:
  - name: data
    run: ${tool} ${shared}/data.txt english
    state: ${shared}
    outputs:
      - ${shared}/data.txt
  - name: train
    help: seed ${train_seed}
    foreach: train_seed in ${seeds}
    state: ${shared}
    run: ${tool} ${shared}/runs/base-s${train_seed} trained with seed ${train_seed}
    inputs:
      - ${shared}/data.txt
    outputs:
      - ${shared}/runs/base-s${train_seed}
  - name: report
    run: ${tool} ${work}/report.txt --run base=${outputs:train}
    inputs:
      - ${outputs:train}
    outputs:
      - ${work}/report.txt
"""


def write_recipe(tmp_path: Path, text: str = RECIPE, name: str = "r.yml") -> Path:
    tool = tmp_path / "tool.py"
    tool.write_text(TOOL)
    path = tmp_path / name
    path.write_text(text.replace("WORK", str(tmp_path / "work"))
                    .replace("PYTHON", sys.executable).replace("TOOL", str(tool)))
    return path


def statuses(outcomes) -> dict[str, str]:
    return {o.name: o.status for o in outcomes}


def test_foreach_expands_one_step_per_value(tmp_path):
    recipe = load_recipe(write_recipe(tmp_path), {"seeds": "13, 14 15"})
    work = tmp_path / "work"
    assert [s.name for s in recipe.steps] == [
        "data", "train@13", "train@14", "train@15", "report"]
    assert recipe.names() == ["data", "train", "report"]
    train = recipe.steps_of("train")
    assert [(s.group, s.value, s.help) for s in train] == [
        ("train", "13", "seed 13"), ("train", "14", "seed 14"), ("train", "15", "seed 15")]
    assert train[1].run.endswith(f"{work}/runs/base-s14 trained with seed 14")
    assert train[1].outputs == (f"{work}/runs/base-s14",)
    # ${outputs:train}: comma-joined in the command, one entry each in inputs.
    runs = [f"{work}/runs/base-s{seed}" for seed in (13, 14, 15)]
    report = recipe.step("report")
    assert report.run.endswith(f"--run base={','.join(runs)}")
    assert report.inputs == tuple(runs)
    with pytest.raises(LexiError, match="expanded into 3 steps"):
        recipe.step("train")
    assert recipe.step("train@14") is train[1]
    # A single value is one expansion; the script shows every expanded step.
    one = load_recipe(write_recipe(tmp_path))
    assert [s.name for s in one.steps_of("train")] == ["train@13"]
    assert one.step("train").name == "train@13"
    script = shell_script(recipe)
    assert script.count("trained with seed") == 3 and "# train@15: seed 15" in script


def test_skip_force_and_until_work_per_expanded_step(tmp_path):
    path = write_recipe(tmp_path)
    work = tmp_path / "work"
    two = load_recipe(path, {"seeds": "13,14"})
    assert statuses(run_recipe(two)) == dict.fromkeys(
        ("data", "train@13", "train@14", "report"), "ran")
    assert (work / "report.txt").read_text() == (
        f"--run base={work}/runs/base-s13,{work}/runs/base-s14\n")
    assert set(statuses(run_recipe(two)).values()) == {"skipped"}

    # A third seed trains only that seed; the report (new command, new input) reruns.
    three = load_recipe(path, {"seeds": "13,14,15"})
    outcomes = run_recipe(three)
    assert statuses(outcomes) == {"data": "skipped", "train@13": "skipped",
                                  "train@14": "skipped", "train@15": "ran", "report": "ran"}
    assert outcomes[-1].reason == "command changed"
    state = json.loads((work / STATE_FILE).read_text())
    assert {"train@13", "train@14", "train@15"} <= set(state["steps"])

    # A deleted run of one seed reruns that expansion only; it writes the same bytes,
    # so the report stays skipped (make-like, by content).
    (work / "runs" / "base-s14").unlink()
    outcomes = run_recipe(three)
    assert statuses(outcomes)["train@14"] == "ran"
    assert [o.name for o in outcomes if o.status == "ran"] == ["train@14"]
    assert outcomes[2].reason == f"output {work}/runs/base-s14 is missing"

    # --force STEP forces every expansion, --force STEP@VALUE one; --until STEP stops
    # after its last expansion.
    forced = run_recipe(three, force=["train"], until="train")
    assert statuses(forced) == {"data": "skipped", "train@13": "ran", "train@14": "ran",
                                "train@15": "ran"}
    forced = run_recipe(three, force=["train@15"])
    assert [o.name for o in forced if o.status == "ran"] == ["train@15"]
    with pytest.raises(LexiError, match="no step named train@16"):
        run_recipe(three, force=["train@16"])
    planned = run_recipe(three, force=["train@13"], dry_run=True)
    assert statuses(planned)["train@13"] == "would-run"
    assert "rewritten by an earlier step" in planned[-1].reason


def test_records_in_a_shared_state_folder_are_seen_by_another_recipe(tmp_path):
    shared = tmp_path / "english"
    first = load_recipe(write_recipe(tmp_path), {"shared": str(shared),
                                                 "work": str(tmp_path / "sw")})
    second = load_recipe(write_recipe(tmp_path), {"shared": str(shared),
                                                  "work": str(tmp_path / "tr")})
    assert first.step("train").state == shared
    assert statuses(run_recipe(first)) == dict.fromkeys(("data", "train@13", "report"), "ran")
    # The shared steps are recorded beside their outputs, not in the recipe's state.
    assert set(json.loads((shared / STATE_FILE).read_text())["steps"]) == {"data", "train@13"}
    assert set(json.loads((tmp_path / "sw" / STATE_FILE).read_text())["steps"]) == {"report"}
    # Another recipe (another work folder) finds them done.
    assert statuses(run_recipe(second)) == {"data": "skipped", "train@13": "skipped",
                                            "report": "ran"}
    # Forced in a row of recipes, a shared step runs once (shared_ran), the others' not.
    done: set[str] = set()
    assert statuses(run_recipe(first, force=["all"], shared_ran=done)) == dict.fromkeys(
        ("data", "train@13", "report"), "ran")
    assert len(done) == 2
    assert statuses(run_recipe(second, force=["all"], shared_ran=done)) == {
        "data": "skipped", "train@13": "skipped", "report": "ran"}


@pytest.mark.parametrize("change, message", [
    (("foreach: train_seed in ${seeds}", "foreach: work in ${seeds}"),
     "foreach variable 'work' is also a recipe variable"),
    (("foreach: train_seed in ${seeds}", "foreach: ${seeds}"), "must read 'NAME in LIST'"),
    (('seeds: "13"', 'seeds: " , "'), "foreach over an empty list"),
    (('seeds: "13"', 'seeds: "13,14,13"'), "lists '13' twice"),
    (('seeds: "13"', 'seeds: "13 a/b"'), "'a/b' cannot name a step"),
    (("base=${outputs:train}", "base=${outputs:nope}"), "no earlier step is named 'nope'"),
    (("    run: ${tool} ${shared}/data.txt english",
      "    run: ${tool} ${shared}/data.txt ${outputs:report}"),
     "no earlier step is named 'report'"),
    (('  shared: ${work}', '  shared: ${outputs:data}'), "only allowed in a step"),
    (("    run: ${tool} ${shared}/data.txt english",
      "    run: ${tool} ${shared}/data.txt ${train_seed}"), r"undefined variable \$\{train_seed\}"),
    (("      - ${outputs:train}", "      - ${outputs:train}${outputs:data}"),
     "at most one"),
])
def test_foreach_and_outputs_errors_name_the_line(tmp_path, change, message):
    path = write_recipe(tmp_path, RECIPE.replace(*change))
    with pytest.raises(LexiError, match=message) as info:
        load_recipe(path)
    assert info.value.path == str(path)
    assert info.value.line is not None


@pytest.mark.parametrize("name, shared_steps", [
    ("massive", ["train-baseline"]), ("sib200", ["source", "dev", "train-baseline"])])
def test_builtin_recipes_take_seeds_and_a_baseline_folder(tmp_path, name, shared_steps):
    base = tmp_path / "baselines"
    recipe = load_recipe(name, {"seeds": "13,14,15", "work": str(tmp_path / "w"),
                                "baseline_dir": str(base)})
    baseline = recipe.steps_of("train-baseline")
    assert [s.name for s in baseline] == [f"train-baseline@{s}" for s in (13, 14, 15)]
    assert [s.name for s in recipe.steps_of("train-augmented")] == [
        f"train-augmented@{s}" for s in (13, 14, 15)]
    assert "--seed 14" in baseline[1].run
    assert baseline[1].outputs == (f"{base}/runs/baseline-s14",)
    assert [s.group for s in recipe.steps if s.state == base] == shared_steps + [
        "train-baseline"] * 2
    runs = [f"{base}/runs/baseline-s{s}" for s in (13, 14, 15)]
    eval_step = recipe.step("eval")
    assert f"--run baseline={','.join(runs)} " in eval_step.run
    augmented = [f"{tmp_path}/w/runs/augmented-s{s}" for s in (13, 14, 15)]
    assert f"--run augmented={','.join(augmented)} " in eval_step.run
    assert set(runs + augmented) <= set(eval_step.inputs)
    soup = recipe.steps_of("soup")[1]
    assert "--weights" not in soup.run and soup.run.index("selftrained-s14") < soup.run.index(
        "augmented-s14") < soup.run.index("baseline-s14")  # the order --weights follows
    no_baseline = load_recipe(name, {"soup_args": "--weights 1,1,0", "work": str(tmp_path / "w")})
    assert "--weights 1,1,0 --overwrite" in no_baseline.steps_of("soup")[0].run
    # synth_args reach the synth command (the language's own variable expanded in it).
    ordered = load_recipe(name, {"synth_args": "--word-order ${lang}", "lang": "ln",
                                 "work": str(tmp_path / "w")})
    assert " --word-order ln --ops " in ordered.step("synth").run
    assert "--word-order" not in recipe.step("synth").run
    # One language on its own: the English side is in the work folder, one state file.
    alone = load_recipe(name, {"work": str(tmp_path / "w")})
    assert all(s.state in (None, tmp_path / "w") for s in alone.steps)
    assert alone.step("train-baseline").outputs == (f"{tmp_path}/w/runs/baseline-s13",)


# A pool-dependent step (`when:`) between the training and the report, as the built-in
# recipes' self-training steps are.
OPTIONAL = RECIPE.replace('''  - name: report
    run: ${tool} ${work}/report.txt --run base=${outputs:train}
    inputs:
      - ${outputs:train}
''', '''  - name: extra
    foreach: train_seed in ${seeds}
    when: ${pool}
    run: ${tool} ${work}/runs/extra-s${train_seed} from ${pool}
    inputs:
      - ${outputs:train}
    outputs:
      - ${work}/runs/extra-s${train_seed}
  - name: report
    run: >
      ${tool} ${work}/report.txt --run base=${outputs:train} --run=extra=${outputs:extra}
      "--note=extra runs: ${outputs:extra}" --end
    inputs:
      - ${outputs:train}
      - ${outputs:extra}
''').replace('  seeds: "13"\n', '  seeds: "13"\n  pool: ""\n')


@pytest.mark.parametrize("pool, kept", [
    ("", False), ("pool.txt", True), ("No", False), ("off", False), ("0", False),
    ("FALSE", False), ("yes", True)])
def test_when_leaves_a_step_and_every_expansion_out(tmp_path, pool, kept):
    recipe = load_recipe(write_recipe(tmp_path, OPTIONAL), {"seeds": "13,14", "pool": pool})
    work = tmp_path / "work"
    extra = [f"{work}/runs/extra-s{seed}" for seed in (13, 14)]
    report = recipe.step("report")
    if kept:
        assert [s.name for s in recipe.steps_of("extra")] == ["extra@13", "extra@14"]
        assert recipe.left_out == ()
        assert f" --run=extra={','.join(extra)} " in report.run
        assert f"'--note=extra runs: {','.join(extra)}'" in shlex.join(report.argv)
        assert report.inputs[-2:] == tuple(extra)
        return
    assert recipe.names() == ["data", "train", "report"]
    assert [(s.name, s.reason) for s in recipe.left_out] == [
        ("extra", "when: ${pool} is " + (repr(pool) if pool else "empty"))]
    # Every shell word naming it goes, quoted or not, option and all; the rest stays.
    runs = ",".join(f"{work}/runs/base-s{seed}" for seed in (13, 14))
    assert report.argv[-4:] == [f"{work}/report.txt", "--run", f"base={runs}", "--end"]
    assert report.inputs == tuple(f"{work}/runs/base-s{seed}" for seed in (13, 14))


def test_a_left_out_step_is_said_and_the_rest_runs(tmp_path, capsys):
    path = write_recipe(tmp_path, OPTIONAL)
    work = tmp_path / "work"
    recipe = load_recipe(path)
    assert statuses(run_recipe(recipe)) == dict.fromkeys(("data", "train@13", "report"), "ran")
    assert (work / "report.txt").read_text() == f"--run base={work}/runs/base-s13 --end\n"
    # Listings show it in its place; --force names it harmlessly, --until says why not.
    assert [getattr(s, "reason", s.name) for s in recipe.listing()] == [
        "data", "train@13", "when: ${pool} is empty", "report"]
    script = shell_script(recipe)
    assert script.index("# train@13") < script.index(
        "# extra: left out (when: ${pool} is empty)") < script.index("# report")
    assert set(statuses(run_recipe(recipe, force=["extra"])).values()) == {"skipped"}
    with pytest.raises(LexiError, match=r"'extra' is left out of this run \(when: "):
        run_recipe(recipe, until="extra")
    with pytest.raises(SystemExit) as info:
        main(["recipe", "show", str(path)])
    assert info.value.code == 0
    assert "│ extra    │ left out: when: ${pool} is" in capsys.readouterr().err
    # Given a pool, the step runs and the report (new command) reruns.
    with_pool = load_recipe(path, {"pool": "pool.txt"})
    assert statuses(run_recipe(with_pool)) == {"data": "skipped", "train@13": "skipped",
                                               "extra@13": "ran", "report": "ran"}
    assert "--run=extra=" in (work / "report.txt").read_text()


@pytest.mark.parametrize("change, message", [
    # A step that never existed stays an error, with a step left out or not.
    (("--run=extra=${outputs:extra}", "--run=extra=${outputs:nope}"),
     "no earlier step is named 'nope'"),
    # A step left out later in the file is not an earlier step either.
    (("${tool} ${work}/runs/extra-s${train_seed} from ${pool}",
      "${tool} ${work}/runs/extra-s${train_seed} ${outputs:report}"),
     "no earlier step is named 'report'"),
    (("    when: ${pool}", "    when: ${train_seed}"), r"undefined variable \$\{train_seed\}"),
    (("  - name: report", "  - name: extra"), "two steps are named 'extra'"),
])
def test_when_errors(tmp_path, change, message):
    with pytest.raises(LexiError, match=message):
        load_recipe(write_recipe(tmp_path, OPTIONAL.replace(*change)))


SECOND_ROUND = ["selftrain2", "train-selftrained2", "soup2"]


@pytest.mark.parametrize("name", ["massive", "sib200"])
def test_builtin_recipes_self_train_only_with_a_pool(tmp_path, name):
    variables = {"seeds": "13,14", "work": str(tmp_path / "w")}
    without = load_recipe(name, {**variables, "unlabelled": ""})
    assert [s.name for s in without.left_out] == [
        "selftrain", "train-selftrained", "soup", *SECOND_ROUND]
    evaluation = without.step("eval")
    assert "selftrained" not in evaluation.run and "soup" not in evaluation.run
    assert [s.group for s in without.steps][-2:] == ["average", "eval"]
    pooled = load_recipe(name, {**variables, "unlabelled": "pool.tsv"})
    # The second round is off by default: its steps are left out, saying why.
    assert [(s.name, s.reason) for s in pooled.left_out] == [
        (step, "when: ${second_round} is empty") for step in SECOND_ROUND]
    names = pooled.names()
    assert names[names.index("average"):] == [
        "average", "selftrain", "train-selftrained", "soup", "eval"]
    work = tmp_path / "w"
    selftrain = pooled.step("selftrain@14")
    assert selftrain.argv[:2] == ["lexi", "selftrain"] and selftrain.argv[2] == "pool.tsv"
    kept = {"sib200": "--threshold 0.9 --max-per-label 100",  # 7 topics
            "massive": "--threshold 0.3 --max-per-label 40"}[name]  # 60 intents
    assert f"--run {work}/runs/averaged-s14 {kept} --allow-empty" \
        in selftrain.run
    assert selftrain.outputs == (f"{work}/pseudo-s14.jsonl",)
    # The augmented run's command, plus the pseudo-labelled rows.
    augmented = pooled.step("train-augmented@14").argv
    retrained = pooled.step("train-selftrained@14").argv
    pseudo = retrained.index(f"{work}/pseudo-s14.jsonl")
    assert retrained[pseudo - 1] == "--data"
    assert retrained[:pseudo - 1] + retrained[pseudo + 1:] == [
        a.replace("augmented-s14", "selftrained-s14") for a in augmented]
    soup = pooled.step("soup@14").argv
    assert "--weights" not in soup  # uniform
    assert [soup[i + 1].rsplit("/", 1)[-1] for i, a in enumerate(soup) if a == "-r"] == [
        "selftrained-s14", "augmented-s14", "baseline-s14"]
    # The evaluation adds two groups; without a pool it is the command it was before.
    runs = ",".join(f"{work}/runs/soup-s{seed}" for seed in (13, 14))
    assert f" --run=soup={runs} " in pooled.step("eval").run
    assert pooled.step("eval").run.replace(
        f" --run=selftrained={runs.replace('soup', 'selftrained')} --run=soup={runs}",
        "") == evaluation.run


@pytest.mark.parametrize("name", ["massive", "sib200"])
def test_builtin_recipes_run_a_second_round_on_request(tmp_path, name):
    work = tmp_path / "w"
    variables = {"seeds": "13,14", "work": str(work), "unlabelled": "pool.tsv"}
    one = load_recipe(name, variables)
    two = load_recipe(name, {**variables, "second_round": "yes"})
    assert two.left_out == ()
    names = two.names()
    assert names[names.index("soup"):] == ["soup", *SECOND_ROUND, "eval"]
    # The round-1 soup labels the same pool with the same filter, as round 2.
    first, second = one.step("selftrain@14").argv, two.step("selftrain2@14").argv
    assert second[second.index("--run") + 1] == f"{work}/runs/soup-s14"
    assert second[second.index("-o") + 1] == f"{work}/pseudo2-s14.jsonl"
    assert [a for a in second if a not in ("--round", "2")] == [
        a.replace("averaged-s14", "soup-s14").replace("pseudo-s14", "pseudo2-s14")
        for a in first]
    assert two.step("selftrain2@14").inputs[-1] == f"{work}/runs/soup-s14"
    # Round 2's run is round 1's with the round-2 rows in place of round 1's.
    assert two.step("train-selftrained2@14").argv == [
        a.replace("pseudo-s14", "pseudo2-s14").replace("selftrained-s14", "selftrained2-s14")
        for a in one.step("train-selftrained@14").argv]
    soup2 = two.step("soup2@14").argv
    assert "--weights" not in soup2  # uniform over the four runs
    assert [soup2[i + 1].rsplit("/", 1)[-1] for i, a in enumerate(soup2) if a == "-r"] == [
        "selftrained2-s14", "selftrained-s14", "augmented-s14", "baseline-s14"]
    # The evaluation adds both groups; off, it is the one-round command.
    runs = ",".join(f"{work}/runs/soup2-s{seed}" for seed in (13, 14))
    evaluation = two.step("eval")
    assert f" --run=soup2={runs} " in evaluation.run
    assert set(runs.split(",")) <= set(evaluation.inputs)
    assert evaluation.run.replace(
        f" --run=selftrained2={runs.replace('soup2', 'selftrained2')} --run=soup2={runs}",
        "") == one.step("eval").run
    # Asked for without a pool, there is nothing to label: all six steps are left out.
    alone = load_recipe(name, {**variables, "unlabelled": "", "second_round": "yes"})
    assert [s.name for s in alone.left_out][-3:] == SECOND_ROUND
    assert alone.left_out[-1].reason == "when: ${unlabelled} is empty"


def test_when_takes_a_list_that_must_all_be_on(tmp_path):
    both = OPTIONAL.replace("    when: ${pool}", '    when: ["${pool}", "${also}"]').replace(
        '  pool: ""\n', '  pool: ""\n  also: "yes"\n')
    path = write_recipe(tmp_path, both)
    assert load_recipe(path, {"pool": "p.txt"}).names() == ["data", "train", "extra", "report"]
    for values, reason in [({"pool": ""}, "when: ${pool} is empty"),
                           ({"pool": "p.txt", "also": "off"}, "when: ${also} is 'off'")]:
        recipe = load_recipe(path, values)
        assert recipe.names() == ["data", "train", "report"]
        assert [s.reason for s in recipe.left_out] == [reason]
    with pytest.raises(LexiError, match="when must be a string"):
        load_recipe(write_recipe(tmp_path, OPTIONAL.replace(
            "    when: ${pool}", "    when: [{a: 1}]")))
