"""CRUD-01's "the key's account_id": what each key's creates say about its account.

A server's answers cannot be checked against an account the suite knows beforehand, but they
can be checked against each other: every audience created with one key carries one and the
same ``account_id``, and audiences created with the keys of two accounts carry two different
ones. A server that answers one constant ``account_id`` for every key fails the second check;
a server that mixes accounts within one key fails the first. Without a second key only the
first check runs.

Keys are held in memory only, to tell the accounts apart; messages name the account as
"the API key" or "the secondary API key", never the key itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import requests

from conformance.verdict.violations import check


@dataclass
class AccountIds:
    """The account_id each key's first create answered, and the audience that said so."""

    first: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # key -> (account_id, audience id)
    # Creates may be answered on several threads at once (conformance.http.in_flight): the first
    # answer of a key is looked up and recorded as one step.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(
        self, key: str, audience: dict[str, Any], response: requests.Response | None, *, who: str
    ) -> None:
        """CRUD-01: ``audience`` (just created with ``key``) carries the key's one account_id,
        and no other key's."""
        account_id = audience.get("account_id")
        if not isinstance(account_id, str):
            return  # AUD-01's matter (a missing or mistyped field), checked where the audience is read
        with self._lock:
            self._record(key, account_id, audience, response, who)

    def _record(
        self,
        key: str,
        account_id: str,
        audience: dict[str, Any],
        response: requests.Response | None,
        who: str,
    ) -> None:
        known = self.first.get(key)
        if known is not None:
            check(
                account_id == known[0],
                "CRUD-01",
                expected=f"every audience created with {who} carries one account_id, {known[0]!r} (as {known[1]} did)",
                received=account_id,
                response=response,
            )
            return
        for other_key, (other_account, other_audience) in self.first.items():
            check(
                other_key == key or account_id != other_account,
                "CRUD-01",
                expected=f"an account_id of {who}'s own account, not {other_account!r}, which {other_audience} of another account carries",
                received=account_id,
                response=response,
            )
        self.first[key] = (account_id, str(audience.get("id")))


ACCOUNT_IDS = AccountIds()
