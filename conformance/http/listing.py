"""The suite's one paging loop: every audience of a list, page after page, following ``next``.

Who walks decides what a page that is not one means: the checks fail a rule, cleanup raises
and reports it. The loop itself only asks the first page (at the largest page size, so a walk
takes the fewest requests), follows each ``next`` link as a client would, and stops when
there is none or after ``max_pages`` (a server whose ``next`` never ends must not keep a run
going).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from conformance.contract.facts import AUDIENCES_PATH, MAX_PAGE_SIZE
from conformance.http.target import Target

PageReader = Callable[[requests.Response], Any]  # a page's body; raises on one that is not a page


def listed_items(
    target: Target,
    params: Mapping[str, str],
    *,
    read: PageReader,
    max_pages: int,
    page_size: int = MAX_PAGE_SIZE,
) -> Iterator[dict[str, Any]]:
    """Every item of the list of ``params``, in the order the pages give them; each page is
    asked only when the items before it are used up."""
    url: str | None = target.url(AUDIENCES_PATH)
    query: dict[str, str] | None = {"page_size": str(page_size), **params}
    for _ in range(max_pages):
        if url is None:
            return
        response = target.get(url, params=query)
        body = read(response)
        yield from (item for item in body.get("data", []) if isinstance(item, dict))
        link = (body.get("pagination", {}).get("links", {}) or {}).get("next")
        url, query = (target.follow(link, relative_to=response.url), None) if link else (None, None)
