"""Optional recipe steps: ``when:`` and what happens to references to a step left out.

A step with ``when: ${var}`` is left out of the recipe (every ``foreach`` expansion of it)
when the value after substitution is empty or one of :data:`OFF` (any case): a recipe
declares a step that needs an optional resource (an unlabelled pool) once, and a run
without the resource simply does not have it. A later ``${outputs:STEP}`` naming a step
left out is dropped, not an error: the ``inputs``/``outputs`` entry holding it, and in
``run`` the whole shell word holding it (``--run=soup=${outputs:soup}`` written as one word
disappears with its option name), so the command is exactly what it is without the step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Values of `when:` that leave a step out (besides the empty string), compared lower-cased.
OFF = frozenset({"false", "no", "off", "0"})


@dataclass(frozen=True)
class LeftOut:
    """A step of the recipe file that this run does not have: its name, why (``when:
    ${unlabelled} is empty``), and how many steps of the recipe come before it (where
    listings show it)."""

    name: str
    reason: str
    position: int = 0


def is_off(value: str) -> bool:
    """Whether a substituted ``when:`` value leaves its step out."""
    value = value.strip()
    return not value or value.lower() in OFF


def off_reason(written: str, value: str) -> str:
    """``when: ${unlabelled} is empty`` / ``when: ${selftrain} is 'no'``."""
    value = value.strip()
    return f"when: {written.strip()} is {'empty' if not value else repr(value)}"


def shell_words(text: str) -> list[str]:
    """``text`` split into shell words as written: quotes and backslashes are kept, so that
    words can be dropped and the rest joined back into the same command line. Whitespace
    inside quotes does not split; an unbalanced quote is left for ``shlex`` to report."""
    words: list[str] = []
    word: list[str] = []
    quote: str | None = None
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote is not None:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char.isspace():
            if word:
                words.append("".join(word))
                word = []
            continue
        word.append(char)
    if word:
        words.append("".join(word))
    return words


def drop_words(text: str, drop: Callable[[str], bool]) -> str:
    """``text`` without the shell words ``drop`` is true of (the rest joined by single
    spaces); ``text`` itself when there is none."""
    words = shell_words(text)
    if not any(drop(word) for word in words):
        return text
    return " ".join(word for word in words if not drop(word))
