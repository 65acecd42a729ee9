"""The resources of a ``lexi bootstrap`` run (:mod:`lexi.recipe.plan`): the paths given
(:class:`Resources`) and each resource as the plan found it (:class:`Found`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from lexi.resources.remote import Remote

# Where a file lies that stands for the language's data set (its folder or name is the
# data set's code): the data root, the cache, or the catalog (fetched into the cache).
LOCATED = ("data root", "cache", "catalog")


@dataclass(frozen=True)
class Resources:
    """Paths a bootstrap run reads (``None``: not given and not found). ``lexicon`` is
    one path or several, in priority order (:attr:`lexicons`)."""

    source: Path | None = None
    dev: Path | None = None
    target: Path | None = None
    lexicon: Path | tuple[Path, ...] | None = None
    unimorph: Path | None = None
    unlabelled: Path | None = None

    @property
    def lexicons(self) -> tuple[Path, ...]:
        """The lexicons given, in priority order (none: an empty tuple)."""
        if self.lexicon is None:
            return ()
        return tuple(self.lexicon) if isinstance(self.lexicon, tuple | list) else (self.lexicon,)


@dataclass(frozen=True)
class Found:
    """One resource of a run: the path taken, where it came from (``--lexicon``, ``data
    root``, ``$UNIMORPH``, ``cache``, ``catalog``: to fetch, ``fetched``), what was looked
    at, and other candidates that exist (not used). ``more``: further paths used after
    ``path``, with their origins (the lexicons, all merged in priority order; ``rule`` says
    why in this order). ``remotes``: the catalog files among the paths (cache or fetch)."""

    name: str
    path: Path | None
    origin: str = ""
    tried: tuple[str, ...] = ()
    others: tuple[Path, ...] = ()
    rule: str = ""
    more: tuple[tuple[Path, str], ...] = ()
    remotes: tuple[Remote, ...] = ()

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every path used, in order."""
        return () if self.path is None else (self.path, *(p for p, _ in self.more))

    def used(self) -> tuple[tuple[Path, str], ...]:
        """Every path used with its origin, in order."""
        return () if self.path is None else ((self.path, self.origin), *self.more)

    def where(self, path: Path, origin: str) -> str:
        """``PATH (origin)``, or for a catalog file where it is fetched from."""
        remote = next((r for r in self.remotes if r.path == path), None)
        if remote is not None and origin == "catalog":
            return f"fetch from {remote.route()}"
        if remote is not None and origin == "fetched":
            return f"fetched from {remote.route()}"
        return f"{path} ({origin})"

    def fetched(self) -> Found:
        """The same, with every catalog file marked as fetched."""
        def done(origin: str) -> str:
            return "fetched" if origin == "catalog" else origin
        return dataclasses.replace(self, origin=done(self.origin),
                                   more=tuple((p, done(o)) for p, o in self.more))
