"""What a walk holds, checked on scripted lists: revisits, completeness, totals, filters kept behind links."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

import pytest
from recording_server import Reply
from scripted_pages import StartServer, scripted, target_of

from conformance.checks.walk_invariants import check_complete, check_revisits, reported_as
from conformance.checks.walk_model import Query, difference_text
from conformance.checks.walker import walk
from conformance.verdict.violations import RuleViolation


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


def test_a_walk_failure_says_which_item_which_pages_and_what_total_with_the_last_exchange(
    recording_server: StartServer,
) -> None:
    """One sentence a reader can check: the item missing, on none of how many pages, what each
    page held and what the total said; then the last page's request, what it answered, and curl."""
    book = {"1": (["a", "b"], "/v1/audiences?page_size=2&page=2"), "2": (["c"], None)}
    walked = walk(target_of(recording_server(scripted(book, total=4))), Query("/v1/audiences", 2))
    with pytest.raises(RuleViolation) as caught:
        check_complete(walked, ["a", "x"])
    assert caught.value.rule == "PAGE-04"
    assert caught.value.received == (
        "item 'x' on none of the 2 pages, which held 3 items (page 1: 2, page 2: 1),"
        " the first page saying total 4"
    )
    exchange = caught.value.exchange.splitlines()
    assert exchange[0].startswith("  request:  GET http://") and exchange[0].endswith("page=2")
    assert "number 2, size 1, total 4" in exchange[2] and "'c'" in exchange[3]
    assert exchange[-1].startswith("  curl:     curl -sS -i 'http://") and "page=2" in exchange[-1]
    with pytest.raises(RuleViolation) as short:
        check_complete(walked, ["a", "c"])
    assert (short.value.rule, short.value.expected, short.value.received) == (
        "PAGE-02",
        "as many items over the walk as the first page's total, 4",
        "the walk ended on page 2 (next null) after 3 items (page 1: 2, page 2: 1)",
    )
    assert "  request:  GET http://" in str(short.value)


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
