"""The chains the suite carries for a first run: one file per profile, knowing every test."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from staging import cli

from conformance.plugin.chain_history import load_measured
from conformance.run.profiles import PROFILES


def _collected(tmp_path: Path) -> list[str]:
    """The suite's test ids, as a run collects them (the embedded reference, nothing run)."""
    env = {**os.environ, "PYTEST_ADDOPTS": "--collect-only -q", "XDG_CACHE_HOME": str(tmp_path)}
    for name in ("AUDIENCE_BASE_URL", "AUDIENCE_API_KEY", "AUDIENCE_SECONDARY_API_KEY"):
        env.pop(name, None)
    done = subprocess.run(
        cli("run", "--junit-xml", str(tmp_path / "junit.xml")),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return [
        line for line in done.stdout.splitlines() if "::" in line and " " not in line.split("::")[0]
    ]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    tests = _collected(tmp_path_factory.mktemp("collect"))
    assert len(tests) > 100
    return tests


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_suite_carries_a_chain_for_every_test_of_each_profile(
    collected: list[str], profile: str
) -> None:
    carried = load_measured(profile)
    missing = sorted(set(collected) - set(carried))
    assert not missing, (
        f"the chains carried for {profile} miss {len(missing)} test(s), e.g. {missing[:3]}: "
        "run python bench/measure_chains.py"
    )
    assert all(measured.chain > 0 for measured in carried.values() if measured.writes)


def test_a_profile_without_carried_chains_has_none() -> None:
    assert load_measured("no-such-profile") == {}
