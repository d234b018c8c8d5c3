"""The packaged OpenAPI description is the source one, and schemathesis loads it and generates cases."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from spec_reading import (
    OPERATIONS,
    PACKAGED_SPEC,
    SOURCE_SPEC,
    validator_for,
)


def test_packaged_spec_is_the_source_spec() -> None:
    """conformance/spec/audiences.yaml ships the very bytes of openapi/audiences.yaml."""
    if not SOURCE_SPEC.is_file():
        pytest.skip(
            "no source tree here: openapi/audiences.yaml is absent (the package is installed elsewhere)"
        )
    assert PACKAGED_SPEC.read_bytes() == SOURCE_SPEC.read_bytes()


def _schemathesis_operations() -> dict[str, Any]:
    """The operations schemathesis finds in the packaged spec, by operationId; any load error fails."""
    with resources.as_file(PACKAGED_SPEC) as path:
        schema = schemathesis.openapi.from_path(str(path))
    schema.validate()
    operations: dict[str, Any] = {}
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        operations[schema.get_operation_id(operation)] = operation
    return operations


def test_schemathesis_loads_six_operations() -> None:
    """schemathesis reads the spec and finds the six operations without errors."""
    operations = _schemathesis_operations()
    assert set(operations) == set(OPERATIONS)
    assert {operation.label for operation in operations.values()} == {
        f"{method.upper()} {path}" for method, path in OPERATIONS.values()
    }


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_schemathesis_generates_cases(operation_id: str, mode: GenerationMode) -> None:
    """schemathesis generates cases for every operation; positive ones satisfy the spec's own schemas."""
    operation = _schemathesis_operations()[operation_id]
    body_schema = {
        "queryAudiences": None,
        "createAudience": "/components/schemas/CreateAudienceRequest",
        "getAudience": None,
        "updateAudience": "/components/schemas/UpdateAudienceRequest",
        "deleteAudience": None,
        "queryContacts": None,
    }[operation_id]
    cases: list[schemathesis.Case] = []

    @hypothesis.settings(
        max_examples=10,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(operation.as_strategy(generation_mode=mode))
    def draw(case: schemathesis.Case) -> None:
        """Keep each generated case."""
        cases.append(case)

    draw()
    assert cases
    if mode == GenerationMode.POSITIVE:
        for case in cases:
            if case.path_parameters:
                assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(case.path_parameters["id"]))
            if body_schema is not None:
                validator_for(body_schema).validate(case.body)
