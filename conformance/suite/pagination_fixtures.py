"""Session fixtures and strategies shared by the pagination, filter and contacts properties.

Loaded as a pytest plugin by the suite's conftest (``pytest_plugins``). Data is set up once
per run, never per example: Hypothesis varies page sizes and filters over the same data.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st

from conformance.checks.client import create_audience
from conformance.checks.dataset import DataSet, create_dataset
from conformance.checks.walk_cache import Walks
from conformance.checks.walk_invariants import check_complete
from conformance.checks.walk_model import Query
from conformance.checks.walker import walk
from conformance.contract.facts import AUDIENCES_PATH, CHANNELS, MAX_PAGE_SIZE
from conformance.http.ledger import Namer
from conformance.http.target import Target
from conformance.plugin.hooks import current_settings
from conformance.plugin.made_once import made_once
from conformance.run.profiles import Profile
from conformance.run.session import RunContext
from conformance.verdict.scope import OutOfScope, not_checked, out_of_scope

EXAMPLES = current_settings().profile.property_examples
# No explain phase: on Python 3.11 it traces every line of every request once a test fails.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
READ_ONLY = "needs the suite's own data set, which a --read-only run cannot create"
OWN_ITEMS_READ_ONLY = (
    "a walk holds all of the suite's own audiences: not checked, a --read-only run creates none"
)
# Two audiences (SMS, VIBER): enough for a second page at page size 1; WHATSAPP stays empty
# in an account that held nothing before, so PAGE-05's empty collection is exercised there.
SECONDARY_SET_SIZE = 2
WALKED_TO_END = "walked_to_end"  # the JUnit property the certificate reads

# Page sizes: 1, small ones, the default and its neighbours, the maximum and its neighbour,
# anything in between, and none at all (the default, 20).
BOUNDARY_PAGE_SIZES = (1, 2, 3, 19, 20, 21, 99, MAX_PAGE_SIZE)
page_sizes: st.SearchStrategy[int | None] = st.one_of(
    st.sampled_from(BOUNDARY_PAGE_SIZES),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=MAX_PAGE_SIZE),
    st.none(),
)
small_page_sizes = st.integers(min_value=1, max_value=9)
channels = st.sampled_from(CHANNELS)
channel_filters: st.SearchStrategy[str | None] = st.one_of(st.none(), channels)


def own_ids(
    known: DataSet | None, channel: str | None = None, *, rule: str = "PAGE-04"
) -> frozenset[str]:
    """The run's own audiences (of ``channel``), which every complete walk of the query holds. A
    --read-only run has none: the check that they are all there is left out, and ``rule``, the
    rule a missing one breaks, is out of scope (its verdict would rest on part of its checks)."""
    if known is None:
        not_checked(rule, OWN_ITEMS_READ_ONLY)
        return frozenset()
    return known.ids(channel)


def full_page_sizes(total: int, budget: int) -> list[int]:
    """Page sizes from 1 to 100 that divide ``total`` (the last page is then full) within ``budget`` pages."""
    return [
        size
        for size in range(1, MAX_PAGE_SIZE + 1)
        if total and total % size == 0 and total // size <= budget
    ]


def property_settings(share: float = 1.0, *, most: int | None = None, fewest: int = 2) -> settings:
    """The run's Hypothesis profile with ``share`` of its examples (at least ``fewest``, at most
    ``most``); a test whose examples each make two walks may do with one example."""
    examples = max(fewest, round(EXAMPLES * share))
    return settings(max_examples=min(examples, most or examples), phases=PHASES)


_ACTIVE: list[Walks] = []


@pytest.fixture(scope="session")
def walks(profile: Profile, run: RunContext) -> Walks:
    """Complete walks kept while the run writes nothing, and the per-walk request budget."""
    kept = Walks(budget=profile.walk_budget, own_items=profile.dataset_size, witness=run.witness)
    _ACTIVE.append(kept)
    return kept


def pytest_runtest_setup(item: pytest.Item) -> None:
    for kept in _ACTIVE:
        kept.start_test()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """The page sizes the test walked to the end, as a JUnit property (before the teardown report)."""
    for kept in _ACTIVE:
        text = kept.walked_to_end()
        if text:
            item.user_properties.append((WALKED_TO_END, text))
        kept.start_test()


@pytest.fixture(scope="session")
def dataset(
    run: RunContext, target: Target, namer: Namer, profile: Profile, request: pytest.FixtureRequest
) -> DataSet:
    """The suite's own audiences (out of scope in read-only runs, the user's choice), made once
    per run however many workers walk them.

    A valid create the target refuses is no reason to skip: the violation (CRUD-01) fails that
    rule, and the tests that need the data set are blocked by it."""
    if run.settings.read_only:
        out_of_scope(READ_ONLY)
    return made_once(
        request.config,
        "dataset",
        lambda: create_dataset(target, namer, profile.dataset_size),
        DataSet.to_json,
        DataSet.from_json,
    )


@pytest.fixture(scope="session")
def known(run: RunContext, request: pytest.FixtureRequest) -> DataSet | None:
    """The data set when the run may write; None in read-only runs, where the properties walk
    whatever the account holds and check its invariants only."""
    if run.settings.read_only:
        return None
    value = request.getfixturevalue("dataset")
    assert isinstance(value, DataSet)
    return value


@pytest.fixture(scope="session")
def secondary_ids(
    run: RunContext, other_target: Target, namer: Namer, request: pytest.FixtureRequest
) -> frozenset[str]:
    """Ids of the second account's audiences (a few are created there, once per run, when the run may write)."""

    def found() -> frozenset[str]:
        made = (
            []
            if run.settings.read_only
            else [
                create_audience(other_target, namer.fresh(), channel)["id"]
                for channel in CHANNELS[:SECONDARY_SET_SIZE]
            ]
        )
        walked = walk(other_target, Query(AUDIENCES_PATH, MAX_PAGE_SIZE))
        check_complete(
            walked, made
        )  # the set is complete: every audience the run made there is in it
        return frozenset(walked.ids)

    if run.settings.read_only:
        return found()
    return made_once(request.config, "secondary-ids", found, sorted, frozenset)


def second_account(request: pytest.FixtureRequest) -> Target | None:
    """The second account once the suite's audiences exist there, or None when the run has no
    second key (the user's choice: the first account is still read)."""
    try:
        request.getfixturevalue("secondary_ids")
        other = request.getfixturevalue("other_target")
    except OutOfScope:
        return None
    assert isinstance(other, Target)
    return other
