"""The documentation's catalogue pages: every test of the suite, every mutant and legal
variant, every schema of the spec."""

from __future__ import annotations

from conformance.report.docs_markup import inline_html
from conformance.report.docs_site import (
    NAV,
    Site,
    rule_link,
    rule_links,
    schema_block,
    server_source,
    test_anchor,
    test_source,
)
from conformance.report.page import esc, page
from conformance.report.suite_index import MUTANTS_UNAVAILABLE


def tests_page(site: Site) -> str:
    rows = "".join(
        f'<tr id="{esc(test_anchor(test))}"><td><code>{esc(test.nodeid)}</code></td><td>{test_source(site, test)}</td>'
        f"<td>{test.cases}</td><td>{rule_links(test.rule_ids())}</td><td>{inline_html(test.summary)}</td></tr>"
        for test in site.tests
    )
    body = f"""<main>{NAV}<h1>Tests of the suite ({len(site.tests)})</h1>
<p>Collected from <code>conformance/suite/</code> as a run collects them, with the rules their
<code>@pytest.mark.rule</code> marks name; "cases" counts parametrized and generated cases.</p>
<table><tr><th>test</th><th>source</th><th>cases</th><th>rules</th><th>what it checks</th></tr>{rows}</table></main>"""
    return page("Tests of the suite", body)


def mutants_page(site: Site) -> str:
    if site.servers is None:
        return page(
            "Mutants",
            f"<main>{NAV}<h1>Mutants</h1><p>{esc(MUTANTS_UNAVAILABLE)}: it lives in the source tree's <code>tests/mutation/</code>; pass <code>--mutants DIR</code> or run from the source tree.</p></main>",
        )
    mutants = [server for server in site.servers if server.rule is not None]
    variants = [server for server in site.servers if server.rule is None]
    mutant_rows = "".join(
        f'<tr id="mutant-{esc(m.name)}"><td><code>{esc(m.name)}</code></td><td>{rule_link(m.rule or "")}</td><td>{inline_html(m.description)}</td><td>{server_source(site, m)}</td></tr>'
        for m in mutants
    )
    variant_rows = "".join(
        f'<tr id="variant-{esc(v.name)}"><td><code>{esc(v.name)}</code></td><td>{inline_html(v.description)}</td><td>{server_source(site, v)}</td></tr>'
        for v in variants
    )
    body = f"""<main>{NAV}<h1>Mutants ({len(mutants)}) and legal variants ({len(variants)})</h1>
<p>A mutant is a faulty server that breaks one rule: the suite must fail it on that rule. A legal variant differs
from the reference only where the contract leaves things open: the suite must pass it.</p>
<h2>Mutants</h2><table><tr><th>mutant</th><th>breaks</th><th>what it does</th><th>source</th></tr>{mutant_rows}</table>
<h2>Legal variants</h2><table><tr><th>variant</th><th>what differs</th><th>source</th></tr>{variant_rows}</table></main>"""
    return page("Mutants and legal variants", body)


def schemas_page(site: Site) -> str:
    schemas = site.spec.schemas()
    sections = "".join(
        f'<h2 id="schema-{esc(name)}">{esc(name)}</h2>{schema_block(schema)}'
        for name, schema in schemas.items()
    )
    return page(
        "Schemas",
        f"<main>{NAV}<h1>Schemas ({len(schemas)})</h1>{sections or '<p>The spec defines no component schemas.</p>'}</main>",
    )
