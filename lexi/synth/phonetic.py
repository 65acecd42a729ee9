"""Phonetic spellings of target words through epitran (grapheme → IPA), offline.

Users who type a language without a standard orthography write it roughly as it sounds;
IPA, or IPA folded to plain ASCII letters, gives training data in that spirit. epitran
knows about 100 languages by ISO 639-3 code and script (``swa-Latn``); a few of its modes
need external programs (English needs ``flite``, Chinese needs CC-CEDICT) and are refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources

from lexi.errors import LexiError

# epitran modes that call external tools or dictionaries this project does not install.
NEEDS_EXTERNAL = frozenset({"eng-Latn", "cmn-Hans", "cmn-Hant", "yue-Hant", "jpn-Jpan"})

# ISO 639-1 → 639-3 for the languages epitran has a map for (and the Swahili macrolanguage
# member code ``swh`` that SIB-200/Flores use). Only needed to accept ``sw-KE``-style locales.
ISO_639_1 = {
    "aa": "aar", "af": "afr", "am": "amh", "ar": "ara", "av": "ava", "az": "aze", "bn": "ben",
    "ca": "cat", "cs": "ces", "cy": "cym", "de": "deu", "eo": "epo", "es": "spa", "et": "est",
    "fa": "fas", "fi": "fin", "fr": "fra", "fy": "fry", "ff": "ful", "ga": "gle", "gl": "glg",
    "ha": "hau", "hi": "hin", "hr": "hrv", "hu": "hun", "id": "ind", "ie": "ile", "it": "ita",
    "ja": "jpn", "jv": "jav", "ka": "kat", "kk": "kaz", "km": "khm", "kn": "kan", "ko": "kor",
    "ku": "kmr", "ky": "kir", "lg": "lug", "lo": "lao", "lt": "lit", "lv": "lav", "mi": "mri",
    "ml": "mal", "mn": "mon", "mr": "mar", "ms": "msa", "mt": "mlt", "my": "mya", "ne": "npi",
    "nl": "nld", "nn": "nno", "ny": "nya", "oc": "oci", "om": "orm", "or": "ori", "pa": "pan",
    "pl": "pol", "pt": "por", "ro": "ron", "rn": "run", "ru": "rus", "rw": "kin", "sg": "sag",
    "si": "sin", "sl": "slv", "sn": "sna", "so": "som", "sq": "sqi", "sr": "srp", "sv": "swe",
    "sw": "swa", "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha", "ti": "tir", "tk": "tuk",
    "tl": "tgl", "tn": "tsn", "tr": "tur", "ug": "uig", "uk": "ukr", "ur": "urd", "uz": "uzb",
    "vi": "vie", "xh": "xho", "yo": "yor", "za": "zha", "zu": "zul",
}
MACRO_MEMBERS = {"swh": "swa", "zsm": "msa", "pes": "fas", "uzn": "uzb", "azj": "aze"}

# IPA → plain letters, for "type it as it sounds" spellings (``ascii`` style), replaced in
# one left-to-right pass (longest sequence first); anything left loses its diacritics.
ASCII_FOLD = (
    ("t͡ʃ", "ch"), ("d͡ʒ", "j"), ("t͡s", "ts"), ("d͡z", "dz"), ("tʃ", "ch"), ("dʒ", "j"),
    ("j", "y"), ("ʃ", "sh"), ("ʒ", "zh"), ("ŋ", "ng"), ("ɲ", "ny"),
    ("θ", "th"), ("ð", "dh"), ("ɣ", "gh"), ("χ", "kh"), ("x", "kh"), ("ʔ", "'"),
    ("ɓ", "b"), ("ɗ", "d"), ("ʄ", "j"), ("ɠ", "g"), ("ɾ", "r"), ("ɹ", "r"), ("ʁ", "r"),
    ("ɛ", "e"), ("ə", "e"), ("ɔ", "o"), ("ɪ", "i"), ("ʊ", "u"), ("æ", "a"), ("ɑ", "a"),
    ("ɒ", "o"), ("ʌ", "a"), ("ɨ", "i"), ("ʉ", "u"), ("ø", "o"), ("œ", "oe"), ("ɯ", "u"),
    ("ɡ", "g"), ("ɟ", "j"), ("ç", "sh"), ("ʎ", "ly"), ("ɫ", "l"), ("ɬ", "hl"), ("ħ", "h"),
    ("ʕ", "'"), ("ʂ", "sh"), ("ʐ", "zh"), ("ɕ", "sh"), ("ʑ", "zh"), ("ɖ", "d"), ("ʈ", "t"),
    ("ɳ", "n"), ("ɭ", "l"), ("ɻ", "r"), ("β", "b"), ("ɸ", "f"), ("ʋ", "v"), ("ɦ", "h"),
    ("ː", ""), ("ˈ", ""), ("ˌ", ""), ("ʰ", "h"), ("ʷ", "w"), ("ʲ", "y"),
)

_FOLD = dict(ASCII_FOLD)
_FOLD_RE = re.compile("|".join(re.escape(k) for k in sorted(_FOLD, key=len, reverse=True)))


def supported_codes() -> list[str]:
    """epitran codes that work offline here (``swa-Latn``, ``tur-Latn`` …)."""
    folder = resources.files("epitran") / "data" / "map"
    codes = sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".csv"))
    return [c for c in codes if c not in NEEDS_EXTERNAL and c.count("-") == 1]


def epitran_code(lang: str, available: list[str] | None = None) -> str:
    """Map ``sw``, ``sw-KE``, ``swa``, ``swh`` or ``swa-Latn`` to an epitran code."""
    codes = supported_codes() if available is None else available
    if lang in codes:
        return lang
    if lang in NEEDS_EXTERNAL:
        raise LexiError(f"epitran's {lang!r} needs external tools (flite or CC-CEDICT)")
    base = lang.replace("_", "-").split("-")[0].lower()
    iso3 = MACRO_MEMBERS.get(base, ISO_639_1.get(base, base))
    matches = [c for c in codes if c.split("-")[0] == iso3]
    if not matches:
        raise LexiError(
            f"epitran has no offline grapheme-to-phoneme map for {lang!r}",
            hint=f"supported: {', '.join(codes)}",
        )
    latin = [c for c in matches if c.endswith("-Latn")]
    return (latin or matches)[0]


def fold_ipa(ipa: str) -> str:
    """IPA → plain ASCII letters (``haɓaɾi`` → ``habari``)."""
    ipa = _FOLD_RE.sub(lambda m: _FOLD[m.group()], ipa)
    decomposed = unicodedata.normalize("NFKD", ipa)
    return "".join(c for c in decomposed if c.isascii())


@dataclass
class EpitranTranscriber:
    """``word → phonetic form`` for one language; build once, call per word."""

    lang: str
    style: str = "ipa"
    code: str = field(init=False)

    def __post_init__(self) -> None:
        import epitran  # imported here: loading its maps costs time only when used

        self.code = epitran_code(self.lang)
        try:
            self._epitran = epitran.Epitran(self.code)
        except Exception as exc:  # epitran raises bare errors for missing tools/files
            raise LexiError(
                f"epitran could not load {self.code!r}: {exc}", hint="pick another --phonetic-lang"
            ) from None

    def __call__(self, word: str) -> str:
        ipa = self._epitran.transliterate(word)
        return fold_ipa(ipa) if self.style == "ascii" else ipa
