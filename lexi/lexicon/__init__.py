"""Bilingual lexicons: the entry model and normaliser (``model``), the in-memory view with
longest-match lookup (``view``), a source's senses best first (``senses``), the compiled
SQLite store (``store``), format adapters (``adapters``), import/merge (``importer``) and
coverage diagnostics (``coverage``).

Synthesis needs only :func:`load_lexicon` and :meth:`LexiconView.match`.
"""

from lexi.lexicon.importer import ImportReport, import_lexicon, load_lexicon, merge_lexicons
from lexi.lexicon.model import Entry, Normalizer
from lexi.lexicon.view import LexiconView, Match

__all__ = [
    "Entry", "ImportReport", "LexiconView", "Match", "Normalizer",
    "import_lexicon", "load_lexicon", "merge_lexicons",
]
