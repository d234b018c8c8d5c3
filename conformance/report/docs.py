"""The living documentation: an offline site generated from the spec, the rules and the suite's source.

Pages: an index; one page per operation (parameters, bodies, responses, error codes with
their rules, examples); one per rule (what checks it, and which mutants prove those
tests can fail); the schemas; all tests; all mutants. Nothing is written by hand, so the
site says what the installed suite checks, no more. This module gathers what the pages are
made from and writes them; each kind of page has its module (``docs_*``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from conformance.contract.rules import RULES
from conformance.contract.spec_files import spec_path
from conformance.errors import ReportError
from conformance.report.docs_catalogues import mutants_page, schemas_page, tests_page
from conformance.report.docs_index import index_page
from conformance.report.docs_operations import operation_page
from conformance.report.docs_rules import rule_page
from conformance.report.docs_site import Site, rule_page_name
from conformance.report.docs_sources import SourceLinks
from conformance.report.model import file_sha256
from conformance.report.spec_doc import load_spec
from conformance.report.suite_index import (
    SuiteTest,
    collect_suite,
    find_mutation_dir,
    scan_mutants,
)

GENERATED_PATTERNS = ("operation-*.html", "rule-*.html")


def write_docs(
    out: Path,
    *,
    mutants: Path | None = None,
    spec_file: Path | None = None,
    tests: Sequence[SuiteTest] | None = None,
    sources: SourceLinks | None = None,
) -> list[Path]:
    """Write the site into ``out``; return the pages written, the index first.

    ``tests`` defaults to collecting the installed suite (seconds: it starts the embedded
    reference server to collect, as a run does); ``mutants`` to ``tests/mutation`` here;
    ``sources`` to the repository the package's metadata names, else the installed files.
    """
    spec_file = spec_file or spec_path()
    spec = load_spec(spec_file)
    mutation_dir = find_mutation_dir(mutants)
    servers = scan_mutants(mutation_dir) if mutation_dir else None
    site = Site(
        spec,
        file_sha256(spec_file),
        collect_suite() if tests is None else tests,
        servers,
        sources or SourceLinks.of_installation(),
    )
    pages = {
        "index.html": index_page(site),
        "schemas.html": schemas_page(site),
        "tests.html": tests_page(site),
        "mutants.html": mutants_page(site),
    }
    pages |= {operation.page: operation_page(site, operation) for operation in spec.operations}
    pages |= {rule_page_name(rule.id): rule_page(site, rule) for rule in RULES}
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
