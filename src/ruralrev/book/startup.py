"""What the book's own processes (runner workers, kernels, the Sphinx build) do as they start.

Never run on a reader's ``import ruralrev``.
"""

import sys

__all__ = ["UNUSED_IMPORT", "skip_unused_import"]

#: An optional package that jsonschema imports (when installed, as JupyterLab's dependencies
#: install it) only to offer an IRI format check; building its grammar costs about a second per
#: process, and nbformat (papermill, ``myst_nb.glue``, Sphinx) never asks for that check.
UNUSED_IMPORT = "rfc3987_syntax"


def skip_unused_import() -> None:
    """Make ``import rfc3987_syntax`` fail fast in this process (jsonschema then leaves out the IRI
    format check it would offer, and nothing else changes); a no-op once it has been imported.
    Called by the book's own processes only: the runner's workers and kernels and the Sphinx
    build, never on a reader's import of the package."""
    sys.modules.setdefault(UNUSED_IMPORT, None)
