"""Morphology: UniMorph paradigms, English source analysis, inflection transfer, and a
learned inflector for lemmas the tables lack.

- ``features``: parse and normalise UniMorph feature bundles;
- ``unimorph``: read tables, the paradigm index and its compiled cache;
- ``english``: lemma + UniMorph features for English words (lemminflect + rules);
- ``inflector``: prefix/suffix edit rules learned from UniMorph pairs;
- ``transfer``: the compatibility rule and :class:`Morphology`, the per-language entry point;
- ``evaluation``: accuracy on CoNLL–SIGMORPHON splits.

Synthesis calls :func:`analyze_english` once per sentence and :meth:`Morphology.inflect`
per translated word.
"""

from lexi.morph.english import Analysis, analyze_english
from lexi.morph.features import format_features, parse_features
from lexi.morph.transfer import Inflection, Morphology, load_morphology

__all__ = [
    "Analysis",
    "Inflection",
    "Morphology",
    "analyze_english",
    "format_features",
    "load_morphology",
    "parse_features",
]
