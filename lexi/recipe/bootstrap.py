"""``lexi bootstrap LANG``: pick the default recipe and resources for a language
(:mod:`lexi.recipe.plan`), run it, and read the evaluation it ends with.

``demo`` runs ``recipes/demo.yml`` on the demo data lexi writes itself; any other ``LANG``
runs the recipe of the task its plan chose (``massive.yml`` or ``sib200.yml``).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lexi.errors import LexiError
from lexi.recipe.config import Recipe, load_recipe
from lexi.recipe.plan import BootstrapPlan, Resources, plan_bootstrap
from lexi.recipe.runner import StepOutcome, run_recipe


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

    def summary(self) -> list[str]:
        """One line per run group (baseline, augmented, averaged: accuracy, 95% intervals;
        with several seeds the groups' mean ± sd and pooled interval), then the gain of the
        recipe's model (the last group) over the baseline."""
        runs = self.metrics.get("runs", [])
        if len(runs) < 2 or self.problems():
            return []
        groups = self.metrics.get("groups") or [
            {"name": run["name"], "runs": [run["name"]], "vs_baseline": run["vs_baseline"],
             "metrics": {"accuracy": _as_group_score(run["metrics"]["accuracy"])}}
            for run in runs]
        base, final = groups[0], groups[-1]

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

        def gain_line(metric: str, what: str) -> list[str]:
            gain = next((d for d in final["vs_baseline"] if d["metric"] == metric), None)
            return [] if gain is None else [
                f"{what} ({final['name']} − {base['name']}): {100 * gain['estimate']:+.1f} "
                f"points [95% CI {100 * gain['low']:+.1f} to {100 * gain['high']:+.1f}]"]

        width = max(len(group["name"]) for group in groups)
        return [
            *(f"{group['name']:<{width}} ({', '.join(group['runs'])}): {acc(group)}"
              for group in groups),
            *gain_line("accuracy", "gain"), *gain_line("slot_f1", "slot F1 gain"),
        ]


def _as_group_score(interval: dict) -> dict:
    """A single run's accuracy interval in the shape of a group's (metrics.json before
    seed groups)."""
    return {"mean": interval["estimate"], "sd": None, "low": interval["low"],
            "high": interval["high"]}


def bootstrap_variables(
    lang: str, task: str = "auto", data_root: str | Path | None = None,
    given: Resources | None = None, work: str | Path | None = None,
) -> tuple[str, dict[str, str]]:
    """The recipe name and its variables for ``lang`` (``demo`` or any language)."""
    if lang == "demo":
        return "demo", ({"work": str(work)} if work else {})
    plan = plan_bootstrap(lang, task, data_root, given or Resources())
    plan.check()
    return plan.task, plan.variables(work)


def baseline_key(task: str, variables: dict[str, str]) -> str:
    """The folder name of a shared English-only baseline: the task, the model and a digest
    of what the baseline's training depends on besides the seed (English data, model,
    training options), so that one baseline serves every language that trains it alike
    and a different setting never overwrites it."""
    what = [task, *(variables.get(name, "") for name in ("source", "dev", "model",
                                                          "train_args", "task"))]
    digest = hashlib.sha256(json.dumps(what).encode()).hexdigest()[:10]
    model = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(variables.get("model", "")).name or "model")
    return f"{task}-{model.strip('-.') or 'model'}-{digest}"


def bootstrap(
    lang: str, task: str = "auto", data_root: str | Path | None = None,
    given: Resources | None = None, work: str | Path | None = None,
    overrides: dict[str, str] | None = None, force: list[str] | None = None,
    dry_run: bool = False, on_event=None,
    on_plan: Callable[[BootstrapPlan], None] | None = None,
    baselines: str | Path | None = None, shared_ran: set[str] | None = None,
    on_recipe: Callable[[Recipe], None] | None = None,
) -> BootstrapResult:
    """Run the default recipe for ``lang`` and read the evaluation it ends with;
    ``on_plan`` sees the language, task and resources before any step runs, ``on_recipe``
    the recipe (its folder: ``recipe.directory``).

    ``baselines`` is a folder for English-only baselines shared between languages: the
    recipe's ``baseline_dir`` becomes ``baselines/<task>-<model>-<digest>`` (see
    :func:`baseline_key`), so the baseline of each seed trains once for every language
    that runs with the same task, English data, model and training options.
    ``shared_ran`` is handed to :func:`run_recipe` (a shared step forced once per series).
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
        plan = plan_bootstrap(lang, task, data_root, given or Resources())
        plan.check()
        if on_plan is not None:
            on_plan(plan)
        recipe_name, variables = plan.task, plan.variables(work)
    variables.update(overrides)
    if baselines is not None:
        if "baseline_dir" in overrides:
            raise LexiError("--baselines and --var baseline_dir both say where the "
                            "baseline goes", hint="give one of them")
        recipe = load_recipe(recipe_name, variables)
        key = baseline_key(recipe_name, recipe.variables)
        variables["baseline_dir"] = str(Path(baselines) / key)
    recipe = load_recipe(recipe_name, variables)
    if on_recipe is not None:
        on_recipe(recipe)
    outcomes = run_recipe(recipe, force or [], dry_run, on_event, shared_ran=shared_ran)
    metrics: dict = {}
    if recipe.report and not dry_run:
        metrics_path = recipe.report / "metrics.json"
        if metrics_path.is_file():
            metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    return BootstrapResult(recipe, outcomes, recipe.report, metrics, plan,
                           time.monotonic() - started)
