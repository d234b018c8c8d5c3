"""The page walker against scripted servers: link resolution, cycles, bounds, other origins."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

import pytest
from recording_server import RecordingServer, Reply

from conformance.checks.walk_invariants import check_complete, check_revisits, reported_as
from conformance.checks.walk_model import Query, difference_text
from conformance.checks.walker import walk
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.target import Target
from conformance.verdict.violations import RuleViolation

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
Book = Mapping[str, tuple[list[str], str | None]]  # page param -> (ids, next link)


def page(
    ids: list[str],
    *,
    number: int,
    total: int,
    next_link: str | None,
    page_param: str,
    previous: str | None = None,
) -> bytes:
    links = {
        "first": "/v1/audiences?page_size=2",
        "current": f"/v1/audiences?page_size=2&page={page_param}",
        "previous": previous,
        "next": next_link,
    }
    body = {
        "data": [{"id": item} for item in ids],
        "pagination": {"number": number, "size": len(ids), "total": total, "links": links},
    }
    return json.dumps(body).encode()


def scripted(book: Book, total: int) -> Callable[[str, str], Reply]:
    """Pages keyed by the 'page' query parameter (absent: '1'), numbered in book order."""
    numbers = {param: index + 1 for index, param in enumerate(book)}

    def reply(method: str, path: str) -> Reply:
        param = parse_qs(urlsplit(path).query).get("page", ["1"])[0]
        if param not in book:
            return (
                404,
                {"Content-Type": "application/json"},
                b'{"errors": [{"code": 1, "message": "no such page"}]}',
            )
        ids, next_link = book[param]
        previous = None if numbers[param] == 1 else "/v1/audiences?page_size=2"
        return (
            200,
            {"Content-Type": "application/json"},
            page(
                ids,
                number=numbers[param],
                total=total,
                next_link=next_link,
                page_param=param,
                previous=previous,
            ),
        )

    return reply


def target_of(server: RecordingServer, prefix: str = "") -> Target:
    return Target(server.url + prefix, "k-walker", RequestPolicy(origin=Origin.of(server.url)))


def paths(server: RecordingServer) -> list[str]:
    return [path for _, path, _ in server.seen]


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


def test_two_long_lists_that_differ_past_their_shown_start_read_differently() -> None:
    """A failure's text names the difference: lists cut to their first ids would read alike."""
    expected = [f"id{n}" for n in range(20)]
    assert difference_text(expected, [*expected, "new1"]) != difference_text(
        expected, [*expected, "new2"]
    )
    assert "not expected: ['new1']" in difference_text(expected, [*expected, "new1"])


def test_reported_as_renames_the_rule_and_keeps_the_finding() -> None:
    with pytest.raises(RuleViolation) as caught, reported_as("CRUD-06", "contacts"):
        raise RuleViolation("PAGE-04", expected="every item once", received="'x' twice")
    assert caught.value.rule == "CRUD-06"
    assert str(caught.value).startswith("[CRUD-06] (PAGE-04 applied to contacts)")
    assert "'x' twice" in str(caught.value)


def test_a_walk_without_retained_pages_still_checks_every_page(
    recording_server: StartServer,
) -> None:
    """retain=False keeps the first and the latest page only, yet counts, meets ids and finds repeats on any page."""
    book = {
        "1": (["a", "b"], "/v1/audiences?page_size=2&page=2"),
        "2": (["c", "d"], "/v1/audiences?page_size=2&page=3"),
        "3": (["e", "f"], "/v1/audiences?page_size=2&page=4"),
        "4": (["g"], None),
    }
    walked = walk(
        target_of(recording_server(scripted(book, total=7))),
        Query("/v1/audiences", 2),
        retain=False,
    )
    assert [page.number for page in walked.pages] == [1, 4]
    assert (walked.page_count, walked.count) == (4, 7)
    assert all(walked.met(item) for item in "abcdefg") and not walked.met("h")
    check_complete(walked, ["a", "d", "g"])
    with pytest.raises(ValueError, match="retain=False"):
        _ = walked.ids
    repeated = {
        "1": (["a", "b"], "/v1/audiences?page_size=2&page=2"),
        "2": (["c", "d"], "/v1/audiences?page_size=2&page=3"),
        "3": (["a"], None),
    }
    with pytest.raises(RuleViolation) as caught:
        walk(
            target_of(recording_server(scripted(repeated, total=5))),
            Query("/v1/audiences", 2),
            retain=False,
        )
    assert (
        caught.value.rule == "PAGE-04"
        and "'a' on page 3" in str(caught.value)
        and "already on page 1" in str(caught.value)
    )


def test_check_complete_names_an_own_item_never_met(recording_server: StartServer) -> None:
    book = {"1": (["a", "b"], "/v1/audiences?page_size=2&page=2"), "2": (["c"], None)}
    walked = walk(
        target_of(recording_server(scripted(book, total=3))),
        Query("/v1/audiences", 2),
        retain=False,
    )
    with pytest.raises(RuleViolation) as caught:
        check_complete(walked, ["a", "x"], missing_rule="PAGE-08")
    assert caught.value.rule == "PAGE-08" and "'x'" in str(caught.value)


def test_a_wrong_total_is_charged_at_once_without_reading_again(
    recording_server: StartServer,
) -> None:
    """A total that moved behind next is PAGE-04's failure as soon as it is seen: reading the
    pages again proves nothing either way (a server wrong now and then reads differently too)."""
    book = {"1": (["a", "b"], "/v1/audiences?page_size=2&page=2"), "2": (["c"], None)}
    server = recording_server(scripted(book, total=3))
    drifting = server.reply

    def reply(method: str, path: str) -> Reply:
        status, headers, body = drifting(method, path)
        return (
            (status, headers, body.replace(b'"total": 3', b'"total": 4'))
            if "page=2" in path
            else (status, headers, body)
        )

    server.reply = reply
    with pytest.raises(RuleViolation) as caught:
        walk(target_of(server), Query("/v1/audiences", 2))
    assert caught.value.rule == "PAGE-04" and "total 4" in str(caught.value)
    assert len(server.seen) == 2


Items = tuple[tuple[str, str], ...]  # (id, channel), in list order
CHANNELS_MIXED: Items = (
    ("s1", "SMS"),
    ("v1", "VIBER"),
    ("s2", "SMS"),
    ("v2", "VIBER"),
    ("s3", "SMS"),
    ("s4", "SMS"),
)
SMS_FIRST: Items = (("s1", "SMS"), ("s2", "SMS"), ("v1", "VIBER"), ("s3", "SMS"), ("s4", "SMS"))


def channel_list(
    items: Items, losing: Mapping[str, tuple[str, ...]] = {}
) -> Callable[[str, str], Reply]:
    """A list that honours page_size, filter[channel] and page; the links named in ``losing``
    leave those parameters out (``next`` is named there too when it should)."""

    def reply(method: str, path: str) -> Reply:
        query = {name: values[0] for name, values in parse_qs(urlsplit(path).query).items()}
        channel, number, size = (
            query.get("filter[channel]"),
            int(query.get("page", "1")),
            int(query.get("page_size", "20")),
        )
        rows = [(item, kind) for item, kind in items if channel is None or kind == channel]
        shown = rows[(number - 1) * size : number * size]

        def link(name: str, to: int) -> str:
            params = {
                "page_size": str(size),
                **({"filter[channel]": channel} if channel else {}),
                **({"page": str(to)} if to > 1 else {}),
            }
            kept = {key: value for key, value in params.items() if key not in losing.get(name, ())}
            return "/v1/audiences?" + "&".join(f"{key}={value}" for key, value in kept.items())

        links = {
            "first": link("first", 1),
            "current": link("current", number),
            "previous": link("previous", number - 1) if number > 1 else None,
            "next": link("next", number + 1) if number * size < len(rows) else None,
        }
        body = {
            "data": [{"id": item, "channel": kind} for item, kind in shown],
            "pagination": {
                "number": number,
                "size": len(shown),
                "total": len(rows),
                "links": links,
            },
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    return reply


SMS_QUERY = Query("/v1/audiences", 2, (("filter[channel]", "SMS"),))


def test_links_that_keep_the_filter_pass_the_revisits(recording_server: StartServer) -> None:
    server = recording_server(channel_list(CHANNELS_MIXED))
    walked = walk(target_of(server), SMS_QUERY)
    assert walked.ids == ["s1", "s2", "s3", "s4"]
    check_revisits(target_of(server), walked, {0, 1})


@pytest.mark.parametrize(
    ("losing", "seen"),
    [
        ({"previous": ("filter[channel]",)}, "'v1' with channel 'VIBER'"),
        ({"current": ("filter[channel]",)}, "'v2' with channel 'VIBER'"),
        ({"first": ("page_size",)}, "4 items"),
    ],
)
def test_a_revisit_link_that_loses_the_query_breaks_page_08(
    recording_server: StartServer, losing: Mapping[str, tuple[str, ...]], seen: str
) -> None:
    """PAGE-08 holds for every link, not only next: a previous or current link of a filtered walk
    that drops the filter gives another channel's items, a first link that drops the page size a larger page."""
    server = recording_server(channel_list(CHANNELS_MIXED, losing))
    walked = walk(target_of(server), SMS_QUERY)  # next keeps the query
    with pytest.raises(RuleViolation) as caught:
        check_revisits(target_of(server), walked, {1})
    assert caught.value.rule == "PAGE-08"
    assert seen in str(caught.value)


def test_a_revisit_with_the_unfiltered_total_breaks_page_08(recording_server: StartServer) -> None:
    """first drops the filter, and the unfiltered first page happens to hold the same SMS items:
    its total, that of the list without the filter, shows the filter was lost."""
    server = recording_server(channel_list(SMS_FIRST, {"first": ("filter[channel]",)}))
    walked = walk(target_of(server), SMS_QUERY)
    with pytest.raises(RuleViolation) as caught:
        check_revisits(target_of(server), walked, {1})
    assert (
        caught.value.rule == "PAGE-08"
        and "total 5, the total of the query without its filter" in str(caught.value)
    )
