"""The OpenAPI description as the spec's tests read it: loaded once, walked, resolved."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

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


def load_spec() -> dict[str, Any]:
    """The packaged spec, parsed (the same file as openapi/audiences.yaml in a source tree)."""
    loaded = yaml.safe_load(PACKAGED_SPEC.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


SPEC = load_spec()


def resolved(node: Any) -> Any:
    """Follow a local ``$ref`` (and chains of them) to the object it names."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def each_operation() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """Every operation as (path, method, path item, operation)."""
    for path, item in SPEC["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item, item[method]


def operation_of(operation_id: str) -> dict[str, Any]:
    """The operation object with this operationId."""
    method, path = OPERATIONS[operation_id]
    operation: dict[str, Any] = SPEC["paths"][path][method]
    return operation


def parameters_of(operation_id: str) -> dict[str, dict[str, Any]]:
    """The operation's parameters, path-level ones included, resolved and keyed by name."""
    method, path = OPERATIONS[operation_id]
    item = SPEC["paths"][path]
    found = [resolved(p) for p in item.get("parameters", []) + item[method].get("parameters", [])]
    return {parameter["name"]: parameter for parameter in found}


def each_response() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (operationId, status key, resolved response) of the spec."""
    for _, _, _, operation in each_operation():
        for status, response in operation["responses"].items():
            yield operation["operationId"], str(status), resolved(response)


def walk_spec(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair anywhere in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key), value
            yield from walk_spec(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_spec(value)


def annotated_rule_ids() -> set[str]:
    """Every rule ID named by any ``x-rules`` or ``x-error-codes`` of the document."""
    found: set[str] = set()
    for key, value in walk_spec(SPEC):
        if key == "x-rules":
            found.update(value)
        elif key == "x-error-codes":
            found.update(entry["rule"] for entry in value)
    return found


def validator_for(pointer: str) -> Validator:
    """A JSON Schema validator for the schema at ``pointer``, with the spec's own $refs resolvable."""
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=registry)
