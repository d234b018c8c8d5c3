"""The suite catches the mutants of :mod:`mutation.mutants_races` whatever the seed, and passes the
reference; the mutants really let racing requests take one name twice, or refuse them all."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from conformance.checks.simultaneous import Racers
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.target import Target
from conformance.reference.app import create_app
from mutation import catalogue
from mutation.catalogue import MUTANTS, Server
from mutation.harness import SuiteRun, run_suite, serve

catalogue.load_all()
# The mutants whose fault shows only when requests race: a name taken twice, or refused to all.
OURS = ("names-checked-before-an-await", "racing-creates-all-refused", "racing-renames-all-refused")
RACE_TESTS = "test_name_races::"
SEEDS = (1, 2, 3)


def explain(run: SuiteRun) -> str:
    return f"exit {run.exit_code}, failed rules {sorted(run.failed_rules())}\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"


def test_racing_creates_both_succeed_on_the_mutant() -> None:
    """The fault is real: two creates of one name sent together both answer 201, and the account
    then lists the name twice (sent one after the other, the second is refused)."""
    with serve(MUTANTS["names-checked-before-an-await"]) as served:
        target = Target(
            served.base_url, served.api_key, RequestPolicy(origin=Origin.of(served.base_url))
        )
        body = {"data": {"name": "raced", "channel": "SMS"}}
        with Racers(2) as racers:
            statuses = [
                response.status_code
                for response in racers.at_once(
                    [partial(target.post, AUDIENCES_PATH, json=body)] * 2
                )
            ]
        listed = target.get(AUDIENCES_PATH, params={"page_size": 100}).json()["data"]
        alone = target.post(AUDIENCES_PATH, json=body)
        target.close()
    assert statuses == [201, 201]
    assert [item["name"] for item in listed] == ["raced", "raced"]
    assert alone.status_code == 409 and alone.json()["errors"][0]["code"] == 1309


def test_racing_requests_for_a_free_name_are_all_refused_on_the_mutants() -> None:
    """The faults are real: two renames (or creates) of one free name sent together both answer
    409 code 1309, and the name stays free; sent alone, the same request succeeds."""
    with serve(MUTANTS["racing-renames-all-refused"]) as served:
        target = Target(
            served.base_url, served.api_key, RequestPolicy(origin=Origin.of(served.base_url))
        )
        ids = [
            target.post(
                AUDIENCES_PATH, json={"data": {"name": f"contender{index}", "channel": "SMS"}}
            ).json()["data"]["id"]
            for index in range(2)
        ]
        with Racers(2) as racers:
            raced = racers.at_once(
                [
                    partial(
                        target.put,
                        f"{AUDIENCES_PATH}/{audience_id}",
                        json={"data": {"name": "free"}},
                    )
                    for audience_id in ids
                ]
            )
        names = sorted(
            target.get(f"{AUDIENCES_PATH}/{audience_id}").json()["data"]["name"]
            for audience_id in ids
        )
        alone = target.put(f"{AUDIENCES_PATH}/{ids[0]}", json={"data": {"name": "free"}})
        target.close()
    assert [response.status_code for response in raced] == [409, 409]
    assert all(response.json()["errors"][0]["code"] == 1309 for response in raced)
    assert names == ["contender0", "contender1"]
    assert alone.status_code == 200 and alone.json()["data"]["name"] == "free"
    with serve(MUTANTS["racing-creates-all-refused"]) as served:
        target = Target(
            served.base_url, served.api_key, RequestPolicy(origin=Origin.of(served.base_url))
        )
        body = {"data": {"name": "free", "channel": "SMS"}}
        with Racers(2) as racers:
            statuses = [
                response.status_code
                for response in racers.at_once(
                    [partial(target.post, AUDIENCES_PATH, json=body)] * 2
                )
            ]
        listed = target.get(AUDIENCES_PATH, params={"page_size": 100}).json()["data"]
        alone = target.post(AUDIENCES_PATH, json=body)
        target.close()
    assert statuses == [409, 409]
    assert listed == []
    assert alone.status_code == 201


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", OURS)
def test_the_suite_catches_the_mutant(name: str, seed: int, tmp_path: Path) -> None:
    """Only the racing tests can catch it: every test of the rule that sends one request at a
    time passes."""
    server = MUTANTS[name]
    assert server.rule is not None
    with serve(server) as served:
        run = run_suite(
            served, profile="quick", rules=(server.rule,), junit_dir=tmp_path, seed=seed
        )
    assert run.exit_code == 1, explain(run)
    assert server.rule in run.failed_rules(), explain(run)
    failing = {record.nodeid for record in run.records if record.failed_rules}
    assert failing and all(RACE_TESTS in nodeid for nodeid in failing), (
        f"{sorted(failing)}\n{explain(run)}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_reference_passes(seed: int, tmp_path: Path) -> None:
    with serve(Server("reference", "the reference server", create_app)) as served:
        run = run_suite(
            served,
            profile="quick",
            rules=("VAL-1309", "CRUD-01", "CRUD-03"),
            junit_dir=tmp_path,
            seed=seed,
        )
    assert run.exit_code == 0, explain(run)
