"""The page of one operation: its rules, parameters, request body and responses, with their
error codes, headers, links and examples, as the spec describes them."""

from __future__ import annotations

import json
from typing import Any

from conformance.contract.rules import RULES_BY_ID
from conformance.report.docs_markup import inline_html
from conformance.report.docs_site import (
    NAV,
    Site,
    code_block,
    prose,
    rule_link,
    rule_links,
    schema_block,
)
from conformance.report.page import esc, page
from conformance.report.spec_doc import Operation, resolve, rule_ids


def operation_page(site: Site, op: Operation) -> str:
    parts = [
        "<main>",
        NAV,
        f"<h1><code>{esc(op.method)} {esc(op.path)}</code></h1>",
        f"<p><strong>{esc(op.summary)}</strong> (operation <code>{esc(op.operation_id)}</code>)</p>",
    ]
    if op.description:
        parts.append(prose(op.description))
    parts.append("<h2>Rules</h2>")
    parts.append(
        "<ul>"
        + "".join(
            f"<li>{rule_link(rule_id)}: {esc(RULES_BY_ID[rule_id].statement) if rule_id in RULES_BY_ID else ''}</li>"
            for rule_id in op.all_rules()
        )
        + "</ul>"
        if op.all_rules()
        else "<p>No rule named.</p>"
    )
    parts.append(_parameters(op))
    parts.append(_request_body(site, op))
    parts.append("<h2>Responses</h2>")
    parts += [_response(site, status, response) for status, response in op.responses]
    parts.append("</main>")
    return page(f"{op.method} {op.path} ({op.operation_id})", "\n".join(parts))


def _parameters(op: Operation) -> str:
    if not op.parameters:
        return "<h2>Parameters</h2><p>None.</p>"
    rows = []
    for parameter in op.parameters:
        schema = parameter.get("schema", {})
        examples = (
            [parameter["example"]]
            if "example" in parameter
            else [
                item.get("value")
                for item in (parameter.get("examples") or {}).values()
                if isinstance(item, dict)
            ]
        )
        rows.append(
            f"<tr><td><code>{esc(parameter.get('name'))}</code></td><td>{esc(parameter.get('in'))}</td><td>{'yes' if parameter.get('required') else 'no'}</td>"
            f"<td><code>{esc(json.dumps(schema, ensure_ascii=False, default=str))}</code></td><td>{inline_html(str(parameter.get('description', '')))}</td>"
            f"<td>{rule_links(rule_ids(parameter.get('x-rules')))}</td>"
            f"<td>{', '.join(f'<code>{esc(json.dumps(example, ensure_ascii=False, default=str))}</code>' for example in examples)}</td></tr>"
        )
    return (
        "<h2>Parameters</h2><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>description</th><th>rules</th><th>examples</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _request_body(site: Site, op: Operation) -> str:
    body = op.request_body
    if not body:
        return "<h2>Request body</h2><p>None.</p>"
    parts = [f"<h2>Request body{' (required)' if body.get('required') else ''}</h2>"]
    if body.get("description"):
        parts.append(prose(body["description"]))
    parts += [
        _media(site, media_type, content, "h3")
        for media_type, content in (body.get("content") or {}).items()
    ]
    return "\n".join(parts)


def _response(site: Site, status: str, response: dict[str, Any]) -> str:
    parts = [
        f'<h3 id="response-{esc(status)}">{esc(status)}</h3>',
        prose(response.get("description", "")),
    ]
    rules = rule_ids(response.get("x-rules"))
    if rules:
        parts.append(f"<p>Rules: {rule_links(rules)}</p>")
    headers = response.get("headers") or {}
    if headers:
        parts.append(
            "<p>Headers: " + ", ".join(f"<code>{esc(name)}</code>" for name in headers) + "</p>"
        )
    codes = response.get("x-error-codes") or []
    if codes:
        rows = "".join(
            f"<tr><td><strong>{esc(entry.get('code', ''))}</strong></td><td>{rule_link(str(entry.get('rule', '')))}</td><td>{inline_html(str(entry.get('when', '')))}</td></tr>"
            for entry in codes
            if isinstance(entry, dict)
        )
        parts.append(f"<table><tr><th>error code</th><th>rule</th><th>when</th></tr>{rows}</table>")
    parts += [
        _media(site, media_type, content, "h4")
        for media_type, content in (response.get("content") or {}).items()
    ]
    links = response.get("links") or {}
    if links:
        parts.append(
            "<p>Links: "
            + ", ".join(_link(site, name, link) for name, link in links.items())
            + "</p>"
        )
    return "\n".join(parts)


def _link(site: Site, name: str, link: Any) -> str:
    link = resolve(site.spec.document, link)
    target = next(
        (
            op
            for op in site.spec.operations
            if isinstance(link, dict) and op.operation_id == link.get("operationId")
        ),
        None,
    )
    return (
        f'<a href="{esc(target.page)}">{esc(name)}</a>' if target else f"<code>{esc(name)}</code>"
    )


def _media(site: Site, media_type: str, content: Any, heading: str) -> str:
    """A body's media type, schema and examples, under a heading one below its section's."""
    content = content or {}
    parts = [f"<{heading}><code>{esc(media_type)}</code></{heading}>"]
    if "schema" in content:
        parts.append(schema_block(content["schema"]))
    examples: list[tuple[str, Any]] = []
    if "example" in content:
        examples.append(("example", content["example"]))
    for name, example in (content.get("examples") or {}).items():
        example = resolve(site.spec.document, example)
        if isinstance(example, dict):
            examples.append((str(example.get("summary") or name), example.get("value")))
    for title, value in examples:
        parts.append(f"<p>Example: {esc(title)}</p>{code_block(value)}")
    return "\n".join(parts)
