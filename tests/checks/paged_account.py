"""An account served as the contract pages it, on a real loopback server, for the tests of
evidence before excuse: other clients may change it between reads, or the server may be wrong in
ways that vary from read to read; and a target whose witness watches every read."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import SupportsIndex
from urllib.parse import parse_qs, urlsplit

from recording_server import RecordingServer, Reply

from conformance.checks.walk_invariants import check_complete
from conformance.checks.walk_model import Query
from conformance.checks.walker import walk
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.evidence import Witness
from conformance.http.target import Target

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
NO_PAUSES = (0.0, 0.0, 0.0, 0.0)
JSON = {"Content-Type": "application/json"}
PAGE_SIZE = 2
OLD = "2020-01-01 00:00:00"


def now() -> str:
    return in_seconds(0)


def in_seconds(seconds: float) -> str:
    """A create_date (DATE-01) ``seconds`` from now."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


class Made(list[str]):
    """An account's ids, each with the second it was put there (an audience's create_date)."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        super().__init__(ids)
        self.dates = dict.fromkeys(self, now())

    def insert(self, index: SupportsIndex, item: str) -> None:
        self.dates.setdefault(item, now())
        super().insert(index, item)

    def append(self, item: str) -> None:
        self.dates.setdefault(item, now())
        super().append(item)


@dataclass
class Account:
    """An account's audiences served as the contract pages them (by position, page size 2 at
    most), with a get by id; ``wrong`` may rewrite a later page's ids, a fault of the server."""

    ids: list[str]
    wrong: Callable[[int, list[str]], list[str]] | None = None
    total_shift: Callable[[], int] = lambda: 0
    before_page: list[Callable[[int], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ids = Made(self.ids)

    def audience(self, item: str) -> dict[str, str]:
        """Audiences named ``a...`` are old; any other one was made when it was put in the account."""
        made = OLD if item.startswith("a") else self.ids.dates.get(item, now())  # type: ignore[attr-defined]
        return {"id": item, "create_date": made}

    def reply(self, method: str, path: str) -> Reply:
        url = urlsplit(path)
        if url.path.rstrip("/") != "/v1/audiences":
            found = url.path.rsplit("/", 1)[-1] in self.ids
            body = (
                {"data": self.audience(url.path.rsplit("/", 1)[-1])}
                if found
                else {"errors": [{"code": 1301, "message": "not found"}]}
            )
            return (200 if found else 404), JSON, json.dumps(body).encode()
        query = parse_qs(url.query)
        size = min(int(query.get("page_size", ["2"])[0]), PAGE_SIZE)
        number = int(query.get("page", ["1"])[0])
        for hook in self.before_page:
            hook(number)
        ids = self.ids[(number - 1) * size : number * size]
        if self.wrong is not None and number > 1:
            ids = self.wrong(number, ids)
        last = number * size >= len(self.ids)
        links = {
            "first": f"/v1/audiences?page_size={size}",
            "current": f"/v1/audiences?page_size={size}&page={number}",
            "previous": None
            if number == 1
            else f"/v1/audiences?page_size={size}&page={number - 1}",
            "next": None if last else f"/v1/audiences?page_size={size}&page={number + 1}",
        }
        body = {
            "data": [self.audience(item) for item in ids],
            "pagination": {
                "number": number,
                "size": len(ids),
                "total": len(self.ids) + self.total_shift(),
                "links": links,
            },
        }
        return 200, JSON, json.dumps(body).encode()


def watched(server: RecordingServer, owned: set[str] | None = None) -> tuple[Target, Witness]:
    owns = (owned or set()).__contains__
    witness = Witness(owns)
    target = Target(
        server.url,
        "k-evidence",
        RequestPolicy(origin=Origin.of(server.url), observers=[witness.observe]),
    )
    witness.watch([target])
    return target, witness


def complete_walk(target: Target) -> Callable[[], None]:
    """The check of PAGE-04 a test of the whole account makes: walk at page size 2, complete."""
    return lambda: check_complete(walk(target, Query("/v1/audiences", 2)))
