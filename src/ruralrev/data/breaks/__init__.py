"""Series breaks, in one place: flagged when the snapshot is built, then read by every analysis.

``flags``       year-on-year breaks detected at build (``data/official/quality.csv``)
``pooling``     which years of a series can be pooled given the flags
``regressors``  which of a model's regressors carry flags in its years

How a fixed-effects model handles flagged regressors is applied in
:mod:`ruralrev.stats.regression.break_handling`; an index on a pool of years in
:mod:`ruralrev.stats.index.variants`.
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
