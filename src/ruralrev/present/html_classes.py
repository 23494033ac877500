"""CSS classes that the tables write and the Sphinx extension styles: one name for both sides.

Imports nothing, so the Sphinx extension reads it without pandas.
"""

__all__ = ["INTERACTIVE_CLASS"]

#: Class given to tables that the site turns into sortable, filterable tables (book/_static/ruralrev.js);
#: :func:`ruralrev.present.tables.myst_table` writes it.
INTERACTIVE_CLASS = "ruralrev-interactive"
