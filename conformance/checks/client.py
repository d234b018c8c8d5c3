"""Small client-side helpers the suite's tests share: reading bodies, expecting errors, making audiences.

Each helper raises :class:`~conformance.verdict.violations.RuleViolation` naming the rule a wrong
answer breaks, so a test reads as the contract does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

import requests

from conformance.checks.accounts import ACCOUNT_IDS
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.listing import listed_items
from conformance.http.target import Target
from conformance.verdict.violations import RuleViolation, check

MAX_PAGES = 1000  # a listing stops here: a server whose next never ends is PAGE-04's matter


def body_of(response: requests.Response) -> Any:
    """The JSON body (JSON-01: a body must be application/json and parse)."""
    content_type = response.headers.get("Content-Type", "")
    check(
        content_type.split(";")[0].strip().lower() == "application/json",
        "JSON-01",
        expected="Content-Type application/json",
        received=content_type or "(none)",
        response=response,
        writes_can_cause=False,
    )
    try:
        return response.json()
    except ValueError:
        raise RuleViolation(
            "JSON-01",
            expected="a body that parses as JSON",
            received=response.text[:200],
            response=response,
            writes_can_cause=False,
        ) from None


def error_codes(response: requests.Response) -> list[int]:
    """The codes of an error envelope (ERR-01: a non-empty 'errors' array of {code:int, message:str})."""
    body = body_of(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    check(
        isinstance(errors, list) and len(errors) > 0,
        "ERR-01",
        expected="a non-empty 'errors' array",
        received=body,
        response=response,
        writes_can_cause=False,
    )
    assert isinstance(errors, list)
    for item in errors:
        check(
            isinstance(item, dict)
            and type(item.get("code")) is int
            and isinstance(item.get("message"), str),
            "ERR-01",
            expected="each error with an integer 'code' and a string 'message'",
            received=item,
            response=response,
            writes_can_cause=False,
        )
    return [item["code"] for item in errors]


def expect_error(
    response: requests.Response,
    *,
    status: int,
    rule: str,
    code: int | None = None,
    context: str = "",
) -> None:
    """The response is ``status`` with the error envelope and, when given, ``code`` among its codes."""
    check(
        response.status_code == status,
        rule,
        expected=f"HTTP {status}" + (f" with code {code}" if code else ""),
        received=f"HTTP {response.status_code}",
        response=response,
        context=context,
        writes_can_cause=False,
    )
    codes = error_codes(response)
    if code is not None:
        check(
            code in codes,
            rule,
            expected=f"code {code} among errors[].code",
            received=f"codes {codes}",
            response=response,
            context=context,
            writes_can_cause=False,
        )


def expect_accepted(
    response: requests.Response, *, status: int, what: str, rule: str
) -> dict[str, Any]:
    """The answer to a valid create or update: ``status`` and the audience. A refusal fails
    ``rule``, the operation's (CRUD-01 for a create, CRUD-03 for an update), whatever code came
    back: a code of section 6's table names a fault the request does not have."""
    codes = codes_of(response)
    check(
        response.status_code == status,
        rule,
        expected=f"HTTP {status}: {what} is valid",
        received=f"HTTP {response.status_code}, codes {codes}",
        response=response,
        writes_can_cause=False,
    )
    body = body_of(response)
    audience = body.get("data") if isinstance(body, dict) else None
    check(
        isinstance(audience, dict) and isinstance(audience.get("id"), str),
        rule,
        expected="{'data': Audience} with a string id",
        received=body,
        response=response,
        writes_can_cause=False,
    )
    assert isinstance(audience, dict)
    return audience


def codes_of(response: requests.Response) -> list[int]:
    """The error codes an answer carries, if any, for messages (never a check: ERR-01 judges the envelope)."""
    try:
        errors = response.json().get("errors", [])
        return [
            item["code"]
            for item in errors
            if isinstance(item, dict) and isinstance(item.get("code"), int)
        ]
    except (ValueError, AttributeError):
        return []


def create_audience(
    target: Target, name: str, channel: str, contacts: Sequence[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Create an audience the suite needs, or fail CRUD-01 saying what came back."""
    data: dict[str, Any] = {"name": name, "channel": channel}
    if contacts is not None:
        data["contacts"] = list(contacts)
    response = target.post(AUDIENCES_PATH, json={"data": data})
    check(
        response.status_code == 201,
        "CRUD-01",
        expected="201 for a valid create",
        received=f"HTTP {response.status_code}",
        response=response,
    )
    body = body_of(response)
    audience = body.get("data") if isinstance(body, dict) else None
    check(
        isinstance(audience, dict) and isinstance(audience.get("id"), str),
        "AUD-01",
        expected="{'data': Audience} with a string id",
        received=body,
        response=response,
    )
    assert isinstance(audience, dict)
    check_account(target, audience, response)
    return audience


def check_account(
    target: Target, audience: dict[str, Any], response: requests.Response | None
) -> None:
    """CRUD-01: an audience created with ``target``'s key carries that key's one account_id."""
    ACCOUNT_IDS.record(target.api_key, audience, response, who=key_name(target))


def key_name(target: Target) -> str:
    """How messages name ``target``'s key: by its role, never by its value."""
    from conformance.run.session import active

    run = active()
    return (
        "the secondary API key"
        if run is not None and run.secondary is not None and run.secondary.api_key == target.api_key
        else "the API key"
    )


def delete_audience(target: Target, audience_id: str) -> requests.Response:
    return target.delete(f"{AUDIENCES_PATH}/{audience_id}")


def audience_path(audience_id: str) -> str:
    return f"{AUDIENCES_PATH}/{audience_id}"


def listed(target: Target, **params: str) -> Iterator[dict[str, Any]]:
    """Every audience the query operation lists to ``target``'s account, following ``next``; a
    refused query fails PAGE-04 (FILT-01 when filtered by channel), never skips."""

    def read(response: requests.Response) -> Any:
        # A valid query, and the next links it gives, are answered (a refusal is no skip).
        check(
            response.status_code == 200,
            list_rule(params),
            expected=f"200 for the valid query {params or '(unfiltered)'} and each next link",
            received=f"HTTP {response.status_code}",
            response=response,
        )
        return body_of(response)

    return listed_items(target, params, read=read, max_pages=MAX_PAGES)


def find_listed(
    target: Target, audience_ids: Collection[str], **params: str
) -> dict[str, dict[str, Any]]:
    """The items of ``audience_ids`` the list shows, walking it until all are found (or to its end).

    One walk serves a batch: on an account of thousands of audiences a walk is dozens of pages."""
    wanted, found = set(audience_ids), {}
    for item in listed(target, **params):
        if item.get("id") in wanted:
            found[item["id"]] = item
            if len(found) == len(wanted):
                break
    return found


def list_rule(params: dict[str, str]) -> str:
    """The rule a refused valid query breaks: FILT-01 when it filters by channel, else PAGE-04."""
    return "FILT-01" if "filter[channel]" in params else "PAGE-04"


def total_of(target: Target, **params: str) -> int:
    """The total of a valid query: a refusal fails PAGE-04 (FILT-01 when filtered), a missing
    total PAGE-02 (not a skip)."""
    response = target.get(AUDIENCES_PATH, params={"page_size": "1", **params})
    check(
        response.status_code == 200,
        list_rule(params),
        expected=f"200 for the valid query {params or '(unfiltered)'}",
        received=f"HTTP {response.status_code}",
        response=response,
    )
    body = body_of(response)
    pagination = body.get("pagination") if isinstance(body, dict) else None
    value = pagination.get("total") if isinstance(pagination, dict) else None
    check(
        type(value) is int,
        "PAGE-02",
        expected="pagination.total, an integer",
        received=body,
        response=response,
    )
    assert isinstance(value, int)
    return value
