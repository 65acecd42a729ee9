"""The demo data set that lexi writes itself (no download): small, real, and offline.

Six MASSIVE intents in English (train + dev, with slots, MASSIVE jsonl), a Swahili test
set for the same intents written for this project (sw-KE, test split only), a small
English→Swahili word list (TSV) and a small Swahili verb table in UniMorph format. It is
the data of ``lexi bootstrap demo``: big enough to show the zero-shot gap and what
lexicon-based synthesis recovers, small enough to train in a minute or two on 2 CPU cores.

Rows are generated from templates × slot values with a fixed seed, so the files are the
same on every machine.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lexi.data.massive import write_massive
from lexi.data.outputs import check_output_folder
from lexi.data.records import SlotSpan, Utterance
from lexi.io import atomic_write

# Placeholder in a template -> MASSIVE slot type.
SLOT_TYPES = {"time": "time", "date": "date", "place": "place_name", "artist": "artist_name",
              "room": "house_place"}
INTENT_SCENARIO = {
    "alarm_set": "alarm", "weather_query": "weather", "play_music": "play",
    "iot_hue_lightson": "iot", "iot_hue_lightoff": "iot", "datetime_query": "datetime",
}

ENGLISH_TEMPLATES: dict[str, list[str]] = {
    "alarm_set": [
        "wake me up at {time}", "set an alarm for {time}", "set an alarm at {time} {date}",
        "i need an alarm at {time}", "please set the alarm for {time} {date}",
        "wake me at {time} {date}", "alarm for {time} please",
    ],
    "weather_query": [
        "what is the weather {date}", "will it rain {date}", "will it rain in {place} {date}",
        "how hot is it in {place}", "tell me the weather in {place}",
        "what is the weather like in {place} {date}", "is it cold {date}",
    ],
    "play_music": [
        "play {artist}", "play some music", "play songs by {artist}",
        "i want to listen to {artist}", "play my favourite song", "play music by {artist}",
        "i want to listen to music", "can you play {artist}", "put on some {artist}",
    ],
    "iot_hue_lightson": [
        "turn on the lights", "turn on the light in the {room}", "switch on the lights",
        "lights on please", "please turn on the {room} lights", "turn on all the lights",
        "switch on the light in the {room}", "can you turn on the lights in the {room}",
        "i want the {room} lights on",
    ],
    "iot_hue_lightoff": [
        "turn off the lights", "turn off the light in the {room}", "switch off the lights",
        "lights off please", "please turn off the {room} lights", "turn off all the lights",
        "switch off the light in the {room}", "can you turn off the lights in the {room}",
        "i want the {room} lights off",
    ],
    "datetime_query": [
        "what time is it", "what is the time now", "tell me the time",
        "what is the date today", "what day is it {date}", "tell me the date",
        "what is the time in {place}", "what time is it in {place}", "what is the date {date}",
        "what time is it in {place} now",
    ],
}
ENGLISH_VALUES: dict[str, list[str]] = {
    "time": ["six am", "seven am", "eight pm", "five thirty", "nine am", "ten pm"],
    "date": ["today", "tomorrow", "tonight", "this weekend", "on friday", "on monday"],
    "place": ["nairobi", "mombasa", "kisumu", "london", "arusha", "lagos", "paris"],
    "artist": ["sauti sol", "diamond platnumz", "fally ipupa", "adele", "nyashinski",
               "bob marley", "burna boy", "wizkid"],
    "room": ["kitchen", "bedroom", "living room", "bathroom", "office", "garage", "hallway"],
}

# Swahili test sentences, written for lexi (natural Kenyan/Tanzanian Swahili).
SWAHILI_TEMPLATES: dict[str, list[str]] = {
    "alarm_set": [
        "niamshe saa {time}", "weka kengele saa {time}", "weka kengele ya saa {time} {date}",
        "nataka kengele saa {time}", "tafadhali weka kengele saa {time} {date}",
        "niamshe {date} saa {time}",
    ],
    "weather_query": [
        "hali ya hewa ikoje {date}", "mvua itanyesha {date}", "mvua itanyesha {place} {date}",
        "kuna joto kiasi gani {place}", "niambie hali ya hewa ya {place}",
        "je kutakuwa na baridi {date}",
    ],
    "play_music": [
        "cheza muziki", "cheza nyimbo za {artist}", "nataka kusikiliza {artist}",
        "cheza muziki wa {artist}", "cheza wimbo ninaoupenda", "nataka kusikiliza muziki",
    ],
    "iot_hue_lightson": [
        "washa taa", "washa taa ya {room}", "tafadhali washa taa za {room}",
        "washa taa zote", "washa taa zote za {room}", "tafadhali washa taa",
    ],
    "iot_hue_lightoff": [
        "zima taa", "zima taa ya {room}", "tafadhali zima taa za {room}",
        "zima taa zote", "zima taa zote za {room}", "tafadhali zima taa",
    ],
    "datetime_query": [
        "ni saa ngapi", "ni saa ngapi sasa", "niambie saa", "leo ni tarehe gani",
        "{date} ni siku gani", "ni saa ngapi {place}",
    ],
}
SWAHILI_VALUES: dict[str, list[str]] = {
    "time": ["moja asubuhi", "mbili usiku", "kumi na moja", "tatu asubuhi", "nne usiku"],
    "date": ["leo", "kesho", "usiku wa leo", "wikendi hii", "ijumaa", "jumatatu"],
    "place": ["nairobi", "mombasa", "kisumu", "arusha", "dodoma"],
    "artist": ["sauti sol", "diamond platnumz", "fally ipupa", "nyashinski"],
    "room": ["jikoni", "chumbani", "sebuleni", "bafuni"],
}

# English word -> Swahili translations (several senses where Swahili has them).
LEXICON: list[tuple[str, str]] = [
    ("wake", "amsha"), ("me", "mimi"), ("me", "ni"), ("up", "juu"), ("at", "saa"),
    ("at", "katika"), ("set", "weka"), ("an", "moja"), ("alarm", "kengele"),
    ("for", "kwa"), ("for", "ya"), ("i", "mimi"), ("need", "hitaji"), ("please", "tafadhali"),
    ("what", "nini"), ("what", "gani"), ("is", "ni"), ("weather", "hali ya hewa"),
    ("rain", "mvua"), ("rain", "nyesha"), ("in", "katika"), ("in", "ndani"),
    ("how", "vipi"), ("how", "kiasi gani"), ("hot", "joto"), ("cold", "baridi"),
    ("tell", "ambia"), ("like", "kama"), ("play", "cheza"), ("some", "baadhi"),
    ("music", "muziki"), ("songs", "nyimbo"), ("song", "wimbo"), ("by", "za"), ("by", "na"),
    ("want", "taka"), ("listen", "sikiliza"), ("to", "kwa"), ("my", "yangu"),
    ("favourite", "pendwa"), ("turn", "geuza"), ("on", "washa"), ("on", "juu"),
    ("off", "zima"), ("switch", "swichi"), ("light", "taa"), ("lights", "taa"),
    ("all", "zote"), ("all", "yote"), ("time", "saa"), ("time", "wakati"), ("now", "sasa"),
    ("date", "tarehe"), ("today", "leo"), ("day", "siku"), ("tomorrow", "kesho"),
    ("tonight", "usiku wa leo"), ("weekend", "wikendi"), ("this", "hii"),
    ("friday", "ijumaa"), ("monday", "jumatatu"), ("kitchen", "jikoni"),
    ("bedroom", "chumbani"), ("bedroom", "chumba cha kulala"), ("room", "chumba"),
    ("living", "sebule"), ("office", "ofisini"), ("garage", "gereji"),
    ("hallway", "ukumbini"), ("can", "weza"), ("you", "wewe"), ("put", "weka"),
    ("make", "fanya"), ("listen", "sikia"), ("bathroom", "bafuni"), ("am", "asubuhi"),
    ("pm", "usiku"),
    ("six", "sita"), ("seven", "saba"), ("eight", "nane"), ("five", "tano"),
    ("nine", "tisa"), ("ten", "kumi"), ("thirty", "thelathini"), ("it", "hiyo"),
    ("the", "ile"), ("a", "moja"), ("and", "na"), ("will", "ta"),
]

# A few Swahili verbs in UniMorph format (lemma, form, features), written for lexi.
UNIMORPH_SUFFIXES: list[tuple[str, str]] = [
    ("ku{}", "V;NFIN"),
    ("{}", "V;IMP;2;SG"),
    ("nina{}", "V;FIN;IND;PRS;1;SG"),
    ("ana{}", "V;FIN;IND;PRS;3;SG;LGSPEC1"),
    ("nili{}", "V;FIN;IND;PST;1;SG"),
    ("nita{}", "V;FIN;IND;FUT;1;SG"),
    ("ita{}", "V;FIN;IND;FUT;3;SG;LGSPEC5"),
    ("na{}", "V;FIN;IND;PRS;1;SG;LGSPEC2"),
]
VERBS = ["amsha", "weka", "washa", "zima", "cheza", "sikiliza", "taka", "ambia", "nyesha",
         "penda", "geuza"]

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the demo files written by :func:`write_demo_data`."""

    source: Path
    target: Path
    lexicon: Path
    unimorph: Path


def fill_template(template: str, values: dict[str, str]) -> tuple[str, tuple[SlotSpan, ...]]:
    """Fill ``{slot}`` placeholders, returning the text and the slot spans over it."""
    text, spans, cursor = [], [], 0
    length = 0
    for match in PLACEHOLDER.finditer(template):
        before = template[cursor:match.start()]
        text.append(before)
        length += len(before)
        value = values[match.group(1)]
        spans.append(SlotSpan(length, length + len(value), SLOT_TYPES[match.group(1)]))
        text.append(value)
        length += len(value)
        cursor = match.end()
    text.append(template[cursor:])
    return "".join(text), tuple(spans)


def _rows(templates: dict[str, list[str]], values: dict[str, list[str]], per_intent: int,
          rng: random.Random) -> Iterator[tuple[str, str, tuple[SlotSpan, ...]]]:
    """``per_intent`` distinct (intent, text, slots) per intent, cycling through templates."""
    for intent, intent_templates in templates.items():
        seen: set[str] = set()
        attempts = 0
        while len(seen) < per_intent and attempts < per_intent * 50:
            attempts += 1
            template = intent_templates[attempts % len(intent_templates)]
            chosen = {name: rng.choice(values[name]) for name in PLACEHOLDER.findall(template)}
            text, slots = fill_template(template, chosen)
            if text in seen:
                continue
            seen.add(text)
            yield intent, text, slots


def demo_source(train_per_intent: int = 32, dev_per_intent: int = 6,
                seed: int = 0) -> list[Utterance]:
    """English rows (en-US): ``train_per_intent`` train and ``dev_per_intent`` dev per intent."""
    rng = random.Random(seed)
    rows = list(_rows(ENGLISH_TEMPLATES, ENGLISH_VALUES, train_per_intent + dev_per_intent, rng))
    out: list[Utterance] = []
    counts: dict[str, int] = {}
    for intent, text, slots in rows:
        index = counts[intent] = counts.get(intent, 0) + 1
        split = "dev" if index > train_per_intent else "train"
        out.append(Utterance(str(len(out)), text, intent, slots, "en-US", split,
                             {"scenario": INTENT_SCENARIO[intent]}))
    return out


def demo_target(per_intent: int = 15, seed: int = 1) -> list[Utterance]:
    """Swahili test rows (sw-KE, split ``test``), ``per_intent`` per intent."""
    rng = random.Random(seed)
    return [
        Utterance(str(10_000 + i), text, intent, slots, "sw-KE", "test",
                  {"scenario": INTENT_SCENARIO[intent]})
        for i, (intent, text, slots) in enumerate(
            _rows(SWAHILI_TEMPLATES, SWAHILI_VALUES, per_intent, rng))
    ]


def demo_unimorph_rows() -> list[tuple[str, str, str]]:
    return [(verb, pattern.format(verb), features)
            for verb in VERBS for pattern, features in UNIMORPH_SUFFIXES]


def write_demo_data(directory: str | Path, *, overwrite: bool = False) -> DemoFiles:
    """Write ``en-US.jsonl``, ``sw-KE.jsonl``, ``en-sw.tsv`` and ``swc.unimorph``.

    A ``directory`` that already holds files is written into only with ``overwrite`` (and
    then only these four files are replaced, each atomically).
    """
    check_output_folder(directory, overwrite=overwrite)
    directory = Path(directory)
    files = DemoFiles(directory / "en-US.jsonl", directory / "sw-KE.jsonl",
                      directory / "en-sw.tsv", directory / "swc.unimorph")
    with atomic_write(files.source) as out:
        write_massive(demo_source(), out)
    with atomic_write(files.target) as out:
        write_massive(demo_target(), out)
    with atomic_write(files.lexicon) as out:
        out.writelines(f"{en}\t{sw}\n" for en, sw in LEXICON)
    with atomic_write(files.unimorph) as out:
        out.writelines(f"{lemma}\t{form}\t{features}\n"
                       for lemma, form, features in demo_unimorph_rows())
    return files
