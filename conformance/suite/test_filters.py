"""The channel filter (section 5) as properties over channels, letter cases and unknown values.

Filtered walks are checked by the same walker as unfiltered ones: PAGE-02 and PAGE-04 hold
for the filtered set (FILT-01), and links keep the filter (PAGE-08).
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks.client import expect_error
from conformance.checks.dataset import DataSet
from conformance.checks.walk_cache import Walks
from conformance.checks.walk_invariants import check_complete, check_same_sequence
from conformance.checks.walk_model import ItemFilter, Query
from conformance.checks.walker import WALK_RULES, first_page
from conformance.contract.facts import AUDIENCES_PATH, CHANNELS, MAX_PAGE_SIZE
from conformance.http.target import Target
from conformance.suite.pagination_fixtures import (
    channels,
    full_page_sizes,
    own_ids,
    page_sizes,
    property_settings,
)
from conformance.verdict.violations import check

CHANNEL = "filter[channel]"

# Walks and totals of the whole account: checked again when another client's writes may have disturbed them.
pytestmark = pytest.mark.account_wide


def channel_query(channel: str, page_size: int | None = MAX_PAGE_SIZE) -> Query:
    return Query(AUDIENCES_PATH, page_size, ((CHANNEL, channel),))


def of_channel(channel: str, rule: str = "FILT-01") -> ItemFilter:
    """Every item of the walk has ``channel``; on page 1 a stranger breaks ``rule``, later PAGE-08."""
    return ItemFilter(
        lambda item: item.get("channel") == channel, f"with channel '{channel}'", rule
    )


def filtered_total(target: Target, channel: str) -> int:
    """The total the first page of a channel filter announces (FILT-01: the filter is accepted)."""
    return first_page(target, channel_query(channel, 1), rule="FILT-01").total


# -- FILT-01 and FILT-02 -------------------------------------------------------------------------


@pytest.mark.rule("FILT-01", "PAGE-02", *WALK_RULES)
@property_settings(0.5)
@given(drawn=st.lists(channels, min_size=2, max_size=2, unique=True), data=st.data())
def test_a_channel_filter_returns_exactly_that_channel(
    target: Target, known: DataSet | None, walks: Walks, drawn: list[str], data: st.DataObject
) -> None:
    """FILT-01: ``filter[channel]`` returns only audiences of that channel, and all of them.

    1. Draw two channels, and a page size for each (sometimes one dividing the filtered total,
       so the last page is exactly full, among those whose walk fits the per-walk budget).
    2. Walk the two filtered lists side by side: every page keeps the pagination rules; links
       keep the filter.
    3. Every item has the channel; the suite's audiences of that channel are all there; the
       count visited equals the filtered total (PAGE-02).
    """
    totals = target.together(lambda channel: filtered_total(target, channel), drawn)
    sizes = [
        data.draw(
            st.one_of(page_sizes, st.sampled_from(full_page_sizes(total, walks.budget) or [1])),
            label=f"page_size of {channel}",
        )
        for channel, total in zip(drawn, totals, strict=True)
    ]
    with walks.fresh_on_failure():
        walked = target.together(
            lambda walk: walks.planned(
                target,
                channel_query(walk[0], walk[1]),
                entry_rule="FILT-01",
                matching=of_channel(walk[0]),
            ),
            list(zip(drawn, sizes, strict=True)),
        )
        for channel, planned in zip(drawn, walked, strict=True):
            check_complete(
                planned.complete, own_ids(known, channel, rule="FILT-01"), missing_rule="FILT-01"
            )


@pytest.mark.rule("FILT-02", "PAGE-02", *WALK_RULES)
def test_channel_totals_add_up_to_the_unfiltered_total(
    target: Target, known: DataSet | None, walks: Walks
) -> None:
    """FILT-02: the totals of the three channel filters add up to the unfiltered total, and
    PAGE-02: each is the number of audiences of that channel in a walk of the whole list.

    ``known`` only makes sure the data set exists first (when the run may write); the whole
    list is walked (or its walk reused) and is complete: the run's own audiences are all there.
    """
    with walks.fresh_on_failure():
        everything = walks.complete(target, Query(AUDIENCES_PATH, MAX_PAGE_SIZE))
        check_complete(everything, own_ids(known))
        totals = {channel: filtered_total(target, channel) for channel in CHANNELS}
        check(
            sum(totals.values()) == everything.total,
            "FILT-02",
            expected=f"channel totals adding up to the unfiltered total {everything.total}",
            received=f"{totals} (sum {sum(totals.values())})",
        )
        for channel, total in totals.items():
            counted = sum(1 for item in everything.items if item.get("channel") == channel)
            check(
                total == counted,
                "PAGE-02",
                expected=f"total {counted} for {CHANNEL}={channel} (the {channel} audiences of the whole list)",
                received=f"total {total}",
            )


# -- FILT-03: letter case ------------------------------------------------------------------------


def case_variants(channel: str) -> st.SearchStrategy[str]:
    """Spellings of ``channel`` in other letter cases: lower, title, and random mixes."""
    mixed = st.lists(st.booleans(), min_size=len(channel), max_size=len(channel)).map(
        lambda upper: "".join(c if up else c.lower() for c, up in zip(channel, upper, strict=True))
    )
    return st.one_of(st.sampled_from([channel.lower(), channel.title()]), mixed).filter(
        lambda variant: variant != channel
    )


@pytest.mark.rule("FILT-03")
@property_settings(0.5)
@given(channel=channels, data=st.data())
def test_a_channel_filter_ignores_letter_case(
    target: Target, known: DataSet | None, walks: Walks, channel: str, data: st.DataObject
) -> None:
    """FILT-03 (SHOULD): ``viber`` and ``Viber`` act as ``VIBER``: same total, same items, same order.

    The exact spelling's walk is complete and holds the run's own audiences of the channel; the
    variant's walk shows the same sequence (on an account too large for the budget, the same
    start of it).
    """
    variant = data.draw(case_variants(channel), label="variant")
    with walks.fresh_on_failure():
        expected = walks.complete(
            target,
            channel_query(channel),
            entry_rule="FILT-01",
            matching=of_channel(channel),
            fresh=True,
        )
        seen = walks.bounded(
            target,
            channel_query(variant),
            entry_rule="FILT-03",
            matching=of_channel(channel, "FILT-03"),
        )
        check_complete(expected, own_ids(known, channel, rule="FILT-01"), missing_rule="FILT-01")
        check(
            seen.total == expected.total,
            "FILT-03",
            expected=f"total {expected.total}, as for '{channel}'",
            received=f"total {seen.total}",
            context=str(seen.query),
        )
        check_same_sequence(seen, expected, rule="FILT-03")


# -- FILT-04: unknown values ----------------------------------------------------------------------

UNKNOWN_CHANNELS = (
    "EMAIL",
    "TELEGRAM",
    "SMSS",
    "VIBE",
    "WHATS_APP",
    "WHATSAPP2",
    "SMS,VIBER",
    "*",
    "null",
    "0",
)
unknown_channels = st.one_of(
    st.sampled_from(UNKNOWN_CHANNELS),
    # ASCII without spaces: whether ' SMS ' or non-ASCII case folds are unknown is beyond dispute then.
    st.text(alphabet=string.ascii_letters + string.digits + "_-.,*%", min_size=1, max_size=20),
).filter(lambda value: value.upper() not in CHANNELS)


@pytest.mark.rule("FILT-04", level="MUST")
@property_settings()
@given(value=unknown_channels)
def test_an_unknown_channel_never_fails_the_server(target: Target, value: str) -> None:
    """FILT-04 (its MUST part): an unknown channel value never yields a 5xx."""
    response = target.get(AUDIENCES_PATH, params={CHANNEL: value})
    check(
        response.status_code < 500,
        "FILT-04",
        expected=f"no 5xx for {CHANNEL}={value!r}",
        received=f"HTTP {response.status_code}",
        response=response,
    )


@pytest.mark.rule("FILT-04")
@property_settings()
@given(value=unknown_channels)
def test_an_unknown_channel_is_refused(target: Target, value: str) -> None:
    """FILT-04 (SHOULD): an unknown channel value gets 400 with the error envelope (the code,
    preferably 1307, is not required)."""
    expect_error(
        target.get(AUDIENCES_PATH, params={CHANNEL: value}),
        status=400,
        rule="FILT-04",
        context=f"{CHANNEL}={value!r}",
    )
