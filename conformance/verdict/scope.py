"""What the user chose not to certify: the rules a run leaves out of scope, and why.

A rule is out of scope when the user's choice kept any of its checks from running: ``--rule``,
``-k`` or a narrower test path left some of its tests out, ``--read-only`` skipped the tests that
write, no second key was given, or a test went on without one of its checks for such a reason
(:func:`not_checked`). It is then neither passed nor failed, and a certificate says "CONFORMANT
on N of M". A skip for any other cause is not the user's choice, and is never reported as one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import NoReturn

import pytest

from conformance.contract.rules import RULES

PROPERTY = "rules_out_of_scope"  # a testsuite property: {rule ID: why}, as JSON
IN_TEST_PROPERTY = "left_out"  # a testcase property: "RULE why", a check the test went on without
READ_ONLY = "needs to create or change data, and the run is --read-only"
NO_SECOND_KEY = "needs a second account: pass --secondary-api-key or set AUDIENCE_SECONDARY_API_KEY"
NOT_SELECTED = "not selected: some of its tests were left out (--rule, -k or a narrower test path)"


class OutOfScope(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A test the user's choice keeps from running (read-only, no second key)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def out_of_scope(reason: str) -> NoReturn:
    """Skip the current test because of the user's choice, saying which."""
    raise OutOfScope(reason)


_LEFT_OUT: dict[
    str, str
] = {}  # the running test's checks left out by the user's choice: rule -> why


def not_checked(rule: str, reason: str) -> None:
    """A check of ``rule`` that the user's choice keeps from running, in a test that goes on with
    its other checks: ``rule`` is out of scope, whatever the test's other checks find. Call it
    while the test runs (not from a session fixture, which runs once for many tests)."""
    _LEFT_OUT.setdefault(rule, reason)


def start_test() -> None:
    _LEFT_OUT.clear()


def left_out_in_test() -> dict[str, str]:
    """What :func:`not_checked` said since the running test started."""
    return dict(_LEFT_OUT)


def as_properties(left_out: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(IN_TEST_PROPERTY, f"{rule} {why}") for rule, why in left_out.items()]


def from_properties(properties: Iterable[tuple[str, object]]) -> dict[str, str]:
    """What :func:`as_properties` wrote, read back."""
    pairs = (str(value).partition(" ") for name, value in properties if name == IN_TEST_PROPERTY)
    return {rule: why for rule, _, why in pairs}


def unselected_rules(
    selected: Iterable[Iterable[str]], deselected: Iterable[Iterable[str]]
) -> dict[str, str]:
    """Rules some of whose tests were deselected or never collected (``deselected`` holds the
    rules of each), or none of whose tests was collected at all: a verdict on them would rest
    on part of their checks."""
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
    return (
        {str(rule): str(why) for rule, why in decoded.items()} if isinstance(decoded, dict) else {}
    )
