"""End to end on the public data: MASSIVE en-US → Swahili with the WECHSEL lexicon and
UniMorph swc, through the real lexicon and morphology modules."""

from __future__ import annotations

import json

import pytest

from lexi.data.massive import read_massive
from lexi.errors import LexiError
from lexi.synth import SynthConfig, build_synthesizer, synthesize_file

pytestmark = pytest.mark.shared_data


@pytest.fixture
def english_head(shared_data, tmp_path):
    """The first 400 rows of MASSIVE en-US (all splits), as a file of their own."""
    lines = (shared_data / "massive" / "en-US.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "en-US.head.jsonl"
    path.write_text("\n".join(lines[:400]) + "\n", encoding="utf-8")
    return path


def run(shared_data, source, out, **config):
    synth = build_synthesizer(
        SynthConfig(locale="sw-KE", **config),
        [shared_data / "lexicons" / "wechsel-en-sw.tsv"],
        morph="swc", unimorph=shared_data / "unimorph" / "swc",
    )
    return synthesize_file(source, out, synth, split="train")


def test_translate_inflect_codeswitch_on_massive(shared_data, english_head, tmp_path):
    out = tmp_path / "sw.jsonl"
    ops = ("translate", "inflect", "codeswitch")
    summary = run(shared_data, english_head, out, ops=ops, per_utterance=2, seed=0,
                  numbers="auto")
    rows = list(read_massive(out))  # every annot_utt is re-parsed and checked against utt
    sources = {u.id: u for u in read_massive(english_head, split="train")}
    assert len(rows) == summary.rows_written > summary.source_rows == len(sources)
    assert len({r.id for r in rows}) == len(rows)
    assert all(r.locale == "sw-KE" and r.split == "train" for r in rows)
    assert {r.metadata["lexi"]["op"] for r in rows} == {"translate", "codeswitch"}
    for row in rows:
        source = sources[row.metadata["lexi"]["source_id"]]
        assert row.label == source.label and row.text != source.text
        assert [s.name for s in row.slots] == [s.name for s in source.slots]
        for record in row.metadata["lexi"]["replaced"]:
            # Numbers, times, weekdays and months are written with CLDR (--numbers
            # auto is cldr for Swahili), every other word from WECHSEL.
            if record.get("lexicon") == "cldr":
                assert record["entry"].startswith("cldr:sw:")
            else:
                assert record["entry"].startswith("wechsel-en-sw.tsv:")
            assert record["tgt"] in row.text
    # WECHSEL covers a good part of MASSIVE's words; function words mostly stay English.
    assert 0.25 < summary.replaced_share < 0.9
    assert {"the", "to"} <= set(dict(summary.untranslated.most_common(20)))
    # Inflection was asked for every translated single word and answered by a method.
    assert sum(summary.inflections.values()) > 0
    assert set(summary.inflections) <= {"table", "learned", "lemma"}
    # Numbers and times were written with CLDR; the am of a time was never looked up in
    # the lexicon (it used to become "wa", "be"): only the verb of "i am" still is.
    assert summary.numbers["cldr_numbers"] > 0 and "lexicon_numbers" not in summary.numbers
    for row in rows:
        if any(r["src"] in ("am", "pm") for r in row.metadata["lexi"]["replaced"]):
            assert "i am" in sources[row.metadata["lexi"]["source_id"]].text
    # Same seed, same bytes.
    again = tmp_path / "again.jsonl"
    run(shared_data, english_head, again, ops=ops, per_utterance=2, seed=0, numbers="auto")
    assert again.read_bytes() == out.read_bytes()


def test_target_language_rows_are_refused(shared_data, tmp_path):
    out = tmp_path / "never.jsonl"
    with pytest.raises(LexiError, match="target language"):
        run(shared_data, shared_data / "massive" / "sw-KE.partial.jsonl", out)
    assert not out.exists()


def test_cli_summary_json_on_massive(shared_data, english_head, tmp_path):
    from lexi.cli.synth import synth

    summary_path = tmp_path / "summary.json"
    summary = synth(
        str(english_head), str(tmp_path / "out.jsonl"),
        [str(shared_data / "lexicons" / "wechsel-en-sw.tsv")], "translate,phonetic",
        split="train", locale="sw-KE", phonetic_style="ascii", summary_json=str(summary_path),
    )
    data = json.loads(summary_path.read_text(encoding="utf-8"))
    assert data["rows_written"] == summary.rows_written
    assert data["by_op"]["phonetic"] > 0 and sum(data["labels"].values()) == summary.rows_written
