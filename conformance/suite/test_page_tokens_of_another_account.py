"""A page token of another account (PAGE-11, TEN-01): it never shows the issuing account's
audiences, and it is refused.

Each account's token is taken from a link of its own data set; the run gave each account two
audiences, so both have a second page.
"""

from __future__ import annotations

import pytest

from conformance.checks.client import expect_error
from conformance.checks.dataset import DataSet
from conformance.checks.page_reading import read_page
from conformance.checks.walk_cache import Walks
from conformance.checks.walk_model import Query
from conformance.checks.walker import first_page
from conformance.contract.facts import AUDIENCES_PATH, MAX_PAGE_SIZE
from conformance.http.target import Target
from conformance.run.session import RunContext
from conformance.suite.broken_tokens import Issued, issue_token
from conformance.verdict.scope import out_of_scope
from conformance.verdict.violations import RuleViolation, check


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
                writes_can_cause=False,
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
