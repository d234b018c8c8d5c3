"""The two halves `.ci/run` runs side by side are `tox -e full` cut in two: no test lost, none twice.

The halves name files and globs; a slow test moved or added elsewhere would silently drop out of
CI, or run in both halves, unless their collections are compared with the whole's."""

from __future__ import annotations

import configparser
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WHOLE = "full"
HALVES = ("full-mutation", "full-others")


def pytest_arguments(environment: str) -> list[str]:
    """The arguments of the environment's pytest command in tox.ini, without `{posargs}`."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    command = shlex.split(tox[f"testenv:{environment}"]["commands"].replace("{posargs}", ""))
    assert command[0] == "pytest", command
    return command[1:]


def collected(arguments: list[str]) -> list[str]:
    """The node ids pytest collects with these arguments, from the project's root."""
    listing = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            *arguments,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return [line for line in listing.stdout.splitlines() if "::" in line]


@pytest.mark.slow
def test_the_halves_of_full_hold_each_of_its_tests_once() -> None:
    whole = collected(pytest_arguments(WHOLE))
    halves = [collected(pytest_arguments(half)) for half in HALVES]
    assert whole and all(halves), "every environment collects tests"
    first, second = (set(half) for half in halves)
    assert not first & second, f"in both halves: {sorted(first & second)}"
    assert first | second == set(whole), (
        f"in full only: {sorted(set(whole) - first - second)}; "
        f"in a half only: {sorted((first | second) - set(whole))}"
    )
