"""A run's time budget (``--max-duration``) told plainly: before the run, whether its rate limit
leaves the profile's requests room in it; at its end, what the budget let run.

A throttled run that cannot fit its budget ends without a verdict minutes later; the figures
to know that are at hand before the first request, so they are said then.
"""

from __future__ import annotations

import math

from conformance.http.rate_limit import SPACING_MARGIN, RateLimit
from conformance.run.artefacts import CAUSES
from conformance.run.settings import RunSettings
from conformance.verdict.exits import PROG, RunEnd

# The rate limit spaces the requests; the run's own work (collection, checks, cleanup) comes on
# top, so a budget is advised this much wider than the spacing alone needs.
HEADROOM = 1.25


def budget_of(settings: RunSettings) -> float:
    """The run's budget in seconds: ``--max-duration``, else the profile's."""
    return settings.max_duration or settings.profile.max_duration


def rate_limit_warning(settings: RunSettings, *, shards: int = 1, narrowed: bool = False) -> str:
    """One line when the rate limit cannot fit the profile's requests in the budget, else ''.

    The figure is the profile's whole run on the reference (a run narrowed by ``--rule``, ``-k``
    or ``--read-only`` sends fewer: nothing is estimated then); a shard sends its share."""
    limit = settings.rate_limit
    if limit is None or narrowed or settings.rules or settings.read_only:
        return ""
    requests = math.ceil(settings.profile.expected_requests / max(shards, 1))
    needed = requests * limit.interval
    budget = budget_of(settings)
    if needed <= budget:
        return ""
    return (
        f"{PROG}: warning: the {settings.profile.name} profile sends about {requests} requests;"
        f" at --rate-limit {limit} they take at least {needed:.0f} s, more than the"
        f" --max-duration budget of {budget:g} s, so the run would end without a verdict."
        f" Raise --max-duration to {_advised_budget(needed)} or --rate-limit to"
        f" {_advised_rate(requests, budget, limit)}."
    )


def _advised_budget(needed: float) -> int:
    """The spacing's seconds with headroom, rounded up to ten."""
    return math.ceil(needed * HEADROOM / 10) * 10


def _advised_rate(requests: int, budget: float, limit: RateLimit) -> str:
    """The least rate, in the unit the user chose, that fits the requests in the budget with headroom."""
    per_period = math.ceil(requests * SPACING_MARGIN * HEADROOM * limit.period / budget)
    return str(RateLimit(per_period, limit.period))


def budget_spent_cause(settings: RunSettings, *, done: int | None, total: int | None) -> str:
    """Why a budget-spent run has no verdict, with what the budget let run and what to change."""
    ran = (
        f"{done} of {total} tests ran"
        if done is not None and total is not None
        else f"{done} tests ran"
        if done is not None
        else "not every test ran"
    )
    remedy = "raise --max-duration" + (
        " or --rate-limit" if settings.rate_limit is not None else ""
    )
    return f"{CAUSES[RunEnd.BUDGET_SPENT]}: {ran} in its {budget_of(settings):g} s; {remedy}"
