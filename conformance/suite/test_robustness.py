"""Hostile and odd requests (ROB-01..ROB-04).

ROB-01 (MUST): nothing, however malformed, yields a 5xx. ROB-02 (SHOULD): the usual HTTP
refusals, each with the envelope: 400 for a body that is not JSON, 415 for another media
type, 405 with ``Allow`` for a method the route lacks, 413 for a body over 1 MiB. ROB-04
(SHOULD): a field of the wrong JSON type gets 400. ROB-03: a rate limit answers 429 with
``Retry-After``; the request path waits such answers out, so a 429 never fails a test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import valid_data, wrong_values
from conformance.checks.client import audience_path, create_audience, expect_error
from conformance.checks.param_ids import readable_ids
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target
from conformance.run.session import RunContext, current
from conformance.verdict.violations import NotExercised, check

RUN = current()
FRESH = RUN.namer.fresh
MIB = 1024 * 1024
JSON_TYPE = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def kept(target: Target, writable: None) -> dict[str, Any]:
    """The audience the hostile updates are sent to."""
    return create_audience(target, FRESH(), "SMS", [{"number": "+37491234567"}])


def body_routes(audience_id: str) -> list[tuple[str, str]]:
    return [("POST", AUDIENCES_PATH), ("PUT", audience_path(audience_id))]


def expect_no_server_error(response: requests.Response, what: str) -> None:
    check(
        response.status_code < 500,
        "ROB-01",
        expected=f"no 5xx for {what}",
        received=f"HTTP {response.status_code}",
        response=response,
    )


def send(
    target: Target,
    method: str,
    path: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """Send a request. A server that closes the connection instead of answering fails ROB-01
    (the request path raises :class:`~conformance.http.dropped.ConnectionDropped`): however malformed
    the content, the HTTP request is well formed and gets an answer."""
    return target.request(method, path, data=data, headers=headers)


def valid(name: str | None = None) -> dict[str, Any]:
    return {"data": {"name": name or FRESH(), "channel": "SMS"}}


def _hostile_bodies() -> Iterator[tuple[str, bytes, str | None]]:
    """(what, body, Content-Type) for create and update; each valid one carries a fresh name."""
    text = json.dumps(valid())
    yield "an unterminated object", b"{", "application/json"
    yield "a truncated body", text[: len(text) // 2].encode(), "application/json"
    yield "trailing garbage", (text + "}}").encode(), "application/json"
    yield "two documents", (text + text).encode(), "application/json"
    yield "an empty body", b"", "application/json"
    yield "only white space", b" \r\n\t ", "application/json"
    yield "NUL bytes", b"\x00" * 64, "application/json"
    for document in ("[]", '"data"', "123", "null", "true", "{}", '{"data": []}', '{"data": "x"}'):
        yield f"the document {document}", document.encode(), "application/json"
    yield "a byte order mark", b"\xef\xbb\xbf" + json.dumps(valid()).encode(), "application/json"
    yield "UTF-16 bytes", json.dumps(valid()).encode("utf-16"), "application/json"
    yield (
        "UTF-16 declared",
        json.dumps(valid()).encode("utf-16-le"),
        "application/json; charset=utf-16",
    )
    # Every name carries the run's prefix, however wrong the rest: what a faulty server keeps
    # is found and deleted at the end of the run.
    yield (
        "latin-1 bytes",
        b'{"data": {"name": "%scaf\xe9", "channel": "SMS"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "invalid UTF-8",
        b'{"data": {"name": "%s\xff\xfe\xc0\x80", "channel": "SMS"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "overlong UTF-8 for '/'",
        b'{"data": {"name": "%sa\xc0\xafb", "channel": "SMS"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "a lone surrogate in the name",
        b'{"data": {"name": "%s\\ud800", "channel": "SMS"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "a lone surrogate in a contact name",
        b'{"data": {"name": "%s", "channel": "SMS", "contacts": [{"number": "+37491234567", "first_name": "\\udfff"}]}}'
        % FRESH().encode(),
        "application/json",
    )
    yield (
        "a lone surrogate as a channel",
        b'{"data": {"name": "%s", "channel": "\\ud83d"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "escaped NUL characters",
        b'{"data": {"name": "%s\\u0000", "channel": "SMS\\u0000"}}' % FRESH().encode(),
        "application/json",
    )
    yield "arrays nested 100000 deep", b"[" * 100_000 + b"]" * 100_000, "application/json"
    yield (
        "objects nested 50000 deep",
        b'{"data": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
        "application/json",
    )
    yield (
        "an integer of 5000 digits",
        b'{"data": {"name": 1' + b"0" * 5000 + b', "channel": "SMS"}}',
        "application/json",
    )
    yield (
        "a number beyond double",
        b'{"data": {"name": "%s", "channel": "SMS", "contacts": [{"number": 1e999999}]}}'
        % FRESH().encode(),
        "application/json",
    )
    yield "NaN", b'{"data": {"name": NaN, "channel": "SMS"}}', "application/json"
    yield (
        "-Infinity",
        b'{"data": {"name": "%s", "channel": -Infinity}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "duplicate keys",
        b'{"data": {"name": "%s", "name": 7, "channel": "SMS"}}' % FRESH().encode(),
        "application/json",
    )
    yield (
        "contacts as an object",
        json.dumps(
            {
                "data": {
                    "name": FRESH(),
                    "channel": "SMS",
                    "contacts": {"0": {"number": "+37491234567"}},
                }
            }
        ).encode(),
        "application/json",
    )
    yield (
        "30000 contacts",
        json.dumps(
            {
                "data": {
                    "name": FRESH(),
                    "channel": "SMS",
                    "contacts": [{"number": "+37491234567"}] * 30_000,
                }
            }
        ).encode(),
        "application/json",
    )
    yield (
        "a name of 900000 characters",
        json.dumps(valid(FRESH() + "a" * 900_000)).encode(),
        "application/json",
    )
    yield "a body of 2 MiB", json.dumps(valid(FRESH() + "a" * 2 * MIB)).encode(), "application/json"
    yield (
        "a form body",
        b"data[name]=%s&data[channel]=SMS" % FRESH().encode(),
        "application/x-www-form-urlencoded",
    )
    yield (
        "a multipart body",
        b'--b\r\nContent-Disposition: form-data; name="data"\r\n\r\n{}\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    )
    yield (
        "XML",
        b"<data><name>%s</name><channel>SMS</channel></data>" % FRESH().encode(),
        "application/xml",
    )
    yield "no content type", json.dumps(valid()).encode(), None
    yield "a garbled content type", json.dumps(valid()).encode(), "][; charset=\x7f"
    yield "a JSON body as text/plain", json.dumps(valid()).encode(), "text/plain"
    yield (
        "an unknown charset",
        json.dumps(valid()).encode(),
        "application/json; charset=x-unknown-42",
    )


HOSTILE_BODIES = list(_hostile_bodies())


@pytest.mark.writes
@pytest.mark.rule("ROB-01")
@pytest.mark.parametrize(
    "what, body, content_type",
    HOSTILE_BODIES,
    ids=[what.replace(" ", "-") for what, _, _ in HOSTILE_BODIES],
)
def test_hostile_bodies_never_yield_a_5xx(
    target: Target, kept: dict[str, Any], what: str, body: bytes, content_type: str | None
) -> None:
    """ROB-01: create and update with a malformed, odd or huge body: any answer but a 5xx."""
    headers = {"Content-Type": content_type} if content_type else {}
    for method, path in body_routes(kept["id"]):
        expect_no_server_error(
            send(target, method, path, data=body, headers=headers), f"{method} with {what}"
        )


@pytest.mark.writes
@pytest.mark.rule("ROB-01")
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        ["application/json", "application/json; charset=utf-8", "text/plain", ""]
    ),
)
def test_random_bytes_never_yield_a_5xx(
    target: Target, kept: dict[str, Any], body: bytes, content_type: str
) -> None:
    """ROB-01: any bytes as a create or update body."""
    for method, path in body_routes(kept["id"]):
        response = send(
            target,
            method,
            path,
            data=body,
            headers={"Content-Type": content_type} if content_type else {},
        )
        expect_no_server_error(response, f"{method} with {len(body)} random bytes")


JSON_KEYS = st.sampled_from(
    ["data", "name", "channel", "contacts", "number", "first_name", "last_name", "id", ""]
) | st.text(max_size=8)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(JSON_KEYS, children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.writes
@pytest.mark.rule("ROB-01")
@given(document=JSON_VALUES)
def test_random_json_never_yields_a_5xx(
    target: Target, kept: dict[str, Any], document: Any
) -> None:
    """ROB-01: any JSON document, of the contract's field names or not, as a create or update body."""
    for method, path in body_routes(kept["id"]):
        response = send(target, method, path, data=json.dumps(document).encode(), headers=JSON_TYPE)
        expect_no_server_error(response, f"{method} with the document {json.dumps(document)[:200]}")


def _odd_queries() -> list[str]:
    return [
        "foo=bar",
        "page_size=%FF",
        "page_size=%00",
        "page_size=1e2",
        "page_size=-1",
        "page_size=99999999999999999999999999",
        "page_size=5&page_size=7",
        "filter[channel]=%FF%FE",
        "filter%5Bchannel%5D%5B%5D=SMS",
        "filter=SMS",
        "filter[unknown]=x",
        "page_token=%00",
        "page_token=" + "A" * 8000,
        "%ZZ=1&=&&=x",
        "data[name]=x&channel=SMS",
        "filter[search]=%25%5F%27%22",
    ]


@pytest.mark.rule("ROB-01")
@pytest.mark.parametrize("query", _odd_queries(), ids=readable_ids(_odd_queries()))
def test_odd_query_strings_never_yield_a_5xx(target: Target, query: str) -> None:
    """ROB-01: unknown, repeated, badly encoded or huge query parameters on every read route."""
    audience_id = "0" * 32
    for path in (
        AUDIENCES_PATH,
        audience_path(audience_id),
        audience_path(audience_id) + "/contacts",
    ):
        expect_no_server_error(send(target, "GET", f"{path}?{query}"), f"GET {path}?{query[:80]}")


@pytest.mark.rule("ROB-01")
@given(params=st.dictionaries(st.text(max_size=20), st.text(max_size=60), max_size=4))
def test_random_query_parameters_never_yield_a_5xx(target: Target, params: dict[str, str]) -> None:
    """ROB-01: any parameters, properly encoded, beside the query operation's own."""
    response = target.get(AUDIENCES_PATH, params=params)
    expect_no_server_error(response, f"GET {AUDIENCES_PATH} with the parameters {params}")


ODD_METHODS = ["PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "FOO"]


@pytest.mark.writes
@pytest.mark.rule("ROB-01")
@pytest.mark.parametrize("method", ODD_METHODS)
def test_unknown_methods_never_yield_a_5xx(
    target: Target, kept: dict[str, Any], method: str
) -> None:
    """ROB-01: methods the contract does not name, on every route (OPTIONS and HEAD may well succeed)."""
    for path in (
        AUDIENCES_PATH,
        audience_path(kept["id"]),
        audience_path(kept["id"]) + "/contacts",
    ):
        expect_no_server_error(
            send(
                target,
                method,
                path,
                data=json.dumps({"data": {"name": FRESH()}}).encode(),
                headers=JSON_TYPE,
            ),
            f"{method} {path}",
        )


@pytest.mark.rule("ROB-01")
@pytest.mark.parametrize(
    "suffix",
    [
        "/",
        "//",
        "/0123/contacts/",
        "/0123/contacts/x",
        "/0123/x",
        "/%2e%2e",
        "/0123/%2e%2e/contacts",
        "/%00",
        "/%FF",
    ],
)
def test_odd_paths_never_yield_a_5xx(target: Target, suffix: str) -> None:
    """ROB-01: trailing slashes, extra segments and odd encodings below /v1/audiences."""
    expect_no_server_error(
        send(target, "GET", AUDIENCES_PATH + suffix), f"GET {AUDIENCES_PATH + suffix}"
    )


# -- ROB-02: the usual HTTP refusals --------------------------------------------------------


NOT_JSON = [
    b"{",
    b"not json",
    b'{"data": }',
    b"{'data': {}}",
    b'{"data": {"name": "%s",}}' % FRESH().encode(),
    b"\xff\xfe\x00",
    b'{"data": {"name": NaN}}',
]


@pytest.mark.writes
@pytest.mark.rule("ROB-02")
@pytest.mark.parametrize("body", NOT_JSON, ids=readable_ids(NOT_JSON))
def test_a_body_that_is_not_json_gets_400(
    target: Target, kept: dict[str, Any], body: bytes
) -> None:
    """ROB-02: a create or update whose body does not parse as JSON: 400 with the envelope."""
    for method, path in body_routes(kept["id"]):
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
    target: Target, kept: dict[str, Any], content_type: str
) -> None:
    """ROB-02: a create or update sent as another media type (the body itself valid JSON): 415 with the envelope."""
    for method, path in body_routes(kept["id"]):
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
def test_a_method_a_route_lacks_gets_405_with_allow(target: Target, kept: dict[str, Any]) -> None:
    """ROB-02: 405 with an Allow header (RFC 9110) that does not list the refused method, and the envelope."""
    for method, path in _missing_methods(kept["id"]):
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
def test_a_body_over_1_mib_gets_413(target: Target, kept: dict[str, Any], size: int) -> None:
    """ROB-02: a create or update body over 1 MiB: 413 with the envelope (not a closed connection)."""
    for method, path in body_routes(kept["id"]):
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
    target: Target, kept: dict[str, Any], value: Any
) -> None:
    """ROB-04: an update whose data, or data.name, has the wrong JSON type: 400 with the envelope."""
    for body in ({"data": value}, {"data": {"name": value}}):
        response = target.put(
            audience_path(kept["id"]), data=json.dumps(body).encode(), headers=JSON_TYPE
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
