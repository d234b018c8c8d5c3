"""Reading a page again, to tell a wrong server from a busy account.

What a wrong server says, it says again; a page that another client's writes changed reads
differently a moment later. The walker asks this module before it charges a failed page check
to a rule, and so does any check built from totals read one after another (FILT-02).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import requests

from conformance.violations import RuleViolation

if TYPE_CHECKING:
    from conformance.target import Target
    from conformance.walker import Page, Query

CONFIRMATIONS = 2  # re-reads that confirm a failed page check (another client may have written)
CONFIRMATION_PAUSE = 0.05


def pages_settled(target: Target, pages: Sequence[Page]) -> bool:
    """Whether each page reads the same again, a few times over a short while: its number, size,
    total and items."""
    from conformance.walker import read_page  # the walker imports this module

    for _ in range(CONFIRMATIONS):
        time.sleep(CONFIRMATION_PAUSE)
        for page in pages:
            try:
                again = read_page(target.get(page.url), via=page.via)
            except (RuleViolation, requests.RequestException):
                return False
            if (again.number, again.size, again.total, again.ids) != (page.number, page.size, page.total, page.ids):
                return False
    return True


def totals_settled(target: Target, totals: Mapping[Query, int]) -> bool:
    """Whether each query's first page still reports the same total, a few times over a short while."""
    from conformance.walker import read_page

    for _ in range(CONFIRMATIONS):
        time.sleep(CONFIRMATION_PAUSE)
        for query, total in totals.items():
            try:
                again = read_page(target.get(query.path, params=query.params()), via="the first request")
            except (RuleViolation, requests.RequestException):
                return False
            if again.total != total:
                return False
    return True
