"""What went wrong between the suite and the target, said in words a user acts on.

Library class names (``ConnectionError``, ``HTTPError``) say nothing to someone whose base URL
has a typo; every message about the wire is built from here.
"""

from __future__ import annotations

import requests

from conformance.target import TargetError


def describe_connection_error(error: BaseException) -> str:
    """What went wrong on the wire, in words (no library class names)."""
    if isinstance(error, requests.exceptions.SSLError):
        return "the TLS handshake failed"
    if isinstance(error, requests.exceptions.ProxyError):
        return "the proxy did not pass the request on"
    text = str(error).lower()
    for marker, words in (
        ("refused", "connection refused"),
        ("name or service not known", "its host name does not resolve"),
        ("nodename nor servname", "its host name does not resolve"),
        ("failed to resolve", "its host name does not resolve"),
        ("temporary failure in name resolution", "its host name does not resolve"),
        ("remotedisconnected", "the connection was closed without an answer"),
        ("connection aborted", "the connection was closed without an answer"),
        ("connection reset", "the connection was reset"),
        ("network is unreachable", "the network is unreachable"),
        ("no route to host", "no route to the host"),
        ("badstatusline", "the answer is not HTTP"),
        ("invalid", "the answer is not HTTP"),
    ):
        if marker in text:
            return words
    if isinstance(error, TargetError):
        return str(error).rstrip(".")  # the request path's own refusal, already in words
    return "the connection failed"
