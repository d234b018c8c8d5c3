"""Reaching a staging through the one request path: TLS with an internal CA and mutual TLS, a
forward proxy, gateway headers and the rate limit, against real servers on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import requests
from network_staging import (
    Arrival,
    ForwardProxy,
    HttpsStaging,
    RecordsArrivals,
    most_in_any_second,
)
from recording_server import RecordingServer, Reply
from starlette.types import Send
from transport_targets import KEY, TENANT, target_for

from conformance.errors import ClearTextProxyRefused
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.rate_limit import RateLimit, RateLimiter
from conformance.http.target import Target
from conformance.http.transport import (
    Transport,
    describe_connection_failure,
)
from conformance.reference.server import ReferenceServer
from conformance.run.preflight import TargetUnreachable
from conformance.run.session import RunContext
from conformance.run.settings import build_settings

OK: Reply = (200, {"Content-Type": "application/json"}, b"{}")


# -- TLS -----------------------------------------------------------------------------------------


def test_a_target_signed_by_an_internal_ca_is_refused_without_the_bundle(
    staging: HttpsStaging,
) -> None:
    """The default trust store does not know a test CA: the handshake fails, and says which option fixes it."""
    with pytest.raises(requests.exceptions.SSLError) as failure:
        target_for(staging.base_url, Transport()).get("/v1/audiences")
    message = describe_connection_failure(failure.value, Transport(), https=True)
    assert "certificate verify failed" in message and "--ca-bundle" in message


def test_the_ca_bundle_is_used_whatever_the_caller_passes(staging: HttpsStaging) -> None:
    """With --ca-bundle the target is reached, even by a caller that passes verify=True as
    schemathesis does: the request path decides how TLS is verified."""
    target = target_for(staging.base_url, Transport(verify=staging.ca.ca_bundle))
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
        target_for(staging.base_url, Transport(verify=False)).get("/v1/audiences").status_code
        == 200
    )


def test_mutual_tls_needs_the_client_certificate(mutual: HttpsStaging) -> None:
    """A server that asks for a client certificate refuses a client without one and admits one with it."""
    without = target_for(mutual.base_url, Transport(verify=mutual.ca.ca_bundle))
    with pytest.raises(requests.exceptions.ConnectionError) as failure:
        without.get("/v1/audiences")
    assert "--client-cert" in describe_connection_failure(
        failure.value, without.policy.transport, https=True
    )
    with_cert = target_for(
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
        target = target_for(
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
        target = target_for(
            staging.base_url, Transport(verify=staging.ca.ca_bundle, proxy=proxy.url)
        )
        with pytest.raises(OffTargetError):
            target.get("https://127.0.0.1:1/v1/audiences")
    assert proxy.request_lines == []


def test_a_plain_http_target_is_never_sent_through_a_proxy(
    recording_server: Callable[[Callable[[str, str], Reply]], RecordingServer],
) -> None:
    """Over http the proxy would read the key: the request path refuses before anything leaves."""
    server = recording_server(lambda m, p: OK)
    with ForwardProxy() as proxy, pytest.raises(ClearTextProxyRefused):
        target_for(server.url, Transport(proxy=proxy.url)).get("/v1/audiences")
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
            target_for(staging.base_url, Transport(verify=staging.ca.ca_bundle))
            .get("/v1/audiences")
            .status_code
            == 200
        )
        assert proxy.request_lines == []
        assert (
            target_for(staging.base_url, Transport(verify=staging.ca.ca_bundle, trust_env=True))
            .get("/v1/audiences")
            .status_code
            == 200
        )
        assert len(proxy.request_lines) == 1 and proxy.request_lines[0].startswith(
            "CONNECT 127.0.0.1:"
        )
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert (
            target_for(staging.base_url, Transport(verify=staging.ca.ca_bundle, trust_env=True))
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
    target = target_for(
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
