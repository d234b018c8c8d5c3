"""Reaching a staging through the one request path: TLS with an internal CA and mutual TLS, a
forward proxy, gateway headers and the rate limit, against real servers on loopback."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from network_staging import (
    Arrival,
    ForwardProxy,
    HttpsStaging,
    RecordsArrivals,
    TestCA,
    https_reference,
    make_ca,
    most_in_any_second,
)
from recording_server import RecordingServer, Reply
from starlette.types import Send

from conformance.cli.runner import environment, pytest_arguments, variables_set
from conformance.errors import ClearTextProxyRefused, SettingsError
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.rate_limit import RateLimit, RateLimiter
from conformance.http.target import Target
from conformance.http.transport import (
    ConnectionOptions,
    Transport,
    build_transport,
    describe_connection_failure,
)
from conformance.reference.server import ReferenceServer
from conformance.run.option_values import values_of
from conformance.run.preflight import TargetUnreachable
from conformance.run.session import RunContext
from conformance.run.settings import RunSettings, build_settings
from conformance.run.stopping import RunStop, RunStopped
from conformance.verdict.exits import RunEnd

OK: Reply = (200, {"Content-Type": "application/json"}, b"{}")
KEY = "canary-transport-key-7c41d09e"
TENANT = "canary-tenant-value-3b8e5f21"


_opened: list[Target] = []


def _target(url: str, transport: Transport, **policy: object) -> Target:
    target = Target(url, KEY, RequestPolicy(origin=Origin.of(url), transport=transport, **policy))  # type: ignore[arg-type]
    _opened.append(target)
    return target


@pytest.fixture(autouse=True)
def _close_targets() -> Iterator[None]:
    """Each test's sessions end with it: a kept-alive connection must not outlive its server."""
    yield
    while _opened:
        _opened.pop().close()


@pytest.fixture(scope="module")
def staging() -> Iterator[HttpsStaging]:
    with https_reference(keys=(KEY, "canary-transport-second-0a1b")) as served:
        yield served


@pytest.fixture(scope="module")
def mutual() -> Iterator[HttpsStaging]:
    with https_reference(mutual=True, keys=(KEY, "canary-transport-second-0a1b")) as served:
        yield served


# -- TLS -----------------------------------------------------------------------------------------


def test_a_target_signed_by_an_internal_ca_is_refused_without_the_bundle(
    staging: HttpsStaging,
) -> None:
    """The default trust store does not know a test CA: the handshake fails, and says which option fixes it."""
    with pytest.raises(requests.exceptions.SSLError) as failure:
        _target(staging.base_url, Transport()).get("/v1/audiences")
    message = describe_connection_failure(failure.value, Transport(), https=True)
    assert "certificate verify failed" in message and "--ca-bundle" in message


def test_the_ca_bundle_is_used_whatever_the_caller_passes(staging: HttpsStaging) -> None:
    """With --ca-bundle the target is reached, even by a caller that passes verify=True as
    schemathesis does: the request path decides how TLS is verified."""
    target = _target(staging.base_url, Transport(verify=staging.ca.ca_bundle))
    assert target.get("/v1/audiences").status_code == 200
    assert (
        target.session.get(
            staging.base_url + "/v1/audiences", headers={"X-Dexatel-Key": KEY}, verify=True
        ).status_code
        == 200
    )


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_insecure_reaches_the_target_without_its_ca(staging: HttpsStaging) -> None:
    assert (
        _target(staging.base_url, Transport(verify=False)).get("/v1/audiences").status_code == 200
    )


def test_mutual_tls_needs_the_client_certificate(mutual: HttpsStaging) -> None:
    """A server that asks for a client certificate refuses a client without one and admits one with it."""
    without = _target(mutual.base_url, Transport(verify=mutual.ca.ca_bundle))
    with pytest.raises(requests.exceptions.ConnectionError) as failure:
        without.get("/v1/audiences")
    assert "--client-cert" in describe_connection_failure(
        failure.value, without.policy.transport, https=True
    )
    with_cert = _target(
        mutual.base_url,
        Transport(
            verify=mutual.ca.ca_bundle, client_cert=(mutual.ca.client_cert, mutual.ca.client_key)
        ),
    )
    assert with_cert.get("/v1/audiences").status_code == 200


def test_an_unknown_ca_ends_the_run_before_any_test_with_one_line(staging: HttpsStaging) -> None:
    """The preflight names the TLS failure and the option that fixes it."""
    settings = build_settings(
        base_url=staging.base_url,
        api_key=KEY,
        secondary_api_key=None,
        profile="quick",
        strict=False,
        read_only=False,
        seed=1,
        rules=None,
        timeout=None,
        environ={},
    )
    context = RunContext(settings)
    try:
        with pytest.raises(TargetUnreachable, match="--ca-bundle"):
            context.preflight()
    finally:
        context.close()


# -- proxy ---------------------------------------------------------------------------------------


def test_an_https_target_is_reached_through_a_connect_tunnel(staging: HttpsStaging) -> None:
    """The proxy is asked for a tunnel to the target only, and the key never crosses it in clear."""
    with ForwardProxy() as proxy:
        target = _target(
            staging.base_url,
            Transport(
                verify=staging.ca.ca_bundle, proxy=proxy.url, headers=(("X-Tenant", TENANT),)
            ),
        )
        assert target.get("/v1/audiences").status_code == 200
        assert (
            target.post(
                "/v1/audiences", json={"data": {"name": "acxproxy1_tunnel", "channel": "SMS"}}
            ).status_code
            == 201
        )
        target.close()
    port = Origin.of(staging.base_url).port
    assert proxy.request_lines and {line.rsplit(" ", 1)[0] for line in proxy.request_lines} == {
        f"CONNECT 127.0.0.1:{port}"
    }
    assert proxy.relayed, "the requests went through the tunnel"
    for secret in (KEY, TENANT):
        assert secret.encode() not in bytes(proxy.relayed)
        assert all(secret not in str(headers) for headers in proxy.headers)


def test_the_origin_check_is_the_same_through_a_proxy(staging: HttpsStaging) -> None:
    """A link to another origin is refused before the proxy is asked for anything."""
    from conformance.errors import OffTargetError

    with ForwardProxy() as proxy:
        target = _target(staging.base_url, Transport(verify=staging.ca.ca_bundle, proxy=proxy.url))
        with pytest.raises(OffTargetError):
            target.get("https://127.0.0.1:1/v1/audiences")
    assert proxy.request_lines == []


def test_a_plain_http_target_is_never_sent_through_a_proxy(
    recording_server: Callable[[Callable[[str, str], Reply]], RecordingServer],
) -> None:
    """Over http the proxy would read the key: the request path refuses before anything leaves."""
    server = recording_server(lambda m, p: OK)
    with ForwardProxy() as proxy, pytest.raises(ClearTextProxyRefused):
        _target(server.url, Transport(proxy=proxy.url)).get("/v1/audiences")
    assert proxy.request_lines == [] and server.seen == []


def test_environment_proxies_are_used_only_when_trusted(
    staging: HttpsStaging, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTPS_PROXY is ignored unless --trust-env; with it, NO_PROXY still excludes the target."""
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        assert (
            _target(staging.base_url, Transport(verify=staging.ca.ca_bundle))
            .get("/v1/audiences")
            .status_code
            == 200
        )
        assert proxy.request_lines == []
        assert (
            _target(staging.base_url, Transport(verify=staging.ca.ca_bundle, trust_env=True))
            .get("/v1/audiences")
            .status_code
            == 200
        )
        assert len(proxy.request_lines) == 1 and proxy.request_lines[0].startswith(
            "CONNECT 127.0.0.1:"
        )
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert (
            _target(staging.base_url, Transport(verify=staging.ca.ca_bundle, trust_env=True))
            .get("/v1/audiences")
            .status_code
            == 200
        )
        assert len(proxy.request_lines) == 1


# -- headers -------------------------------------------------------------------------------------


def test_gateway_headers_are_on_every_request(
    recording_server: Callable[[Callable[[str, str], Reply]], RecordingServer],
) -> None:
    """With or without the key, through the session directly, and over a caller's own value."""
    server = recording_server(lambda m, p: OK)
    target = _target(
        server.url, Transport(headers=(("X-Tenant", TENANT), ("X-Gateway-Token", "g-1")))
    )
    target.get("/v1/audiences")
    target.get("/v1/audiences", key=None)
    target.post("/v1/audiences", json={}, headers={"X-Tenant": "someone-else"})
    target.session.get(server.url + "/v1/audiences")
    assert len(server.seen) == 4
    for _, _, headers in server.seen:
        assert headers["X-Tenant"] == TENANT and headers["X-Gateway-Token"] == "g-1"


# -- rate limit ----------------------------------------------------------------------------------


def test_the_rate_limit_holds_at_the_server_across_threads_and_accounts() -> None:
    """Three threads, two accounts, one bucket: the server never sees more than N in any second."""
    arrivals: list[Arrival] = []
    with ReferenceServer(
        RecordsArrivals(lambda scope, receive, send: _ok(send), arrivals)
    ) as server:
        policy = RequestPolicy(
            origin=Origin.of(server.base_url), rate_limiter=RateLimiter(RateLimit.parse("5/s"))
        )
        targets = [Target(server.base_url, "k-1", policy), Target(server.base_url, "k-2", policy)]
        threads = [
            threading.Thread(
                target=lambda index=index: [
                    targets[index % 2].get("/v1/audiences") for _ in range(5)
                ]
            )
            for index in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for target in targets:
            target.close()
    times = [arrival.at for arrival in arrivals]
    assert len(times) == 15
    assert most_in_any_second(times) == 5  # reached, never passed
    assert max(times) - min(times) >= 14 / 5


async def _ok(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b"{}"})


def test_the_limiter_will_not_wait_past_the_deadline() -> None:
    limiter = RateLimiter(RateLimit.parse("1/m"))
    assert limiter.wait(deadline=time.monotonic() + 5)
    started = time.monotonic()
    assert not limiter.wait(deadline=time.monotonic() + 5)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    ("text", "requests_", "period"), [("10/s", 10, 1.0), ("300/m", 300, 60.0), (" 1 / s ", 1, 1.0)]
)
def test_rate_limits_are_read_per_second_or_minute(
    text: str, requests_: int, period: float
) -> None:
    limit = RateLimit.parse(text)
    assert (limit.requests, limit.period) == (requests_, period)


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

    creator = _target(staging.base_url, Transport(verify=staging.ca.ca_bundle))
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
