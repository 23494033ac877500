"""Regressions on the province panel and inference with 31 clusters.

``models``             fixed effects, cross-sections, VIF, one coefficient across models
``wild_bootstrap``     wild cluster restricted and unrestricted bootstrap
``jackknife``          leave-one-province-out (CV3) variance
``break_handling``     fitting a model under each way of handling flagged regressors
``robustness``         one coefficient across specifications and procedures, as counts
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
