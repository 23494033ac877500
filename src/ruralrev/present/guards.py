"""Guards: the checks behind sentences written for a chapter's default parameters.

A chapter states its findings in its own words, for the parameters it runs with by default
("inequality fell"). A sentence that is true only for some parameters gets a guard: a named
check of the numbers the sentence needs, computed in the notebook,

    guard("theil_fell", theil_last < theil_first)

and the ``{guard}`` role in front of the sentence in the Markdown, ``{guard}`theil_fell```. When a
reader re-runs the chapter with other parameters and the check fails, the page marks the
sentence ("does not hold with these parameters") and ``ruralrev build`` and ``ruralrev verify``
list it. The package never writes the sentence; the guard only says whether it still holds.
"""

from __future__ import annotations

import re

__all__ = ["PREFIX", "guard", "guard_key"]

#: Glue keys of guards start with this prefix; the rest is the guard's name.
PREFIX = "guard_"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def guard_key(name: str) -> str:
    """The glue key under which the guard ``name`` is recorded (``guard_<name>``)."""
    if not _NAME.match(name):
        raise ValueError(f"a guard name is lower-case letters, digits and underscores, not {name!r}")
    return PREFIX + name


def guard(name: str, holds) -> None:
    """Record whether the sentence guarded by ``name`` holds for this run.

    Returns nothing, so that a plumbing cell ending with a guard displays nothing (a returned value
    would show as the cell's result in the executed notebook).

    Parameters
    ----------
    name : str
        The guard's name, as the ``{guard}`` role in the page's Markdown writes it.
    holds : bool-like
        The check: true when the numbers of this run support the sentence.
    """
    from myst_nb import glue   # the notebook's glue; imported here so that the module imports without IPython

    glue(guard_key(name), bool(holds), display=False)
