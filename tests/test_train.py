"""Training on a tiny random BERT: loss falls, runs reload exactly, resume, DDP, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
import torch

from lexi.environment import cpu_has_bf16
from lexi.errors import LexiError
from lexi.model import train as train_module
from lexi.model.batching import collate, epoch_batches, shard_batches
from lexi.model.config import TrainConfig
from lexi.model.devices import use_cpu_bf16
from lexi.model.predict import load_predictor
from lexi.model.train import load_examples, train

sys.path.insert(0, str(Path(__file__).parent))
from fixtures.tiny_bert import config_for, losses_while_hooked, train_until_killed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def test_loss_falls_and_saved_run_reloads_to_the_same_predictions(tiny, tmp_path):
    result = train(config_for(tiny, tmp_path / "run"))
    losses = [epoch["train_loss"] for epoch in result.history]
    assert losses[-1] < 0.7 * losses[0]
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    # One MASSIVE file: the default splits pick train rows for training, dev rows for dev.
    assert run["data_rows"] == {"train": 36, "dev": 9}
    assert run["best_epoch"] == result.best_epoch
    assert not (tmp_path / "run" / "checkpoint").exists()

    # The reloaded (merged) model reproduces the dev figures measured during training.
    predictor = load_predictor(tmp_path / "run", device="cpu")
    dev = load_examples([str(tiny[1])], "dev")
    proba = predictor.predict_proba([u.text for u in dev])
    gold = numpy.array([predictor.labels.index(u.label) for u in dev])
    assert numpy.allclose(proba.sum(axis=1), 1.0)
    accuracy = float((proba.argmax(axis=1) == gold).mean())
    nll = float(-numpy.log(proba[numpy.arange(len(gold)), gold]).mean())
    assert accuracy == pytest.approx(result.metrics["dev_accuracy"])
    assert nll == pytest.approx(result.metrics["dev_loss"], abs=1e-5)


def test_adapter_loads_with_peft_alone_and_was_trained(tiny, tmp_path):
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModel

    train(config_for(tiny, tmp_path / "run", epochs=2, max_steps=6))
    adapter = tmp_path / "run" / "adapter"
    encoder = AutoModel.from_pretrained(tiny[0], add_pooling_layer=False)
    model = PeftModel.from_pretrained(encoder, str(adapter))
    assert model.peft_config["default"].r == 16
    weights = load_file(str(adapter / "adapter_model.safetensors"))
    lora_b = [w for name, w in weights.items() if "lora_B" in name]
    assert lora_b and all(w.abs().sum() > 0 for w in lora_b)  # B starts at zero
    head = load_file(str(tmp_path / "run" / "head.safetensors"))
    assert head["weight"].shape == (3, 32)


def test_same_seed_same_run_other_seed_other_run(tiny, tmp_path):
    first = train(config_for(tiny, tmp_path / "a", epochs=2))
    again = train(config_for(tiny, tmp_path / "b", epochs=2))
    other = train(config_for(tiny, tmp_path / "c", epochs=2, seed=7))
    losses = [[e["train_loss"] for e in r.history] for r in (first, again, other)]
    assert losses[0] == losses[1]
    assert losses[0] != losses[2]


def test_crash_leaves_no_complete_run_and_resume_matches_an_uninterrupted_run(
        tiny, tmp_path, monkeypatch):
    reference = train(config_for(tiny, tmp_path / "ref", epochs=3))
    train_until_killed(config_for(tiny, tmp_path / "run", epochs=3), monkeypatch, after_epoch=2)
    assert not (tmp_path / "run" / "run.json").exists()
    checkpoint = tmp_path / "run" / "checkpoint"
    assert sorted(os.listdir(checkpoint)) == ["best", "last.pt"]  # nothing half-written
    with pytest.raises(LexiError, match="not finished"):
        load_predictor(tmp_path / "run")
    with pytest.raises(LexiError, match="not empty"):
        train(config_for(tiny, tmp_path / "run", epochs=3))

    # What a kill in the middle of saving the best model leaves: its staging folder. The
    # next checkpoint clears it (it is a whole model's size).
    (checkpoint / ".best.k1ll3d").mkdir()
    (checkpoint / ".best.k1ll3d" / "head.safetensors").write_bytes(b"half")
    listings = []
    monkeypatch.setattr(train_module, "report_epoch", lambda record, improved: listings.append(
        sorted(os.listdir(checkpoint))))
    resumed = train(config_for(tiny, tmp_path / "run", epochs=3, resume=True))
    monkeypatch.undo()
    assert listings == [["best", "last.pt"]]
    assert [e["epoch"] for e in resumed.history] == [1, 2, 3]
    for got, want in zip(resumed.history, reference.history, strict=True):
        assert got["train_loss"] == pytest.approx(want["train_loss"], rel=1e-6)
        assert got["dev_loss"] == pytest.approx(want["dev_loss"], rel=1e-6)
    with pytest.raises(LexiError, match="already complete"):
        train(config_for(tiny, tmp_path / "run", epochs=3, resume=True))


def test_resume_refuses_other_settings_naming_each_with_old_and_new_values(
        tiny, tmp_path, monkeypatch, capsys):
    """The optimizer state, the schedule and the epochs already run belong to the
    checkpoint's settings (issue 16, item 7): other ones are refused, each named with both
    values, and nothing is touched; the data is compared by content, so a moved file is
    fine and a changed one is not; where and how fast it runs may change."""
    data = tmp_path / "train.jsonl"
    data.write_bytes(tiny[1].read_bytes())
    run = tmp_path / "run"

    def config(**changes) -> TrainConfig:
        return config_for(tiny, run, **{"data": [str(data)], "epochs": 3, **changes})

    train_until_killed(config(), monkeypatch)
    last = run / "checkpoint" / "last.pt"
    saved = last.read_bytes()
    with pytest.raises(LexiError) as info:
        train(config(resume=True, lr=2e-2, batch_size=4, epochs=4, max_steps=5, seed=7,
                     lora_r=8, lora_alpha=16))
    message = str(info.value)
    assert message.startswith(f"{run / 'checkpoint'}: the checkpoint was trained with other "
                              "settings: ")
    for expected in ("--lr: 0.01 in the checkpoint, 0.02 now",
                     "--epochs: 3 in the checkpoint, 4 now",
                     "--batch-size: 8 in the checkpoint, 4 now",
                     "--max-steps: none in the checkpoint, 5 now",
                     "--seed: 13 in the checkpoint, 7 now",
                     "--lora-r: 16 in the checkpoint, 8 now",
                     "--lora-alpha: 32 in the checkpoint, 16 now"):
        assert expected in message
    assert message.count(" in the checkpoint, ") == 7  # only what differs is named
    assert "only --device, --threads, --eval-batch-size, --patience may change" in message
    with pytest.raises(LexiError, match="--method: lora in the checkpoint, full now"):
        train(config(resume=True, method="full"))
    with pytest.raises(LexiError, match="--model: .* in the checkpoint, .*other-model now"):
        train(config(resume=True, model=str(tmp_path / "other-model")))
    # No --lr and the method's default rate are the same rate; 2e-3 is not 1e-2.
    with pytest.raises(LexiError, match="--lr: 0.01 in the checkpoint, 0.002 now"):
        train(config(resume=True, lr=None))

    # The same name, other bytes: refused. The CLI says it on one line, exit code 2.
    data.write_bytes(tiny[1].read_bytes().replace(b"play some", b"play more"))
    with pytest.raises(LexiError, match=f"--data: {data} changed since the checkpoint"):
        train(config(resume=True))
    model = tiny[0]
    assert run_cli(["train", "--data", str(data), "--dev", str(tiny[1]), "--model", str(model),
                    "--epochs", "3", "--batch-size", "8", "--lr", "0.05", "--patience", "6",
                    "--device", "cpu", "--threads", "1", "-o", str(run), "--resume"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--lr: 0.01 in the checkpoint, 0.05 now" in err and "--data: " in err
    assert "Traceback" not in err
    assert last.read_bytes() == saved and not (run / "run.json").exists()

    # The same bytes under another name, with more patience and another dev batch size:
    # it resumes, and run.json records the settings the whole run had.
    moved = tmp_path / "moved.jsonl"
    moved.write_bytes(tiny[1].read_bytes())
    data.unlink()
    result = train(config_for(tiny, run, data=[str(moved)], epochs=3, resume=True,
                              eval_batch_size=5, patience=7))
    assert [e["epoch"] for e in result.history] == [1, 2, 3]
    recorded = json.loads((run / "run.json").read_text())["config"]
    assert (recorded["lr"], recorded["batch_size"], recorded["epochs"]) == (1e-2, 8, 3)
    assert recorded["patience"] == 7


def test_full_fine_tuning_saves_the_encoder(tiny, tmp_path):
    train(config_for(tiny, tmp_path / "run", method="full", lr=1e-3, epochs=1))
    assert (tmp_path / "run" / "encoder" / "model.safetensors").exists()
    assert not (tmp_path / "run" / "adapter").exists()
    assert len(load_predictor(tmp_path / "run").predict(["play jazz"])[0]) == 1


def test_bucketed_batches_cover_the_epoch_and_shard_evenly():
    lengths = [3 + (i * 7) % 20 for i in range(100)]
    batches = epoch_batches(lengths, 8, seed=1, epoch=0)
    assert sorted(i for b in batches for i in b) == list(range(100))
    assert batches != epoch_batches(lengths, 8, seed=1, epoch=1)
    unbucketed = epoch_batches(lengths, 8, seed=1, epoch=0, bucket=False)

    def padding(bs):
        return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in bs)

    assert padding(batches) < padding(unbucketed) / 3
    shards = [shard_batches(batches, rank, 2) for rank in range(2)]
    assert len(shards[0]) == len(shards[1]) == len(batches) // 2
    assert not {i for b in shards[0] for i in b} & {i for b in shards[1] for i in b}
    ids, mask = collate([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]] and mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    assert collate([[5]], pad_id=0, pad_to=4)[0].shape == (1, 4)


def test_lora_on_the_top_layer_only_leaves_the_lower_one_without_a_backward_pass(
        tiny, tmp_path):
    from safetensors.torch import load_file

    from lexi.model.classifier import build_model

    config = config_for(tiny, tmp_path / "run", epochs=1, max_steps=3, lora_layers=1)
    model = build_model(config, str(tiny[0]), 3).train()
    layers = next(m for n, m in model.named_modules() if n.endswith("encoder.layer"))
    needs_grad = []
    for layer in layers:
        layer.register_forward_hook(lambda m, i, out: needs_grad.append(out[0].requires_grad))
    model(torch.randint(0, 40, (2, 5)), torch.ones(2, 5, dtype=torch.long))
    assert needs_grad == [False, True]  # autograd records nothing below the adapted layer
    train(config)
    saved = load_file(str(tmp_path / "run" / "adapter" / "adapter_model.safetensors"))
    assert saved and all(".layer.1." in name for name in saved)
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["config"]["lora_layers"] == 1
    # More layers than the encoder has: every layer, as without the option.
    model = build_model(config_for(tiny, tmp_path / "three", lora_layers=3), str(tiny[0]), 3)
    adapted = {n.split(".layer.")[1].split(".")[0] for n, _ in model.named_parameters()
               if "lora_A" in n}
    assert adapted == {"0", "1"}
    with pytest.raises(LexiError, match="--lora-layers must be at least 1"):
        config_for(tiny, tmp_path / "zero", lora_layers=0)


def test_empty_training_data_is_a_clear_error(tiny, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(LexiError, match="no training rows"):
        train(config_for(tiny, tmp_path / "run", data=[str(empty)]))
    with pytest.raises(LexiError, match="no training rows.*split 'validation'"):
        train(config_for(tiny, tmp_path / "run", split="validation"))


def test_dev_label_unseen_in_training_is_a_clear_error(tiny, tmp_path):
    dev = tmp_path / "dev.jsonl"
    text = "how do i bake bread"
    dev.write_text(json.dumps({"id": 1, "partition": "dev", "intent": "cooking_recipe",
                               "utt": text, "annot_utt": text}) + "\n")
    with pytest.raises(LexiError, match="never seen in training: 'cooking_recipe'") as err:
        train(config_for(tiny, tmp_path / "run", dev=str(dev)))
    assert str(dev) in str(err.value)


def test_a_model_path_that_is_not_a_model_is_a_clear_error(tiny, tmp_path):
    (tmp_path / "notamodel").mkdir()
    with pytest.raises(LexiError, match="not a transformers model folder"):
        train(config_for(tiny, tmp_path / "run", model=str(tmp_path / "notamodel")))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{}")
    with pytest.raises(LexiError, match="cannot load"):
        train(config_for(tiny, tmp_path / "run", model=str(tmp_path / "broken")))


def run_cli(args: list[str]) -> int:
    from lexi.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


def test_cli_train_then_predict(tiny, tmp_path, capsys):
    model, data = tiny
    assert run_cli(["train", "--data", str(data), "--dev", str(data), "--model", str(model),
                    "-o", str(tmp_path / "run"), "--epochs", "2", "--batch-size", "8",
                    "--lr", "0.01", "--device", "cpu", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["run_dir"] == str(tmp_path / "run") and len(result["history"]) == 2
    assert run_cli(["predict", "--run", str(tmp_path / "run"), "--top-k", "2",
                    "wake me up at nine"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["text"] == "wake me up at nine" and len(row["top_k"]) == 2
    assert row["top_k"][0]["score"] >= row["top_k"][1]["score"]
    code = run_cli(["train", "--data", str(data), "--model", str(model),
                    "-o", str(tmp_path / "run")])
    assert code == 2
    assert "--overwrite" in capsys.readouterr().err


@pytest.mark.skipif(not torch.distributed.is_available(), reason="no torch.distributed")
def test_torchrun_two_cpu_processes_with_gloo(tiny, tmp_path):
    model, data = tiny
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", "2", "-m", "lexi.cli.main", "train", "--data", str(data),
               "--dev", str(data), "--model", str(model), "-o", str(tmp_path / "run"),
               "--epochs", "2", "--batch-size", "4", "--lr", "0.01", "--device", "cpu"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["device"]["world_size"] == 2
    # 36 rows, 4 per process-step, 2 processes: 4 optimizer steps per epoch.
    assert run["steps"] == 8
    assert done.stdout.strip() == str(tmp_path / "run")  # only rank 0 prints
    best_label = load_predictor(tmp_path / "run").predict(["play jazz"])[0][0][0]
    assert best_label in run["model"]["labels"]


def test_cli_config_file_and_run_json_feed_back(tiny, tmp_path, capsys):
    model, data = tiny
    config = tmp_path / "train.yml"
    config.write_text(f"data: [{data}]\ndev: {data}\nmodel: {model}\nepochs: 3\nbatch_size: 8\n"
                      "lr: 0.01\ndevice: cpu\nthreads: 1\nseed: 5\n")
    # The command line wins over the file (epochs), the file over the defaults (seed, lr).
    assert run_cli(["train", "--config", str(config), "--epochs", "1",
                    "-o", str(tmp_path / "a")]) == 0
    first = json.loads((tmp_path / "a" / "run.json").read_text())["config"]
    assert (first["epochs"], first["seed"], first["lr"], first["batch_size"]) == (1, 5, 0.01, 8)
    # A run's run.json is a config file: the same settings again, in a new directory.
    assert run_cli(["train", "--config", str(tmp_path / "a" / "run.json"),
                    "-o", str(tmp_path / "b")]) == 0
    second = json.loads((tmp_path / "b" / "run.json").read_text())["config"]
    assert {k: v for k, v in second.items() if k != "output"} == \
        {k: v for k, v in first.items() if k != "output"}
    capsys.readouterr()
    config.write_text("lr: 0.01\nlearning_rate: 3\n")
    assert run_cli(["train", "--config", str(config), "-o", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "train.yml" in err and "unknown option(s) learning_rate" in err


def test_a_relative_model_path_is_recorded_absolute(tiny, tmp_path, monkeypatch):
    model, data = tiny
    monkeypatch.chdir(model.parent)
    train(config_for(tiny, tmp_path / "run", model=model.name, epochs=1, max_steps=2))
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["model"]["path"] == str(model.resolve())
    monkeypatch.chdir(tmp_path)  # predicting from elsewhere still finds the encoder
    best = load_predictor(tmp_path / "run").predict(["play jazz"])[0][0][0]
    assert best in run["model"]["labels"]


def test_run_json_feeds_back_from_another_folder(tiny, tmp_path, monkeypatch):
    """Relative data, dev and output paths are recorded absolute, so `--config run.json`
    works wherever the user stands; a run without a dev set says so in its card."""
    model, data = tiny
    monkeypatch.chdir(data.parent)
    assert run_cli(["train", "--data", data.name, "--model", str(model), "--epochs", "1",
                    "--max-steps", "2", "--device", "cpu", "--threads", "1",
                    "-o", "rel-run"]) == 0
    run = json.loads((data.parent / "rel-run" / "run.json").read_text())
    assert run["config"]["data"] == [str(data.resolve())]
    assert run["config"]["output"] == str((data.parent / "rel-run").resolve())
    card = (data.parent / "rel-run" / "README.md").read_text()
    assert "no dev set: the last epoch (1) is kept" in card and "nan" not in card
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run_cli(["train", "--config", str(data.parent / "rel-run" / "run.json"),
                    "-o", "again"]) == 0
    assert (elsewhere / "again" / "run.json").exists()


def test_cpu_bf16_autocast_trains_in_bf16_and_is_recorded(tiny, tmp_path):
    # The encoder's linear layers compute in bf16 only when asked; the run still learns,
    # and run.json records the setting so that --config repeats it.
    seen: dict[bool, set[torch.dtype]] = {False: set(), True: set()}

    def run_with(cpu_bf16: bool) -> list[float]:
        def record(module, inputs, output):
            if isinstance(module, torch.nn.Linear) and module.training:
                seen[cpu_bf16].add(output.dtype)

        return losses_while_hooked(config_for(tiny, tmp_path / f"bf16-{cpu_bf16}", epochs=3,
                                              cpu_bf16=cpu_bf16), record)

    plain, bf16 = run_with(False), run_with(True)
    assert seen[False] == {torch.float32}
    assert torch.bfloat16 in seen[True]
    assert bf16[-1] < 0.8 * bf16[0]
    assert bf16 != plain
    run = json.loads((tmp_path / "bf16-True" / "run.json").read_text())
    assert run["config"]["cpu_bf16"] is True


CPUINFO = """processor\t: 0
flags\t\t: fpu sse2 avx2 avx512f {extra}
model name\t: Some CPU
"""


@pytest.mark.parametrize("extra, expected", [("avx512_bf16 avx512_vnni", True),
                                             ("amx_tile amx_bf16", True),
                                             ("avx512_vnni", False), ("", False)])
def test_cpu_has_bf16_reads_the_flags_line(extra, expected):
    assert cpu_has_bf16(CPUINFO.format(extra=extra)) is expected
    # a flag's name elsewhere (the model name) is not a flag
    assert cpu_has_bf16("model name : avx512_bf16 edition\nflags : avx2\n") is False


def test_cpu_bf16_default_follows_the_cpu_and_is_recorded(tiny, tmp_path, monkeypatch):
    # None (the default) asks the CPU; --cpu-bf16 / --no-cpu-bf16 force either way; CUDA
    # never takes the CPU path. run.json keeps the request (null repeats "ask the CPU")
    # and, under device, what the run used.
    import lexi.model.devices as devices

    for has in (True, False):
        monkeypatch.setattr(devices, "cpu_has_bf16", lambda has=has: has)
        assert use_cpu_bf16(None, torch.device("cpu")) is has
        assert use_cpu_bf16(not has, torch.device("cpu")) is (not has)
        assert use_cpu_bf16(None, torch.device("cuda", 0)) is False
    monkeypatch.setattr(devices, "cpu_has_bf16", lambda: True)
    model, data = tiny
    base = ["train", "--data", str(data), "--model", str(model), "--epochs", "1",
            "--max-steps", "2", "--device", "cpu", "--threads", "1"]
    assert run_cli([*base, "-o", str(tmp_path / "auto")]) == 0
    assert run_cli([*base, "--no-cpu-bf16", "-o", str(tmp_path / "off")]) == 0
    auto = json.loads((tmp_path / "auto" / "run.json").read_text())
    off = json.loads((tmp_path / "off" / "run.json").read_text())
    assert auto["config"]["cpu_bf16"] is None and auto["device"]["cpu_bf16"] is True
    assert off["config"]["cpu_bf16"] is False and off["device"]["cpu_bf16"] is False
    # a config file may say null, true or false, and nothing else
    (tmp_path / "c.yml").write_text("cpu_bf16: null\n")
    assert TrainConfig.read_file(tmp_path / "c.yml") == {"cpu_bf16": None}
    (tmp_path / "c.yml").write_text("cpu_bf16: sometimes\n")
    with pytest.raises(LexiError, match="'cpu_bf16' must be true or false or null"):
        TrainConfig.read_file(tmp_path / "c.yml")


def test_compile_wraps_the_training_network_with_dynamic_shapes(tiny, tmp_path, monkeypatch):
    # torch.compile itself takes minutes on two cores, so it is replaced here by a wrapper
    # that records the call and runs the model eagerly: what is checked is that --compile
    # trains through the compiled module (dynamic shapes: bucketed lengths vary), that the
    # saved model is the plain one, and that run.json records the setting.
    calls: list[dict] = []

    class Compiled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model
            self.forwards = 0

        def forward(self, *args, **kwargs):
            self.forwards += 1
            return self.model(*args, **kwargs)

    wrappers: list[Compiled] = []

    def fake_compile(model, **options):
        calls.append(options)
        wrappers.append(Compiled(model))
        return wrappers[-1]

    monkeypatch.setattr(torch, "compile", fake_compile)
    result = train(config_for(tiny, tmp_path / "compiled", epochs=2, compile=True))
    assert calls == [{"dynamic": True}]
    assert wrappers[0].forwards == result.steps  # every training step went through it
    run = json.loads((tmp_path / "compiled" / "run.json").read_text())
    assert run["config"]["compile"] is True
    train(config_for(tiny, tmp_path / "eager", epochs=1))
    assert len(calls) == 1  # off by default


def test_init_continues_a_finished_run_and_refuses_one_that_does_not_fit(tiny, tmp_path):
    from lexi.errors import LexiError
    from lexi.model.average import average_runs

    first = train(config_for(tiny, tmp_path / "first", epochs=4)).run_dir
    dev = [u.text for u in load_examples([str(tiny[1])], "dev")]
    before = load_predictor(first, device="cpu").predict_proba(dev)
    # At a learning rate too small to move anything, a run started from `first` predicts
    # what `first` does, and one started fresh does not: the adapter and head were loaded.
    frozen = dict(epochs=1, lr=1e-12, warmup_ratio=0.0)
    continued = train(config_for(tiny, tmp_path / "continued", init=str(first), **frozen))
    fresh = train(config_for(tiny, tmp_path / "fresh", **frozen))
    assert numpy.allclose(load_predictor(continued.run_dir, device="cpu").predict_proba(dev),
                          before, atol=1e-4)
    assert not numpy.allclose(load_predictor(fresh.run_dir, device="cpu").predict_proba(dev),
                              before, atol=1e-2)
    run = json.loads((tmp_path / "continued" / "run.json").read_text())
    assert run["config"]["init"] == str(first)
    # Another rank, an averaged run (summed rank), no run at all: refused, saying why.
    with pytest.raises(LexiError, match=r"r 16 \(this run: 8\)"):
        train(config_for(tiny, tmp_path / "rank", init=str(first), lora_r=8, lora_alpha=32))
    average_runs([first, continued.run_dir], tmp_path / "soup")
    with pytest.raises(LexiError, match="summed rank"):
        train(config_for(tiny, tmp_path / "from-soup", init=str(tmp_path / "soup")))
    with pytest.raises(LexiError, match="not a finished lexi run"):
        train(config_for(tiny, tmp_path / "nothing", init=str(tmp_path / "missing")))
    # A run whose adapter settings are gone (a half-copied folder) is named, not a traceback.
    (first / "adapter" / "adapter_config.json").unlink()
    with pytest.raises(LexiError, match="adapter's configuration is missing") as caught:
        train(config_for(tiny, tmp_path / "broken", init=str(first)))
    assert "adapter_config.json" in str(caught.value)
