"""What a server that drops a request looks like from the request path, and the rule it breaks.

A server that closes or resets the connection instead of answering, or cuts its answer off,
breaks ROB-01 whatever the request held. A refused connection, a TLS failure or a timeout is
not a drop: the server was not reached, or may still be working.
"""

from __future__ import annotations

import http.client
from typing import Any, Self
from urllib.parse import urlsplit

import requests
import urllib3

from conformance.verdict.violations import RuleViolation

# The errors a connection closed, reset or cut off by the server surfaces as.
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

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        return requests.ConnectionError.__new__(cls)

    def __init__(self, request: requests.PreparedRequest, words: str) -> None:
        RuleViolation.__init__(
            self,
            "ROB-01",
            expected=f"an HTTP answer to {request.method} {urlsplit(request.url or '').path} (a well-formed HTTP request; malformed content gets a 4xx)",
            received=f"no answer: {words}",
            writes_can_cause=False,
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
