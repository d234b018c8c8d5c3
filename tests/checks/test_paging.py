"""Walk bounds and plans on a large account, and complete walks kept while the run writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from big_account import fill

from conformance.checks.walk_bounds import page_bound, plan, straddling_size
from conformance.checks.walk_cache import Walks
from conformance.checks.walk_invariants import check_complete, check_same_sequence
from conformance.checks.walk_model import Query
from conformance.contract.facts import AUDIENCES_PATH, MAX_PAGE_SIZE
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.in_flight import InFlight
from conformance.http.target import Target
from conformance.reference.app import create_app
from conformance.reference.keys import generate_key
from conformance.reference.latency import Latency
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store
from conformance.verdict.violations import RuleViolation

HELD = 600


def test_the_bound_follows_the_total_never_a_fixed_page_count() -> None:
    """5,051 audiences at page size 1 once failed at a fixed 5,000 pages; now the bound is the total's."""
    assert page_bound(5051, 1) >= 5051 + 2
    assert page_bound(1_000_000, 1) > 1_000_000
    assert page_bound(0, 20) == 1 + 2 + 1  # an empty collection: one page, and the margin
    assert page_bound(4, 2, slack_items=4) == 4 + 2 + 1


def test_a_walk_within_the_budget_goes_to_the_end_at_the_drawn_size() -> None:
    """An account holding the run's audiences and a few more: every drawn size, 1 included."""
    assert plan(47, 1, budget=60, own_items=47).bounded is False
    assert plan(57, 1, budget=60, own_items=47).bounded is False
    assert plan(5047, 100, budget=60, own_items=5000).bounded is False


def test_a_walk_over_the_budget_goes_to_the_end_at_the_largest_size_and_the_drawn_one_on_a_prefix() -> (
    None
):
    chosen = plan(5047, 1, budget=60, own_items=47)
    assert chosen.bounded and chosen.to_end == MAX_PAGE_SIZE  # the fewest requests: 51 pages
    assert chosen.prefix_pages == 48  # the run's own 47 audiences at page size 1, and one page more
    assert plan(5047, None, budget=60, own_items=47).prefix_pages == 4  # none drawn: the default 20
    # Within the budget but far more than the run's own share: the same size to the end, reused.
    assert plan(5047, 99, budget=60, own_items=47).to_end == MAX_PAGE_SIZE
    assert plan(10**6, 3, budget=60, own_items=47).to_end == MAX_PAGE_SIZE


def test_page_12_splits_the_run_s_block_over_two_pages() -> None:
    size = straddling_size(5047, 12, 85)
    assert 85 <= size <= MAX_PAGE_SIZE and (5047 - 12) // size != 5046 // size


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    db: Path = tmp_path_factory.mktemp("big") / "audiences.sqlite3"
    fill(db, "account-1", HELD)
    key = generate_key()
    with ReferenceServer(db=str(db), keys={key: "account-1"}) as server:
        target = Target(server.base_url, key, RequestPolicy(origin=Origin.of(server.base_url)))
        yield target
        target.close()


def test_a_planned_walk_proves_completeness_at_the_larger_size(big: Target) -> None:
    """A drawn size of 1 walks 6 pages; the account's 600 audiences are walked at size 60."""
    walks = Walks(budget=10, own_items=5)
    sent = big.adapter.requests_sent
    planned = walks.planned(big, Query(AUDIENCES_PATH, 1))
    assert not planned.at_drawn.complete and planned.at_drawn.page_count == 6
    assert planned.complete.query.page_size == MAX_PAGE_SIZE and planned.complete.count == HELD
    check_complete(planned.complete)
    check_same_sequence(planned.at_drawn, planned.complete)
    assert (
        big.adapter.requests_sent - sent == 1 + 6 + 6
    )  # the total, the prefix, the walk to the end (600 audiences at 100 a page)
    assert walks.walked_to_end().startswith(
        "page sizes 100; smaller sizes walked prefixes only: a walk over 10 requests"
    )
    with pytest.raises(ValueError, match="prefix proves no completeness"):
        check_complete(planned.at_drawn)


def test_a_kept_walk_is_reused_until_the_run_writes(big: Target) -> None:
    walks = Walks(budget=10, own_items=5)
    query = Query(AUDIENCES_PATH, 100)
    first = walks.complete(big, query)
    sent = big.adapter.requests_sent
    assert walks.complete(big, query) is first and big.adapter.requests_sent == sent
    made = big.post(AUDIENCES_PATH, json={"data": {"name": "acx-paging-test", "channel": "SMS"}})
    assert made.status_code == 201
    again = walks.complete(big, query)
    assert again is not first and again.count == HELD + 1
    assert big.delete(f"{AUDIENCES_PATH}/{made.json()['data']['id']}").status_code == 204


def test_a_prefix_drawn_again_is_the_kept_one_unless_fresh(big: Target) -> None:
    """A page size drawn twice while the run writes nothing walks its prefix once; a check that
    compares with pages read later asks for it fresh."""
    walks = Walks(budget=10, own_items=5)
    query = Query(AUDIENCES_PATH, 1)
    first = walks.planned(big, query)
    sent = big.adapter.requests_sent
    again = walks.planned(big, query)
    assert again.at_drawn is first.at_drawn and again.complete is first.complete
    assert big.adapter.requests_sent - sent == 1  # the total alone
    fresh = walks.planned(big, query, fresh=True)
    assert fresh.at_drawn is not first.at_drawn and fresh.at_drawn.page_count == 6
    assert big.adapter.requests_sent - sent == 2 + 6


def test_a_kept_total_is_asked_once_until_the_run_writes(big: Target) -> None:
    """PAGE-05 compares every example's walks with the total at page size 1: asked once while
    the run writes nothing, asked again after a write."""
    walks = Walks(budget=10, own_items=5)
    query = Query(AUDIENCES_PATH, 7)
    sent = big.adapter.requests_sent
    assert walks.kept_total(big, query) == HELD
    assert walks.kept_total(big, query) == HELD
    assert big.adapter.requests_sent - sent == 1
    made = big.post(AUDIENCES_PATH, json={"data": {"name": "acx-total-test", "channel": "SMS"}})
    assert made.status_code == 201
    try:
        assert walks.kept_total(big, query) == HELD + 1
    finally:
        assert big.delete(f"{AUDIENCES_PATH}/{made.json()['data']['id']}").status_code == 204


def test_a_failed_check_drops_every_kept_walk(big: Target) -> None:
    """A retry never rests on a walk another client's writes may have made stale."""
    walks = Walks(budget=10, own_items=5)
    kept = walks.complete(big, Query(AUDIENCES_PATH, 100))
    with pytest.raises(RuleViolation), walks.fresh_on_failure():
        check_complete(kept, ["no-such-id"])
    assert walks.complete(big, Query(AUDIENCES_PATH, 100)) is not kept


@pytest.fixture(scope="module")
def slow_big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The large account answering 20 ms late, with requests in flight together: walks made
    together overlap."""
    db: Path = tmp_path_factory.mktemp("slow-big") / "audiences.sqlite3"
    fill(db, "account-1", HELD)
    key, store = generate_key(), Store(str(db))
    try:
        with ReferenceServer(Latency(create_app(store, {key: "account-1"}), 0.02)) as server:
            policy = RequestPolicy(origin=Origin.of(server.base_url), in_flight=InFlight(4))
            target = Target(server.base_url, key, policy)
            yield target
            target.close()
    finally:
        store.close()


def test_walks_made_together_share_the_walk_to_the_end(slow_big: Target) -> None:
    """Two drawn sizes over budget both go to the end at 100: that walk is made once."""
    walks = Walks(budget=10, own_items=5)
    sent = slow_big.adapter.requests_sent
    one, two = slow_big.together(
        lambda size: walks.planned(slow_big, Query(AUDIENCES_PATH, size)), [1, 2]
    )
    assert one.complete is two.complete and one.complete.count == HELD
    prefixes = one.at_drawn.page_count + two.at_drawn.page_count
    assert (
        slow_big.adapter.requests_sent - sent == 2 + prefixes + 6
    )  # two totals, one walk to the end
