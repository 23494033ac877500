"""The book's figures, by topic. ``from ruralrev.present import figures`` gives every ``plot_*`` function.
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
