"""What the documentation's pages are made from, and the pieces every page uses: the
navigation, links to rules and to the tests' source, the spec's prose, code and schemas."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import Any

import yaml

from conformance.contract.rules import RULES_BY_ID
from conformance.report.docs_markup import blocks_html
from conformance.report.docs_sources import SourceLinks
from conformance.report.page import esc
from conformance.report.spec_doc import Operation, Spec, ref_names
from conformance.report.suite_index import CataloguedServer, SuiteTest

NAV = '<nav class="crumbs"><a href="index.html">Index</a> · <a href="schemas.html">Schemas</a> · <a href="tests.html">Tests</a> · <a href="mutants.html">Mutants</a></nav>'


class Site:
    """What the pages are made from, gathered once."""

    def __init__(
        self,
        spec: Spec,
        spec_sha256: str,
        tests: Sequence[SuiteTest],
        servers: list[CataloguedServer] | None,
        sources: SourceLinks,
    ) -> None:
        self.spec = spec
        self.spec_sha256 = spec_sha256
        self.tests = tests
        self.servers = servers  # None: no mutant catalogue in this installation
        self.sources = sources

    def tests_of(self, rule_id: str) -> list[SuiteTest]:
        return [test for test in self.tests if rule_id in test.rule_ids()]

    def mutants_of(self, rule_id: str) -> list[CataloguedServer]:
        return [server for server in self.servers or [] if server.rule == rule_id]

    def operations_of(self, rule_id: str) -> list[Operation]:
        return [operation for operation in self.spec.operations if rule_id in operation.all_rules()]


def rule_page_name(rule_id: str) -> str:
    return f"rule-{rule_id}.html"


def rule_link(rule_id: str) -> str:
    if rule_id in RULES_BY_ID:
        return f'<a href="{esc(rule_page_name(rule_id))}">{esc(rule_id)}</a>'
    return f"{esc(rule_id)} <em>(not in the rule catalogue)</em>"


def rule_links(rule_ids: Iterable[str]) -> str:
    return ", ".join(rule_link(rule_id) for rule_id in rule_ids) or "none"


def prose(text: Any) -> str:
    """A description of the spec, its Markdown's paragraphs, lists and inline code rendered."""
    return f"<div>{blocks_html(str(text))}</div>" if text else ""


def test_source(site: Site, test: SuiteTest) -> str:
    """The test's file and line, linked to its code (``file`` is from the sources' root)."""
    return _source(site.sources.url(test.file, test.line), test.file, test.line)


def server_source(site: Site, server: CataloguedServer) -> str:
    """The mutant's or variant's file and line, linked to its code."""
    return _source(site.sources.url_of_file(server.path, server.line), server.file, server.line)


def _source(url: str, file: str, line: int) -> str:
    """The file's name and the line, as a reader looks for them in an editor."""
    return f'<a href="{esc(url)}"><code>{esc(PurePosixPath(file).name)}:{line}</code></a>'


def code_block(value: Any) -> str:
    """A part of the spec shown as JSON when it is JSON, else YAML."""
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
    return f"<pre>{esc(text)}</pre>"


def schema_block(value: Any) -> str:
    links = [
        f'<a href="schemas.html#schema-{esc(name)}">{esc(name)}</a>' for name in ref_names(value)
    ]
    uses = f"<p>Schemas: {', '.join(links)}</p>" if links else ""
    return uses + f"<pre>{esc(yaml.safe_dump(value, sort_keys=False, allow_unicode=True))}</pre>"


def test_anchor(test: SuiteTest) -> str:
    return "test-" + test.nodeid.replace("::", "-").replace(".py", "")
