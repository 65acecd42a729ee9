"""Exact-match accuracy of the learned inflector on CoNLL–SIGMORPHON task-1 splits."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from lexi.errors import LexiError
from lexi.morph.inflector import InflectorConfig, learn_inflector
from lexi.morph.unimorph import read_unimorph

# An ablation that is close to the design of the shared task's non-neural baseline
# (Cotterell et al. 2018, task1/baseline/README.md of sigmorphon/conll2018): suffix rules
# conditioned on the lemma's ending, the bundle's most frequent prefix rule, and the lemma
# repeated for a bundle never seen in training. It is our code, run in the same command —
# not the published baseline figures.
BASELINE_STYLE = InflectorConfig(
    max_context=100, prefix_context=False, prefix_support=1, backoff=False, shape=False
)


# The scored splits of a task-1 folder (the test forms of -covered-test are hidden).
SPLITS = ("test", "dev")


@dataclass(frozen=True)
class EvalResult:
    """Accuracy of one system trained on ``train`` and scored on ``test``."""

    language: str
    setting: str
    system: str
    train_pairs: int
    test_pairs: int
    correct: int
    seconds: float
    split: str = ""
    """The split scored (test or dev), where a command scored more than one."""

    @property
    def accuracy(self) -> float:
        return self.correct / self.test_pairs if self.test_pairs else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "accuracy": round(100 * self.accuracy, 2)}


def evaluate_split(
    train: str | Path, test: str | Path, *, config: InflectorConfig | None = None,
    language: str = "", setting: str = "", system: str = "lexi",
) -> EvalResult:
    """Learn on ``train``, inflect every ``test`` lemma for its bundle, count exact matches.

    A lemma the inflector cannot inflect counts as the lemma repeated (usually wrong).
    """
    start = time.perf_counter()
    for path in (train, test):
        if not Path(path).is_file():
            raise LexiError("no such file", path=path,
                            hint="--train and --test take UniMorph / SIGMORPHON task-1 files")
    train_rows = list(read_unimorph(train))
    test_rows = list(read_unimorph(test))
    for path, rows in ((train, train_rows), (test, test_rows)):
        if not rows:
            raise LexiError("no lemma<TAB>form<TAB>features rows", path=path,
                            hint="an empty file scores nothing")
    inflector = learn_inflector(train_rows, config=config)
    correct = sum(
        (inflector.inflect(row.lemma, row.features) or row.lemma) == row.form for row in test_rows
    )
    return EvalResult(
        language, setting, system, len(train_rows), len(test_rows), correct,
        time.perf_counter() - start,
    )


def evaluate_sigmorphon(
    data_dir: str | Path,
    languages: tuple[str, ...] = ("swahili", "turkish"),
    settings: tuple[str, ...] = ("high", "low"),
    split: str = "test",
    with_baseline_style: bool = True,
) -> list[EvalResult]:
    """Train on ``<lang>-train-<setting>``, score on ``<lang>-<split>``, for each pair."""
    if split not in SPLITS:
        raise LexiError(f"unknown split {split!r}", hint=f"one of {', '.join(SPLITS)}")
    data_dir = Path(data_dir)
    results: list[EvalResult] = []
    for language in languages:
        test = data_dir / f"{language}-{split}"
        for setting in settings:
            train = data_dir / f"{language}-train-{setting}"
            for path in (train, test):
                if not path.is_file():
                    raise LexiError(
                        "SIGMORPHON split not found", path=path,
                        hint="expected the CoNLL–SIGMORPHON 2018 task-1 files "
                        "(<language>-train-high, -train-low, -dev, -test)",
                    )
            results.append(evaluate_split(train, test, language=language, setting=setting))
            if with_baseline_style:
                results.append(evaluate_split(
                    train, test, config=BASELINE_STYLE, language=language, setting=setting,
                    system="baseline-style",
                ))
    return results
