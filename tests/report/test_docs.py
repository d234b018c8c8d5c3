"""The documentation site: generated from the spec, the rules and the suite's source, and whole."""

from __future__ import annotations

import ast
import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from docs_pages import MUTATION_DIR, SUITE_DIR, Page, parse, read_site

from conformance.cli.main import main
from conformance.contract.rules import ERROR_CODES, RULES
from conformance.contract.spec_files import spec_path
from conformance.report import write_docs
from conformance.report.docs_sources import SourceLinks
from conformance.report.suite_index import (
    MUTANTS_UNAVAILABLE,
    SuiteTest,
    group_items,
    scan_mutants,
)

INSTALLED = SourceLinks(None, "v0", SUITE_DIR.parents[1])  # no repository: the files here


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, suite_tests: list[SuiteTest]) -> dict[str, Page]:
    out = tmp_path_factory.mktemp("docs")
    pages = write_docs(out, mutants=MUTATION_DIR, tests=suite_tests, sources=INSTALLED)
    assert pages[0] == out / "index.html"
    return read_site(out)


def _all_text(site: dict[str, Page]) -> str:
    return "\n".join(" ".join(page.text) for page in site.values())


def _operation_ids() -> list[str]:
    document = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    return [
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]


def test_every_operation_has_its_page(site: dict[str, Page]) -> None:
    operation_ids = _operation_ids()
    assert operation_ids
    text = _all_text(site)
    for operation_id in operation_ids:
        assert f"operation-{operation_id}.html" in site, operation_id
        assert operation_id in " ".join(site[f"operation-{operation_id}.html"].text)
        assert operation_id in " ".join(site["index.html"].text)
    assert all(operation_id in text for operation_id in operation_ids)


def test_every_rule_has_its_page(site: dict[str, Page]) -> None:
    index = " ".join(site["index.html"].text)
    for rule in RULES:
        page = site[f"rule-{rule.id}.html"]
        assert rule.id in " ".join(page.text) and rule.statement in " ".join(page.text)
        assert rule.id in index


def test_every_error_code_is_documented_by_an_operation(site: dict[str, Page]) -> None:
    """Each code of the contract's table appears on the index and on at least one operation page."""
    index = " ".join(site["index.html"].text)
    operations = " ".join(
        " ".join(page.text) for name, page in site.items() if name.startswith("operation-")
    )
    assert "not documented by any operation" not in index
    for code in ERROR_CODES:
        assert str(code) in index and str(code) in operations, code


def test_links_between_pages_resolve(site: dict[str, Page]) -> None:
    """Every link points to a generated page, and to an element of it when it names one, or to a
    test's source file; nothing is fetched."""
    checked = 0
    for name, page in site.items():
        for link in page.links:
            if link.startswith("file://"):
                file = Path(unquote(urlsplit(link).path))
                assert file.parent in (SUITE_DIR, MUTATION_DIR) and file.is_file(), link
                continue
            assert not re.match(r"^([a-z]+:|//)", link), f"{name} links outside the site: {link}"
            file, _, fragment = link.partition("#")
            target = site.get(file or name)
            assert target is not None, f"{name} links to a missing page: {link}"
            assert not fragment or fragment in target.ids, (
                f"{name} links to a missing element: {link}"
            )
            checked += 1
        assert "script" not in page.tags and "link" not in page.tags, name
    assert checked > 100


def test_headings_descend_one_level_at_a_time(site: dict[str, Page]) -> None:
    """Each page starts at one h1 and never skips a level going down (axe's heading-order)."""
    for name, page in site.items():
        assert page.headings[0] == 1 and page.headings.count(1) == 1, name
        steps = pairwise(page.headings)
        assert all(after <= before + 1 for before, after in steps), (name, page.headings)


def test_rule_pages_list_the_tests_that_check_them(
    site: dict[str, Page], suite_tests: list[SuiteTest]
) -> None:
    assert suite_tests, "the suite has tests with @pytest.mark.rule marks"
    for test in suite_tests:
        assert test.nodeid in " ".join(site["tests.html"].text)
        for rule_id in test.rule_ids():
            assert test.nodeid in " ".join(site[f"rule-{rule_id}.html"].text), (
                test.nodeid,
                rule_id,
            )


def test_every_test_function_of_the_suite_is_collected(suite_tests: list[SuiteTest]) -> None:
    """Nothing the suite defines escapes the documentation (every test of the suite names its rules)."""
    defined = {
        f"{path.name}::{node.name}"
        for path in SUITE_DIR.glob("test_*.py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name.startswith("test")
    }
    assert defined and defined <= {test.nodeid for test in suite_tests}


def test_parametrized_cases_are_merged_with_their_rules_and_levels() -> None:
    """One entry per function; rules of every case, with the level when it differs from the catalogue's."""
    items = [
        {
            "nodeid": "test_e.py::test_row[1301]",
            "name": "test_row",
            "doc": "One row.\n\nSteps.",
            "file": "test_e.py",
            "line": 7,
            "rules": [["VAL-1301", "MUST"], ["VAL-00", "MUST"]],
        },
        {
            "nodeid": "test_e.py::test_row[1353]",
            "name": "test_row",
            "doc": "One row.\n\nSteps.",
            "file": "test_e.py",
            "line": 7,
            "rules": [["VAL-1353", "SHOULD"], ["VAL-00", "SHOULD"]],
        },
        {
            "nodeid": "test_e.py::test_helper_free",
            "name": "test_helper_free",
            "doc": "",
            "file": "test_e.py",
            "line": 20,
            "rules": [],
        },
    ]
    (test,) = group_items(items)
    assert (test.nodeid, test.summary, test.cases, test.line) == (
        "test_e.py::test_row",
        "One row.",
        2,
        7,
    )
    assert test.rules == (
        ("VAL-1301", None),
        ("VAL-00", None),
        ("VAL-1353", None),
        ("VAL-00", "SHOULD"),
    )
    assert test.rule_ids() == ["VAL-1301", "VAL-00", "VAL-1353"]


def test_the_mutant_listing_matches_the_catalogue() -> None:
    """Mutants are read from source; what the harness registers must be what the docs list."""
    from mutation.catalogue import MUTANTS, VARIANTS, load_all

    load_all()
    listed = {
        (server.name, server.rule, server.description) for server in scan_mutants(MUTATION_DIR)
    }
    registered = {
        (server.name, server.rule, server.description)
        for server in [*MUTANTS.values(), *VARIANTS.values()]
    }
    assert listed == registered


def test_mutants_are_listed_on_the_rules_they_break(tmp_path: Path) -> None:
    catalogue = tmp_path / "mutation"
    catalogue.mkdir()
    (catalogue / "catalogue.py").write_text("", encoding="utf-8")
    (catalogue / "mutants_pages.py").write_text(
        "from mutation.catalogue import legal_variant, mutant\n\n\n"
        '@mutant("PAGE-04", "skips the second page")\ndef skip_second_page(store, keys):\n    pass\n\n\n'
        '@legal_variant("newest first")\ndef newest_first(store, keys):\n    pass\n',
        encoding="utf-8",
    )
    out = tmp_path / "docs"
    write_docs(out, mutants=catalogue, tests=[])
    rule_page = parse(out / "rule-PAGE-04.html")
    assert (
        "skip-second-page" in " ".join(rule_page.text)
        and "mutants.html#mutant-skip-second-page" in rule_page.links
    )
    assert "mutant-skip-second-page" in parse(out / "mutants.html").ids
    assert "No mutant of the catalogue breaks this rule." in " ".join(
        parse(out / "rule-PAGE-05.html").text
    )
    assert "newest first" in " ".join(parse(out / "mutants.html").text)


def test_without_a_source_tree_the_mutants_are_said_to_be_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_docs(tmp_path / "docs", tests=[])
    for name in ("rule-PAGE-04.html", "mutants.html"):
        assert MUTANTS_UNAVAILABLE in (tmp_path / "docs" / name).read_text(encoding="utf-8")


def test_pages_of_things_that_no_longer_exist_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "operation-removedOperation.html").write_text("old", encoding="utf-8")
    (out / "notes.html").write_text("mine", encoding="utf-8")
    write_docs(out, mutants=MUTATION_DIR, tests=[])
    assert not (out / "operation-removedOperation.html").exists() and (out / "notes.html").exists()


def test_docs_command(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    suite_tests: list[SuiteTest],
) -> None:
    monkeypatch.setattr(
        "conformance.report.docs.collect_suite", lambda: suite_tests
    )  # collected once, above
    assert main(["docs", "--out", str(tmp_path / "site"), "--mutants", str(MUTATION_DIR)]) == 0
    assert capsys.readouterr().out.startswith(
        f"documentation: {tmp_path / 'site' / 'index.html'} ("
    )
    assert main(["docs", "--out", str(tmp_path / "site"), "--mutants", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"audience-conformance: error: --mutants '{tmp_path}' is not the mutant catalogue folder (it has no catalogue.py)."
    )
