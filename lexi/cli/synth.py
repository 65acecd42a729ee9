"""`lexi synth`: English labelled data + lexicon (+ paradigms) → synthetic target-language data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lexi.cli._util import app, console, print_json
from lexi.data.outputs import check_output
from lexi.resources.languages import resolve_language
from lexi.synth.config import GENERATORS, MODIFIERS, SynthConfig
from lexi.synth.pipeline import SynthSummary, build_synthesizer, synthesize_file


def synth(
    source: str,
    output: str,
    lexicons: list[str],
    ops: str = "translate",
    *,
    split: str | None = None,
    format: str = "auto",
    locale: str | None = None,
    per_utterance: int = 1,
    seed: int = 0,
    sense: str = "weight",
    unknown: str = "keep",
    slot_mode: str = "translate",
    slot_lexicon: str | None = None,
    token_ratio: float = 0.5,
    sentence_ratio: float = 1.0,
    morph: str | None = None,
    unimorph: str | None = None,
    morph_model: str | None = None,
    phonetic_lang: str | None = None,
    phonetic_style: str = "ipa",
    keep_source: bool = False,
    summary_json: str | None = None,
    progress: bool = False,
    overwrite: bool = False,
) -> SynthSummary:
    """Synthesise ``output`` from ``source``; the parameters are those of the command."""
    # Checked before the lexicons and paradigms load (which can take a while): no output
    # may replace an input, nor an existing file without ``overwrite``.
    inputs = [source, *lexicons, slot_lexicon, unimorph, morph_model]
    check_output(output, inputs, overwrite=overwrite)
    if locale is not None:
        resolve_language(locale)  # every row records it: a typo would stay in the data
    if summary_json is not None:
        check_output(summary_json, [*inputs, output], overwrite=overwrite)
    config = SynthConfig(
        ops=tuple(op.strip() for op in ops.split(",") if op.strip()),
        per_utterance=per_utterance, seed=seed, locale=locale, sense=sense, unknown=unknown,
        slot_mode=slot_mode, token_ratio=token_ratio, sentence_ratio=sentence_ratio,
        phonetic_style=phonetic_style, keep_source=keep_source,
    )
    synthesizer = build_synthesizer(
        config, lexicons, slot_lexicon=slot_lexicon, morph=morph, unimorph=unimorph,
        morph_model=morph_model, phonetic_lang=phonetic_lang,
    )
    return synthesize_file(
        source, output, synthesizer, split=split, format=format, summary_json=summary_json,
        progress=progress, overwrite=overwrite,
    )


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
    if summary.inflections:
        table.add_row(
            "inflections", ", ".join(f"{k}: {v}" for k, v in summary.inflections.most_common())
        )
    console.print(table)
    for title, counter in (
        (f"words with no translation ({len(summary.untranslated)} distinct)", summary.untranslated),
        (f"rows per label ({len(summary.labels)} labels)", summary.labels),
    ):
        if not counter:
            continue
        listing = Table(title=title)
        listing.add_column("word" if "words" in title else "label")
        listing.add_column("count", justify="right")
        for key, count in counter.most_common(top):
            listing.add_row(str(key), str(count))
        console.print(listing)


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
Split = Annotated[str | None, _opt("--split", help="Only source rows of this split (train …).")]
Format = Annotated[str, _opt("--format", "-f", help="Source: auto, massive, jsonl, csv, tsv.")]
Locale = Annotated[str | None, _opt("--locale", help="Target locale of every row, e.g. sw-KE.")]
PerUtterance = Annotated[int, _opt(
    "--per-utterance", "-n", help="Rows each generator writes per source row.",
)]
Seed = Annotated[int, _opt("--seed", help="Global seed: same seed, same output.")]
Sense = Annotated[str, _opt(
    "--sense", help="Which translation: weight (sampled by weight), random, first.",
)]
Unknown = Annotated[str, _opt(
    "--unknown", help="Words with no translation: keep, or drop (never inside slots).",
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
Morph = Annotated[str | None, _opt("--morph", help="inflect: target language, e.g. swc.")]
Unimorph = Annotated[str | None, _opt("--unimorph", help="inflect: UniMorph paradigm table.")]
MorphModel = Annotated[str | None, _opt("--morph-model", help="inflect: learned inflector.")]
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
Quiet = Annotated[bool, _opt("--quiet", "-q", help="No summary table.")]
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
    unknown: Unknown = "keep",
    slot_mode: SlotMode = "translate",
    slot_lexicon: SlotLexicon = None,
    token_ratio: TokenRatio = 0.5,
    sentence_ratio: SentenceRatio = 1.0,
    morph: Morph = None,
    unimorph: Unimorph = None,
    morph_model: MorphModel = None,
    phonetic_lang: PhoneticLang = None,
    phonetic_style: PhoneticStyle = "ipa",
    keep_source: KeepSource = False,
    summary_json: SummaryJson = None,
    as_json: AsJson = False,
    top: Top = 10,
    quiet: Quiet = False,
    overwrite: Overwrite = False,
) -> None:
    """Turn English labelled data into synthetic target-language training data with aligned
    slots: word-by-word pseudo-translation (`translate`), code-switching (`codeswitch`),
    phonetic spellings (`phonetic`), with translated words inflected (`inflect`).

    Example (Swahili from MASSIVE en-US train, 2 rows per generator):

    `lexi synth --source en-US.jsonl --split train --lexicon wechsel-en-sw.tsv
    --morph swc --unimorph unimorph/swc --ops translate,inflect,codeswitch
    --per-utterance 2 --seed 0 --locale sw-KE -o sw-synth.jsonl`

    Output is MASSIVE jsonl; each row records its provenance under `lexi`. An existing
    output file is kept unless `--overwrite` is given; 0 rows selected is an error.
    """
    if as_json and output == "-":
        raise typer.BadParameter("--json prints on stdout, so the rows need -o FILE")
    summary = synth(
        source, output, lexicon, ops, split=split, format=format, locale=locale,
        per_utterance=per_utterance, seed=seed, sense=sense, unknown=unknown,
        slot_mode=slot_mode, slot_lexicon=slot_lexicon, token_ratio=token_ratio,
        sentence_ratio=sentence_ratio, morph=morph, unimorph=unimorph, morph_model=morph_model,
        phonetic_lang=phonetic_lang, phonetic_style=phonetic_style, keep_source=keep_source,
        summary_json=None if summary_json is None else str(summary_json),
        progress=console.is_terminal and not quiet, overwrite=overwrite,
    )
    if as_json:
        print_json(summary.as_dict(top))
    elif not quiet:
        print_summary(summary, output, top)
