"""``lexi bootstrap LANG LANG ...``: one bootstrap per language, one English baseline, one
summary.

Every language runs its default recipe in ``OUT/<code>`` with ``baseline_dir`` pointed
at ``BASELINES/<task>-<model>-<digest>`` (:func:`lexi.recipe.bootstrap.baseline_key`),
so the English-only baseline of each seed is trained by the first language that needs it
and skipped (unchanged) by every other. A language that fails is recorded and the next
one runs. The summary (``summary.md``, ``summary.json``, ``summary.html`` in ``OUT``,
written by :mod:`lexi.recipe.summary`) has one row per language: baseline and averaged
accuracy (mean ± sd over the seeds, pooled interval), the gain with its interval, the
soup's after a self-training round (each language on its own pool,
:mod:`lexi.recipe.pool`), the warnings and the wall time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from lexi.errors import LexiError
from lexi.recipe.bootstrap import SOUPS, BootstrapResult, bootstrap, last_soup, model_group
from lexi.recipe.config import Recipe
from lexi.recipe.plan import BootstrapPlan, Resources
from lexi.resources.languages import resolve_language

DEFAULT_OUT = "lexi-langs"
BASELINES_DIR = "baselines"
OK, NOT_A_RESULT, FAILED = "ok", "not a result", "failed"
# Trained, not scored: the language has no test set anywhere (not a failure).
NO_TEST = "no test set"


@dataclass
class LanguageRun:
    """One language of a multi-language bootstrap: what it was, what happened, its scores.

    ``status`` is ``ok``, ``not a result`` (a run was flagged degenerate by the
    evaluation), ``no test set`` (trained, nothing to score it on) or ``failed``
    (``error`` says why: a missing resource, a failing step).
    ``baseline``/``augmented`` are the seed groups' accuracy (``mean``, ``sd`` (None for
    one seed), ``low``, ``high``, ``runs``, ``name``): the first group and the averaged
    model (``averaged``; in a recipe without one, its last group); ``gain`` the accuracy
    difference of their means with its interval. After a self-training round ``soup`` and
    ``soup_gain`` are the same for the soup (the second round's ``soup2`` after one; None
    without a round); ``model`` names the group that is the recipe's model (``soup2``,
    else ``soup`` when there is one, else ``averaged``).
    """

    query: str
    code: str | None = None
    name: str | None = None
    task: str | None = None
    test_set: str | None = None
    status: str = FAILED
    error: str | None = None
    seconds: float = 0.0
    work: str | None = None
    report: str | None = None
    baseline_dir: str | None = None
    seeds: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    baseline: dict | None = None
    augmented: dict | None = None
    gain: dict | None = None
    soup: dict | None = None
    soup_gain: dict | None = None
    model: str | None = None
    warnings: list[dict] = field(default_factory=list)
    timing: dict | None = None
    """Its bootstrap's wall time by step (:func:`lexi.recipe.timing.timing`); None when it
    failed before its recipe ran."""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})" if self.name else self.query

    def as_dict(self) -> dict:
        return {key: getattr(self, key) for key in self.__dataclass_fields__}


@dataclass
class MultiResult:
    """Every language's :class:`LanguageRun`, in the order given."""

    out: Path
    baselines: Path
    languages: list[LanguageRun]
    seconds: float = 0.0
    dry_run: bool = False

    def failed(self) -> list[LanguageRun]:
        """The languages that are not a result: failed, or flagged by the evaluation."""
        return [run for run in self.languages if run.status not in (OK, NO_TEST)]

    def as_dict(self) -> dict:
        return {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "out": str(self.out), "baselines": str(self.baselines),
            "seconds": round(self.seconds, 1),
            "seeds": sorted({s for run in self.languages for s in run.seeds}, key=_seed_key),
            "failed": [run.code or run.query for run in self.failed()],
            "languages": [run.as_dict() for run in self.languages],
        }


def read_langs_file(path: str | Path) -> list[str]:
    """Languages from a file: one or more per line (commas or spaces), ``#`` comments."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LexiError(f"cannot read the language list: {exc.strerror}", path=path) from None
    langs = [item for line in text.splitlines()
             for item in re.split(r"[,\s]+", line.split("#", 1)[0]) if item]
    if not langs:
        raise LexiError("the language list is empty", path=path,
                        hint="one language per line, e.g. sw, ln, tr")
    return langs


def bootstrap_many(
    langs: Iterable[str], out: str | Path = DEFAULT_OUT, task: str = "auto",
    data_root: str | Path | None = None, given: Resources | None = None,
    baselines: str | Path | None = None, overrides: dict[str, str] | None = None,
    force: list[str] | None = None, dry_run: bool = False, on_event=None,
    on_plan: Callable[[BootstrapPlan], None] | None = None,
    on_language: Callable[[int, int, str], None] | None = None,
    on_done: Callable[[LanguageRun], None] | None = None,
    catalog: str | Path | None = None, offline: bool = False, on_fetch=None,
    selftrain: bool = True, on_recipe: Callable[[Recipe], None] | None = None,
    step_stdout_to_stderr: bool = False,
) -> MultiResult:
    """Bootstrap every language of ``langs`` in turn (``OUT/<code>``), sharing one English
    baseline per task, model, training options and seed in ``baselines`` (default
    ``OUT/baselines``); returns every language's outcome and writes nothing else.

    A language that fails (unknown, a missing resource, a failing step) is recorded and
    the next one runs; ``KeyboardInterrupt`` stops the series. ``on_language(i, n,
    query)`` is called before each language, ``on_done(run)`` after it. ``catalog``,
    ``offline``, ``on_fetch``, ``selftrain``, ``on_recipe`` and ``step_stdout_to_stderr``:
    as for :func:`lexi.recipe.bootstrap.bootstrap` (each language finds its own unlabelled
    pool).
    """
    overrides = dict(overrides or {})
    for name in ("work", "baseline_dir"):
        if name in overrides:
            raise LexiError(f"--var {name}: set by lexi bootstrap for each language",
                            hint="-o DIR sets the folder of all languages, --baselines DIR "
                            "the shared baselines")
    given = given or Resources()
    own = [f"--{name}" for name in ("target", "lexicon", "unimorph", "unlabelled")
           if getattr(given, name) not in (None, ())]
    if own:
        raise LexiError(f"{', '.join(own)} would be every language's",
                        hint="with several languages their files are found in --data-root "
                        "(--source and --dev, the English side, may be given)")
    out = Path(out)
    baselines = Path(baselines) if baselines is not None else out / BASELINES_DIR
    queries = list(dict.fromkeys(langs))
    if not queries:
        raise LexiError("no language given", hint="e.g. lexi bootstrap sw ln tr")
    if "demo" in queries:
        raise LexiError("demo runs on its own data and on its own",
                        hint="lexi bootstrap demo")
    shared_ran: set[str] = set()
    seen: dict[str, str] = {}
    runs: list[LanguageRun] = []
    started_all = time.monotonic()
    for index, query in enumerate(queries, 1):
        if on_language is not None:
            on_language(index, len(queries), query)
        run = LanguageRun(query)
        started = time.monotonic()
        try:
            language = resolve_language(query)
            run.code, run.name = language.code, language.name
            if language.code in seen:
                raise LexiError(f"{query!r} is {language.name} ({language.code}), already "
                                f"run as {seen[language.code]!r}")
            seen[language.code] = query
            result = bootstrap(query, task, data_root, given, out / language.code, overrides,
                               force, dry_run, on_event, on_plan, baselines, shared_ran,
                               on_recipe, catalog=catalog, offline=offline, on_fetch=on_fetch,
                               selftrain=selftrain,
                               step_stdout_to_stderr=step_stdout_to_stderr)
            _record(run, result, dry_run)
        except LexiError as exc:
            run.status, run.error = FAILED, str(exc)
        except Exception as exc:  # noqa: BLE001 - one language must not stop the others
            run.status, run.error = FAILED, f"{type(exc).__name__}: {exc}"
        run.seconds = time.monotonic() - started
        runs.append(run)
        if on_done is not None:
            on_done(run)
    return MultiResult(out, baselines, runs, time.monotonic() - started_all, dry_run)


def _record(run: LanguageRun, result: BootstrapResult, dry_run: bool) -> None:
    """Fill ``run`` from a finished (or dry) bootstrap."""
    from lexi.recipe.timing import timing

    recipe, plan = result.recipe, result.plan
    run.timing = timing(result.outcomes, result.seconds)
    if plan is not None:
        run.task = plan.task
        run.test_set = {"massive": plan.locale, "sib200": plan.sib200}.get(plan.task)
    run.work = str(recipe.directory)
    run.report = str(result.report) if result.report else None
    run.baseline_dir = recipe.variables.get("baseline_dir")
    run.seeds = [s.value for s in recipe.steps_of("train-baseline") if s.value is not None]
    run.ran = [o.name for o in result.outcomes if o.status in ("ran", "would-run")]
    run.skipped = [o.name for o in result.outcomes if o.status in ("skipped", "would-skip")]
    metrics = result.metrics
    if dry_run:
        run.status = OK
        return
    if plan is not None and plan.until is not None:
        run.status = NO_TEST
        return
    if not metrics:
        run.status, run.error = FAILED, f"no evaluation found ({result.report}/metrics.json)"
        return
    groups = metrics.get("groups") or []
    if len(groups) >= 2:
        named = {group["name"]: group for group in groups}
        # The soup column holds the last round's soup (soup2 after a second round).
        soup = last_soup(groups)
        # `augmented` keeps what it always held: the averaged model (a recipe without
        # one: its last group that is not a soup).
        averaged = named.get("averaged") or [g for g in groups if g["name"] not in SOUPS][-1]
        run.baseline, run.augmented = _group(groups[0]), _group(averaged)
        run.gain = _accuracy_gain(averaged)
        if soup is not None:
            run.soup, run.soup_gain = _group(soup), _accuracy_gain(soup)
        run.model = model_group(groups)["name"]
    run.warnings = [{"run": r["name"], **w} for r in metrics.get("runs", [])
                    for w in r.get("warnings", [])]
    problems = result.problems()
    if problems:
        run.status, run.error = NOT_A_RESULT, "; ".join(problems)
    else:
        run.status = OK


def _accuracy_gain(group: dict) -> dict | None:
    return next((d for d in group["vs_baseline"] if d["metric"] == "accuracy"), None)


def _group(group: dict) -> dict:
    score = group["metrics"]["accuracy"]
    return {"name": group["name"], "runs": group["runs"], "mean": score["mean"],
            "sd": score["sd"], "low": score["low"], "high": score["high"],
            "per_run": score.get("per_run", [])}


def _seed_key(seed: str) -> tuple[int, str]:
    return (int(seed), "") if seed.isdigit() else (1 << 62, seed)
