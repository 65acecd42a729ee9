"""`lexi morph ...`: inflect and analyse with UniMorph tables, learn and evaluate inflectors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import track
from rich.table import Table

from lexi.cli._util import AsJson, console, deprecated, print_json, subgroup
from lexi.data.outputs import check_output
from lexi.data.tokens import tokenize
from lexi.errors import LexiError
from lexi.morph import Inflection, analyze_english, format_features, load_morphology, parse_features
from lexi.morph.evaluation import EvalResult, evaluate_sigmorphon, evaluate_split
from lexi.morph.inflector import Inflector, InflectorConfig, learn_inflector
from lexi.morph.unimorph import TableStats, load_index, read_unimorph, table_files, table_stats

morph_app = subgroup(
    "morph",
    "UniMorph paradigms: inflect a lemma, analyse a form, learn and evaluate an inflector.",
)

UnimorphTable = Annotated[str | None, typer.Option(
    "--table", "-t",
    help="UniMorph table (file, or folder in the unimorph layout). "
    "Default: $UNIMORPH/<lang>/<lang> (~/.unimorph).",
)]
MorphModel = Annotated[str | None, typer.Option(
    "--morph-model", help="Inflector from `lexi morph learn` (as in `lexi synth`).")]
ModelOld = Annotated[str | None, typer.Option(
    "--model", "-m", hidden=True, help="Deprecated spelling of --morph-model.")]
# Defaults of `lexi morph eval --lang` and `--setting` (repeatable options: lists).
SIGMORPHON_LANGUAGES = ["swahili", "turkish"]
SIGMORPHON_SETTINGS = ["high", "low"]
ENGLISH = ("en", "eng", "english")


def _inflector(morph_model: str | None, model: str | None) -> str | None:
    if model is not None:
        deprecated("--model/-m", "--morph-model (--model is the encoder in lexi train)")
    return morph_model or model


def _table_language(lang: str) -> str:
    """The UniMorph code of ``lang`` given in any form (sw, Swahili → swc)."""
    from lexi.resources.languages import unimorph_code

    return unimorph_code(lang)


def _sigmorphon_language(value: str) -> str:
    """A SIGMORPHON file-name language (``swahili``) from a code (``sw``) or the name."""
    from lexi.resources.languages import is_language_code, language_name

    return language_name(value).lower() if is_language_code(value) else value


def morph_inflect(
    lang: str, lemma: str, features: str, table: str | None = None, model: str | None = None
) -> Inflection:
    """``lemma`` of ``lang`` (any form: sw, swc, Swahili) inflected for the bundle
    ``features``; ``model``: an inflector from ``lexi morph learn``."""
    morphology = load_morphology(_table_language(lang), table, model)
    return morphology.inflect_features(lemma, parse_features(features))


@morph_app.command("inflect")
def inflect_command(
    lang: Annotated[str, typer.Argument(
        help="The language of the table, in any form (sw, swc, sw-KE, Swahili): its UniMorph "
        "code (swc, tur, fin, ...) names the table.")],
    lemma: Annotated[str, typer.Argument(help="The lemma (dictionary form).")],
    features: Annotated[str, typer.Argument(
        help="UniMorph bundle, e.g. 'V;FIN;IND;FUT;2;SG'.")],
    table: UnimorphTable = None,
    morph_model: MorphModel = None,
    as_json: AsJson = False,
    model: ModelOld = None,
) -> None:
    """Print the form of LEMMA for FEATURES: from the table, else from the learned inflector.

    Example: `lexi morph inflect swc fua "V;FIN;IND;FUT;2;SG" --table swc` → `utafua`
    """
    result = morph_inflect(lang, lemma, features, table, _inflector(morph_model, model))
    if as_json:
        print_json({"lemma": lemma, "form": result.form,
                    "features": format_features(result.features), "method": result.method})
        return
    typer.echo(result.form)
    console.print(f"[dim]{format_features(result.features)} ({result.method})[/]")


def morph_analyze(
    lang: str, text: str, table: str | None = None, model: str | None = None
) -> list[dict]:
    """Analyses of ``text``: every (lemma, features) of a form, or for English (``en``) one
    analysis per word of the sentence."""
    if lang.lower() in ENGLISH or _table_language(lang) == "eng":
        words = [t.text for t in tokenize(text)]
        return [
            {"word": a.word, "lemma": a.lemma, "pos": a.pos,
             "features": format_features(a.features)}
            for a in analyze_english(words)
        ]
    morphology = load_morphology(_table_language(lang), table, model)
    return [
        {"word": text, "lemma": lemma, "features": format_features(features)}
        for lemma, features in morphology.analyze(text)
    ]


@morph_app.command("analyze")
def analyze_command(
    lang: Annotated[str, typer.Argument(
        help="The language in any form (sw, swc, Swahili), or `en` for an English sentence.")],
    text: Annotated[str, typer.Argument(help="A word form (or an English sentence).")],
    table: UnimorphTable = None,
    morph_model: MorphModel = None,
    as_json: AsJson = False,
    model: ModelOld = None,
) -> None:
    """Print `word<TAB>lemma<TAB>features` for each analysis of a form (exit 1 if none).

    Examples: `lexi morph analyze swc ukafue --table swc`;
    `lexi morph analyze en "wake me up at seven"` (lemminflect + assistant-command rules)
    """
    rows = morph_analyze(lang, text, table, _inflector(morph_model, model))
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(f"{row['word']}\t{row['lemma']}\t{row['features']}")
    if not rows:
        console.print(f"no analysis of {text!r} in the {lang} table")
        raise typer.Exit(1)


def morph_learn(
    lang: str, table: str, output: str, config: InflectorConfig | None = None,
    progress: bool = False, overwrite: bool = False,
) -> Inflector:
    """Learn an inflector from every row of ``table`` (and its .1, .2 parts); save to ``output``
    (an existing file only with ``overwrite``; never over the table it learns from).

    ``progress`` shows a row counter on stderr (a 1M-row table takes about a minute).
    """
    files = table_files(table)
    if not files:
        raise LexiError("UniMorph table not found", path=table)
    check_output(output, files, overwrite=overwrite)
    entries = (entry for path in files for entry in read_unimorph(path))
    if progress:
        entries = track(entries, description="learning edit rules", console=console,
                        transient=True)
    inflector = learn_inflector(entries, lang=_table_language(lang), config=config)
    if not inflector.pairs:
        raise LexiError("the UniMorph table has no rows", path=table,
                        hint="a table is lemma<TAB>form<TAB>features lines; nothing was written")
    inflector.save(output)
    return inflector


@morph_app.command("learn")
def learn_command(
    lang: Annotated[str, typer.Argument(
        help="The language in any form (sw, swc, Swahili); its UniMorph code is stored in the "
        "model.")],
    table: Annotated[str, typer.Argument(help="UniMorph table or SIGMORPHON training file.")],
    output: Annotated[str, typer.Option(
        "--output", "-o", help="Model JSON to write (- = stdout).")],
    max_context: Annotated[int, typer.Option(
        "--max-context", help="Letters of lemma edge that condition a rule.")] = 5,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace the model file if it exists.")] = False,
) -> None:
    """Learn prefix/suffix edit rules from a table and save them as JSON.

    Example: `lexi morph learn swc ~/.unimorph/swc/swc -o swc.inflector.json`, then
    `lexi morph inflect swc pika "V;NFIN" --morph-model swc.inflector.json`

    An existing model file is kept unless `--overwrite` is given.
    """
    inflector = morph_learn(
        lang, table, output, InflectorConfig(max_context=max_context), progress=True,
        overwrite=overwrite,
    )
    console.print(
        f"learned {len(inflector.bundles)} bundles from {inflector.pairs} pairs → {output}"
    )


def morph_eval(
    data_dir: str | None = None, languages: tuple[str, ...] = ("swahili", "turkish"),
    settings: tuple[str, ...] = ("high", "low"), split: str = "test",
    train: str | None = None, test: str | None = None,
) -> list[EvalResult]:
    """SIGMORPHON accuracy: every language × setting of ``data_dir``, or one train/test pair;
    ``split`` is test, dev or all (both)."""
    if split == "all":
        return [replace(result, split=one) for one in ("dev", "test")
                for result in morph_eval(data_dir, languages, settings, one, train, test)]
    if train and test:
        return [evaluate_split(train, test, language=Path(test).name, setting=Path(train).name)]
    if not data_dir:
        raise LexiError(
            "give the folder of CoNLL–SIGMORPHON 2018 task-1 files, or --train and --test",
            hint="e.g. lexi morph eval ../shared/data/sigmorphon2018",
        )
    return evaluate_sigmorphon(data_dir, tuple(_sigmorphon_language(lang) for lang in languages),
                               settings, split)


@morph_app.command("eval")
def eval_command(
    data_dir: Annotated[str | None, typer.Argument(
        help="Folder with <language>-train-high, -train-low, -dev, -test files.")] = None,
    lang: Annotated[list[str], typer.Option(
        "--lang", help="Languages, as the SIGMORPHON files name them or any code (sw, tr); "
        "repeat it.")] = SIGMORPHON_LANGUAGES,
    setting: Annotated[list[str], typer.Option(
        "--setting", help="Training sizes (repeat).")] = SIGMORPHON_SETTINGS,
    split: Annotated[str, typer.Option(
        "--split", help="Split to score: test, dev or `all` (both).")] = "test",
    train: Annotated[str | None, typer.Option(
        "--train", help="One training file (with --test).")] = None,
    test: Annotated[str | None, typer.Option(
        "--test", help="One test file (with --train).")] = None,
    as_json: AsJson = False,
) -> None:
    """Exact-match accuracy of the learned inflector on CoNLL–SIGMORPHON 2018 splits, beside a
    baseline-style ablation of it run in the same command.

    Example: `lexi morph eval ../shared/data/sigmorphon2018 --lang swahili --lang turkish`
    """
    results = morph_eval(data_dir, tuple(lang), tuple(setting), split, train, test)
    if as_json:
        print_json([r.as_dict() for r in results])
        return
    both = split == "all"
    out = Table(title=f"inflection accuracy on {'dev and test' if both else split} "
                "(exact match)")
    for column in ("language", "setting", "system", *(("split",) if both else ())):
        out.add_column(column)
    for column in ("train", "scored" if both else split, "accuracy %"):
        out.add_column(column, justify="right")
    for r in results:
        out.add_row(r.language, r.setting, r.system, *((r.split,) if both else ()),
                    str(r.train_pairs), str(r.test_pairs), f"{100 * r.accuracy:.1f}")
    console.print(out)


def morph_stats(table: str) -> TableStats:
    """Rows, lemmas, forms, bundles and parts of speech of a UniMorph table."""
    files = table_files(table)
    if not files:
        raise LexiError("UniMorph table not found", path=table)
    return table_stats(load_index(files), files)


@morph_app.command("stats")
def stats_command(
    table: Annotated[str, typer.Argument(
        help="UniMorph table (file or unimorph-layout folder).")],
    as_json: AsJson = False,
    top: Annotated[int, typer.Option("--top", help="How many bundles to list.")] = 10,
) -> None:
    """What a UniMorph table holds.

    Example: `lexi morph stats ~/.unimorph/swc/swc --json`
    """
    stats = morph_stats(table)
    if as_json:
        print_json(stats.as_dict())
        return
    summary = Table(title=", ".join(stats.files), show_header=False)
    for name in ("rows", "lemmas", "forms", "bundles"):
        summary.add_row(name, str(getattr(stats, name)))
    summary.add_row("parts of speech", ", ".join(f"{k}: {v}" for k, v in stats.pos.items()))
    console.print(summary)
    bundles = Table(title=f"top bundles ({stats.bundles} in all)")
    bundles.add_column("features")
    bundles.add_column("rows", justify="right")
    for features, count in stats.top_bundles[:top]:
        bundles.add_row(features, str(count))
    console.print(bundles)
