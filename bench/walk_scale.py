"""Pagination at scale: the suite's walker over 10,000 and 100,000 audiences, at page sizes 100 and 20.

The database is filled directly (the store's schema, then one bulk insert), not through the
API. The reference serves it from a process of its own; the walker runs in another, so the
peak RSS measured is the walker's alone.
"""

from __future__ import annotations

import math
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from common import child_server, run_json_child

from conformance.reference.clock import utc_now_text
from conformance.reference.keys import generate_key
from conformance.reference.store import Store, new_public_id

ACCOUNT = "bench-account"
CHANNELS = ("SMS", "VIBER", "WHATSAPP")
WALK_TIMEOUT = 900.0


@dataclass(frozen=True)
class WalkResult:
    audiences: int
    page_size: int
    seconds: float
    requests: int
    server_requests: int
    pages: int
    items: int
    rss_mb: float

    @property
    def expected_pages(self) -> int:
        return max(1, math.ceil(self.audiences / self.page_size))


def fill(db: Path, count: int) -> None:
    """``count`` audiences of one account, written straight into the store's tables."""
    Store(str(db)).close()  # the schema, the page-token secret
    now = utc_now_text()
    rows = ((new_public_id(), ACCOUNT, f"bench-{index:06d}", CHANNELS[index % 3], now, now) for index in range(count))
    with sqlite3.connect(db) as connection:
        connection.executemany("INSERT INTO audiences (id, account_id, name, channel, create_date, update_date) VALUES (?, ?, ?, ?, ?, ?)", rows)


def measure(sizes: list[int], page_sizes: list[int]) -> list[WalkResult]:
    results = []
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-walk-") as folder:
            db = Path(folder) / "audiences.sqlite3"
            fill(db, count)
            key = generate_key()
            with child_server({"app": "reference", "db": str(db), "keys": {key: ACCOUNT}}) as server:
                for page_size in page_sizes:
                    before = server.requests_served()
                    walked = run_json_child("walk_child.py", {"base_url": server.base_url, "key": key, "page_size": page_size}, timeout=WALK_TIMEOUT)
                    served = server.requests_served() - before
                    results.append(
                        WalkResult(count, page_size, walked["seconds"], walked["requests"], served, walked["pages"], walked["items"], walked["rss_mb"])
                    )
    return results
