"""Language identity (any code, tag, locale, FLORES code or name → one record) and
`lexi languages` (what lexi has for each language in a data root)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from lexi.cli.main import main
from lexi.errors import LexiError
from lexi.resources.data_root import discover, lexicon_names
from lexi.resources.language_table import language_table
from lexi.resources.languages import (
    KNOWN_RESOURCES_FILE,
    MASSIVE_LOCALES,
    SIB200_CODES,
    _parse_code,
    check_language,
    locale_code,
    resolve,
    resolve_language,
)


def fake_root(root: Path) -> Path:
    """A data root for languages languages.yml does not list (Tsonga, Akan/Twi), plus a
    Lingala lexicon and a file whose name is no language."""
    files = {
        "lexicons/gatitos-en-ts.tsv": "dog\tmbyana\ncat\tximanga\n",
        "lexicons/wechsel-en-ts.tsv": "dog\tmbyana\n",
        "lexicons/gatitos-en-ak.tsv": "water\tnsuo\n",
        "lexicons/gatitos-en-ln.tsv": "water\tmai\n",
        "lexicons/gatitos-en-zzzz.tsv": "x\ty\n",
        "massive/en-US.jsonl": "{}\n",
        "sib200/eng_Latn/test.tsv": "x\n",
        "sib200/tso_Latn/test.tsv": "index_id\tcategory\ttext\n",
        "sib200/twi_Latn/test.tsv": "index_id\tcategory\ttext\n",
        "unimorph/tso": "lemma\tform\tV;PST\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.mark.parametrize("query, code", [
    # Swahili: ISO 639-1, 639-3 (macrolanguage and both individual languages), locale,
    # FLORES code, names (English and the language's own).
    ("sw", "sw"), ("swa", "sw"), ("swh", "sw"), ("swc", "sw"), ("SW", "sw"),
    ("sw-KE", "sw"), ("sw_KE", "sw"), ("sw-Latn-TZ", "sw"), ("swh_Latn", "sw"),
    ("Swahili", "sw"), ("swahili", "sw"), ("Kiswahili", "sw"),
    # Ewe: not in languages.yml, not in MASSIVE.
    ("ee", "ee"), ("ewe", "ee"), ("Ewe", "ee"), ("ewe_Latn", "ee"),
    # Akan and its variety Twi (GATITOS files it as ak, SIB-200 as twi_Latn).
    ("ak", "ak"), ("aka", "ak"), ("twi", "ak"), ("tw", "ak"), ("twi_Latn", "ak"),
    ("aka_Latn", "ak"), ("Akan", "ak"),
    # Mongolian and Halh Mongolian (MASSIVE mn-MN, SIB-200 and UniMorph khk).
    ("mn", "mn"), ("mon", "mn"), ("khk", "mn"), ("khk_Cyrl", "mn"), ("mn-MN", "mn"),
    ("Mongolian", "mn"),
    # CLDR reads tl as Filipino; lexi keeps languages.yml's key.
    ("tl", "tl"), ("tgl", "tl"), ("fil", "tl"), ("tl-PH", "tl"), ("tgl_Latn", "tl"),
    ("ts", "ts"), ("tso", "ts"), ("tso_Latn", "ts"), ("Tsonga", "ts"),
    ("sq", "sq"), ("als_Latn", "sq"), ("az", "az"), ("azj_Latn", "az"),
    ("lin_Latn", "ln"), ("Lingala", "ln"), ("zh-TW", "zh"), ("zho_Hant", "zh"),
])
def test_many_spellings_resolve_to_one_language(query, code):
    assert resolve_language(query).code == code


def test_the_record_says_which_variety_each_dataset_uses():
    sw = resolve_language("sw")
    assert (sw.iso3, sw.name, sw.script) == ("swa", "Swahili", "Latn")
    assert (sw.massive, sw.sib200, sw.unimorph) == ("sw-KE", "swh_Latn", "swc")
    assert {"sw", "swa", "swh", "swc"} <= set(sw.codes)
    assert any("swc (Congo Swahili)" in note for note in sw.notes)
    assert any("swh_Latn" in note for note in sw.notes)
    # swh and swc are the same record, and say how they were folded.
    assert resolve_language("swh").sib200 == "swh_Latn"
    assert "macrolanguage sw" in resolve_language("swc").notes[0]

    mn = resolve_language("khk")
    assert (mn.code, mn.massive, mn.sib200, mn.unimorph) == ("mn", "mn-MN", "khk_Cyrl", "khk")

    ak = resolve_language("ak")
    assert (ak.iso3, ak.sib200, ak.massive) == ("aka", "twi_Latn", None)
    assert any("aka_Latn" in note for note in ak.notes)  # SIB-200 has Akan too
    # An explicit FLORES code is kept: aka_Latn is its own test set.
    assert resolve_language("aka_Latn").sib200 == "aka_Latn"

    ee = resolve_language("ee")
    assert (ee.iso3, ee.name, ee.massive, ee.sib200, ee.unimorph) == (
        "ewe", "Ewe", None, "ewe_Latn", None)
    assert resolve_language("zh-TW").massive == "zh-TW"
    assert resolve_language("zh").massive == "zh-CN"


def test_a_non_dominant_variety_stays_itself():
    # Egyptian Arabic is not Modern Standard Arabic: its own record and test set.
    arz = resolve_language("arz")
    assert (arz.code, arz.sib200, arz.massive) == ("arz", "arz_Arab", None)
    ar = resolve_language("ar")
    assert (ar.code, ar.sib200, ar.massive) == ("ar", "arb_Arab", "ar-SA")


@pytest.mark.parametrize("query, matched", [
    ("sw", "ISO 639-1 code"), ("swh", "ISO 639-3 code"), ("sw-KE", "MASSIVE locale"),
    ("swh_Latn", "SIB-200 / FLORES-200 code"), ("sw-Latn-TZ", "BCP-47 tag"),
    ("Swahili", "language name"),
])
def test_the_resolution_says_how_the_query_was_read(query, matched):
    assert resolve(query).matched == matched


@pytest.mark.parametrize("query, pattern", [
    ("swahilli", r"unknown language 'swahilli' \(did you mean Swahili \(sw\)\?\)"),
    ("lingla", r"did you mean Lingala \(ln\)"),
    ("tsoga", r"did you mean Tsonga \(ts\)"),
    ("xx", r"unknown language 'xx' \(give an ISO 639 code"),
    ("qaa", r"unknown language 'qaa'"),
    ("und", r"names no particular language"),
    ("", r"no language given"),
    # Capitalised, "Mon" is a name (Mon, mnw) as much as a code (mon: Mongolian).
    ("Mon", r"ambiguous.*Mongolian \(mn\).*Mon \(mnw\)"),
    # langcodes.find falls back to the longest known name a text starts with: a guess.
    ("klingonish", r"unknown language 'klingonish'"),
    ("swahilis", r"unknown language 'swahilis' \(did you mean Swahili \(sw\)\?\)"),
])
def test_wrong_or_ambiguous_input_is_one_error_with_the_candidates(query, pattern):
    with pytest.raises(LexiError, match=pattern):
        resolve(query)


def test_every_dataset_code_resolves_to_itself():
    for code in SIB200_CODES:
        assert resolve_language(code).sib200 == code, code
    for locale in MASSIVE_LOCALES:
        assert resolve_language(locale).massive == locale, locale


def test_a_massive_locale_is_checked_and_kept_without_being_parsed():
    """check_language and locale_code answer a MASSIVE locale from the dataset's list (the
    fast path of `lexi synth --locale`): what resolving it would say."""
    for locale in MASSIVE_LOCALES:
        tag = _parse_code(locale)
        assert tag is not None and tag.territory, locale  # the slow path keeps it as written
        assert locale_code(locale) == locale_code(f" {locale.replace('-', '_')} ") == locale
        check_language(locale)  # resolves (above), so passes
    check_language("Swahili")  # anything else is resolved
    with pytest.raises(LexiError, match="unknown language 'klingonish'"):
        check_language("klingonish")


def test_languages_yml_holds_only_known_resources():
    table = yaml.safe_load(KNOWN_RESOURCES_FILE.read_text(encoding="utf-8"))
    for key, row in table.items():
        assert set(row) <= {"massive", "unimorph", "lexicons"}, key
        language = resolve_language(key)
        assert language.code == key
        assert row.get("massive") is None or row["massive"] in MASSIVE_LOCALES
        assert language.massive or language.sib200
    # The SIB-200 codes and names the table used to spell out are now derived.
    derived = {key: (resolve_language(key).name, resolve_language(key).sib200)
               for key in ("sw", "ln", "sq", "az", "mn", "my", "tl", "yo")}
    assert derived == {
        "sw": ("Swahili", "swh_Latn"), "ln": ("Lingala", "lin_Latn"),
        "sq": ("Albanian", "als_Latn"), "az": ("Azerbaijani", "azj_Latn"),
        "mn": ("Mongolian", "khk_Cyrl"), "my": ("Burmese", "mya_Mymr"),
        "tl": ("Tagalog", "tgl_Latn"), "yo": ("Yoruba", "yor_Latn"),
    }


def test_lexicon_names_keep_the_table_order_then_gatitos_before_wechsel():
    assert lexicon_names(resolve_language("ln"))[:2] == ("gatitos-en-ln", "wechsel-en-ln")
    assert lexicon_names(resolve_language("sw"))[:2] == ("wechsel-en-sw", "gatitos-en-sw")
    assert lexicon_names(resolve_language("ts")) == (
        "gatitos-en-ts", "gatitos-en-tso", "wechsel-en-ts", "wechsel-en-tso")


def test_discover_finds_files_named_after_any_code(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = fake_root(tmp_path / "data")
    ts = discover(resolve_language("Tsonga"), root)
    assert [p.name for p in ts.lexicons.found] == ["gatitos-en-ts.tsv", "wechsel-en-ts.tsv"]
    assert ts.sib200_test.found == (root / "sib200/tso_Latn/test.tsv",)
    assert ts.unimorph.found == (root / "unimorph/tso",)
    assert root / "lexicons/gatitos-en-tso.tsv" in ts.lexicons.tried
    twi = discover(resolve_language("twi_Latn"), root)
    assert [p.name for p in twi.lexicons.found] == ["gatitos-en-ak.tsv"]
    assert twi.sib200_test.found == (root / "sib200/twi_Latn/test.tsv",)


def test_language_table_lists_known_and_data_root_languages(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    root = fake_root(tmp_path / "data")
    table = language_table(data_root=root)
    rows = {row.language.code: row for row in table.rows}
    assert {"sw", "ln", "ts", "ak"} <= set(rows)  # languages.yml's and the data root's
    assert "en" not in rows  # the English source is not a target
    ts = rows["ts"]
    assert [(f.path.name, f.lines) for f in ts.lexicons] == [
        ("gatitos-en-ts.tsv", 2), ("wechsel-en-ts.tsv", 1)]
    assert ts.lexicons[0].bytes == len("dog\tmbyana\ncat\tximanga\n")
    assert ts.has("lexicon") and ts.has("morph") and ts.has("test")
    assert rows["ln"].has("lexicon") and not rows["ln"].has("test")
    assert table.unrecognised == (root / "lexicons/gatitos-en-zzzz.tsv",)
    only = language_table(has="lexicon,test", data_root=root)
    assert sorted(row.language.code for row in only.rows) == ["ak", "ts"]
    assert [r.language.code for r in language_table(has="morph", data_root=root).rows] == [
        "ts"]
    with pytest.raises(LexiError, match="--has bogus: unknown resource kind"):
        language_table(has="lexicon,bogus")


def test_cli_languages_json_and_filters(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("UNIMORPH", str(tmp_path / "no-unimorph"))
    monkeypatch.delenv("LEXI_DATA_ROOT", raising=False)
    root = fake_root(tmp_path / "data")
    with pytest.raises(SystemExit) as info:
        main(["languages", "--data-root", str(root), "--has", "lexicon,test", "--json"])
    assert info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["language"]["code"] for row in data["rows"]] == ["ak", "ts"]
    assert data["has"] == ["lexicon", "test"]
    ts = data["rows"][1]
    assert ts["language"]["sib200"] == "tso_Latn"
    assert ts["lexicons"][0]["path"].endswith("gatitos-en-ts.tsv")
    assert ts["sib200_tests"][0]["path"].endswith("tso_Latn/test.tsv")

    # With a query: its resolution, every code, and the data root via the environment.
    monkeypatch.setenv("LEXI_DATA_ROOT", str(root))
    with pytest.raises(SystemExit):
        main(["languages", "twi", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["resolution"]["matched"] == "ISO 639-3 code"
    assert data["resolution"]["language"]["code"] == "ak"
    assert {"ak", "aka", "tw", "twi"} <= set(data["resolution"]["language"]["codes"])
    assert data["rows"][0]["lexicons"][0]["path"].endswith("gatitos-en-ak.tsv")

    with pytest.raises(SystemExit):
        main(["languages", "--data-root", str(root)])
    err = capsys.readouterr().err
    assert "Tsonga" in err and "Swahili" in err and "gatitos-en-zzzz.tsv" in err

    with pytest.raises(SystemExit) as info:
        main(["languages", "swahilli"])
    assert info.value.code == 2
    assert "did you mean Swahili (sw)?" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["languages", "--has", "paradigms"])
    assert info.value.code == 2


def test_language_table_of_the_shared_data(shared_data, monkeypatch):
    monkeypatch.setenv("UNIMORPH", "/nonexistent")
    rows = {row.language.code: row for row in language_table(data_root=shared_data).rows}
    assert [f.path.name for f in rows["ak"].lexicons] == ["gatitos-en-ak.tsv",
                                                          "wechsel-en-ak.tsv"]
    assert [f.path.parent.name for f in rows["ak"].sib200_tests] == ["twi_Latn"]
    assert rows["sw"].unimorph is not None and rows["sw"].massive_tests
    assert {"bm", "gn", "lus", "sg", "ts", "tum"} <= {
        code for code, row in rows.items() if row.has("lexicon") and row.has("test")}
