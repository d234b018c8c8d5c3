"""An audience's contacts (CRUD-06): every pagination rule of section 4, and ``filter[search]``.

CRUD-06 is a SHOULD rule, so each section-4 rule broken on contacts is reported as CRUD-06
(naming the section-4 rule in the message), never as the MUST rule itself.
"""

from __future__ import annotations

import string
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks.client import audience_path
from conformance.checks.dataset import Contact, DataSet, OwnAudience
from conformance.checks.walk_invariants import (
    check_complete,
    check_revisits,
    check_same_sequence,
    reported_as,
)
from conformance.checks.walk_model import ItemFilter, Query, Walk
from conformance.checks.walker import walk
from conformance.contract.facts import MAX_PAGE_SIZE
from conformance.http.target import Target
from conformance.suite.pagination_fixtures import page_sizes, property_settings
from conformance.verdict.violations import check

SEARCH = "filter[search]"
CONTACT_FIELDS = ("number", "first_name", "last_name")
# Sizes that divide 10 (a full last page), that leave a remainder, and the defaults.
CONTACT_PAGE_SIZES = st.one_of(st.sampled_from((1, 2, 3, 5, 7, 10)), page_sizes)


def contacts_query(
    audience: OwnAudience, page_size: int | None, search: str | None = None
) -> Query:
    return Query(
        audience_path(audience.id) + "/contacts",
        page_size,
        ((SEARCH, search),) if search is not None else (),
    )


def walk_contacts(target: Target, query: Query, matching: ItemFilter | None = None) -> Walk:
    return walk(target, query, keep=CONTACT_FIELDS, entry_rule="CRUD-06", matching=matching)


def containing(text: str) -> ItemFilter:
    """CRUD-06: the number, first or last name contains ``text``, ignoring case."""
    needle = text.casefold()
    return ItemFilter(
        lambda item: any(needle in str(item.get(name) or "").casefold() for name in CONTACT_FIELDS),
        f"containing {text!r}",
        "CRUD-06",
    )


def check_numbers(walked: Walk, expected: list[Contact], what: str) -> None:
    """The walk shows exactly the expected contacts (by number; order is the server's)."""
    numbers = Counter(str(item.get("number")) for item in walked.items)
    wanted = Counter(contact.number for contact in expected)
    check(
        numbers == wanted,
        "CRUD-06",
        expected=f"{what}: {sorted(wanted)}",
        received=f"{sorted(numbers.elements())}",
        context=str(walked.query),
    )


@pytest.mark.rule("CRUD-06")
@property_settings()
@given(data=st.data())
def test_contacts_page_like_audiences(
    target: Target, dataset: DataSet, data: st.DataObject
) -> None:
    """CRUD-06 (SHOULD): contacts page through exactly the contacts given at create.

    1. Draw an audience (10 contacts, 7, or none: an empty collection) and a page size.
    2. Walk its contacts: every section-4 rule page by page; count equals total.
    3. The numbers seen are the numbers sent; current, first and previous return their pages;
       the order is the one a walk at page size 100 gives (walked beside the first).
    """
    audience = data.draw(st.sampled_from(dataset.contact_audiences), label="audience")
    page_size = data.draw(CONTACT_PAGE_SIZES, label="page_size")
    with reported_as("CRUD-06", "contacts"):
        walked, whole = target.together(
            lambda size: walk_contacts(target, contacts_query(audience, size)),
            [page_size, MAX_PAGE_SIZE],
        )
        check_complete(walked)
        check_numbers(walked, list(audience.contacts), "the contacts given at create")
        check_revisits(target, walked, {0, len(walked.pages) - 1})
        check_same_sequence(walked, whole)


def search_texts(contacts: tuple[Contact, ...]) -> st.SearchStrategy[str]:
    """Parts of the contacts' numbers and names in any letter case, and texts that match nothing."""

    @st.composite
    def fragment(draw: st.DrawFn) -> str:
        contact = draw(st.sampled_from(contacts))
        value = draw(
            st.sampled_from([contact.number, contact.first_name, contact.last_name]).filter(bool)
        )
        start = draw(st.integers(min_value=0, max_value=len(value) - 1))
        end = draw(st.integers(min_value=start + 1, max_value=len(value)))
        flips = draw(st.lists(st.booleans(), min_size=end - start, max_size=end - start))
        return "".join(
            c.swapcase() if flip else c for c, flip in zip(value[start:end], flips, strict=True)
        )

    # ASCII only, no spaces at the ends: case folding and trimming are then beyond dispute.
    other = st.text(alphabet=string.ascii_letters + string.digits + "+-", min_size=1, max_size=6)
    return st.one_of(
        fragment(), other, st.sampled_from(["qqq", "+0000", "ANN", "smith", "55501"])
    ).filter(lambda text: text == text.strip())


@pytest.mark.rule("CRUD-06")
@property_settings()
@given(data=st.data())
def test_search_keeps_exactly_the_matching_contacts(
    target: Target, dataset: DataSet, data: st.DataObject
) -> None:
    """CRUD-06 (SHOULD): ``filter[search]`` keeps the contacts whose number, first name or last
    name contains the text, ignoring case; links keep the search; no match is one empty page."""
    audience = data.draw(
        st.sampled_from([a for a in dataset.contact_audiences if a.contacts]), label="audience"
    )
    text = data.draw(search_texts(audience.contacts), label="search")
    page_size = data.draw(
        st.one_of(st.integers(min_value=1, max_value=4), st.none()), label="page_size"
    )
    with reported_as("CRUD-06", "contacts"):
        walked = walk_contacts(target, contacts_query(audience, page_size, text), containing(text))
        check_complete(walked)
        check_numbers(
            walked,
            [contact for contact in audience.contacts if contact.matches(text)],
            f"the contacts matching {text!r}",
        )
