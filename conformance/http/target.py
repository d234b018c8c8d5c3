"""The target under test as one account sees it: its base URL, its key, and the guarded session.

Every request leaves through :class:`~conformance.http.adapter.TargetAdapter`, the one request path
that enforces the run's safety rules; a :class:`Target` only adds the account's key and turns
the contract's paths into URLs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import urljoin

import requests

from conformance.contract.facts import KEY_HEADER
from conformance.http.adapter import RequestPolicy, TargetAdapter

Item = TypeVar("Item")
Result = TypeVar("Result")


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

    def together(self, call: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
        """``call`` on each item, their requests in flight together (:mod:`conformance.http.in_flight`)."""
        return self.policy.in_flight.map(call, items)

    def all_together(self, calls: Iterable[Callable[[], Result]]) -> list[Result]:
        """Each of ``calls``, their requests in flight together; their results in order."""
        return self.policy.in_flight.each(calls)

    def close(self) -> None:
        self.session.close()
