"""Multi-view training: each source row beside a synthetic view of itself, in one batch.

Synthetic rows written by ``lexi synth`` carry ``lexi.source_id``, the id of the English
row they were made from. With ``--consistency λ`` the trainer iterates over the rows
that are not views (the English rows, and synthetic rows whose source is absent), draws
one of each row's views for every step (a different one each epoch when synthesis wrote
several: ``--per-utterance N`` or several operators), and adds ``λ`` × the symmetric KL
divergence between the two predictions to the cross-entropy of both (xTune, Zheng et al.
2021). The model then learns that a sentence and its pseudo-translation mean the same.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from lexi.data.records import Utterance

SOURCE_ID_KEY = "source_id"


@dataclass(frozen=True)
class ViewIndex:
    """Which training rows are anchors of an epoch and which rows are views of which."""

    anchors: list[int]
    """Rows an epoch iterates over (row indices into the training rows)."""
    views: dict[int, list[int]]
    """Anchor row index → indices of its synthetic views (absent: no view)."""

    @property
    def paired(self) -> int:
        """How many anchors have at least one view."""
        return len(self.views)

    @property
    def view_rows(self) -> int:
        return sum(len(v) for v in self.views.values())


def source_id(utt: Utterance) -> str | None:
    """The id of the row ``utt`` was synthesised from (None for an original row)."""
    provenance = utt.metadata.get("lexi")
    if isinstance(provenance, dict) and provenance.get(SOURCE_ID_KEY) is not None:
        return str(provenance[SOURCE_ID_KEY])
    return None


def index_views(rows: Sequence[Utterance]) -> ViewIndex:
    """Pair synthetic rows with the training row they came from (by id)."""
    first_by_id: dict[str, int] = {}
    for i, utt in enumerate(rows):
        if source_id(utt) is None:
            first_by_id.setdefault(str(utt.id), i)
    anchors: list[int] = []
    views: dict[int, list[int]] = {}
    for i, utt in enumerate(rows):
        origin = source_id(utt)
        anchor = first_by_id.get(origin) if origin is not None else None
        if anchor is None:
            anchors.append(i)  # an original row, or a view whose source is not here
        else:
            views.setdefault(anchor, []).append(i)
    return ViewIndex(anchors, views)


def draw_views(batch: Sequence[int], index: ViewIndex, rng: random.Random
               ) -> list[tuple[int, int]]:
    """One view for each anchor of ``batch`` that has any: ``(position in batch, view row)``."""
    drawn = []
    for position, row in enumerate(batch):
        candidates = index.views.get(row)
        if candidates:
            drawn.append((position, candidates[rng.randrange(len(candidates))]))
    return drawn


def draw_seed(seed: int, epoch: int, micro: int) -> int:
    """The seed of one micro-batch's draw: a pure function, so resume and DDP agree."""
    return (seed * 1_000_003 + epoch) * 1_000_033 + micro


def symmetric_kl(logits_a: torch.Tensor, logits_b: torch.Tensor) -> torch.Tensor:
    """Mean over rows of KL(p_a ‖ p_b) + KL(p_b ‖ p_a), computed in float32."""
    log_a = nn.functional.log_softmax(logits_a.float(), dim=-1)
    log_b = nn.functional.log_softmax(logits_b.float(), dim=-1)
    forward = nn.functional.kl_div(log_b, log_a, log_target=True, reduction="batchmean")
    backward = nn.functional.kl_div(log_a, log_b, log_target=True, reduction="batchmean")
    return forward + backward


# --------------------------------------------------------------------------- fresh views


@dataclass(frozen=True)
class FreshViewSpec:
    """``lexi train --synth FILE``: synthesise new views of the source rows every epoch.

    The file (YAML or JSON) holds ``lexi synth``'s options: ``lexicon`` (a path or a list),
    the :class:`~lexi.synth.config.SynthConfig` fields (``ops``, ``per_utterance``, ``seed``,
    ``locale``, ``sense``, ``unknown``, ``function_words`` (a list, or ``a,an,the``),
    ``numbers``, ``slot_mode``, ``token_ratio``, ``sentence_ratio``, ``phonetic_style``),
    and ``slot_lexicon``, ``morph``, ``unimorph``, ``morph_model``, ``phonetic_lang``.
    Relative paths are relative to the file; a bad option is an error naming the file.
    """

    lexicons: tuple[str, ...]
    synth: dict
    resources: dict

    RESOURCE_KEYS = ("slot_lexicon", "morph", "unimorph", "morph_model", "phonetic_lang",
                     "sense_text", "sense_text_split")
    PATH_KEYS = ("slot_lexicon", "unimorph", "morph_model", "sense_text")

    @classmethod
    def read(cls, path: str | Path) -> FreshViewSpec:
        import yaml

        from lexi.errors import LexiError
        from lexi.synth.config import SynthConfig

        path = Path(path)
        expected = "--synth takes a YAML or JSON text file (UTF-8) of lexi synth's options"
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LexiError(f"cannot read the synthesis spec: {exc.strerror}", path=path) from None
        except UnicodeDecodeError as exc:  # a binary file, or text in another encoding
            from lexi.data.massive import not_utf8

            found = not_utf8(path, exc)
            raise LexiError(f"not a synthesis spec: {found.message}", path=path,
                            line=found.line, hint=expected) from None
        except yaml.reader.ReaderError as exc:  # UTF-8, but control bytes: binary all the same
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            raise LexiError(f"not a synthesis spec: control character U+{code:04X} at "
                            f"character offset {exc.position}", path=path,
                            hint=expected) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise LexiError(f"not valid YAML/JSON: {getattr(exc, 'problem', exc)}", path=path,
                            line=mark.line + 1 if mark else None) from None
        if not isinstance(loaded, dict) or not loaded.get("lexicon"):
            raise LexiError("a synthesis spec is a mapping with at least `lexicon:`", path=path,
                            hint="e.g. `lexicon: sw.sqlite` and `ops: [translate]`")
        fields = set(SynthConfig.__dataclass_fields__) - {"keep_source"}
        unknown = sorted(set(loaded) - fields - set(cls.RESOURCE_KEYS) - {"lexicon"})
        if unknown:
            raise LexiError(f"unknown option(s) {', '.join(unknown)}", path=path,
                            hint="lexi synth's options: lexicon, " + ", ".join(sorted(fields))
                            + ", " + ", ".join(cls.RESOURCE_KEYS))

        def local(value: str) -> str:
            return str(value if Path(value).is_absolute() else path.parent / value)

        lexicons = loaded["lexicon"]
        lexicons = [lexicons] if isinstance(lexicons, str) else list(lexicons)
        synth = {k: v for k, v in loaded.items() if k in fields}
        if isinstance(synth.get("ops"), str):
            synth["ops"] = [op.strip() for op in synth["ops"].split(",") if op.strip()]
        if "ops" in synth:
            synth["ops"] = tuple(synth["ops"])
        if isinstance(synth.get("function_words"), str):  # "a,an,the", as on the command line
            synth["function_words"] = [
                word.strip() for word in synth["function_words"].split(",") if word.strip()
            ]
        try:  # every option checked now, with lexi synth's messages, located in the file
            config = SynthConfig(**synth)
            if config.numbers == "cldr":  # rules for the locale: known before training starts
                from lexi.synth.numbers import cldr_numbers, resolve_numbers

                resolve_numbers("cldr", cldr_numbers(config.locale) if config.locale else None)
        except LexiError as exc:
            raise LexiError(exc.message, path=path, hint=exc.hint) from None
        except TypeError as exc:  # a value of the wrong type (ops: 3)
            raise LexiError(f"a malformed option: {exc}", path=path) from None
        resources = {k: (local(v) if k in cls.PATH_KEYS else v)
                     for k, v in loaded.items() if k in cls.RESOURCE_KEYS and v is not None}
        return cls(tuple(local(p) for p in lexicons), synth, resources)


class FreshViews:
    """New synthetic views of the original rows for each epoch, deterministic per epoch.

    Epoch ``e`` uses variant indices ``e × n … e × n + n − 1`` of every generator
    (``n`` = ``per_utterance``), so each epoch draws other senses, switch points and forms
    than the last, and the same epoch always draws the same ones (resume, DDP).
    """

    def __init__(self, spec: FreshViewSpec, *, freeze_after_load: bool = False) -> None:
        """``freeze_after_load``: large stores go to ``gc.freeze()`` once loaded (process-wide,
        see :func:`~lexi.lexicon.store.read_store`): what ``lexi train`` does, whose
        collections would otherwise walk every lexicon entry for the whole run."""
        from lexi.synth.config import SynthConfig
        from lexi.synth.pipeline import build_synthesizer

        self.spec = spec
        self.config = SynthConfig(**spec.synth)
        self.synthesizer = build_synthesizer(self.config, list(spec.lexicons),
                                             **spec.resources,
                                             freeze_after_load=freeze_after_load)

    def epoch(self, originals: Sequence[Utterance], epoch: int) -> list[Utterance]:
        """This epoch's views: for each original row, ``per_utterance`` rows per generator
        (fewer when a variant is unchanged, a duplicate, or has nothing to translate)."""
        per = self.config.per_utterance
        rows: list[Utterance] = []
        for utt in originals:
            seen = {utt.text}
            for op in self.config.generators:
                for index in range(epoch * per, epoch * per + per):
                    row = self.synthesizer.variant(utt, op, index)
                    if row is not None and row.text not in seen:
                        seen.add(row.text)
                        rows.append(row)
        return rows


def is_original(utt: Utterance) -> bool:
    """A row no lexi step made (no ``lexi`` provenance): what fresh views are made from."""
    return not isinstance(utt.metadata.get("lexi"), dict)
