"""The one request path: other origins refused, read-only enforced, 429 waited out, deadline kept."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from recording_server import RecordingServer, Reply

from conformance.errors import OffTargetError, RateLimited, ReadOnlyViolation, RunDeadlineExceeded
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.ledger import CleanupReport, Ledger
from conformance.http.target import Target

OK: Reply = (200, {"Content-Type": "application/json"}, b"{}")
StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]


def _target(url: str, **policy: object) -> Target:
    return Target(url, "k-primary", RequestPolicy(origin=Origin.of(url), **policy))  # type: ignore[arg-type]


def test_request_to_another_origin_is_never_sent(recording_server: StartServer) -> None:
    """A link to another port is refused before a byte leaves, so the key cannot travel."""
    home, elsewhere = recording_server(lambda m, p: OK), recording_server(lambda m, p: OK)
    target = _target(home.url)
    with pytest.raises(OffTargetError):
        target.get(elsewhere.url + "/v1/audiences")
    assert elsewhere.seen == []


def test_redirect_to_another_origin_is_refused(recording_server: StartServer) -> None:
    """A redirect off the target is not followed, even by a session that follows redirects."""
    elsewhere = recording_server(lambda m, p: OK)
    home = recording_server(lambda m, p: (302, {"Location": elsewhere.url + "/steal"}, b""))
    target = _target(home.url)
    with pytest.raises(OffTargetError):
        target.session.get(home.url + "/v1/audiences", headers={"X-Dexatel-Key": "k-primary"})
    assert elsewhere.seen == []


def test_read_only_refuses_anything_but_get(recording_server: StartServer) -> None:
    """In read-only mode only GET reaches the server."""
    server = recording_server(lambda m, p: OK)
    target = _target(server.url, read_only=True)
    for method in ("POST", "PUT", "DELETE", "PATCH", "HEAD"):
        with pytest.raises(ReadOnlyViolation):
            target.request(method, "/v1/audiences")
    assert target.get("/v1/audiences").status_code == 200
    assert [method for method, _, _ in server.seen] == ["GET"]


def test_429_is_waited_out_then_retried(recording_server: StartServer) -> None:
    """Two 429s with Retry-After 0 are retried; the third answer is returned."""
    answers = iter([(429, {"Retry-After": "0"}, b"{}"), (429, {"Retry-After": "0"}, b"{}"), OK])
    server = recording_server(lambda m, p: next(answers))
    assert _target(server.url).get("/v1/audiences").status_code == 200
    assert len(server.seen) == 3


def test_429_retries_are_bounded_and_end_as_rate_limited(recording_server: StartServer) -> None:
    """A server that always answers 429 gets a bounded number of tries, then the request ends as
    RateLimited (a budget error: no verdict), never as a 429 a test could count as a failure."""
    server = recording_server(lambda m, p: (429, {"Retry-After": "0"}, b"{}"))
    with pytest.raises(RateLimited):
        _target(server.url, max_429_retries=2).get("/v1/audiences")
    assert len(server.seen) == 3


def test_429_is_returned_as_it_is_when_retries_are_off(recording_server: StartServer) -> None:
    """With no retries (ROB-03 looks at 429s themselves) the 429 is the answer."""
    server = recording_server(lambda m, p: (429, {"Retry-After": "0"}, b"{}"))
    assert _target(server.url, max_429_retries=0).get("/v1/audiences").status_code == 429
    assert len(server.seen) == 1


def test_a_retry_after_past_the_deadline_ends_as_rate_limited_at_once(
    recording_server: StartServer,
) -> None:
    """A Retry-After that the run's budget cannot wait out is not slept through."""
    server = recording_server(lambda m, p: (429, {"Retry-After": "5"}, b"{}"))
    started = time.monotonic()
    with pytest.raises(RateLimited):
        _target(server.url, deadline=started + 2).get("/v1/audiences")
    assert len(server.seen) == 1
    assert time.monotonic() - started < 2


def test_nothing_is_sent_after_the_deadline(recording_server: StartServer) -> None:
    """Once the run's budget is spent the adapter refuses to send."""
    server = recording_server(lambda m, p: OK)
    with pytest.raises(RunDeadlineExceeded):
        _target(server.url, deadline=time.monotonic() - 1).get("/v1/audiences")
    assert server.seen == []


def test_key_header_is_sent_only_when_asked(recording_server: StartServer) -> None:
    """The account's key by default, none with key=None, another with key='x'."""
    server = recording_server(lambda m, p: OK)
    target = _target(server.url)
    target.get("/v1/audiences")
    target.get("/v1/audiences", key=None)
    target.get("/v1/audiences", key="other")
    sent = [headers.get("X-Dexatel-Key") for _, _, headers in server.seen]
    assert sent == ["k-primary", None, "other"]


def test_oversized_body_is_refused(recording_server: StartServer) -> None:
    """A body past the limit ends the request with ResponseTooLarge instead of filling memory."""
    from conformance.errors import ResponseTooLarge
    from conformance.http.adapter import MAX_RESPONSE_BYTES

    server = recording_server(
        lambda m, p: (200, {"Content-Type": "application/json"}, b" " * (MAX_RESPONSE_BYTES + 1))
    )
    with pytest.raises(ResponseTooLarge):
        _target(server.url).get("/v1/audiences")


def test_body_is_readable_after_the_bounded_read(recording_server: StartServer) -> None:
    """Callers, streaming or not, still get the whole body."""
    server = recording_server(
        lambda m, p: (200, {"Content-Type": "application/json"}, b'{"data": []}')
    )
    target = _target(server.url)
    assert target.get("/v1/audiences").json() == {"data": []}
    streamed = target.session.get(server.url + "/v1/audiences", stream=True)
    assert b"".join(streamed.iter_content(4)) == b'{"data": []}'


def test_a_cleanup_throttled_past_its_retries_says_so_and_keeps_the_id(
    recording_server: StartServer,
) -> None:
    """The cleanup goes on through a throttle (the run's tests are over), and names it for
    what it is, not as a failed connection; the id stays for the sweep and ``cleanup``."""
    server = recording_server(lambda m, p: (429, {"Retry-After": "0"}, b"{}"))
    target = _target(server.url, max_429_retries=1)
    ledger = Ledger()
    ledger.adopt(target.api_key, "0123456789abcdef")
    report = CleanupReport()
    ledger.clean([target], report)
    assert report.problems == [
        "0123456789abcdef: HTTP 429 to every try (the target throttled the cleanup)"
    ]
    assert report.deleted == 0 and ledger.created(target.api_key) == ["0123456789abcdef"]
    assert [method for method, _, _ in server.seen] == ["DELETE", "DELETE"]


def test_an_id_given_again_before_its_delete_came_back_stays_for_the_cleanup() -> None:
    """A server that gives a deleted id to a new audience: the create's 201 may be seen before
    the delete's 204, and the new audience is still the cleanup's."""
    ledger = Ledger()
    ledger.adopt("k-primary", "a" * 16)
    ledger.adopt("k-primary", "a" * 16)  # the new audience, answered first
    ledger.gone("k-primary", "a" * 16)  # the old one's delete, answered after
    assert ledger.created("k-primary") == ["a" * 16]
    ledger.gone("k-primary", "a" * 16)
    assert ledger.created("k-primary") == []


def test_the_cleanup_deletes_only_what_no_delete_of_the_run_removed(
    recording_server: StartServer,
) -> None:
    """A delete answered 204 took the audience out of what the cleanup sends; one refused, or
    sent with another account's key, did not."""
    refused = {"/v1/audiences/bbbbbbbbbbbbbbbb": 500}
    server = recording_server(lambda m, p: (refused.get(p, 204), {}, b""))
    ledger = Ledger()
    target = _target(server.url, observers=[ledger.observe])
    other = Target(server.url, "k-secondary", target.policy)
    for audience_id in ("a" * 16, "b" * 16, "c" * 16):
        ledger.adopt(target.api_key, audience_id)
    target.delete(f"/v1/audiences/{'a' * 16}")
    target.delete(f"/v1/audiences/{'b' * 16}")
    other.delete(f"/v1/audiences/{'c' * 16}")
    assert ledger.created(target.api_key) == ["b" * 16, "c" * 16]
    assert ledger.owns("a" * 16)  # still the run's, for the write guard
    refused.clear()
    ledger.clean([target], CleanupReport())
    assert [path for method, path, _ in server.seen[3:]] == [
        f"/v1/audiences/{'b' * 16}",
        f"/v1/audiences/{'c' * 16}",
    ]
