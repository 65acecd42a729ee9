"""`lexi synth`: English labelled data + lexicon (+ paradigms) → synthetic target-language data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lexi.cli._util import SPLIT_VALUES, app, console, deprecated, print_json
from lexi.synth.config import FUNCTION_WORDS, GENERATORS, INFLECT_FROM, MODIFIERS
from lexi.synth.numbers import NUMBERS_DEFAULT
from lexi.synth.pipeline import SynthSummary
from lexi.synth.synthesize import synthesize

# The plain function of the command (tests and older code call it by this name).
synth = synthesize


def print_summary(summary: SynthSummary, output: str, top: int) -> None:
    """The summary tables, on stderr."""
    table = Table(title=f"lexi synth → {output}", show_header=False)
    table.add_row("source rows", str(summary.source_rows))
    table.add_row("rows written", str(summary.rows_written))
    table.add_row("by operator", ", ".join(f"{k}: {v}" for k, v in summary.by_op.most_common()))
    table.add_row(
        "words replaced",
        f"{summary.replaced_share:.1%} ({summary.replaced_words} of {summary.words} source words"
        " in synthetic rows)",
    )
    if summary.skipped:
        table.add_row(
            "rows not written", ", ".join(f"{k}: {v}" for k, v in summary.skipped.most_common())
        )
    if summary.word_order != "source":
        table.add_row("word order moved", summary.word_order)
    if summary.inflections:
        table.add_row(
            "inflections", ", ".join(f"{k}: {v}" for k, v in summary.inflections.most_common())
        )
    console.print(table)
    _print_untranslated(summary, top)
    _print_counts(f"rows per label ({len(summary.labels)} labels)", "label", summary.labels, top)


def _print_counts(title: str, column: str, counter: Counter, top: int) -> None:
    if not counter:
        return
    listing = Table(title=title)
    listing.add_column(column)
    listing.add_column("count", justify="right")
    for key, count in counter.most_common(top):
        listing.add_row(str(key), str(count))
    console.print(listing)


def _print_untranslated(summary: SynthSummary, top: int) -> None:
    title = f"words with no translation ({len(summary.untranslated)} distinct)"
    _print_counts(title, "word", summary.untranslated, top)


def _bar(count: int, largest: int, width: int = 30) -> str:
    return "█" * round(width * count / largest) if largest else ""


def print_report(summary: SynthSummary, top: int, untranslated: bool = False) -> None:
    """The ``--report`` tables, on stderr; the untranslated words are in the summary's
    tables, and here only with ``untranslated`` (``--quiet`` hides the summary)."""
    data = summary.report(top)
    bins = data["row_share"]["histogram"]
    largest = max(bins.values(), default=0)
    table = Table(title=f"translated per row (mean {summary.mean_row_share:.1%}; "
                  f"{summary.replaced_share:.1%} of all words)")
    table.add_column("words translated")
    table.add_column("rows", justify="right")
    table.add_column("")
    for span, count in bins.items():
        table.add_row(span, str(count), _bar(count, largest))
    console.print(table)
    coverage = summary.label_coverage()
    if coverage:
        table = Table(title=f"lowest {min(top, len(coverage))} of {len(coverage)} labels")
        table.add_column("label")
        table.add_column("rows", justify="right")
        table.add_column("words translated", justify="right")
        for label, rows, share in coverage[:top]:
            table.add_row(str(label), str(rows), f"{share:.1%}")
        console.print(table)
    if untranslated:
        _print_untranslated(summary, top)
    table = Table(title="numbers, times, days, months", show_header=False)
    table.add_row("--numbers", str(summary.numbers_mode))
    for key, label in (
        ("cldr_numbers", "numbers, times by CLDR"),
        ("cldr_periods", "am/pm by CLDR"),
        ("cldr_names", "days, months by CLDR"),
        ("lexicon_numbers", "number words by lexicon"),
    ):
        table.add_row(label, str(summary.numbers.get(key, 0)))
    console.print(table)
    if summary.inflected:
        table = Table(title="words inflected, by source", show_header=False)
        for method, count in summary.inflected.most_common():
            name = {"table": "paradigm table", "learned": "learned inflector"}.get(method, method)
            table.add_row(name, str(count))
        console.print(table)


def _opt(*names: str, help: str) -> typer.models.OptionInfo:
    return typer.Option(*names, help=help)


Source = Annotated[str, _opt(
    "--source", "-s", help="English labelled data (MASSIVE jsonl, JSONL, CSV, TSV), or - (stdin).",
)]
Output = Annotated[str, _opt("--output", "-o", help="Output MASSIVE jsonl, or - for stdout.")]
Lexicons = Annotated[list[str], _opt(
    "--lexicon", "-l",
    help="Lexicon: SQLite store or a TSV of english, tab, target. Repeat to mix languages.",
)]
Ops = Annotated[str, _opt(
    "--ops",
    help=f"Comma-separated generators ({', '.join(GENERATORS)}) and modifiers "
    f"({', '.join(MODIFIERS)}).",
)]
Split = Annotated[str | None, _opt(
    "--split", help=f"Only source rows of this split: {SPLIT_VALUES} [default: all].")]
Format = Annotated[str, _opt("--format", "-f", help="Source: auto, massive, jsonl, csv, tsv.")]
Locale = Annotated[str | None, _opt(
    "--locale", help="Target locale of every row, e.g. sw-KE (a language in any form, sw or "
    "Swahili, gets its MASSIVE locale).")]
PerUtterance = Annotated[int, _opt(
    "--per-utterance", help="Rows each generator writes per source row.",
)]
PerUtteranceOld = Annotated[int | None, typer.Option(
    "-n", hidden=True, help="Deprecated spelling of --per-utterance.")]
Seed = Annotated[int, _opt("--seed", help="Global seed: same seed, same output.")]
Sense = Annotated[str, _opt(
    "--sense", help="Which translation: weight (sampled by weight), random, first.",
)]
SenseText = Annotated[str | None, _opt(
    "--sense-text",
    help="Unlabelled target-language text (one utterance a line, or a dataset file whose "
    "labels are never read): each translation's weight is multiplied by how often it occurs "
    "there (plus 1), e.g. 'play' → 'cheza' rather than 'tamthilia' (a stage play).",
)]
SenseTextSplit = Annotated[str | None, _opt(
    "--sense-text-split", help="With a dataset file as --sense-text: only this split (train).",
)]
Unknown = Annotated[str, _opt(
    "--unknown",
    help="Words the lexicon cannot translate, outside slots (slot values are never "
    "shortened): keep (stay English), drop (all removed), or drop-function-words (only "
    "those in --function-words, e.g. 'set the alarm' → 'weka kengele').",
)]
FunctionWords = Annotated[str | None, _opt(
    "--function-words",
    help="With --unknown drop-function-words: the comma-separated English words it may drop "
    f"when the lexicon has no translation for them [default: {','.join(FUNCTION_WORDS)}].",
)]
Numbers = Annotated[str, _opt(
    "--numbers",
    help="How numbers, times, weekdays and months are written: cldr (spelled by CLDR's "
    "rules in the --locale language: 'twenty two' → 'ishirini na mbili', 'five am' → "
    "'tano alfajiri', 'friday' → 'ijumaa'), lexicon (word by word through the lexicon; "
    "am/pm becomes CLDR's day-period word, never the verb 'be'), keep (left as in the "
    "source); auto = cldr where CLDR has spell-out rules for --locale, else lexicon.",
)]
SlotMode = Annotated[str, _opt(
    "--slot-mode", help="Slot values: keep, translate, localise (needs --slot-lexicon).",
)]
SlotLexicon = Annotated[str | None, _opt(
    "--slot-lexicon", help="Lexicon for slot values, tried first (e.g. CLDR weekdays, months).",
)]
TokenRatio = Annotated[float, _opt(
    "--token-ratio", help="codeswitch: share of translatable words switched.",
)]
SentenceRatio = Annotated[float, _opt(
    "--sentence-ratio", help="codeswitch: share of sentences switched.",
)]
Morph = Annotated[str | None, _opt(
    "--morph", help="inflect: target language in any form (sw, swc, Swahili).")]
Unimorph = Annotated[str | None, _opt("--unimorph", help="inflect: UniMorph paradigm table.")]
MorphModel = Annotated[str | None, _opt("--morph-model", help="inflect: learned inflector.")]
InflectFrom = Annotated[str, _opt(
    "--inflect-from",
    help=f"inflect: where forms come from: {' or '.join(INFLECT_FROM)} (table only: a "
    "translation that is no lemma of the UniMorph table keeps its lexicon form).",
)]
InflectPos = Annotated[str | None, _opt(
    "--inflect-pos",
    help="inflect: only words whose English part of speech is one of these, comma "
    "separated (V, V.PTCP, N, ADJ...: the names of `lexi morph analyze en`) [default: all].",
)]
WordOrderOpt = Annotated[str, _opt(
    "--word-order",
    help="translate, phonetic: word order: source (English's), a language's from URIEL's "
    "typology (sw: 'alarm my'; tr: the verb last; auto: the --locale language), or what "
    "moves: adj,poss,num,dem (after the noun), adp (after its noun phrase), verb (after "
    "its object).",
)]
PhoneticLang = Annotated[str | None, _opt(
    "--phonetic-lang", help="phonetic: epitran language, e.g. sw or swa-Latn (default --locale).",
)]
PhoneticStyle = Annotated[str, _opt(
    "--phonetic-style", help="phonetic: ipa, or ascii (IPA folded to plain letters).",
)]
KeepSource = Annotated[bool, _opt("--keep-source", help="Also write each source row, unchanged.")]
SummaryJson = Annotated[Path | None, _opt(
    "--summary-json", help="Also write the summary as JSON to this file.",
)]
AsJson = Annotated[bool, _opt("--json", help="Summary as JSON on stdout (needs -o FILE).")]
Top = Annotated[int, _opt("--top", help="How many untranslated words and labels to list.")]
Quiet = Annotated[bool, _opt("--quiet", "-q", help="No summary table (--report still prints).")]
Report = Annotated[bool, _opt(
    "--report",
    help="Also report coverage of the rows written: share of each row's words translated "
    "(mean, histogram), share per label (lowest first), untranslated words, how numbers "
    "were written, inflected words. Tables on stderr; under 'report' in --json and "
    "--summary-json.",
)]
Workers = Annotated[int, _opt(
    "--workers",
    help="Processes that synthesise: 1 (this one), N (N worker processes, each on a "
    "contiguous chunk of the source; same output, in the same order), 0 (one per "
    "available core).",
)]
Overwrite = Annotated[bool, _opt(
    "--overwrite", help="Replace the output (and --summary-json) file if it exists.",
)]


@app.command("synth")
def synth_command(
    source: Source,
    lexicon: Lexicons,
    output: Output = "-",
    ops: Ops = "translate",
    split: Split = None,
    format: Format = "auto",
    locale: Locale = None,
    per_utterance: PerUtterance = 1,
    seed: Seed = 0,
    sense: Sense = "weight",
    sense_text: SenseText = None,
    sense_text_split: SenseTextSplit = None,
    unknown: Unknown = "keep",
    function_words: FunctionWords = None,
    numbers: Numbers = NUMBERS_DEFAULT,
    slot_mode: SlotMode = "translate",
    slot_lexicon: SlotLexicon = None,
    token_ratio: TokenRatio = 0.5,
    sentence_ratio: SentenceRatio = 1.0,
    morph: Morph = None,
    unimorph: Unimorph = None,
    morph_model: MorphModel = None,
    inflect_from: InflectFrom = "table+learned",
    inflect_pos: InflectPos = None,
    word_order: WordOrderOpt = "source",
    phonetic_lang: PhoneticLang = None,
    phonetic_style: PhoneticStyle = "ipa",
    keep_source: KeepSource = False,
    summary_json: SummaryJson = None,
    as_json: AsJson = False,
    top: Top = 10,
    quiet: Quiet = False,
    report: Report = False,
    overwrite: Overwrite = False,
    workers: Workers = 1,
    per_utterance_old: PerUtteranceOld = None,
) -> None:
    """Turn English labelled data into synthetic target-language training data with aligned
    slots: word-by-word pseudo-translation (`translate`), code-switching (`codeswitch`),
    phonetic spellings (`phonetic`), with translated words inflected (`inflect`).

    Example (Swahili from MASSIVE en-US train, 2 rows per generator):

    `lexi synth --source en-US.jsonl --split train --lexicon wechsel-en-sw.tsv
    --morph swc --unimorph unimorph/swc --ops translate,inflect,codeswitch
    --per-utterance 2 --seed 0 --locale sw-KE -o sw-synth.jsonl`

    Numbers, times, weekdays and months are read as whole expressions and written as
    `--numbers` says (spelled by CLDR in the `--locale` language, word by word through the
    lexicon, or kept); words the lexicon lacks stay English unless `--unknown` drops them;
    `--report` shows how much of each row and label was translated. `--sense-text` weighs a
    word's translations by how often each occurs in unlabelled target-language text.

    Output is MASSIVE jsonl; each row records its provenance under `lexi`. An existing
    output file is kept unless `--overwrite` is given; 0 rows selected is an error.
    """
    if per_utterance_old is not None:
        deprecated("-n", "--per-utterance (-n is --dry-run elsewhere)")
        per_utterance = per_utterance_old
    if as_json and output == "-":
        raise typer.BadParameter("--json prints on stdout, so the rows need -o FILE")
    summary = synth(
        source, output, lexicon, ops, split=split, format=format, locale=locale,
        per_utterance=per_utterance, seed=seed, sense=sense, sense_text=sense_text,
        sense_text_split=sense_text_split, unknown=unknown,
        function_words=function_words, numbers=numbers,
        slot_mode=slot_mode, slot_lexicon=slot_lexicon, token_ratio=token_ratio,
        sentence_ratio=sentence_ratio, morph=morph, unimorph=unimorph, morph_model=morph_model,
        inflect_from=inflect_from, inflect_pos=inflect_pos, word_order=word_order,
        phonetic_lang=phonetic_lang, phonetic_style=phonetic_style, keep_source=keep_source,
        summary_json=None if summary_json is None else str(summary_json),
        progress=console.is_terminal and not quiet, overwrite=overwrite, report=report,
        freeze_after_load=True,  # one load per process, then the heavy part: see read_store
        workers=workers,
    )
    if as_json:
        print_json(summary.as_dict(top, report=report))
        return
    if not quiet:
        print_summary(summary, output, top)
    if report:
        print_report(summary, top, untranslated=quiet)
