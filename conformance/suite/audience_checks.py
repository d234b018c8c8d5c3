"""What an audience must look like wherever an answer shows one (AUD-01, DATE-01, JSON-01), and
what tells two showings of one audience apart; shared by the lifecycle properties."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from conformance.checks.client import body_of
from conformance.contract.facts import CHANNELS
from conformance.verdict.violations import check

# DATE-01: 'yyyy-MM-dd HH:mm:ss' in ASCII digits (strptime alone would take '2026-1-5 1:2:3').
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
COMPARED = ("id", "account_id", "name", "channel", "create_date", "update_date")
# Properties that walk the list check a batch of up to BATCH audiences per walk, over a share
# of the profile's examples: three quarters of the audiences one per example would make, and
# a quarter of the walks (on an account of 5,000 audiences, a walk is 51 pages).
BATCH = 5
BATCHED_SHARE = 0.25


def parse_date(value: Any, field_name: str, response: requests.Response | None) -> datetime:
    """DATE-01: a real calendar time in the contract's format (read as UTC)."""
    check(
        isinstance(value, str) and DATE_PATTERN.fullmatch(value) is not None,
        "DATE-01",
        expected=f"{field_name} formatted 'yyyy-MM-dd HH:mm:ss'",
        received=value,
        response=response,
    )
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        check(
            False,
            "DATE-01",
            expected=f"{field_name} a real calendar time",
            received=value,
            response=response,
        )
        raise


def check_audience(audience: Any, response: requests.Response | None, where: str) -> dict[str, Any]:
    """AUD-01 (every required field with its type) and DATE-01 (both dates) for one audience."""
    check(
        isinstance(audience, dict),
        "AUD-01",
        expected=f"{where}: an audience object",
        received=audience,
        response=response,
    )
    assert isinstance(audience, dict)
    for name in ("id", "account_id", "name", "channel", "create_date", "update_date"):
        check(
            isinstance(audience.get(name), str),
            "AUD-01",
            expected=f"{where}: '{name}' a string",
            received=audience,
            response=response,
        )
    check(
        audience["channel"] in CHANNELS,
        "AUD-01",
        expected=f"{where}: 'channel' one of {', '.join(CHANNELS)}, upper case",
        received=audience["channel"],
        response=response,
    )
    if "contacts_count" in audience:
        count = audience["contacts_count"]
        check(
            type(count) is int and count >= 0,
            "AUD-01",
            expected=f"{where}: 'contacts_count', when present, an integer >= 0",
            received=count,
            response=response,
        )
    if "links" in audience:
        links = audience["links"]
        check(
            isinstance(links, dict) and all(isinstance(value, str) for value in links.values()),
            "AUD-01",
            expected=f"{where}: 'links', when present, an object of strings",
            received=links,
            response=response,
        )
    created = parse_date(audience["create_date"], "create_date", response)
    updated = parse_date(audience["update_date"], "update_date", response)
    check(
        updated >= created,
        "AUD-01",
        expected=f"{where}: update_date >= create_date",
        received=audience,
        response=response,
    )
    return audience


def audience_of(response: requests.Response, status: int, rule: str, what: str) -> dict[str, Any]:
    """The audience of a ``{"data": Audience}`` answer, after checking its status against ``rule``."""
    check(
        response.status_code == status,
        rule,
        expected=f"HTTP {status} for {what}",
        received=f"HTTP {response.status_code}",
        response=response,
    )
    body = body_of(response)
    return check_audience(body.get("data") if isinstance(body, dict) else body, response, what)


def expect_same(
    shown: Mapping[str, Any],
    sent: Mapping[str, Any],
    rule: str,
    where: str,
    response: requests.Response | None = None,
) -> None:
    """Every compared field, and contacts_count when both have it, is the same."""
    fields = COMPARED + (
        ("contacts_count",) if "contacts_count" in shown and "contacts_count" in sent else ()
    )
    differing = {
        name: (sent.get(name), shown.get(name))
        for name in fields
        if shown.get(name) != sent.get(name)
    }
    check(
        not differing,
        rule,
        expected=f"{where} shows the same audience",
        received=f"differs in (expected, shown): {differing}",
        response=response,
    )


def queries_of(audiences: Mapping[str, str]) -> list[tuple[dict[str, str], set[str]]]:
    """The queries that must show (or no longer show) a batch of audiences (id to channel), with
    the ids each must show: the unfiltered list, all of them; the filter of the first one's
    channel, that channel's (one filtered walk a batch: other examples draw other channels)."""
    channel = next(iter(audiences.values()))
    return [
        ({}, set(audiences)),
        (
            {"filter[channel]": channel},
            {key for key, value in audiences.items() if value == channel},
        ),
    ]
