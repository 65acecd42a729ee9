"""Morphology: feature parsing, tables, the paradigm index, the inflector, transfer, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lexi.cli import morph as _morph_commands  # noqa: F401  (registers `lexi morph`)
from lexi.cli._util import app
from lexi.errors import LexiError
from lexi.morph import Analysis, load_morphology, parse_features
from lexi.morph.features import dimension_of, format_features
from lexi.morph.inflector import Inflector, InflectorConfig, learn_inflector, split_edits
from lexi.morph.transfer import best_bundle, bundle_score
from lexi.morph.unimorph import Entry, load_index, read_unimorph, table_files

FIXTURES = Path(__file__).parent / "fixtures" / "morph"
MINI = FIXTURES / "mini"


def fs(text: str) -> frozenset[str]:
    return parse_features(text)


# -- features ---------------------------------------------------------------------------


def test_parse_features_normalises_variants_and_order():
    assert fs("V;IND;PRES;3;SG") == {"V", "IND", "PRS", "3", "SG"}
    assert fs("V;SUBJ;2;SG") == fs("v;sbjv;sg;2")
    assert fs("N;IN+ESS;SG") == {"N", "IN", "ESS", "SG"}


def test_layered_subject_agreement_equals_flat_person_number():
    assert fs("V;IND;PRS;NOM(3,SG)") == fs("V;IND;PRS;3;SG")
    layered = fs("V;IND;PST;NOM(1,SG);ACC(3,PL)")
    assert "ACC(3,PL)" in layered and {"1", "SG"} <= layered
    assert dimension_of("ACC(3,PL)") == dimension_of("ACC(1,SG)") != dimension_of("PL")


def test_language_specific_and_pattern_labels_are_known():
    assert fs("V;FIN;IND;PST;3;SG;LGSPEC6") >= {"LGSPEC6", "FIN"}
    assert fs("N;ACC;PL;PSS2P") >= {"PSS2P"}
    assert dimension_of("BANTU7") == "gender"


def test_unknown_label_names_file_and_line():
    with pytest.raises(LexiError) as error:
        list(read_unimorph(FIXTURES / "bad"))
    assert error.value.line == 2 and "XYZZY" in str(error.value)
    assert str(error.value).startswith(f"{FIXTURES / 'bad'}:2:")


def test_format_features_is_canonical_and_round_trips():
    text = format_features(fs("SG;2;IND;V;FUT;FIN"))
    assert text == "V;FIN;IND;FUT;2;SG"
    assert fs(text) == fs("SG;2;IND;V;FUT;FIN")


# -- tables and the index ---------------------------------------------------------------


def test_reader_skips_comments_and_blank_lines():
    rows = list(read_unimorph(MINI))
    assert len(rows) == 20
    assert rows[0] == Entry("soma", "nasoma", fs("V;IND;PRS;1;SG"))


def test_split_tables_are_collected_in_order():
    files = table_files(FIXTURES / "xyz")
    assert [f.name for f in files] == ["xyz.1", "xyz.2"]
    index = load_index(files, use_cache=False)
    assert index.paradigms["olla"][fs("V;IND;PRS;3;SG")] == ["on"]
    assert index.analyses["talot"] == [("talo", fs("N;NOM;PL"))]


def test_index_cache_is_reused_and_invalidated_on_change(lexi_home, tmp_path):
    table = tmp_path / "tbl"
    table.write_text("soma\tnasoma\tV;IND;PRS;1;SG\n", encoding="utf-8")
    first = load_index([table])
    assert list((lexi_home / "morph").glob("*.pkl"))
    assert load_index([table]).paradigms == first.paradigms
    table.write_text("soma\tnasoma\tV;IND;PRS;1;SG\nsoma\tkusoma\tV;NFIN\n", encoding="utf-8")
    assert load_index([table]).paradigms["soma"][fs("V;NFIN")] == ["kusoma"]


def test_damaged_index_cache_is_rebuilt(lexi_home, tmp_path):
    table = tmp_path / "tbl"
    table.write_text("soma\tnasoma\tV;IND;PRS;1;SG\n", encoding="utf-8")
    load_index([table])
    (cache,) = (lexi_home / "morph").glob("*.pkl")
    cache.write_bytes(b"not a pickle")
    assert load_index([table]).paradigms["soma"][fs("V;IND;PRS;1;SG")] == ["nasoma"]
    assert cache.read_bytes() != b"not a pickle"


# -- the learned inflector --------------------------------------------------------------


def test_split_edits_finds_prefix_and_suffix_changes():
    assert split_edits("fua", "ukafue") == ((0, "uka"), (1, "e"))
    assert split_edits("sosluk", "sosluğunun") == ((0, ""), (1, "ğunun"))
    assert split_edits("go", "went") == ((0, ""), (2, "went"))


def test_inflector_generalises_prefixing_morphology_to_unseen_lemmas():
    inflector = learn_inflector(read_unimorph(MINI))
    assert inflector.inflect("pika", fs("V;IND;PRS;2;SG")) == "unapika"
    assert inflector.inflect("pika", fs("V;SBJV;2;SG")) == "pike"
    assert inflector.inflect("pika", fs("V;NFIN")) == "kupika"
    assert inflector.inflect("pika", fs("V;IND;PST;1;SG")) == "nilipika"


def test_inflector_uses_lemma_shape_for_suffixes():
    pairs = [("kapı", "kapılar"), ("masa", "masalar"), ("ev", "evler"), ("göz", "gözler"),
             ("kedi", "kediler"), ("okul", "okullar")]
    inflector = learn_inflector(Entry(lemma, form, fs("N;PL")) for lemma, form in pairs)
    assert inflector.inflect("kol", fs("N;PL")) == "kollar"
    assert inflector.inflect("el", fs("N;PL")) == "eller"


def test_unseen_bundle_backs_off_or_not():
    entries = list(read_unimorph(MINI))
    unseen = fs("V;IND;PRS;2;PL")
    assert learn_inflector(entries).inflect("pika", unseen) is not None
    strict = learn_inflector(entries, config=InflectorConfig(backoff=False))
    assert strict.inflect("pika", unseen) is None


def test_inflector_json_round_trip(tmp_path):
    inflector = learn_inflector(read_unimorph(MINI), lang="swc")
    path = tmp_path / "m.json"
    inflector.save(path)
    loaded = Inflector.load(path)
    assert loaded.lang == "swc" and loaded.pairs == inflector.pairs
    for bundle in ("V;IND;PRS;3;SG", "V;SBJV;2;SG", "V;NFIN"):
        assert loaded.inflect("pika", fs(bundle)) == inflector.inflect("pika", fs(bundle))


def test_bad_model_file_is_reported(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(LexiError, match="not a lexi inflector model"):
        Inflector.load(path)


# -- transfer ---------------------------------------------------------------------------


def test_compatibility_rule_prefers_exact_then_near_then_least_marked():
    wanted = fs("V;OPT;2;SG")
    candidates = [fs("V;IND;PRS;2;SG"), fs("V;SBJV;2;SG"), fs("V;SBJV;PST;2;SG"), fs("V;NFIN")]
    assert best_bundle(wanted, candidates) == fs("V;SBJV;2;SG")
    assert best_bundle(wanted, candidates + [fs("V;OPT;2;SG")]) == fs("V;OPT;2;SG")
    # An imperative takes only an imperative; with none on offer the lemma is kept.
    assert best_bundle(fs("V;IMP;2;SG"), candidates) is None
    assert best_bundle(fs("V;IMP;2;SG"), [*candidates, fs("V;IMP;2;SG")]) == fs("V;IMP;2;SG")
    assert best_bundle(fs("N;PL"), [fs("N;SG"), fs("N;PL;ACC"), fs("N;PL")]) == fs("N;PL")
    assert bundle_score(fs("N;PL"), fs("V;IND;PRS;3;PL")) is None


def test_morphology_inflects_from_table_learned_and_lemma(lexi_home):
    morph = load_morphology("swc", MINI)
    you_read = Analysis("read", "read", "V", fs("V;IND;PRS;2;SG"))
    assert morph.inflect("soma", you_read).form == "unasoma"
    assert morph.inflect("soma", you_read).method == "table"
    # The table has no imperative: the bare stem (the lemma) is Swahili's imperative.
    imperative = Analysis("read", "read", "V", fs("V;IMP;2;SG"))
    assert (morph.inflect("soma", imperative).form, morph.inflect("soma", imperative).method) == (
        "soma", "lemma")
    plural = Analysis("books", "book", "N", fs("N;PL"))
    assert morph.inflect("kitabu", plural).form == "vitabu"
    det = Analysis("the", "the", "DET", fs("DET;DEF"))
    assert morph.inflect("hiyo", det).method == "lemma"
    assert ("soma", fs("V;NFIN")) in morph.analyze("kusoma")


def test_learned_path_needs_enough_evidence(lexi_home, tmp_path):
    model = tmp_path / "m.json"
    inflector = learn_inflector(read_unimorph(MINI), lang="swc",
                                config=InflectorConfig(min_pairs=3))
    inflector.save(model)
    morph = load_morphology("swc", model=model)
    verb = morph.inflect("pika", Analysis("cook", "cook", "V", fs("V;IND;PRS;2;SG")))
    assert (verb.form, verb.method) == ("unapika", "learned")
    # N;PL was seen once: a noun class cannot be guessed from one example.
    assert morph.inflect("gari", Analysis("cars", "car", "N", fs("N;PL"))).method == "lemma"


def test_missing_language_names_how_to_fetch(monkeypatch, tmp_path):
    monkeypatch.setenv("UNIMORPH", str(tmp_path))
    with pytest.raises(LexiError) as error:
        load_morphology("zul")
    assert "https://github.com/unimorph/zul" in str(error.value)


# -- CLI --------------------------------------------------------------------------------


runner = CliRunner()


def test_cli_inflect_analyze_learn(lexi_home, tmp_path):
    result = runner.invoke(app, ["morph", "inflect", "swc", "soma", "V;NFIN", "-t", str(MINI)])
    assert result.exit_code == 0 and result.stdout.strip() == "kusoma"
    result = runner.invoke(
        app, ["morph", "inflect", "swc", "pika", "V;IND;PRS;3;SG", "-t", str(MINI), "--json"]
    )
    assert json.loads(result.stdout) == {
        "lemma": "pika", "form": "anapika", "features": "V;IND;PRS;3;SG", "method": "learned"
    }
    result = runner.invoke(app, ["morph", "analyze", "swc", "some", "-t", str(MINI)])
    assert result.stdout.strip() == "some\tsoma\tV;SBJV;2;SG"
    assert runner.invoke(app, ["morph", "analyze", "swc", "zzz", "-t", str(MINI)]).exit_code == 1
    model = tmp_path / "model.json"
    result = runner.invoke(app, ["morph", "learn", "swc", str(MINI), "-o", str(model)])
    assert result.exit_code == 0 and json.loads(model.read_text())["pairs"] == 20


def test_cli_stats_and_eval_json(lexi_home, tmp_path):
    result = runner.invoke(app, ["morph", "stats", str(MINI), "--json"])
    stats = json.loads(result.stdout)
    assert (stats["rows"], stats["lemmas"], stats["pos"]) == (20, 4, {"V": 18, "N": 2})
    result = runner.invoke(
        app, ["morph", "eval", "--train", str(MINI), "--test", str(MINI), "--json"]
    )
    (row,) = json.loads(result.stdout)
    assert row["test_pairs"] == 20 and row["accuracy"] >= 90


def test_default_table_location_follows_unimorph_env(monkeypatch, lexi_home):
    monkeypatch.setenv("UNIMORPH", str(FIXTURES))
    morph = load_morphology("xyz")  # $UNIMORPH/xyz/xyz.1 and xyz.2
    assert morph.analyze("talossa") == [("talo", fs("N;IN;ESS;SG"))]
    result = morph.inflect_features("olla", fs("V;IND;PRS;NOM(1,SG)"))
    assert (result.form, result.method) == ("olen", "table")


def test_cli_english_analysis_and_bad_features(lexi_home):
    result = runner.invoke(app, ["morph", "analyze", "en", "set alarms"])
    assert result.stdout.splitlines() == ["set\tset\tV;IMP;2;SG", "alarms\talarm\tN;PL"]
    result = runner.invoke(app, ["morph", "inflect", "swc", "soma", "V;XYZZY", "-t", str(MINI)])
    assert result.exit_code != 0 and isinstance(result.exception, LexiError)
