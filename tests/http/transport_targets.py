"""The targets the transport's tests open: the canary key and tenant they carry, and the list that
closes them after each test (a kept-alive connection must not outlive its server)."""

from __future__ import annotations

from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.target import Target
from conformance.http.transport import Transport

KEY = "canary-transport-key-7c41d09e"
TENANT = "canary-tenant-value-3b8e5f21"
SECOND_KEY = "canary-transport-second-0a1b"
OPENED: list[Target] = []


def target_for(url: str, transport: Transport, **policy: object) -> Target:
    """A target of ``url`` with the canary key, closed at the end of the test."""
    target = Target(url, KEY, RequestPolicy(origin=Origin.of(url), transport=transport, **policy))  # type: ignore[arg-type]
    OPENED.append(target)
    return target
