"""The write guard: a request may change an audience only when this run created it.

A shared staging account holds audiences that belong to people and to other pipelines. The
suite must never rename or delete one of them, whatever a test, schemathesis' generated data
or a state machine following links asks for. So the one request path asks this guard before
any request leaves the process, and it refuses, before sending, every request that could
change an audience unless the audience's id

- came from a ``201`` of this run (the :class:`~conformance.http.ledger.Ledger`), or
- was minted by the suite to be absent: an id drawn with enough randomness that no server
  holds it (:meth:`WriteGuard.mint_absent`), or an id outside section 1's pattern, which no
  conformant server gives out (:meth:`WriteGuard.mint_malformed`).

The id is read the way a server might route it: percent-decoded, with repeated slashes and
dot-segments resolved, as well as exactly as sent; every reading must name an id the run may
touch. ``PUT`` and ``DELETE`` of the collection itself are refused (they could only mean
"every audience"). ``POST`` to the collection creates, which is always the run's own.
A refusal is recorded as well as raised, so a test that swallows the error cannot hide it.
"""

from __future__ import annotations

import posixpath
import re
import secrets
import threading
import uuid
from collections.abc import Container
from urllib.parse import unquote, urlsplit

import requests

from conformance.contract.facts import AUDIENCES_PATH
from conformance.errors import ForeignWriteRefused
from conformance.http.ledger import Ledger
from conformance.http.methods import SAFE_METHODS

COLLECTION_WRITES = frozenset({"PUT", "DELETE"})
WELL_FORMED_ID = re.compile(
    r"^[A-Za-z0-9_-]{1,64}\Z"
)  # section 1 [decided]; \Z: no newline after it
ABSENT_SHAPES = ("token", "uuid", "hex", "digits")


class WriteGuard:
    """Knows which audience ids this run may change, and refuses requests to any other."""

    def __init__(self, ledger: Ledger, *, base_path: str, run_prefix: str) -> None:
        self.ledger = ledger
        self.collection = (base_path.rstrip("/") + AUDIENCES_PATH).lower()
        self.run_prefix = run_prefix
        self.refusals: list[str] = []
        self.writes_let_through = 0  # any at all, and the end of the run sweeps for leftovers
        self._minted: set[str] = set()
        self._lock = threading.Lock()

    def mint_absent(self, shape: str = "token") -> str:
        """A well-formed id that no server holds: 122 or more random bits in one of the shapes
        servers use (a run-prefixed token, a UUID, 32 hex digits, a 20-digit number)."""
        if shape == "uuid":
            identifier = str(uuid.uuid4())
        elif shape == "hex":
            identifier = secrets.token_hex(16)
        elif shape == "digits":
            identifier = str(secrets.randbelow(9 * 10**19) + 10**19)[:20]
        elif shape == "token":
            identifier = f"{self.run_prefix}absent{secrets.token_hex(12)}"
        else:
            raise ValueError(
                f"Unknown id shape '{shape}'; choose one of {', '.join(ABSENT_SHAPES)}."
            )
        with self._lock:
            self._minted.add(identifier)
        return identifier

    def mint_malformed(self, identifier: str) -> str:
        """Allow writes to ``identifier``, which must lie outside section 1's pattern (so no
        conformant server can hold it) and, read as a path, name no other id."""
        if WELL_FORMED_ID.match(identifier):
            raise ValueError(
                f"'{identifier}' is a well-formed id: use mint_absent() for an id that must not exist."
            )
        with self._lock:
            self._minted.add(identifier)
        return identifier

    def may_write(self, audience_id: str, of: Container[str] | None = None) -> bool:
        """Whether a request may change the audience ``audience_id`` (one of ``of``, if given)."""
        with self._lock:
            if audience_id in self._minted:
                return True
        return self.ledger.owns(audience_id) and (of is None or audience_id in of)

    def allows(self, method: str, path: str, *, of: Container[str] | None = None) -> bool:
        """Whether a request of ``method`` to the URL path ``path`` may leave the process; with
        ``of``, whether it changes none of the run's audiences but those (or ids minted absent)."""
        method = method.upper()
        return method in SAFE_METHODS or self._problem(method, path, of) is None

    def check(self, request: requests.PreparedRequest) -> None:
        """Raise :class:`ForeignWriteRefused` unless ``request`` may leave the process."""
        method = (request.method or "GET").upper()
        if method in SAFE_METHODS:
            return
        problem = self._problem(method, urlsplit(request.url or "").path)
        if problem is None:
            with self._lock:
                self.writes_let_through += 1
            return
        message = f"Refused to send {method} {urlsplit(request.url or '').path}: {problem}"
        with self._lock:
            self.refusals.append(message)
        raise ForeignWriteRefused(message)

    def _problem(self, method: str, raw_path: str, of: Container[str] | None = None) -> str | None:
        for reading in (self._as_sent(raw_path), self._as_routed(raw_path)):
            if reading is None:
                continue
            if reading == "":
                if method in COLLECTION_WRITES:
                    return "it would act on the whole collection of audiences."
                continue
            if not self.may_write(reading, of):
                return f"the audience '{reading}' was not created by this run."
        return None

    def _as_sent(self, raw_path: str) -> str | None:
        """The id segment exactly as sent (percent-decoded once): None off the collection,
        '' for the collection itself."""
        lowered = raw_path.lower()
        if lowered.rstrip("/") == self.collection:
            return ""
        if not lowered.startswith(self.collection + "/"):
            return None
        return unquote(raw_path[len(self.collection) + 1 :].split("/")[0])

    def _as_routed(self, raw_path: str) -> str | None:
        """The id segment as a server that decodes and normalises the path would route it."""
        routed = posixpath.normpath("/" + re.sub("/+", "/", unquote(raw_path)).lstrip("/"))
        lowered = routed.lower()
        if lowered == self.collection:
            return ""
        if not lowered.startswith(self.collection + "/"):
            return None
        return routed[len(self.collection) + 1 :].split("/")[0]
