"""Groups of runs: one configuration trained with several seeds, evaluated as one.

``lexi eval --run NAME=DIR,DIR...`` names a group (items may be glob patterns); a plain
``--run DIR`` is a group of one. The first group is the baseline of the comparison.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lexi.errors import LexiError

# Characters that make an item of a run list a glob pattern.
GLOB_CHARS = "*?["


@dataclass(frozen=True)
class GroupSpec:
    """Runs (or saved prediction files) evaluated as one group, one per training seed.

    ``name`` is ``None`` for a group of one named after its run (a plain ``--run DIR``).
    """

    name: str | None
    members: tuple[str, ...]


def parse_group_spec(spec: str) -> GroupSpec:
    """``NAME=DIR[,DIR...]`` or a plain ``DIR`` (a group of one), as ``--run`` takes it.

    Items with ``*``, ``?`` or ``[`` are glob patterns, expanded in sorted order. A spec
    that is an existing path is taken whole, so a directory whose name holds ``=`` or
    ``,`` still works as a plain run.
    """
    if os.path.exists(spec):
        return GroupSpec(None, (spec,))
    name, sep, rest = spec.partition("=")
    name = name.strip()
    if not sep or "/" in name or os.sep in name:
        name, rest = None, spec  # an '=' inside a path, not a group name
    elif not name:
        raise LexiError(f"empty group name in {spec!r}", hint="NAME=DIR[,DIR...]")
    items = [item.strip() for item in rest.split(",") if item.strip()]
    if not items:
        raise LexiError(f"no runs in {spec!r}", hint="NAME=DIR[,DIR...]")
    members: list[str] = []
    for item in items:
        if any(c in item for c in GLOB_CHARS):
            matches = sorted(glob.glob(item))
            if not matches:
                raise LexiError(f"no run matches {item!r}", hint="check the pattern (quote it "
                                "so that lexi, not the shell, expands it)")
            members += matches
        else:
            members.append(item)
    repeated = sorted({m for m in members if members.count(m) > 1})
    if repeated:
        # The same run twice would weigh one seed double in the mean and fake a small sd.
        raise LexiError(f"{repeated[0]} is listed twice in {spec!r}")
    if name is None and len(members) > 1:
        raise LexiError(f"{len(members)} runs in {spec!r} but no group name",
                        hint=f"name the group: NAME={spec}")
    return GroupSpec(name, tuple(members))


def as_group_spec(item: str | Path | GroupSpec) -> GroupSpec:
    """A plain path (the Python API's form) is a group of one, never parsed."""
    return item if isinstance(item, GroupSpec) else GroupSpec(None, (str(item),))


def group_names(groups: Sequence[tuple[str | None, int]], run_names: Sequence[str]) -> list[str]:
    """Each group's name (a group of one may take its run's); checked before any scoring."""
    if any(size < 1 for _, size in groups) or sum(size for _, size in groups) != len(run_names):
        raise LexiError(f"groups of {[size for _, size in groups]} runs do not partition "
                        f"{len(run_names)} runs")
    names, start = [], 0
    for name, size in groups:
        if name is None and size > 1:
            raise LexiError(f"a group of {size} runs needs a name")
        names.append(name if name is not None else run_names[start])
        start += size
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise LexiError(f"two groups are named {repeated[0]!r}", hint="give each group its "
                        "own NAME= (a plain run's group is named after its directory)")
    return names
