"""ruralrev: the package behind the *ruralrev* research book.

Modules, one job each:

``paths``      where the project's data, notebooks and book live
``data``       importer for NBS exports, the validated provincial snapshot
``papers``     transcribed tables of the five source papers and their checks
``claims``     the papers' claims ledgers: checks, whether each could have failed, headline counts
``claim_checks`` the check kinds of the ledgers, each with its could-fail rule
``granularity`` GRIM-type test of printed percentages, and when it has power
``tables``     numbered, captioned tables for the book
``plots``      figure style (colour-blind-safe, readable in dark mode)
``params``     the parameters file: chapters, schemas, values on the command line
``pipeline``   one chapter executed by papermill, its parameters box and cache key
``runner``     many chapters in worker processes: progress, failures, a clean stop
``lock``       one build at a time in a checkout
``publish``    stale-page banners and the HTML build (skipped when no page changed)
``sphinx_start`` Jupyter Book started ahead, warmed up while chapters run, held until told to go
``items``      the glued numbers, tables and figures of an executed notebook
``figdata``    the data behind each figure, recorded beside its image
``verify``     ``ruralrev verify``: re-execute everything and compare with the published book
``report``     the reproducibility page, the list of tables and figures, the headline map
``files``      atomic writes (temporary file, then rename)
``cli``        the ``ruralrev`` command
"""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# In a kernel started by the runner, record each figure's data beside its image (see figdata),
# and skip the import above (the first glue() call would pay it through nbformat).
if _os.environ.get("RURALREV_FIGURE_DATA") == "1" and "IPython" in _sys.modules:
    from ruralrev.book import figure_data as _figdata
    from ruralrev.book.startup import skip_unused_import as _skip_unused_import

    _figdata.register()
    _skip_unused_import()
