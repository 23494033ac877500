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
``pipeline``   the papermill runner that executes the chapters
``report``     the reproducibility page, the list of tables and figures, the headline map
``files``      atomic writes (temporary file, then rename)
``cli``        the ``ruralrev`` command
"""

__version__ = "0.1.0"
