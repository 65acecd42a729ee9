"""Output files that never replace good data without a word.

Every command that writes a file the user named checks it here first: an existing output
is replaced only with ``--overwrite``, an output that is also one of the inputs is never
written (the input would be gone before it was read), and a selection of 0 rows is an
error rather than an empty file. Writers go through :func:`lexi.io.atomic_write` (or an
equivalent temporary file + rename), so a failure leaves the old output as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from lexi.errors import LexiError

STDIO = "-"
OVERWRITE_HINT = "pass --overwrite to replace it"


def same_path(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` name the same file: equal once resolved (links followed), or
    the same inode (a hard link); ``-`` (stdin/stdout) is never the same as anything."""
    if STDIO in (str(a), str(b)):
        return False
    first, second = Path(a), Path(b)
    if first.resolve() == second.resolve():
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist yet
        return False


def check_output(
    output: str | Path, inputs: Iterable[str | Path | None] = (), *, overwrite: bool = False,
) -> None:
    """Refuse to write the file ``output`` over one of ``inputs`` (even with ``overwrite``)
    or, without ``overwrite``, over any existing file. ``-`` (stdout) is always fine."""
    if str(output) == STDIO:
        return
    for source in inputs:
        if source is not None and same_path(output, source):
            raise LexiError(
                f"the output is also an input ({source}); nothing was written", path=output,
                hint="write the output to another file",
            )
    path = Path(output)
    if path.is_dir():
        raise LexiError("is a folder; the output must be a file", path=output)
    _check_parents(path)
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise LexiError(f"exists; {OVERWRITE_HINT}", path=output)


def check_output_folder(folder: str | Path, *, overwrite: bool = False) -> None:
    """Refuse to write into a folder that already holds files, unless ``overwrite``."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise LexiError("is a file; the output must be a folder", path=folder)
    _check_parents(path)
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise LexiError(f"exists; {OVERWRITE_HINT}", path=folder,
                        hint="the folder is not empty; --overwrite replaces the files it writes")


def _check_parents(path: Path) -> None:
    """Refuse an output below a file (``out.jsonl/x``): its folder could not be made."""
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise LexiError(f"cannot write here: {parent} is a file, not a folder",
                                path=path)
            return


def nothing_selected(source: str | Path, split: str | None, **read_options: str | None,
                     ) -> LexiError:
    """The error for a run that selected 0 rows from ``source``: an empty input, or a
    ``--split`` that no row has (often a typo, e.g. ``tarin``), naming the splits there are.

    ``read_options`` (format, text_field, ...) are those the caller read ``source`` with.
    """
    if split is None:
        return LexiError("0 rows selected: the input has no rows", path=source,
                         hint="nothing was written")
    found = _splits_in(source, read_options)
    if found:
        there = f"its splits: {', '.join(found)}"
    elif str(source) == STDIO:
        there = "check the --split name"
    else:
        there = "its rows have no split"
    return LexiError(f"0 rows selected: no row has split {split!r}", path=source,
                     hint=f"{there}; nothing was written")


def _splits_in(source: str | Path, read_options: dict[str, str | None]) -> list[str]:
    """The splits the rows of ``source`` have (read again: this is only for the error);
    none for stdin, which cannot be read twice."""
    if str(source) == STDIO:
        return []
    from lexi.data.readers import read_dataset

    options = {k: v for k, v in read_options.items() if v is not None}
    try:
        return sorted({row.split for row in read_dataset(source, **options) if row.split})
    except LexiError:
        return []
