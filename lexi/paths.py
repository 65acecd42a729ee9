"""Where lexi keeps its cache: ``$LEXI_HOME`` if set, else the XDG cache directory."""

from __future__ import annotations

import os
from pathlib import Path


def lexi_home() -> Path:
    """The root of lexi's cache (downloads, converted models, compiled tables)."""
    explicit = os.environ.get("LEXI_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "lexi"


def cache_dir(*parts: str) -> Path:
    """A sub-directory of the cache, created on demand."""
    path = lexi_home().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def unimorph_root() -> Path:
    """Where the ``unimorph`` package's users keep tables: ``$UNIMORPH`` or ``~/.unimorph``."""
    explicit = os.environ.get("UNIMORPH")
    return Path(explicit).expanduser() if explicit else Path.home() / ".unimorph"
