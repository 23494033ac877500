"""The statistics layer: frames and arrays in, frozen result objects out; no wording, no figures.

``inequality``   Theil, Gini, Dagum, decompositions, bootstraps, the urban–rural split
``convergence``  σ and β convergence
``regression``   fixed-effects models, wild cluster bootstrap, cluster jackknife, break handling
``clustering``   partitions, the gap statistic, bootstrap stability, contiguous regions
``index``        entropy–TOPSIS composite index, coupling coordination, variants
``spatial``      neighbours, Moran/Geary/LISA, spatial regression, distribution dynamics
``granularity``  GRIM-type test of printed percentages
"""
