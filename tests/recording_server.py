"""A scripted loopback HTTP server's record: what the tests read back from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class RecordingServer:
    """A loopback HTTP server that records every request and answers with a scripted reply."""

    reply: Callable[[str, str], Reply]
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    url: str = ""
