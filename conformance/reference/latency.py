"""Added latency: the reference answering as a staging across a network would.

Every request waits ``seconds`` before it is handled, without holding up the others (an
asyncio sleep, not a blocked thread), as network round trips overlap for concurrent clients.
``audience-conformance serve --latency-ms 50`` serves it; the benchmarks of workers use it.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send


class Latency:
    """ASGI middleware: every HTTP request is answered ``seconds`` later than it would be."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.seconds > 0:
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)
