"""Each test on the documentation's pages links to its code: the line in the suite's repository
when one is known, else the installed file; either way the line where the test starts."""

from __future__ import annotations

import re
from email.message import Message
from pathlib import Path

import pytest
from docs_pages import MUTATION_DIR, ROOT, SUITE_DIR, definition_lines

from conformance.report import write_docs
from conformance.report.docs_sources import SourceLinks, repository_in
from conformance.report.suite_index import SuiteTest, scan_mutants

REPOSITORY = "https://github.com/example/audience-conformance"
SOURCE_LINK = re.compile(r'<a href="([^"]+)"><code>([^<:]+):(\d+)</code></a>')


def _metadata(*fields: tuple[str, str]) -> Message:
    metadata = Message()
    for name, value in fields:
        metadata[name] = value
    return metadata


def _source_links(out: Path, sources: SourceLinks, tests: list[SuiteTest]) -> dict[str, set[str]]:
    """Per page, the source links it shows: ``url file:line``."""
    write_docs(out, mutants=MUTATION_DIR, tests=tests, sources=sources)
    return {
        path.name: {
            f"{url} {file}:{line}"
            for url, file, line in SOURCE_LINK.findall(path.read_text(encoding="utf-8"))
        }
        for path in out.glob("*.html")
    }


def _pages_of(test: SuiteTest) -> list[str]:
    """The pages that show a test: the catalogue of tests and the page of each of its rules."""
    return ["tests.html", *(f"rule-{rule_id}.html" for rule_id in test.rule_ids())]


def test_a_repository_link_names_the_release_the_path_and_the_line() -> None:
    sources = SourceLinks(REPOSITORY + "/", "v1.2.0", Path("/nowhere"))
    assert (
        sources.url("conformance/suite/test_pagination.py", 48)
        == f"{REPOSITORY}/blob/v1.2.0/conformance/suite/test_pagination.py#L48"
    )


@pytest.mark.parametrize(
    ("repository", "file"),
    [
        ("https://gitlab.com/o/suite", "-/blob/v1.2.0/conformance/suite/test_a.py"),
        ("https://codeberg.org/o/suite", "src/tag/v1.2.0/conformance/suite/test_a.py"),
        ("https://git.example.org/o/suite", "blob/v1.2.0/conformance/suite/test_a.py"),
    ],
)
def test_each_forge_shows_a_file_at_a_tag_its_way(repository: str, file: str) -> None:
    sources = SourceLinks(repository, "v1.2.0", Path("/nowhere"))
    assert sources.url("conformance/suite/test_a.py", 7) == f"{repository}/{file}#L7"


def test_without_a_repository_the_link_is_the_installed_file(tmp_path: Path) -> None:
    sources = SourceLinks(None, "v1.2.0", tmp_path / "with space")
    assert sources.url("conformance/suite/test_a.py", 7) == (
        f"file://{tmp_path}/with%20space/conformance/suite/test_a.py"
    )


@pytest.mark.parametrize(
    ("fields", "repository"),
    [
        (
            [
                ("Project-URL", "Homepage, https://github.com/o/home"),
                ("Project-URL", "Source Code, https://git.example.org/o/s"),
            ],
            "https://git.example.org/o/s",
        ),
        ([("Project-URL", "Repository, https://gitlab.com/o/r")], "https://gitlab.com/o/r"),
        ([("Project-URL", "Homepage, https://github.com/o/home")], "https://github.com/o/home"),
        ([("Home-page", "https://codeberg.org/o/h")], "https://codeberg.org/o/h"),
        ([("Home-page", "https://example.org/product")], None),
        ([("Project-URL", "Documentation, https://docs.example.org")], None),
        ([], None),
    ],
)
def test_the_repository_is_the_source_url_of_the_metadata(
    fields: list[tuple[str, str]], repository: str | None
) -> None:
    """A URL labelled as the source wins; a home page counts only on a code forge (elsewhere
    its ``/blob/`` paths would not exist)."""
    assert repository_in(_metadata(*fields)) == repository


def test_the_installation_links_to_the_files_of_this_package() -> None:
    sources = SourceLinks.of_installation()
    assert (sources.root / "conformance" / "suite" / "suite.ini").is_file()
    assert sources.ref.startswith("v") and sources.ref[1:].split(".")[0].isdigit()


def test_with_a_repository_each_test_links_to_its_line_there(
    tmp_path: Path, suite_tests: list[SuiteTest]
) -> None:
    pages = _source_links(tmp_path, SourceLinks(REPOSITORY, "v9.9.9", ROOT), suite_tests)
    assert suite_tests
    for test in suite_tests:
        file = ROOT / test.file  # the suite's path in its repository
        assert test.file.startswith("conformance/suite/") and file.is_file(), test.nodeid
        assert test.line in definition_lines(file, test.name), test.nodeid
        link = f"{REPOSITORY}/blob/v9.9.9/{test.file}#L{test.line} {file.name}:{test.line}"
        for page in _pages_of(test):
            assert link in pages[page], (page, link)


def test_without_a_repository_each_test_links_to_its_installed_file(
    tmp_path: Path, suite_tests: list[SuiteTest]
) -> None:
    pages = _source_links(tmp_path, SourceLinks(None, "v9.9.9", SUITE_DIR.parents[1]), suite_tests)
    for test in suite_tests:
        file = ROOT / test.file
        assert file.parent == SUITE_DIR and test.line in definition_lines(file, test.name)
        link = f"{file.as_uri()} {file.name}:{test.line}"
        for page in _pages_of(test):
            assert link in pages[page], (page, link)


@pytest.mark.parametrize("repository", [REPOSITORY, None])
def test_each_mutant_and_variant_links_to_its_definition(
    tmp_path: Path, repository: str | None
) -> None:
    """In the repository when the catalogue is in the source tree, else the file here."""
    pages = _source_links(tmp_path, SourceLinks(repository, "v9.9.9", ROOT), [])
    servers = scan_mutants(MUTATION_DIR)
    assert len(servers) > 50
    for server in servers:
        assert server.line in definition_lines(server.path, server.name.replace("-", "_"))
        url = (
            f"{REPOSITORY}/blob/v9.9.9/tests/mutation/{server.file}#L{server.line}"
            if repository
            else (MUTATION_DIR / server.file).as_uri()
        )
        assert f"{url} {server.file}:{server.line}" in pages["mutants.html"], server.name


def test_a_catalogue_outside_the_sources_links_to_its_files(tmp_path: Path) -> None:
    sources = SourceLinks(REPOSITORY, "v9.9.9", ROOT)
    outside = tmp_path / "mutation" / "mutants_pages.py"
    assert sources.url_of_file(outside, 5) == outside.as_uri()
    inside = MUTATION_DIR / "mutants_pages.py"
    assert (
        sources.url_of_file(inside, 5)
        == f"{REPOSITORY}/blob/v9.9.9/tests/mutation/mutants_pages.py#L5"
    )
