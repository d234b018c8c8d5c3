"""CRUD-01's account_id, checked against the key that created the audience: one account_id per
key, another one for another key's account."""

from __future__ import annotations

import pytest

from conformance.checks.accounts import AccountIds
from conformance.verdict.violations import RuleViolation


def _audience(number: int, account_id: object) -> dict[str, object]:
    return {"id": f"a{number}", "account_id": account_id}


def test_one_account_id_per_key_and_another_per_account_passes() -> None:
    ids = AccountIds()
    for number in range(3):
        ids.record("key-a", _audience(number, "acct-a"), None, who="the API key")
    ids.record("key-b", _audience(9, "acct-b"), None, who="the secondary API key")
    ids.record("key-b", _audience(10, "acct-b"), None, who="the secondary API key")


def test_a_constant_account_id_for_two_keys_fails_crud_01() -> None:
    """A server answering one account_id whatever the key: the second key's first create fails."""
    ids = AccountIds()
    ids.record("key-a", _audience(1, "acct-1"), None, who="the API key")
    with pytest.raises(RuleViolation) as raised:
        ids.record("key-b", _audience(2, "acct-1"), None, who="the secondary API key")
    assert raised.value.rule == "CRUD-01"
    assert "the secondary API key" in raised.value.expected and "acct-1" in raised.value.expected
    assert "key-" not in str(raised.value)  # keys are never named in messages


def test_two_account_ids_for_one_key_fails_crud_01() -> None:
    """Without a second key, the one key's creates must still agree with each other."""
    ids = AccountIds()
    ids.record("key-a", _audience(1, "acct-a"), None, who="the API key")
    with pytest.raises(RuleViolation) as raised:
        ids.record("key-a", _audience(2, "acct-z"), None, who="the API key")
    assert raised.value.rule == "CRUD-01" and raised.value.received == "acct-z"


def test_a_missing_account_id_is_left_to_aud_01() -> None:
    """Not a string: AUD-01's matter where the audience is read; nothing recorded here."""
    ids = AccountIds()
    ids.record("key-a", _audience(1, None), None, who="the API key")
    ids.record("key-a", _audience(2, "acct-a"), None, who="the API key")
    assert ids.first == {"key-a": ("acct-a", "a2")}
