"""Which contract rule each schemathesis check stands for.

The suite runs only the checks listed here (see :mod:`conformance.checks.schemathesis_checks` for those it
leaves out); a schemathesis failure is reported against the one rule its check maps to, so the
verdict stays a verdict per rule ID. (The suite's wrapper of ``negative_data_rejection`` charges
an accepted invalid ``page_size`` to PAGE-10 itself: :mod:`conformance.checks.schemathesis_checks`.)
"""

from __future__ import annotations

SCHEMATHESIS_CHECK_RULES: dict[str, str] = {
    "not_a_server_error": "ROB-01",
    "response_schema_conformance": "AUD-01",
    "content_type_conformance": "JSON-01",
    "negative_data_rejection": "ROB-04",
    "unsupported_method": "ROB-02",
    "allow_header_conformance": "ROB-02",
    "use_after_free": "CRUD-05",
    "ensure_resource_availability": "CRUD-02",
}

# A body that is not JSON is a JSON-01 matter whichever check stumbled on it.
SCHEMATHESIS_FAILURE_RULES: dict[str, str] = {
    "MalformedJson": "JSON-01",
    "ContentDeserializationError": "JSON-01",
    "ServerError": "ROB-01",
}


def rules_of_check_failure(failure: object) -> list[str]:
    """Rule IDs a schemathesis ``Failure`` stands for (by class first, then by the checks reporting it)."""
    by_class = SCHEMATHESIS_FAILURE_RULES.get(type(failure).__name__)
    if by_class:
        return [by_class]
    checks = getattr(failure, "checks", ()) or ()
    return [SCHEMATHESIS_CHECK_RULES[name] for name in checks if name in SCHEMATHESIS_CHECK_RULES]


def rules_of_checks(names: list[str]) -> list[str]:
    return sorted({SCHEMATHESIS_CHECK_RULES[name] for name in names})
