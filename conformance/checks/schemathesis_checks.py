"""The schemathesis checks the schema test runs: each stands for exactly one rule, and each can
fire in the suite's configuration (a check that cannot run claims no rule).

Left out on purpose:
- ``missing_required_header`` only judges cases of the coverage phase, which the suite turns
  off; AUTH-01 is checked by the suite's own key probes (test_auth.py).
- ``response_headers_conformance`` judges a 429's Retry-After and a 405's Allow, two rules
  (ROB-03, ROB-02) in one check; each is checked by its own test (test_robustness_refusals.py).
- ``ignored_auth`` sends its probes on a session of its own, around the request path.
"""

from __future__ import annotations

import json
from typing import Any

from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.specs.openapi import checks as openapi_checks

from conformance.contract.facts import MAX_PAGE_SIZE
from conformance.verdict.violations import RuleViolation, check


def negative_data_rejection_allowing_clamping(ctx: Any, response: Any, case: Any) -> bool | None:
    """ROB-04's check, with what the contract leaves open (its section 9): a ``page_size`` over
    the maximum may be clamped to it instead of refused, as long as the page keeps to it (PAGE-01).
    An invalid ``page_size`` accepted is charged to PAGE-10, the rule the contract gives it."""
    if _clamped_page_size(response, case):
        return None
    try:
        result: bool | None = openapi_checks.negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        asked = invalid_page_size(case.query)
        if asked is None:
            raise
        raise RuleViolation(
            "PAGE-10",
            expected=f"400 with the error envelope for page_size={asked!r}, not an integer from 1 to 100",
            received=f"HTTP {response.status_code}",
            context=f"{case.method} {case.formatted_path}",
        ) from None
    return result


def invalid_page_size(query: Any) -> str | None:
    """The ``page_size`` of a query as sent, when it is one value and not an integer from 1 to
    100 (PAGE-10); None when it is valid, absent or sent several times."""
    asked = query.get("page_size") if isinstance(query, dict) else None
    if asked is None or isinstance(asked, (list, tuple, dict)):
        return None
    text = str(asked).lower() if isinstance(asked, bool) else str(asked)
    valid = text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PAGE_SIZE
    return None if valid else text


def _clamped_page_size(response: Any, case: Any) -> bool:
    asked = (case.query or {}).get("page_size")
    if (
        response.status_code != 200
        or not isinstance(asked, (int, str))
        or not str(asked).isdigit()
        or int(asked) <= MAX_PAGE_SIZE
    ):
        return False
    try:
        size = response.json()["pagination"]["size"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(size, int) and size <= MAX_PAGE_SIZE


def every_body_is_json(ctx: Any, response: Any, case: Any) -> bool | None:
    """JSON-01 on every answer, whatever its status: schemathesis' content-type check judges only
    the statuses the spec documents, so an HTML 502 page from a gateway would pass it."""
    if not response.content:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    check(
        content_type.split(";")[0].strip().lower() == "application/json",
        "JSON-01",
        expected="a body of Content-Type application/json, whatever the status",
        received=f"HTTP {response.status_code} {content_type or '(no Content-Type)'}: {response.content[:120]!r}",
    )
    try:
        json.loads(response.content)
    except ValueError:
        check(
            False,
            "JSON-01",
            expected="a body that parses as JSON, whatever the status",
            received=f"HTTP {response.status_code}: {response.content[:120]!r}",
        )
    return None


RESPONSE_CHECKS = [
    not_a_server_error,  # ROB-01
    openapi_checks.response_schema_conformance,  # AUD-01
    openapi_checks.content_type_conformance,  # JSON-01
    every_body_is_json,  # JSON-01
    negative_data_rejection_allowing_clamping,  # ROB-04 (PAGE-10 for a page_size)
]
RESPONSE_CHECK_RULES = ("ROB-01", "AUD-01", "JSON-01", "ROB-04")
