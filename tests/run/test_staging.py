"""`audience-conformance run` against a staging on loopback: HTTPS from an internal CA, mutual TLS,
a forward proxy, a gateway header, a rate limit and a throttling firewall; and the README's
commands, run as written (the CI templates' jobs: tests/test_ci_templates.py).

Each run is narrowed to one rule (its tests include schemathesis' over every operation), so
what is proven is the way requests travel, not the rules themselves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mutation.harness import Served, SuiteRun, run_suite
from network_staging import (
    ForwardProxy,
    HttpsStaging,
    environment_with,
    https_reference,
    most_in_any_second,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.http.adapter import Origin
from conformance.report import write_certificate
from conformance.report.run_properties import read_run_properties

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
RULE = "AUD-01"  # its tests include schemathesis' (test_schema), and are few
KEY = "canary-staging-key-5a7c9e1b3d"
SECOND_KEY = "canary-staging-second-8f6e4d2c"
TOKEN = "canary-gateway-token-2b4d6f8a"
RATE = 20
STAGING_URL = "https://audiences.staging.example.com"


def _written(run: SuiteRun) -> str:
    assert run.folder is not None
    texts = [run.stdout, run.stderr]
    texts += [
        path.read_bytes().decode("utf-8", "replace")
        for path in run.folder.rglob("*")
        if path.is_file()
    ]
    return "\n".join(texts)


def _assert_traffic(staging: HttpsStaging, header: str = "x-gateway-token") -> None:
    """Every request reached the server with the gateway header, and never more than RATE in a second."""
    assert len(staging.seen) > 50
    assert all(arrival.headers.get(header) == TOKEN for arrival in staging.seen)
    assert most_in_any_second([arrival.at for arrival in staging.seen]) <= RATE


def test_a_staging_behind_mutual_tls_a_proxy_and_a_gateway_is_certified() -> None:
    """Items 1 to 4 at once, on the CLI: CA bundle and client certificate, a CONNECT proxy, the
    gateway header from AUDIENCE_HEADERS, the rate limit; no secret in anything written."""
    with https_reference(mutual=True, keys=(KEY, SECOND_KEY)) as staging, ForwardProxy() as proxy:
        ca = staging.ca
        options = (
            "--ca-bundle",
            ca.ca_bundle,
            "--client-cert",
            ca.client_cert,
            "--client-key",
            ca.client_key,
            "--proxy",
            proxy.url,
            "--rate-limit",
            f"{RATE}/s",
        )
        run = run_suite(
            Served(staging.base_url, KEY, SECOND_KEY),
            rules=(RULE,),
            extra=options,
            environ=environment_with({"AUDIENCE_HEADERS": f"X-Gateway-Token: {TOKEN}"}),
        )
    assert run.exit_code == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert any(
        "test_schema" in record.nodeid and record.outcome == "passed" for record in run.records
    ), "schemathesis' requests were among them"
    _assert_traffic(staging)
    port = Origin.of(staging.base_url).port
    assert {line.rsplit(" ", 1)[0] for line in proxy.request_lines} == {f"CONNECT 127.0.0.1:{port}"}
    written = _written(run)
    for secret in (KEY, SECOND_KEY, TOKEN):
        assert secret not in written
        assert secret.encode() not in bytes(proxy.relayed)
    assert run.folder is not None
    properties = read_run_properties(run.folder / "junit.xml")
    assert (
        properties["tls_verify"],
        properties["client_certificate"],
        properties["proxy"],
        properties["extra_headers"],
        properties["rate_limit"],
    ) == ("true", "true", proxy.url, "X-Gateway-Token", f"{RATE}/s")


class _FailsPuts:
    """A broken staging: every PUT answers 500 (ROB-01), so failures print their reproductions."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT":
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"Internal Server Error"})
            return
        await self.app(scope, receive, send)


def test_the_plugin_route_takes_the_same_options_masks_header_values_and_records_insecure(
    tmp_path: Path,
) -> None:
    """Plain pytest with --audience-* options against a broken staging: the reproductions name the
    gateway header but never show its value or the key; --insecure is a warning and is on the certificate."""
    with https_reference(keys=(KEY, SECOND_KEY), wrap=_FailsPuts) as staging:
        command = [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance.suite",
            "-p",
            "no:cacheprovider",
            "--audience-base-url",
            staging.base_url,
            "--audience-insecure",
            "--audience-profile",
            "quick",
            "--audience-rule",
            RULE,
            "--audience-rate-limit",
            f"{RATE}/s",
            "--junit-xml",
            str(tmp_path / "junit.xml"),
        ]
        env = environment_with(
            {"AUDIENCE_API_KEY": KEY, "AUDIENCE_HEADERS": f"X-Gateway-Token: {TOKEN}"}
        )
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
        )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "WARNING: --insecure" in done.stdout
    _assert_traffic(staging)
    paths = write_certificate(tmp_path / "junit.xml")
    written = (
        done.stdout
        + done.stderr
        + "".join(path.read_text() for path in [tmp_path / "junit.xml", *paths])
    )
    assert re.search(r"curl [^\n]*X-Gateway-Token: \[(Filtered|REDACTED)\]", written), (
        "a reproduction carries the header, masked"
    )
    for secret in (KEY, TOKEN):
        assert secret not in written
    assert read_run_properties(tmp_path / "junit.xml")["tls_verify"] == "false"
    markdown = next(path for path in paths if path.suffix == ".md").read_text()
    assert "NOT CONFORMANT" in markdown and "TLS certificate not verified" in markdown


class _ThrottlesAfter:
    """A staging firewall: after the first ``allowed`` requests, every request answers 429."""

    def __init__(self, app: ASGIApp, allowed: int) -> None:
        self.app, self.allowed, self.count = app, allowed, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.count += 1
            if self.count > self.allowed:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 429,
                        "headers": [(b"retry-after", b"1"), (b"content-type", b"application/json")],
                    }
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": b'{"error": {"code": 1429, "message": "Too many requests."}}',
                    }
                )
                return
        await self.app(scope, receive, send)


def test_a_run_throttled_past_its_retries_has_no_verdict() -> None:
    """A target that keeps answering 429 ends the run with exit 4, "rate limited", and no verdict:
    JUnit and the certificate say why, and no rule is judged."""
    with https_reference(
        keys=(KEY, SECOND_KEY), wrap=lambda app: _ThrottlesAfter(app, 15)
    ) as staging:
        run = run_suite(
            Served(staging.base_url, KEY, SECOND_KEY),
            rules=(RULE,),
            extra=("--ca-bundle", staging.ca.ca_bundle, "--max-duration", "12"),
            environ=environment_with({}),
        )
    assert run.exit_code == 4, run.stdout[-3000:] + run.stderr[-3000:]
    assert "rate limited" in run.stderr
    assert not [line for line in run.stdout.splitlines() if line.startswith("verdict:")]
    assert run.folder is not None
    assert read_run_properties(run.folder / "junit.xml")["run_end"] == "rate_limited"
    assert "rate limited" in (run.folder / "certificate.md").read_text()


def test_an_unknown_ca_stops_the_run_with_one_line_naming_the_option() -> None:
    with https_reference(keys=(KEY, SECOND_KEY)) as staging:
        run = run_suite(
            Served(staging.base_url, KEY, SECOND_KEY), rules=(RULE,), environ=environment_with({})
        )
    assert run.exit_code == 3, run.stdout[-3000:] + run.stderr[-3000:]
    said = run.stdout + run.stderr
    assert "certificate verify failed" in said and "--ca-bundle" in said and "Traceback" not in said


# -- the README's walk-through, as written ----------------------------------------------------


@pytest.fixture
def staging() -> Iterator[HttpsStaging]:
    with https_reference(keys=(KEY, SECOND_KEY)) as served:
        yield served


def _bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        check=False,
    )


def _narrowed(command: str) -> str:
    """The run command as written, narrowed to one rule (the point is how requests travel)."""
    assert "audience-conformance run " in command
    return command.replace("audience-conformance run ", f"audience-conformance run --rule {RULE} ")


def _with_suite_on_path(values: dict[str, str]) -> dict[str, str]:
    env = environment_with(values)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_readme_walk_through_certifies_an_https_staging(
    staging: HttpsStaging, tmp_path: Path
) -> None:
    """The README's commands, with the staging's URL and CA path pointing at the local staging."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Certifying a staging environment", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    script = block.group(1).replace(STAGING_URL, staging.base_url)
    ca_path = re.search(r"AUDIENCE_CA_BUNDLE=(\S+)", script)
    assert ca_path is not None
    script = _narrowed(script.replace(ca_path.group(1), staging.ca.ca_bundle))
    secrets = {"CONFORMANCE_KEY": KEY, "CONFORMANCE_SECOND_KEY": SECOND_KEY, "GATEWAY_TOKEN": TOKEN}
    done = _bash(script, _with_suite_on_path(secrets), tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "verdict: CONFORMANT" in done.stdout
    _assert_traffic(staging)
    assert (tmp_path / "reports" / "certificate.md").is_file()
