"""Inequality across provinces: measures, their panel applications and their uncertainty.

``measures``     Theil T, Gini, Dagum's decomposition, coefficient of variation
``by_group``     the measures by year and by group of provinces
``theil_dagum``  why Theil and Dagum put different shares between groups
``bootstrap``    province-bootstrap intervals for the indices and their change
``urban_rural``  the urban–rural income split and its Theil decomposition
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
