"""Page tokens: an empty one is the first page (PAGE-03); broken, tampered, of another query or
of another account ones are refused (PAGE-11).

Noise and random strings need no issued token, so the MUST test always runs; tokens taken from
the links of the run's own data set add truncated, changed and misplaced ones.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks.client import expect_error
from conformance.checks.dataset import DataSet
from conformance.checks.page_reading import read_page
from conformance.checks.walk_cache import Walks
from conformance.checks.walk_invariants import token_of
from conformance.checks.walk_model import Query, ids_text
from conformance.checks.walker import first_page
from conformance.contract.facts import AUDIENCES_PATH, MAX_PAGE_SIZE
from conformance.http.target import Target
from conformance.run.session import RunContext
from conformance.suite.pagination_fixtures import (
    channel_filters,
    page_sizes,
    property_settings,
)
from conformance.verdict.scope import out_of_scope
from conformance.verdict.violations import RuleViolation, check

CHANNEL = "filter[channel]"


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


@dataclass(frozen=True)
class Issued:
    """A page token as a link gave it, and the query it was issued for."""

    token: str
    query: Query


@dataclass(frozen=True)
class Attempt:
    """A request with a token that is not valid for it, and why not."""

    why: str
    params: tuple[tuple[str, str], ...]


def issue_token(target: Target, query: Query) -> Issued | None:
    """The token of page 2 of ``query``, or None when there is no page 2 or no token in its link."""
    page = first_page(target, query)
    link = page.links["next"]
    token = token_of(link) if link else None
    return Issued(token, query) if token else None


TOKEN_QUERIES = (Query(AUDIENCES_PATH, 1), Query(AUDIENCES_PATH, 2, ((CHANNEL, "SMS"),)))


@pytest.fixture(scope="session")
def issued_tokens(target: Target, known: DataSet | None) -> tuple[Issued | None, Issued | None]:
    """Two tokens of two different queries (page size 1 unfiltered; page size 2 for SMS), taken
    once the data set exists (when the run may write) so that both have a second page. None
    where there is no second page (a --read-only run on a nearly empty account) or no token in
    its link (that is PAGE-11's failure: :func:`test_a_next_link_carries_a_page_token`)."""
    one, two = (issue_token(target, query) for query in TOKEN_QUERIES)
    return one, two


_NOISE = st.binary(min_size=1, max_size=64).map(
    lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")
)
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="


def broken_tokens(issued: tuple[Issued | None, Issued | None]) -> st.SearchStrategy[Attempt]:
    """Noise and random strings (they need no issued token); with issued tokens also truncated,
    bit-flipped and extended ones, and valid tokens sent with another query."""
    (one, two) = issued
    params = Query(AUDIENCES_PATH, 1).params() if one is None else one.query.params()

    def sent(why: str, value: str, query_params: list[tuple[str, str]] = params) -> Attempt:
        return Attempt(why, (*query_params, ("page_token", value)))

    made = [
        _NOISE.map(lambda noise: sent("base64 noise", noise)),
        st.text(min_size=1, max_size=64)
        .filter(lambda text: text.strip() != "")
        .map(lambda text: sent("a random string", text)),
    ]
    if one is not None:
        token = one.token

        def flipped(position: int, replacement: str) -> Attempt:
            index = position % len(token)
            char = (
                replacement
                if replacement != token[index]
                else ("A" if token[index] != "A" else "B")
            )
            return sent(f"character {index} changed", token[:index] + char + token[index + 1 :])

        made += [
            st.integers(min_value=1, max_value=max(1, len(token) - 1)).map(
                lambda keep: sent(f"truncated to {keep} characters", token[:keep])
            ),
            st.builds(flipped, st.integers(min_value=0), st.sampled_from(_TOKEN_CHARS)),
            st.text(alphabet=_TOKEN_CHARS, min_size=1, max_size=8).map(
                lambda tail: sent("extended", token + tail)
            ),
            st.just(
                sent(
                    "issued for page size 1, sent with page size 3",
                    token,
                    Query(AUDIENCES_PATH, 3).params(),
                )
            ),
        ]
    if two is not None:
        made += [
            st.just(
                sent(
                    "issued for SMS, sent with VIBER",
                    two.token,
                    Query(AUDIENCES_PATH, 2, ((CHANNEL, "VIBER"),)).params(),
                )
            ),
            st.just(
                sent(
                    "issued for SMS, sent without a filter",
                    two.token,
                    Query(AUDIENCES_PATH, 2).params(),
                )
            ),
        ]
    return st.one_of(made)


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


def token_of_account(sender: Target, run: RunContext, whose: str) -> Issued:
    """A page-size-1 token of ``sender``'s account: the run gave each account two audiences, so
    a missing one is PAGE-11's failure; a --read-only run skips (it creates none)."""
    issued = issue_token(sender, Query(AUDIENCES_PATH, 1))
    if issued is None:
        if run.settings.read_only:
            out_of_scope(
                f"the {whose} account needs two audiences and a --read-only run creates none"
            )
        link = first_page(sender, Query(AUDIENCES_PATH, 1)).links["next"]
        raise RuleViolation(
            "PAGE-11",
            expected=f"a next link carrying a page_token ({whose} account, page size 1, two audiences or more)",
            received=f"next {link!r}",
        )
    return issued


@pytest.mark.account_wide
@pytest.mark.rule("PAGE-11", "TEN-01")
def test_a_token_of_another_account_shows_nothing_of_it(
    target: Target,
    other_target: Target,
    run: RunContext,
    known: DataSet | None,
    walks: Walks,
    secondary_ids: frozenset[str],
) -> None:
    """PAGE-11, TEN-01 (MUST): a token issued to one account, sent with the other's key, gets no
    5xx and never shows the issuing account's audiences. Both directions."""
    theirs = token_of_account(other_target, run, "second")
    ours = token_of_account(target, run, "first")
    own_ids = (
        known.ids()
        if known
        else frozenset(walks.complete(target, Query(AUDIENCES_PATH, MAX_PAGE_SIZE)).ids)
    )
    for sender, issued, foreign in ((target, theirs, secondary_ids), (other_target, ours, own_ids)):
        response = sender.get(
            AUDIENCES_PATH, params=[*issued.query.params(), ("page_token", issued.token)]
        )
        check(
            response.status_code < 500,
            "PAGE-11",
            expected="no 5xx for another account's page_token",
            received=f"HTTP {response.status_code}",
            response=response,
        )
        if response.status_code == 200:
            shown = [
                item.id
                for item in read_page(response, via="another account's page_token").items
                if item.id in foreign
            ]
            check(
                not shown,
                "TEN-01",
                expected="none of the issuing account's audiences",
                received=f"{len(shown)} of them: {shown[:5]}",
                response=response,
            )


@pytest.mark.rule("PAGE-11", level="SHOULD")
def test_a_token_of_another_account_is_refused(
    target: Target, other_target: Target, run: RunContext, secondary_ids: frozenset[str]
) -> None:
    """PAGE-11 (SHOULD): a token sent with another account's key gets 400 with the envelope."""
    theirs = token_of_account(other_target, run, "second")
    response = target.get(
        AUDIENCES_PATH, params=[*theirs.query.params(), ("page_token", theirs.token)]
    )
    expect_error(
        response, status=400, rule="PAGE-11", context="a page_token issued to another account"
    )
