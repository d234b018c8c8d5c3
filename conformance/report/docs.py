"""The living documentation: an offline site generated from the spec, the rules and the suite's source.

Pages: an index; one page per operation (parameters, bodies, responses, error codes with
their rules, examples); one per rule (what checks it, and which mutants prove those
tests can fail); the schemas; all tests; all mutants. Nothing is written by hand, so the
site says what the installed suite checks, no more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from conformance import __version__
from conformance.contract.rules import ERROR_CODES, RULES, RULES_BY_ID, Rule
from conformance.contract.spec_files import spec_path
from conformance.errors import ReportError
from conformance.report.model import file_sha256
from conformance.report.page import badge, esc, page
from conformance.report.spec_doc import Operation, Spec, load_spec, ref_names, resolve, rule_ids
from conformance.report.suite_index import (
    MUTANTS_UNAVAILABLE,
    CataloguedServer,
    SuiteTest,
    collect_suite,
    find_mutation_dir,
    scan_mutants,
)

NAV = '<nav class="crumbs"><a href="index.html">Index</a> · <a href="schemas.html">Schemas</a> · <a href="tests.html">Tests</a> · <a href="mutants.html">Mutants</a></nav>'
GENERATED_PATTERNS = ("operation-*.html", "rule-*.html")


class Site:
    """What the pages are made from, gathered once."""

    def __init__(
        self,
        spec: Spec,
        spec_sha256: str,
        tests: Sequence[SuiteTest],
        servers: list[CataloguedServer] | None,
    ) -> None:
        self.spec = spec
        self.spec_sha256 = spec_sha256
        self.tests = tests
        self.servers = servers  # None: no mutant catalogue in this installation

    def tests_of(self, rule_id: str) -> list[SuiteTest]:
        return [test for test in self.tests if rule_id in test.rule_ids()]

    def mutants_of(self, rule_id: str) -> list[CataloguedServer]:
        return [server for server in self.servers or [] if server.rule == rule_id]

    def operations_of(self, rule_id: str) -> list[Operation]:
        return [operation for operation in self.spec.operations if rule_id in operation.all_rules()]


def write_docs(
    out: Path,
    *,
    mutants: Path | None = None,
    spec_file: Path | None = None,
    tests: Sequence[SuiteTest] | None = None,
) -> list[Path]:
    """Write the site into ``out``; return the pages written, the index first.

    ``tests`` defaults to collecting the installed suite (seconds: it starts the embedded
    reference server to collect, as a run does); ``mutants`` to ``tests/mutation`` here.
    """
    spec_file = spec_file or spec_path()
    spec = load_spec(spec_file)
    mutation_dir = find_mutation_dir(mutants)
    servers = scan_mutants(mutation_dir) if mutation_dir else None
    site = Site(spec, file_sha256(spec_file), collect_suite() if tests is None else tests, servers)
    pages = {
        "index.html": _index(site),
        "schemas.html": _schemas(site),
        "tests.html": _tests(site),
        "mutants.html": _mutants(site),
    }
    pages |= {operation.page: _operation(site, operation) for operation in spec.operations}
    pages |= {_rule_page(rule.id): _rule(site, rule) for rule in RULES}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for pattern in GENERATED_PATTERNS:  # pages of operations or rules that no longer exist
            for stale in out.glob(pattern):
                if stale.name not in pages:
                    stale.unlink()
        for name, text in pages.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as error:
        raise ReportError(
            f"Cannot write the documentation to '{out}': {error.strerror or error}."
        ) from None
    return [out / name for name in pages]


def _rule_page(rule_id: str) -> str:
    return f"rule-{rule_id}.html"


def _rule_link(rule_id: str) -> str:
    if rule_id in RULES_BY_ID:
        return f'<a href="{esc(_rule_page(rule_id))}">{esc(rule_id)}</a>'
    return f"{esc(rule_id)} <em>(not in the rule catalogue)</em>"


def _rule_links(rule_ids: Iterable[str]) -> str:
    return ", ".join(_rule_link(rule_id) for rule_id in rule_ids) or "none"


def _prose(text: Any) -> str:
    """A description of the spec, its line breaks kept (its Markdown shown as written)."""
    return f'<p class="prose">{esc(str(text).strip())}</p>' if text else ""


def _code(value: Any) -> str:
    """A part of the spec shown as JSON when it is JSON, else YAML."""
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
    return f"<pre>{esc(text)}</pre>"


def _schema(value: Any) -> str:
    links = [
        f'<a href="schemas.html#schema-{esc(name)}">{esc(name)}</a>' for name in ref_names(value)
    ]
    uses = f"<p>Schemas: {', '.join(links)}</p>" if links else ""
    return uses + f"<pre>{esc(yaml.safe_dump(value, sort_keys=False, allow_unicode=True))}</pre>"


def _index(site: Site) -> str:
    spec = site.spec
    operations = "".join(
        f"<tr><td><code>{esc(op.method)}</code></td><td><code>{esc(op.path)}</code></td>"
        f'<td><a href="{esc(op.page)}">{esc(op.operation_id)}</a></td><td>{esc(op.summary)}</td><td>{_rule_links(op.all_rules())}</td></tr>'
        for op in spec.operations
    )
    rules = "".join(
        f"<tr><td>{_rule_link(rule.id)}</td><td>{badge(rule.level.value)}</td><td>{esc(rule.family)}</td><td>{esc(rule.statement)}</td>"
        f"<td>{len(site.tests_of(rule.id))}</td><td>{'n/a' if site.servers is None else len(site.mutants_of(rule.id))}</td></tr>"
        for rule in RULES
    )
    body = f"""<main>
<h1>{esc(spec.title)} {esc(spec.version)}</h1>
<p>Generated by <code>audience-conformance docs</code> (suite {esc(__version__)}) from the packaged OpenAPI description
(SHA-256 <code>{esc(site.spec_sha256)}</code>), the rule catalogue and the suite's source.</p>
{NAV}
<h2 id="operations">Operations ({len(spec.operations)})</h2>
<p>Rules that hold for every operation: {_rule_links(spec.rules())}.</p>
<table><tr><th>method</th><th>path</th><th>operation</th><th>summary</th><th>rules</th></tr>{operations}</table>
<h2 id="rules">Rules ({len(RULES)})</h2>
<p>A MUST rule is needed for certification; a SHOULD rule counts only in strict mode.</p>
<table><tr><th>rule</th><th>level</th><th>family</th><th>statement</th><th>tests</th><th>mutants</th></tr>{rules}</table>
<h2 id="error-codes">Error codes ({len(ERROR_CODES)})</h2>
{_error_code_table(site)}
</main>"""
    return page(f"{spec.title}: conformance documentation", body)


def _error_code_table(site: Site) -> str:
    rows = []
    for code, status in ERROR_CODES.items():
        documented = [
            (operation, entry)
            for operation in site.spec.operations
            for entry in operation.error_codes
            if str(entry.code) == str(code)
        ]
        where = ", ".join(
            f'<a href="{esc(op.page)}">{esc(op.operation_id)}</a> ({esc(entry.status)})'
            for op, entry in documented
        )
        rules = list(dict.fromkeys(entry.rule for _, entry in documented if entry.rule)) or (
            [f"VAL-{code}"] if f"VAL-{code}" in RULES_BY_ID else []
        )
        rows.append(
            f'<tr id="code-{code}"><td><strong>{code}</strong></td><td>{status}</td><td>{_rule_links(rules)}</td>'
            f"<td>{where or '<em>not documented by any operation</em>'}</td></tr>"
        )
    return (
        "<table><tr><th>code</th><th>HTTP</th><th>rule</th><th>documented on</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _operation(site: Site, op: Operation) -> str:
    parts = [
        "<main>",
        NAV,
        f"<h1><code>{esc(op.method)} {esc(op.path)}</code></h1>",
        f"<p><strong>{esc(op.summary)}</strong> (operation <code>{esc(op.operation_id)}</code>)</p>",
    ]
    if op.description:
        parts.append(_prose(op.description))
    parts.append("<h2>Rules</h2>")
    parts.append(
        "<ul>"
        + "".join(
            f"<li>{_rule_link(rule_id)}: {esc(RULES_BY_ID[rule_id].statement) if rule_id in RULES_BY_ID else ''}</li>"
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
            f"<td><code>{esc(json.dumps(schema, ensure_ascii=False, default=str))}</code></td><td>{esc(parameter.get('description', ''))}</td>"
            f"<td>{_rule_links(rule_ids(parameter.get('x-rules')))}</td>"
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
        parts.append(_prose(body["description"]))
    parts += [
        _media(site, media_type, content)
        for media_type, content in (body.get("content") or {}).items()
    ]
    return "\n".join(parts)


def _response(site: Site, status: str, response: dict[str, Any]) -> str:
    parts = [
        f'<h3 id="response-{esc(status)}">{esc(status)}</h3>',
        _prose(response.get("description", "")),
    ]
    rules = rule_ids(response.get("x-rules"))
    if rules:
        parts.append(f"<p>Rules: {_rule_links(rules)}</p>")
    headers = response.get("headers") or {}
    if headers:
        parts.append(
            "<p>Headers: " + ", ".join(f"<code>{esc(name)}</code>" for name in headers) + "</p>"
        )
    codes = response.get("x-error-codes") or []
    if codes:
        rows = "".join(
            f"<tr><td><strong>{esc(entry.get('code', ''))}</strong></td><td>{_rule_link(str(entry.get('rule', '')))}</td><td>{esc(entry.get('when', ''))}</td></tr>"
            for entry in codes
            if isinstance(entry, dict)
        )
        parts.append(f"<table><tr><th>error code</th><th>rule</th><th>when</th></tr>{rows}</table>")
    parts += [
        _media(site, media_type, content)
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


def _media(site: Site, media_type: str, content: Any) -> str:
    content = content or {}
    parts = [f"<h4><code>{esc(media_type)}</code></h4>"]
    if "schema" in content:
        parts.append(_schema(content["schema"]))
    examples: list[tuple[str, Any]] = []
    if "example" in content:
        examples.append(("example", content["example"]))
    for name, example in (content.get("examples") or {}).items():
        example = resolve(site.spec.document, example)
        if isinstance(example, dict):
            examples.append((str(example.get("summary") or name), example.get("value")))
    for title, value in examples:
        parts.append(f"<p>Example: {esc(title)}</p>{_code(value)}")
    return "\n".join(parts)


def _rule(site: Site, rule: Rule) -> str:
    operations = site.operations_of(rule.id)
    codes = [
        (op, entry)
        for op in site.spec.operations
        for entry in op.error_codes
        if entry.rule == rule.id
    ]
    tests = site.tests_of(rule.id)
    parts = [
        "<main>",
        NAV,
        f"<h1>{esc(rule.id)} {badge(rule.level.value)}</h1>",
        f"<p>{esc(rule.statement)}</p>",
        f"<p>Family {esc(rule.family)}. {'Needed for certification.' if rule.level.value == 'MUST' else 'Counts towards the verdict in strict mode only.'}</p>",
        "<h2>Operations</h2>",
        "<ul>"
        + "".join(
            f'<li><a href="{esc(op.page)}">{esc(op.operation_id)}</a>: <code>{esc(op.method)} {esc(op.path)}</code></li>'
            for op in operations
        )
        + "</ul>"
        if operations
        else "<p>No operation of the spec names this rule.</p>",
    ]
    if codes:
        rows = "".join(
            f'<tr><td><strong>{esc(entry.code)}</strong></td><td><a href="{esc(op.page)}">{esc(op.operation_id)}</a> ({esc(entry.status)})</td><td>{esc(entry.when)}</td></tr>'
            for op, entry in codes
        )
        parts.append(
            f"<h2>Error codes</h2><table><tr><th>code</th><th>operation</th><th>when</th></tr>{rows}</table>"
        )
    parts.append(f"<h2>Tests that check it ({len(tests)})</h2>")
    parts.append(
        _test_list(tests, rule.id) if tests else "<p>No test of the suite checks this rule.</p>"
    )
    parts.append("<h2>Mutants that prove those tests</h2>")
    parts.append(_mutant_list(site, rule.id))
    parts.append("</main>")
    return page(f"{rule.id}: {rule.statement}", "\n".join(parts))


def _test_list(tests: list[SuiteTest], rule_id: str) -> str:
    items = []
    for test in tests:
        override = {level for rule, level in test.rules if rule == rule_id and level}
        level = f" (checked at {', '.join(sorted(override))} level)" if override else ""
        others = [other for other in test.rule_ids() if other != rule_id]
        also = f" Also checks {_rule_links(others)}." if others else ""
        items.append(
            f'<li><a href="tests.html#{esc(_test_anchor(test))}"><code>{esc(test.nodeid)}</code></a>{esc(level)}: {esc(test.summary)}{also}</li>'
        )
    return "<ul>" + "".join(items) + "</ul>"


def _mutant_list(site: Site, rule_id: str) -> str:
    if site.servers is None:
        return f"<p>{esc(MUTANTS_UNAVAILABLE)}.</p>"
    mutants = site.mutants_of(rule_id)
    if not mutants:
        return "<p>No mutant of the catalogue breaks this rule.</p>"
    return (
        "<ul>"
        + "".join(
            f'<li><a href="mutants.html#mutant-{esc(m.name)}"><code>{esc(m.name)}</code></a>: {esc(m.description)}</li>'
            for m in mutants
        )
        + "</ul>"
    )


def _test_anchor(test: SuiteTest) -> str:
    return "test-" + test.nodeid.replace("::", "-").replace(".py", "")


def _tests(site: Site) -> str:
    rows = "".join(
        f'<tr id="{esc(_test_anchor(test))}"><td><code>{esc(test.nodeid)}</code></td><td><code>{esc(test.file)}:{test.line}</code></td>'
        f"<td>{test.cases}</td><td>{_rule_links(test.rule_ids())}</td><td>{esc(test.summary)}</td></tr>"
        for test in site.tests
    )
    body = f"""<main>{NAV}<h1>Tests of the suite ({len(site.tests)})</h1>
<p>Collected from <code>conformance/suite/</code> as a run collects them, with the rules their
<code>@pytest.mark.rule</code> marks name; "cases" counts parametrized and generated cases.</p>
<table><tr><th>test</th><th>source</th><th>cases</th><th>rules</th><th>what it checks</th></tr>{rows}</table></main>"""
    return page("Tests of the suite", body)


def _mutants(site: Site) -> str:
    if site.servers is None:
        return page(
            "Mutants",
            f"<main>{NAV}<h1>Mutants</h1><p>{esc(MUTANTS_UNAVAILABLE)}: it lives in the source tree's <code>tests/mutation/</code>; pass <code>--mutants DIR</code> or run from the source tree.</p></main>",
        )
    mutants = [server for server in site.servers if server.rule is not None]
    variants = [server for server in site.servers if server.rule is None]
    mutant_rows = "".join(
        f'<tr id="mutant-{esc(m.name)}"><td><code>{esc(m.name)}</code></td><td>{_rule_link(m.rule or "")}</td><td>{esc(m.description)}</td><td><code>{esc(m.file)}</code></td></tr>'
        for m in mutants
    )
    variant_rows = "".join(
        f'<tr id="variant-{esc(v.name)}"><td><code>{esc(v.name)}</code></td><td>{esc(v.description)}</td><td><code>{esc(v.file)}</code></td></tr>'
        for v in variants
    )
    body = f"""<main>{NAV}<h1>Mutants ({len(mutants)}) and legal variants ({len(variants)})</h1>
<p>A mutant is a faulty server that breaks one rule: the suite must fail it on that rule. A legal variant differs
from the reference only where the contract leaves things open: the suite must pass it.</p>
<h2>Mutants</h2><table><tr><th>mutant</th><th>breaks</th><th>what it does</th><th>source</th></tr>{mutant_rows}</table>
<h2>Legal variants</h2><table><tr><th>variant</th><th>what differs</th><th>source</th></tr>{variant_rows}</table></main>"""
    return page("Mutants and legal variants", body)


def _schemas(site: Site) -> str:
    schemas = site.spec.schemas()
    sections = "".join(
        f'<h2 id="schema-{esc(name)}">{esc(name)}</h2>{_schema(schema)}'
        for name, schema in schemas.items()
    )
    return page(
        "Schemas",
        f"<main>{NAV}<h1>Schemas ({len(schemas)})</h1>{sections or '<p>The spec defines no component schemas.</p>'}</main>",
    )
