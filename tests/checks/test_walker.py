"""The page walker against scripted servers: link resolution, cycles, bounds, other origins."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from recording_server import Reply
from scripted_pages import StartServer, page, paths, scripted, target_of

from conformance.checks.walk_invariants import check_revisits
from conformance.checks.walk_model import Query
from conformance.checks.walker import walk
from conformance.verdict.violations import RuleViolation


def test_absolute_urls_and_absolute_paths_are_both_followed(recording_server: StartServer) -> None:
    """Section 4 allows both forms; each is resolved as a browser would, under a base path prefix."""
    server = recording_server(lambda method, path: (0, {}, b""))
    book = {
        "1": (["a", "b"], f"{server.url}/api/v1/audiences?page_size=2&page=2"),
        "2": (["c", "d"], "/api/v1/audiences?page_size=2&page=3"),
        "3": (["e"], None),
    }
    server.reply = scripted(book, total=5)
    walked = walk(target_of(server, "/api"), Query("/v1/audiences", 2))
    assert walked.ids == ["a", "b", "c", "d", "e"]
    assert paths(server) == [
        "/api/v1/audiences?page_size=2",
        "/api/v1/audiences?page_size=2&page=2",
        "/api/v1/audiences?page_size=2&page=3",
    ]


@pytest.mark.parametrize(
    "link",
    [
        "?page_size=2&page=2",
        "audiences?page_size=2&page=2",
        "./audiences?page=2",
        "//127.0.0.1:{port}/v1/audiences?page=2",
        "http:/v1/audiences?page=2",
    ],
)
def test_a_relative_next_link_breaks_page_05(recording_server: StartServer, link: str) -> None:
    """Section 4: links are absolute URLs or absolute paths. A relative reference on the
    target's own origin is reported under next's rule, and never followed."""
    server = recording_server(lambda method, path: (0, {}, b""))
    server.reply = scripted(
        {"1": (["a", "b"], link.format(port=urlsplit(server.url).port)), "2": (["c"], None)},
        total=3,
    )
    with pytest.raises(RuleViolation) as caught:
        walk(target_of(server), Query("/v1/audiences", 2))
    assert caught.value.rule == "PAGE-05" and "absolute URL or an absolute path" in str(
        caught.value
    )
    assert all("page=2" not in path for path in paths(server))


@pytest.mark.parametrize(
    ("name", "rule"), [("first", "PAGE-06"), ("current", "PAGE-06"), ("previous", "PAGE-03")]
)
def test_a_relative_link_breaks_the_rule_of_its_kind(
    recording_server: StartServer, name: str, rule: str
) -> None:
    """The rule a malformed link breaks depends on the link (LINK_RULES): first and current
    PAGE-06, previous PAGE-03 (met on page 2, where previous is a link)."""

    def reply(method: str, path: str) -> Reply:
        second = "page=2" in path
        links = {
            "first": "/v1/audiences?page_size=2",
            "current": f"/v1/audiences?page_size=2{'&page=2' if second else ''}",
            "previous": "/v1/audiences?page_size=2" if second else None,
            "next": None if second else "/v1/audiences?page_size=2&page=2",
        }
        if links[name] is not None:
            links[name] = "audiences?" + urlsplit(links[name]).query
        ids = ["c"] if second else ["a", "b"]
        body = {
            "data": [{"id": item} for item in ids],
            "pagination": {
                "number": 2 if second else 1,
                "size": len(ids),
                "total": 3,
                "links": links,
            },
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    with pytest.raises(RuleViolation) as caught:
        walk(target_of(recording_server(reply)), Query("/v1/audiences", 2))
    assert caught.value.rule == rule and f"links.{name} an absolute URL" in str(caught.value)


def test_a_link_back_to_a_visited_page_stops_the_walk(recording_server: StartServer) -> None:
    """A cycle is reported as PAGE-04 as soon as next points to a page already fetched."""
    book = {
        "1": (["a", "b"], "/v1/audiences?page_size=2&page=2"),
        "2": (["c", "d"], "/v1/audiences?page_size=2"),
    }
    server = recording_server(scripted(book, total=4))
    with pytest.raises(RuleViolation) as caught:
        walk(target_of(server), Query("/v1/audiences", 2), stable=False)
    assert caught.value.rule == "PAGE-04" and "visited" in str(caught.value)
    assert len(server.seen) == 2


def test_a_walk_that_never_ends_is_cut_at_the_bound(recording_server: StartServer) -> None:
    """A server linking to ever new pages is stopped after what total and page size allow, plus slack."""

    def forever(method: str, path: str) -> Reply:
        number = int(parse_qs(urlsplit(path).query).get("page", ["1"])[0])
        body = page(
            [f"id{number}-a", f"id{number}-b"],
            number=number,
            total=4,
            next_link=f"/v1/audiences?page_size=2&page={number + 1}",
            page_param=str(number),
            previous=None if number == 1 else "/v1/audiences",
        )
        return 200, {"Content-Type": "application/json"}, body

    server = recording_server(forever)
    with pytest.raises(RuleViolation) as caught:
        walk(target_of(server), Query("/v1/audiences", 2))
    assert caught.value.rule == "PAGE-04" and "end within 5 pages" in str(caught.value)
    assert (
        len(server.seen) == 5
    )  # 4 items at 2 a page: 2 pages, plus 2 and 1% of margin, then no more requests


@pytest.mark.parametrize(
    "link",
    [
        "http://127.0.0.1:{port}/v1/audiences?page=2",
        "//127.0.0.1:{port}/v1/audiences?page=2",
        "https://{host}/v1/audiences?page=2",
    ],
)
def test_a_link_off_the_target_is_never_followed(recording_server: StartServer, link: str) -> None:
    """PAGE-09: another port, a scheme-relative link, another scheme; nothing is sent there."""
    elsewhere = recording_server(lambda method, path: (200, {}, b"{}"))
    port = urlsplit(elsewhere.url).port
    home = recording_server(lambda method, path: (0, {}, b""))
    home.reply = scripted(
        {"1": (["a", "b"], link.format(port=port, host=urlsplit(home.url).netloc))}, total=3
    )
    with pytest.raises(RuleViolation) as caught:
        walk(target_of(home), Query("/v1/audiences", 2))
    assert caught.value.rule == "PAGE-09"
    assert "k-walker" not in str(caught.value)
    assert (
        elsewhere.seen == [] and len(home.seen) == 1
    )  # the failure is charged as seen: no page read again


def test_an_empty_page_behind_next_breaks_page_05(recording_server: StartServer) -> None:
    """A full last page must not link to an empty page."""
    book = {"1": (["a", "b"], "/v1/audiences?page_size=2&page=2"), "2": ([], None)}
    with pytest.raises(RuleViolation) as caught:
        walk(target_of(recording_server(scripted(book, total=2))), Query("/v1/audiences", 2))
    assert caught.value.rule == "PAGE-05"


def test_an_item_on_two_pages_breaks_page_04(recording_server: StartServer) -> None:
    book = {"1": (["a", "b"], "/v1/audiences?page_size=2&page=2"), "2": (["b"], None)}
    with pytest.raises(RuleViolation) as caught:
        walk(target_of(recording_server(scripted(book, total=3))), Query("/v1/audiences", 2))
    assert caught.value.rule == "PAGE-04" and "'b' on page 2" in str(caught.value)


def test_a_larger_page_behind_a_link_breaks_page_08(recording_server: StartServer) -> None:
    book = {"1": (["a", "b"], "/v1/audiences?page=2"), "2": (["c", "d", "e"], None)}
    with pytest.raises(RuleViolation) as caught:
        walk(target_of(recording_server(scripted(book, total=5))), Query("/v1/audiences", 2))
    assert caught.value.rule == "PAGE-08"


def test_current_that_returns_other_items_breaks_page_06(recording_server: StartServer) -> None:
    """check_revisits compares the ids 'current' gives with the page's own; the page itself
    still reads the same (no other client wrote), so the link is at fault."""
    book = {"1": (["a", "b"], "/v1/audiences?page_size=2&page=2&via=next"), "2": (["c"], None)}
    pages = scripted(book, total=3)

    def wrong_current(method: str, path: str) -> Reply:
        status, headers, body = pages(method, path)
        return (
            (status, headers, body.replace(b'"c"', b'"z"'))
            if "page=2" in path and "via=next" not in path
            else (status, headers, body)
        )

    server = recording_server(wrong_current)
    walked = walk(target_of(server), Query("/v1/audiences", 2))
    with pytest.raises(RuleViolation) as caught:
        check_revisits(target_of(server), walked, {1})
    assert caught.value.rule == "PAGE-06"
    assert "not expected: ['z']; missing: ['c']" in str(caught.value)


def test_a_revisit_that_reads_differently_is_charged_to_the_link_by_the_walk(
    recording_server: StartServer,
) -> None:
    """The walker itself never excuses: a page that its link answers differently is PAGE-06's
    failure; only proven writes of another client (conformance.checks.account_wide) may excuse it."""
    book = {"1": (["a", "b"], "/v1/audiences?page_size=2&page=2"), "2": (["c"], None)}
    server = recording_server(scripted(book, total=3))
    walked = walk(target_of(server), Query("/v1/audiences", 2))
    server.reply = scripted({"1": (["a", "b"], None), "2": (["c", "n"], None)}, total=4)
    with pytest.raises(RuleViolation) as caught:
        check_revisits(target_of(server), walked, {1})
    assert caught.value.rule == "PAGE-06" and "not expected: ['n']" in str(caught.value)
