"""Neighbours: spatial weights, autocorrelation, spatial regression and distribution dynamics (PySAL).

``neighbours``       contiguity and k-nearest weights, with islands linked by a stated rule
``autocorrelation``  Moran's I, Geary's C, local Moran (LISA)
``permutation``      vectorised permutation inference
``panel_moran``      a joint permutation test on panel residuals
``regression``       β-convergence with LM diagnostics, SAR and SEM
``dynamics``         kernel densities, quantile and spatial Markov chains
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
