"""The docstrings' and the spec's inline markup, rendered on the documentation's pages: no raw
reStructuredText or Markdown left, and every character of the source text still text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docs_pages import MUTATION_DIR, SUITE_DIR, read_site

from conformance.report import write_docs
from conformance.report.docs_markup import blocks_html, inline_html
from conformance.report.docs_sources import SourceLinks
from conformance.report.suite_index import SuiteTest

LITERAL = re.compile(r"``(.+?)``")


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("``filter[channel]`` returns", "<code>filter[channel]</code> returns"),
        ("(``a``, ``b``): ``c``.", "(<code>a</code>, <code>b</code>): <code>c</code>."),
        ("`page_token` is opaque", "<code>page_token</code> is opaque"),
        (":class:`~conformance.http.dropped.ConnectionDropped`", "<code>ConnectionDropped</code>"),
        ("(see :mod:`conformance.checks.faults`)", "(see <code>conformance.checks.faults</code>)"),
        ("for :func:`_first_failure`.", "for <code>_first_failure()</code>."),
        (":py:meth:`Store.create`", "<code>Store.create()</code>"),
        (":ref:`the pagination rules <pagination>`", "the pagination rules"),
        ("- *Keys.* An **audience**", "- <em>Keys.</em> An <strong>audience</strong>"),
        ("**the ``next`` link**", "<strong>the <code>next</code> link</strong>"),
    ],
)
def test_markup_is_rendered(text: str, html: str) -> None:
    assert inline_html(text) == html


@pytest.mark.parametrize(
    "text",
    [
        "5 * 3 * 2",
        "for item in [*kept, *doomed]",
        "x``y``z",
        "the ** operator",
        "PAGE-01..05, 08",
        "page_token_ and a_b",
        "`` `` and ` `",
    ],
)
def test_what_is_not_markup_stays_text(text: str) -> None:
    assert inline_html(text) == text


def test_every_character_of_the_source_stays_text() -> None:
    """A docstring's ``<`` and ``&`` are escaped, inside markup or not: no tag comes from text."""
    rendered = inline_html("a < b & c: ``<script>alert(1)</script> &amp;`` and *<b>*")
    assert rendered == (
        "a &lt; b &amp; c: <code>&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp;</code>"
        " and <em>&lt;b&gt;</em>"
    )
    assert inline_html(":class:`<x>`") == "<code>&lt;x&gt;</code>"


def test_paragraphs_and_bullet_lists_are_rendered() -> None:
    text = (
        "Lists pages.\n\n- ``size`` counts\n  the items;\n- *total* all.\n\nAn end\nin two lines.\n"
    )
    assert blocks_html(text) == (
        "<p>Lists pages.</p><ul><li><code>size</code> counts\nthe items;</li>"
        "<li><em>total</em> all.</li></ul><p>An end\nin two lines.</p>"
    )
    assert blocks_html("Faults:\n* one < two\n+ three") == (
        "<p>Faults:</p><ul><li>one &lt; two</li><li>three</li></ul>"
    )
    assert blocks_html(" \n\n ") == ""


def test_no_page_shows_raw_markup(tmp_path: Path, suite_tests: list[SuiteTest]) -> None:
    """Outside code, no backtick is left on any page (no ``literal``, no :role:`x`, no Markdown
    code span), and each ``literal`` of a test's docstring is code on the pages that show it."""
    write_docs(
        tmp_path,
        mutants=MUTATION_DIR,
        tests=suite_tests,
        sources=SourceLinks(None, "v0", SUITE_DIR.parents[1]),
    )
    site = read_site(tmp_path)
    for name, page in site.items():
        words = "".join(page.words)
        assert "`" not in words and "**" not in words, (name, re.findall(r".{30}`.{30}", words))
    literals = 0
    for test in suite_tests:
        for literal in LITERAL.findall(test.summary):
            literals += 1
            assert literal in site["tests.html"].code, (test.nodeid, literal)
            for rule_id in test.rule_ids():
                assert literal in site[f"rule-{rule_id}.html"].code, (test.nodeid, literal)
    assert literals >= 10, "the suite's docstrings show literals on the site"
    assert {"viber", "Viber", "VIBER"} <= set(site["rule-FILT-03.html"].code)
    query = site["operation-queryAudiences.html"]  # the spec's Markdown: `page_token` is code
    assert "page_token" in query.code and "`page_token`" not in "".join(query.text)
    words = "".join(query.words)  # its Markdown list: items, not lines that start with "- "
    assert "The first page has" in words and "- The first page" not in words
