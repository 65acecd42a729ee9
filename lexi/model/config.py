"""The training configuration: every knob of ``lexi train``, with its reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

METHODS = ("lora", "full")
POOLINGS = ("mean", "cls")
DEVICES = ("auto", "cpu", "cuda")

# BERT / XLM-R names of the attention projections and the feed-forward layers.
DEFAULT_TARGET_MODULES = ("query", "key", "value", "dense")


@dataclass
class TrainConfig:
    """What ``lexi train`` does; ``run.json`` stores it whole so a run can be repeated."""

    data: list[str]
    """Training files (MASSIVE jsonl, JSONL, CSV, TSV: whatever ``read_dataset`` reads)."""
    dev: str | None
    """The *source-language* dev file used for early stopping and model selection."""
    output: str
    """The run directory to create (``runs/NAME``)."""
    model: str = "default"
    """``default`` (the embedded multilingual-e5-small), a local folder or a hub id."""
    split: str | None = "train"
    """Keep training rows whose split is this (rows without a split are kept); None: all."""
    dev_split: str | None = "dev"
    """The same for the dev file: MASSIVE keeps train/dev/test in one file."""
    text_field: str | None = None
    label_field: str | None = None

    method: str = "lora"
    """``lora`` (adapter on the encoder, head trained) or ``full`` (every weight)."""
    lora_r: int = 16
    """LoRA rank. 8–16 is plenty for intent classification."""
    lora_alpha: int = 32
    """LoRA scaling numerator (effective scale alpha / r)."""
    lora_dropout: float = 0.1
    target_modules: list[str] = field(default_factory=lambda: list(DEFAULT_TARGET_MODULES))
    """Encoder linear layers that get an adapter (names are suffixes, as peft matches them)."""
    lora_layers: int | None = None
    """Adapt only the top N encoder layers (None, or N at least the encoder's depth: every
    layer). The layers below get no adapter, so no gradient flows through them: the
    backward pass stops at the lowest adapted layer (docs/performance.md, "LoRA on the top
    layers only")."""
    pooling: str = "mean"
    """``mean`` over real tokens (e5's training objective) or ``cls`` (the first token)."""
    head_dropout: float = 0.1

    lr: float | None = None
    """Peak learning rate; None: 2e-3 for LoRA (measured, docs/training.md), 3e-5 for full."""
    weight_decay: float = 0.01
    epochs: int = 3
    batch_size: int = 32
    """Examples per optimizer micro-step and per process (DDP multiplies by the world size)."""
    grad_accum: int = 1
    """Micro-batches summed before each optimizer step (effective batch = batch × accum)."""
    warmup_ratio: float = 0.06
    """Share of the optimizer steps with a linear learning-rate warm-up."""
    consistency: float = 0.0
    """Weight λ of the symmetric KL between a row and one of its synthetic views, drawn anew
    each step (``lexi.model.views``); 0 turns multi-view training off. xTune used ≈ 5."""
    synth: str | None = None
    """A synthesis spec (YAML/JSON of ``lexi synth``'s options, ``lexi.model.views``): new
    synthetic views of the original rows are made for every epoch. None: only the files."""
    teacher: str | None = None
    """A finished run (trained on the source language) whose predictions on each row's
    source row become soft targets: a synthetic view learns what the teacher says of the
    English sentence it came from. None: no teacher."""
    teacher_weight: float = 0.5
    """Share of the loss taken by the teacher's soft targets (the rest: cross-entropy)."""
    temperature: float = 2.0
    """Softmax temperature of teacher and student in the distillation term."""
    max_grad_norm: float = 1.0
    """Gradients are clipped to this global L2 norm at every optimizer step, in every path
    (LoRA, full, DDP, bf16): it keeps a freshly initialised head from wrecking the adapter."""
    on_divergence: str = "retry"
    """What a diverged run does (``lexi.model.stability``): ``retry`` goes back once to the
    last good state at half the learning rate; ``stop`` ends it, written as failed."""
    max_length: int = 64
    """Tokens kept per utterance; MASSIVE utterances are ~12 tokens, 64 truncates almost none."""
    bucket: bool = True
    """Batch utterances of similar length together (less padding, same epoch content)."""
    pad_to_max_length: bool = False
    """Pad every batch to ``max_length`` (the slow fixed-shape baseline of the benchmark)."""
    max_steps: int | None = None
    """Stop after this many optimizer steps in all (a smoke test, a benchmark)."""
    patience: int = 2
    """Stop when dev accuracy has not improved for this many epochs."""
    seed: int = 13
    device: str = "auto"
    """``auto`` (CUDA when present, else CPU), ``cpu`` or ``cuda``."""
    threads: int | None = None
    """CPU threads; None: every core (divided among the processes of a CPU DDP run)."""
    eval_batch_size: int = 128
    resume: bool = False
    """Continue from the run directory's last epoch checkpoint."""
    overwrite: bool = False
    """Replace an existing run directory."""
    # Added with slot filling; last, so that an intent-only run.json lists the keys it
    # always did, in the same order, with these after them.
    task: str = "intent"
    """``intent`` (the intent head only) or ``intent+slots``: a second, token-level head
    learns BIO slot tags from ``annot_utt`` spans (:mod:`lexi.model.slots`); rows without
    slot markup train the intent head only. ``auto``: ``intent+slots`` when the training rows
    mark at least one slot (MASSIVE ``annot_utt``), else ``intent`` (the recipes use it)."""
    slot_weight: float = 1.0
    """``intent+slots``: loss = intent cross-entropy + this × the slot cross-entropy (a
    mean over the first sub-words of the batch's words, as JointBERT weighs them 1:1)."""
    slot_lr_scale: float = 10.0
    """``intent+slots``: the slot head's learning rate as a multiple of ``lr``. The encoder's
    token vectors vary little from token to token (per-dimension spread 0.10–0.24 for the
    default model), so at the adapter's rate a linear tagger stays at the tag prior for
    hundreds of steps (docs/training.md, "Slots")."""
    cpu_bf16: bool | None = None
    """bf16 autocast for the forward pass on the CPU (on CUDA it always is). ``None`` (the
    default, ``auto``): on where the CPU has bf16 units (AVX-512-BF16 or AMX, read by
    :func:`lexi.environment.cpu_has_bf16`), off elsewhere, where bf16 is emulated and
    slower. On this project's AVX-512-BF16 CPU it trains 1.2-1.3x faster with the same
    accuracy within noise: the soup moves by -0.30 points on average over fourteen recipe
    comparisons (+0.30 over three MASSIVE sw-KE seeds, -0.46 over eleven SIB-200 runs;
    docs/performance.md, "bf16 autocast on the CPU"). ``True`` or
    ``False`` forces it (``--cpu-bf16`` / ``--no-cpu-bf16``); ``run.json`` records what the
    run used under ``device.cpu_bf16``."""
    fast_dropout: bool = True
    """On the CPU, draw dropout masks 16 bits at a time (:class:`lexi.model.fastpath.FastDropout`:
    the same ``p`` and scaling, a quarter of the random draws) instead of torch's
    ``nn.Dropout``, whose mask generation took 27% of a LoRA step on 2 cores; measured
    1.23-1.49x faster training steps, and the recipes' soups within noise of torch's dropout
    (-0.26 points over seven comparisons; docs/performance.md, "Dropout masks and LoRA
    casts"). ``False`` (``--no-fast-dropout``): torch's own dropout, the
    random stream of every run before 2026-12-05. No effect on CUDA."""
    compile: bool = False
    """Compile the training forward and backward with ``torch.compile`` (inductor, dynamic
    shapes, since bucketed batches change length). Off by default: measured in
    ``benchmarks/bench_train.py`` (docs/performance.md, "torch.compile"); the first steps
    pay the compilation."""
    init: str | None = None
    """A finished LoRA run to start from instead of a fresh adapter and head (``--init``):
    its adapter, intent head and slot head are loaded before the first step, so the run
    continues that model on this run's rows (pseudo-labelled target text, new traffic). It
    needs the same labels, slot tags and adapter settings (rank, alpha, target modules);
    an averaged run's adapter has another rank and is refused. The learning-rate schedule
    and the optimizer start over."""

    def __post_init__(self) -> None:
        from lexi.data.readers import split_value
        from lexi.errors import LexiError
        from lexi.model.slots import TASKS
        from lexi.model.stability import ON_DIVERGENCE

        # ``all`` (as on the command line, or in a --config file) is every row.
        self.split, self.dev_split = split_value(self.split), split_value(self.dev_split)
        if self.task not in TASKS:
            raise LexiError(f"unknown task {self.task!r}", hint=f"one of {', '.join(TASKS)}")
        if self.slot_weight < 0:
            raise LexiError(f"--slot-weight must be 0 or more, not {self.slot_weight}")
        if self.slot_lr_scale <= 0:
            raise LexiError(f"--slot-lr-scale must be more than 0, not {self.slot_lr_scale}")
        if self.method not in METHODS:
            raise LexiError(f"unknown method {self.method!r}", hint=f"one of {', '.join(METHODS)}")
        if self.pooling not in POOLINGS:
            raise LexiError(f"unknown pooling {self.pooling!r}",
                            hint=f"one of {', '.join(POOLINGS)}")
        if self.device not in DEVICES:
            raise LexiError(f"unknown device {self.device!r}",
                            hint=f"one of {', '.join(DEVICES)}")
        if self.on_divergence not in ON_DIVERGENCE:
            raise LexiError(f"unknown --on-divergence {self.on_divergence!r}",
                            hint=f"one of {', '.join(ON_DIVERGENCE)}")
        if not 0 <= self.teacher_weight <= 1:
            raise LexiError(f"--teacher-weight must be within [0, 1], not {self.teacher_weight}")
        if not self.temperature > 0:
            raise LexiError(f"--temperature must be positive, not {self.temperature}")
        if self.consistency < 0:
            raise LexiError(f"--consistency must be 0 or more, not {self.consistency}")
        if not self.max_grad_norm > 0:
            raise LexiError(f"--max-grad-norm must be positive, not {self.max_grad_norm}",
                            hint="clipping stays on in every run; 1.0 is the default")
        if self.lr is not None and not self.lr > 0:
            raise LexiError(f"--lr must be positive, not {self.lr}")
        for name in ("lora_dropout", "head_dropout"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise LexiError(f"--{name.replace('_', '-')} must be within [0, 1), not {value}")
        if not 0 <= self.warmup_ratio <= 1:
            raise LexiError(f"--warmup-ratio must be within [0, 1], not {self.warmup_ratio}")
        if self.weight_decay < 0:
            raise LexiError(f"--weight-decay must be 0 or more, not {self.weight_decay}")
        for name in ("epochs", "batch_size", "grad_accum", "max_length", "lora_r",
                     "lora_layers", "eval_batch_size", "patience", "max_steps", "threads"):
            value = getattr(self, name)
            # (max_steps, threads, lora_layers may be None: no limit, every core, all layers.)
            if value is not None and value < 1:
                raise LexiError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
        if not self.data:
            raise LexiError("no training data given", hint="pass --data FILE")

    @property
    def with_slots(self) -> bool:
        """Whether the model may get a slot head (``intent+slots``; ``auto``: when the
        training rows mark slots, :func:`lexi.model.train_data.check_slots`)."""
        return self.task in ("intent+slots", "auto")

    @property
    def learning_rate(self) -> float:
        if self.lr is not None:
            return self.lr
        return 2e-3 if self.method == "lora" else 3e-5

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def portable_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` with every file path that exists made absolute: a run's
        ``run.json`` is fed back with ``--config`` from any folder (hub ids, ``default`` and
        ``-`` stay as typed)."""
        def absolute(value: str | None) -> str | None:
            return str(Path(value).resolve()) if value and Path(value).exists() else value

        values = self.to_dict()
        values["data"] = [absolute(path) for path in self.data]
        for key in ("dev", "synth", "teacher", "model"):
            values[key] = absolute(values[key])
        values["output"] = str(Path(self.output).resolve())
        return values

    @classmethod
    def read_file(cls, path: str | Path) -> dict[str, Any]:
        """Options from a YAML or JSON file: a plain mapping of field names, or a run's
        ``run.json`` (its ``config`` section). ``resume`` and ``overwrite`` are actions on a
        run directory, not configuration, and are never taken from a file."""
        import yaml

        from lexi.errors import LexiError

        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise LexiError(f"cannot read the config file: {exc.strerror}", path=path) from None
        except UnicodeDecodeError as exc:
            from lexi.data.massive import not_utf8

            raise not_utf8(path, exc) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise LexiError(f"not valid YAML/JSON: {getattr(exc, 'problem', exc)}", path=path,
                            line=mark.line + 1 if mark else None) from None
        if isinstance(loaded, dict) and isinstance(loaded.get("config"), dict) \
                and str(loaded.get("format", "")).startswith("lexi-run/"):
            loaded = loaded["config"]
        if not isinstance(loaded, dict):
            raise LexiError("a config file holds a mapping of option names to values",
                            path=path, hint="e.g. `lr: 0.001` on its own line")
        unknown = sorted(set(loaded) - set(cls.__dataclass_fields__))
        if unknown:
            raise LexiError(f"unknown option(s) {', '.join(unknown)}", path=path,
                            hint="names are TrainConfig's fields: "
                            + ", ".join(sorted(cls.__dataclass_fields__)))
        return {k: _typed(k, v, cls.__dataclass_fields__[k].type, path)
                for k, v in loaded.items() if k not in ("resume", "overwrite")}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def run_dir(self) -> Path:
        return Path(self.output)


def _typed(name: str, value: Any, kind: str, path: str | Path) -> Any:
    """``value`` of option ``name`` from a config file, checked against the field's type
    ``kind`` (YAML has no schema: ``epochs: three`` must not reach the loop). Two readings
    are forgiving: a number written ``1e-3`` (a string to PyYAML) and a single path where a
    list of them is expected (``data: en.jsonl``)."""
    from lexi.errors import LexiError

    base = kind.removesuffix(" | None")
    if value is None and base != kind:
        return None
    if base == "float" and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if base == "list[str]" and isinstance(value, str):
        value = ([item.strip() for item in value.split(",") if item.strip()]
                 if name == "target_modules" else [value])
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    fits = {"bool": isinstance(value, bool), "str": isinstance(value, str),
            "int": number and isinstance(value, int), "float": number,
            "list[str]": isinstance(value, list) and all(isinstance(v, str) for v in value),
            }.get(base, True)
    if not fits:
        wanted = {"bool": "true or false", "str": "a string", "int": "an integer",
                  "float": "a number", "list[str]": "a list of strings"}[base]
        raise LexiError(f"'{name}' must be {wanted}" + (" or null" if base != kind else "")
                        + f", not {value!r}", path=path)
    return value
