"""A server in a process of its own, for the benchmarks that measure across processes.

Reads one JSON line on stdin: ``{"app": "reference", "db": PATH, "keys": {KEY: ACCOUNT}}`` or
``{"app": "bare", "items": N}`` (a fixed page of N audiences, 1 by default). Both are served by :class:`ReferenceServer`, so the bare app runs on the
very same uvicorn settings as the reference. With ``"log": PATH`` the reference writes each
request it receives there (:class:`request_log.RequestLog`) and makes ids that repeat from run
to run (:func:`request_log.counted_ids`). Prints the base URL, then answers
each ``count`` line with the number of requests served; stops when stdin ends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CountingApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance.reference.app import create_app
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store

AUDIENCE = {
    "id": "0" * 32, "account_id": "bench-account", "name": "bench-000000", "channel": "SMS",
    "create_date": "2026-01-01 00:00:00", "update_date": "2026-01-01 00:00:00", "contacts_count": 0,
    "links": {"self": "http://127.0.0.1:8000/v1/audiences/" + "0" * 32, "contacts": "http://127.0.0.1:8000/v1/audiences/" + "0" * 32 + "/contacts"},
}  # fmt: skip


def fixed_body(items: int) -> dict[str, object]:
    """A page-shaped body of ``items`` audiences (one by default: a small fixed answer)."""
    return {
        "data": [AUDIENCE] * items,
        "pagination": {"number": 1, "size": items, "total": items, "links": {}},
    }


def bare_app(items: int = 1) -> Starlette:
    """The ceiling of the stack: Starlette routing and a fixed JSON body, rendered once, nothing else."""
    body = JSONResponse(fixed_body(items)).body

    async def fixed(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", fixed, methods=["GET", "POST"])])


def main() -> None:
    spec = json.loads(sys.stdin.readline())
    store = None
    if spec["app"] == "bare":
        app = CountingApp(bare_app(spec.get("items", 1)))
    else:
        store = Store(spec["db"])
        reference = create_app(store, spec["keys"])
        if "log" in spec:
            from request_log import RequestLog, counted_ids

            counted_ids()
            reference = RequestLog(reference, spec["log"], spec["keys"])
        app = CountingApp(reference)
    try:
        with ReferenceServer(app) as server:
            print(server.base_url, flush=True)
            for line in sys.stdin:
                if line.strip() == "count":
                    print(app.count, flush=True)
    finally:
        if store is not None:
            store.close()


if __name__ == "__main__":
    main()
