"""The self-training pool of ``lexi bootstrap``: the unlabelled target-language text that
the recipes' self-training steps (``selftrain``, ``train-selftrained``, ``soup``) label,
handed to them as the variables ``unlabelled`` and ``unlabelled_args``, and to synthesis as
``sense_text_args`` (``lexi synth --sense-text``: the text's counts weigh translations).

The pool is the first of:

1. ``--unlabelled FILE``, read as it is;
2. none with ``--no-selftrain``: the steps are left out (``when: ${unlabelled}``);
3. MASSIVE: the locale's own file, its ``train`` split (``--split train``), when the test
   set came from the data root, the cache or the catalog and (when it is already local)
   has train rows: the same file, so nothing more is read or fetched;
4. SIB-200: the language's ``train.tsv`` beside its test split (data root or cache), else
   the catalog's (from the cache, or fetched with the other files; never ``--offline``);
5. none: a test set given with ``--target`` (a run on files given stays on them: nothing
   is looked up or fetched for it), or no test set (task ``none``).

The labels of a pool are never read (``lexi selftrain``), and a train split shares no
text with its test split, so the evaluation stays on unseen text.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from lexi.recipe.found import LOCATED, Found
from lexi.resources.languages import Language
from lexi.resources.remote import Remote, RemoteCatalog

NAME = "unlabelled"
# The origin of a MASSIVE pool: the target file itself, read for its train split.
TARGET_TRAIN = "the test file's train split"
NO_SELFTRAIN = "--no-selftrain"
PARTITION = re.compile(r'"partition"\s*:\s*"([^"]*)"')


def has_split(path: Path, split: str) -> bool:
    """Whether a MASSIVE jsonl file has a row of ``split`` (stops at the first)."""
    with open(path, encoding="utf-8", errors="replace") as lines:
        return any(match is not None and match.group(1) == split
                   for match in map(PARTITION.search, lines))


def find_pool(task: str, given: Path | None, target: Found, remote: RemoteCatalog,
              language: Language, *, selftrain: bool = True, offline: bool = False) -> Found:
    """The pool of a run (see the module doc): ``target`` is the plan's test set, whose
    folder names the SIB-200 code; ``offline`` leaves out a catalog file not cached yet
    (the pool is optional: its absence is no error)."""
    tried = ("--unlabelled",)
    if given is not None:
        return Found(NAME, given, "--unlabelled", tried)
    if not selftrain:
        return Found(NAME, None, "", (*tried, NO_SELFTRAIN))
    if target.path is None or target.origin not in LOCATED:
        return Found(NAME, None, "", tried)
    if task == "massive":
        if target.path.is_file() and not has_split(target.path, "train"):
            return Found(NAME, None, "", (*tried, f"{target.path} (no train rows)"))
        return Found(NAME, target.path, TARGET_TRAIN, tried)
    beside = target.path.with_name("train.tsv")
    if beside.is_file():
        return Found(NAME, beside, "data root" if target.origin == "data root" else "cache",
                     (*tried, str(beside)))
    catalogued = remote.unlabelled(language, target.path.parent.name)
    if catalogued is None or (offline and not catalogued.local):
        where = "the catalog" if catalogued is None else f"{catalogued.path} (offline)"
        return Found(NAME, None, "", (*tried, str(beside), where))
    return Found(NAME, catalogued.path, "cache" if catalogued.cached else "catalog",
                 (*tried, str(beside), str(catalogued.path)), remotes=(catalogued,))


def pool_variables(pool: Found, selftrain: bool = True) -> dict[str, str]:
    """``unlabelled`` (a shell word, quoted where needed; empty: the self-training steps
    are left out), ``unlabelled_args`` and ``sense_text_args`` (the same text as ``lexi
    synth --sense-text`` options) for the recipe; always all three, so that the recipe's own
    defaults (its data root's files) never stand in for what bootstrap found."""
    if pool.path is None or not selftrain:
        return {"unlabelled": "", "unlabelled_args": "", "sense_text_args": ""}
    quoted, train_only = shlex.quote(str(pool.path)), pool.origin == TARGET_TRAIN
    return {"unlabelled": quoted,
            "unlabelled_args": "--split train" if train_only else "",
            # The same text for lexi synth --sense-text (used when the recipe's sense_args
            # says so): what the pool is to selftrain, in synth's options.
            "sense_text_args": f"--sense-text {quoted}"
            + (" --sense-text-split train" if train_only else "")}


def describe_pool(pool: Found, offer: Remote | None, selftrain: bool = True) -> str | None:
    """The plan's line for the pool (None: nothing to say)."""
    if pool.path is not None and not selftrain:
        return f"  unlabelled: {pool.path} (--unlabelled), not used: {NO_SELFTRAIN}"
    if pool.path is not None:
        return (f"  unlabelled: {pool.where(pool.path, pool.origin)}: one self-training "
                "round (its labels are never read)")
    if not selftrain:
        return f"  unlabelled: none ({NO_SELFTRAIN}: no self-training round)"
    if offer is not None:
        return (f"  unlabelled: none (--unlabelled FILE for self-training; public text: "
                f"{offer.what}, {offer.url})")
    return None
