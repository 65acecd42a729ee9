"""``kaikki``: Wiktionary JSONL as extracted by wiktextract (kaikki.org downloads).

Two kinds of rows give entries:

- English entries (``lang_code`` = ``--src``): their ``translations`` into ``--tgt``;
- target-language entries (``lang_code`` = ``--tgt``): their English ``senses[].glosses``,
  split at ``;``/``,`` and kept when short (glosses longer than ``max_gloss_words`` are
  definitions, not translations).

Translations from the English side rank above glosses: they were written as translations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from lexi.errors import LexiError
from lexi.lexicon.adapters.base import ImportContext, rank_weight
from lexi.lexicon.adapters.tsv import _read_lines
from lexi.lexicon.model import Entry

# Parenthesised qualifiers in glosses ("(transitive) to cut") are not part of the meaning.
_PARENS = re.compile(r"\([^)]*\)")
GLOSS_WEIGHT = 0.5


class KaikkiAdapter:
    name = "kaikki"
    summary = "Wiktionary JSONL from kaikki.org/wiktextract: translations and English glosses"
    needs_path = True
    options = {
        "max_gloss_words": "longest English gloss kept as a translation (default 3)",
        "glosses": "use target-language entries' English glosses (default true)",
        "translations": "use English entries' translations (default true)",
    }

    def read(self, path: Path | None, context: ImportContext) -> Iterator[Entry]:
        assert path is not None
        try:
            max_words = int(context.option("max_gloss_words", "3"))
        except ValueError as exc:
            raise LexiError("option max_gloss_words must be a whole number") from exc
        use_glosses = context.flag("glosses", True)
        use_translations = context.flag("translations", True)
        name = path.name
        for number, line in _read_lines(path, context):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                context.malformed(path, number, line, f"a JSON object ({exc.msg})")
                continue
            if not isinstance(row, dict) or not isinstance(row.get("word"), str):
                context.malformed(path, number, line, "a JSON object with a 'word' string")
                continue
            where = f"{name}:{number}"
            lang = row.get("lang_code")
            pos = row.get("pos") if isinstance(row.get("pos"), str) else None
            if lang == context.src and use_translations:
                yield from _translations(row, context.tgt, pos, where)
            elif lang == context.tgt and use_glosses:
                yield from _glosses(row, pos, max_words, where)


def _translations(row: dict, tgt: str, pos: str | None, where: str) -> Iterator[Entry]:
    rank = 0
    for item in row.get("translations") or ():
        if not isinstance(item, dict):
            continue
        code = item.get("code") or item.get("lang_code")
        target = item.get("word")
        if code == tgt and isinstance(target, str) and target.strip():
            rank += 1
            yield Entry(row["word"], target, pos, rank_weight(rank), where)


def _glosses(row: dict, pos: str | None, max_words: int, where: str) -> Iterator[Entry]:
    rank = 0
    for sense in row.get("senses") or ():
        if not isinstance(sense, dict):
            continue
        for gloss in sense.get("glosses") or ():
            if not isinstance(gloss, str):
                continue
            for part in re.split(r"[;,]", _PARENS.sub(" ", gloss)):
                english = part.strip().rstrip(".")
                if pos == "verb" and english.startswith("to "):
                    english = english[3:]
                if english and len(english.split()) <= max_words:
                    rank += 1
                    yield Entry(english, row["word"], pos, GLOSS_WEIGHT * rank_weight(rank), where)
