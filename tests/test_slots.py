"""Slot filling: BIO tags from character offsets and back, span metrics (checked against
seqeval), and `--task intent+slots` end to end on the tiny BERT; intent-only runs unchanged."""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lexi.data.massive import format_annot, parse_annot
from lexi.data.records import SlotSpan
from lexi.errors import LexiError
from lexi.evaluate.evaluation import evaluate_prediction_files, evaluate_predictions, evaluate_runs
from lexi.evaluate.metrics import BootstrapConfig
from lexi.evaluate.predictions import Prediction, RunPredictions, read_predictions
from lexi.evaluate.slot_metrics import compute_slot_metrics, slot_difference, slot_rows
from lexi.model.config import TrainConfig
from lexi.model.objectives import slot_loss
from lexi.model.predict import load_predictor
from lexi.model.slots import (
    IGNORE,
    Unit,
    continue_same_type,
    decode,
    decode_tokens,
    slot_tag_list,
    span_counts,
    token_labels,
    units,
)
from lexi.model.train import train

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import (  # noqa: E402
    build_tiny_model,
    train_until_killed,
    write_toy_data,
    write_toy_slot_data,
)

FAST = BootstrapConfig(resamples=200)


def tags_of(text: str, offsets, annot_spans) -> list[str | None]:
    """Per token: the tag name, or None where the label is IGNORE."""
    tags = slot_tag_list(s.name for s in annot_spans)
    labels = token_labels(text, offsets, annot_spans, {t: i for i, t in enumerate(tags)})
    return [None if label == IGNORE else tags[label] for label in labels]


# --------------------------------------------------------------------------- BIO from offsets


def test_first_sub_word_carries_the_tag_continuations_and_specials_are_ignored():
    text, spans = parse_annot("wake me at [time : fiveish am] in [place_name : nairobi]")
    # A WordPiece-style tokenisation: [CLS] wake me at five ##ish am in nai ##ro ##bi [SEP]
    offsets = [(0, 0), (0, 4), (5, 7), (8, 10), (11, 15), (15, 18), (19, 21), (22, 24),
               (25, 28), (28, 30), (30, 32), (0, 0)]
    assert tags_of(text, offsets, spans) == [
        None, "O", "O", "O", "B-time", None, "I-time", "O", "B-place_name", None, None, None]
    # Decoding the same tags gives the spans back, sub-words merged into their words.
    tag_list = slot_tag_list(["place_name", "time"])
    predicted = [tag_list.index(t) if t else 0 for t in tags_of(text, offsets, spans)]
    assert decode_tokens(text, offsets, predicted, tag_list) == spans


def test_spans_at_the_start_and_the_end_and_punctuation():
    text, spans = parse_annot("[date : today]'s weather in [place_name : paris].")
    # BERT-style pre-tokenisation: punctuation is its own token.
    offsets = [(0, 0), (0, 5), (5, 6), (6, 7), (8, 15), (16, 18), (19, 24), (24, 25), (0, 0)]
    assert tags_of(text, offsets, spans) == [
        None, "B-date", "O", "O", "O", "O", "B-place_name", "O", None]
    # A slot value that itself holds punctuation keeps it, on words of their own.
    text, spans = parse_annot("alarm for [time : 5:30 p.m.]")
    offsets = [(0, 0), (0, 5), (6, 9), (10, 11), (11, 12), (12, 14), (15, 16), (16, 17),
               (17, 18), (18, 19), (0, 0)]
    assert tags_of(text, offsets, spans) == [
        None, "O", "O", "B-time", "I-time", "I-time", "I-time", "I-time", "I-time", "I-time",
        None]
    tag_list = slot_tag_list(["time"])
    labels = [tag_list.index(t) if t else 0 for t in tags_of(text, offsets, spans)]
    assert decode_tokens(text, offsets, labels, tag_list) == spans


def test_xlmr_offsets_with_metaspace_pieces():
    """Offsets as XLM-R/e5's tokenizer gives them: a piece's range includes the space
    before it, a bare ``▁`` piece covers only a space, ``5:30`` is one piece."""
    text, spans = parse_annot("set an alarm for [time : 5:30 am] [date : tomorrow]")
    # <s> ▁set ▁an ▁alarm ▁for ▁ 5:30 ▁am ▁tom orrow </s>
    offsets = [(0, 0), (0, 3), (3, 6), (6, 12), (12, 16), (16, 17), (17, 21), (21, 24),
               (24, 28), (28, 34), (0, 0)]
    assert tags_of(text, offsets, spans) == [
        None, "O", "O", "O", "O", None, "B-time", "I-time", "B-date", None, None]
    # 5:30 is three words (5, :, 30) opened by one token: one unit.
    assert units(text, offsets)[4] == Unit(17, 21, 6)


def test_truncated_words_are_not_tagged_and_unknown_slots_are_outside():
    text, spans = parse_annot("wake me at [time : five am]")
    offsets = [(0, 0), (0, 4), (5, 7), (8, 10), (11, 15), (0, 0)]  # "am" truncated away
    assert tags_of(text, offsets, spans) == [None, "O", "O", "O", "B-time", None]
    tags = slot_tag_list(["date"])
    labels = token_labels(text, offsets, spans, {t: i for i, t in enumerate(tags)})
    assert [label for label in labels if label != IGNORE] == [0, 0, 0, 0]


def test_real_fast_tokenizers_round_trip(tmp_path):
    """A WordPiece tokenizer (sub-words, punctuation split) and a Metaspace/Unigram one
    (pieces that carry the space), built here, through the transformers API."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "wake", "me", "up", "at", "five", "am", "in",
             "nai", "##ro", "##bi", "to", "##day", "'", "s", ".", "weather", "mom", "call"]
    wordpiece = Tokenizer(models.WordPiece({w: i for i, w in enumerate(words)},
                                           unk_token="[UNK]"))
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    pieces = [("<unk>", 0.0), ("▁wake", -1.0), ("▁me", -1.0), ("▁up", -1.0), ("▁at", -1.0),
              ("▁five", -1.0), ("▁am", -1.0), ("▁in", -1.0), ("▁nai", -2.0), ("robi", -2.0),
              ("▁today", -1.0), ("'", -1.0), ("s", -1.0), (".", -1.0), ("▁weather", -1.0),
              ("▁mom", -1.0), ("▁call", -1.0), ("▁", -3.0)]
    unigram = Tokenizer(models.Unigram(pieces, unk_id=0))
    unigram.pre_tokenizer = pre_tokenizers.Metaspace()
    annots = ["wake me up at [time : five am] in [place_name : nairobi].",
              "[date : today]'s weather", "call [person : mom]'s [person : mom]"]
    for backend in (wordpiece, unigram):
        fast = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="[PAD]")
        for annot in annots:
            text, spans = parse_annot(annot)
            encoded = fast(text, return_offsets_mapping=True)
            offsets = [tuple(pair) for pair in encoded["offset_mapping"]]
            tag_list = slot_tag_list(s.name for s in spans)
            labels = token_labels(text, offsets, spans, {t: i for i, t in enumerate(tag_list)})
            tagged = [label for label in labels if label != IGNORE]
            assert len(tagged) == len(units(text, offsets)) > 0
            predicted = [0 if label == IGNORE else label for label in labels]
            assert decode_tokens(text, offsets, predicted, tag_list) == spans, (annot, offsets)
            assert format_annot(text, decode_tokens(text, offsets, predicted, tag_list)) == annot


# --------------------------------------------------------------------------- decoding


def word_units(sentence: str) -> tuple[str, list[Unit]]:
    starts, pos = [], 0
    for word in sentence.split():
        starts.append(Unit(pos, pos + len(word), len(starts)))
        pos += len(word) + 1
    return sentence, starts


def test_decoding_rules():
    text, us = word_units("a b c d e")
    assert decode(us, ["B-x", "I-x", "O", "B-y", "I-y"]) == (
        SlotSpan(0, 3, "x"), SlotSpan(6, 9, "y"))
    # An I- without a B- starts a span; a type change starts another; B after B splits.
    assert decode(us, ["I-x", "I-x", "I-y", "B-y", "B-y"]) == (
        SlotSpan(0, 3, "x"), SlotSpan(4, 5, "y"), SlotSpan(6, 7, "y"), SlotSpan(8, 9, "y"))
    assert decode(us, ["O"] * 5) == ()
    assert decode(us, ["O", "O", "O", "O", "I-x"]) == (SlotSpan(8, 9, "x"),)


def test_bio_tags_and_decoding_round_trip_on_random_spans():
    rng = random.Random(3)
    for _ in range(200):
        n = rng.randint(1, 8)
        text, us = word_units(" ".join(rng.choice(["ab", "c", "def"]) for _ in range(n)))
        spans, i = [], 0
        while i < n:
            if rng.random() < 0.4:
                j = rng.randint(i + 1, n)
                spans.append(SlotSpan(us[i].start, us[j - 1].end, rng.choice("xyz")))
                i = j
            else:
                i += 1
        offsets = [(u.start, u.end) for u in us]
        tag_list = slot_tag_list("xyz")
        labels = token_labels(text, offsets, spans, {t: k for k, t in enumerate(tag_list)})
        assert decode_tokens(text, offsets, labels, tag_list) == tuple(spans)


# --------------------------------------------------------------------------- metrics vs seqeval


def spans_of_tags(tags: list[str]) -> tuple[str, tuple[SlotSpan, ...]]:
    """A text of one-letter words and the spans that ``tags`` (one per word) decode to."""
    text, us = word_units(" ".join("w" for _ in tags))
    return text, decode(us, tags)


def random_tags(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(["O", "O", "B-a", "I-a", "B-b", "I-b", "B-c"]) for _ in range(n)]


def our_scores(gold_tags: list[list[str]], pred_tags: list[list[str]]) -> dict:
    rows = []
    for i, (gold, pred) in enumerate(zip(gold_tags, pred_tags, strict=True)):
        text, gold_spans = spans_of_tags(gold)
        _, pred_spans = spans_of_tags(pred)
        rows.append(Prediction(str(i), text, "x", "x", 1.0, gold_spans, pred_spans))
    return compute_slot_metrics(RunPredictions("run", ["x"], rows, ["O"]),
                                BootstrapConfig(resamples=0))


def test_span_f1_agrees_with_seqeval():
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    hand_gold = [["B-a", "I-a", "O", "B-b"], ["O", "B-c", "O"], ["I-a", "I-a", "B-a"]]
    hand_pred = [["B-a", "I-a", "O", "B-a"], ["O", "B-c", "I-c"], ["B-a", "I-a", "I-a"]]
    rng = random.Random(0)
    cases = [(hand_gold, hand_pred)]
    for _ in range(30):
        lengths = [rng.randint(1, 9) for _ in range(rng.randint(1, 12))]
        cases.append(([random_tags(rng, n) for n in lengths],
                      [random_tags(rng, n) for n in lengths]))
    for gold, pred in cases:
        ours = our_scores(gold, pred)
        assert ours.slot_f1.estimate == pytest.approx(f1_score(gold, pred))
        assert ours.precision == pytest.approx(precision_score(gold, pred))
        assert ours.recall == pytest.approx(recall_score(gold, pred))
        report = classification_report(gold, pred, output_dict=True, zero_division=0)
        for scores in ours.per_slot:
            if scores.slot in report:
                assert scores.f1 == pytest.approx(report[scores.slot]["f1-score"])
                assert scores.support == report[scores.slot]["support"]
    # The hand-made case by hand: 5 gold spans (a b | c | a a), 4 predicted (a a | c c | a a a
    # as one span); only the first a is right.
    ours = our_scores(hand_gold, hand_pred)
    assert (ours.precision, ours.recall) == pytest.approx((1 / 4, 1 / 5))


def test_exact_match_needs_the_intent_and_every_span():
    text = "wake me at five"
    gold = (SlotSpan(11, 15, "time"),)
    rows = [Prediction("0", text, "alarm", "alarm", 1.0, gold, gold),        # exact
            Prediction("1", text, "alarm", "weather", 1.0, gold, gold),      # intent wrong
            Prediction("2", text, "alarm", "alarm", 1.0, gold, ()),          # slot missed
            Prediction("3", text, "alarm", "alarm", 1.0, None, ()),          # no markup
            Prediction("4", text, "alarm", "alarm", 1.0, (SlotSpan(10, 15, "time"),), gold)]
    m = compute_slot_metrics(RunPredictions("r", ["alarm", "weather"], rows, ["O"]), FAST)
    assert m.rows == 4  # the row without markup is not scored
    # Rows 0 and 4 (its gold " five" is scored trimmed, as "five").
    assert m.exact_match.estimate == pytest.approx(2 / 4)
    assert m.slot_f1.estimate == pytest.approx(2 * 3 / (3 + 4))
    assert m.exact_match.low <= m.exact_match.estimate <= m.exact_match.high
    assert span_counts(text, [SlotSpan(10, 15, "time")], gold) == (1, 1, 1)


def test_slot_gains_are_paired_and_intent_only_runs_get_none():
    rng = random.Random(1)
    gold_tags = [random_tags(rng, 6) for _ in range(80)]
    noisy = [[t if rng.random() < 0.6 else "O" for t in tags] for tags in gold_tags]
    rows_of = {}
    for name, pred_tags in (("base", noisy), ("better", gold_tags)):
        rows = []
        for i, (gold, pred) in enumerate(zip(gold_tags, pred_tags, strict=True)):
            text, gold_spans = spans_of_tags(gold)
            rows.append(Prediction(str(i), text, "a", "a", 1.0, gold_spans,
                                   spans_of_tags(pred)[1]))
        rows_of[name] = RunPredictions(name, ["a", "b"], rows, ["O"])
    plain = RunPredictions("intent", ["a", "b"],
                           [Prediction(r.id, r.text, "a", "a", 1.0) for r in rows_of["base"].rows])
    ev = evaluate_predictions([rows_of["base"], rows_of["better"], plain], bootstrap=FAST)
    base, better, intent = ev.runs
    gains = {d.metric: d for d in better.vs_baseline}
    assert gains["slot_f1"].estimate == pytest.approx(1 - base.slots.slot_f1.estimate)
    assert gains["slot_f1"].low > 0 and gains["exact_match"].low > 0
    assert intent.slots is None and {d.metric for d in intent.vs_baseline} == {
        "accuracy", "macro_f1"}
    same = slot_difference([slot_rows(rows_of["base"])], [slot_rows(rows_of["base"])],
                           "slot_f1", FAST)
    assert (same.estimate, same.low, same.high) == (0, 0, 0)
    assert ev.groups[1].scores["slot_f1"].mean == better.slots.slot_f1.estimate
    assert ev.groups[1].scores["slot_f1"].low == better.slots.slot_f1.low
    assert "slot_f1" not in ev.groups[2].scores


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(model folder, toy MASSIVE file without slots, the same rows with slot markup)."""
    root = tmp_path_factory.mktemp("tiny-slots")
    return (build_tiny_model(root / "model"), write_toy_data(root / "toy.jsonl"),
            write_toy_slot_data(root / "toy-slots.jsonl"))


def slot_config(tiny, out: Path, **changes) -> TrainConfig:
    model, _, data = tiny
    values = dict(data=[str(data)], dev=str(data), output=str(out), model=str(model),
                  epochs=6, batch_size=8, lr=2e-2, patience=6, device="cpu", threads=1,
                  task="intent+slots")
    values.update(changes)
    return TrainConfig(**values)


@pytest.fixture(scope="module")
def slot_run(tiny, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("slot-run") / "run"
    train(slot_config(tiny, out))
    return out


def run_cli(args: list[str]) -> int:
    from lexi.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


def test_slot_run_saves_both_heads_and_predicts_spans(slot_run, capsys):
    files = sorted(p.name for p in slot_run.iterdir())
    assert files == ["README.md", "adapter", "head.safetensors", "labels.json", "run.json",
                     "slot_head.safetensors", "slot_labels.json"]
    run = json.loads((slot_run / "run.json").read_text())
    tags = ["O", "B-music_genre", "I-music_genre", "B-place_name", "I-place_name", "B-time",
            "I-time"]
    assert run["model"]["slot_labels"] == tags and run["model"]["task"] == "intent+slots"
    assert json.loads((slot_run / "slot_labels.json").read_text()) == tags
    assert run["config"]["task"] == "intent+slots" and run["config"]["slot_weight"] == 1.0
    best = next(h for h in run["history"] if h["epoch"] == run["best_epoch"])
    assert run["metrics"]["dev_slot_f1"] == best["dev_slot_f1"] > 0
    assert best["dev_exact_match"] == max(h["dev_exact_match"] for h in run["history"])
    assert all("train_slot_loss" in h for h in run["history"])
    assert "## Slots" in (slot_run / "README.md").read_text()

    predictor = load_predictor(slot_run, device="cpu")
    assert predictor.slot_labels == tags
    texts = ["wake me up at five am", "will it rain in paris"]
    proba, spans = predictor.predict_with_slots(texts, batch_size=1)
    # The slot head does not change the intent head's answer.
    assert np.allclose(proba, predictor.predict_proba(texts), atol=1e-6)
    assert predictor.predict_slots(texts, batch_size=8) == spans

    assert run_cli(["predict", "--run", str(slot_run), *texts]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for row in rows:
        assert parse_annot(row["annot_utt"])[0] == row["text"]
        for span in row["slots"]:
            assert set(span) == {"slot", "start", "end", "text"}
            assert row["text"][span["start"]:span["end"]] == span["text"]
            assert f"[{span['slot']} : {span['text']}]" in row["annot_utt"]


def test_train_predict_eval_end_to_end(slot_run, tiny, tmp_path, capsys):
    model, plain_data, data = tiny
    intent_run = tmp_path / "intent"
    train(slot_config(tiny, intent_run, task="intent", data=[str(plain_data)],
                      dev=str(plain_data)))
    out = tmp_path / "report"
    ev = evaluate_runs([intent_run, slot_run], data, "dev", out, bootstrap=FAST)
    base, slots = ev.runs
    assert base.slots is None
    assert slots.slots.rows == 9
    assert slots.slots.slot_f1.estimate > 0
    assert 0 <= slots.slots.exact_match.estimate <= slots.metrics.accuracy.estimate
    assert {s.slot for s in slots.slots.per_slot} <= {"time", "place_name", "music_genre"}
    assert not [d for d in slots.vs_baseline if d.metric in ("slot_f1", "exact_match")]

    metrics = json.loads((out / "metrics.json").read_text())
    saved = metrics["runs"][1]["metrics"]["slots"]
    assert saved["slot_f1"]["estimate"] == slots.slots.slot_f1.estimate
    assert set(saved["exact_match"]) == {"estimate", "low", "high"}
    assert {s["slot"] for s in saved["per_slot"]} == {s.slot for s in slots.slots.per_slot}
    assert "slots" not in metrics["runs"][0]["metrics"]
    page = (out / "report.html").read_text()
    assert "<h2>Slots</h2>" in page and "F1 per slot type" in page
    assert "| time |" in (out / "report.md").read_text()

    # Saved predictions hold the spans; rescoring them without the model agrees.
    predictions = read_predictions(out / "predictions" / "run.jsonl")
    assert predictions.slot_labels and all(r.pred_slots is not None for r in predictions.rows)
    again = evaluate_prediction_files([out / "predictions" / "intent.jsonl",
                                       out / "predictions" / "run.jsonl"], bootstrap=FAST)
    assert again.runs[1].slots == slots.slots

    assert run_cli(["eval", "-r", str(intent_run), "-r", str(slot_run), "--data", str(data),
                    "--split", "dev", "--resamples", "50"]) == 0
    printed = capsys.readouterr()
    assert "slot F1" in printed.out + printed.err


def test_intent_only_runs_are_unchanged_and_ignore_slot_markup(tiny, tmp_path, capsys):
    model, plain_data, slot_data = tiny
    plain = train(slot_config(tiny, tmp_path / "plain", task="intent", data=[str(plain_data)],
                              dev=str(plain_data), epochs=2))
    marked = train(slot_config(tiny, tmp_path / "marked", task="intent", epochs=2))
    # The intent-only loop never looks at slots: the same numbers, the same files.
    assert [h["train_loss"] for h in plain.history] == [h["train_loss"] for h in marked.history]
    for name in ("head.safetensors", "labels.json", "adapter/adapter_model.safetensors"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "marked" / name).read_bytes()
    files = sorted(p.name for p in (tmp_path / "marked").iterdir())
    assert files == ["README.md", "adapter", "head.safetensors", "labels.json", "run.json"]
    run = json.loads((tmp_path / "marked" / "run.json").read_text())
    assert "slot_labels" not in run["model"] and "task" not in run["model"]
    assert all("slot" not in key for h in run["history"] for key in h)
    assert "## Slots" not in (tmp_path / "marked" / "README.md").read_text()
    assert load_predictor(tmp_path / "marked").slot_labels is None

    assert run_cli(["predict", "--run", str(tmp_path / "marked"), "play jazz"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert set(row) == {"text", "label", "score", "top_k"}
    ev = evaluate_runs([tmp_path / "marked"], slot_data, "dev", tmp_path / "report",
                       bootstrap=FAST)
    assert ev.runs[0].slots is None and not ev.has_slots
    saved = (tmp_path / "report" / "predictions" / "marked.jsonl").read_text()
    assert "slots" not in saved
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert "slots" not in metrics["runs"][0]["metrics"]
    assert "Slots" not in (tmp_path / "report" / "report.html").read_text()


def test_rows_without_markup_train_the_intent_head_only(tiny, tmp_path):
    model, plain_data, slot_data = tiny
    csv = tmp_path / "extra.csv"
    csv.write_text("text,label\nplay some rock music,play_music\nwake me at noon,alarm_set\n")
    with pytest.raises(LexiError, match="needs training rows with slot markup"):
        train(slot_config(tiny, tmp_path / "none", data=[str(csv)], dev=None))
    with pytest.raises(LexiError, match="annot_utt mark no slot"):
        train(slot_config(tiny, tmp_path / "none", data=[str(plain_data)]))
    mixed = train(slot_config(tiny, tmp_path / "mixed", data=[str(slot_data), str(csv)],
                              epochs=1))
    assert mixed.slot_labels[0] == "O" and mixed.train_rows == 36 + 2
    # A batch with no tagged token: a zero loss that still reaches the slot head.
    logits = torch.randn(2, 5, 3, requires_grad=True)
    loss, labelled = slot_loss(logits, torch.full((2, 5), IGNORE))
    loss.backward()
    assert (float(loss), labelled) == (0.0, 0) and logits.grad is not None
    with pytest.raises(LexiError, match="unknown task"):
        slot_config(tiny, tmp_path / "x", task="slots")


def test_cli_train_task_and_slot_weight(tiny, tmp_path, capsys):
    model, _, data = tiny
    assert run_cli(["train", "--data", str(data), "--dev", str(data), "--model", str(model),
                    "-o", str(tmp_path / "run"), "--epochs", "1", "--batch-size", "8",
                    "--device", "cpu", "--task", "intent+slots", "--slot-weight", "0.5",
                    "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"dev_slot_f1", "dev_exact_match"} <= set(result["metrics"])
    config = json.loads((tmp_path / "run" / "run.json").read_text())["config"]
    assert (config["task"], config["slot_weight"]) == ("intent+slots", 0.5)
    assert run_cli(["train", "--data", str(data), "--model", str(model), "-o",
                    str(tmp_path / "bad"), "--task", "slots"]) == 2
    assert "unknown task 'slots'" in capsys.readouterr().err


def test_full_fine_tuning_learns_the_toy_slots(tiny, tmp_path):
    result = train(slot_config(tiny, tmp_path / "full", method="full", lr=3e-3, epochs=5))
    assert (tmp_path / "full" / "encoder").is_dir()
    assert result.metrics["dev_slot_f1"] > 0.8
    spans = load_predictor(tmp_path / "full").predict_slots(["wake me up at six pm"])
    assert spans == [(SlotSpan(14, 20, "time"),)]


def test_slot_run_resumes_to_the_uninterrupted_run(tiny, tmp_path, monkeypatch):
    reference = train(slot_config(tiny, tmp_path / "ref", epochs=3))
    train_until_killed(slot_config(tiny, tmp_path / "run", epochs=3), monkeypatch, after_epoch=2)
    with pytest.raises(LexiError, match=r"--task: intent\+slots in the checkpoint, intent now"):
        train(slot_config(tiny, tmp_path / "run", epochs=3, resume=True, task="intent"))
    resumed = train(slot_config(tiny, tmp_path / "run", epochs=3, resume=True))
    for got, want in zip(resumed.history, reference.history, strict=True):
        assert got["train_loss"] == pytest.approx(want["train_loss"], rel=1e-6)
        assert got["train_slot_loss"] == pytest.approx(want["train_slot_loss"], rel=1e-6)
        assert got["dev_slot_f1"] == pytest.approx(want["dev_slot_f1"])


def test_the_average_of_slot_runs_averages_both_heads(slot_run, tiny, tmp_path):
    # `lexi average` of an intent+slots pair (the recipes' averaged model with slots): the
    # slot head is the weighted sum of the runs' slot heads, the tags those of the runs,
    # and weights (1, 0) tag exactly as the first run does.
    from safetensors.torch import load_file

    from lexi.model.average import average_runs
    from lexi.model.run import SLOT_HEAD_FILE, SLOT_LABELS_FILE

    other = tmp_path / "other"
    train(slot_config(tiny, other, seed=7, epochs=4))
    average_runs([slot_run, other], tmp_path / "avg", [0.25, 0.75])
    first, second, avg = (load_file(str(p / SLOT_HEAD_FILE))
                          for p in (slot_run, other, tmp_path / "avg"))
    assert set(avg) == set(first)
    assert any(not torch.equal(first[k], second[k]) for k in first)
    for key, value in avg.items():
        assert torch.allclose(value, 0.25 * first[key] + 0.75 * second[key], atol=1e-6), key
    assert ((tmp_path / "avg" / SLOT_LABELS_FILE).read_text()
            == (slot_run / SLOT_LABELS_FILE).read_text())
    average_runs([slot_run, other], tmp_path / "first", [1.0, 0.0])
    texts = ["wake me up at six pm", "will it rain in lima", "play some jazz music"]
    want = load_predictor(slot_run).predict_slots(texts)
    assert any(want) and load_predictor(tmp_path / "first").predict_slots(texts) == want


def test_slot_head_starts_at_the_tag_prior_and_sends_no_gradient_to_the_encoder(tiny, tmp_path):
    # With a random slot head the first steps taught the encoder "every word is O" and held
    # MASSIVE's intent loss at the label entropy (docs/training.md, "Slots").
    from lexi.model.classifier import build_model
    from lexi.model.slots import tag_counts

    model_dir, _, _ = tiny
    model = build_model(slot_config(tiny, tmp_path / "unused"), str(model_dir), 3, 5)
    counts = tag_counts([[0, 0, IGNORE, 1, 0], [2, 0, 3, IGNORE]], 5)
    assert counts == [4, 1, 1, 1, 0]
    model.start_slots_at_prior(counts)
    prior = torch.softmax(model.slot_head.bias.detach(), dim=-1)
    assert torch.allclose(prior, torch.tensor([5.0, 2, 2, 2, 1]) / 12)
    ids = torch.tensor([[2, 5, 6, 7, 3], [2, 8, 9, 3, 0]])
    _, slot_logits = model(ids, (ids != 0).long(), with_slots=True)
    tags = torch.tensor([[IGNORE, 0, 1, 2, IGNORE], [IGNORE, 0, 3, IGNORE, IGNORE]])
    slot_loss(slot_logits, tags)[0].backward()
    encoder_grads = [p.grad for n, p in model.named_parameters()
                     if p.requires_grad and not n.startswith(("slot_head.", "head."))]
    assert encoder_grads and all(g is None or not g.any() for g in encoder_grads)
    assert model.slot_head.weight.grad.abs().sum() > 0


def test_the_slot_head_learns_at_its_own_rate(tiny, tmp_path, capsys):
    from lexi.model.classifier import build_model
    from lexi.model.optim import build_optimizer

    model_dir, _, data = tiny
    config = slot_config(tiny, tmp_path / "unused", lr=1e-3, slot_lr_scale=4.0)
    for slot_tags in (5, 0):
        model = build_model(config, str(model_dir), 3, slot_tags)
        trainable, optimizer = build_optimizer(model, config)
        grouped = [p for group in optimizer.param_groups for p in group["params"]]
        assert sorted(map(id, grouped)) == sorted(map(id, trainable))
        assert optimizer.param_groups[0]["lr"] == 1e-3  # the run's own rate comes first
        slot_ids = {id(p) for p in model.slot_head.parameters()} if slot_tags else set()
        for group in optimizer.param_groups:
            in_slot = {id(p) in slot_ids for p in group["params"]}
            assert len(in_slot) == 1 and group["lr"] == (4e-3 if in_slot == {True} else 1e-3)
        assert len(optimizer.param_groups) == (4 if slot_tags else 2)
    assert run_cli(["train", "--data", str(data), "--model", str(model_dir), "-o",
                    str(tmp_path / "bad"), "--task", "intent+slots",
                    "--slot-lr-scale", "0"]) == 2
    assert "--slot-lr-scale must be more than 0" in capsys.readouterr().err


def test_task_auto_adds_the_slot_head_only_when_the_rows_mark_slots(tiny, tmp_path):
    _, plain, marked = tiny
    for data, slots in ((plain, False), (marked, True)):
        out = tmp_path / ("slots" if slots else "intent")
        train(slot_config(tiny, out, data=[str(data)], dev=str(data), task="auto", epochs=1))
        run = json.loads((out / "run.json").read_text())
        assert (out / "slot_head.safetensors").exists() == slots
        assert run["model"].get("task") == ("intent+slots" if slots else None)
        assert run["config"]["task"] == "auto"


def test_the_demo_data_end_to_end_with_slots(tmp_path):
    """lexi's demo data (MASSIVE jsonl with annot_utt): synthesise, train a joint model
    through the notebook API, predict spans, evaluate slots on the Swahili demo test set."""
    import lexi

    demo = lexi.demo_data(tmp_path / "demo")
    store = tmp_path / "en-sw.sqlite"
    lexi.import_lexicon("tsv", [demo.lexicon], store, tgt="Swahili")
    lexi.synthesize(str(demo.source), str(tmp_path / "synth.jsonl"), [str(store)],
                    split="train", locale="sw-KE")
    synthetic = [json.loads(line) for line in open(tmp_path / "synth.jsonl")]
    assert any("[" in row["annot_utt"] for row in synthetic)  # the spans came along
    # A tiny model whose vocabulary is the demo's words (English and synthetic Swahili).
    texts = [json.loads(line)["utt"] for line in open(demo.source)]
    model_dir = build_tiny_model(tmp_path / "model", texts + [r["utt"] for r in synthetic])
    result = lexi.train(data=[str(demo.source), str(tmp_path / "synth.jsonl")],
                        dev=str(demo.source), output=str(tmp_path / "run"),
                        model=str(model_dir), task="auto", epochs=4, batch_size=8,
                        lr=2e-2, device="cpu", threads=1,
                        # at this rate the tiny model sticks at the label prior for 3-4 of
                        # 12 seeds (either dropout); the guard's own tests cover that
                        on_divergence="warn")
    assert "dev_slot_f1" in result.metrics
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["model"]["task"] == "intent+slots"
    assert {"O", "B-time", "I-time"} <= set(run["model"]["slot_labels"])
    row = lexi.predict(result.run_dir, ["amka saa kumi na moja"])[0]
    assert {"annot_utt", "slots"} <= set(row)
    assert all(row["annot_utt"] is not None and s["text"] in "amka saa kumi na moja"
               for s in row["slots"])
    evaluation = lexi.evaluate(result.run_dir, demo.target, tmp_path / "report", split="all")
    rows = sum(1 for _ in open(demo.target))
    slots = evaluation.baseline.slots
    assert slots is not None and slots.rows == rows and 0.0 <= slots.slot_f1.estimate <= 1.0
    assert "slot" in (tmp_path / "report" / "report.html").read_text().lower()


def test_bio_tags_round_trip_every_en_us_row_with_the_default_tokenizer(shared_data):
    """Gold spans → BIO labels over the default model's sub-words → decoded spans, for all
    16,521 MASSIVE en-US rows: the tagger can express every gold span exactly."""
    from lexi.model.classifier import load_tokenizer, resolve_model_path
    from lexi.model.slots import scored_spans

    rows = [json.loads(line) for line in open(shared_data / "massive" / "en-US.jsonl")]
    tokenizer = load_tokenizer(resolve_model_path("default"))
    parsed = [parse_annot(row["annot_utt"]) for row in rows]
    names = {span.name for _, spans in parsed for span in spans}
    tag_list = slot_tag_list(names)
    index = {tag: i for i, tag in enumerate(tag_list)}
    encoded = tokenizer([text for text, _ in parsed], return_offsets_mapping=True)
    failed = []
    for (text, spans), offsets in zip(parsed, encoded["offset_mapping"], strict=True):
        offsets = [tuple(pair) for pair in offsets]
        labels = token_labels(text, offsets, spans, index)
        decoded = decode_tokens(text, offsets, [0 if x == IGNORE else x for x in labels],
                                tag_list)
        if scored_spans(text, decoded) != scored_spans(text, spans):
            failed.append(text)
    assert len(rows) == 16521 and len(names) == 55
    assert failed == []


def test_a_predicted_b_tag_right_after_its_own_type_continues_the_span():
    assert continue_same_type(["B-time", "B-time", "I-time", "O", "B-time", "B-date",
                               "B-date", "I-time"]) == [
        "B-time", "I-time", "I-time", "O", "B-time", "B-date", "I-date", "I-time"]
    text = "niamshe saa kumi na moja asubuhi"
    offsets = [(0, 0), *((m.start(), m.end()) for m in re.finditer(r"\S+", text)), (0, 0)]
    tag_list = slot_tag_list(["time", "timeofday"])
    index = {t: i for i, t in enumerate(tag_list)}
    tags = [0, index["O"], index["B-time"], index["B-time"], index["I-time"], index["I-time"],
            index["B-timeofday"], 0]
    assert decode_tokens(text, offsets, tags, tag_list) == (
        SlotSpan(8, 11, "time"), SlotSpan(12, 24, "time"), SlotSpan(25, 32, "timeofday"))
    assert decode_tokens(text, offsets, tags, tag_list, predicted=True) == (
        SlotSpan(8, 24, "time"), SlotSpan(25, 32, "timeofday"))
