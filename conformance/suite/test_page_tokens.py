"""Page tokens: an empty one is the first page (PAGE-03); broken, tampered or of another query
ones are refused (PAGE-11). Those of another account: ``test_page_tokens_of_another_account.py``.

Noise and random strings need no issued token, so the MUST test always runs; tokens taken from
the links of the run's own data set add truncated, changed and misplaced ones.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks.client import expect_error
from conformance.checks.dataset import DataSet
from conformance.checks.page_reading import read_page
from conformance.checks.walk_invariants import token_of
from conformance.checks.walk_model import Query, ids_text
from conformance.checks.walker import first_page
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.target import Target
from conformance.run.session import RunContext
from conformance.suite.broken_tokens import (
    CHANNEL,
    TOKEN_QUERIES,
    Issued,
    broken_tokens,
    issue_token,
)
from conformance.suite.pagination_fixtures import (
    channel_filters,
    page_sizes,
    property_settings,
)
from conformance.verdict.scope import out_of_scope
from conformance.verdict.violations import check

# -- PAGE-03: an empty page token -------------------------------------------------------------


@pytest.mark.account_wide
@pytest.mark.rule("PAGE-03")
@property_settings(0.5)
@given(page_size=page_sizes, channel=channel_filters)
def test_an_empty_page_token_is_the_first_page(
    target: Target, known: DataSet | None, page_size: int | None, channel: str | None
) -> None:
    """PAGE-03: "an empty page_token is the same as none (the first page)" (section 4).

    1. Ask for the drawn query with ``page_token=`` (empty), then without a token.
    2. The first answers 200 with number 1, previous null and the same items, in the same
       order, as the page without a token.
    """
    query = Query(AUDIENCES_PATH, page_size, () if channel is None else ((CHANNEL, channel),))
    response = target.get(query.path, params=[*query.params(), ("page_token", "")])
    check(
        response.status_code == 200,
        "PAGE-03",
        expected="200 with the first page for an empty page_token",
        received=f"HTTP {response.status_code}",
        response=response,
        context=str(query),
    )
    emptied = read_page(response, via="an empty page_token")
    first = first_page(target, query)
    context = f"{query} page_token=''"
    check(
        emptied.number == 1,
        "PAGE-03",
        expected="number 1: an empty page_token is the first page",
        received=f"number {emptied.number}",
        response=response,
        context=context,
    )
    check(
        emptied.links["previous"] is None,
        "PAGE-03",
        expected="previous null: an empty page_token is the first page",
        received=emptied.links["previous"],
        response=response,
        context=context,
    )
    check(
        emptied.ids == first.ids,
        "PAGE-03",
        expected=f"the first page's items, in order: {ids_text(first.ids)}",
        received=ids_text(emptied.ids),
        response=response,
        context=context,
    )


# -- PAGE-11: broken page tokens ----------------------------------------------------------------


@pytest.fixture(scope="session")
def issued_tokens(target: Target, known: DataSet | None) -> tuple[Issued | None, Issued | None]:
    """Two tokens of two different queries (page size 1 unfiltered; page size 2 for SMS), taken
    once the data set exists (when the run may write) so that both have a second page. None
    where there is no second page (a --read-only run on a nearly empty account) or no token in
    its link (that is PAGE-11's failure: :func:`test_a_next_link_carries_a_page_token`)."""
    one, two = (issue_token(target, query) for query in TOKEN_QUERIES)
    return one, two


@pytest.mark.rule("PAGE-11")
def test_a_next_link_carries_a_page_token(
    target: Target, run: RunContext, issued_tokens: tuple[Issued | None, Issued | None]
) -> None:
    """PAGE-11: the token is opaque and clients take it from links, so the link to page 2 of
    each query carries a ``page_token`` (the run's data set gives both queries a second page;
    a --read-only run checks the queries that have one)."""
    for query, issued in zip(TOKEN_QUERIES, issued_tokens, strict=True):
        if issued is not None:
            continue
        link = first_page(target, query).links["next"]
        if link is None and run.settings.read_only:
            out_of_scope(f"{query} has no second page and a --read-only run creates no audiences")
        check(
            link is not None and token_of(link) is not None,
            "PAGE-11",
            expected="a next link carrying a page_token",
            received=f"next {link!r}",
            context=str(query),
        )


@pytest.mark.rule("PAGE-11")
@property_settings()
@given(data=st.data())
def test_a_broken_page_token_never_fails_the_server(
    target: Target, issued_tokens: tuple[Issued | None, Issued | None], data: st.DataObject
) -> None:
    """PAGE-11 (MUST): a malformed, truncated or tampered token, or one of another query, never gets a 5xx."""
    attempt = data.draw(broken_tokens(issued_tokens), label="attempt")
    response = target.get(AUDIENCES_PATH, params=list(attempt.params))
    check(
        response.status_code < 500,
        "PAGE-11",
        expected="no 5xx for a broken page_token",
        received=f"HTTP {response.status_code}",
        response=response,
        context=f"page_token {attempt.why}",
    )


@pytest.mark.rule("PAGE-11", level="SHOULD")
@property_settings()
@given(data=st.data())
def test_a_broken_page_token_is_refused(
    target: Target, issued_tokens: tuple[Issued | None, Issued | None], data: st.DataObject
) -> None:
    """PAGE-11 (SHOULD): such a token gets 400 with the error envelope."""
    attempt = data.draw(broken_tokens(issued_tokens), label="attempt")
    response = target.get(AUDIENCES_PATH, params=list(attempt.params))
    expect_error(response, status=400, rule="PAGE-11", context=f"page_token {attempt.why}")
