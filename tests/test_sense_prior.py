"""Translations weighed by unlabelled target-language text (`lexi synth --sense-text`)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from lexi.cli.main import main
from lexi.errors import LexiError
from lexi.lexicon.model import Entry
from lexi.synth.sense_prior import SensePrior, text_words
from lexi.synth.sites import senses_of

# English "play": a stage play first (the word list's order), the verb second.
LEXICON = "play\ttamthilia\nplay\tcheza\nplay\tchezeana\nsome\tbaadhi\nmusic\tmuziki\n"
POOL = "nicheze muziki\nCheza muziki wa jazz\nninacheza baadhi ya nyimbo\nhali ya hewa leo\n"


def entries(*pairs: tuple[str, float]) -> tuple[Entry, ...]:
    return tuple(Entry("play", target, None, weight, None) for target, weight in pairs)


def test_counts_whole_words_phrases_and_stems_inside_longer_words():
    prior = SensePrior.from_texts(POOL.splitlines())
    assert text_words("Cheza muziki, wa-jazz!") == ("cheza", "muziki", "wa-jazz")
    assert prior.words == 14
    # "cheza": once as a word (case folded), once inside "ninacheza"; not in "nicheze".
    assert prior.count("cheza") == 2
    assert prior.count("Cheza") == 2
    assert prior.count("hali ya hewa") == 1 and prior.count("ya hewa leo") == 1
    assert prior.count("hewa ya") == 0
    # Shorter than four letters: whole words only ("ya" is no stem of "nyimbo" or "yao").
    assert prior.count("ya") == 2 and prior.count("ni") == 0
    assert prior.count("tamthilia") == 0


def test_weights_multiply_the_lexicons_and_reorder_the_senses():
    prior = SensePrior.from_texts(POOL.splitlines())
    usable, targets, cumulative = senses_of(
        entries(("tamthilia", 1.0), ("cheza", 0.5), ("chezeana", 1 / 3)), False, prior)
    # tamthilia 1.0 × (0 + 1), cheza 0.5 × (2 + 1), chezeana ⅓ × (0 + 1).
    assert targets == ("cheza", "tamthilia", "chezeana")
    assert cumulative == pytest.approx((1.5, 2.5, 2.5 + 1 / 3))
    # Without a prior: the lexicon's order and weights.
    _, targets, cumulative = senses_of(entries(("tamthilia", 1.0), ("cheza", 0.5)), False)
    assert targets == ("tamthilia", "cheza") and cumulative == pytest.approx((1.0, 1.5))
    # No translation in the text: the same order and the same relative weights.
    _, targets, cumulative = senses_of(entries(("igizo", 1.0), ("onyesho", 0.5)), True, prior)
    assert targets == ("Igizo", "Onyesho") and cumulative == pytest.approx((1.0, 1.5))
    with pytest.raises(LexiError, match="smoothing must be positive"):
        SensePrior((), smoothing=0)


@pytest.fixture
def files(tmp_path):
    lexicon = tmp_path / "en-sw.tsv"
    lexicon.write_text(LEXICON, encoding="utf-8")
    source = tmp_path / "en.jsonl"
    source.write_text("".join(json.dumps({
        "id": str(i), "locale": "en-US", "partition": "train", "intent": "play_music",
        "utt": "play some music", "annot_utt": "play some music"}) + "\n" for i in range(200)),
        encoding="utf-8")
    text = tmp_path / "pool.txt"
    text.write_text(POOL, encoding="utf-8")
    return lexicon, source, text


def played(path) -> Counter:
    return Counter(json.loads(line)["utt"].split()[0] for line in open(path, encoding="utf-8"))


def test_synth_draws_the_sense_the_text_shows(files, tmp_path):
    import lexi

    lexicon, source, text = files
    plain, weighed = tmp_path / "plain.jsonl", tmp_path / "weighed.jsonl"
    lexi.synthesize(str(source), str(plain), [str(lexicon)], seed=0)
    lexi.synthesize(str(source), str(weighed), [str(lexicon)], seed=0, sense_text=str(text))
    before, after = played(plain), played(weighed)
    # Sampled by weight: 1 : 0.5 : 0.33 without the text, 1 : 1.5 : 0.33 with it.
    assert before["tamthilia"] > before["cheza"]
    assert after["cheza"] > after["tamthilia"] and after["cheza"] > before["cheza"]
    first = tmp_path / "first.jsonl"
    lexi.synthesize(str(source), str(first), [str(lexicon)], sense="first",
                    sense_text=str(text))
    assert played(first) == Counter({"cheza": 200})
    row = json.loads(first.read_text(encoding="utf-8").splitlines()[0])
    assert row["lexi"]["params"]["sense_text"] == "pool.txt"
    row = json.loads(plain.read_text(encoding="utf-8").splitlines()[0])
    assert "sense_text" not in row["lexi"]["params"]


def test_a_dataset_pool_gives_only_its_text_and_the_split_chosen(files, tmp_path):
    import lexi

    lexicon, source, _ = files
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({
        "id": str(i), "locale": "sw-KE", "partition": split, "intent": "play_music",
        "utt": utt, "annot_utt": utt}) + "\n" for i, (split, utt) in enumerate([
            ("train", "cheza muziki"), ("train", "ninacheza jazz"),
            ("test", "tamthilia tamthilia tamthilia")])), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    lexi.synthesize(str(source), str(out), [str(lexicon)], sense="first",
                    sense_text=str(pool), sense_text_split="train")
    assert played(out) == Counter({"cheza": 200})  # the test row's words were not counted
    row = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert row["lexi"]["params"]["sense_text"] == "pool.jsonl (train)"
    lexi.synthesize(str(source), str(out), [str(lexicon)], sense="first",
                    sense_text=str(pool), overwrite=True)
    assert played(out) == Counter({"tamthilia": 200})  # 1 × (3 + 1) against cheza's 0.5 × (2 + 1)


def run_cli(args, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    return info.value.code, captured.out + captured.err


def test_cli_options_and_their_errors(files, tmp_path, capsys):
    lexicon, source, text = files
    out = tmp_path / "cli.jsonl"
    base = ["synth", "-s", str(source), "-l", str(lexicon), "--sense", "first", "-q"]
    code, _ = run_cli([*base, "--sense-text", str(text), "-o", str(out)], capsys)
    assert code == 0 and played(out) == Counter({"cheza": 200})
    code, said = run_cli([*base, "--sense-text-split", "train", "-o", str(out), "--overwrite"],
                         capsys)
    assert code != 0 and "--sense-text-split needs --sense-text" in said
    missing = tmp_path / "x.jsonl"
    code, said = run_cli([*base, "--sense-text", str(tmp_path / "missing.txt"), "-o",
                          str(missing)], capsys)
    assert code != 0 and "missing.txt" in said and not missing.exists()


def test_fresh_views_take_the_text_relative_to_the_spec(files, tmp_path):
    from lexi.model.views import FreshViewSpec

    lexicon, _, text = files
    spec = tmp_path / "spec.yml"
    spec.write_text(f"lexicon: {lexicon.name}\nsense: first\nsense_text: {text.name}\n",
                    encoding="utf-8")
    read = FreshViewSpec.read(spec)
    assert read.resources == {"sense_text": str(text)}


def test_workers_weigh_the_same_way(files, tmp_path):
    import lexi

    lexicon, source, text = files
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    lexi.synthesize(str(source), str(one), [str(lexicon)], seed=3, sense_text=str(text))
    lexi.synthesize(str(source), str(two), [str(lexicon)], seed=3, sense_text=str(text),
                    workers=2)
    assert one.read_bytes() == two.read_bytes()
