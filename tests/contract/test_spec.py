"""The OpenAPI description: valid, complete, annotated with the rule catalogue, loadable by schemathesis."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import hypothesis
import jsonschema
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck
from jsonschema.protocols import Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from conformance.contract.rules import ERROR_CODES, RULES, RULES_BY_ID

SOURCE_SPEC = Path(__file__).resolve().parents[2] / "openapi" / "audiences.yaml"
PACKAGED_SPEC = resources.files("conformance") / "spec" / "audiences.yaml"
SPEC_URI = "urn:audience-spec"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
OPERATIONS: dict[str, tuple[str, str]] = {
    "queryAudiences": ("get", "/v1/audiences"),
    "createAudience": ("post", "/v1/audiences"),
    "getAudience": ("get", "/v1/audiences/{id}"),
    "updateAudience": ("put", "/v1/audiences/{id}"),
    "deleteAudience": ("delete", "/v1/audiences/{id}"),
    "queryContacts": ("get", "/v1/audiences/{id}/contacts"),
}
SUCCESS: dict[str, str] = {
    "queryAudiences": "200",
    "createAudience": "201",
    "getAudience": "200",
    "updateAudience": "200",
    "deleteAudience": "204",
    "queryContacts": "200",
}
ERROR_STATUSES: dict[str, set[str]] = {
    "queryAudiences": {"400", "401", "429"},
    "createAudience": {"400", "401", "409", "413", "415", "429"},
    "getAudience": {"400", "401", "404", "429"},
    "updateAudience": {"400", "401", "404", "409", "413", "415", "429"},
    "deleteAudience": {"400", "401", "404", "429"},
    "queryContacts": {"400", "401", "404", "429"},
}


def _load() -> dict[str, Any]:
    """The packaged spec, parsed (the same file as openapi/audiences.yaml in a source tree)."""
    loaded = yaml.safe_load(PACKAGED_SPEC.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


SPEC = _load()


def _resolve(node: Any) -> Any:
    """Follow a local ``$ref`` (and chains of them) to the object it names."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _operations() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """Every operation as (path, method, path item, operation)."""
    for path, item in SPEC["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item, item[method]


def _operation(operation_id: str) -> dict[str, Any]:
    """The operation object with this operationId."""
    method, path = OPERATIONS[operation_id]
    operation: dict[str, Any] = SPEC["paths"][path][method]
    return operation


def _parameters(operation_id: str) -> dict[str, dict[str, Any]]:
    """The operation's parameters, path-level ones included, resolved and keyed by name."""
    method, path = OPERATIONS[operation_id]
    item = SPEC["paths"][path]
    found = [_resolve(p) for p in item.get("parameters", []) + item[method].get("parameters", [])]
    return {parameter["name"]: parameter for parameter in found}


def _responses() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (operationId, status key, resolved response) of the spec."""
    for _, _, _, operation in _operations():
        for status, response in operation["responses"].items():
            yield operation["operationId"], str(status), _resolve(response)


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair anywhere in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key), value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _annotated_rule_ids() -> set[str]:
    """Every rule ID named by any ``x-rules`` or ``x-error-codes`` of the document."""
    found: set[str] = set()
    for key, value in _walk(SPEC):
        if key == "x-rules":
            found.update(value)
        elif key == "x-error-codes":
            found.update(entry["rule"] for entry in value)
    return found


def _validator(pointer: str) -> Validator:
    """A JSON Schema validator for the schema at ``pointer``, with the spec's own $refs resolvable."""
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=registry)


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
    assert all("security" not in operation for _, _, _, operation in _operations())


def test_the_six_operations_are_present() -> None:
    """Each operationId sits on its contract method and path, and there are no others."""
    found = {
        operation["operationId"]: (method, path) for path, method, _, operation in _operations()
    }
    assert found == OPERATIONS


def test_error_codes_sit_under_their_http_status() -> None:
    """Every table code appears in some x-error-codes, always under the status ERROR_CODES gives it."""
    seen: set[int] = set()
    for operation_id, status, response in _responses():
        for entry in response.get("x-error-codes", []):
            assert set(entry) == {"code", "rule", "when"}, (operation_id, status, entry)
            assert entry["code"] in ERROR_CODES, (operation_id, status, entry)
            assert int(status) == ERROR_CODES[entry["code"]], (operation_id, status, entry)
            assert isinstance(entry["when"], str) and entry["when"].strip()
            seen.add(entry["code"])
    assert seen == set(ERROR_CODES)


def test_annotated_rule_ids_exist_in_the_catalogue() -> None:
    """Every rule ID in x-rules and x-error-codes is a rule of conformance.contract.rules."""
    unknown = _annotated_rule_ids() - set(RULES_BY_ID)
    assert not unknown, f"unknown rule IDs in the spec: {sorted(unknown)}"


def test_every_rule_of_the_catalogue_is_in_the_spec() -> None:
    """Each rule of conformance.contract.rules.RULES is named by some x-rules or x-error-codes."""
    missing = [rule.id for rule in RULES if rule.id not in _annotated_rule_ids()]
    assert not missing, f"rules the spec never names: {missing}"


def test_every_operation_names_its_rules() -> None:
    """Each operation carries a non-empty x-rules list."""
    for _, _, _, operation in _operations():
        assert operation.get("x-rules"), operation["operationId"]


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_success_and_error_responses(operation_id: str) -> None:
    """Each operation documents its success and the error statuses that apply, each 4xx with the envelope."""
    responses = _operation(operation_id)["responses"]
    assert SUCCESS[operation_id] in responses
    statuses = {str(status) for status in responses}
    assert ERROR_STATUSES[operation_id] <= statuses
    assert not {status for status in statuses if status.startswith("5")}
    for status in statuses - {SUCCESS[operation_id]}:
        response = _resolve(responses[status])
        assert status.startswith("4"), (operation_id, status)
        assert "x-error-codes" in response, (operation_id, status)
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (operation_id, status)
    retry_after = _resolve(responses["429"])["headers"]["Retry-After"]
    assert retry_after["required"] is True


def test_delete_answers_204_without_content() -> None:
    """The 204 of deleteAudience has no content; the other successes are JSON."""
    for operation_id, status in SUCCESS.items():
        response = _operation(operation_id)["responses"][status]
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
        response = _resolve(_operation(operation_id)["responses"][status])
        return {entry["code"] for entry in response["x-error-codes"]}

    assert codes("createAudience", "400") == {1303, 1304, 1305, 1306, 1307, 1308, 1353, 1354, 1355}
    assert codes("updateAudience", "400") == {1302, 1303, 1304, 1305}
    for operation_id in ("getAudience", "deleteAudience", "queryContacts"):
        assert codes(operation_id, "400") == {1302}
    for operation_id in ("getAudience", "updateAudience", "deleteAudience", "queryContacts"):
        assert codes(operation_id, "404") == {1301}
    for operation_id in ("createAudience", "updateAudience"):
        assert codes(operation_id, "409") == {1309}
    unknown_filter = _resolve(_operation("queryAudiences")["responses"]["400"])["x-error-codes"]
    assert unknown_filter == [{"code": 1307, "rule": "FILT-04", "when": unknown_filter[0]["when"]}]


def test_query_parameters() -> None:
    """Paging and filter parameters carry the names, styles and bounds the contract gives them."""
    for operation_id, filter_name in (
        ("queryAudiences", "filter[channel]"),
        ("queryContacts", "filter[search]"),
    ):
        parameters = _parameters(operation_id)
        assert set(parameters) - {"id"} == {"page_token", "page_size", filter_name}
        for name in ("page_token", "page_size", filter_name):
            assert parameters[name]["in"] == "query"
            assert parameters[name]["style"] == "form"
            assert parameters[name].get("required", False) is False
    parameters = _parameters("queryAudiences")
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
        parameter = _parameters(operation_id)["id"]
        assert parameter["in"] == "path" and parameter["required"] is True
        schema = _resolve(parameter["schema"])
        assert schema["type"] == "string"
        assert schema["pattern"] == "^[A-Za-z0-9_-]{1,64}$"


def test_schemas_follow_the_contract() -> None:
    """Audience, name, channel, date, contact and envelope schemas say what the contract says."""
    schemas = SPEC["components"]["schemas"]
    audience = schemas["Audience"]
    assert set(audience["required"]) == {
        "id",
        "account_id",
        "name",
        "channel",
        "create_date",
        "update_date",
    }
    assert audience.get("additionalProperties", True) is not False
    assert audience["properties"]["contacts_count"]["minimum"] == 0
    assert schemas["Name"]["pattern"] == "^[A-Za-z0-9_-]+$"
    assert (schemas["Name"]["minLength"], schemas["Name"]["maxLength"]) == (1, 45)
    assert schemas["Channel"]["enum"] == ["SMS", "VIBER", "WHATSAPP"]
    assert schemas["Date"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
    assert schemas["ContactInput"]["required"] == ["number"]
    assert (
        _resolve(schemas["ContactInput"]["properties"]["number"])["pattern"] == r"^\+[0-9]{7,15}$"
    )
    contacts = schemas["CreateAudienceRequest"]["properties"]["data"]["properties"]["contacts"]
    assert contacts["maxItems"] == 10
    assert set(schemas["ErrorItem"]["required"]) == {"code", "message"}
    assert schemas["ErrorEnvelope"]["properties"]["errors"]["minItems"] == 1
    for request in ("CreateAudienceRequest", "UpdateAudienceRequest"):
        for _, value in _walk(schemas[request]):
            assert not (isinstance(value, dict) and value.get("additionalProperties") is False), (
                request
            )


@pytest.mark.parametrize(
    ("pointer", "instance", "valid"),
    [
        ("/components/schemas/Date", "2026-11-26 21:07:03", True),
        ("/components/schemas/Date", "202611-26 21:07:03", False),
        ("/components/schemas/Name", "a" * 45, True),
        ("/components/schemas/Name", "a" * 46, False),
        ("/components/schemas/Name", "spring sale", False),
        ("/components/schemas/PhoneNumber", "+37455123456", True),
        ("/components/schemas/PhoneNumber", "37455123456", False),
        ("/components/schemas/AudienceId", "a" * 65, False),
        (
            "/components/schemas/UpdateAudienceRequest",
            {"data": {"name": "n", "channel": "anything"}},
            True,
        ),
        (
            "/components/schemas/CreateAudienceRequest",
            {"data": {"name": "n", "channel": "SMS", "extra": 1}, "other": True},
            True,
        ),
        (
            "/components/schemas/CreateAudienceRequest",
            {"data": {"name": "n", "channel": "Viber"}},
            False,
        ),
        (
            "/components/schemas/CreateAudienceRequest",
            {"data": {"name": "n", "channel": "SMS", "contacts": [{"number": "+3745512345"}] * 11}},
            False,
        ),
        (
            "/components/schemas/Pagination",
            {
                "number": 1,
                "size": 0,
                "total": 0,
                "links": {
                    "first": "/v1/audiences",
                    "current": "/v1/audiences",
                    "previous": None,
                    "next": None,
                },
            },
            True,
        ),
        (
            "/components/schemas/Pagination",
            {
                "number": 1,
                "size": 0,
                "total": 0,
                "links": {
                    "first": None,
                    "current": "/v1/audiences",
                    "previous": None,
                    "next": None,
                },
            },
            False,
        ),
        ("/components/schemas/ErrorEnvelope", {"errors": []}, False),
    ],
)
def test_schemas_accept_and_refuse(pointer: str, instance: object, valid: bool) -> None:
    """A few boundary values land on the side of the schema the contract puts them."""
    assert _validator(pointer).is_valid(instance) is valid


def test_examples_validate_against_their_schemas() -> None:
    """Every media-type example and every schema example conforms to its schema."""
    checked = 0
    for key, value in _walk(SPEC["paths"]):
        if (
            key in {"requestBody", "200", "201", "400"}
            and isinstance(value, dict)
            and "content" in value
        ):
            media = value["content"]["application/json"]
            for example in media.get("examples", {}).values():
                _validator(media["schema"]["$ref"].removeprefix("#")).validate(example["value"])
                checked += 1
    for name, schema in SPEC["components"]["schemas"].items():
        for example in schema.get("examples", []):
            _validator(f"/components/schemas/{name}").validate(example)
            checked += 1
    assert checked >= 10


def test_every_part_is_described() -> None:
    """Operations, parameters, responses, schemas and their properties all carry a description."""
    for _, _, _, operation in _operations():
        assert operation["description"].strip(), operation["operationId"]
    for name, parameter in SPEC["components"]["parameters"].items():
        assert parameter["description"].strip(), name
    for operation_id, status, response in _responses():
        assert response["description"].strip(), (operation_id, status)
    for name, schema in SPEC["components"]["schemas"].items():
        assert schema["description"].strip(), name
        for key, value in _walk(schema):
            if key == "properties":
                for prop, prop_schema in value.items():
                    assert prop_schema.get("description", "").strip(), (name, prop)


def test_create_links_chain_to_the_operations_that_take_an_id() -> None:
    """createAudience's 201 links get, update, delete and contacts through the new audience's id."""
    links = _operation("createAudience")["responses"]["201"]["links"]
    assert {name: link["operationId"] for name, link in links.items()} == {
        "GetAudience": "getAudience",
        "UpdateAudience": "updateAudience",
        "DeleteAudience": "deleteAudience",
        "QueryContacts": "queryContacts",
    }
    assert all(link["parameters"] == {"id": "$response.body#/data/id"} for link in links.values())
    for operation_id in ("queryAudiences", "queryContacts"):
        description = _operation(operation_id)["responses"]["200"]["description"]
        assert "next" in description and "previous" in description


def test_channel_spelling_is_explained() -> None:
    """The document says channels are upper case and mentions the seed's 'Viber' and 'Whatsapp'."""
    text = SPEC["info"]["description"] + SPEC["components"]["schemas"]["Channel"]["description"]
    assert "upper case" in text and "Viber" in text and "Whatsapp" in text


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
                _validator(body_schema).validate(case.body)
