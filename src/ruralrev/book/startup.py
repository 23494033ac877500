"""What the book's own processes (runner workers, kernels, the Sphinx build) do as they start.

Never run on a reader's ``import ruralrev``.
"""

import sys

__all__ = ["KERNEL_UNUSED_IMPORTS", "UNUSED_IMPORT", "skip_unused_import"]

#: An optional package that jsonschema imports (when installed, as JupyterLab's dependencies
#: install it) only to offer an IRI format check; building its grammar costs about a second per
#: process, and nbformat (papermill, ``myst_nb.glue``, Sphinx) never asks for that check.
UNUSED_IMPORT = "rfc3987_syntax"

#: Optional packages a library imports in the book's kernels only to offer what no chapter uses:
#: libpysal opens SQL databases through sqlalchemy when it is installed (jupyter-cache installs it
#: for the Sphinx build), at about 0.2 s of every import of libpysal.
KERNEL_UNUSED_IMPORTS = ("sqlalchemy",)


def skip_unused_import(kernel: bool = False) -> None:
    """Make ``import rfc3987_syntax`` fail fast in this process (jsonschema then leaves out the IRI
    format check it would offer, and nothing else changes); a no-op once it has been imported.
    Called by the book's own processes only: the runner's workers and kernels and the Sphinx
    build, never on a reader's import of the package. With ``kernel``, also
    :data:`KERNEL_UNUSED_IMPORTS` (a kernel of the runner: the Sphinx build needs them)."""
    for name in (UNUSED_IMPORT, *(KERNEL_UNUSED_IMPORTS if kernel else ())):
        sys.modules.setdefault(name, None)
