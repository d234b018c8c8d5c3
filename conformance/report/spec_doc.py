"""The packaged OpenAPI description, read for documentation: operations with their parts resolved.

Only local references (``#/components/...``) are followed; that is all the spec uses, and
the docs must show the spec exactly as the suite loads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import ReportError

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class ErrorCode:
    """One ``x-error-codes`` entry of a documented error response."""

    code: int | str
    rule: str
    when: str
    status: str


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    rules: tuple[str, ...]
    parameters: tuple[dict[str, Any], ...]
    request_body: dict[str, Any] | None
    responses: tuple[tuple[str, dict[str, Any]], ...]
    error_codes: tuple[ErrorCode, ...] = field(default=())

    @property
    def page(self) -> str:
        return f"operation-{re.sub(r'[^A-Za-z0-9_-]', '_', self.operation_id)}.html"

    def all_rules(self) -> tuple[str, ...]:
        """Rules the operation names: its own, its parameters', its responses' and its error codes'."""
        found = [*self.rules]
        found += [
            rule for parameter in self.parameters for rule in rule_ids(parameter.get("x-rules"))
        ]
        found += [
            rule for _, response in self.responses for rule in rule_ids(response.get("x-rules"))
        ]
        found += [entry.rule for entry in self.error_codes if entry.rule]
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Spec:
    document: dict[str, Any]
    operations: tuple[Operation, ...]

    @property
    def title(self) -> str:
        return str(self.document.get("info", {}).get("title", "OpenAPI description"))

    @property
    def version(self) -> str:
        return str(self.document.get("info", {}).get("version", ""))

    def rules(self) -> tuple[str, ...]:
        """Rules the whole document names (on itself and its security schemes): they hold everywhere."""
        found = rule_ids(self.document.get("x-rules"))
        for scheme in (
            self.document.get("components", {}).get("securitySchemes", {}) or {}
        ).values():
            found += rule_ids(
                resolve(self.document, scheme).get("x-rules") if isinstance(scheme, dict) else None
            )
        return tuple(dict.fromkeys(found))

    def schemas(self) -> dict[str, Any]:
        return dict(self.document.get("components", {}).get("schemas", {}) or {})


def load_spec(path: Path) -> Spec:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportError(f"Cannot read the spec '{path}': {error.strerror or error}.") from None
    except yaml.YAMLError as error:
        raise ReportError(f"The spec '{path}' is not YAML: {str(error).splitlines()[0]}.") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise ReportError(f"The spec '{path}' is not an OpenAPI description: it has no 'paths'.")
    return Spec(document, tuple(_operations(document)))


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` links until a node that is not one."""
    seen: set[str] = set()
    while (
        isinstance(node, dict)
        and isinstance(node.get("$ref"), str)
        and node["$ref"].startswith("#/")
    ):
        ref = node["$ref"]
        if ref in seen:
            raise ReportError(f"The spec's reference '{ref}' refers to itself.")
        seen.add(ref)
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise ReportError(f"The spec's reference '{ref}' points nowhere.")
            target = target[part]
        node = target
    return node


def ref_names(node: Any) -> list[str]:
    """Names of the component schemas a part of the spec refers to, in order of appearance."""
    found: list[str] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.append(ref.rsplit("/", 1)[1])
        for value in node.values():
            found += ref_names(value)
    elif isinstance(node, list):
        for value in node:
            found += ref_names(value)
    return list(dict.fromkeys(found))


def _operations(document: dict[str, Any]) -> list[Operation]:
    operations = []
    for path, item in document["paths"].items():
        item = resolve(document, item) or {}
        shared = item.get("parameters", []) or []
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            responses = tuple(
                (str(status), resolve(document, response) or {})
                for status, response in (operation.get("responses") or {}).items()
            )
            operations.append(
                Operation(
                    operation_id=str(operation.get("operationId") or f"{method}_{path}"),
                    method=method.upper(),
                    path=str(path),
                    summary=str(operation.get("summary", "")),
                    description=str(operation.get("description", "")),
                    rules=tuple(rule_ids(operation.get("x-rules"))),
                    parameters=tuple(
                        _parameters(document, shared, operation.get("parameters", []) or [])
                    ),
                    request_body=resolve(document, operation.get("requestBody")),
                    responses=responses,
                    error_codes=tuple(
                        entry
                        for status, response in responses
                        for entry in _error_codes(status, response)
                    ),
                )
            )
    return operations


def rule_ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [
            str(item.get("id") or item.get("rule")) if isinstance(item, dict) else str(item)
            for item in value
        ]
    return []


def _parameters(
    document: dict[str, Any], shared: list[Any], own: list[Any]
) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for parameter in [*shared, *own]:
        parameter = resolve(document, parameter)
        if isinstance(parameter, dict):
            merged[(str(parameter.get("name")), str(parameter.get("in")))] = parameter
    return list(merged.values())


def _error_codes(status: str, response: dict[str, Any]) -> list[ErrorCode]:
    entries = response.get("x-error-codes") or []
    return [
        ErrorCode(
            code=entry.get("code", ""),
            rule=str(entry.get("rule", "")),
            when=str(entry.get("when", "")),
            status=status,
        )
        for entry in entries
        if isinstance(entry, dict)
    ]
