"""A user's mistake is never reported as the server's non-conformance: before any test runs, the
run checks each key, that the two keys are of two accounts and that the base URL serves the
contract, and ends with one line and exit 2 (the user's mistake) or 3 (unreachable, refused key).

Both routes are tried, ``audience-conformance run`` and plain ``pytest --pyargs conformance.suite``:
they give the same exit code, and each names its own options.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from mutation import catalogue
from mutation.catalogue import MUTANTS
from mutation.harness import serve

from conformance.reference.server import ReferenceServer

KEY = "preflight-key-account-a-1"
SAME_ACCOUNT_KEY = "preflight-key-account-a-2"
OTHER_ACCOUNT_KEY = "preflight-key-account-b-1"
WRONG_KEY = "preflight-key-nobody-knows"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reference on loopback: two keys of account a, one of account b."""
    folder = tmp_path_factory.mktemp("preflight")
    keys = {KEY: "account-a", SAME_ACCOUNT_KEY: "account-a", OTHER_ACCOUNT_KEY: "account-b"}
    with ReferenceServer(db=str(folder / "reference.sqlite3"), keys=keys) as server:
        yield server.base_url


def _run(
    route: str, base_url: str, keys: tuple[str, ...], cwd: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """One run of AUTH-01's tests by either route; keys through the environment, as the README says."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AUDIENCE_")}
    env.update(zip(("AUDIENCE_API_KEY", "AUDIENCE_SECONDARY_API_KEY"), keys, strict=False))
    if route == "cli":
        command = [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--base-url",
            base_url,
            "--rule",
            "AUTH-01",
            "--junit-xml",
            str(cwd / "junit.xml"),
            *extra,
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--pyargs",
            "conformance.suite",
            "--audience-base-url",
            base_url,
            "--audience-rule",
            "AUTH-01",
            *extra,
        ]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


def _reason(done: subprocess.CompletedProcess[str]) -> str:
    """The run's one line on stderr."""
    lines = [line for line in done.stderr.splitlines() if line.startswith("audience-conformance")]
    assert len(lines) == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    return lines[0]


ROUTES = ["cli", "pytest"]
KEY_OPTION = {"cli": "--api-key", "pytest": "--audience-api-key"}
SECONDARY_OPTION = {"cli": "--secondary-api-key", "pytest": "--audience-secondary-api-key"}


@pytest.mark.parametrize("route", ROUTES)
def test_a_wrong_primary_key_exits_3_naming_the_option(
    reference: str, tmp_path: Path, route: str
) -> None:
    done = _run(route, reference, (WRONG_KEY, OTHER_ACCOUNT_KEY), tmp_path)
    assert done.returncode == 3
    assert (
        f"refused the API key (HTTP 401); check {KEY_OPTION[route]} / AUDIENCE_API_KEY"
        in _reason(done)
    )


@pytest.mark.parametrize("route", ROUTES)
def test_a_wrong_secondary_key_exits_3_not_a_failed_tenancy_rule(
    reference: str, tmp_path: Path, route: str
) -> None:
    """It was 'NOT CONFORMANT; failing rules: PAGE-11, TEN-01, TEN-02' and exit 1."""
    done = _run(route, reference, (KEY, WRONG_KEY), tmp_path)
    assert done.returncode == 3
    assert (
        f"refused the secondary API key (HTTP 401); check {SECONDARY_OPTION[route]} / AUDIENCE_SECONDARY_API_KEY"
        in _reason(done)
    )
    assert "NOT CONFORMANT" not in done.stdout


@pytest.mark.parametrize("route", ROUTES)
def test_two_keys_of_one_account_exit_2(reference: str, tmp_path: Path, route: str) -> None:
    """It was 'FAILED TEN-01' with no hint. Both accounts are empty here, so the run learns each
    key's account by creating an audience, and deletes it again."""
    done = _run(route, reference, (KEY, SAME_ACCOUNT_KEY), tmp_path)
    assert done.returncode == 2
    assert (
        f"belong to one account ('account-a'); {SECONDARY_OPTION[route]} / AUDIENCE_SECONDARY_API_KEY must be a key of another account"
        in _reason(done)
    )
    for key in (KEY, SAME_ACCOUNT_KEY):
        assert (
            requests.get(
                reference + "/v1/audiences", headers={"X-Dexatel-Key": key}, timeout=10
            ).json()["data"]
            == []
        )


def test_keys_of_two_accounts_pass_the_preflight(reference: str, tmp_path: Path) -> None:
    done = _run("cli", reference, (KEY, OTHER_ACCOUNT_KEY), tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_read_only_runs_compare_accounts_by_what_they_list(reference: str, tmp_path: Path) -> None:
    """A read-only run may not create: with audiences to list, the accounts are still told apart."""
    created = requests.post(
        reference + "/v1/audiences",
        json={"data": {"name": "listed-by-both", "channel": "SMS"}},
        headers={"X-Dexatel-Key": KEY},
        timeout=10,
    )
    assert created.status_code == 201
    try:
        done = _run("cli", reference, (KEY, SAME_ACCOUNT_KEY), tmp_path, "--read-only")
        assert done.returncode == 2
        assert "belong to one account ('account-a')" in _reason(done)
    finally:
        requests.delete(
            reference + "/v1/audiences/" + created.json()["data"]["id"],
            headers={"X-Dexatel-Key": KEY},
            timeout=10,
        )


def test_one_account_id_for_every_key_is_the_servers_fault_not_the_users(tmp_path: Path) -> None:
    """A server that answers one constant account_id whatever the key is wrong (CRUD-01); its two
    keys still see apart, so the run goes on and the tests judge it. It was exit 2, 'belong to
    one account', blaming the user for the server's fault."""
    catalogue.load_all()
    with serve(MUTANTS["constant-account-id"]) as served:
        done = _run("cli", served.base_url, (served.api_key, served.secondary_api_key), tmp_path)
    assert "belong to one account" not in done.stderr
    assert done.returncode == 0, (
        done.stdout[-2000:] + done.stderr[-2000:]
    )  # AUTH-01 alone: the mutant keeps it


@pytest.mark.parametrize("route", ROUTES)
def test_a_base_url_that_does_not_serve_the_contract_exits_2(
    reference: str, tmp_path: Path, route: str
) -> None:
    done = _run(route, reference + "/api", (KEY, OTHER_ACCOUNT_KEY), tmp_path)
    assert done.returncode == 2
    assert f"{reference}/api/v1/audiences answers HTTP 404" in _reason(done)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("suffix", ["/v1", "/v1/", "/v1/audiences"])
def test_a_base_url_ending_in_the_contract_path_is_named_as_the_mistake(
    reference: str, tmp_path: Path, route: str, suffix: str
) -> None:
    """It ran everything against /v1/v1/audiences: '24 failed', 5,381 lines, exit 1."""
    done = _run(route, reference + suffix, (KEY, OTHER_ACCOUNT_KEY), tmp_path)
    assert done.returncode == 2
    option = "--base-url" if route == "cli" else "--audience-base-url"
    assert (
        f"which the suite adds itself (it calls <base>/v1/audiences): pass {option} {reference}"
        in _reason(done)
    )


@pytest.mark.parametrize("route", ROUTES)
def test_an_unreachable_target_exits_3_on_both_routes_without_class_names(
    tmp_path: Path, route: str
) -> None:
    """Plain pytest exited 13; the message read '! _pytest.outcomes.Exit: ... (ConnectionError) !'."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = _run(route, f"http://127.0.0.1:{port}", (KEY,), tmp_path)
    assert done.returncode == 3
    assert (
        _reason(done)
        == f"audience-conformance: http://127.0.0.1:{port} cannot be reached: connection refused."
    )
    for internal in ("_pytest", "outcomes.Exit", "ConnectionError", "!!!"):
        assert internal not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            (),
            "An API key is needed for http://127.0.0.1:9: pass --audience-api-key or set AUDIENCE_API_KEY.",
        ),
        (("--audience-seed", "x"), "--audience-seed takes a whole number, not 'x'."),
        (
            ("--junit-xml", "/proc/no-such-folder/junit.xml"),
            "--junit-xml '/proc/no-such-folder/junit.xml': cannot make its folder",
        ),
    ],
)
def test_plain_pytest_usage_errors_exit_2_naming_its_options(
    tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    """Under pytest they exited 4 and said 'pass --api-key', an option pytest does not have."""
    keys = () if not extra else (KEY,)
    done = _run("pytest", "http://127.0.0.1:9", keys, tmp_path, *extra)
    assert done.returncode == 2
    assert message in _reason(done)
