"""Atomic output files and folders, and ``-`` for stdin/stdout, so that nothing is
half-written."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write to a temporary file beside ``path`` and rename it into place on success.

    ``-`` writes to stdout. On an exception the temporary file is removed and ``path``
    is left as it was.
    """
    if str(path) == "-":
        yield sys.stdout if "b" not in mode else sys.stdout.buffer
        sys.stdout.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
            yield handle
        # mkstemp creates the file 0600; give it the mode an ordinary open() would.
        ordinary_permissions(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def current_umask() -> int:
    """The process's umask (reading it means setting it; it is set straight back)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def ordinary_permissions(path: str | Path) -> None:
    """Give ``path`` (a file, or a folder and everything under it) the modes ``open()`` and
    ``mkdir`` give under the umask: 0644 and 0755 under the usual 022.

    ``tempfile`` makes files 0600 and folders 0700, and safetensors writes its files 0600;
    run directories, exports, lexicon stores and the model cache are meant to be read by
    other users and containers, as any other file the user writes.
    """
    umask = current_umask()
    root = Path(path)
    for item in (root, *root.rglob("*")) if root.is_dir() else (root,):
        if item.is_symlink():
            continue
        mode = 0o777 if item.is_dir() or item.stat().st_mode & 0o111 else 0o666
        os.chmod(item, mode & ~umask)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks (files can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def read_pickle_cache(path: Path | None, kind: type[T]) -> T | None:
    """The object cached at ``path`` if it is a ``kind``; None when absent or unreadable
    (a damaged or stale cache is simply rebuilt by the caller)."""
    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            value = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        return None
    return value if isinstance(value, kind) else None


def write_pickle_cache(path: Path, value: object) -> None:
    """Cache ``value`` at ``path`` atomically (readers never see half a file)."""
    with atomic_write(path, "wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


def replace_dir(staging: Path, target: Path) -> None:
    """Put the finished ``staging`` folder at ``target``; an old ``target`` is removed after.

    Each rename is atomic, so ``target`` is always the whole old folder, absent for an
    instant, or the whole new one; if the second rename fails the old one is put back. The
    old folder goes aside into a fresh hidden folder, never onto a fixed name beside it
    (``report.old`` could be somebody's folder).
    """
    if not os.path.lexists(target):
        os.replace(staging, target)
        return
    if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
        target.rmdir()
        os.replace(staging, target)
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.replace(target, trash / target.name)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(trash / target.name, target)
        trash.rmdir()
        raise
    shutil.rmtree(trash, ignore_errors=True)


@contextlib.contextmanager
def staged_dir(output: Path) -> Iterator[Path]:
    """A fresh, empty folder beside ``output`` (hidden: ``.NAME.XXXX``) that replaces it
    when the block ends (:func:`replace_dir`); on an exception it is deleted and ``output``
    is left as it was. Its files get ordinary permissions before the swap."""
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        yield staging
        ordinary_permissions(staging)  # mkdtemp and safetensors make them private
        replace_dir(staging, output)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
