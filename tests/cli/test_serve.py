"""``audience-conformance serve``: two accounts out of the box, and the ``run`` command that
certifies the server, printed ready to paste."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conformance.cli.serve import how_to_certify
from conformance.reference.keys import generate_key

TENANT_RULES = ("TEN-01", "TEN-02")


@dataclass(frozen=True)
class Started:
    base_url: str
    output: str  # what serve printed before its first request
    command: str  # the printed run command


@contextmanager
def serving(tmp_path: Path, *options: str) -> Iterator[Started]:
    """``serve`` in a child process on a free port, until its run command has been printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--db", str(tmp_path / "db.sqlite3")]
        + ["--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        for line in process.stdout:
            lines.append(line)
            if " run --base-url " in line:
                break
        printed = "".join(lines)
        found = re.search(r"running on (http://127\.0\.0\.1:\d+)", printed)
        assert found is not None and " run --base-url " in lines[-1], printed
        yield Started(found.group(1), printed, lines[-1].strip())
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert process.returncode == 0


def _variables(command: str) -> dict[str, str]:
    words = shlex.split(command)
    return dict(word.split("=", 1) for word in words if re.fullmatch(r"[A-Z_]+=.*", word))


def test_the_command_names_both_generated_keys_and_the_url() -> None:
    first, second = generate_key(), generate_key()
    text = how_to_certify(
        "http://127.0.0.1:8080",
        {first: "account-1", second: "account-2"},
        {first: "account-1", second: "account-2"},
    )
    command = next(line for line in text.splitlines() if " run " in line)
    assert _variables(command) == {
        "AUDIENCE_API_KEY": first,
        "AUDIENCE_SECONDARY_API_KEY": second,
    }
    assert command.endswith("audience-conformance run --base-url http://127.0.0.1:8080")
    assert f"account-2: key {second} (generated)" in text


def test_a_key_given_with_key_is_never_printed() -> None:
    given, made = "given-secret-key", generate_key()
    text = how_to_certify(
        "http://[::1]:9000", {given: "team-a", made: "account-1"}, {made: "account-1"}
    )
    assert given not in text
    assert "team-a: the key given with --key" in text
    assert _variables(next(line for line in text.splitlines() if " run " in line)) == {
        "AUDIENCE_API_KEY": "<the key of team-a>",
        "AUDIENCE_SECONDARY_API_KEY": made,
    }


def test_serve_without_keys_makes_two_accounts_that_do_not_see_each_other(
    tmp_path: Path,
) -> None:
    with serving(tmp_path) as started:
        keys = _variables(started.command)
        first, second = keys["AUDIENCE_API_KEY"], keys["AUDIENCE_SECONDARY_API_KEY"]
        assert first != second and first in started.output and second in started.output
        assert f"--base-url {started.base_url}" in started.command
        made = requests.post(
            f"{started.base_url}/v1/audiences",
            json={"data": {"name": "spring_sale", "channel": "SMS"}},
            headers={"X-Dexatel-Key": first},
            timeout=10,
        )
        assert made.status_code == 201, made.text
        path = f"{started.base_url}/v1/audiences/{made.json()['data']['id']}"
        assert requests.get(path, headers={"X-Dexatel-Key": first}, timeout=10).status_code == 200
        assert requests.get(path, headers={"X-Dexatel-Key": second}, timeout=10).status_code == 404


def test_serve_with_one_key_generates_the_second_account_and_hides_the_given_key(
    tmp_path: Path,
) -> None:
    given = generate_key()
    with serving(tmp_path, "--key", f"{given}=team-a") as started:
        keys = _variables(started.command)
        assert given not in started.output
        assert keys["AUDIENCE_API_KEY"] == "<the key of team-a>"
        second = keys["AUDIENCE_SECONDARY_API_KEY"]
        for key, account in ((given, "team-a"), (second, "account-1")):
            listed = requests.get(
                f"{started.base_url}/v1/audiences", headers={"X-Dexatel-Key": key}, timeout=10
            )
            assert listed.status_code == 200, (account, listed.text)


def test_a_port_in_use_is_the_users_mistake(tmp_path: Path) -> None:
    with serving(tmp_path) as started:
        port = started.base_url.rsplit(":", 1)[1]
        other = tmp_path / "other"
        other.mkdir()
        done = subprocess.run(
            [sys.executable, "-m", "conformance", "serve", "--db", str(other / "db.sqlite3")]
            + ["--port", port],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_the_printed_command_certifies_the_server_with_the_tenant_rules(tmp_path: Path) -> None:
    """Pasted as printed (narrowed to the tenant rules, quick profile), it exits 0 with both
    tenant rules passed: in scope, not left out for want of a second key."""
    with serving(tmp_path) as started:
        narrowed = " ".join(f"--rule {rule}" for rule in TENANT_RULES)
        script = f"{started.command} --profile quick {narrowed} --junit-xml {tmp_path}/r/junit.xml"
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        for name in ("AUDIENCE_API_KEY", "AUDIENCE_SECONDARY_API_KEY", "AUDIENCE_BASE_URL"):
            env.pop(name, None)
        done = subprocess.run(
            ["bash", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    certificate = json.loads((tmp_path / "r" / "certificate.json").read_text(encoding="utf-8"))
    outcomes = {rule["id"]: rule["outcome"] for rule in certificate["rules"]}
    assert {rule: outcomes[rule] for rule in TENANT_RULES} == {
        rule: "passed" for rule in TENANT_RULES
    }
