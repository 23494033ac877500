"""The digital-countryside chapter: broadband rates, their breaks, and checks reclassification cannot fake.

``broadband``         national rates, flagged province-years, fixed-effects variants, convergence
``reclassification``  two checks of the rural convergence robust to operators' reclassification
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
