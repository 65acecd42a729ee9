"""lemminflect's three lookups as :mod:`lexi.morph.english` makes them, without paying for
lemminflect up front.

``all_lemmas`` is lemminflect's ``getAllLemmas``, read from lemminflect's own data files
without importing it: importing lemminflect loads numpy (for its out-of-vocabulary
models, about 0.1 s of CPU), and its first lookup parses all 80,676 lines of its lemma
table (about 0.25 s), a fixed cost of every ``lexi synth`` process, which then looks up a
few thousand words. The table is sorted by word, so here a lookup finds the word's lines
by bisection and parses only those (the file is read and split once, about 30 ms). The
answers are lemminflect's own: tests/test_morph_english.py compares them with
lemminflect's over the whole table. Where the files are not where lemminflect 0.2 keeps
them, or for a part of speech lemminflect does not key its table by, the lookup is
lemminflect's.

``all_lemmas_oov`` and ``inflection`` are lemminflect's ``getAllLemmasOOV`` and
``getInflection``: they import it when first called.
"""

from __future__ import annotations

import gzip
from bisect import bisect_left
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

Lemmas = dict[str, tuple[str, ...]]

# The parts of speech lemminflect's lemma table answers for (Lemmatizer.DICT_UPOS_TYPES).
TABLE_UPOS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "ADV", "AUX"})


class LemmaTable:
    """lemminflect's lemma table (``lemma_lu.csv.gz``: ``word,category,lemma/lemma``, one
    line per word and category, sorted by word) and its overrides (``lemma_overrides.csv``:
    ``word,UPOS,lemma``)."""

    def __init__(self, lines: list[str], overrides: dict[str, Lemmas]) -> None:
        self._lines = lines
        self._words = [line[: line.find(",")] for line in lines]
        self._overrides = overrides

    @classmethod
    def read(cls, folder: Path) -> LemmaTable:
        with gzip.open(folder / "lemma_lu.csv.gz", "rb") as table:
            lines = table.read().decode().splitlines()
        overrides: dict[str, Lemmas] = {}
        with open(folder / "lemma_overrides.csv", encoding="utf-8") as rows:
            for row in rows:  # as lemminflect's OverridesCodec reads it
                row = row.strip()
                if row and not row.startswith("#"):
                    word, upos, lemma = row.split(",")
                    overrides.setdefault(word, {})[upos] = (lemma,)
        return cls(lines, overrides)

    def entries(self, word: str) -> Lemmas:
        """The table's lemmas of ``word`` (as written: lower case, or capitalised for a
        proper noun) by part of speech, overrides applied; a new dict."""
        found: Lemmas = {}
        i = bisect_left(self._words, word)
        while i < len(self._words) and self._words[i] == word:
            # As lemminflect's LemmaLUCodec reads a line (a later line for the same part of
            # speech replaces an earlier one).
            _, category, forms = self._lines[i].strip().split(",")
            upos = category.upper()
            found["AUX" if upos == "MODAL" else upos] = tuple(forms.split("/"))
            i += 1
        found.update(self._overrides.get(word, {}))
        return found

    def all_lemmas(self, word: str, upos: str | None = None) -> Lemmas:
        """lemminflect's ``getAllLemmas(word, upos)`` (upos in :data:`TABLE_UPOS` or None)."""
        style = _caps_style(word)
        key = word.lower()
        if upos == "PROPN":  # lemminflect keys proper nouns capitalised, under NOUN
            key, upos = key.capitalize(), "NOUN"
        lemmas = self.entries(key)
        return {pos: tuple(_in_style(lemma, style) for lemma in forms)
                for pos, forms in lemmas.items() if not upos or pos == upos}


def _caps_style(word: str) -> str:
    """lemminflect's getCapsStyle."""
    if word.isupper():
        return "all_upper"
    return "first_upper" if word and word[0].isupper() else "lower"


def _in_style(word: str, style: str) -> str:
    """lemminflect's applyCapsStyle."""
    if style == "all_upper":
        return word.upper()
    return word.capitalize() if style == "first_upper" else word.lower()


@lru_cache(maxsize=1)
def lemma_table() -> LemmaTable | None:
    """lemminflect's table, read once; None where its files are not found (lookups then
    go to lemminflect itself)."""
    spec = find_spec("lemminflect")  # finds the package without importing it
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "resources"
        if (folder / "lemma_lu.csv.gz").is_file() and (folder / "lemma_overrides.csv").is_file():
            return LemmaTable.read(folder)
    return None


def all_lemmas(word: str, upos: str | None = None) -> Lemmas:
    """lemminflect's ``getAllLemmas``: every lemma of ``word`` by part of speech."""
    table = lemma_table()
    if table is None or (upos is not None and upos not in TABLE_UPOS):
        from lemminflect import getAllLemmas

        return getAllLemmas(word, upos=upos)
    return table.all_lemmas(word, upos)


def all_lemmas_oov(word: str, upos: str) -> Lemmas:
    """lemminflect's ``getAllLemmasOOV``: the lemma its rules give a word it does not know."""
    from lemminflect import getAllLemmasOOV

    return getAllLemmasOOV(word, upos=upos)


def inflection(lemma: str, tag: str) -> tuple[str, ...]:
    """lemminflect's ``getInflection``: the forms of ``lemma`` for a Penn tag."""
    from lemminflect import getInflection

    return getInflection(lemma, tag=tag)
