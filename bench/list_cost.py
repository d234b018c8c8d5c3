"""Where the time of one list request goes, in process (no network, no server loop).

The ASGI app is called directly with a request for a page of 20 and of 100 audiences; beside the
whole request, its parts are timed alone: the store reading the rows as records, the records
turned into response views, and the views encoded as JSON. Each figure is the best of several
rounds, in microseconds per request. It explains the throughput table: what the reference adds
per request to what the server stack costs.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from walk_scale import ACCOUNT, fill

from conformance.reference.app import create_app
from conformance.reference.keys import generate_key
from conformance.reference.store import Store
from conformance.reference.views import audience_view

AUDIENCES = 1000
ROUNDS = 7
REQUESTS = 200
BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class ListCost:
    page_size: int
    request_us: float  # the whole request through the ASGI app
    records_us: float  # Store.list_audiences: page_size + 1 rows read as records
    views_us: float  # the records as response views
    json_us: float  # the page's views encoded

    @property
    def per_item_us(self) -> float:
        return (self.records_us + self.views_us + self.json_us) / self.page_size


def best_microseconds(work: Callable[[], object], repeats: int = REQUESTS) -> float:
    work()
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(repeats):
            work()
        best = min(best, (time.perf_counter() - started) / repeats)
    return best * 1e6


def measure(page_sizes: list[int]) -> list[ListCost]:
    with tempfile.TemporaryDirectory(prefix="bench-list-cost-") as folder:
        db = Path(folder) / "audiences.sqlite3"
        fill(db, AUDIENCES)
        store = Store(str(db))
        try:
            key = generate_key()
            app = create_app(store, {key: ACCOUNT})
            return [_measure_one(app, store, key, size) for size in page_sizes]
        finally:
            store.close()


def _measure_one(app: Any, store: Store, key: str, page_size: int) -> ListCost:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/v1/audiences", "raw_path": b"/v1/audiences", "query_string": f"page_size={page_size}".encode(), "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"x-dexatel-key", key.encode())], "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"the list answered HTTP {message['status']}")

    async def requests() -> None:
        for _ in range(REQUESTS):
            await app(dict(scope), receive, send)

    loop = asyncio.new_event_loop()
    try:
        request_us = (
            best_microseconds(lambda: loop.run_until_complete(requests()), repeats=1) / REQUESTS
        )
    finally:
        loop.close()
    records = store.list_audiences(ACCOUNT, None, 0, page_size + 1)
    views = [audience_view(record, BASE_URL) for record in records[:page_size]]
    return ListCost(
        page_size,
        request_us,
        best_microseconds(lambda: store.list_audiences(ACCOUNT, None, 0, page_size + 1)),
        best_microseconds(
            lambda: [audience_view(record, BASE_URL) for record in records[:page_size]]
        ),
        best_microseconds(lambda: orjson.dumps({"data": views})),
    )
