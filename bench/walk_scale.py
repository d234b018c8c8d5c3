"""Pagination at scale: the suite's walker over 10,000 and 100,000 audiences, at page sizes 100 and 20.

The database is filled directly (the store's schema, then one bulk insert), not through the
API. The reference serves it from a process of its own; the walker runs in another, so the
peak RSS measured is the walker's alone.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from big_account import fill
from common import child_server, run_json_child

from conformance.reference.keys import generate_key

ACCOUNT = "bench-account"
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


def measure(sizes: list[int], page_sizes: list[int]) -> list[WalkResult]:
    results = []
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-walk-") as folder:
            db = Path(folder) / "audiences.sqlite3"
            fill(db, ACCOUNT, count, prefix="bench")
            key = generate_key()
            with child_server(
                {"app": "reference", "db": str(db), "keys": {key: ACCOUNT}}
            ) as server:
                for page_size in page_sizes:
                    before = server.requests_served()
                    walked = run_json_child(
                        "walk_child.py",
                        {"base_url": server.base_url, "key": key, "page_size": page_size},
                        timeout=WALK_TIMEOUT,
                    )
                    served = server.requests_served() - before
                    results.append(
                        WalkResult(
                            count,
                            page_size,
                            walked["seconds"],
                            walked["requests"],
                            served,
                            walked["pages"],
                            walked["items"],
                            walked["rss_mb"],
                        )
                    )
    return results
