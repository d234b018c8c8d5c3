"""``--shard K/N``: a deterministic Nth of the suite's tests, for a CI matrix of N jobs.

Every test goes to the shard given by a stable hash (SHA-256) of its group: the test itself,
or the quiet tests (see :mod:`conformance.plugin.quiet_lock`), which walk one data set and are never split,
so that one shard makes it. The same tests and the
same seed give the same shards on every machine. Each shard is a run of its own (run id,
JUnit, files named for it); its exit code says what its own tests found
(:mod:`conformance.verdict.shards`), and ``audience-conformance report`` merges the JUnit files
of all N into one certificate, the run's verdict.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from _pytest.junitxml import xml_key

from conformance.errors import SettingsError
from conformance.plugin import quiet_lock as quiet
from conformance.plugin import whole_suite
from conformance.plugin.recorder import RunRecorder
from conformance.run.options import PYTEST_FLAGS
from conformance.verdict import scope
from conformance.verdict.rule_marker import rule_ids_of
from conformance.verdict.shards import PROPERTY as SHARD_PROPERTY
from conformance.verdict.shards import Shard

OPTION = PYTEST_FLAGS["shard"]  # the plugin adds it with the run's other options


def parse_shard(text: str, option: str = "--shard") -> tuple[int, int]:
    """'2/4' -> (2, 4); anything else is the user's mistake."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise SettingsError(
            f"{option} takes K/N with 1 <= K <= N (this job's shard of N), not '{text}'."
        )
    return int(match.group(1)), int(match.group(2))


def shard_of(group: str, count: int) -> int:
    """The shard (1..count) a group of tests belongs to."""
    return int.from_bytes(hashlib.sha256(group.encode("utf-8")).digest()[:8], "big") % count + 1


def register(config: pytest.Config, recorder: RunRecorder) -> None:
    text = config.getoption("audience_shard", None)
    if text:
        try:
            shard = parse_shard(text, OPTION)
        except SettingsError as error:
            raise pytest.UsageError(str(error)) from None
        recorder.shard = Shard.of(*shard)
        config.pluginmanager.register(Sharding(*shard, recorder), "audience-conformance-shard")


class Sharding:
    """Keeps this shard's tests. What is out of scope is decided on the whole collection, as in
    a run without shards: leaving out the other shards' tests is no choice of the user's, and
    every shard then names the same rules out of scope (the merge relies on it)."""

    def __init__(self, index: int, count: int, recorder: RunRecorder) -> None:
        self.index = index
        self.count = count
        self.recorder = recorder
        self.left_out: list[list[str]] = []  # rules of the tests the user's options deselected
        self.whole: dict[str, str] | None = None

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.left_out += [rule_ids_of(item) for item in items]

    @pytest.hookimpl(trylast=True)  # after --rule and -k
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        self.whole = scope.unselected_rules(
            [rule_ids_of(item) for item in items],
            self.left_out + whole_suite.uncollected(session, items, rule_ids_of),
        )
        items[:] = [
            item for item in items if shard_of(quiet.group_of(item), self.count) == self.index
        ]

    @pytest.hookimpl(trylast=True)  # after the recorder worked out this shard's scope
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.whole is not None:
            self.recorder.set_scope(self.whole)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        xml = session.config.stash.get(xml_key, None)
        if xml is not None:
            xml.add_global_property(SHARD_PROPERTY, f"{self.index}/{self.count}")
