"""What the witness reads of the target: a walk of an account's unfiltered list, gets of ids,
and, from any answer, the audiences it shows, their create dates and the server's clock.

Answers are read leniently: the witness observes every answer of the run, faulty ones too,
and a part it cannot read is no evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import orjson
import requests

from conformance.contract.facts import AUDIENCES_PATH
from conformance.errors import TargetError
from conformance.http.target import Target

PAGES_PER_WALK = 200  # a looking walk stops there (100 items a page): a bound, not a verdict
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # DATE-01, UTC


@dataclass(frozen=True)
class Looked:
    """What one walk of a list showed: its ids, and the server's clock at its start."""

    ids: set[str]
    began: datetime | None


def walk_list(target: Target) -> Looked | None:
    """A walk of the unfiltered list (its answers observed on the way); None if it broke off."""
    listed: set[str] = set()
    began: datetime | None = None
    url: str | None = target.url(AUDIENCES_PATH)
    params: dict[str, str] | None = {"page_size": "100"}
    try:
        for _ in range(PAGES_PER_WALK):
            assert url is not None
            response = target.get(url, params=params)
            if response.status_code != 200:
                return None
            began = began or server_clock(response)
            listed.update(item for item, _ in items_in(response))
            link = next_link(response)
            if link is None:
                return Looked(listed, began)
            url, params = target.follow(link, relative_to=response.url), None
    except (requests.RequestException, TargetError, ValueError):
        return None
    return None


def ask_for(target: Target, ids: Sequence[str]) -> None:
    """A get of each id (observed: one that answers 404 is gone)."""
    for item in ids:
        try:
            target.get(f"{AUDIENCES_PATH}/{item}")
        except (requests.RequestException, TargetError):
            return


def made_after(created: datetime | None, baseline_began: datetime | None) -> bool:
    """Whether an audience first shown after the baseline may have been made after it began: a
    create_date before that second means it existed then, and the baseline walk lost it (the
    server's fault, no evidence). Without both dates nothing shows it new."""
    return (
        created is not None
        and baseline_began is not None
        and created >= baseline_began.replace(microsecond=0)
    )


def server_clock(response: requests.Response) -> datetime | None:
    return clock_of(response.headers.get("Date"))


def clock_of(date: str | None) -> datetime | None:
    """A Date header's time, in UTC without a zone (None when missing or unreadable)."""
    if not date:
        return None
    try:
        return parsedate_to_datetime(date).astimezone(UTC).replace(tzinfo=None)
    except (TypeError, ValueError, IndexError):
        return None


def body_of(response: requests.Response) -> object:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def items_in(response: requests.Response) -> list[tuple[str, object]]:
    """The audiences an answer shows (a page's items, or one audience): id and create_date as
    sent (every answer of the run passes here: dates are read only when evidence is asked for)."""
    body = body_of(response)
    data = body.get("data") if isinstance(body, dict) else None
    items = data if isinstance(data, list) else [data]
    return [
        (item["id"], item.get("create_date"))
        for item in items
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]


def create_date_of(value: object) -> datetime | None:
    try:
        return datetime.strptime(value, DATE_FORMAT) if isinstance(value, str) else None
    except ValueError:
        return None


def next_link(response: requests.Response) -> str | None:
    body = body_of(response)
    pagination = body.get("pagination") if isinstance(body, dict) else None
    links = pagination.get("links") if isinstance(pagination, dict) else None
    link = links.get("next") if isinstance(links, dict) else None
    return link if isinstance(link, str) and link else None
