"""Lexicon adapters: one module per format, found through the ``lexi.lexicon_adapters``
entry-point group so that any installed package can add one.

A package registers ``NAME = "module:Class"`` under
``[project.entry-points."lexi.lexicon_adapters"]``; the class is built with no arguments
and must satisfy :class:`LexiconAdapter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points

from lexi.errors import LexiError
from lexi.lexicon.adapters.base import ImportContext, LexiconAdapter, rank_weight

ENTRY_POINT_GROUP = "lexi.lexicon_adapters"

# The adapters that ship with lexi. They are also registered as entry points in
# pyproject.toml; this table keeps them usable from a source checkout that was never
# pip-installed.
BUILTIN_ADAPTERS = {
    "tsv": "lexi.lexicon.adapters.tsv:TsvAdapter",
    "muse": "lexi.lexicon.adapters.tsv:MuseAdapter",
    "panlex": "lexi.lexicon.adapters.panlex:PanLexAdapter",
    "kaikki": "lexi.lexicon.adapters.kaikki:KaikkiAdapter",
    "cldr": "lexi.lexicon.adapters.cldr:CldrAdapter",
}

__all__ = [
    "ENTRY_POINT_GROUP", "AdapterSpec", "ImportContext", "LexiconAdapter",
    "adapter_specs", "get_adapter", "rank_weight",
]


@dataclass(frozen=True)
class AdapterSpec:
    """Where an adapter comes from: its ``name``, ``module:attr`` and the distribution."""

    name: str
    target: str
    distribution: str | None

    def load(self) -> LexiconAdapter:
        module_name, _, attr = self.target.partition(":")
        try:
            obj = getattr(import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise LexiError(
                f"adapter {self.name!r} cannot be loaded from {self.target}: {exc}",
                hint=f"reinstall {self.distribution or 'the package that provides it'}",
            ) from exc
        adapter = obj() if isinstance(obj, type) else obj
        if not isinstance(adapter, LexiconAdapter):
            raise LexiError(
                f"{self.target} is not a lexicon adapter",
                hint="it needs name, summary, options, needs_path and read(path, context)",
            )
        return adapter


def adapter_specs() -> dict[str, AdapterSpec]:
    """Every adapter available, by name: the built-ins plus installed entry points."""
    specs = {
        name: AdapterSpec(name, target, "lexi") for name, target in BUILTIN_ADAPTERS.items()
    }
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else None
        specs[ep.name] = AdapterSpec(ep.name, ep.value, dist)
    return dict(sorted(specs.items()))


def get_adapter(name: str) -> LexiconAdapter:
    """The adapter called ``name``, ready to ``read``."""
    specs = adapter_specs()
    if name not in specs:
        raise LexiError(
            f"no lexicon adapter named {name!r}",
            hint=f"available: {', '.join(specs)} (see `lexi lexicon adapters`)",
        )
    return specs[name].load()
