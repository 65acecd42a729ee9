"""`lexi average`: the weighted average of runs, exact for LoRA, on a tiny random BERT.

The averaged run's merged encoder must equal the weighted sum of the runs' merged
encoders (tensor by tensor), its head the weighted sum of their heads; weights (1, 0) give
the first run's probabilities; bad inputs fail with a message and leave nothing behind.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from lexi.cli.main import app
from lexi.errors import LexiError
from lexi.model.average import average_runs, parse_weights
from lexi.model.predict import load_predictor

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import build_tiny_model, train_tiny, write_toy_data  # noqa: E402

TEXTS = ["wake me up at noon", "will it rain in lima", "put on jazz songs", "unknown words"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("average")
    model, data = build_tiny_model(root / "model"), write_toy_data(root / "toy.jsonl")
    return {"root": root, "model": model, "data": data,
            "a": train_tiny(root, model, data, "a", seed=1, epochs=2),
            "b": train_tiny(root, model, data, "b", seed=2, lora_r=4, lora_alpha=16, epochs=2)}


def _encoder_state(run: Path) -> dict[str, torch.Tensor]:
    predictor = load_predictor(run, device="cpu")
    return {k: v.detach().clone() for k, v in predictor.model.state_dict().items()}


def test_the_lora_average_is_exact_tensor_by_tensor(runs, tmp_path):
    # Different ranks and scalings (r 16 / alpha 32 against r 4 / alpha 16) on purpose.
    result = average_runs([runs["a"], runs["b"]], tmp_path / "avg", [0.7, 0.3])
    assert result.method == "lora" and result.weights == pytest.approx([0.7, 0.3])
    first, second, avg = (_encoder_state(p) for p in (runs["a"], runs["b"], tmp_path / "avg"))
    assert set(avg) == set(first)
    moved = 0
    for key, value in avg.items():
        expected = 0.7 * first[key].double() + 0.3 * second[key].double()
        assert torch.allclose(value.double(), expected, atol=1e-5), key
        moved += not torch.equal(first[key], second[key])
    assert moved > 10  # the two runs really differ, so the check above means something
    config = json.loads((tmp_path / "avg" / "adapter" / "adapter_config.json").read_text())
    assert config["r"] == 16 + 4
    run = json.loads((tmp_path / "avg" / "run.json").read_text())
    assert run["status"] == "ok" and run["averaged"]["weights"] == pytest.approx([0.7, 0.3])
    assert run["model"]["labels"] == json.loads((runs["a"] / "labels.json").read_text())


def test_a_run_with_lora_on_the_word_embeddings_averages_with_one_without(runs, tmp_path):
    # The embedding factors are peft's lora_embedding_A/B; the run without them counts as
    # a zero update of the embeddings, so the average moves them by 0.6 × the first's.
    emb = train_tiny(runs["root"], runs["model"], runs["data"], "emb", seed=3, epochs=2,
                     target_modules=["query", "key", "value", "dense", "word_embeddings"])
    saved = json.loads((emb / "adapter" / "adapter_config.json").read_text())
    assert "word_embeddings" in saved["target_modules"]
    average_runs([emb, runs["b"]], tmp_path / "avg-emb", [0.6, 0.4])
    first, second, avg = (_encoder_state(p) for p in (emb, runs["b"], tmp_path / "avg-emb"))
    key = next(k for k in avg if k.endswith("word_embeddings.weight"))
    assert not torch.equal(first[key], second[key])  # the embedding run moved its rows
    for name, value in avg.items():
        expected = 0.6 * first[name].double() + 0.4 * second[name].double()
        assert torch.allclose(value.double(), expected, atol=1e-5), name
    config = json.loads((tmp_path / "avg-emb" / "adapter" / "adapter_config.json").read_text())
    assert "word_embeddings" in config["target_modules"] and config["r"] == 16 + 4


def test_a_run_adapting_only_the_top_layer_averages_with_one_adapting_all(runs, tmp_path):
    # --lora-layers 1 on the two-layer model: layer 0 has no factors in that run, which
    # count as a zero update there; the average adapts every layer any run adapts.
    top = train_tiny(runs["root"], runs["model"], runs["data"], "top", seed=4, epochs=2,
                     lora_layers=1)
    saved = json.loads((top / "adapter" / "adapter_config.json").read_text())
    assert saved["layers_to_transform"] == [1]
    average_runs([top, runs["b"]], tmp_path / "avg-top", [0.5, 0.5])
    first, second, avg = (_encoder_state(p) for p in (top, runs["b"], tmp_path / "avg-top"))
    for name, value in avg.items():
        expected = 0.5 * first[name].double() + 0.5 * second[name].double()
        assert torch.allclose(value.double(), expected, atol=1e-5), name
    lower = [k for k in first if ".layer.0." in k and k.endswith("query.weight")]
    assert lower and not torch.equal(avg[lower[0]], first[lower[0]])  # b moved layer 0
    config = json.loads((tmp_path / "avg-top" / "adapter" / "adapter_config.json").read_text())
    assert config["layers_to_transform"] is None
    average_runs([top, top], tmp_path / "avg-top-top", [0.5, 0.5])
    config = json.loads((tmp_path / "avg-top-top" / "adapter" / "adapter_config.json").read_text())
    assert config["layers_to_transform"] == [1]


def test_weights_one_and_zero_give_the_first_runs_probabilities(runs, tmp_path):
    average_runs([runs["a"], runs["b"]], tmp_path / "only-a", [1, 0])
    expected = load_predictor(runs["a"], device="cpu").predict_proba(TEXTS)
    got = load_predictor(tmp_path / "only-a", device="cpu").predict_proba(TEXTS)
    assert abs(got - expected).max() < 1e-5


def test_full_fine_tuning_runs_average_their_tensors(runs, tmp_path):
    root, model, data = runs["root"], runs["model"], runs["data"]
    full_a = train_tiny(root, model, data, "full-a", seed=1, method="full", lr=1e-3, epochs=1)
    full_b = train_tiny(root, model, data, "full-b", seed=2, method="full", lr=1e-3, epochs=1)
    result = average_runs([full_a, full_b], tmp_path / "avg-full")
    assert result.method == "full"
    first, second, avg = (_encoder_state(p) for p in (full_a, full_b, tmp_path / "avg-full"))
    for key, value in avg.items():
        if value.is_floating_point():
            assert torch.allclose(value.double(), (first[key].double() + second[key].double())
                                  / 2, atol=1e-5), key


def test_runs_of_different_labels_or_methods_are_refused(runs, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(runs["b"], other)
    record = json.loads((other / "run.json").read_text())
    record["model"]["labels"] = [*record["model"]["labels"][:-1], "something_else"]
    (other / "run.json").write_text(json.dumps(record))
    with pytest.raises(LexiError, match="labels"):
        average_runs([runs["a"], other], tmp_path / "out")
    record["model"]["labels"] = json.loads((runs["a"] / "labels.json").read_text())
    record["status"] = "failed"
    (other / "run.json").write_text(json.dumps(record))
    with pytest.raises(LexiError, match="did not finish"):
        average_runs([runs["a"], other], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["other"]  # no staging debris


def test_outputs_are_never_clobbered_or_overlapping(runs, tmp_path):
    out = tmp_path / "avg"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(LexiError, match="exists"):
        average_runs([runs["a"], runs["b"]], out)
    assert (out / "keep.txt").read_text() == "mine"
    with pytest.raises(LexiError, match="overlaps"):
        average_runs([runs["a"], runs["b"]], runs["a"], overwrite=True)
    average_runs([runs["a"], runs["b"]], out, overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "run.json").exists()


@pytest.mark.parametrize(("text", "count", "message"), [
    ("0.5", 2, "1 numbers for 2 runs"),
    ("a,b", 2, "expected numbers"),
    ("-1,2", 2, "≥ 0"),
    ("0,0", 2, "positive sum"),
])
def test_bad_weights_say_what_was_expected(text, count, message):
    with pytest.raises(LexiError, match=message):
        parse_weights(text, count)


def test_weights_are_normalised():
    assert parse_weights("3,1", 2) == [0.75, 0.25]
    assert parse_weights(None, 4) == [0.25] * 4


def test_the_cli_prints_the_new_run_for_the_next_command(runs, tmp_path):
    out = tmp_path / "cli-avg"
    result = CliRunner().invoke(app, ["average", "-r", str(runs["a"]), "-r", str(runs["b"]),
                                      "--weights", "0.5,0.5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(out)
    one = CliRunner().invoke(app, ["average", "-r", str(runs["a"]), "-o", str(tmp_path / "x")])
    assert isinstance(one.exception, LexiError) and "at least two runs" in str(one.exception)


def test_the_exported_card_says_which_runs_were_averaged_with_which_weights(runs, tmp_path):
    """The average's own card names the runs and weights; so do the cards ``lexi export``
    writes of it (merged, and the peft adapter's two), by folder name: a published card
    carries no path of this machine."""
    from lexi.model.export import export_run

    average_runs([runs["a"], runs["b"]], tmp_path / "avg", [0.7, 0.3])
    own = (tmp_path / "avg" / "README.md").read_text(encoding="utf-8")
    assert f"The weighted average of 0.70 × `{runs['a']}`, 0.30 × `{runs['b']}`" in own
    said = (f"This model is a weight-space average (WiSE-FT), not one training run: the "
            f"weighted average of 0.70 × `{runs['a'].name}`, 0.30 × `{runs['b'].name}`")
    merged = export_run(tmp_path / "avg", tmp_path / "merged")
    unmerged = export_run(tmp_path / "avg", tmp_path / "unmerged", merge=False)
    for card in (merged / "README.md", unmerged / "README.md",
                 unmerged / "adapter" / "README.md"):
        text = " ".join(card.read_text(encoding="utf-8").split())
        assert said in text, card
        # The first run's epochs and data would describe it alone; nothing was re-measured.
        assert "nothing was trained again" in text and "Not measured" in text
        assert str(runs["a"]) not in text and str(runs["b"]) not in text
