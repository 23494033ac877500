"""The disparities chapter: the composition effect of urbanization on the rural/all income ratio.
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
