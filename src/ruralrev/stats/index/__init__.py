"""A composite rural-development index and its sensitivity.

``entropy_topsis``  entropy weights, TOPSIS, obstacle degrees, rank uncertainty
``coupling``        coupling coordination of two subsystem scores
``variants``        the index under alternative pools of years and indicator sets
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
