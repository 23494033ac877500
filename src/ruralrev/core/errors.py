"""The errors the runner reports to the user: each is printed as one line per problem, no traceback.

The command line maps them to exit codes: 2 for a command refused before anything ran
(:class:`ParameterError`, :class:`UsageError`, :class:`BuildLocked`), 1 for a run that failed
(:class:`RunError`), 130 for an interrupted one (:class:`Interrupted`).
"""

from __future__ import annotations

__all__ = ["RunError", "UsageError", "ParameterError", "BuildLocked", "Interrupted"]


class RunError(RuntimeError):
    """A chapter or the book could not be built: the message names the notebook, the cell and the error."""


class UsageError(RunError):
    """The command cannot run as given (unknown chapter, unwritable folder, missing published page)."""


class ParameterError(UsageError):
    """One or more parameter values are refused; ``problems`` holds one line for each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class BuildLocked(UsageError):
    """Another build holds this checkout's lock."""


class Interrupted(RunError):
    """The run was stopped by SIGINT or SIGTERM; ``kept`` chapters were left as they were."""

    def __init__(self, kept: int):
        self.kept = kept
        super().__init__(f"interrupted; {kept} chapter{'s' if kept != 1 else ''} kept as they were")
