"""Synthesis: English labelled utterances → target-language training data.

Operators (``translate``, ``codeswitch``, ``phonetic``, and the ``inflect`` modifier) are
pure, seeded functions of one :class:`~lexi.data.records.Utterance`; they live in
:mod:`lexi.synth.operators`, the lexicon lookup they share (longest match, lemmas,
numbers) in :mod:`lexi.synth.matcher`, the slot-preserving text rendering in
:mod:`lexi.synth.align`, epitran transcription in :mod:`lexi.synth.phonetic`, numbers,
times and calendar names written with CLDR in :mod:`lexi.synth.numbers`, and the
streaming file-to-file run with its summary and report in :mod:`lexi.synth.pipeline`.
"""

from lexi.synth.config import GENERATORS, MODIFIERS, SynthConfig
from lexi.synth.operators import Synthesizer
from lexi.synth.pipeline import SynthSummary, build_synthesizer, synthesize_file
from lexi.synth.prepared import SynthResult

__all__ = [
    "GENERATORS",
    "MODIFIERS",
    "SynthConfig",
    "SynthResult",
    "SynthSummary",
    "Synthesizer",
    "build_synthesizer",
    "synthesize_file",
]
