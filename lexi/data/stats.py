"""Dataset statistics: what ``lexi data stats`` shows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from lexi.data.records import Utterance


@dataclass
class DatasetStats:
    """Counts over a dataset; ``as_dict`` gives the JSON form."""

    rows: int = 0
    labels: Counter = field(default_factory=Counter)
    splits: Counter = field(default_factory=Counter)
    locales: Counter = field(default_factory=Counter)
    slot_types: Counter = field(default_factory=Counter)
    total_chars: int = 0
    total_words: int = 0

    @property
    def mean_chars(self) -> float:
        return self.total_chars / self.rows if self.rows else 0.0

    @property
    def mean_words(self) -> float:
        return self.total_words / self.rows if self.rows else 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("labels", "splits", "locales", "slot_types"):
            data[key] = dict(getattr(self, key).most_common())
        data["mean_chars"] = round(self.mean_chars, 2)
        data["mean_words"] = round(self.mean_words, 2)
        return data


def dataset_stats(utterances: Iterable[Utterance]) -> DatasetStats:
    stats = DatasetStats()
    for utt in utterances:
        stats.rows += 1
        stats.labels[utt.label] += 1
        stats.splits[utt.split] += 1
        stats.locales[utt.locale] += 1
        stats.slot_types.update(span.name for span in utt.slots)
        stats.total_chars += len(utt.text)
        stats.total_words += len(utt.text.split())
    return stats
