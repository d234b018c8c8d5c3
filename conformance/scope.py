"""What the user chose not to certify: the rules a run leaves out of scope, and why.

A rule is out of scope when the user's choice kept its checks from running: ``--rule`` or
``-k`` left some of its tests out, ``--read-only`` skipped the tests that write, no second key
was given. It is then neither passed nor failed, and a certificate says "CONFORMANT on N of M".
A skip for any other cause is not the user's choice, and is never reported as one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import pytest

from conformance.rules import RULES

PROPERTY = "rules_out_of_scope"  # a testsuite property: {rule ID: why}, as JSON
READ_ONLY = "needs to create or change data, and the run is --read-only"
NO_SECOND_KEY = "needs a second account: pass --secondary-api-key or set AUDIENCE_SECONDARY_API_KEY"
NOT_SELECTED = "not selected: some of its tests were left out (--rule, -k or a narrower test path)"


class OutOfScope(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A test the user's choice keeps from running (read-only, no second key)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def out_of_scope(reason: str) -> None:
    """Skip the current test because of the user's choice, saying which."""
    raise OutOfScope(reason)


def unselected_rules(selected: Iterable[Iterable[str]], deselected: Iterable[Iterable[str]]) -> dict[str, str]:
    """Rules some of whose tests were deselected, or none of whose tests was collected at all:
    a verdict on them would rest on part of their checks."""
    chosen = {rule for rules in selected for rule in rules}
    left_out = {rule for rules in deselected for rule in rules}
    return {rule.id: NOT_SELECTED for rule in RULES if rule.id in left_out or rule.id not in chosen}


def encode(scope: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(scope.items())), ensure_ascii=False)


def decode(value: str | None) -> dict[str, str]:
    """The property as written; a missing or unreadable one puts nothing out of scope."""
    if not value:
        return {}
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError:
        return {}
    return {str(rule): str(why) for rule, why in decoded.items()} if isinstance(decoded, dict) else {}
