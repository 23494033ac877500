"""The bottom layer: where things live, the errors the command reports, atomic file writes, the 31 provinces.

Imports nothing else of ruralrev.
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
