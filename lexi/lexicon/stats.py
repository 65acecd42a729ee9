"""What ``lexi lexicon stats`` reports about a lexicon (a store or a TSV)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lexi.lexicon.importer import load_lexicon
from lexi.lexicon.store import is_store, store_info


@dataclass
class LexiconStats:
    """Sizes of a lexicon; ``meta`` is what the store recorded about its build."""

    path: str
    src: str | None
    tgt: str | None
    entries: int
    sources: int
    targets: int
    multiword_sources: int
    max_phrase_words: int
    senses_per_source: float
    pos: dict[str, int] = field(default_factory=dict)
    file_bytes: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def lexicon_stats(path: str | Path, *, freeze_after_load: bool = False) -> LexiconStats:
    """Sizes of the lexicon at ``path``; ``freeze_after_load`` as for
    :func:`~lexi.lexicon.load_lexicon`."""
    view = load_lexicon(path, freeze_after_load=freeze_after_load)
    meta = store_info(path).meta if is_store(path) else {"format": "tsv"}
    targets: set[str] = set()
    pos: Counter = Counter()
    entries = 0
    for phrase in view.phrases():
        for entry in view.translations(phrase):
            entries += 1
            targets.add(entry.target)
            pos[entry.pos or "-"] += 1
    multiword = sum(1 for phrase in view.phrases() if " " in phrase)
    return LexiconStats(
        path=str(path), src=view.src_lang, tgt=view.tgt_lang, entries=entries,
        sources=len(view), targets=len(targets), multiword_sources=multiword,
        max_phrase_words=view.max_phrase_words,
        senses_per_source=round(entries / len(view), 3) if len(view) else 0.0,
        pos=dict(pos.most_common()), file_bytes=Path(path).stat().st_size, meta=meta,
    )
