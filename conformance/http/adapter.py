"""The one path every request of the suite takes to reach the target.

Every request, schemathesis' included, goes through :class:`TargetAdapter`. It is the single
place that refuses other origins (PAGE-09: a link must never carry the key elsewhere),
enforces read-only mode, refuses writes to audiences the run did not create (the write
guard), applies the per-request timeout, the run's deadline and its rate limit, waits out
``429`` (ROB-03), applies the user's TLS material, proxy and gateway headers
(:mod:`conformance.http.transport`), and tells observers (the ledger, the request counter) what
came back.
Nothing else in the suite talks to the network, so each safety rule is enforced once.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from conformance.errors import (
    ClearTextProxyRefused,
    OffTargetError,
    RateLimited,
    ReadOnlyViolation,
    ResponseTooLarge,
    RunDeadlineExceeded,
)
from conformance.http.connection_slots import ConnectionSlots
from conformance.http.dropped import DROP_RETRIES, ConnectionDropped, dropped
from conformance.http.in_flight import InFlight, count_request
from conformance.http.methods import SAFE_METHODS
from conformance.http.rate_limit import RateLimiter
from conformance.http.transport import Transport

# Bounds that keep a run finite against a misbehaving server.
MAX_RETRY_AFTER_SECONDS = 10.0
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # a full page of 100 audiences is a few dozen KiB
DEFAULT_RETRY_AFTER_SECONDS = 1.0
ROUND_TRIPS_KEPT = 16
BACKOFF_SECONDS = 0.05  # the bound of the first retry's backoff after a 429, doubled at each try
BACKOFF_CAP_SECONDS = 2.0
# Drawn from the system: the jitter must neither draw from nor disturb the random state Hypothesis
# seeds, nor repeat in workers forked from one process (:mod:`conformance.plugin.warm_starter`).
_JITTER = random.SystemRandom()


ResponseObserver = Callable[[requests.PreparedRequest, requests.Response], None]
RequestGuard = Callable[[requests.PreparedRequest], None]  # raises to keep a request in the process


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port: what two URLs must share for the key to travel between them."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        default_port = 443 if scheme == "https" else 80
        return cls(scheme, (parts.hostname or "").lower(), parts.port or default_port)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@dataclass
class RequestPolicy:
    """What the adapter enforces on every request."""

    origin: Origin
    timeout: float = 10.0
    read_only: bool = False
    max_429_retries: int = 8  # 0: a 429 is returned to the caller as it is (ROB-03 looks at them)
    deadline: float | None = None  # time.monotonic() value after which nothing is sent
    observers: list[ResponseObserver] = field(default_factory=list)
    write_guard: RequestGuard | None = None  # refuses writes to audiences the run did not create
    on_deadline: Callable[[], None] | None = None  # stops the run when the deadline is found passed
    transport: Transport = field(default_factory=Transport)
    rate_limiter: RateLimiter | None = None
    connections: int = 10  # kept open for reuse: the requests this process may keep in flight
    on_rate_limited: Callable[[], None] | None = (
        None  # stops the run when the target keeps answering 429
    )
    in_flight: InFlight = field(default_factory=InFlight)  # sends independent requests together
    connection_slots: ConnectionSlots | None = None  # --concurrency, across the run's processes


class TargetAdapter(HTTPAdapter):
    """A requests transport adapter that applies :class:`RequestPolicy` to every request."""

    def __init__(self, policy: RequestPolicy) -> None:
        # One origin, so one pool, holding as many connections as this process may keep in
        # flight: each is reused, none is opened past them while the pool has one free.
        super().__init__(max_retries=0, pool_connections=1, pool_maxsize=policy.connections)
        self.policy = policy
        self.requests_sent = 0
        # Seconds from leaving (after the rate limit's wait) to the whole answer read, of the
        # latest exchanges: the preflight's tell how far the target is.
        self.round_trips: deque[float] = deque(maxlen=ROUND_TRIPS_KEPT)
        # Requests may leave from several threads at once (VAL-1309's races): ``+=`` on an
        # attribute is a read and a write, so the count is kept under a lock. Everything else
        # send() touches is safe to share: urllib3's pool, and the observers, guard and rate
        # limiter of the policy, which lock themselves.
        self._count_lock = threading.Lock()
        self._proxies = policy.transport.proxies_for(str(policy.origin))

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        policy = self.policy
        destination = Origin.of(request.url or "")
        if destination != policy.origin:
            # PAGE-09: never send anything, the key least of all, to another origin.
            raise OffTargetError(
                f"Refused to send {request.method} to {destination}: the target is {policy.origin}."
            )
        if policy.read_only and request.method != "GET":
            raise ReadOnlyViolation(
                f"Refused to send {request.method} {_path_of(request)}: the run is read-only."
            )
        if self._proxies and policy.origin.scheme == "http":
            raise ClearTextProxyRefused(
                f"Refused to send {request.method} to {policy.origin} through a proxy: over plain http the proxy would read the key; use the https URL."
            )
        if policy.write_guard is not None:
            policy.write_guard(request)
        timeout = policy.timeout if timeout is None else timeout
        transport = policy.transport
        for name, value in transport.headers:
            request.headers[name] = value
        attempt = 0
        drops = 0
        while True:
            self._check_deadline()
            self._wait_for_rate_limit()
            count_request(write=request.method not in SAFE_METHODS)
            try:
                with self._in_flight():
                    left = time.monotonic()
                    # The user's TLS material and proxy, whatever the caller passed: schemathesis
                    # passes its own defaults, and a request that bypassed them would not reach
                    # the staging.
                    response = super().send(
                        request,
                        stream=True,
                        timeout=timeout,
                        verify=transport.verify,
                        cert=transport.client_cert,
                        proxies=self._proxies,
                    )
                    with self._count_lock:
                        self.requests_sent += 1
                    _read_bounded(response)
                self.round_trips.append(time.monotonic() - left)
            except (
                requests.ConnectionError,
                urllib3.exceptions.HTTPError,
                http.client.HTTPException,
                OSError,
            ) as error:
                words = dropped(error)
                if not words:
                    raise
                if drops < DROP_RETRIES:
                    drops += 1
                    continue
                raise ConnectionDropped(request, words) from error
            # ROB-03: a 429 is waited out and retried, never reported as non-conformance.
            if response.status_code != 429 or policy.max_429_retries == 0:
                break
            wait = max(_retry_after_seconds(response), _backoff(attempt))
            if attempt >= policy.max_429_retries or not self._time_left_for(wait):
                response.close()
                if policy.on_rate_limited is not None:
                    policy.on_rate_limited()
                raise RateLimited(
                    f"The target answered 429 to {attempt + 1} tries of {request.method} {_path_of(request)}: it is throttling the run, which says nothing about conformance; set a lower --rate-limit."
                )
            attempt += 1
            response.close()
            time.sleep(wait)
        for observer in policy.observers:
            observer(request, response)
        return response

    def _in_flight(self) -> AbstractContextManager[None]:
        """A slot of ``--concurrency`` for as long as the request is on the wire."""
        slots = self.policy.connection_slots
        return slots.held() if slots is not None else nullcontext()

    def _check_deadline(self) -> None:
        deadline = self.policy.deadline
        if deadline is not None and time.monotonic() > deadline:
            self._budget_spent("The run's time budget is spent; no further request is sent.")

    def _budget_spent(self, message: str) -> None:
        if self.policy.on_deadline is not None:
            self.policy.on_deadline()
        raise RunDeadlineExceeded(message)

    def _time_left_for(self, seconds: float) -> bool:
        deadline = self.policy.deadline
        return deadline is None or time.monotonic() + seconds <= deadline

    def _wait_for_rate_limit(self) -> None:
        limiter = self.policy.rate_limiter
        if limiter is not None and not limiter.wait(self.policy.deadline):
            self._budget_spent(
                f"The run's time budget would be spent before the next request may leave under --rate-limit {limiter.limit}."
            )


def _read_bounded(response: requests.Response) -> None:
    """Read the body now, refusing one larger than MAX_RESPONSE_BYTES (a hostile or broken
    server must not exhaust memory); later reads get the cached bytes."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        response.close()
        raise ResponseTooLarge(
            f"The response declares {int(declared)} bytes; the limit is {MAX_RESPONSE_BYTES}."
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.raw.stream(64 * 1024, decode_content=True):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            response.close()
            # The exception's traceback keeps this frame alive (Hypothesis keeps failures), so
            # the bytes read so far must not stay in it: each would pin 8 MiB.
            chunks.clear()
            raise ResponseTooLarge(f"The response body exceeds {MAX_RESPONSE_BYTES} bytes.")
        chunks.append(chunk)
    response._content = b"".join(chunks)
    response._content_consumed = True


def _backoff(attempt: int) -> float:
    """At least this long before try ``attempt + 2``, whatever Retry-After says. The first retry
    waits only for Retry-After (one request alone meets the next slot of the throttle); from the
    second on, a random share of a doubling bound, so that requests in flight together that met
    one throttle come back apart, not in the same burst again (``Retry-After: 0`` would send
    them straight back)."""
    if attempt == 0:
        return 0.0
    return _JITTER.uniform(0.0, min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2 ** (attempt - 1)))


def _retry_after_seconds(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER_SECONDS
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _path_of(request: requests.PreparedRequest) -> str:
    return urlsplit(request.url or "").path
