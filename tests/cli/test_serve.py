"""``audience-conformance serve``: two accounts out of the box, and the ``run`` command that
certifies the server, printed ready to paste."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
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
            if line.lstrip().startswith("curl "):  # the last line it prints before serving
                break
        printed = "".join(lines)
        found = re.search(r"running on (http://127\.0\.0\.1:\d+)", printed)
        command = [line.strip() for line in lines if " run --base-url " in line]
        assert found is not None and len(command) == 1, printed
        yield Started(found.group(1), printed, command[0])
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


# -- the README's section on the reference server, as written ---------------------------------

ROOT = Path(__file__).resolve().parents[2]
README_PORT = "8080"


def _readme_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## The reference server\n", 1)[1].split("\n## ", 1)[0]


def _free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def _suite_env() -> dict[str, str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name in ("AUDIENCE_API_KEY", "AUDIENCE_SECONDARY_API_KEY", "AUDIENCE_BASE_URL"):
        env.pop(name, None)
    return env


def test_the_readme_shows_what_serve_prints(tmp_path: Path) -> None:
    """The README's sample of serve's output reads as serve's output does, keys, port and process
    id aside. It ends with the command lines, printed once Ctrl-C stops the server (the test
    sends SIGINT as soon as it reads them)."""
    shown = re.search(r"```text\n(.*?)```", _readme_section(), re.DOTALL)
    assert shown is not None

    def shape(text: str) -> list[str]:
        text = re.sub(r"\b[0-9a-f]{32}\b", "KEY", text)
        text = re.sub(r"server process \[\d+\]", "server process [PID]", text)
        return re.sub(r"127\.0\.0\.1:\d+", "HOST:PORT", text).strip().splitlines()

    with serving(tmp_path) as started:
        assert shape(started.output) == shape(shown.group(1))


@contextmanager
def _readme_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The README's serve command with two keys of one's own, on a free port in place of 8080;
    yields the port and the variables the README's later commands use."""
    blocks = re.findall(r"```sh\n(.*?)```", _readme_section(), re.DOTALL)
    with_keys = next(block for block in blocks if block.count("--key ") == 2)
    port = _free_port()
    # The keys the README makes, told to the test before serve starts.
    script = with_keys.replace(f"--port {README_PORT}", f"--port {port}").replace(
        "audience-conformance serve",
        'printf "%s\\n" "$KEY_1" "$KEY_2"; exec audience-conformance serve',
    )
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        env=_suite_env(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        keys = {
            "KEY_1": process.stdout.readline().strip(),
            "KEY_2": process.stdout.readline().strip(),
        }
        assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys.values()), keys
        for line in process.stdout:
            assert keys["KEY_1"] not in line and keys["KEY_2"] not in line
            if " run --base-url " in line:
                break
        yield port, keys
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)


def _by_hand(port: str) -> tuple[str, str]:
    """The README's create request and its run command, aimed at ``port``."""
    block = next(
        block
        for block in re.findall(r"```sh\n(.*?)```", _readme_section(), re.DOTALL)
        if "curl -X POST" in block
    )
    block = block.replace(f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}")
    run = next(line for line in block.splitlines() if " run --base-url " in line)
    return block.replace(run, "").strip(), run


def test_the_readmes_create_request_by_hand_makes_an_audience(tmp_path: Path) -> None:
    with _readme_server(tmp_path) as (port, keys):
        create, _ = _by_hand(port)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", create],
            env={**_suite_env(), **keys},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)["data"]
    assert (made["name"], made["channel"], made["contacts_count"]) == ("spring_sale_2026", "SMS", 1)
    assert made["account_id"] == "account-1"


@pytest.mark.slow
def test_the_readmes_run_command_certifies_the_server_it_started(tmp_path: Path) -> None:
    with _readme_server(tmp_path) as (port, keys):
        create, run = _by_hand(port)
        narrowed = " ".join(f"--rule {rule}" for rule in TENANT_RULES)
        script = f"{create} > /dev/null\n{run} --profile quick {narrowed} --junit-xml r/junit.xml"
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env={**_suite_env(), **keys},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    certificate = json.loads((tmp_path / "r" / "certificate.json").read_text(encoding="utf-8"))
    outcomes = {rule["id"]: rule["outcome"] for rule in certificate["rules"]}
    assert [outcomes[rule] for rule in TENANT_RULES] == ["passed", "passed"]
