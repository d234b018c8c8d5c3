"""FILT-01..04: the channel filter of the audiences query."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from reference_client import Client, Reference, assert_envelope


@pytest.fixture(scope="module")
def client(reference: Reference) -> Client:
    """One account holding 2 SMS, 3 VIBER and 1 WHATSAPP audiences."""
    client = reference.fresh_client()
    for channel in ("SMS", "VIBER", "WHATSAPP", "VIBER", "SMS", "VIBER"):
        client.create(channel=channel)
    return client


def channels(client: Client, value: str, page_size: int = 100) -> list[str]:
    pages = client.walk(
        "/v1/audiences?" + urlencode({"filter[channel]": value, "page_size": page_size})
    )
    assert all(page["pagination"]["total"] == sum(len(p["data"]) for p in pages) for page in pages)
    return [item["channel"] for page in pages for item in page["data"]]


@pytest.mark.parametrize(("channel", "count"), [("SMS", 2), ("VIBER", 3), ("WHATSAPP", 1)])
def test_channel_filter_returns_exactly_that_channel(
    client: Client, channel: str, count: int
) -> None:
    """FILT-01: only audiences of the channel, and all of them, over every page."""
    assert channels(client, channel, page_size=1) == [channel] * count


def test_channel_totals_add_up_to_the_unfiltered_total(client: Client) -> None:
    """FILT-02: the three filtered totals sum to the unfiltered one."""
    total = client.call("GET", "/v1/audiences").json()["pagination"]["total"]
    filtered = [
        client.call("GET", f"/v1/audiences?filter[channel]={channel}").json()["pagination"]["total"]
        for channel in ("SMS", "VIBER", "WHATSAPP")
    ]
    assert sum(filtered) == total == 6


@pytest.mark.parametrize("value", ["viber", "Viber", "vIbEr", "VIBER"])
def test_channel_filter_ignores_letter_case(client: Client, value: str) -> None:
    """FILT-03: 'viber' and 'Viber' act as 'VIBER', and links carry the upper-case value."""
    assert channels(client, value) == ["VIBER"] * 3
    first = client.call("GET", "/v1/audiences?" + urlencode({"filter[channel]": value})).json()[
        "pagination"
    ]["links"]["first"]
    assert "filter%5Bchannel%5D=VIBER" in first


@pytest.mark.parametrize(
    "value", ["EMAIL", "VIBERS", " SMS", "SMS,VIBER", "\u017fms", "WHATS APP", "x" * 3000, "%00"]
)
def test_unknown_channel_filter_is_refused_with_1307(client: Client, value: str) -> None:
    """FILT-04: an unknown channel gets 400 with code 1307, never a 5xx."""
    assert_envelope(
        client.call("GET", "/v1/audiences?" + urlencode({"filter[channel]": value})), 400, 1307
    )


def test_empty_channel_filter_is_no_filter(client: Client) -> None:
    """An empty filter[channel] value (left open by the contract) lists every channel."""
    assert len(channels(client, "")) == 6


def test_unknown_query_parameters_are_ignored(client: Client) -> None:
    """ROB-01: parameters the contract does not define change nothing."""
    plain = client.call("GET", "/v1/audiences").json()
    assert (
        client.call(
            "GET", "/v1/audiences?filter[name]=x&sort=-name&foo=%FF%FE&filter[search]=zzz"
        ).json()
        == plain
    )
