"""Connection settings as a user gives them: one-line errors for mistakes, the standard variables,
options and the environment combined, and secrets that never reach a command line."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from network_staging import (
    HttpsStaging,
    TestCA,
    make_ca,
)
from transport_targets import KEY, TENANT, target_for

from conformance.cli.runner import environment, pytest_arguments, variables_set
from conformance.errors import SettingsError
from conformance.http.transport import (
    ConnectionOptions,
    Transport,
    build_transport,
)
from conformance.run.option_values import values_of
from conformance.run.settings import RunSettings, build_settings
from conformance.run.stopping import RunStop, RunStopped
from conformance.verdict.exits import RunEnd

# -- settings: one-line errors, the environment, secrets -----------------------------------------


def _settings(
    connection: ConnectionOptions,
    *,
    base_url: str = "https://staging.example.com",
    environ: dict[str, str] | None = None,
    rate_limit: str | None = None,
) -> RunSettings:
    return build_settings(
        base_url=base_url,
        api_key="a-key-long-enough",
        secondary_api_key=None,
        profile=None,
        strict=False,
        read_only=False,
        seed=None,
        rules=None,
        timeout=None,
        environ=environ or {},
        connection=connection,
        rate_limit=rate_limit,
    )


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.mark.parametrize(
    ("connection", "rate_limit", "message"),
    [
        (ConnectionOptions(ca_bundle="/nonexistent/ca.pem"), None, "does not exist"),
        (ConnectionOptions(ca_bundle=__file__), None, "holds no PEM certificate"),
        (ConnectionOptions(ca_bundle="/etc/hostname", insecure=True), None, "contradict"),
        (ConnectionOptions(client_key=__file__), None, "needs --client-cert"),
        (ConnectionOptions(client_cert=__file__), None, "cannot be used together"),
        (ConnectionOptions(headers=("X-Tenant acme",)), None, "Name: value"),
        (ConnectionOptions(headers=("Bad Name: x",)), None, "Name: value"),
        (ConnectionOptions(headers=("X-Dexatel-Key: stolen",)), None, "AUDIENCE_API_KEY"),
        (ConnectionOptions(headers=("Host: elsewhere.example.com",)), None, "set by the suite"),
        (ConnectionOptions(proxy="proxy.internal"), None, "host and a port"),
        (ConnectionOptions(proxy="socks5://proxy.internal:1080"), None, "http(s) URL"),
        (ConnectionOptions(), "10/h", "N/s or N/m"),
        (ConnectionOptions(), "0/s", "at least 1"),
    ],
)
def test_connection_mistakes_are_one_line_errors(
    connection: ConnectionOptions, rate_limit: str | None, message: str
) -> None:
    with pytest.raises(
        SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as error:
        _settings(connection, rate_limit=rate_limit)
    assert "\n" not in str(error.value)


def test_a_proxy_is_refused_for_a_plain_http_target() -> None:
    with pytest.raises(SettingsError, match="needs an https target"):
        _settings(
            ConnectionOptions(proxy="http://127.0.0.1:3128"), base_url="http://staging.example.com"
        )


def test_an_encrypted_client_key_is_refused_rather_than_prompted_for(
    ca: TestCA, tmp_path: Path
) -> None:
    key = serialization.load_pem_private_key(Path(ca.client_key).read_bytes(), password=None)
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    with pytest.raises(SettingsError, match="encrypted"):
        _settings(ConnectionOptions(client_cert=ca.client_cert, client_key=str(encrypted)))


@pytest.mark.parametrize(
    "variable", ["AUDIENCE_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"]
)
def test_the_standard_ca_variables_are_honoured(ca: TestCA, variable: str) -> None:
    assert build_transport(ConnectionOptions(), {variable: ca.ca_bundle}).verify == ca.ca_bundle


def test_options_and_the_environment_combine(ca: TestCA) -> None:
    """Headers from AUDIENCE_HEADERS (one per line) and -H; an option wins over a variable of the same name."""
    environ = {
        "AUDIENCE_HEADERS": f"X-Tenant: {TENANT}\n\nX-Gateway-Token: from-env\n",
        "AUDIENCE_CLIENT_CERT": ca.client_cert,
        "AUDIENCE_CLIENT_KEY": ca.client_key,
        "AUDIENCE_PROXY": "http://user:proxy-pass-5e6f@127.0.0.1:3128",
        "AUDIENCE_RATE_LIMIT": "20/s",
    }
    settings = _settings(
        ConnectionOptions(ca_bundle=ca.ca_bundle, headers=("X-Gateway-Token: from-option",)),
        environ=environ,
    )
    transport = settings.transport
    assert transport.headers == (("X-Tenant", TENANT), ("X-Gateway-Token", "from-option"))
    assert transport.client_cert == (ca.client_cert, ca.client_key)
    assert str(settings.rate_limit) == "20/s"
    assert set(transport.secrets()) == {TENANT, "from-option", "proxy-pass-5e6f"}
    assert transport.describe()["proxy"] == "http://127.0.0.1:3128"


def test_secrets_reach_the_plugin_through_the_environment_never_argv(ca: TestCA) -> None:
    """Header values and the proxy (which may carry a password) are not in pytest's arguments."""
    settings = _settings(
        ConnectionOptions(
            ca_bundle=ca.ca_bundle,
            client_cert=ca.client_cert,
            client_key=ca.client_key,
            headers=(f"X-Tenant: {TENANT}",),
            proxy="http://user:proxy-pass-5e6f@127.0.0.1:3128",
        ),
        rate_limit="7/s",
    )
    args = pytest_arguments(values_of(settings))
    assert TENANT not in " ".join(args) and "proxy-pass" not in " ".join(args)
    assert f"--audience-ca-bundle={ca.ca_bundle}" in args
    assert f"--audience-client-key={ca.client_key}" in args
    assert "--audience-rate-limit=7/s" in args
    with variables_set(environment(values_of(settings))):
        rebuilt = build_transport(ConnectionOptions(), dict(os.environ))
    assert rebuilt.headers == settings.transport.headers
    assert rebuilt.proxy == settings.transport.proxy


def test_throttling_stops_a_run_but_not_its_cleanup() -> None:
    """During the tests a target that keeps answering 429 stops the run (no verdict); during the
    cleanup, after every test has run, it changes nothing."""
    with pytest.raises(RunStopped) as stopped:
        RunStop().rate_limited()
    assert stopped.value.reason == RunEnd.RATE_LIMITED
    finishing = RunStop()
    finishing.begin_finishing()
    finishing.rate_limited()
    assert finishing.reason is None


def test_cleanup_reaches_an_https_staging_with_the_same_settings(
    staging: HttpsStaging, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cleanup` takes the CA bundle from the environment and the gateway header from -H, as `run` does."""
    from conformance.cli.cleanup import cleanup_leftovers

    creator = target_for(staging.base_url, Transport(verify=staging.ca.ca_bundle))
    created = creator.post(
        "/v1/audiences", json={"data": {"name": "acxclean1_left", "channel": "SMS"}}
    )
    assert created.status_code == 201
    monkeypatch.setenv("AUDIENCE_CA_BUNDLE", staging.ca.ca_bundle)
    before = len(staging.seen)
    code = cleanup_leftovers(
        base_url=staging.base_url,
        keys=[KEY],
        run_id="clean1",
        timeout=None,
        connection=ConnectionOptions(headers=(f"X-Tenant: {TENANT}",)),
        rate_limit="50/s",
    )
    assert code == 0, capsys.readouterr().out
    assert "deleted 1 leftover" in capsys.readouterr().out
    sent = staging.seen[before:]
    assert [arrival.method for arrival in sent].count("DELETE") == 1
    assert all(arrival.headers.get("x-tenant") == TENANT for arrival in sent)


def test_run_help_lists_each_staging_option_with_its_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from conformance.cli.main import main

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option, variable in [
        ("--ca-bundle", "AUDIENCE_CA_BUNDLE"),
        ("--client-cert", "AUDIENCE_CLIENT_CERT"),
        ("--client-key", "AUDIENCE_CLIENT_KEY"),
        ("--proxy", "AUDIENCE_PROXY"),
        ("--header", "AUDIENCE_HEADERS"),
        ("--rate-limit", "AUDIENCE_RATE_LIMIT"),
    ]:
        assert re.search(rf"{option} [^\[]*\[{variable}\b", text), option
    assert "--insecure" in text and "--trust-env" in text and "REQUESTS_CA_BUNDLE" in text


def test_a_password_in_a_trusted_environment_proxy_is_masked_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://user:env-proxy-pass-9d8c@127.0.0.1:3128")
    assert "env-proxy-pass-9d8c" in Transport(trust_env=True).secrets()
    assert Transport().secrets() == []
