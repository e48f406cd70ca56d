"""The one error type users see, and the exception that carries a batch of them.

Every problem demodeck reports names a file, a 1-based line and column, and
(when it concerns the deck format) the field path, so the message reads like
a compiler's: ``decks/2026-11-23.yaml:14:7: demos[2]: missing required field 'why'``.
Content errors are independent, so the pipeline collects them and raises
:class:`BuildError` once with all of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the user's input, located as precisely as we can."""

    path: str  # project-relative, POSIX separators
    line: int  # 1-based; 0 when the problem concerns the whole file
    column: int  # 1-based; 0 when unknown
    message: str
    field: str = ""  # e.g. "demos[2].why"; empty for file-level problems
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        prefix = "warning: " if self.severity == "warning" else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}: {prefix}{field}{self.message}"

    def sort_key(self) -> tuple[str, int, int]:
        return (self.path, self.line, self.column)  # a stable sort keeps field order


class DemodeckError(Exception):
    """Base for every error the CLI turns into a clean message and exit status 1."""


class BuildError(DemodeckError):
    """One or more problems in the user's input; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems, key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(DemodeckError):
    """A command was asked for something it cannot do (a file exists, a path is missing...)."""


def reason(exc: OSError) -> str:
    """Why the system refused a file operation, in its own plain words: "permission denied",
    "input/output error" (``[Errno 13]`` and the path are for the message around it)."""
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def os_error_message(exc: OSError, root: Path) -> str | None:
    """``decks/x.yaml: permission denied``: a failed file operation, its path shown from the
    project ``root`` when inside it; None when the error names no file."""
    if not isinstance(exc.filename, str | bytes | os.PathLike):  # None, or a descriptor
        return None
    path = Path(os.fsdecode(exc.filename)).absolute()
    try:
        shown = path.relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = str(path)
    return f"{shown}: {reason(exc)}"
