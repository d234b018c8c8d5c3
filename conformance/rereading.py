"""Reading a page again, to tell a wrong server from a busy account.

What a wrong server says, it says again; a page that another client's writes changed reads
differently a moment later. The walker asks this module before it charges a failed page check
to a rule, and so does any check built from totals read one after another (FILT-02).

Two things keep a busy account from passing for a wrong server. Each round reads the pages
forward and then backward: a server's fault reads the same in any order, while a write between
two reads shows as the first page reading differently the second time. And the pauses are never
the same twice: a client writing on a fixed period (every 50 ms) stays in step with fixed
pauses, and would show the same transient state at every round.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

import requests

from conformance.violations import RuleViolation

if TYPE_CHECKING:
    from conformance.target import Target
    from conformance.walker import Page, Query

CONFIRMATIONS = 3  # rounds of re-reads that confirm a failed page check (another client may have written)
CONFIRMATION_PAUSE = 0.05
T = TypeVar("T")
_jitter = random.Random()  # timing only: what the suite sends never depends on it


def pause(seconds: float) -> None:
    """Sleep about ``seconds`` (half to one and a half times), never in step with a periodic writer."""
    time.sleep(seconds * _jitter.uniform(0.5, 1.5))


def there_and_back(reads: Sequence[T]) -> list[T]:
    """The reads of one round: forward, then backward (a write in between shows at both ends)."""
    return [*reads, *reversed(reads)]


def pages_settled(target: Target, pages: Sequence[Page]) -> bool:
    """Whether each page reads the same again, there and back, a few times over a short while:
    its number, size, total and items."""
    from conformance.walker import read_page  # the walker imports this module

    for _ in range(CONFIRMATIONS):
        pause(CONFIRMATION_PAUSE)
        for page in there_and_back(pages):
            try:
                again = read_page(target.get(page.url), via=page.via)
            except (RuleViolation, requests.RequestException):
                return False
            if (again.number, again.size, again.total, again.ids) != (page.number, page.size, page.total, page.ids):
                return False
    return True


def totals_settled(target: Target, totals: Mapping[Query, int]) -> bool:
    """Whether each query's first page still reports the same total, there and back, a few times
    over a short while."""
    from conformance.walker import read_page

    for _ in range(CONFIRMATIONS):
        pause(CONFIRMATION_PAUSE)
        for query, total in there_and_back(list(totals.items())):
            try:
                again = read_page(target.get(query.path, params=query.params()), via="the first request")
            except (RuleViolation, requests.RequestException):
                return False
            if again.total != total:
                return False
    return True
