"""The data layer: the official-statistics snapshot, the indicator registry, the papers' tables, the map.

``from ruralrev import data`` gives the snapshot's readers (:mod:`ruralrev.data.official`):
``data.load_panel()``, ``data.field_table()``. Modules:

``official``  the validated snapshot as the book reads it (typed frames)
``registry``  every indicator: label, unit, formula, where it is printed
``papers``    the five papers' tables as transcribed, with their checks
``geo``       the province map (polygons, projection)
``breaks``    series breaks: flagged at build, which years pool, which regressors carry them
``build``     the importer: raw NBS exports and yearbook tables to the snapshot
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__, ['official'])
