"""ruralrev: the package behind the *ruralrev* research book.

Its folders are its layers, each importing only the layers listed before it
(``tests/test_architecture.py`` checks it); notebooks import ``data``, ``stats``, ``present`` and
``chapters``, never ``book``. Each subpackage's docstring lists its modules.

``core``      where things live, the errors the command reports, atomic file writes, the provinces
``data``      the validated snapshot, the indicator registry, the papers' tables, breaks, the importer
``stats``     frames and arrays in, frozen results out: inequality, regression, clustering, indices
``present``   numbers as the book prints them: tables, formats, figures, maps
``chapters``  code that one chapter uses: claims ledgers, broadband, the composition effect
``book``      parameters, execution, the runner, publishing, verification, Sphinx, the ``ruralrev`` command
"""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# In a kernel started by the runner, record each figure's data beside its image (see book.figure_data),
# skip imports no chapter uses (book.startup: the first glue() call would pay one through nbformat),
# and in a kernel leave scipy's docstrings unparsed (book.startup.keep_docstrings) and end without
# Python's teardown (book.startup.exit_without_teardown).
if _os.environ.get("RURALREV_FIGURE_DATA") == "1" and "IPython" in _sys.modules:
    import atexit as _atexit

    from ruralrev.book import figure_data as _figdata
    from ruralrev.book.startup import exit_without_teardown as _exit_without_teardown
    from ruralrev.book.startup import keep_docstrings as _keep_docstrings
    from ruralrev.book.startup import skip_unused_import as _skip_unused_import

    _figdata.register()
    if type(getattr(_sys.modules["IPython"], "get_ipython", lambda: None)()).__name__ == "ZMQInteractiveShell":  # a kernel
        _skip_unused_import(kernel=True)
        _keep_docstrings()
        _atexit.register(_exit_without_teardown)   # at the kernel's exit: its outputs are sent by then
    else:
        _skip_unused_import()
