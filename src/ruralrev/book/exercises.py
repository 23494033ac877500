"""The exercises of the chapters and their solutions, read from the MyST notebooks.

Chapters write exercises with sphinx-exercise's directives (QuantEcon's convention).
:func:`read_exercises` finds every exercise with its solution's code blocks (the syntax it reads:
its Notes), so the test suite can run each solution (``tests/test_exercises.py``) and the
instructors page can list them; :func:`commands` turns a ``bash`` block into argument lists.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Block", "Exercise", "ExerciseError", "read_exercises", "commands"]

_FENCE = re.compile(r"^(?P<ticks>`{3,}|:{3,})\s*(?P<info>.*)$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
LANGUAGES = {"python": "python", "bash": "bash"}


class ExerciseError(ValueError):
    """A malformed exercise or solution; the message names the file and the line."""


@dataclass(frozen=True)
class Block:
    """One fenced code block of a solution."""

    language: str  # "python" or "bash"
    code: str
    line: int      # 1-based line of the opening fence in the source


@dataclass(frozen=True)
class Exercise:
    """An exercise and the runnable blocks of its solution."""

    chapter: str
    label: str
    line: int
    text: str
    blocks: tuple[Block, ...]
    solution_class: str


def read_exercises(source: Path, chapter: str | None = None) -> list[Exercise]:
    """Every exercise of a MyST notebook with its solution, in page order.

    Raises
    ------
    ExerciseError
        An exercise without a label or without a solution, a solution for an unknown label, a
        solution without a runnable block, a solution not collapsed (``:class: dropdown``), or
        a code block in a language other than ``python`` or ``bash``.

    Notes
    -----
    Chapters write exercises with sphinx-exercise's directives (QuantEcon's convention)::

        ```{exercise}
        :label: data-ex-1

        Re-run this page for ...
        ```

        ```{solution-start} data-ex-1
        :class: dropdown
        ```

        Prose, then one or more fenced blocks: ```` ```bash ```` holding ``ruralrev run`` commands,
        ```` ```python ```` holding code that runs against the installed package.

        ```{solution-end}
        ```

    A solution block is self-contained: it imports what it uses and does not rely on the state of
    the chapter's kernel (the convention, with an example: ``CONTRIBUTING.md``).
    """
    source = Path(source)
    chapter = chapter or source.stem
    lines = source.read_text(encoding="utf-8").splitlines()
    exercises: dict[str, dict] = {}
    order: list[str] = []
    index = 0
    where = lambda number: f"{source}:{number}"  # noqa: E731
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        ticks, info = match["ticks"], match["info"].strip()
        end = _closing(lines, index, ticks)
        body = lines[index + 1:end]
        options = _options(body)
        if info == "{exercise}":
            label = options.get("label")
            if not label:
                raise ExerciseError(f"{where(index + 1)}: exercise without a :label:")
            if label in exercises:
                raise ExerciseError(f"{where(index + 1)}: exercise label {label!r} used twice")
            text = "\n".join(line for line in body if not _OPTION.match(line)).strip()
            exercises[label] = {"line": index + 1, "text": text, "blocks": None, "class": ""}
            order.append(label)
        elif info.startswith("{solution-start}"):
            label = info.split(maxsplit=1)[1].strip() if " " in info else ""
            if label not in exercises:
                raise ExerciseError(f"{where(index + 1)}: solution for unknown exercise {label!r}")
            stop = next((k for k in range(end + 1, len(lines)) if lines[k].strip().startswith(ticks + "{solution-end}")),
                        None)
            if stop is None:
                raise ExerciseError(f"{where(index + 1)}: solution {label!r} has no {{solution-end}}")
            exercises[label]["blocks"] = _blocks(lines, end + 1, stop, source)
            exercises[label]["class"] = options.get("class", "")
            end = stop + 1
        index = end + 1
    result = []
    for label in order:
        entry = exercises[label]
        if entry["blocks"] is None:
            raise ExerciseError(f"{where(entry['line'])}: exercise {label!r} has no solution")
        if not entry["blocks"]:
            raise ExerciseError(f"{where(entry['line'])}: the solution of {label!r} has no ```python or ```bash block")
        if "dropdown" not in entry["class"].split():
            raise ExerciseError(f"{where(entry['line'])}: the solution of {label!r} is not collapsed (:class: dropdown)")
        result.append(Exercise(chapter, label, entry["line"], entry["text"], tuple(entry["blocks"]), entry["class"]))
    return result


def _closing(lines: list[str], start: int, ticks: str) -> int:
    for k in range(start + 1, len(lines)):
        if lines[k].strip() == ticks:
            return k
    return len(lines) - 1


def _options(body: list[str]) -> dict[str, str]:
    options = {}
    for line in body:
        match = _OPTION.match(line.strip())
        if not match:
            break
        options[match["key"]] = match["value"].strip()
    return options


def _blocks(lines: list[str], start: int, stop: int, source: Path) -> list[Block]:
    blocks, index = [], start
    while index < stop:
        match = _FENCE.match(lines[index].strip())
        if match and match["ticks"].startswith("`") and match["info"]:
            language = match["info"].split()[0]
            if language not in LANGUAGES:
                raise ExerciseError(f"{source}:{index + 1}: solution block in {language!r}; use python or bash")
            end = _closing(lines, index, match["ticks"])
            blocks.append(Block(language, "\n".join(lines[index + 1:end]) + "\n", index + 1))
            index = end + 1
        else:
            index += 1
    return blocks


def commands(block: Block) -> list[list[str]]:
    """The commands of a ``bash`` block as argument lists (comments and blank lines dropped,
    backslash continuations joined)."""
    text = re.sub(r"\\\n\s*", " ", block.code)
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            result.append(shlex.split(line, comments=True))
    return result
