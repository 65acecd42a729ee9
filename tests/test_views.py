"""Multi-view (consistency) training: anchors, drawn views, symmetric KL, an end-to-end run."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
import torch

from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.model.config import TrainConfig
from lexi.model.train import train
from lexi.model.views import draw_views, index_views, symmetric_kl

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import build_tiny_model, toy_rows, write_toy_data  # noqa: E402


def utt(uid: str, source: str | None = None) -> Utterance:
    meta = {"lexi": {"source_id": source, "op": "translate"}} if source else {}
    return Utterance(uid, f"text {uid}", "a", metadata=meta)


def test_views_are_paired_with_their_source_rows():
    rows = [utt("1"), utt("2"), utt("1-t0", "1"), utt("1-t1", "1"), utt("9-t0", "9")]
    index = index_views(rows)
    # 9-t0's source is not in the training data: it is an ordinary row.
    assert index.anchors == [0, 1, 4]
    assert index.views == {0: [2, 3]} and index.paired == 1 and index.view_rows == 2
    drawn = draw_views([1, 0, 4], index, random.Random(0))
    assert len(drawn) == 1 and drawn[0][0] == 1 and drawn[0][1] in (2, 3)
    # The same seed draws the same views; over many draws both views are used.
    assert drawn == draw_views([1, 0, 4], index, random.Random(0))
    seen = {draw_views([0], index, random.Random(s))[0][1] for s in range(20)}
    assert seen == {2, 3}


def test_symmetric_kl():
    a = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    b = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    assert float(symmetric_kl(a, a)) == pytest.approx(0.0, abs=1e-7)
    assert float(symmetric_kl(a, b)) == pytest.approx(float(symmetric_kl(b, a)))
    p, q = torch.softmax(a[0], -1), torch.softmax(b[0], -1)
    direct = float((p * (p / q).log()).sum() + (q * (q / p).log()).sum()) / 2  # row 2 is 0
    assert float(symmetric_kl(a, b)) == pytest.approx(direct, rel=1e-5)


@pytest.fixture(scope="module")
def tiny_with_views(tmp_path_factory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("views")
    model, data = build_tiny_model(root / "model"), write_toy_data(root / "toy.jsonl")
    views = root / "views.jsonl"
    with views.open("w", encoding="utf-8") as handle:
        for row in toy_rows():
            if row["partition"] != "train":
                continue
            for k in range(2):  # two views per row: reversed word order, and a dropped word
                words = row["utt"].split()
                text = " ".join(reversed(words)) if k == 0 else " ".join(words[1:] or words)
                handle.write(json.dumps({
                    "id": f"{row['id']}-v{k}", "locale": "xx", "intent": row["intent"],
                    "utt": text, "annot_utt": text,
                    "lexi": {"source_id": str(row["id"]), "op": "translate"}}) + "\n")
    return model, data, views


def test_consistency_training_runs_and_keeps_the_step_count(tiny_with_views, tmp_path):
    model, data, views = tiny_with_views
    common = dict(dev=str(data), model=str(model), epochs=3, batch_size=8, lr=1e-2,
                  device="cpu", threads=1, patience=3)
    plain = train(TrainConfig(data=[str(data)], output=str(tmp_path / "plain"), **common))
    multi = train(TrainConfig(data=[str(data), str(views)], output=str(tmp_path / "multi"),
                              consistency=5.0, **common))
    # Views are drawn beside their anchors, not iterated: the same optimizer steps...
    assert multi.steps == plain.steps
    # ... with the agreement term recorded for every epoch.
    assert all(e["train_consistency"] >= 0 for e in multi.history)
    assert multi.history[-1]["train_loss"] < multi.history[0]["train_loss"]
    run = json.loads((tmp_path / "multi" / "run.json").read_text())
    assert run["config"]["consistency"] == 5.0 and run["status"] == "ok"


def test_consistency_without_views_is_a_clear_error(tiny_with_views, tmp_path):
    model, data, _ = tiny_with_views
    with pytest.raises(LexiError, match="lexi.source_id"):
        train(TrainConfig(data=[str(data)], dev=str(data), output=str(tmp_path / "r"),
                          model=str(model), consistency=1.0, device="cpu", threads=1))


def test_teacher_soft_targets_follow_the_source_row(tiny_with_views, tmp_path, monkeypatch):
    from lexi.model import train as train_module

    model, data, views = tiny_with_views
    common = dict(dev=str(data), model=str(model), epochs=2, batch_size=8, lr=1e-2,
                  device="cpu", threads=1, patience=2)
    teacher = train(TrainConfig(data=[str(data)], output=str(tmp_path / "teacher"), **common))
    seen = {}
    real = train_module.teacher_targets

    def spy(config, rows, labels, device):
        seen["targets"], seen["rows"] = real(config, rows, labels, device), rows
        return seen["targets"]

    monkeypatch.setattr(train_module, "teacher_targets", spy)
    student = train(TrainConfig(data=[str(data), str(views)], output=str(tmp_path / "student"),
                                teacher=str(teacher.run_dir), temperature=2.0, **common))
    assert student.steps > 0
    targets, rows = seen["targets"], seen["rows"]
    assert torch.allclose(targets.sum(-1), torch.ones(len(rows)))
    by_id = {u.id: i for i, u in enumerate(rows)}
    for i, utt in enumerate(rows):  # a view gets exactly its English source row's targets
        origin = (utt.metadata.get("lexi") or {}).get("source_id")
        if origin is not None:
            assert torch.equal(targets[i], targets[by_id[origin]])
    assert not torch.equal(targets[by_id[rows[0].id]], targets[by_id[rows[-1].id]])


LEXICON = """wake\tamka
wake\tniamshe
alarm\tkengele
alarm\tsaa
weather\thali
weather\tanga
rain\tmvua
music\tmuziki
play\tcheza
play\tpiga
cold\tbaridi
"""


def fresh_spec(root: Path, **extra) -> Path:
    (root / "lex.tsv").write_text(LEXICON, encoding="utf-8")
    lines = ["lexicon: lex.tsv", "ops: [translate]", "sense: random", "per_utterance: 1"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    spec = root / "synth.yml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return spec


def test_fresh_views_freeze_a_large_store_only_when_asked(tmp_path, monkeypatch):
    """`lexi train --synth` passes freeze_after_load=True down to the store; the default
    (lexi.train in a notebook) leaves the collector alone."""
    import gc

    from lexi.lexicon import import_lexicon, store
    from lexi.model.views import FreshViews, FreshViewSpec

    fresh_spec(tmp_path)  # writes lex.tsv
    import_lexicon("tsv", [tmp_path / "lex.tsv"], tmp_path / "lex.sqlite", src="en", tgt="sw")
    spec = tmp_path / "store.yml"
    spec.write_text("lexicon: lex.sqlite\nops: [translate]\n", encoding="utf-8")
    monkeypatch.setattr(store, "FREEZE_ROWS", 1)  # as if the store were a large one
    gc.unfreeze()
    try:
        FreshViews(FreshViewSpec.read(spec))
        assert gc.get_freeze_count() == 0
        fresh = FreshViews(FreshViewSpec.read(spec), freeze_after_load=True)
        assert gc.get_freeze_count() > 0 and gc.isenabled()
        assert fresh.synthesizer.lexicons[0].translations("rain")[0].target == "mvua"
    finally:
        gc.unfreeze()


def test_fresh_views_differ_by_epoch_and_repeat_for_the_same_epoch(tmp_path):
    from lexi.data.readers import read_dataset
    from lexi.model.views import FreshViews, FreshViewSpec

    data = write_toy_data(tmp_path / "toy.jsonl")
    rows = [u for u in read_dataset(str(data)) if u.split == "train"]
    fresh = FreshViews(FreshViewSpec.read(fresh_spec(tmp_path)))
    first, again, second = fresh.epoch(rows, 0), fresh.epoch(rows, 0), fresh.epoch(rows, 1)
    assert [u.text for u in first] == [u.text for u in again]
    assert [u.text for u in first] != [u.text for u in second]
    by_id = {u.id: u for u in rows}
    for view in first:  # a view keeps its source's label and names it
        source = by_id[view.metadata["lexi"]["source_id"]]
        assert view.label == source.label and view.text != source.text
    with pytest.raises(LexiError, match="unknown option"):
        FreshViewSpec.read(fresh_spec(tmp_path, per_utterence=2))
    with pytest.raises(LexiError, match="unknown operator"):
        FreshViewSpec.read(fresh_spec(tmp_path, ops="[translat]"))


def test_fresh_view_spec_reads_numbers_and_function_words_and_names_the_file(tmp_path):
    from lexi.model.views import FreshViewSpec

    spec = FreshViewSpec.read(fresh_spec(tmp_path, numbers="lexicon",
                                         unknown="drop-function-words",
                                         function_words='"a, the"'))
    assert spec.synth["numbers"] == "lexicon" and spec.synth["function_words"] == ["a", "the"]
    path = str(tmp_path / "synth.yml")
    for extra, message in (
        ({"numbers": "words"}, "unknown numbers mode 'words'"),
        ({"numbers": "cldr"}, "--numbers cldr needs the target language"),  # no locale
        ({"numbers": "cldr", "locale": "ln-CD"}, "no number spell-out rules for 'ln-CD'"),
        ({"function_words": "[of the]"}, "list of single words"),
    ):
        with pytest.raises(LexiError, match=message) as caught:
            FreshViewSpec.read(fresh_spec(tmp_path, **extra))
        assert caught.value.path == path, extra  # the error names the spec file


def test_training_with_fresh_views_each_epoch(tiny_with_views, tmp_path):
    model, data, _ = tiny_with_views
    spec = fresh_spec(tmp_path)
    common = dict(data=[str(data)], dev=str(data), model=str(model), epochs=2, batch_size=8,
                  lr=1e-2, device="cpu", threads=1)
    teacher = train(TrainConfig(output=str(tmp_path / "teacher"), **common))
    # Fresh views, paired with their source rows, with the teacher's targets for both.
    result = train(TrainConfig(output=str(tmp_path / "run"), synth=str(spec), consistency=1.0,
                               teacher=str(teacher.run_dir), **common))
    assert all(e["fresh_views"] > 0 for e in result.history)
    assert all(e["train_consistency"] >= 0 for e in result.history)
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["config"]["synth"] == str(spec) and run["status"] == "ok"
