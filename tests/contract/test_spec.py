"""The OpenAPI description: valid, its operations, responses, error codes and parameters as the contract says, annotated with the rule catalogue."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from spec_reading import (
    ERROR_STATUSES,
    OPERATIONS,
    SPEC,
    SUCCESS,
    annotated_rule_ids,
    each_operation,
    each_response,
    operation_of,
    parameters_of,
    resolved,
)

from conformance.contract.rules import ERROR_CODES, RULES, RULES_BY_ID


def test_spec_is_valid_openapi_3_1() -> None:
    """The document passes openapi-spec-validator as OpenAPI 3.1.0."""
    assert SPEC["openapi"] == "3.1.0"
    validate(SPEC)


def test_info_servers_and_security() -> None:
    """The document describes the API, names the reference server and requires the key everywhere."""
    assert SPEC["info"]["description"].strip()
    assert [server["url"] for server in SPEC["servers"]] == ["http://127.0.0.1:8080"]
    assert "audience-conformance serve" in SPEC["servers"][0]["description"]
    scheme = SPEC["components"]["securitySchemes"]["DexatelKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Dexatel-Key")
    assert SPEC["security"] == [{"DexatelKey": []}]
    assert all("security" not in operation for _, _, _, operation in each_operation())


def test_the_six_operations_are_present() -> None:
    """Each operationId sits on its contract method and path, and there are no others."""
    found = {
        operation["operationId"]: (method, path) for path, method, _, operation in each_operation()
    }
    assert found == OPERATIONS


def test_error_codes_sit_under_their_http_status() -> None:
    """Every table code appears in some x-error-codes, always under the status ERROR_CODES gives it."""
    seen: set[int] = set()
    for operation_id, status, response in each_response():
        for entry in response.get("x-error-codes", []):
            assert set(entry) == {"code", "rule", "when"}, (operation_id, status, entry)
            assert entry["code"] in ERROR_CODES, (operation_id, status, entry)
            assert int(status) == ERROR_CODES[entry["code"]], (operation_id, status, entry)
            assert isinstance(entry["when"], str) and entry["when"].strip()
            seen.add(entry["code"])
    assert seen == set(ERROR_CODES)


def test_annotated_rule_ids_exist_in_the_catalogue() -> None:
    """Every rule ID in x-rules and x-error-codes is a rule of conformance.contract.rules."""
    unknown = annotated_rule_ids() - set(RULES_BY_ID)
    assert not unknown, f"unknown rule IDs in the spec: {sorted(unknown)}"


def test_every_rule_of_the_catalogue_is_in_the_spec() -> None:
    """Each rule of conformance.contract.rules.RULES is named by some x-rules or x-error-codes."""
    missing = [rule.id for rule in RULES if rule.id not in annotated_rule_ids()]
    assert not missing, f"rules the spec never names: {missing}"


def test_every_operation_names_its_rules() -> None:
    """Each operation carries a non-empty x-rules list."""
    for _, _, _, operation in each_operation():
        assert operation.get("x-rules"), operation["operationId"]


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_success_and_error_responses(operation_id: str) -> None:
    """Each operation documents its success and the error statuses that apply, each 4xx with the envelope."""
    responses = operation_of(operation_id)["responses"]
    assert SUCCESS[operation_id] in responses
    statuses = {str(status) for status in responses}
    assert ERROR_STATUSES[operation_id] <= statuses
    assert not {status for status in statuses if status.startswith("5")}
    for status in statuses - {SUCCESS[operation_id]}:
        response = resolved(responses[status])
        assert status.startswith("4"), (operation_id, status)
        assert "x-error-codes" in response, (operation_id, status)
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (operation_id, status)
    retry_after = resolved(responses["429"])["headers"]["Retry-After"]
    assert retry_after["required"] is True


def test_delete_answers_204_without_content() -> None:
    """The 204 of deleteAudience has no content; the other successes are JSON."""
    for operation_id, status in SUCCESS.items():
        response = operation_of(operation_id)["responses"][status]
        if status == "204":
            assert "content" not in response
        else:
            assert list(response["content"]) == ["application/json"]


def test_method_not_allowed_is_documented_once_and_referenced_by_every_path() -> None:
    """The reusable 405 response has an Allow header, and every path item points at it."""
    response = SPEC["components"]["responses"]["MethodNotAllowed"]
    assert response["headers"]["Allow"]["required"] is True
    for path, item in SPEC["paths"].items():
        assert item["x-method-not-allowed"] == "#/components/responses/MethodNotAllowed", path
        assert "405" in item["description"], path


def test_listed_error_codes_per_operation() -> None:
    """The 400s, 404s and 409s list the codes the contract's table gives each operation."""

    def codes(operation_id: str, status: str) -> set[int]:
        response = resolved(operation_of(operation_id)["responses"][status])
        return {entry["code"] for entry in response["x-error-codes"]}

    assert codes("createAudience", "400") == {1303, 1304, 1305, 1306, 1307, 1308, 1353, 1354, 1355}
    assert codes("updateAudience", "400") == {1302, 1303, 1304, 1305}
    for operation_id in ("getAudience", "deleteAudience", "queryContacts"):
        assert codes(operation_id, "400") == {1302}
    for operation_id in ("getAudience", "updateAudience", "deleteAudience", "queryContacts"):
        assert codes(operation_id, "404") == {1301}
    for operation_id in ("createAudience", "updateAudience"):
        assert codes(operation_id, "409") == {1309}
    unknown_filter = resolved(operation_of("queryAudiences")["responses"]["400"])["x-error-codes"]
    assert unknown_filter == [{"code": 1307, "rule": "FILT-04", "when": unknown_filter[0]["when"]}]


def test_query_parameters() -> None:
    """Paging and filter parameters carry the names, styles and bounds the contract gives them."""
    for operation_id, filter_name in (
        ("queryAudiences", "filter[channel]"),
        ("queryContacts", "filter[search]"),
    ):
        parameters = parameters_of(operation_id)
        assert set(parameters) - {"id"} == {"page_token", "page_size", filter_name}
        for name in ("page_token", "page_size", filter_name):
            assert parameters[name]["in"] == "query"
            assert parameters[name]["style"] == "form"
            assert parameters[name].get("required", False) is False
    parameters = parameters_of("queryAudiences")
    page_size = parameters["page_size"]["schema"]
    assert (
        page_size["type"],
        page_size["minimum"],
        page_size["maximum"],
        page_size["default"],
    ) == ("integer", 1, 100, 20)
    assert parameters["page_token"]["schema"]["type"] == "string"
    assert "links" in parameters["page_token"]["description"]
    channel = parameters["filter[channel]"]
    assert {"SMS", "VIBER", "WHATSAPP"} <= set(channel["schema"]["enum"])
    assert "FILT-03" in channel["description"] and "FILT-04" in channel["description"]


def test_identifier_parameter() -> None:
    """The {id} path parameter is a required string of 1 to 64 letters, digits, '-' and '_'."""
    for operation_id in ("getAudience", "updateAudience", "deleteAudience", "queryContacts"):
        parameter = parameters_of(operation_id)["id"]
        assert parameter["in"] == "path" and parameter["required"] is True
        schema = resolved(parameter["schema"])
        assert schema["type"] == "string"
        assert schema["pattern"] == "^[A-Za-z0-9_-]{1,64}$"
