"""``lexi bootstrap LANG``: pick the default recipe and resources for a language
(:mod:`lexi.recipe.plan`), fetch what the catalog has to supply into lexi's cache, run
the recipe, and read the evaluation it ends with.

``demo`` runs ``recipes/demo.yml`` on the demo data lexi writes itself; any other ``LANG``
runs the recipe of the task its plan chose (``massive.yml`` or ``sib200.yml``; without a
test set, ``sib200.yml`` up to its averaged model, or its soup: trained, not scored).

The recipe's model is the soup (the self-trained, augmented and baseline runs averaged)
when the run had an unlabelled pool (:mod:`lexi.recipe.pool`), else the averaged model:
:func:`model_group`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from lexi.errors import LexiError
from lexi.recipe.config import Recipe, load_recipe
from lexi.recipe.plan import BootstrapPlan, Resources, plan_bootstrap
from lexi.recipe.runner import StepOutcome, run_recipe
from lexi.resources.fetch import Progress
from lexi.resources.remote import Remote, obtain

# Called around each download: the context yields the progress callback (done, total).
OnFetch = Callable[[Remote], AbstractContextManager[Progress | None]]
# The soups of the self-training rounds, in round order: soup exists only when the recipe
# ran its round, soup2 only after a second one.
SOUPS = ("soup", "soup2")
# The seed groups that can be the recipe's model, the one preferred last.
MODELS = ("averaged", *SOUPS)


def last_soup(groups: list[dict]) -> dict | None:
    """The last round's soup among the evaluation's seed groups (None without a round)."""
    named = {group["name"]: group for group in groups}
    return next((named[name] for name in reversed(SOUPS) if name in named), None)


def model_group(groups: list[dict]) -> dict:
    """The recipe's model among the evaluation's seed groups: ``soup2`` after a second
    self-training round, else ``soup`` when there is one, else ``averaged``, else the last
    group (a recipe of other names)."""
    averaged = next((group for group in groups if group["name"] == "averaged"), None)
    return last_soup(groups) or averaged or groups[-1]


@dataclass
class BootstrapResult:
    """What ``lexi bootstrap`` did and found (``plan`` is None for the demo)."""

    recipe: Recipe
    outcomes: list[StepOutcome]
    report: Path | None
    metrics: dict = field(default_factory=dict)
    plan: BootstrapPlan | None = None
    seconds: float = 0.0
    """Wall time of the whole bootstrap (by step: :func:`lexi.recipe.timing.timing`)."""

    def problems(self) -> list[str]:
        """Why the evaluation is not a result: one line per degenerate run and reason."""
        return [f"{run['name']}: {w['message']}" for run in self.metrics.get("runs", [])
                for w in run.get("warnings", []) if w.get("degenerate")]

    def model(self) -> str | None:
        """The name of the recipe's model's group (:func:`model_group`); None before an
        evaluation."""
        groups = self.metrics.get("groups") or self.metrics.get("runs") or []
        return model_group(groups)["name"] if groups else None

    def summary(self) -> list[str]:
        """One line per run group (baseline, augmented, averaged, and selftrained and soup
        after a self-training round: accuracy, 95% intervals; with several seeds the groups'
        mean ± sd and pooled interval), then the gain over the baseline of the averaged
        model and of the soup, the recipe's model when there is one (:func:`model_group`)."""
        runs = self.metrics.get("runs", [])
        if len(runs) < 2 or self.problems():
            return []
        groups = self.metrics.get("groups") or [
            {"name": run["name"], "runs": [run["name"]], "vs_baseline": run["vs_baseline"],
             "metrics": {"accuracy": _as_group_score(run["metrics"]["accuracy"])}}
            for run in runs]
        base = groups[0]
        final = model_group(groups)
        # The averaged model's gain stays beside the soup's: what the round added.
        gains = [g for g in groups if g["name"] in MODELS and g is not final] + [final]

        def acc(group: dict) -> str:
            score = group["metrics"]["accuracy"]
            slots = group["metrics"].get("slot_f1")
            # Joint intent + slot runs (the massive recipe's --task auto) add their slot F1.
            also = "" if slots is None else (
                f"; slot F1 {100 * slots['mean']:.1f}" if slots.get("sd") is None else
                f"; slot F1 {100 * slots['mean']:.1f} ± {100 * slots['sd']:.1f}")
            if score.get("sd") is None:
                return (f"{100 * score['mean']:.1f}% accuracy "
                        f"[95% CI {100 * score['low']:.1f}–{100 * score['high']:.1f}]{also}")
            return (f"{100 * score['mean']:.1f} ± {100 * score['sd']:.1f}% accuracy over "
                    f"{len(group['runs'])} seeds [pooled 95% CI {100 * score['low']:.1f}–"
                    f"{100 * score['high']:.1f}]{also}")

        def gain_line(group: dict, metric: str, what: str) -> list[str]:
            gain = next((d for d in group["vs_baseline"] if d["metric"] == metric), None)
            return [] if gain is None else [
                f"{what} ({group['name']} − {base['name']}): {100 * gain['estimate']:+.1f} "
                f"points [95% CI {100 * gain['low']:+.1f} to {100 * gain['high']:+.1f}]"]

        width = max(len(group["name"]) for group in groups)
        return [
            *(f"{group['name']:<{width}} ({', '.join(group['runs'])}): {acc(group)}"
              for group in groups),
            *(line for group in gains for line in gain_line(group, "accuracy", "gain")),
            *(line for group in gains for line in gain_line(group, "slot_f1", "slot F1 gain")),
        ]


def _as_group_score(interval: dict) -> dict:
    """A single run's accuracy interval in the shape of a group's (metrics.json before
    seed groups)."""
    return {"mean": interval["estimate"], "sd": None, "low": interval["low"],
            "high": interval["high"]}


def bootstrap_variables(
    lang: str, task: str = "auto", data_root: str | Path | None = None,
    given: Resources | None = None, work: str | Path | None = None,
    catalog: str | Path | None = None, selftrain: bool = True,
) -> tuple[str, dict[str, str]]:
    """The task (``demo`` for the demo) and the recipe's variables for ``lang``; nothing
    is downloaded (a catalog file's variable is its place in the cache)."""
    if lang == "demo":
        return "demo", ({"work": str(work)} if work else {})
    plan = plan_bootstrap(lang, task, data_root, given or Resources(), catalog,
                          selftrain=selftrain)
    plan.check()
    return plan.task, plan.variables(work)


def fetch_plan(plan: BootstrapPlan, offline: bool = False,
               on_fetch: OnFetch | None = None) -> BootstrapPlan:
    """Bring every catalog file of ``plan`` into the cache (``on_fetch`` shows each
    download's progress); the plan with those files marked as fetched."""
    plan.check(offline)
    pending = plan.pending()
    pool = plan.get("unlabelled").remotes
    for remote in pending:
        try:
            with (on_fetch(remote) if on_fetch else nullcontext(None)) as progress:
                obtain(remote, offline=offline, progress=progress)
        except LexiError as exc:
            if remote not in pool:
                raise
            # The pool is optional: say how to run without it.
            raise LexiError(f"{exc.message} (the self-training pool)", path=exc.path,
                            hint=f"{exc.hint + '; ' if exc.hint else ''}or --no-selftrain "
                            "to run without a self-training round") from exc
    return plan.fetched() if pending else plan


# Stand-ins for the seed and the baseline folder when a recipe is loaded only to read the
# commands of its shared baseline steps (:func:`baseline_key`).
_ANY_SEED = "SEED"
_ANY_FOLDER = "BASELINE_DIR"


def baseline_key(recipe_name: str | Path, variables: dict[str, str]) -> str:
    """The folder name of a shared English-only baseline: the task (the recipe's name), the
    model and a digest of the commands of the recipe's baseline steps (those whose
    ``state:`` is ``${baseline_dir}``), written for any seed and any folder, so that one
    baseline serves every language whose baseline commands are the same and a different
    setting (data, model, training options, the baseline's own budget) never overwrites
    it."""
    probe = load_recipe(recipe_name, {**variables, "seeds": _ANY_SEED,
                                      "baseline_dir": _ANY_FOLDER})
    commands = [step.run for step in probe.steps if step.state == Path(_ANY_FOLDER)]
    if not commands:
        raise LexiError(f"recipe {recipe_name} has no step with state: ${{baseline_dir}}",
                        hint="a shared baseline needs the recipe to say which steps it is")
    task = Path(str(recipe_name)).stem
    digest = hashlib.sha256(json.dumps([task, *commands]).encode()).hexdigest()[:10]
    model = re.sub(r"[^A-Za-z0-9_.-]+", "-",
                   Path(probe.variables.get("model", "")).name or "model")
    return f"{task}-{model.strip('-.') or 'model'}-{digest}"


def bootstrap(
    lang: str, task: str = "auto", data_root: str | Path | None = None,
    given: Resources | None = None, work: str | Path | None = None,
    overrides: dict[str, str] | None = None, force: list[str] | None = None,
    dry_run: bool = False, on_event=None,
    on_plan: Callable[[BootstrapPlan], None] | None = None,
    baselines: str | Path | None = None, shared_ran: set[str] | None = None,
    on_recipe: Callable[[Recipe], None] | None = None,
    catalog: str | Path | None = None, offline: bool = False,
    on_fetch: OnFetch | None = None, selftrain: bool = True,
    step_stdout_to_stderr: bool = False,
) -> BootstrapResult:
    """Run the default recipe for ``lang`` and read the evaluation it ends with;
    ``on_plan`` sees the language, task and resources before anything is fetched or run,
    ``on_recipe`` the recipe (its folder: ``recipe.directory``).

    Resources neither given nor in the data root come from lexi's cache or are fetched
    from ``catalog`` (default ``$LEXI_CATALOG`` or lexi's) before the first step, each
    download shown through ``on_fetch`` (:func:`fetch_plan`); ``offline`` never touches
    the network (a file missing from the cache is an error naming its URL and where to
    put it), and a dry run downloads nothing. Without a test set the recipe runs up to
    its averaged model (its soup, with a pool) and the result has no metrics.
    ``selftrain=False`` (``--no-selftrain``) leaves out the self-training round even when
    there is an unlabelled pool.

    ``baselines`` is a folder for English-only baselines shared between languages: the
    recipe's ``baseline_dir`` becomes ``baselines/<task>-<model>-<digest>`` (see
    :func:`baseline_key`), so the baseline of each seed trains once for every language
    that runs with the same task, English data, model and training options.
    ``shared_ran`` is handed to :func:`run_recipe` (a shared step forced once per series),
    as is ``step_stdout_to_stderr`` (the steps' stdout to stderr, for JSON on stdout).
    """
    started = time.monotonic()
    overrides = dict(overrides or {})
    plan = None
    if lang == "demo":
        if baselines is not None:
            raise LexiError("the demo trains its own baseline on its own data",
                            hint="leave out --baselines (and run demo on its own)")
        recipe_name, variables = bootstrap_variables(lang, work=work)
    else:
        plan = plan_bootstrap(lang, task, data_root, given or Resources(), catalog,
                              selftrain=selftrain, offline=offline)
        plan.check(offline)
        if on_plan is not None:
            on_plan(plan)
        if not dry_run:
            plan = fetch_plan(plan, offline, on_fetch)
        recipe_name, variables = plan.recipe, plan.variables(work)
    variables.update(overrides)
    if baselines is not None:
        if "baseline_dir" in overrides:
            raise LexiError("--baselines and --var baseline_dir both say where the "
                            "baseline goes", hint="give one of them")
        key = baseline_key(recipe_name, variables)
        variables["baseline_dir"] = str(Path(baselines) / key)
    recipe = load_recipe(recipe_name, variables)
    if on_recipe is not None:
        on_recipe(recipe)
    until = plan.until if plan is not None else None
    if until is not None:  # no evaluation, but a pool (--unlabelled): the rounds still run
        until = next((name for name in reversed(SOUPS) if recipe.steps_of(name)), until)
    # (A pool with no confident row does not stop the run: the recipes' selftrain step
    # writes an empty file with --allow-empty.)
    outcomes = run_recipe(recipe, force or [], dry_run, on_event, until, shared_ran,
                          step_stdout_to_stderr)
    metrics: dict = {}
    if until is not None:  # no evaluation ran: there is no report to read
        return BootstrapResult(recipe, outcomes, None, metrics, plan,
                               time.monotonic() - started)
    if recipe.report and not dry_run:
        metrics_path = recipe.report / "metrics.json"
        if metrics_path.is_file():
            metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    return BootstrapResult(recipe, outcomes, recipe.report, metrics, plan,
                           time.monotonic() - started)
