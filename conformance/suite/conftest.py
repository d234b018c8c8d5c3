"""Fixtures of the conformance suite: the run, its targets, and the data it may create.

Importing this file starts the run (and the embedded reference server when no target was
given). The plugin then checks, before any test runs, that the target answers at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest

from conformance.checks.client import create_audience
from conformance.http.ledger import Namer
from conformance.http.target import Target
from conformance.plugin import seeded_draws
from conformance.plugin.hooks import HYPOTHESIS_PROFILE, start_run
from conformance.run.profiles import Profile
from conformance.run.session import RunContext
from conformance.verdict.scope import NO_SECOND_KEY, READ_ONLY, out_of_scope

pytest_plugins = ["conformance.suite.pagination_fixtures"]


def _start_run() -> RunContext:
    context = start_run()
    hypothesis.settings.load_profile(HYPOTHESIS_PROFILE)
    seeded_draws.draw_from(context.seed)
    return context


RUN = _start_run()


@pytest.fixture(scope="session")
def run() -> RunContext:
    return RUN


@pytest.fixture(scope="session")
def target(run: RunContext) -> Target:
    """The primary account's view of the target."""
    return run.primary


@pytest.fixture(scope="session")
def other_target(run: RunContext) -> Target:
    """A second account's view of the target (TEN-01, TEN-02, PAGE-11)."""
    if run.secondary is None:
        out_of_scope(NO_SECOND_KEY)
    return run.secondary


@pytest.fixture(scope="session")
def namer(run: RunContext) -> Namer:
    return run.namer


@pytest.fixture(scope="session")
def profile(run: RunContext) -> Profile:
    return run.settings.profile


@pytest.fixture(scope="session")
def writable(run: RunContext) -> Iterator[None]:
    """Depend on this in tests that create or change data: they are out of scope in read-only runs."""
    if run.settings.read_only:
        out_of_scope(READ_ONLY)
    yield


@pytest.fixture(scope="session")
def kept_audience(target: Target, namer: Namer, writable: None) -> dict[str, Any]:
    """The one audience the update property renames, again and again, and the refused writes
    aim at, as its create answered (the update property keeps ``update_date`` current). The
    create property asks for it first, so that it is made before any example runs."""
    return create_audience(target, namer.fresh(), "WHATSAPP", [{"number": "+4915112345678"}])


@pytest.fixture(scope="session")
def robustness_audience(target: Target, namer: Namer, writable: None) -> dict[str, Any]:
    """The audience the robustness tests send their hostile and refused updates to, made once
    by the first of them that runs."""
    return create_audience(target, namer.fresh(), "SMS", [{"number": "+37491234567"}])


@pytest.fixture(scope="session")
def taken_audience(target: Target, namer: Namer, writable: None) -> dict[str, Any]:
    """An audience whose name the duplicate probes collide with (VAL-1309), and which refused
    updates must not rename (VAL-01)."""
    return create_audience(target, namer.fresh(), "SMS")


@pytest.fixture(scope="session")
def updated_audience(target: Target, namer: Namer, writable: None) -> dict[str, Any]:
    """The audience the faulty updates of the code table are sent to (VAL-13xx, VAL-01)."""
    return create_audience(target, namer.fresh(), "VIBER")
