"""A rejected request changes nothing (VAL-01): refused creates leave no audience behind,
refused updates rename none.

The faults are the code table's (:mod:`conformance.suite.code_table`), every row of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks.client import audience_path, listed, total_of
from conformance.checks.faults import Fault
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.ledger import iter_audiences
from conformance.http.target import Target
from conformance.suite.code_table import CREATE_FAULTS, RUN, UPDATE_FAULTS
from conformance.verdict.violations import RuleViolation, check


def _ours(target: Target) -> dict[str, str]:
    """id -> name of this run's audiences the query operation lists."""
    prefix = RUN.namer.prefix
    return {
        str(item["id"]): str(item["name"])
        for item in iter_audiences(target)
        if prefix in str(item.get("name"))
    }


NAMELESS = frozenset({"", "None", "null"})  # how _account shows an audience kept without a name


def _account(target: Target) -> tuple[dict[str, str], int]:
    """id -> name of every audience the account lists, and the account's total."""
    return {str(item.get("id")): str(item.get("name")) for item in listed(target)}, total_of(target)


def _seen(seen: list[RuleViolation], condition: bool, **details: Any) -> None:
    """VAL-01's check, remembering its failure for :func:`_first_failure`."""
    try:
        check(condition, "VAL-01", **details)
    except RuleViolation as violation:
        seen.append(violation)
        raise


def _first_failure(send: Callable[[], None], seen: list[RuleViolation]) -> None:
    """Run ``send`` (a Hypothesis test whose requests change the account). A refusal that changed
    something is seen once; replaying that example meets an account that moved on, and
    Hypothesis reports flakiness instead of the failure: the violation seen is reported."""
    try:
        send()
    except hypothesis.errors.Flaky:
        if seen:
            raise seen[0] from None
        raise


def _renamed_by(refused: list[Fault], shown: object) -> str:
    """Which refused update a name shown comes from, when one of them sent it."""
    culprits = [
        fault.what
        for fault in refused
        if isinstance(fault.body, dict)
        and isinstance(fault.body.get("data"), dict)
        and fault.body["data"].get("name", "") == (shown or "")
    ]
    return f" (the name the refused update '{culprits[0]}' sent)" if culprits else ""


def _leaked_id(response: requests.Response) -> str | None:
    """The id a refusal carried anyway, if its body looks like an audience."""
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        return None
    return str(data["id"]) if isinstance(data, dict) and isinstance(data.get("id"), str) else None


@pytest.mark.writes
@pytest.mark.account_wide(repeats=3)
@pytest.mark.rule("VAL-01")
def test_rejected_creates_leave_nothing_behind(target: Target) -> None:
    """VAL-01: after creates refused for any fault of the table, no audience appeared.

    1. List the whole account: its ids and its total.
    2. Each example sends one faulty create of every row; any refusal that carried an id is
       looked up: it must not exist, and one that does is the server's doing, charged at once
       whatever other clients wrote.
    3. List again: no id appeared, whatever its name (a server may keep a refused create under
       a name of its own), and the total did not grow. What carries this run's prefix is
       deleted again; anything else may be another client's, and is left alone.

    Another client creating meanwhile also adds ids: the test is therefore account-wide. New
    audiences of this run's prefix and those without a name (no valid create makes one: only a
    refused create can have left it) are the server's doing, never evidence of another client,
    and fail the rule at once. Others, named, may be another client's: the check is tried
    again, and fails when the same names appear three tries in a row (a server keeping each
    refused create under one name of its own); another client's names differ from try to try.
    """
    before, total_before = _account(target)
    accepted: set[str] = set()
    seen: list[RuleViolation] = []

    @given(data=st.data())
    def send_one_of_each(data: st.DataObject) -> None:
        # The faulty creates of one example are independent: each leaves as soon as it is drawn,
        # beside the others; the lookups of the ids refusals carried are sent together too, and
        # checked in order.
        faults: list[Fault] = []

        def drawn() -> Iterator[Fault]:
            for code, strategy in CREATE_FAULTS.items():
                faults.append(data.draw(strategy, label=str(code)))
                yield faults[-1]

        responses = target.together(
            lambda fault: target.post(AUDIENCES_PATH, json=fault.body), drawn()
        )
        leaks: list[tuple[Fault, str]] = []
        for fault, response in zip(faults, responses, strict=True):
            if response.status_code == 201:
                accepted.add(
                    str(response.json()["data"]["id"])
                )  # a VAL-13xx matter, reported by its own test
                continue
            leaked = _leaked_id(response)
            if leaked is not None:
                leaks.append((fault, leaked))
        lookups = target.together(lambda leak: target.get(audience_path(leak[1])), leaks)
        kept = [
            leak for leak, lookup in zip(leaks, lookups, strict=True) if lookup.status_code != 404
        ]
        RUN.witness.account_for(audience_id for _, audience_id in kept)
        for (fault, _), lookup in zip(leaks, lookups, strict=True):
            # The id a refusal carried exists: the server kept the create, whatever anyone wrote.
            _seen(
                seen,
                lookup.status_code == 404,
                expected=f"the refused create ({fault.what}) left no audience: 404 for the id its answer carried",
                received=f"HTTP {lookup.status_code}",
                response=lookup,
                writes_can_cause=False,
            )

    _first_failure(send_one_of_each, seen)
    after, total_after = _account(target)
    appeared = {
        audience_id: name
        for audience_id, name in after.items()
        if audience_id not in before and audience_id not in accepted
    }
    prefix = RUN.namer.prefix
    for audience_id, name in appeared.items():
        if prefix in name:
            # Named with this run's prefix, so this run made it (without a 201 saying so).
            RUN.ledger.adopt(target.api_key, audience_id)
            target.delete(audience_path(audience_id))
    ours = [name for name in appeared.values() if prefix in name]
    nameless = [name for name in appeared.values() if name in NAMELESS]
    RUN.witness.account_for(
        audience_id for audience_id, name in appeared.items() if prefix in name or name in NAMELESS
    )
    others = sorted(
        name for name in appeared.values() if name not in NAMELESS and prefix not in name
    )
    grown = total_after - total_before - len(accepted)
    check(
        not appeared and grown <= 0,
        "VAL-01",
        writes_can_cause=not (ours or nameless),  # the server's own doing: no write excuses it
        expected="no audience appears after refused creates: no new id in the account, and its total does not grow",
        received=f"{len(ours)} new audience(s) named with this run's prefix, {len(nameless)} without a name, others named {others}; total grew by {grown}",
    )


@pytest.mark.writes
@pytest.mark.rule("VAL-01")
def test_rejected_updates_rename_nothing(
    target: Target, taken_audience: dict[str, Any], updated_audience: dict[str, Any]
) -> None:
    """VAL-01: after updates refused for any fault of the table, neither audience was renamed.

    The updates of one example go together (they change nothing, or the name shown says which
    one did); checked by get after them, then once by listing.
    """
    names = {
        audience["id"]: target.get(audience_path(audience["id"])).json()["data"]["name"]
        for audience in (taken_audience, updated_audience)
    }
    rename_to_taken = st.just(
        Fault(
            1309,
            "rename to a name another audience has",
            {"data": {"name": names[taken_audience["id"]]}},
        )
    )
    updated = audience_path(updated_audience["id"])
    seen: list[RuleViolation] = []

    @given(data=st.data())
    def send_one_of_each(data: st.DataObject) -> None:
        faults = [
            data.draw(strategy, label=str(code))
            for code, strategy in [*UPDATE_FAULTS.items(), (1309, rename_to_taken)]
        ]
        answers = target.together(lambda fault: target.put(updated, json=fault.body), faults)
        # Accepted: a VAL-13xx matter; the name is then one of those accepted.
        accepted = [answer.json()["data"]["name"] for answer in answers if answer.ok]
        refused = [fault for fault, answer in zip(faults, answers, strict=True) if not answer.ok]
        if accepted:
            names[updated_audience["id"]] = accepted[-1]
        if not refused:
            return
        reads = target.together(lambda audience_id: target.get(audience_path(audience_id)), names)
        for (audience_id, name), now in zip(list(names.items()), reads, strict=True):
            shown = (
                now.json().get("data", {}).get("name")
                if now.status_code == 200
                else f"HTTP {now.status_code}"
            )
            allowed = {name, *accepted} if audience_id == updated_audience["id"] else {name}
            if shown in allowed:
                names[audience_id] = shown
            _seen(
                seen,
                shown in allowed,
                expected=f"after the refused updates ({'; '.join(fault.what for fault in refused)}), get shows the name {name!r}",
                received=f"{shown!r}{_renamed_by(refused, shown)}",
                response=now,
            )

    _first_failure(send_one_of_each, seen)
    shown_names = _ours(target)
    for audience_id, name in names.items():
        check(
            shown_names.get(audience_id) == name,
            "VAL-01",
            expected=f"after refused updates, the list shows {audience_id} named {name!r}",
            received=shown_names.get(audience_id, "not listed"),
        )
