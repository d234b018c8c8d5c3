"""The pagination and filter rules on servers beside the catalogue's mutants (each caught in
:mod:`mutation.test_mutants`): the reference passes them also when the account already holds many
other audiences; a clamped page size fails only the SHOULD level; an empty collection the suite
cannot see is shown not exercised."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from conformance.reference.app import create_app
from conformance.reference.store import Store
from conformance.verdict.outcomes import Outcome
from mutation import catalogue
from mutation.catalogue import MUTANTS, ASGIApp, Server
from mutation.harness import SuiteRun, run_suite, serve

catalogue.load_all()
RULES = tuple(f"PAGE-{number:02d}" for number in range(1, 13)) + (
    "FILT-01",
    "FILT-02",
    "FILT-03",
    "FILT-04",
    "CRUD-06",
)
OTHER_AUDIENCES = 150


def explain(run: SuiteRun) -> str:
    return f"exit {run.exit_code}, failed rules {sorted(run.failed_rules())}\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"


def with_other_audiences(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """The reference over an account that already holds audiences the suite did not make."""
    account = next(iter(keys.values()))
    for index in range(OTHER_AUDIENCES):
        store.create_audience(
            account, f"Other-{index:03d}", ("SMS", "VIBER", "WHATSAPP")[index % 3], []
        )
    return create_app(store, keys)


@pytest.mark.slow
def test_the_reference_passes_when_the_account_holds_other_audiences(tmp_path: Path) -> None:
    with serve(
        Server(
            "reference-with-others",
            f"the reference, {OTHER_AUDIENCES} audiences already there",
            with_other_audiences,
        )
    ) as served:
        run = run_suite(
            served, profile="quick", rules=RULES, extra=("--strict",), junit_dir=tmp_path
        )
    assert run.exit_code == 0, explain(run)


@pytest.mark.slow
def test_clamping_a_large_page_size_fails_only_the_should_level(tmp_path: Path) -> None:
    """Section 9: clamping page_size over 100 is tolerated at MUST level; PAGE-10 (SHOULD) still reports it."""
    with serve(MUTANTS["page-size-over-100-is-clamped"]) as served:
        run = run_suite(served, profile="quick", rules=("PAGE-10", "PAGE-01"), junit_dir=tmp_path)
    assert run.exit_code == 0, explain(run)
    assert run.failed_rules() == {"PAGE-10"}, explain(run)


def with_every_channel_filled(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """The reference where both accounts already hold an audience of each channel: no channel filter is empty."""
    for account in keys.values():
        for channel in ("SMS", "VIBER", "WHATSAPP"):
            store.create_audience(account, f"Filled-{channel}", channel, [])
    return create_app(store, keys)


@pytest.mark.slow
def test_an_empty_collection_the_suite_cannot_see_is_shown_not_exercised(tmp_path: Path) -> None:
    """PAGE-05's empty collection needs an empty channel filter: where every channel of both
    accounts holds audiences, the test ends not exercised with its reason, and the certificate
    lists it so beside the rule's passed tests, never as one more pass."""
    with serve(
        Server(
            "every-channel-filled",
            "the reference, every channel of both accounts holding an audience",
            with_every_channel_filled,
        )
    ) as served:
        run = run_suite(served, profile="quick", rules=("PAGE-05",), junit_dir=tmp_path)
    assert run.exit_code == 0, explain(run)
    record = next(
        record
        for record in run.records
        if record.nodeid.endswith("test_an_empty_collection_is_one_page")
    )
    found = record.outcome_for("PAGE-05")
    assert found is not None and found.outcome is Outcome.NOT_EXERCISED, explain(run)
    assert "no channel filter of the first or second account is empty" in record.detail
    certificate = json.loads((tmp_path / "certificate.json").read_text())
    row = next(rule for rule in certificate["rules"] if rule["id"] == "PAGE-05")
    assert {
        "nodeid": "test_pagination_edge_cases::test_an_empty_collection_is_one_page",
        "outcome": "not exercised",
    } in row["tests"], row
