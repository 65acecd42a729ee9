"""``lexi bootstrap LANG``: pick the default recipe and resources for a language, run it.

``demo`` runs ``recipes/demo.yml`` on the demo data lexi writes itself. Any other ``LANG``
is resolved to one language (``lexi.resources.languages``: an ISO 639 code, BCP-47 tag,
MASSIVE locale, SIB-200 code or English name). Resources come from the explicit options
first, then the data root (``--data-root`` / ``$LEXI_DATA_ROOT``, laid out like lexi's
reference data), then the UniMorph folder (``$UNIMORPH``); file names are derived from the
resolved identity, not only from ``languages.yml``. The task is MASSIVE when the language
has a MASSIVE locale and its test file was given or found, else SIB-200.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import langcodes

from lexi.errors import LexiError
from lexi.recipe.config import Recipe, load_recipe
from lexi.recipe.runner import StepOutcome, run_recipe
from lexi.resources.data_root import (
    DATA_ROOT_ENV,
    Discovery,
    data_root_path,
    discover,
    lexicon_names,
)
from lexi.resources.languages import (
    KNOWN_RESOURCES_FILE,
    Language,
    load_known_resources,
    resolve_language,
)

LANGUAGES_FILE = KNOWN_RESOURCES_FILE  # lexi's known resources per language
TASKS = ("auto", "massive", "sib200")
# What each recipe cannot run without (MASSIVE's dev split is the English source's).
REQUIRED = {"massive": ("source", "target", "lexicon"),
            "sib200": ("source", "dev", "target", "lexicon")}
RESOURCES = ("source", "dev", "target", "lexicon", "unimorph")

@dataclass(frozen=True)
class Resources:
    """Paths a bootstrap run reads (``None``: not given and not found)."""

    source: Path | None = None
    dev: Path | None = None
    target: Path | None = None
    lexicon: Path | None = None
    unimorph: Path | None = None


@dataclass(frozen=True)
class Found:
    """One resource of a run: the path taken, where it came from (``--lexicon``, ``data
    root``, ``$UNIMORPH``), what was looked at, and other candidates that exist."""

    name: str
    path: Path | None
    origin: str = ""
    tried: tuple[str, ...] = ()
    others: tuple[Path, ...] = ()
    rule: str = ""


@dataclass(frozen=True)
class BootstrapPlan:
    """The language, the task (and why), and every resource, before anything runs."""

    language: Language
    task: str
    why: str
    root: Path | None
    found: tuple[Found, ...]
    sib200: str | None = None
    locale: str | None = None

    def get(self, name: str) -> Found:
        return next(f for f in self.found if f.name == name)

    def missing(self) -> list[Found]:
        return [self.get(name) for name in REQUIRED[self.task] if self.get(name).path is None]

    def heading(self) -> str:
        lang = self.language
        return f"{lang.name} ({lang.code}), task {self.task}: {self.why}"

    def check(self) -> None:
        """``LexiError`` naming each missing resource and the options and paths tried."""
        missing = self.missing()
        if not missing:
            return
        names = [f.name for f in missing]
        detail = "; ".join(f"{f.name}: tried {', '.join(f.tried)}" for f in missing)
        if self.root is None:
            detail += f"; no data root (--data-root or ${DATA_ROOT_ENV})"
        options = " ".join(f"--{name} PATH" for name in names)
        hint = f"pass {options}" + ("" if self.root else
                                    f", or --data-root DIR (or ${DATA_ROOT_ENV})")
        if "lexicon" in names and (fetch := _fetch_hint(self.language)):
            hint += f"; {fetch}"
        raise LexiError(f"{self.heading()} — missing {', '.join(names)} ({detail})",
                        hint=hint)

    def variables(self, work: str | Path | None = None) -> dict[str, str]:
        """The recipe's variables (call :meth:`check` first)."""
        lang = self.language
        path = {f.name: f.path for f in self.found}
        variables = {
            "lang": lang.code,
            "source": str(path["source"]), "dev": str(path["dev"] or path["source"]),
            "target": str(path["target"]), "lexicon_tsv": str(path["lexicon"]),
        }
        if self.task == "massive":
            variables["locale"] = str(self.locale)
        else:
            variables["sib200"] = str(self.sib200)
        if path["unimorph"]:
            # The table is handed to synth so that `-v ops=translate,inflect` can use it;
            # the recipe's default ops stay what measured best (docs/results.md: on MASSIVE
            # sw-KE, translate alone +8.6 points, adding inflect or codeswitch lost most).
            code = _unimorph_code(lang, path["unimorph"])
            variables["unimorph"] = str(path["unimorph"])
            variables["morph_args"] = f"--morph {code} --unimorph {path['unimorph']}"
        if work:
            variables["work"] = str(work)
        return variables

    def describe(self) -> list[str]:
        """What was taken from where, for the progress output and ``--dry-run``."""
        lines = [self.heading()]
        for f in self.found:
            if f.path is None:
                if f.name == "unimorph":
                    lines.append(f"  unimorph: none (inflect unavailable; tried "
                                 f"{', '.join(f.tried)})")
                continue
            text = f"  {f.name}: {f.path} ({f.origin})"
            if f.others:
                text += (f"; taken: the first of {len(f.others) + 1} found ({f.rule}); "
                         "also: " + ", ".join(str(p) for p in f.others))
            lines.append(text)
        lines += [f"  note: {note}" for note in self.language.notes]
        return lines


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


def load_languages(path: Path = LANGUAGES_FILE) -> dict[str, Language]:
    """Every language of ``languages.yml``, resolved, by its key."""
    return {code: resolve_language(code) for code in load_known_resources(path)}


def find_language(query: str) -> Language:
    """The language for any code, tag, locale, SIB-200 code or name (``LexiError``
    listing the candidates when there is none or more than one)."""
    return resolve_language(query)


def _fetch_hint(language: Language) -> str:
    """``lexi fetch SOURCE --lang CODE`` for the catalog's lexicons of the language."""
    try:
        from lexi.resources.catalog import read_catalog

        catalog = read_catalog()
    except LexiError:
        return ""
    # The sources in the order lexi prefers their word lists (languages.yml's, then
    # GATITOS before WECHSEL), then the rest of the catalog's.
    preferred = [name.split("-en-")[0] for name in lexicon_names(language)]
    order = {source: rank for rank, source in enumerate(dict.fromkeys(preferred))}
    sources = sorted(catalog.values(), key=lambda s: order.get(s.id, len(order)))
    fetches = [f"lexi fetch {source.id} --lang {code}" for source in sources
               if not source.any_language for code in language.codes
               if code in source.languages]
    return f"`{fetches[0]}` downloads one" if fetches else ""


def _unimorph_code(language: Language, path: Path) -> str:
    """The code for ``synth --morph``: the table's own name when it is one of the
    language's codes (unimorph/swc, ~/.unimorph/swc/swc), else the known one."""
    for name in (path.name, path.parent.name):
        if name in language.codes or name == language.unimorph:
            return name
    return language.unimorph or language.iso3


def _given(name: str, path: Path | None) -> Path | None:
    if path is not None and not path.exists():
        raise LexiError(f"--{name} {path}: no such file or folder",
                        hint=f"give an existing path, or leave --{name} out to look in "
                        "the data root")
    return path


def _choose_task(task: str, language: Language, given: Resources,
                 found: Discovery) -> tuple[str, str]:
    """The task and why: MASSIVE when a MASSIVE locale exists and its test file was given
    or found, else SIB-200 (a TSV given as --target or --source is SIB-200's format)."""
    locale = language.massive
    if task == "massive":
        if not locale and given.target is None and not found.massive_test.found:
            raise LexiError(f"MASSIVE has no locale for {language.name}",
                            hint="use --task sib200, or pass --target FILE (MASSIVE jsonl)")
        return "massive", "--task massive"
    if task == "sib200":
        return "sib200", "--task sib200"
    tsv = [f"--{n}" for n in ("target", "source") if getattr(given, n) is not None
           and getattr(given, n).suffix == ".tsv"]
    if tsv:
        return "sib200", f"{tsv[0]} is a TSV (SIB-200's format)"
    if locale and given.target is not None:
        return "massive", f"MASSIVE locale {locale}, test file given"
    if found.massive_test.found:
        return "massive", f"MASSIVE test file {found.massive_test.found[0].name} found"
    if locale:
        where = (", ".join(str(p) for p in found.massive_test.tried) if found.root
                 else "no data root")
        return "sib200", f"MASSIVE has {locale} but its test file was not given or found " \
                         f"({where})"
    return "sib200", f"MASSIVE has no locale for {language.name}"


def _pick(name: str, given: Path | None, found: tuple[Path, ...], tried: tuple[Path, ...],
          root: Path | None, rule: str = "") -> Found:
    """The given path, else the first found (``rule`` says why it comes first)."""
    looked = (f"--{name}", *(str(p) for p in tried))
    if given is not None:
        return Found(name, given, f"--{name}", looked)
    if not found:
        return Found(name, None, "", looked)
    first = found[0]
    origin = "data root" if root is not None and first.is_relative_to(root) else "$UNIMORPH"
    return Found(name, first, origin, looked, tuple(found[1:]), rule if found[1:] else "")


def plan_bootstrap(
    lang: str, task: str = "auto", data_root: str | Path | None = None,
    given: Resources = Resources(),
) -> BootstrapPlan:
    """Resolve ``lang``, choose the task and find every resource; nothing runs."""
    if task not in TASKS:
        raise LexiError(f"unknown task {task!r}", hint=f"one of {', '.join(TASKS)}")
    language = find_language(lang)
    if language.iso3 == "eng":
        raise LexiError("English is the source language of every recipe",
                        hint="give the target language, e.g. sw, ewe_Latn or Swahili")
    given = Resources(*(_given(name, getattr(given, name)) for name in RESOURCES))
    root = data_root_path(data_root)
    found = discover(language, root)
    task, why = _choose_task(task, language, given, found)

    def in_root(*parts: str) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
        if root is None:
            return (), ()
        path = root.joinpath(*parts)
        return ((path,) if path.exists() else ()), (path,)

    if task == "massive":
        source = _pick("source", given.source, *in_root("massive", "en-US.jsonl"), root)
        dev = Found("dev", given.dev or source.path,
                    "--dev" if given.dev else "the source's dev split")
        target = _pick("target", given.target, found.massive_test.found,
                       found.massive_test.tried, root, "the language's MASSIVE locale first")
    else:
        source = _pick("source", given.source, *in_root("sib200", "eng_Latn", "train.tsv"),
                       root)
        dev = _pick("dev", given.dev, *in_root("sib200", "eng_Latn", "dev.tsv"), root)
        target = _pick("target", given.target, found.sib200_test.found,
                       found.sib200_test.tried, root, "the language's SIB-200 code first")
    lexicon = _pick("lexicon", given.lexicon, found.lexicons.found, found.lexicons.tried,
                    root, f"languages.yml's order for {language.code}" if language.lexicons
                    else "GATITOS before WECHSEL")
    unimorph = _pick("unimorph", given.unimorph, found.unimorph.found, found.unimorph.tried,
                     root, "the data root before $UNIMORPH")
    # The SIB-200 code names the run folder; a test set found in the data root names
    # its own (sib200/aka_Latn/test.tsv when the default twi_Latn is absent).
    sib200 = language.sib200 or f"{language.iso3}_{language.script}"
    if task == "sib200" and target.path is not None and target.origin == "data root":
        sib200 = target.path.parent.name
    locale = language.massive
    if task == "massive" and target.path is not None and target.origin == "data root":
        locale = target.path.name.removesuffix(".jsonl").removesuffix(".partial")
    if task == "massive" and locale is None:
        locale = _likely_locale(language)
    return BootstrapPlan(language, task, why, root, (source, dev, target, lexicon, unimorph),
                         sib200, locale)


def _likely_locale(language: Language) -> str:
    """A language-TERRITORY locale for a language MASSIVE lacks (ee → ee-GH), for a
    MASSIVE-format test set the user brings."""
    tag = langcodes.Language.get(language.code).maximize()
    return f"{language.code}-{tag.territory}" if tag.territory else language.code


def bootstrap_variables(
    lang: str, task: str = "auto", data_root: str | Path | None = None,
    given: Resources = Resources(), work: str | Path | None = None,
) -> tuple[str, dict[str, str]]:
    """The recipe name and its variables for ``lang`` (``demo`` or any language)."""
    if lang == "demo":
        return "demo", ({"work": str(work)} if work else {})
    plan = plan_bootstrap(lang, task, data_root, given)
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
    given: Resources = Resources(), work: str | Path | None = None,
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
        plan = plan_bootstrap(lang, task, data_root, given)
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
