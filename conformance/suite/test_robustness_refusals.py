"""The usual HTTP refusals, wrong JSON types and rate limits (ROB-02, ROB-04, ROB-03).

ROB-02 (SHOULD): 400 for a body that is not JSON, 415 for another media type, 405 with
``Allow`` for a method the route lacks, 413 for a body over 1 MiB, each with the envelope.
ROB-04 (SHOULD): a field of the wrong JSON type gets 400. ROB-03: a rate limit answers 429
with ``Retry-After``; the request path waits such answers out, so a 429 never fails a test.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import valid_data, wrong_values
from conformance.checks.client import audience_path, expect_error
from conformance.checks.param_ids import readable_ids
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target
from conformance.run.session import RunContext
from conformance.suite.hostile_requests import FRESH, JSON_TYPE, MIB, body_routes, send, valid
from conformance.verdict.violations import NotExercised, check

# -- ROB-02: the usual HTTP refusals --------------------------------------------------------


_NAME = FRESH().encode()  # a name free to take: the body fails as JSON only
NOT_JSON = [
    b"{",
    b"not json",
    b'{"data": }',
    b"{'data': {}}",
    b'{"data": {"name": "%s",}}' % _NAME,
    b"\xff\xfe\x00",
    b'{"data": {"name": NaN}}',
]
# The same in every run (the run's name is not part of it): histories and baselines match it.
NOT_JSON_IDS = readable_ids(body.replace(_NAME, b"NAME") for body in NOT_JSON)


@pytest.mark.writes
@pytest.mark.rule("ROB-02")
@pytest.mark.parametrize("body", NOT_JSON, ids=NOT_JSON_IDS)
def test_a_body_that_is_not_json_gets_400(
    target: Target, robustness_audience: dict[str, Any], body: bytes
) -> None:
    """ROB-02: a create or update whose body does not parse as JSON: 400 with the envelope."""
    for method, path in body_routes(robustness_audience["id"]):
        expect_error(
            target.request(method, path, data=body, headers=JSON_TYPE),
            status=400,
            rule="ROB-02",
            context=f"{method} with a body that is not JSON",
        )


OTHER_MEDIA_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/xml",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
]


@pytest.mark.writes
@pytest.mark.rule("ROB-02")
@pytest.mark.parametrize("content_type", OTHER_MEDIA_TYPES)
def test_a_body_of_another_media_type_gets_415(
    target: Target, robustness_audience: dict[str, Any], content_type: str
) -> None:
    """ROB-02: a create or update sent as another media type (the body itself valid JSON): 415 with the envelope."""
    for method, path in body_routes(robustness_audience["id"]):
        body = json.dumps(valid() if method == "POST" else {"data": {"name": FRESH()}}).encode()
        expect_error(
            target.request(method, path, data=body, headers={"Content-Type": content_type}),
            status=415,
            rule="ROB-02",
            context=f"{method} as {content_type}",
        )


def _missing_methods(audience_id: str) -> list[tuple[str, str]]:
    """Methods the routes do not have; never DELETE or PUT on the collection, which a faulty server might obey."""
    item, contacts = audience_path(audience_id), audience_path(audience_id) + "/contacts"
    return [
        ("PATCH", AUDIENCES_PATH),
        ("PATCH", item),
        ("POST", item),
        ("POST", contacts),
        ("PUT", contacts),
        ("PATCH", contacts),
        ("DELETE", contacts),
    ]


@pytest.mark.writes
@pytest.mark.rule("ROB-02")
def test_a_method_a_route_lacks_gets_405_with_allow(
    target: Target, robustness_audience: dict[str, Any]
) -> None:
    """ROB-02: 405 with an Allow header (RFC 9110) that does not list the refused method, and the envelope."""
    for method, path in _missing_methods(robustness_audience["id"]):
        response = target.request(method, path, json={"data": {"name": FRESH(), "channel": "SMS"}})
        expect_error(response, status=405, rule="ROB-02", context=f"{method} {path}")
        allowed = {
            part.strip().upper()
            for part in response.headers.get("Allow", "").split(",")
            if part.strip()
        }
        check(
            bool(allowed) and method not in allowed,
            "ROB-02",
            expected=f"an Allow header listing the route's methods, not {method}",
            received=response.headers.get("Allow", "(no Allow header)"),
            response=response,
        )


@pytest.mark.writes
@pytest.mark.rule("ROB-02")
@pytest.mark.parametrize("size", [MIB + 1, 2 * MIB], ids=["1MiB+1", "2MiB"])
def test_a_body_over_1_mib_gets_413(
    target: Target, robustness_audience: dict[str, Any], size: int
) -> None:
    """ROB-02: a create or update body over 1 MiB: 413 with the envelope (not a closed connection)."""
    for method, path in body_routes(robustness_audience["id"]):
        head, tail = b'{"data": {"channel": "SMS", "name": "' + FRESH().encode(), b'"}}'
        body = head + b"a" * (size - len(head) - len(tail)) + tail
        response = send(
            target, method, path, data=body, headers=JSON_TYPE
        )  # no answer at all: ROB-01
        expect_error(
            response,
            status=413,
            rule="ROB-02",
            context=f"{method} with a body of {len(body)} bytes",
        )


# -- ROB-04: wrong JSON types ---------------------------------------------------------------


@st.composite
def wrongly_typed(draw: st.DrawFn) -> tuple[str, dict[str, Any] | Any]:
    """A valid create body with one field of the wrong JSON type (null counts as absent only for name and channel)."""
    body = draw(valid_data.create_bodies(FRESH, contacts=valid_data.contact_lists(1, 3)))
    data = body["data"]
    where = draw(
        st.sampled_from(
            [
                "document",
                "data",
                "name",
                "channel",
                "contacts",
                "contact",
                "number",
                "first_name",
                "last_name",
            ]
        )
    )
    if where == "document":
        value = draw(wrong_values.wrong_json_types(excluding=(dict,)) | st.none())
        return "the document", value
    if where == "data":
        data_value = draw(wrong_values.wrong_json_types(excluding=(dict,)))
        return "data", {"data": data_value}
    if where in ("name", "channel"):
        data[where] = draw(wrong_values.wrong_json_types())
        return f"data.{where}", body
    if where == "contacts":
        data["contacts"] = draw(wrong_values.wrong_json_types(excluding=(list,)) | st.none())
        return "data.contacts", body
    if where == "contact":
        data["contacts"][0] = draw(wrong_values.wrong_json_types(excluding=(dict,)) | st.none())
        return "data.contacts[0]", body
    data["contacts"][0][where] = draw(wrong_values.wrong_json_types())
    return f"data.contacts[0].{where}", body


@pytest.mark.writes
@pytest.mark.rule("ROB-04")
@given(case=wrongly_typed())
def test_a_field_of_the_wrong_type_gets_400(target: Target, case: tuple[str, Any]) -> None:
    """ROB-04: a create with one field of the wrong JSON type: 400 with the envelope."""
    where, body = case
    response = target.post(AUDIENCES_PATH, data=json.dumps(body).encode(), headers=JSON_TYPE)
    expect_error(
        response, status=400, rule="ROB-04", context=f"create with {where} of the wrong type"
    )


@pytest.mark.writes
@pytest.mark.rule("ROB-04")
@given(value=wrong_values.wrong_json_types(excluding=(dict,)))
def test_an_update_of_the_wrong_type_gets_400(
    target: Target, robustness_audience: dict[str, Any], value: Any
) -> None:
    """ROB-04: an update whose data, or data.name, has the wrong JSON type: 400 with the envelope."""
    for body in ({"data": value}, {"data": {"name": value}}):
        response = target.put(
            audience_path(robustness_audience["id"]),
            data=json.dumps(body).encode(),
            headers=JSON_TYPE,
        )
        expect_error(
            response, status=400, rule="ROB-04", context=f"update with {json.dumps(body)[:100]}"
        )


# -- ROB-03: rate limits ----------------------------------------------------------------------


BURST = 30
RATE_LIMIT_PAUSE = 1.0


@pytest.mark.rule("ROB-03")
def test_a_rate_limit_answers_429_with_retry_after(run: RunContext, target: Target) -> None:
    """ROB-03: a burst of reads; any 429 carries a Retry-After of seconds or an HTTP date.

    Retries are off for the burst only, so that 429s are seen rather than waited out. A target
    that sent no 429 gave the rule nothing to check: ROB-03 is then not exercised, neither
    passed nor failed.
    """
    retries, run.policy.max_429_retries = run.policy.max_429_retries, 0
    try:
        limited = [
            response
            for response in (
                target.get(AUDIENCES_PATH, params={"page_size": 1}) for _ in range(BURST)
            )
            if response.status_code == 429
        ]
    finally:
        run.policy.max_429_retries = retries
    if limited:
        time.sleep(RATE_LIMIT_PAUSE)  # let the limit recover before the next test
    for response in limited:
        value = response.headers.get("Retry-After", "")
        check(
            value.strip().isdigit() or _is_http_date(value),
            "ROB-03",
            expected="a 429 with Retry-After (seconds or an HTTP date)",
            received=value or "(no Retry-After)",
            response=response,
        )
    if not limited:
        raise NotExercised(
            "ROB-03",
            f"the target answered none of {BURST} reads in a burst with 429: it showed no rate limit to check",
        )


def _is_http_date(value: str) -> bool:
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return True
