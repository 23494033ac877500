"""Claims ledgers: what each paper states, the check the book makes, and whether it could have failed.

``ledger``  reading a ledger, running its checks, counting the outcomes
``checks``  the check kinds, each with its could-fail rule
"""

from ruralrev.core.exports import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, __file__)
