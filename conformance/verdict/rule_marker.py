"""The ``rule`` marker: which contract rules a test declares it checks.

The plugin records these in JUnit, the recorder and ``--shard`` decide scope by them, and
``docs`` lists them: all read a test's rules here, so they never disagree.
"""

from __future__ import annotations

import pytest

from conformance.contract.rules import Level, get_rule
from conformance.errors import UnknownRuleError

MARKER_HELP = (
    "rule(*ids, level=None): the contract rule IDs a test checks "
    "(level overrides the catalogue's for a rule with parts of two levels)"
)


def rules_of(item: pytest.Item) -> list[tuple[str, Level]]:
    """The (rule ID, level) pairs a test declares with ``@pytest.mark.rule``; an unknown ID
    raises :class:`UnknownRuleError`."""
    pairs: list[tuple[str, Level]] = []
    for marker in item.iter_markers("rule"):
        override = marker.kwargs.get("level")
        for rule_id in marker.args:
            rule = get_rule(rule_id)
            pairs.append((rule.id, Level(override) if override else rule.level))
    return pairs


def rule_pairs(item: pytest.Item) -> list[tuple[str, Level]]:
    """:func:`rules_of`, or none for a test of another plugin or with an unknown ID."""
    try:
        return rules_of(item)
    except UnknownRuleError:
        return []


def rule_ids_of(item: pytest.Item) -> list[str]:
    """The rule IDs a test declares; none for a test of another plugin or with an unknown ID."""
    return [rule_id for rule_id, _ in rule_pairs(item)]
