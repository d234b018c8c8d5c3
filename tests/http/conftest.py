"""Fixtures of the request path's tests: an HTTPS staging on loopback, and targets closed after
each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from network_staging import HttpsStaging, https_reference
from transport_targets import KEY, OPENED, SECOND_KEY


@pytest.fixture(autouse=True)
def _close_targets() -> Iterator[None]:
    """Each test's sessions end with it: a kept-alive connection must not outlive its server."""
    yield
    while OPENED:
        OPENED.pop().close()


@pytest.fixture(scope="module")
def staging() -> Iterator[HttpsStaging]:
    with https_reference(keys=(KEY, SECOND_KEY)) as served:
        yield served


@pytest.fixture(scope="module")
def mutual() -> Iterator[HttpsStaging]:
    with https_reference(mutual=True, keys=(KEY, SECOND_KEY)) as served:
        yield served
