"""PAGE-01..12 on the reference server: walks, links, tokens and page sizes."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from reference_client import Client, Json, Reference, assert_envelope, query_of
from starlette.applications import Starlette
from starlette.routing import Mount

from conformance.reference.app import create_app
from conformance.reference.keys import generate_key
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store


def ids(pages: list[Json]) -> list[str]:
    return [item["id"] for page in pages for item in page["data"]]


def assert_walk(pages: list[Json], page_size: int, expected_ids: list[str]) -> None:
    """PAGE-01, 03, 04, 05: numbers 1.., full pages but the last, next null only at the end, total steady."""
    assert ids(pages) == expected_ids
    for index, page in enumerate(pages, start=1):
        pagination = page["pagination"]
        assert pagination["number"] == index
        assert pagination["size"] == len(page["data"]) <= page_size
        assert pagination["total"] == len(expected_ids)
        is_last = index == len(pages)
        assert (pagination["links"]["next"] is None) == is_last
        assert (pagination["links"]["previous"] is None) == (index == 1)
        if not is_last:
            assert pagination["size"] == page_size


@pytest.mark.parametrize(("count", "page_size"), [(7, 1), (7, 3), (6, 3), (3, 3), (1, 1), (5, 100)])
def test_walk_visits_every_audience_once(client: Client, count: int, page_size: int) -> None:
    """PAGE-04/05: following next visits each item once; a full last page has next null."""
    created = [client.create()["id"] for _ in range(count)]
    pages = client.walk(f"/v1/audiences?page_size={page_size}")
    assert len(pages) == -(-count // page_size)
    assert_walk(pages, page_size, created)


def test_empty_collection_is_one_empty_page(client: Client) -> None:
    """PAGE-05: data [], total 0, number 1, previous and next null."""
    page = client.call("GET", "/v1/audiences").json()
    assert page["data"] == []
    pagination = page["pagination"]
    assert (pagination["number"], pagination["size"], pagination["total"]) == (1, 0, 0)
    assert pagination["links"]["previous"] is None and pagination["links"]["next"] is None
    assert pagination["links"]["first"] and pagination["links"]["current"]


def test_default_page_size_is_20(client: Client) -> None:
    """PAGE-01: without page_size, pages hold 20 and the links say so."""
    created = [client.create()["id"] for _ in range(23)]
    pages = client.walk("/v1/audiences")
    assert [page["pagination"]["size"] for page in pages] == [20, 3]
    assert_walk(pages, 20, created)
    assert query_of(pages[0]["pagination"]["links"]["next"])["page_size"] == ["20"]


def test_order_is_the_same_whatever_the_page_size(client: Client) -> None:
    """PAGE-07: the concatenated pages are one sequence, oldest first, at every page size."""
    created = [client.create()["id"] for _ in range(8)]
    for page_size in (1, 2, 3, 5, 8, 100):
        assert ids(client.walk(f"/v1/audiences?page_size={page_size}")) == created


def test_current_first_and_previous_links_return_their_pages(client: Client) -> None:
    """PAGE-06: current re-fetches a page, first gives page 1, previous gives page k-1 exactly."""
    for _ in range(10):
        client.create()
    pages = client.walk("/v1/audiences?page_size=3")
    for index, page in enumerate(pages):
        links = page["pagination"]["links"]
        assert client.call("GET", links["current"]).json() == page
        assert client.call("GET", links["first"]).json() == pages[0]
        if index > 0:
            assert client.call("GET", links["previous"]).json() == pages[index - 1]


def test_links_keep_page_size_and_filter(client: Client) -> None:
    """PAGE-08: every link carries page_size and the normalized channel filter."""
    for channel in ("VIBER", "SMS", "VIBER", "VIBER", "VIBER"):
        client.create(channel=channel)
    pages = client.walk("/v1/audiences?page_size=2&filter[channel]=viber")
    assert [item["channel"] for page in pages for item in page["data"]] == ["VIBER"] * 4
    for page in pages:
        for name, link in page["pagination"]["links"].items():
            if link is not None:
                query = query_of(link)
                assert query["page_size"] == ["2"] and query["filter[channel]"] == ["VIBER"], (
                    f"{name}: {link}"
                )


def test_links_are_absolute_on_the_servers_own_origin(client: Client) -> None:
    """PAGE-09: links use the scheme, host and port the request was sent to."""
    for _ in range(3):
        client.create()
    page = client.call("GET", "/v1/audiences?page_size=1&page_token=").json()
    origin = urlsplit(client.base_url)
    for link in (page["pagination"]["links"]["first"], page["pagination"]["links"]["next"]):
        parts = urlsplit(link)
        assert (parts.scheme, parts.netloc, parts.path) == (
            origin.scheme,
            origin.netloc,
            "/v1/audiences",
        )


def test_links_follow_the_mount_prefix() -> None:
    """PAGE-09: served under /api, links and audience links keep the prefix and work."""
    store = Store(":memory:")
    key = generate_key()
    mounted = Starlette(routes=[Mount("/api", app=create_app(store, {key: "acct"}))])
    with ReferenceServer(mounted) as server:
        client = Client(server.base_url + "/api", key, "acct")
        created = [client.create()["id"] for _ in range(3)]
        pages = client.walk("/v1/audiences?page_size=2")
        assert ids(pages) == created
        assert pages[0]["pagination"]["links"]["next"].startswith(
            server.base_url + "/api/v1/audiences?"
        )
        assert (
            pages[0]["data"][0]["links"]["self"]
            == f"{server.base_url}/api/v1/audiences/{created[0]}"
        )
        assert client.call("GET", f"/v1/audiences/{created[0]}").status_code == 200
        client.close()
    store.close()


def test_total_counts_matches_at_the_time_of_the_request(client: Client) -> None:
    """PAGE-02: total follows creates and deletes, and the filter."""
    first = client.create(channel="SMS")
    client.create(channel="VIBER")
    assert client.call("GET", "/v1/audiences").json()["pagination"]["total"] == 2
    assert (
        client.call("GET", "/v1/audiences?filter[channel]=SMS").json()["pagination"]["total"] == 1
    )
    client.call("DELETE", f"/v1/audiences/{first['id']}")
    assert (
        client.call("GET", "/v1/audiences?filter[channel]=SMS").json()["pagination"]["total"] == 0
    )


@pytest.mark.parametrize(
    "page_size",
    [
        "0",
        "-1",
        "101",
        "1000",
        "99999999999999999999999",
        "abc",
        "",
        " ",
        " 5",
        "5 ",
        "+5",
        "1e2",
        "2.0",
        "0x10",
        "\u0663",
        "\uff15",
        "5\n",
    ],
)
def test_invalid_page_size_is_refused(client: Client, page_size: str) -> None:
    """PAGE-10: anything but an integer from 1 to 100, empty included, gets 400 (code 1005)."""
    assert_envelope(
        client.call("GET", "/v1/audiences?" + urlencode({"page_size": page_size})), 400, 1005
    )


@pytest.mark.parametrize("page_size", ["1", "100", "007"])
def test_valid_page_size_is_accepted(client: Client, page_size: str) -> None:
    """PAGE-10: 1 and 100 are the bounds; leading zeros still spell a decimal integer."""
    response = client.call("GET", f"/v1/audiences?page_size={page_size}")
    assert response.status_code == 200
    assert query_of(response.json()["pagination"]["links"]["first"])["page_size"] == [
        str(int(page_size))
    ]


def second_page_token(client: Client, query: str = "page_size=1") -> str:
    for _ in range(3):
        client.create(channel="SMS")
    link = client.call("GET", f"/v1/audiences?{query}").json()["pagination"]["links"]["next"]
    return query_of(link)["page_token"][0]


def test_tampered_tokens_are_refused(client: Client) -> None:
    """PAGE-11: every one-character change, truncation or extension of a token gets 400, never 5xx."""
    token = second_page_token(client)
    variants = {
        token[:-1],
        token[1:],
        token + "A",
        token[: len(token) // 2],
        token.replace(".", ""),
        "." + token,
        "garbage",
        ".",
        "a.b",
        "x" * 5000,
    }
    for position in range(len(token)):
        replacement = "A" if token[position] != "A" else "B"
        variants.add(token[:position] + replacement + token[position + 1 :])
    for variant in sorted(variants):
        response = client.call(
            "GET", "/v1/audiences?" + urlencode({"page_size": 1, "page_token": variant})
        )
        assert_envelope(response, 400, 1006)


def test_empty_token_is_the_first_page(client: Client) -> None:
    """Section 4: an empty page_token is the same as none."""
    second_page_token(client)
    assert (
        client.call("GET", "/v1/audiences?page_size=1&page_token=").json()
        == client.call("GET", "/v1/audiences?page_size=1").json()
    )


def test_token_with_another_page_size_or_filter_is_refused(client: Client) -> None:
    """PAGE-11: a token only works with the page size and filter it was made for."""
    token = second_page_token(client)
    for query in ({"page_size": 2}, {}, {"page_size": 1, "filter[channel]": "SMS"}):
        assert_envelope(
            client.call("GET", "/v1/audiences?" + urlencode({**query, "page_token": token})),
            400,
            1006,
        )
    filtered = second_page_token(client, "page_size=1&filter[channel]=sms")
    assert (
        client.call(
            "GET",
            "/v1/audiences?"
            + urlencode({"page_size": 1, "filter[channel]": "Sms", "page_token": filtered}),
        ).status_code
        == 200
    )
    assert_envelope(
        client.call("GET", "/v1/audiences?" + urlencode({"page_size": 1, "page_token": filtered})),
        400,
        1006,
    )


def test_token_of_another_account_is_refused(reference: Reference) -> None:
    """PAGE-11 and TEN-01: another account's token gets 400 and shows none of its audiences."""
    owner, other = reference.fresh_client(), reference.fresh_client()
    token = second_page_token(owner)
    response = other.call(
        "GET", "/v1/audiences?" + urlencode({"page_size": 1, "page_token": token})
    )
    assert_envelope(response, 400, 1006)


def test_token_of_another_collection_is_refused(client: Client) -> None:
    """PAGE-11: a contacts token is no audiences token, and one audience's is not another's."""
    first = client.create(contacts=[{"number": f"+1555000{index}"} for index in range(3)])
    second = client.create(contacts=[{"number": f"+1555000{index}"} for index in range(3)])
    link = client.call("GET", f"/v1/audiences/{first['id']}/contacts?page_size=1").json()[
        "pagination"
    ]["links"]["next"]
    token = query_of(link)["page_token"][0]
    assert client.call("GET", link).status_code == 200
    assert_envelope(
        client.call("GET", "/v1/audiences?" + urlencode({"page_size": 1, "page_token": token})),
        400,
        1006,
    )
    assert_envelope(
        client.call(
            "GET",
            f"/v1/audiences/{second['id']}/contacts?"
            + urlencode({"page_size": 1, "page_token": token}),
        ),
        400,
        1006,
    )


def test_walk_under_writes_sees_every_lasting_item_once(client: Client) -> None:
    """PAGE-12: items present for the whole walk are each seen once while others come and go."""
    lasting = [client.create()["id"] for _ in range(6)]
    doomed = [client.create()["id"] for _ in range(4)]
    lasting += [client.create()["id"] for _ in range(4)]
    seen: list[str] = []
    link: str | None = "/v1/audiences?page_size=2"
    while link is not None:
        page = client.call("GET", link).json()
        seen += [item["id"] for item in page["data"]]
        link = page["pagination"]["links"]["next"]
        # Between pages: delete one item not yet reached, and one already seen; add one new item.
        if doomed:
            client.call("DELETE", f"/v1/audiences/{doomed.pop()}")
        client.create()
        if len(seen) > 40:
            break
    assert all(seen.count(audience_id) == 1 for audience_id in lasting), seen
    assert len(seen) == len(set(seen))


def test_previous_after_deletions_falls_back_to_the_first_page(client: Client) -> None:
    """PAGE-06 under writes: when too few items are left before a page, previous is page 1 itself."""
    created = [client.create()["id"] for _ in range(6)]
    pages = client.walk("/v1/audiences?page_size=2")
    for audience_id in created[:3]:
        client.call("DELETE", f"/v1/audiences/{audience_id}")
    third = client.call("GET", pages[2]["pagination"]["links"]["current"]).json()
    assert ids([third]) == created[4:6] and third["pagination"]["number"] == 3
    previous = client.call("GET", third["pagination"]["links"]["previous"]).json()
    assert (
        previous["pagination"]["number"] == 1
        and previous["pagination"]["links"]["previous"] is None
    )
    assert ids([previous]) == created[3:5]


def test_contacts_walk_with_search_filter(client: Client) -> None:
    """CRUD-06 with PAGE-04/08: contacts page like audiences; links keep filter[search]."""
    contacts = [
        {"number": f"+1555000{index:02d}", "first_name": "Sam" if index % 2 else "Kim"}
        for index in range(10)
    ]
    audience = client.create(contacts=contacts)
    path = f"/v1/audiences/{audience['id']}/contacts"
    pages = client.walk(f"{path}?page_size=3")
    assert [contact["number"] for page in pages for contact in page["data"]] == [
        contact["number"] for contact in contacts
    ]
    assert [page["pagination"]["size"] for page in pages] == [3, 3, 3, 1]
    found = client.walk(f"{path}?page_size=2&filter[search]=sAM")
    assert [contact["number"] for page in found for contact in page["data"]] == [
        contact["number"] for contact in contacts if contact["first_name"] == "Sam"
    ]
    assert all(page["pagination"]["total"] == 5 for page in found)
    for page in found:
        for link in filter(None, page["pagination"]["links"].values()):
            assert query_of(link)["filter[search]"] == ["sAM"] and urlsplit(link).path == path
