"""The stateful test writes only to audiences its own scenarios created.

The run's other audiences are what later tests count and collide with (the data set a walk must
find whole, the audience whose name a rename must be refused): a scenario that renamed or
deleted one, following a link from the account's list, failed a conformant server later in the
run (VAL-1309's rename to a taken name answered 200, its name freed). Here the run owns a dozen
audiences of other tests before its scenarios start, and every one is as it was after them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from staging import run_cli, shared_staging, with_plugin

pytestmark = pytest.mark.slow

# Loaded into the child as a pytest plugin: audiences of the run made just before the scenarios,
# and what each answers just after them, written to a file.
OTHER_TESTS_AUDIENCES = """
import json
import os
from pathlib import Path

import pytest

from conformance.checks.client import audience_path, create_audience
from conformance.run.session import active


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if item.name != "test_linked_operations_keep_state":
        return (yield)
    run = active()
    made = [create_audience(run.primary, run.namer.fresh(), "SMS") for _ in range(12)]
    try:
        return (yield)
    finally:
        after = {}
        for audience in made:
            answer = run.primary.get(audience_path(audience["id"]))
            name = answer.json()["data"]["name"] if answer.status_code == 200 else None
            after[audience["id"]] = [answer.status_code, name]
        Path(os.environ["OTHER_TESTS_AUDIENCES"]).write_text(
            json.dumps({"made": {a["id"]: [200, a["name"]] for a in made}, "after": after})
        )
"""


@pytest.mark.parametrize("seed", ["1", "2", "3"])
def test_the_scenarios_leave_the_run_s_other_audiences_as_they_were(
    tmp_path: Path, seed: str
) -> None:
    found = tmp_path / "audiences.json"
    with shared_staging() as staging:
        env = with_plugin(
            staging,
            tmp_path,
            "other_tests_audiences",
            OTHER_TESTS_AUDIENCES,
            OTHER_TESTS_AUDIENCES=str(found),
        )
        scenarios_only = ["-k", "test_linked_operations_keep_state", "--seed", seed]
        done = run_cli(
            staging, "run", "--profile", "default", *scenarios_only, cwd=tmp_path, env=env
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    audiences = json.loads(found.read_text())
    assert audiences["after"] == audiences["made"]
