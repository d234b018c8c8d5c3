"""The one paging loop: the checks' listing and cleanup's walk ask the same pages, in the same order."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from recording_server import RecordingServer, Reply

from conformance.checks.client import listed
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.ledger import iter_audiences
from conformance.http.listing import listed_items
from conformance.http.target import Target
from conformance.verdict.violations import RuleViolation

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
JSON = {"Content-Type": "application/json"}
# Three pages of two, linked by relative paths and an absolute URL-less query, as servers do.
PAGES = {
    "/v1/audiences?page_size=100": (["a", "b"], "/v1/audiences?page_token=two"),
    "/v1/audiences?page_token=two": (["c", "d"], "/v1/audiences?page_token=three"),
    "/v1/audiences?page_token=three": (["e"], None),
}


def _pages(method: str, path: str) -> Reply:
    ids, link = PAGES[path]
    page = {
        "data": [{"id": item, "name": f"acx{item}"} for item in ids] + ["not an item"],
        "pagination": {"links": {"next": link}},
    }
    return 200, JSON, json.dumps(page).encode()


def _target(url: str) -> Target:
    return Target(url, "k-listing", RequestPolicy(origin=Origin.of(url)))


def test_the_checks_and_cleanup_walk_the_same_pages(recording_server: StartServer) -> None:
    checks, cleanup = recording_server(_pages), recording_server(_pages)
    shown = [item["id"] for item in listed(_target(checks.url))]
    swept = [item["id"] for item in iter_audiences(_target(cleanup.url))]
    assert shown == swept == ["a", "b", "c", "d", "e"]
    asked = [path for _, path, _ in checks.seen]
    assert asked == [path for _, path, _ in cleanup.seen] == list(PAGES)


def test_a_page_is_asked_only_when_the_items_before_it_are_used(
    recording_server: StartServer,
) -> None:
    server = recording_server(_pages)
    items = listed(_target(server.url))
    assert [next(items)["id"], next(items)["id"]] == ["a", "b"]
    assert len(server.seen) == 1


def test_the_walk_stops_after_max_pages(recording_server: StartServer) -> None:
    server = recording_server(_pages)
    items = listed_items(
        _target(server.url), {}, read=lambda response: response.json(), max_pages=2
    )
    assert [item["id"] for item in items] == ["a", "b", "c", "d"]
    assert len(server.seen) == 2


def test_each_walker_judges_a_page_that_is_not_one_its_own_way(
    recording_server: StartServer,
) -> None:
    server = recording_server(lambda method, path: (503, JSON, b"{}"))
    with pytest.raises(RuleViolation) as raised:
        list(listed(_target(server.url)))
    assert raised.value.rule == "PAGE-04"
    with pytest.raises(Exception, match="503"):
        list(iter_audiences(_target(server.url)))
