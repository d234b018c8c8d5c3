"""The target under test, and the one path every request of the suite takes to reach it.

Every request, schemathesis' included, goes through :class:`TargetAdapter`. It is the single
place that refuses other origins (PAGE-09: a link must never carry the key elsewhere),
enforces read-only mode, refuses writes to audiences the run did not create (the write
guard), applies the per-request timeout, the run's deadline and its rate limit, waits out
``429`` (ROB-03), applies the user's TLS material, proxy and gateway headers
(:mod:`conformance.transport`), and tells observers (the ledger, the request counter) what
came back.
Nothing else in the suite talks to the network, so each safety rule is enforced once.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from conformance.ratelimit import RateLimiter
from conformance.redaction import KEY_HEADER
from conformance.transport import Transport
from conformance.violations import RuleViolation

AUDIENCES_PATH = "/v1/audiences"

# Bounds that keep a run finite against a misbehaving server.
MAX_RETRY_AFTER_SECONDS = 10.0
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # a full page of 100 audiences is a few dozen KiB
DEFAULT_RETRY_AFTER_SECONDS = 1.0


class TargetError(Exception):
    """Base of the errors the request path raises instead of sending a request."""


class OffTargetError(TargetError):
    """Raised when a request (a link, a redirect) would leave the target's scheme, host and port."""


class ReadOnlyViolation(TargetError):
    """Raised when a request other than GET is attempted in read-only mode."""


class ForeignWriteRefused(TargetError):
    """Raised when a request could change an audience this run did not create (see
    :mod:`conformance.write_guard`): the suite's own error, never the target's."""


class RunDeadlineExceeded(TargetError):
    """Raised when the run's overall time budget is spent; no further request is sent."""


class RateLimited(RunDeadlineExceeded):
    """Raised when the target keeps answering 429 past the retries or the run's time budget:
    a throttled run says nothing about conformance, so it ends without a verdict."""


class ClearTextProxyRefused(TargetError):
    """Raised when a proxy would carry a plain-http request, and with it the key, in clear."""


class ResponseTooLarge(TargetError):
    """Raised when a response body exceeds what any answer of this API could need."""


# What a server that drops a request looks like from here: it closed or reset the connection
# instead of answering, or cut its answer off. (A refused connection, a TLS failure or a
# timeout is not: the server was not reached, or may still be working.)
_DROPS = (
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
    http.client.IncompleteRead,
    urllib3.exceptions.IncompleteRead,
)
DROP_RETRIES = 1  # a keep-alive connection the server closed just as a request left it drops once


class ConnectionDropped(RuleViolation, requests.ConnectionError):
    """ROB-01: the server closed the connection instead of answering a well-formed HTTP request
    (twice in a row: once may be a keep-alive connection closed as the request left). No
    request, however malformed its body, may go unanswered: the violation names ROB-01, in
    whichever test it happens. It is a ``requests.ConnectionError`` as well, so the paths that
    handle lost connections (the preflight, cleanup) keep handling it.

    A timeout is not a dropped connection (the server may still be working): it stays an error
    of the run, which then has no verdict, as before."""

    def __new__(cls, *args: Any, **kwargs: Any) -> ConnectionDropped:
        return requests.ConnectionError.__new__(cls)

    def __init__(self, request: requests.PreparedRequest, words: str) -> None:
        RuleViolation.__init__(
            self,
            "ROB-01",
            expected=f"an HTTP answer to {request.method} {_path_of(request)} (a well-formed HTTP request; malformed content gets a 4xx)",
            received=f"no answer: {words}",
        )
        self.request = request
        self.response = None


def dropped(error: BaseException) -> str:
    """Words for how the connection was lost when ``error`` is a dropped connection; "" otherwise."""
    if isinstance(error, requests.Timeout):
        return ""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (requests.exceptions.SSLError, TimeoutError)):
            return ""
        if isinstance(current, _DROPS):
            if isinstance(current, (http.client.IncompleteRead, urllib3.exceptions.IncompleteRead)):
                return "connection broken: the answer was cut off"
            if isinstance(current, http.client.RemoteDisconnected):
                return "connection aborted: closed without an answer"
            return "connection reset: reset without an answer"
        pending.extend(
            inner
            for inner in (*current.args, current.__cause__, current.__context__)
            if isinstance(inner, BaseException)
        )
    return ""


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
    max_429_retries: int = 3  # 0: a 429 is returned to the caller as it is (ROB-03 looks at them)
    deadline: float | None = None  # time.monotonic() value after which nothing is sent
    observers: list[ResponseObserver] = field(default_factory=list)
    write_guard: RequestGuard | None = None  # refuses writes to audiences the run did not create
    on_deadline: Callable[[], None] | None = None  # stops the run when the deadline is found passed
    transport: Transport = field(default_factory=Transport)
    rate_limiter: RateLimiter | None = None
    on_rate_limited: Callable[[], None] | None = (
        None  # stops the run when the target keeps answering 429
    )


class TargetAdapter(HTTPAdapter):
    """A requests transport adapter that applies :class:`RequestPolicy` to every request."""

    def __init__(self, policy: RequestPolicy) -> None:
        super().__init__(max_retries=0)
        self.policy = policy
        self.requests_sent = 0
        # Requests may leave from several threads at once (VAL-1309's races): ``+=`` on an
        # attribute is a read and a write, so the count is kept under a lock. Everything else
        # send() touches is safe to share: urllib3's pool, and the observers, guard and rate
        # limiter of the policy, which lock themselves.
        self._count_lock = threading.Lock()
        self._proxies = policy.transport.proxies_for(str(policy.origin))

    def send(  # type: ignore[override]
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
            try:
                # The user's TLS material and proxy, whatever the caller passed: schemathesis passes
                # its own defaults, and a request that bypassed them would not reach the staging.
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
            wait = _retry_after_seconds(response)
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
    chunks, size = [], 0
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


def _retry_after_seconds(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER_SECONDS
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _path_of(request: requests.PreparedRequest) -> str:
    return urlsplit(request.url or "").path


class Target:
    """A server under test as one account sees it: base URL, key, and the guarded session.

    Two :class:`Target` objects for two accounts share the policy (same origin, same
    read-only switch) but carry different keys.

    :meth:`request` may be called from several threads at once. A ``requests.Session`` is not
    safe to share between threads (its cookie jar is read while another thread's response
    writes to it, and a load balancer's sticky cookie arrives with every answer), so each
    other thread gets a session of its own, mounted on the one adapter: every request still
    takes the one path, and the adapter's connection pool is shared.
    """

    def __init__(self, base_url: str, api_key: str, policy: RequestPolicy) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.policy = policy
        self.adapter = TargetAdapter(policy)
        self.session = self._new_session()  # the creating thread's, and schemathesis'
        self._owner = threading.get_ident()
        self._local = threading.local()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # proxies from the environment must not see the key
        session.mount("http://", self.adapter)
        session.mount("https://", self.adapter)
        return session

    def _session_here(self) -> requests.Session:
        """This thread's session. Another thread's is never closed: closing a session closes
        its adapters, the shared one included; it holds no connection of its own."""
        if threading.get_ident() == self._owner:
            return self.session
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._new_session()
        return session

    def url(self, path_or_url: str) -> str:
        """A path of the contract (``/v1/audiences``) under the base URL; a full URL as it is."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.base_url + path_or_url

    def follow(self, link: str, *, relative_to: str | None = None) -> str:
        """Resolve a link from a response body as a client would (RFC 3986), against the page's URL."""
        return urljoin(relative_to or self.base_url + "/", link)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        key: str | None = "",
    ) -> requests.Response:
        """Send one request with this account's key (``key=None`` sends none, a string sends that one)."""
        merged = dict(headers or {})
        api_key = self.api_key if key == "" else key
        if api_key is not None and not any(name.lower() == KEY_HEADER.lower() for name in merged):
            merged[KEY_HEADER] = api_key
        return self._session_here().request(
            method,
            self.url(path_or_url),
            params=params,
            json=json,
            data=data,
            headers=merged,
            allow_redirects=False,
        )

    def get(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path_or_url, **kwargs)

    def post(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path_or_url, **kwargs)

    def put(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path_or_url, **kwargs)

    def delete(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path_or_url, **kwargs)

    def close(self) -> None:
        self.session.close()
