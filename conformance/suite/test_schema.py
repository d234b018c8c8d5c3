"""Schema-level conformance: schemathesis over every operation of the spec.

Positive and negative data for each operation; each response is checked by the
schemathesis checks listed in :mod:`conformance.contract.schemathesis_rules`, and a failure is reported
against the rule its check stands for. Every check runs on every case, so a case that fails
SHOULD rules only (ROB-04, PAGE-10) is kept for the end of the test and the next cases go on:
ROB-01, AUD-01 and JSON-01 are checked on them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conformance.checks.api_schema import load_schema, make_case_safe
from conformance.checks.schemathesis_checks import RESPONSE_CHECK_RULES, RESPONSE_CHECKS
from conformance.run.session import active
from conformance.verdict.should_kept import kept_for_the_end

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

_ACTIVE = active()
assert _ACTIVE is not None, "the suite's conftest starts the run"
RUN = _ACTIVE
schema = load_schema(RUN)


@schema.parametrize()
@pytest.mark.rule(*RESPONSE_CHECK_RULES)
def test_operation_conforms_to_schema(case: OpenApiCase) -> None:
    """Every response of the operation, to positive and negative data, conforms to the spec."""
    make_case_safe(case, RUN)  # the spec's own examples come without hooks
    with kept_for_the_end():
        case.call_and_validate(session=RUN.primary.session, checks=RESPONSE_CHECKS)
