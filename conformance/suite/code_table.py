"""The code table of section 6 as tests use it: its faults, one parameter per row, and the
judgement of an answer against the row (VAL-00 and the row's rule, raised together).

The fault tables are made once, at import, with the run's fresh names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
import requests

from conformance.checks import faults
from conformance.checks.client import error_codes
from conformance.contract.rules import RULES_BY_ID
from conformance.http.target import Target
from conformance.run.session import current
from conformance.verdict.violations import RuleViolation

RUN = current()
FRESH = RUN.namer.fresh
CREATE_FAULTS = faults.create_faults(FRESH)
UPDATE_FAULTS = faults.update_faults(FRESH)


def rows(codes: Sequence[int]) -> list[Any]:
    """One parameter per table row, tagged with the row's rule and with VAL-00 at the row's level."""
    return [
        pytest.param(
            code,
            id=str(code),
            marks=[
                pytest.mark.rule(f"VAL-{code}"),
                pytest.mark.rule("VAL-00", level=RULES_BY_ID[f"VAL-{code}"].level.value),
            ],
        )
        for code in codes
    ]


def expect_table_answer(
    response: requests.Response, *, rule: str, status: int, codes: frozenset[int], context: str
) -> None:
    """VAL-00 and the row's rule: the table's status, and one of ``codes`` among errors[].code.

    A wrong answer breaks both rules at once, so both are raised together.
    """
    wanted = " or ".join(str(code) for code in sorted(codes))
    if response.status_code != status:
        raise _broken(
            (rule, "VAL-00"),
            expected=f"HTTP {status} with code {wanted}",
            received=f"HTTP {response.status_code}",
            response=response,
            context=context,
        )
    sent = error_codes(response)  # ERR-01: without the envelope no code can be among errors[].code
    if not codes & set(sent):
        raise _broken(
            (rule, "VAL-00"),
            expected=f"code {wanted} among errors[].code",
            received=f"codes {sent}",
            response=response,
            context=context,
        )


def _broken(
    rules: tuple[str, ...],
    *,
    expected: str,
    received: str,
    response: requests.Response,
    context: str,
) -> ExceptionGroup[RuleViolation]:
    """One violation per rule, grouped: the verdict counts a group against every rule it names."""
    first, *others = rules
    violations = [
        RuleViolation(
            first, expected=expected, received=received, response=response, context=context
        )
    ]
    violations += [
        RuleViolation(
            rule, expected=expected, received=received, context=f"{context} (see {first})"
        )
        for rule in others
    ]
    return ExceptionGroup(f"{', '.join(rules)}: {context}", violations)


def send_body(
    target: Target, method: str, path: str, body: Any, *, raw_utf8: bool
) -> requests.Response:
    """The body as JSON: non-ASCII characters escaped (\\u00e9), or written as raw UTF-8."""
    if not raw_utf8:
        return target.request(method, path, json=body)
    encoded = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return target.request(method, path, data=encoded, headers={"Content-Type": "application/json"})
