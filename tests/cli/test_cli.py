"""The command line: user mistakes give one line and exit 2; an unreachable target exits 3."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("AUDIENCE_")}
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["run", "--base-url", "not a url"], {}, "is not an http(s) URL"),
        (["run", "--base-url", "http://127.0.0.1:9"], {}, "An API key is needed"),
        (["run", "--rule", "PAGE-99"], {}, "Unknown rule ID 'PAGE-99'"),
        (["run", "--seed", "abc"], {}, "--seed takes a whole number"),
        (["run", "--timeout", "0"], {}, "--timeout must be a positive"),
        (["run"], {"AUDIENCE_API_KEY": "k"}, "no target"),
        (["serve", "--key", "nonsense"], {}, "KEY=ACCOUNT"),
        (["serve", "--port", "70000"], {}, "--port must be from 0 to 65535"),
        (
            ["serve", "--db", "/nonexistent-folder/x.sqlite3"],
            {},
            "must be a file in an existing folder",
        ),
        (["cleanup"], {}, "cleanup needs a target"),
        (
            ["cleanup", "--base-url", "http://127.0.0.1:9", "--api-key", "k", "--run-id", "BAD"],
            {},
            "--run-id takes",
        ),
        (
            ["run", "--junit-xml", "reports/"],
            {},
            "--junit-xml 'reports/' is a folder; give a file name, e.g. --junit-xml reports/junit.xml",
        ),
        (
            ["run", "--junit-xml", "/proc/x/junit.xml"],
            {},
            "--junit-xml '/proc/x/junit.xml': cannot make its folder '/proc/x'",
        ),
        (
            ["run", "--junit-xml", "/proc/junit.xml"],
            {},
            "--junit-xml '/proc/junit.xml' cannot be written: no file can be made in '/proc'",
        ),
        (
            ["run", "--base-url", "http://127.0.0.1:9/v1"],
            {"AUDIENCE_API_KEY": "long-enough-key"},
            "ends in '/v1', which the suite adds itself",
        ),
        (
            ["run", "--base-url", "http://127.0.0.1:9", "--api-key", "x"],
            {},
            "--api-key / AUDIENCE_API_KEY has 1 characters; a key under 8",
        ),
    ],
)
def test_user_mistakes_get_one_line_and_exit_2(
    args: list[str], env: dict[str, str], message: str
) -> None:
    """No traceback for a user mistake: one line naming the problem, exit code 2."""
    done = _cli(*args, env=env)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr


@pytest.mark.parametrize("command", ["run", "cleanup", "report", "serve"])
def test_a_bad_option_of_a_subcommand_shows_that_subcommands_usage(command: str) -> None:
    """`run --bogus` printed the top-level usage, which lists no option of `run`."""
    done = _cli(command, "--frobnicate", *(["x.xml"] if command == "report" else []))
    assert done.returncode == 2
    assert done.stderr.startswith(f"usage: audience-conformance {command} ")
    assert (
        done.stderr.strip().splitlines()[-1]
        == f"audience-conformance {command}: error: unrecognized arguments: --frobnicate"
    )


def test_a_folder_as_junit_path_never_shows_pytests_option(tmp_path: Path) -> None:
    """An existing folder given as --junit-xml: our option is named, never pytest's --junitxml."""
    (tmp_path / "reports").mkdir()
    done = _cli("run", "--junit-xml", "reports", cwd=tmp_path)
    assert done.returncode == 2
    assert "--junitxml" not in done.stderr and "is a folder" in done.stderr


def test_an_unwritable_junit_file_is_refused_before_any_test_under_plain_pytest(
    tmp_path: Path,
) -> None:
    """Root may write anywhere by its permissions, yet nothing can be made in /proc: the run is
    refused in one line before the first test, not after the last one with a traceback."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("AUDIENCE_")}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--pyargs",
        "conformance.suite",
        "--audience-base-url",
        "http://127.0.0.1:9",
        "--junit-xml",
        "/proc/junit.xml",
    ]
    done = subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        env={**clean, "AUDIENCE_API_KEY": "long-enough-key"},
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "audience-conformance: error: --junit-xml '/proc/junit.xml' cannot be written: no file can be made in '/proc' (No such file or directory); choose another place."
    ]
    assert "passed" not in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_cleanup_with_a_refused_key_says_the_http_status(
    tmp_path: Path, recording_server: Any
) -> None:
    """It said '(HTTPError)', a class name, and no status."""
    server = recording_server(
        lambda method, path: (
            401,
            {"Content-Type": "application/json"},
            b'{"errors": [{"code": 401, "message": "unknown key"}]}',
        )
    )
    done = _cli(
        "cleanup",
        "--base-url",
        server.url,
        env={"AUDIENCE_API_KEY": "a-refused-key-123"},
        cwd=tmp_path,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "HTTP 401" in done.stdout + done.stderr
    assert "HTTPError" not in done.stdout + done.stderr


def test_refused_connection_exits_3(tmp_path: Path) -> None:
    """A target nobody listens on ends the run at once with code 3 and says why."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = _cli(
        "run",
        "--base-url",
        f"http://127.0.0.1:{port}",
        "--junit-xml",
        str(tmp_path / "junit.xml"),
        env={"AUDIENCE_API_KEY": "k-cli-test"},
        cwd=tmp_path,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "cannot be reached" in done.stdout + done.stderr


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """Accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_target_that_never_answers_exits_3_within_the_timeout(
    silent_listener: int, tmp_path: Path
) -> None:
    """A hanging server costs one request timeout, not a hung CI job."""
    done = _cli(
        "run",
        "--base-url",
        f"http://127.0.0.1:{silent_listener}",
        "--timeout",
        "1",
        "--junit-xml",
        str(tmp_path / "junit.xml"),
        env={"AUDIENCE_API_KEY": "k-cli-test"},
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "did not answer within 1 s" in done.stdout + done.stderr


def test_rules_lists_the_catalogue() -> None:
    """`rules` prints one line per rule, with its level."""
    done = _cli("rules")
    assert done.returncode == 0
    assert any(line.startswith("PAGE-04") and "MUST" in line for line in done.stdout.splitlines())


def test_plain_schemathesis_runs_with_the_installed_spec_and_settings(tmp_path: Path) -> None:
    """The README said to run plain schemathesis 'as the README says' with no command, and
    schemathesis.toml was not installed. The documented commands work against the reference."""
    from conformance.reference.server import ReferenceServer

    key = "plain-schemathesis-key-1"
    done = _cli("schemathesis-files", str(tmp_path / "st"))
    assert done.returncode == 0, done.stderr
    config, spec = tmp_path / "st" / "schemathesis.toml", tmp_path / "st" / "audiences.yaml"
    assert 'headers = { "X-Dexatel-Key" = "${AUDIENCE_API_KEY}" }' in config.read_text(
        encoding="utf-8"
    )
    assert (
        spec.read_bytes() == (Path(__file__).parents[2] / "openapi" / "audiences.yaml").read_bytes()
    )
    with ReferenceServer(db=str(tmp_path / "reference.sqlite3"), keys={key: "account-1"}) as server:
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            str(spec),
            "--url",
            server.base_url,
            "--checks",
            "all",
            "--max-examples",
            "5",
            "--phases",
            "examples,fuzzing",
        ]
        env = {**os.environ, "AUDIENCE_API_KEY": key}
        ran = subprocess.run(
            command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path, check=False
        )
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert "No issues found" in ran.stdout and key not in ran.stdout
