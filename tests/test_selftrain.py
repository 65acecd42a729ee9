"""Self-training on a tiny random BERT: filtering, agreement, no gold label, CLI, retraining."""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path

import pytest

from lexi.data.pool import PoolRow, pool_format, read_pool
from lexi.errors import LexiError
from lexi.model.config import TrainConfig
from lexi.model.predict import load_predictor
from lexi.model.selftrain import (
    BACK_DISAGREES,
    BELOW_THRESHOLD,
    BELOW_TOP_SHARE,
    NOTHING_TO_TRANSLATE_BACK,
    OVER_CAP,
    RUNS_DISAGREE,
    Pseudo,
    SelfTrainConfig,
    cap_per_label,
    pseudo_label,
    select,
    top_share_of_labels,
    translate_back,
)
from lexi.model.train import load_examples, train

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import build_tiny_model, toy_rows, write_toy_data  # noqa: E402

# The only keys an output row may have: nothing of the pool besides its id and text.
OUTPUT_KEYS = {"id", "utt", "intent", "lexi"}


def tiny_config(model: Path, toy: Path, out: Path, **changes) -> TrainConfig:
    values = dict(data=[str(toy)], dev=str(toy), output=str(out), model=str(model),
                  epochs=6, batch_size=8, lr=1e-2, patience=6, device="cpu", threads=1)
    values.update(changes)
    return TrainConfig(**values)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """Two tiny runs on the toy data, and a pool of the toy dev utterances whose gold labels
    are all WRONG (never the label the main run predicts), with slots and extra columns."""
    root = tmp_path_factory.mktemp("selftrain")
    model, data = build_tiny_model(root / "model"), write_toy_data(root / "toy.jsonl")
    run = train(tiny_config(model, data, root / "run")).run_dir
    # A weaker second run (other seed, fewer epochs), so that the two can disagree.
    other = train(tiny_config(model, data, root / "other", epochs=2, seed=5)).run_dir
    dev = [row for row in toy_rows() if row["partition"] == "dev"]
    predictor = load_predictor(run, device="cpu")
    best = {str(row["id"]): top[0]
            for row, top in zip(dev, predictor.predict([r["utt"] for r in dev]), strict=True)}
    other_best = {str(row["id"]): top[0][0] for row, top in zip(
        dev, load_predictor(other, device="cpu").predict([r["utt"] for r in dev]), strict=True)}
    pool_rows = []
    for row in dev:
        wrong = next(label for label in predictor.labels if label != best[str(row["id"])][0])
        first, rest = row["utt"].split(" ", 1)
        pool_rows.append({**row, "partition": "train", "intent": wrong,
                          "scenario": "gold-" + wrong, "worker_id": "w7",
                          "annot_utt": f"[gold_slot : {first}] {rest}"})
    pool = root / "pool.jsonl"
    pool.write_text("".join(json.dumps(r) + "\n" for r in pool_rows), encoding="utf-8")
    return {"root": root, "model": model, "data": data, "run": run, "other": other,
            "pool": pool, "pool_rows": pool_rows, "best": best, "other_best": other_best}


def label_pool(world, out: Path, **changes) -> tuple[object, list[dict]]:
    values = dict(pool=str(world["pool"]), run=str(world["run"]), output=str(out),
                  device="cpu")
    values.update(changes)
    result = pseudo_label(SelfTrainConfig(**values))
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return result, rows


def pool_id(row: dict) -> str:
    """The pool id behind an output row's id (``selftrain-r1-17`` → ``17``)."""
    prefix, round_tag, rest = row["id"].split("-", 2)
    assert prefix == "selftrain" and round_tag.startswith("r")
    return rest


def median_prob(world) -> float:
    probs = sorted(prob for _, prob in world["best"].values())
    return probs[len(probs) // 2]


def test_rows_carry_the_prediction_and_provenance_and_never_a_gold_label(world, tmp_path):
    lowest = min(prob for _, prob in world["best"].values())
    result, rows = label_pool(world, tmp_path / "pseudo.jsonl", threshold=lowest, round=2)
    assert result.rows_read == result.rows_kept == len(rows) == len(world["pool_rows"])
    gold = {str(r["id"]): r for r in world["pool_rows"]}
    for row in rows:
        assert set(row) == OUTPUT_KEYS  # no partition, annot_utt, scenario, worker_id, locale
        assert row["id"].startswith("selftrain-r2-")  # never a toy (or en-US) id
        label, prob = world["best"][pool_id(row)]
        assert row["intent"] == label != gold[pool_id(row)]["intent"]
        assert row["utt"] == gold[pool_id(row)]["utt"]
        assert row["lexi"] == {"op": "selftrain", "run": str(world["run"]),
                               "prob": pytest.approx(prob, abs=1e-6), "round": 2}
    text = (tmp_path / "pseudo.jsonl").read_text(encoding="utf-8")
    assert "gold" not in text and "w7" not in text and '"train"' not in text
    # What lexi train reads back: the predicted labels, no split (kept by --split train).
    reread = load_examples([str(tmp_path / "pseudo.jsonl")], "train")
    assert [u.label for u in reread] == [r["intent"] for r in rows]
    assert all(u.split is None and not u.slots for u in reread)


def test_a_higher_threshold_keeps_a_subset(world, tmp_path):
    lowest = min(prob for _, prob in world["best"].values())
    high = median_prob(world)
    assert high > lowest  # the fixture gives spread-out probabilities
    low_result, low_rows = label_pool(world, tmp_path / "low.jsonl", threshold=lowest)
    high_result, high_rows = label_pool(world, tmp_path / "high.jsonl", threshold=high)
    low_ids, high_ids = {pool_id(r) for r in low_rows}, {pool_id(r) for r in high_rows}
    assert high_ids < low_ids
    assert all(world["best"][pool_id(r)][1] >= high for r in high_rows)
    assert high_result.dropped == {BELOW_THRESHOLD: len(low_ids) - len(high_ids)}
    assert sum(high_result.kept_per_label.values()) == high_result.rows_kept == len(high_rows)


def test_max_per_label_keeps_the_most_confident(world, tmp_path):
    lowest = min(prob for _, prob in world["best"].values())
    result, rows = label_pool(world, tmp_path / "capped.jsonl", threshold=lowest,
                              max_per_label=1)
    predicted = {label for label, _ in world["best"].values()}
    assert result.kept_per_label == {label: 1 for label in predicted}
    for row in rows:
        label = row["intent"]
        best_prob = max(p for lab, p in world["best"].values() if lab == label)
        assert world["best"][pool_id(row)][1] == best_prob
    assert result.dropped == {OVER_CAP: len(world["pool_rows"]) - len(predicted)}


def test_top_share_keeps_the_surest_rows_of_each_label_whatever_their_probability(
        world, tmp_path):
    predicted: dict[str, list[tuple[float, str]]] = {}
    for pool_key, (label, prob) in world["best"].items():
        predicted.setdefault(label, []).append((prob, pool_key))
    result, rows = label_pool(world, tmp_path / "share.jsonl", top_share=0.5)
    # No absolute threshold with --top-share alone: each label keeps its surer half.
    assert result.threshold == 0.0 and result.top_share == 0.5
    expected = {label: math.ceil(len(v) / 2) for label, v in predicted.items()}
    assert result.kept_per_label == expected
    for row in rows:
        ranked = sorted(predicted[row["intent"]], key=lambda pk: -pk[0])
        surest = {key for _, key in ranked[:expected[row["intent"]]]}
        assert pool_id(row) in surest
    assert result.dropped == {BELOW_TOP_SHARE: len(world["pool_rows"]) - len(rows)}
    # With a threshold the two filters apply together: a subset of both.
    high = median_prob(world)
    both, both_rows = label_pool(world, tmp_path / "both.jsonl", top_share=0.5, threshold=high)
    assert {pool_id(r) for r in both_rows} <= {pool_id(r) for r in rows}
    assert all(world["best"][pool_id(r)][1] >= high for r in both_rows)
    assert both.threshold == high
    # Without --top-share the default threshold stays in force.
    assert SelfTrainConfig(pool="p", run="r", output="o.jsonl").min_prob == 0.9


def test_agreement_keeps_only_rows_both_runs_label_alike(world, tmp_path):
    lowest = min(prob for _, prob in world["best"].values())
    result, rows = label_pool(world, tmp_path / "agree.jsonl", threshold=lowest,
                              agree=[str(world["other"])])
    expected = {i for i, (label, _) in world["best"].items() if world["other_best"][i] == label}
    assert 0 < len(expected) < len(world["pool_rows"])  # the weaker run disagrees on some
    assert {pool_id(r) for r in rows} == expected
    assert result.dropped.get(RUNS_DISAGREE, 0) == len(world["pool_rows"]) - len(expected)
    assert all(r["lexi"]["agree"] == [str(world["other"])] for r in rows)
    # A run always agrees with itself.
    _, same = label_pool(world, tmp_path / "self.jsonl", threshold=lowest,
                         agree=[str(world["run"])])
    assert len(same) == len(world["pool_rows"])


def test_translate_back_reads_the_synthesis_lexicon_backwards(tmp_path):
    lexicon = tmp_path / "en-sw.tsv"
    lexicon.write_text("wake\tamka\nme\tmimi\nwake up\tamka\nalarm\tkengele\n",
                       encoding="utf-8")
    rows = [PoolRow("1", "Amka mimi sasa"), PoolRow("2", "hakuna kitu"),
            PoolRow("3", "weka kengele")]
    # Words the lexicon lacks stay, a capital stays; a row with none of its words has no
    # second view. "amka" has two English sources of equal weight: either may be drawn.
    back = translate_back(rows, [str(lexicon)])
    assert back[1] is None
    assert back[0] in {"Wake me sasa", "Wake up me sasa"}
    assert back[2] == "weka alarm"
    # Several lexicons: the first that has a target word translates it back; later ones
    # only add words the earlier lack.
    second = tmp_path / "more.tsv"
    second.write_text("bell\tkengele\nput\tweka\n", encoding="utf-8")
    assert translate_back(rows[2:], [str(lexicon), str(second)]) == ["put alarm"]
    assert translate_back(rows[2:], [str(second), str(lexicon)]) == ["put bell"]
    with pytest.raises(LexiError, match="no such lexicon"):
        translate_back(rows, [str(tmp_path / "missing.tsv")])


def test_back_translated_view_keeps_only_rows_both_views_label_alike(world, tmp_path):
    """An identity lexicon makes the back-translated pool the pool itself: --agree-back RUN is
    then --agree RUN; words the lexicon lacks leave a row without a second view."""
    lowest = min(prob for _, prob in world["best"].values())
    words = sorted({w for r in world["pool_rows"] for w in r["utt"].lower().split()})
    identity = tmp_path / "identity.tsv"
    identity.write_text("".join(f"{w}\t{w}\n" for w in words), encoding="utf-8")
    result, rows = label_pool(world, tmp_path / "back.jsonl", threshold=lowest,
                              agree_back=[str(world["other"])], back_lexicon=[str(identity)])
    expected = {i for i, (label, _) in world["best"].items() if world["other_best"][i] == label}
    assert 0 < len(expected) < len(world["pool_rows"])
    assert {pool_id(r) for r in rows} == expected
    assert result.dropped == {BACK_DISAGREES: len(world["pool_rows"]) - len(expected)}
    assert result.back_translated == len(world["pool_rows"])
    assert all(r["lexi"]["agree_back"] == [str(world["other"])] for r in rows)
    # A lexicon of one pool row's first word only: every other row has nothing to translate.
    first = world["pool_rows"][0]["utt"].lower().split()[0]
    holding = [str(r["id"]) for r in world["pool_rows"] if first in r["utt"].lower().split()]
    one = tmp_path / "one.tsv"
    one.write_text(f"{first}\t{first}\n", encoding="utf-8")
    result, rows = label_pool(world, tmp_path / "one.jsonl", threshold=lowest,
                              agree_back=[str(world["run"])], back_lexicon=[str(one)],
                              allow_empty=True)
    assert result.back_translated == len(holding) < len(world["pool_rows"])
    assert result.dropped[NOTHING_TO_TRANSLATE_BACK] == len(world["pool_rows"]) - len(holding)
    assert {pool_id(r) for r in rows} <= set(holding)
    for missing in (dict(agree_back=[str(world["run"])]), dict(back_lexicon=[str(one)])):
        with pytest.raises(LexiError, match="--agree-back|--back-lexicon"):
            SelfTrainConfig(pool="p", run="r", output="o.jsonl", **missing)


def test_select_and_cap_are_plain_functions():
    rows = [PoolRow(str(i), f"t{i}") for i in range(5)]
    cands = [Pseudo(rows[0], "a", 0.95), Pseudo(rows[1], "a", 0.99), Pseudo(rows[2], "b", 0.5),
             Pseudo(rows[3], "a", 0.97), Pseudo(rows[4], "b", 0.92)]
    kept, dropped = select(cands, 0.9, others=[["a", "a", "b", "a", "c"]], max_per_label=2)
    assert [p.row.id for p in kept] == ["1", "3"]  # pool order, the two surest "a" rows
    assert dropped == {BELOW_THRESHOLD: 1, RUNS_DISAGREE: 1, OVER_CAP: 1}
    assert cap_per_label([cands[0], cands[3]], 1) == [1]
    assert cap_per_label([Pseudo(rows[0], "a", 0.9), Pseudo(rows[1], "a", 0.9)], 1) == [0]
    # The top share ranks each label in the whole pool: "a" has 3 rows (ceil(0.5*3) = 2:
    # rows 1 and 3), "b" 2 (1: row 4); the threshold (0.0 here) and the cap still apply.
    assert top_share_of_labels(cands, 0.5) == {1, 3, 4}
    assert top_share_of_labels(cands, 1.0) == {0, 1, 2, 3, 4}
    kept, dropped = select(cands, 0.0, top_share=0.5, max_per_label=1)
    assert [p.row.id for p in kept] == ["1", "4"]
    assert dropped == {BELOW_TOP_SHARE: 2, OVER_CAP: 1}
    kept, dropped = select(cands, 0.9, back=[["a", None, "b", "c", "b"]])
    assert [p.row.id for p in kept] == ["0", "4"]
    assert dropped == {BELOW_THRESHOLD: 1, NOTHING_TO_TRANSLATE_BACK: 1, BACK_DISAGREES: 1}


def test_text_pools_files_and_stdin(world, tmp_path, monkeypatch):
    text = tmp_path / "pool.txt"
    text.write_text("wake me up at noon\n\n  \nwill it rain in lima  \n", encoding="utf-8")
    assert [(r.id, r.text) for r in read_pool(str(text))] == [
        ("1", "wake me up at noon"), ("4", "will it rain in lima")]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\nput on jazz songs\n"))
    assert [(r.id, r.text) for r in read_pool("-")] == [("2", "put on jazz songs")]
    # JSON lines on stdin are read as a dataset; their labels are dropped.
    monkeypatch.setattr(sys, "stdin", io.StringIO(world["pool"].read_text(encoding="utf-8")))
    rows = read_pool("-")
    assert [r.text for r in rows] == [r["utt"] for r in world["pool_rows"]]
    assert pool_format("-", first_line="play some pop music") == "text"
    assert pool_format("x.csv") == "csv" and pool_format("notes.md") == "text"
    result, out = label_pool(world, tmp_path / "from-text.jsonl", pool=str(text),
                             threshold=1e-9)
    assert [pool_id(r) for r in out] == ["1", "4"] and result.rows_read == 2
    # A CSV pool with a split column: its label column is dropped, test rows are counted.
    table = tmp_path / "pool.csv"
    table.write_text("id,text,label,split\na,put on jazz songs,alarm_set,test\n"
                     "b,wake me up at noon,play_music,train\n", encoding="utf-8")
    result, out = label_pool(world, tmp_path / "from-csv.jsonl", pool=str(table),
                             threshold=1e-9)
    assert result.test_split_rows == 1
    assert [r["id"] for r in out] == ["selftrain-r1-a", "selftrain-r1-b"]
    assert all(set(r) == OUTPUT_KEYS for r in out)
    assert [r.id for r in read_pool(str(table), split="train")] == ["b"]


def test_clear_errors(world, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n   \n", encoding="utf-8")
    with pytest.raises(LexiError, match="no utterances") as info:
        label_pool(world, tmp_path / "o.jsonl", pool=str(empty))
    assert info.value.path == str(empty)
    for bad in (0.0, -0.1, 1.5, math.nan):
        with pytest.raises(LexiError, match="--threshold"):
            SelfTrainConfig(pool="p", run="r", output="o.jsonl", threshold=bad)
        with pytest.raises(LexiError, match="--top-share"):
            SelfTrainConfig(pool="p", run="r", output="o.jsonl", top_share=bad)
    with pytest.raises(LexiError, match="not a lexi run directory"):
        label_pool(world, tmp_path / "o.jsonl", run=str(tmp_path))
    with pytest.raises(LexiError, match="not a lexi run directory"):
        label_pool(world, tmp_path / "o.jsonl", agree=[str(tmp_path)])
    with pytest.raises(LexiError, match="is the pool"):
        label_pool(world, world["pool"])
    (tmp_path / "link.jsonl").hardlink_to(world["pool"])
    with pytest.raises(LexiError, match="is the pool"):
        label_pool(world, tmp_path / "link.jsonl", overwrite=True)
    with pytest.raises(LexiError, match="no row kept of 9 read") as info:
        label_pool(world, tmp_path / "o.jsonl", threshold=1.0)
    assert "lower --threshold" in str(info.value)
    with pytest.raises(LexiError, match=".jsonl"):
        label_pool(world, tmp_path / "o.txt")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{not json\n', encoding="utf-8")
    with pytest.raises(LexiError) as info:
        label_pool(world, tmp_path / "o.jsonl", pool=str(bad))
    assert info.value.line == 2
    assert not (tmp_path / "o.jsonl").exists()


def run_cli(args: list[str]) -> int:
    from lexi.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


def test_cli_prints_the_path_and_refuses_to_overwrite(world, tmp_path, capsys):
    out = tmp_path / "pseudo.jsonl"
    args = ["selftrain", str(world["pool"]), "--run", str(world["run"]), "-o", str(out),
            "--threshold", str(median_prob(world)), "--device", "cpu"]
    assert run_cli(args) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{out}\n"
    assert "rows kept" in captured.err and "per label" in captured.err
    before = out.read_bytes()
    assert run_cli(args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert run_cli([*args, "--overwrite", "--json", "--max-per-label", "1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["output"] == str(out) and summary["rows_read"] == len(world["pool_rows"])
    assert all(count == 1 for count in summary["kept_per_label"].values())


def test_the_output_trains(world, tmp_path):
    lowest = min(prob for _, prob in world["best"].values())
    result, _ = label_pool(world, tmp_path / "pseudo.jsonl", threshold=lowest)
    trained = train(tiny_config(world["model"], world["data"], tmp_path / "round1",
                                data=[str(world["data"]), str(tmp_path / "pseudo.jsonl")],
                                epochs=1))
    run = json.loads((trained.run_dir / "run.json").read_text())
    assert run["data_rows"]["train"] == 36 + result.rows_kept


def test_allow_empty_writes_an_empty_file_that_trains(world, tmp_path, capsys):
    out = tmp_path / "pseudo.jsonl"
    args = ["selftrain", str(world["pool"]), "--run", str(world["run"]), "-o", str(out),
            "--threshold", "1.0", "--device", "cpu"]
    assert run_cli(args) == 2  # without the flag, no kept row is an error
    assert not out.exists()
    assert run_cli([*args, "--allow-empty"]) == 0
    assert "no pool row passed" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == ""
    trained = train(tiny_config(world["model"], world["data"], tmp_path / "round1",
                                data=[str(world["data"]), str(out)], epochs=1))
    run = json.loads((trained.run_dir / "run.json").read_text())
    assert run["data_rows"]["train"] == 36
