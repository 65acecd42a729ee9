"""``lexi bootstrap LANG``: pick the default recipe and resources for a language, run it.

``demo`` runs ``recipes/demo.yml`` on the demo data lexi writes itself. A language code
runs ``massive.yml`` when MASSIVE has a locale for it (train on en-US, test on the
locale), else ``sib200.yml``. Resource paths given explicitly win; the rest are looked up
in a data root laid out like lexi's reference data (``massive/en-US.jsonl``,
``massive/<locale>[.partial].jsonl``, ``lexicons/<name>.tsv``, ``unimorph/<iso3>``,
``sib200/<code>/{train,dev,test}.tsv``) and in the UniMorph folder (``$UNIMORPH``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lexi.errors import LexiError
from lexi.paths import unimorph_root
from lexi.recipe.config import Recipe, load_recipe
from lexi.recipe.runner import StepOutcome, run_recipe

LANGUAGES_FILE = Path(__file__).with_name("languages.yml")
DATA_ROOT_ENV = "LEXI_DATA_ROOT"
TASKS = ("auto", "massive", "sib200")


@dataclass(frozen=True)
class Language:
    """One row of ``languages.yml``."""

    code: str
    name: str
    massive: str | None = None
    unimorph: str | None = None
    sib200: str | None = None
    lexicons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resources:
    """Paths a bootstrap run reads (``None``: not given and not found)."""

    source: Path | None = None
    dev: Path | None = None
    target: Path | None = None
    lexicon: Path | None = None
    unimorph: Path | None = None


@dataclass
class BootstrapResult:
    """What ``lexi bootstrap`` did and found."""

    recipe: Recipe
    outcomes: list[StepOutcome]
    report: Path | None
    metrics: dict = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Why the evaluation is not a result: one line per degenerate run and reason."""
        return [f"{run['name']}: {w['message']}" for run in self.metrics.get("runs", [])
                for w in run.get("warnings", []) if w.get("degenerate")]

    def summary(self) -> list[str]:
        """Three lines: baseline, augmented, gain (accuracy, 95% intervals)."""
        runs = self.metrics.get("runs", [])
        if len(runs) < 2 or self.problems():
            return []
        base, aug = runs[0], runs[-1]

        def acc(run: dict) -> str:
            iv = run["metrics"]["accuracy"]
            return (f"{100 * iv['estimate']:.1f}% accuracy "
                    f"[95% CI {100 * iv['low']:.1f}–{100 * iv['high']:.1f}]")

        gain = next(d for d in aug["vs_baseline"] if d["metric"] == "accuracy")
        return [
            f"baseline  ({base['name']}): {acc(base)}",
            f"augmented ({aug['name']}): {acc(aug)}",
            f"gain: {100 * gain['estimate']:+.1f} points "
            f"[95% CI {100 * gain['low']:+.1f} to {100 * gain['high']:+.1f}]",
        ]


def load_languages(path: Path = LANGUAGES_FILE) -> dict[str, Language]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        str(code): Language(str(code), row.get("name", str(code)), row.get("massive"),
                            row.get("unimorph"), row.get("sib200"),
                            tuple(row.get("lexicons", ())))
        for code, row in data.items()
    }


def find_language(code: str) -> Language:
    """The language for a code: a key of the table, a MASSIVE locale, or an ISO 639-3 code."""
    languages = load_languages()
    if code in languages:
        return languages[code]
    for language in languages.values():
        if code in (language.massive, language.unimorph, language.sib200):
            return language
    raise LexiError(f"no default recipe for language {code!r}",
                    hint=f"known: demo, {', '.join(languages)}; or run a recipe with "
                         "`lexi recipe run massive --var ...`")


def _first_existing(*candidates: Path) -> Path | None:
    return next((p for p in candidates if p.exists()), None)


def find_resources(language: Language, task: str, data_root: Path | None,
                   given: Resources) -> Resources:
    """Fill in the resources not given from the data root and the UniMorph folder."""
    root = data_root
    unimorph = given.unimorph
    if unimorph is None and language.unimorph:
        candidates = [unimorph_root() / language.unimorph / language.unimorph]
        if root:
            candidates.insert(0, root / "unimorph" / language.unimorph)
        unimorph = _first_existing(*candidates)
    lexicon = given.lexicon
    if lexicon is None and root:
        lexicon = _first_existing(*(root / "lexicons" / f"{n}.tsv" for n in language.lexicons))
    if task == "massive":
        source = given.source or (root and _first_existing(root / "massive" / "en-US.jsonl"))
        target = given.target or (root and _first_existing(
            root / "massive" / f"{language.massive}.jsonl",
            root / "massive" / f"{language.massive}.partial.jsonl"))
        dev = given.dev or source
    else:
        source = given.source or (root and _first_existing(root / "sib200/eng_Latn/train.tsv"))
        dev = given.dev or (root and _first_existing(root / "sib200/eng_Latn/dev.tsv"))
        target = given.target or (root and _first_existing(
            root / "sib200" / str(language.sib200) / "test.tsv"))
    return Resources(source or None, dev or None, target or None, lexicon, unimorph)


def bootstrap_variables(
    lang: str, task: str = "auto", data_root: str | Path | None = None,
    given: Resources = Resources(), work: str | Path | None = None,
) -> tuple[str, dict[str, str]]:
    """The recipe name and its variables for ``lang`` (``demo`` or a language code)."""
    if lang == "demo":
        return "demo", ({"work": str(work)} if work else {})
    if task not in TASKS:
        raise LexiError(f"unknown task {task!r}", hint=f"one of {', '.join(TASKS)}")
    language = find_language(lang)
    if task == "auto":
        task = "massive" if language.massive else "sib200"
    if task == "massive" and not language.massive:
        raise LexiError(f"MASSIVE has no locale for {language.name}", hint="use --task sib200")
    if task == "sib200" and not language.sib200:
        raise LexiError(f"SIB-200 has no code for {language.name}", hint="use --task massive")
    root = Path(data_root) if data_root else (
        Path(os.environ[DATA_ROOT_ENV]) if os.environ.get(DATA_ROOT_ENV) else None)
    found = find_resources(language, task, root, given)
    missing = [name for name in ("source", "dev", "target", "lexicon")
               if getattr(found, name) is None]
    if missing:
        raise LexiError(
            f"{language.name} ({task}): no {', '.join(missing)} given or found"
            + (f" under {root}" if root else ""),
            hint=f"pass --{' --'.join(missing)} PATH, or --data-root DIR (or ${DATA_ROOT_ENV})")
    variables = {
        "lang": language.code,
        "source": str(found.source), "dev": str(found.dev), "target": str(found.target),
        "lexicon_tsv": str(found.lexicon),
    }
    if task == "massive":
        variables["locale"] = str(language.massive)
    else:
        variables["sib200"] = str(language.sib200)
    if found.unimorph:
        # The table is handed to synth so that `-v ops=translate,inflect` can use it; the
        # recipe's default ops stay what measured best (docs/results.md: on MASSIVE sw-KE,
        # translate alone +8.6 points, adding inflect or codeswitch lost most of that).
        variables["unimorph"] = str(found.unimorph)
        variables["morph_args"] = f"--morph {language.unimorph} --unimorph {found.unimorph}"
    if work:
        variables["work"] = str(work)
    return task, variables


def bootstrap(
    lang: str, task: str = "auto", data_root: str | Path | None = None,
    given: Resources = Resources(), work: str | Path | None = None,
    overrides: dict[str, str] | None = None, force: list[str] | None = None,
    dry_run: bool = False, on_event=None,
) -> BootstrapResult:
    """Run the default recipe for ``lang`` and read the evaluation it ends with."""
    recipe_name, variables = bootstrap_variables(lang, task, data_root, given, work)
    variables.update(overrides or {})
    recipe = load_recipe(recipe_name, variables)
    outcomes = run_recipe(recipe, force or [], dry_run, on_event)
    metrics: dict = {}
    if recipe.report and not dry_run:
        metrics_path = recipe.report / "metrics.json"
        if metrics_path.is_file():
            metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    return BootstrapResult(recipe, outcomes, recipe.report, metrics)
