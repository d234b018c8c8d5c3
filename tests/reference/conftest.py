"""Fixtures the reference's tests share: one server per test module, and a fresh account per test.

A module that needs more (a server over a file, a client whose account is filled first, one
client for the whole module) defines its own fixture of the same name, which takes precedence.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from reference_client import Client, Reference, running_reference


@pytest.fixture(scope="module")
def reference() -> Iterator[Reference]:
    with running_reference() as running:
        yield running


@pytest.fixture
def client(reference: Reference) -> Client:
    """A client of an account no other test has used on this module's server."""
    return reference.fresh_client()
