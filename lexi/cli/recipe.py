"""`lexi recipe run|show`, `lexi bootstrap LANG` and `lexi demo-data`: run whole chains."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from lexi.cli._util import app, console, deprecated, parse_pairs, print_json, subgroup
from lexi.data.demo import DemoFiles, write_demo_data
from lexi.errors import LexiError
from lexi.recipe.config import Recipe, Step, load_recipe
from lexi.recipe.runner import StepOutcome, run_recipe, shell_script, why_run

if TYPE_CHECKING:
    from lexi.recipe.bootstrap import BootstrapResult
    from lexi.resources.remote import Remote

recipe_app = subgroup(
    "recipe", "Run recipes: chains of lexi commands that skip steps whose inputs did not change.")

Vars = Annotated[list[str] | None, typer.Option(
    "--var", "-v", help="Set a recipe variable, NAME=VALUE (repeatable).")]
Force = Annotated[list[str] | None, typer.Option(
    "--force", help="Run this step even if unchanged (repeatable; `all` for every step).")]


def parse_vars(pairs: list[str] | None) -> dict[str, str]:
    """``["lang=sw", "epochs=3"]`` → ``{"lang": "sw", "epochs": "3"}``."""
    return parse_pairs(pairs, "--var", "NAME=VALUE", "lang=sw")


def _progress(step: Step, outcome: StepOutcome | None, reason: str) -> None:
    if outcome is None:
        console.print(f"[bold cyan]▶ {step.name}[/] ({escape(reason)}): {escape(step.run)}",
                      highlight=False, soft_wrap=True)
    elif outcome.status == "ran":
        console.print(f"[green]✓ {step.name}[/] done in {outcome.seconds:.1f}s")
    elif outcome.status == "skipped":
        console.print(f"[dim]· {step.name} skipped ({outcome.reason})[/]")
    else:
        console.print(f"{outcome.status} {step.name} ({escape(outcome.reason)}): "
                      f"{escape(step.run)}", highlight=False, soft_wrap=True)


def _left_out(recipe: Recipe) -> None:
    """One line per step this run does not have (its ``when:`` is off), before the steps."""
    for absent in recipe.left_out:
        console.print(f"[dim]· {absent.name} left out ({escape(absent.reason)})[/]",
                      highlight=False)


def recipe_run(
    recipe: str, variables: dict[str, str] | None = None, force: list[str] | None = None,
    dry_run: bool = False, progress: bool = True, until: str | None = None,
    step_stdout_to_stderr: bool = False,
) -> tuple[Recipe, list[StepOutcome]]:
    """Load a recipe (file or built-in name) and run it; returns it and what each step did
    (``step_stdout_to_stderr``: the steps' stdout goes to stderr, leaving stdout to JSON)."""
    loaded = load_recipe(recipe, variables)
    if progress:
        _left_out(loaded)
    outcomes = run_recipe(loaded, force or [], dry_run, _progress if progress else None,
                          until, step_stdout_to_stderr=step_stdout_to_stderr)
    return loaded, outcomes


@recipe_app.command("run")
def run_command(
    recipe: Annotated[str, typer.Argument(
        help="Recipe file or built-in name: demo, massive, sib200.")],
    var: Vars = None,
    force: Force = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", "-n", help="Say what would run, run nothing.")] = False,
    until: Annotated[str | None, typer.Option(
        "--until", help="Stop after this step (e.g. synth).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print each step's outcome as JSON, alone on stdout (the steps' "
        "own output goes to stderr).")] = False,
) -> None:
    """Run a recipe's steps in order; unchanged steps are skipped, an interrupted run resumes.

    Example: `lexi recipe run recipes/massive.yml --var locale=sw-KE --var lexicon=en-sw.tsv`
    """
    # With --json, stdout is the one JSON document: the steps print to stderr instead.
    loaded, outcomes = recipe_run(recipe, parse_vars(var), force, dry_run, until=until,
                                  step_stdout_to_stderr=as_json)
    if as_json:
        print_json([o.__dict__ for o in outcomes])
    if loaded.report and not dry_run and until is None:
        console.print(f"report: {loaded.report / 'report.html'}")


@recipe_app.command("show")
def show_command(
    recipe: Annotated[str, typer.Argument(help="Recipe file, or a built-in name.")],
    var: Vars = None,
    script: Annotated[bool, typer.Option(
        "--script", help="Print the chain as a shell script.")] = False,
) -> None:
    """Variables, steps (with their commands) and whether each would run now.

    `lexi recipe show demo --script > demo.sh` writes the same chain as a plain shell script.
    """
    loaded = load_recipe(recipe, parse_vars(var))
    if script:
        typer.echo(shell_script(loaded))
        return
    console.print(f"[bold]{escape(loaded.title)}[/] ({loaded.path})")
    if loaded.description:
        console.print(escape(loaded.description))
    variables = Table(title="variables", show_header=False)
    for name, value in loaded.variables.items():
        variables.add_row(name, value)
    console.print(variables)
    from lexi.recipe.runner import StateBook

    book = StateBook(loaded)
    steps = Table(title=f"steps (state in {loaded.directory})")
    for column in ("step", "status", "command"):
        steps.add_column(column)
    for step in loaded.listing():
        if not isinstance(step, Step):  # its `when:` is off: not run, and said why
            steps.add_row(step.name, f"left out: {step.reason}", "")
            continue
        reason = why_run(step, book.of(step), set())
        status = "up to date" if reason is None else f"runs: {reason}"
        if book.shared_key(step) is not None:
            status += f" (recorded in {book.directory(step)})"
        steps.add_row(step.name, status, step.run)
    console.print(steps)


def demo_data(output: str | Path, overwrite: bool = False) -> DemoFiles:
    """Write the demo data set (English intents, Swahili test set, lexicon, verb table);
    a folder that already holds files is written into only with ``overwrite``."""
    return write_demo_data(output, overwrite=overwrite)


@app.command("demo-data")
def demo_data_command(
    output: Annotated[str, typer.Option(
        "--output", "-o", help="Folder to write the files into.")],
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Write into a folder that already holds files.")] = False,
) -> None:
    """Write lexi's own demo data: English intents (train/dev), a Swahili test set, an
    English→Swahili word list and a Swahili verb table (UniMorph format).

    Example: `lexi demo-data -o demo/ && lexi data stats demo/sw-KE.jsonl`
    """
    files = demo_data(output, overwrite)
    for name, path in files.__dict__.items():
        console.print(f"{name}: {path}")


@app.command("bootstrap")
def bootstrap_command(
    lang: Annotated[list[str] | None, typer.Argument(
        help="`demo`, or one or more languages: an ISO 639 code (sw, ee, twi), a BCP-47 tag, a "
        "MASSIVE locale (sw-KE), a SIB-200 code (ewe_Latn) or an English name (Swahili).",
        show_default=False, metavar="LANG")] = None,
    langs_from: Annotated[str | None, typer.Option(
        "--langs-from", help="File of languages to run, one or more per line (# comments); "
        "with the LANGs given, if any.")] = None,
    source: Annotated[str | None, typer.Option(
        "--source", "-s", help="English training data (MASSIVE jsonl for MASSIVE, the eng_Latn "
        "train TSV for SIB-200).")] = None,
    dev: Annotated[str | None, typer.Option(
        "--dev", help="English dev data [default: --source for MASSIVE, eng_Latn/dev.tsv for "
        "SIB-200].")] = None,
    target: Annotated[str | None, typer.Option(
        "--target", help="Target-language test data.")] = None,
    lexicon: Annotated[list[str] | None, typer.Option(
        "--lexicon", "-l", help="English→target word list (TSV); repeat for several, in "
        "priority order. The data root's lists follow; all are merged, a word's "
        "translations coming from the first list that has it.")] = None,
    unimorph: Annotated[str | None, typer.Option(
        "--unimorph", help="UniMorph table of the language.")] = None,
    unlabelled: Annotated[str | None, typer.Option(
        "--unlabelled", help="Unlabelled target-language text (one utterance a line, or a "
        "dataset file whose labels are ignored) for the self-training round [default: the "
        "test set's train split (SIB-200's train.tsv, MASSIVE's train rows) when the test "
        "set was found or fetched].")] = None,
    no_selftrain: Annotated[bool, typer.Option(
        "--no-selftrain", help="Leave out the self-training round (selftrain, "
        "train-selftrained, soup): the averaged model is the recipe's.")] = False,
    data_root: Annotated[str | None, typer.Option(
        "--data-root", help="Folder laid out like lexi's reference data (massive/, lexicons/, "
        "unimorph/, sib200/) [default: $LEXI_DATA_ROOT].")] = None,
    task: Annotated[str, typer.Option(
        "--task", help="massive, sib200, or auto: a test set given or local first (MASSIVE, "
        "then SIB-200), then the catalog's (MASSIVE first), else none: train, not score."
        )] = "auto",
    offline: Annotated[bool, typer.Option(
        "--offline", help="Never use the network: what is not given, in the data root or in "
        "lexi's cache is an error naming its URL and the cache path to place it at.")
    ] = False,
    catalog: Annotated[str | None, typer.Option(
        "--catalog", help="Catalog to fetch missing resources from [default: $LEXI_CATALOG, "
        "else lexi's].")] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Folder for everything the chain writes (data, runs, report) "
        "[default: the recipe's, printed first]; with several languages the folder of them "
        "all, one sub-folder per language and the summary [default: lexi-langs].")] = None,
    baselines: Annotated[str | None, typer.Option(
        "--baselines", help="Folder of English-only baselines shared by languages, one per "
        "task, model and training options (and seed) [default: OUT/baselines with several "
        "languages, the run folder with one]. Give the same folder to later runs to reuse "
        "them.")] = None,
    var: Vars = None,
    force: Force = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Say what would run.")
    ] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the final metrics as JSON, with the wall time of each step "
        "under `timing` (with several languages: the summary, each language's `timing` "
        "in it); stdout holds only that, the steps' own output goes to stderr.")] = False,
    work: Annotated[str | None, typer.Option(
        "--work", hidden=True, help="Deprecated spelling of -o.")] = None,
) -> None:
    """Run the whole chain for a language (or several): lexicon → synth → baseline and
    augmented training → their average → one self-training round when there is unlabelled
    text (pseudo-labels → self-trained run → soup of the three runs) → evaluation; ends
    with each step's wall time, the report path, each group's accuracy and the gains.

    First it says which language the argument resolved to, the task and why, and where
    each resource came from (every lexicon given or found is used, in the order shown).
    Each resource is taken from its option, else the data root, else lexi's cache, else
    fetched from the catalog into the cache (word lists, SIB-200 and MASSIVE files);
    `--offline` fetches nothing, `--dry-run` says what it would fetch. A language with a
    word list but no test set anywhere is trained and said to be unscored.

    Several seeds: `-v seeds=13,14,15` trains baseline and augmented once per seed and
    evaluates them as seed groups (mean ± sd, pooled interval, gain of the means).

    Self-training: the averaged model labels unlabelled target text (`--unlabelled FILE`,
    else the test set's own train split: SIB-200's train.tsv, MASSIVE's train rows, found
    or fetched like the test set), the confident rows are added to the augmented run's
    data, and the retrained run is averaged with the augmented and baseline runs into the
    soup, the recipe's model. Without such text, or with `--no-selftrain`, those steps are
    left out and the averaged model is the recipe's. `-v second_round=yes` adds a second
    round (the soup labels the pool again; one more training per seed) whose soup of all
    four runs becomes the model: measured +0.8 on MASSIVE sw-KE, -1.1 on SIB-200, so off by
    default (docs/recipes.md).

    Several languages (`lexi bootstrap ln tr sw`, or `--langs-from FILE`): each runs its
    default recipe in `OUT/<code>`; the English-only baseline is trained once per task,
    model, training options and seed, in `OUT/baselines`, and reused by every language. A
    language that fails does not stop the others. The end is one table across languages
    (`OUT/summary.md`, `summary.json`, `summary.html`): baseline and averaged accuracy
    (mean ± sd), the gain with its interval, the soup's beside them after a self-training
    round, warnings, wall time; the exit code is 1 when any language failed or is not a
    result.

    Examples:

    `lexi bootstrap demo -o demo` (offline, a few minutes on 2 CPU cores)

    `lexi bootstrap sw --data-root ../shared/data --unimorph ~/.unimorph/swc/swc`

    `lexi bootstrap ln tr sw --data-root ../shared/data -v seeds=13,14,15 -o langs`

    `lexi bootstrap ewe_Latn --source train.tsv --dev dev.tsv --target test.tsv
    --lexicon en-ee.tsv -n` (any language, every file given)

    `lexi bootstrap ee -n` (nothing local: says what it would fetch from the catalog)
    """
    from lexi.recipe.plan import BootstrapPlan, Resources

    def path(value: str | None) -> Path | None:
        return Path(value).expanduser() if value else None

    def show_plan(plan: BootstrapPlan) -> None:
        for line in plan.describe():
            console.print(escape(line), highlight=False, soft_wrap=True)

    if work is not None:
        deprecated("--work", "--output/-o")
        output = output or work
    langs = list(lang or [])
    if langs_from:
        from lexi.recipe.multilang import read_langs_file

        langs += read_langs_file(langs_from)
    if not langs:
        raise LexiError("no language given", hint="e.g. lexi bootstrap demo, lexi bootstrap "
                        "sw, lexi bootstrap ln tr sw, or --langs-from FILE")
    lexicons = tuple(Path(value).expanduser() for value in lexicon or [])
    given = Resources(path(source), path(dev), path(target), lexicons or None, path(unimorph),
                      path(unlabelled))
    fetching = {"catalog": catalog, "offline": offline, "on_fetch": _show_download,
                "selftrain": not no_selftrain}
    if len(langs) == 1 and not langs_from:
        _bootstrap_one(langs[0], task, data_root, given, output, parse_vars(var), force,
                       dry_run, as_json, baselines, show_plan, fetching)
    else:
        _bootstrap_many(langs, task, data_root, given, output, parse_vars(var), force,
                        dry_run, as_json, baselines, show_plan, fetching)


@contextmanager
def _show_download(remote: Remote) -> Iterator:
    """A progress bar while ``remote`` downloads, then one line: from where to where."""
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task(escape(remote.what), total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
    console.print(f"fetched from {escape(remote.route())}", highlight=False, soft_wrap=True)


def _unscored(result: BootstrapResult) -> None:
    """The end of a run without a test set: what was trained, and that it is not scored."""
    plan = result.plan
    runs = result.recipe.directory / "runs"
    trained = ("baseline, augmented, averaged, selftrained, soup, selftrained2 and soup2"
               if result.recipe.steps_of("soup2") else
               "baseline, augmented, averaged, selftrained and soup"
               if result.recipe.steps_of("soup") else "baseline, augmented and averaged")
    console.print(f"\nno test set for {escape(plan.language.name)} ({plan.language.code}): "
                  f"trained {trained} ({escape(str(runs))}) but cannot score them; give "
                  "--target FILE (a MASSIVE jsonl or SIB-200 TSV test set) to evaluate",
                  highlight=False, soft_wrap=True)


def _bootstrap_one(lang, task, data_root, given, work, variables, force, dry_run, as_json,
                   baselines, show_plan, fetching) -> None:
    """One language: the run's progress, then the report path and three lines."""
    from lexi.recipe.bootstrap import bootstrap

    def show_folder(recipe: Recipe) -> None:
        where = "" if work else " (choose another with -o DIR)"
        console.print(f"writing into [bold]{escape(str(recipe.directory.resolve()))}[/]{where}",
                      highlight=False, soft_wrap=True)
        _left_out(recipe)

    result = bootstrap(lang, task, data_root, given, work, variables, force, dry_run,
                       _progress, on_plan=show_plan, baselines=baselines,
                       on_recipe=show_folder, step_stdout_to_stderr=as_json, **fetching)
    if dry_run:
        return
    from lexi.recipe.timing import breakdown_rows, timing

    record = timing(result.outcomes, result.seconds)
    if as_json:
        # `model`: the group that is the recipe's model (soup after a self-training round).
        print_json({**result.metrics, "model": result.model(), "timing": record})
    table = Table(title=f"wall time by step ({record['wall_seconds']:.0f} s in all)")
    for column, justify in (("step", "left"), ("status", "left"), ("seconds", "right"),
                            ("share", "right")):
        table.add_column(column, justify=justify)
    for row in breakdown_rows(record):
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)
    if result.plan is not None and result.plan.until is not None:
        _unscored(result)
        return
    if result.report:
        console.print(f"\nreport: [bold]{result.report / 'report.html'}[/]")
    problems = result.problems()
    if problems:
        raise LexiError("the evaluation is not a result: " + "; ".join(problems),
                        path=result.report / "metrics.json" if result.report else None,
                        hint="a run collapsed or did not learn; see the report, retrain with "
                        "a lower --lr (-v train_args=...) and rerun")
    for line in result.summary():
        console.print(line)


def _bootstrap_many(langs, task, data_root, given, work, variables, force, dry_run,
                    as_json, baselines, show_plan, fetching) -> None:
    """Several languages, one after the other; one summary table at the end."""
    from lexi.recipe.multilang import DEFAULT_OUT, OK, LanguageRun, bootstrap_many
    from lexi.recipe.summary import summary_lines, write_summary

    def heading(index: int, total: int, query: str) -> None:
        console.rule(f"[bold]{escape(query)}[/] ({index}/{total})")

    def done(run: LanguageRun) -> None:
        if run.status == OK:
            console.print(f"[green]✓ {escape(run.label)}[/] in {run.seconds:.0f}s")
        else:
            console.print(f"[bold red]✗ {escape(run.label)}: {run.status}[/]: "
                          f"{escape(run.error or '')}", highlight=False, soft_wrap=True)

    result = bootstrap_many(langs, work or DEFAULT_OUT, task, data_root, given, baselines,
                            variables, force, dry_run, _progress, show_plan, heading, done,
                            on_recipe=_left_out, step_stdout_to_stderr=as_json, **fetching)
    failed = result.failed()
    if dry_run:
        # Nothing ran, so no summary; a language that cannot run still fails the command.
        if failed:
            console.print(f"[bold red]{len(failed)} of {len(result.languages)} languages "
                          "cannot run:[/] " + "; ".join(escape(r.label) for r in failed),
                          highlight=False, soft_wrap=True)
            raise typer.Exit(1)
        return
    paths = write_summary(result)
    if as_json:
        print_json(result.as_dict())
    _print_timing_matrix(result)
    console.rule(f"[bold]{len(result.languages)} languages[/] (accuracy in points: mean ± "
                 "sd over the seeds [pooled 95% CI]; gain [95% CI])")
    for line in summary_lines(result):
        console.print(escape(line), highlight=False, soft_wrap=True)
    console.print(f"summary: [bold]{paths['md']}[/] ({paths['json'].name}, "
                  f"{paths['html'].name})")
    if failed:
        console.print(f"[bold red]{len(failed)} of {len(result.languages)} languages are not "
                      "a result:[/] " + "; ".join(escape(f"{r.label}: {r.status}")
                                                 for r in failed), highlight=False,
                      soft_wrap=True)
        raise typer.Exit(1)


def _print_timing_matrix(result) -> None:
    """Each language's wall time by step, side by side (as in summary.md)."""
    from lexi.recipe.timing import matrix_rows

    records = {run.label: run.timing for run in result.languages}
    if not any(records.values()):
        return
    table = Table(title="wall time by step (seconds)")
    table.add_column("step")
    for label in records:
        table.add_column(escape(label), justify="right")
    for row in matrix_rows(records):
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)
