"""Morphology on real public data: UniMorph Swahili and the CoNLL–SIGMORPHON 2018 splits."""

from __future__ import annotations

import pytest

from lexi.morph import analyze_english, load_morphology, parse_features
from lexi.morph.evaluation import evaluate_sigmorphon
from lexi.morph.inflector import learn_inflector
from lexi.morph.unimorph import read_unimorph


@pytest.fixture
def swc(shared_data, lexi_home):
    return load_morphology("swc", shared_data / "unimorph" / "swc")


def test_analyze_real_swahili_verbs(swc):
    assert ("fua", parse_features("V;FIN;IND;FUT;2;SG")) in swc.analyze("utafua")
    assert {lemma for lemma, _ in swc.analyze("kusoma")} == {"soma"}
    assert ("andika", parse_features("V;FIN;IND;PST;3;PL;LGSPEC3")) in swc.analyze("yaliandika")


def test_inflect_real_swahili_verbs_from_the_table(swc):
    result = swc.inflect_features("fua", parse_features("V;FIN;IND;FUT;2;SG"))
    assert (result.form, result.method) == ("utafua", "table")
    assert swc.inflect_features("soma", parse_features("V;NFIN")).form == "kusoma"


def test_transfer_from_english_commands(swc):
    want, read = analyze_english(["i", "want", "to", "read"])[1::2]
    assert swc.inflect("taka", want).form == "ninataka"  # 1SG present, learned ("taka" ∉ table)
    assert swc.inflect("soma", read).form == "kusoma"  # infinitive, from the table
    imperative = analyze_english(["read", "the", "news"])[0]
    chosen = swc.inflect("soma", imperative)
    # No IMP in the Swahili table: the bare stem (the lemma) is the singular imperative.
    assert (chosen.form, chosen.method) == ("soma", "lemma")


def test_learned_inflector_on_held_out_swahili_verbs(shared_data):
    rows = list(read_unimorph(shared_data / "unimorph" / "swc"))
    lemmas = sorted({row.lemma for row in rows})
    held_out = set(lemmas[::10])
    inflector = learn_inflector(row for row in rows if row.lemma not in held_out)
    verbs = [row for row in rows if row.lemma in held_out and "V" in row.features]
    correct = sum(inflector.inflect(row.lemma, row.features) == row.form for row in verbs)
    assert len(verbs) > 500 and correct / len(verbs) >= 0.9


def test_sigmorphon_high_at_or_above_baseline_style(shared_data):
    results = evaluate_sigmorphon(shared_data / "sigmorphon2018", settings=("high",))
    by_key = {(r.language, r.system): r.accuracy for r in results}
    for language in ("swahili", "turkish"):
        assert by_key[(language, "lexi")] >= by_key[(language, "baseline-style")]
        assert by_key[(language, "lexi")] >= 0.8


def test_compaction_keeps_every_prediction(shared_data):
    from lexi.morph.inflector import Inflector

    train = list(read_unimorph(shared_data / "sigmorphon2018" / "turkish-train-high"))
    full = Inflector()
    for row in train:
        full.add(row.lemma, row.form, row.features)
    before = sum(len(edges) for edges in full.suffix.values())
    test = list(read_unimorph(shared_data / "sigmorphon2018" / "turkish-dev"))
    expected = [full.inflect(row.lemma, row.features) for row in test]
    full.compact()
    assert sum(len(edges) for edges in full.suffix.values()) < 0.8 * before
    assert [full.inflect(row.lemma, row.features) for row in test] == expected
