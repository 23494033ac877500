"""Types of province: partitions, the number of groups, their stability, contiguous regions.

``partitions``          standardized features; k-means, Ward and GMM; criteria for k
``number_of_clusters``  the gap statistic (k = 1 allowed) and its choice of k
``stability``           cluster-wise Jaccard bootstrap and co-assignment
``constrained``         spatially contiguous regions beside unconstrained clusters
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
