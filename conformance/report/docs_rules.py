"""The page of one rule: its operations and error codes, the tests that check it, and the
mutants that prove those tests can fail."""

from __future__ import annotations

from conformance.contract.rules import Rule
from conformance.report.docs_markup import inline_html
from conformance.report.docs_site import NAV, Site, rule_links, test_anchor, test_source
from conformance.report.page import badge, esc, page
from conformance.report.suite_index import MUTANTS_UNAVAILABLE, SuiteTest


def rule_page(site: Site, rule: Rule) -> str:
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
            f'<tr><td><strong>{esc(entry.code)}</strong></td><td><a href="{esc(op.page)}">{esc(op.operation_id)}</a> ({esc(entry.status)})</td><td>{inline_html(str(entry.when))}</td></tr>'
            for op, entry in codes
        )
        parts.append(
            f"<h2>Error codes</h2><table><tr><th>code</th><th>operation</th><th>when</th></tr>{rows}</table>"
        )
    parts.append(f"<h2>Tests that check it ({len(tests)})</h2>")
    parts.append(
        _test_list(site, tests, rule.id)
        if tests
        else "<p>No test of the suite checks this rule.</p>"
    )
    parts.append("<h2>Mutants that prove those tests</h2>")
    parts.append(_mutant_list(site, rule.id))
    parts.append("</main>")
    return page(f"{rule.id}: {rule.statement}", "\n".join(parts))


def _test_list(site: Site, tests: list[SuiteTest], rule_id: str) -> str:
    items = []
    for test in tests:
        override = {level for rule, level in test.rules if rule == rule_id and level}
        level = f" (checked at {', '.join(sorted(override))} level)" if override else ""
        others = [other for other in test.rule_ids() if other != rule_id]
        also = f" Also checks {rule_links(others)}." if others else ""
        items.append(
            f'<li><a href="tests.html#{esc(test_anchor(test))}"><code>{esc(test.nodeid)}</code></a>'
            f" ({test_source(site, test)}){esc(level)}: {inline_html(test.summary)}{also}</li>"
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
            f'<li><a href="mutants.html#mutant-{esc(m.name)}"><code>{esc(m.name)}</code></a>: {inline_html(m.description)}</li>'
            for m in mutants
        )
        + "</ul>"
    )
