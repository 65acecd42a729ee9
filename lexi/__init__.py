"""lexi: bootstrap language understanding for languages with almost no labelled data.

Data flows one way: ``resources`` → ``lexicon`` / ``morph`` → ``synth`` → ``model`` →
``evaluate``; ``recipe`` and ``cli`` sit on top and nothing below imports them. The
package root itself is the notebook API over the library (never over ``cli``).

In a notebook, the package itself is the API (each name is imported when first used, so
``import lexi`` stays fast)::

    import lexi

    lexi.demo_data("demo")
    lexi.import_lexicon("tsv", ["demo/en-sw.tsv"], "demo/en-sw.sqlite", tgt="sw")
    lexi.synthesize("demo/en-US.jsonl", "demo/synth.jsonl", ["demo/en-sw.sqlite"],
                    split="train", locale="sw-KE")
    run = lexi.train(data=["demo/en-US.jsonl", "demo/synth.jsonl"], dev="demo/en-US.jsonl",
                     output="runs/aug", epochs=1)
    report = lexi.evaluate(["runs/aug"], "demo/sw-KE.jsonl", "report", split="test")
    lexi.load_predictor("runs/aug").predict(["amka saa kumi"])

Messages go through :mod:`logging` (logger ``lexi``: warnings show by default, the
per-epoch lines with ``logging.basicConfig(level=logging.INFO)`` or
``lexi.console.log_to_console()``); progress bars draw on stderr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lexi.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from lexi.model.config import TrainConfig
    from lexi.model.run import TrainResult

__all__ = [
    "TrainConfig", "__version__", "demo_data", "evaluate", "export", "import_lexicon",
    "load_lexicon", "load_predictor", "predict", "resolve_language", "synthesize", "train",
]


def train(config: TrainConfig | None = None, /, **options: Any) -> TrainResult:
    """Fine-tune an encoder and write a run directory, as ``lexi train`` does.

    Give a :class:`~lexi.model.config.TrainConfig`, or its fields as keywords
    (``data=[...]``, ``dev=...``, ``output=...``, ``epochs=...``; ``data`` may be one
    path); keywords given with a config replace its fields. Returns the
    :class:`~lexi.model.run.TrainResult` (``run_dir``, ``metrics``, ``history``…).
    """
    import dataclasses

    from lexi.model.config import TrainConfig
    from lexi.model.train import train as run_training

    if isinstance(options.get("data"), str):
        options["data"] = [options["data"]]
    if config is None:
        options.setdefault("dev", None)
        config = TrainConfig(**options)
    elif options:
        config = dataclasses.replace(config, **options)
    return run_training(config)


def predict(run: str, texts: list[str] | str, top_k: int = 1, **options: Any) -> list[dict]:
    """Classify ``texts`` with a run (or export): one dict per text, as the JSON lines of
    ``lexi predict`` (``label``, ``score``, ``top_k``; slots for slot runs)."""
    from lexi.model.predict import predict_rows

    texts = [texts] if isinstance(texts, str) else list(texts)
    return predict_rows(run, texts, None, top_k, **options)


def __getattr__(name: str) -> Any:
    """The rest of the API, imported on first use."""
    if name == "synthesize":
        from lexi.synth.synthesize import synthesize

        return synthesize
    if name == "evaluate":
        import lexi.evaluate as evaluate  # a callable module: lexi.evaluate(runs, data, …)

        return evaluate
    if name == "TrainConfig":
        from lexi.model.config import TrainConfig

        return TrainConfig
    if name == "load_predictor":
        from lexi.model.predict import load_predictor

        return load_predictor
    if name == "export":
        from lexi.model.export import export_run

        return export_run
    if name == "import_lexicon":
        from lexi.lexicon import import_lexicon

        return import_lexicon
    if name == "load_lexicon":
        from lexi.lexicon import load_lexicon

        return load_lexicon
    if name == "demo_data":
        from lexi.data.demo import write_demo_data

        return write_demo_data
    if name == "resolve_language":
        from lexi.resources.languages import resolve_language

        return resolve_language
    raise AttributeError(f"module 'lexi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
