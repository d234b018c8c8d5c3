"""A failure's text keeps what a server developer reads, not Hypothesis' notes on its own run."""

from __future__ import annotations

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from conformance.verdict.hypothesis_notes import is_hypothesis_noise, readable, strip_noise
from conformance.verdict.violations import RuleViolation

NOISE = [
    "Failing test case: test_a_walk(\n    target=,\n    known=,\n    walks=,\n)",
    "Failing explicit example: test_links(\n    target=,\n    page_size=,\n)",
    "Falsifying example: test_old(\n    target=,\n)",
    "Draw 1 (fault): Fault(code=1308,\n what='11 valid contacts',\n also=frozenset())",
    "(note: 2 other explicit examples also failed with this error; use Verbosity.verbose to view)",
    "You can reproduce this example by temporarily adding @reproduce_failure('6.1', b'AXic') as a decorator on your test case",
]
KEPT = [
    "kept for the end of the test, before it stopped:\n[PAGE-10] ...",
    "You can add @seed(123) to this test or run pytest with --hypothesis-seed=123 to reproduce this failure.",
    "reproduce: audience-conformance run --seed 7 --rule PAGE-04",
    "Failing test case: test_x()\ncurl -X GET 'http://127.0.0.1:8080/v1/audiences'",
]


def test_hypothesis_own_notes_are_dropped_and_the_rest_kept() -> None:
    assert [note for note in NOISE if not is_hypothesis_noise(note)] == []
    assert readable([*NOISE, *KEPT]) == KEPT


def _failure_hypothesis_reports() -> BaseException:
    """What a property test of the suite raises when Hypothesis finds a violation."""

    @settings(database=None, phases=[Phase.generate, Phase.shrink], max_examples=5)
    @given(page_size=st.integers(1, 3), data=st.data())
    def test_walk(page_size: int, data: st.DataObject) -> None:
        data.draw(st.sampled_from(["SMS", "VIBER"]), label="channel")
        raise RuleViolation("PAGE-04", expected="every item once", received="3 never seen")

    with pytest.raises(BaseException) as raised:
        test_walk()
    return raised.value


def _all_notes(error: BaseException) -> list[str]:
    found = list(getattr(error, "__notes__", []))
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found += _all_notes(inner)
    return found


def test_a_real_hypothesis_failure_loses_its_boilerplate_not_its_violation() -> None:
    error = _failure_hypothesis_reports()
    before = "\n".join(_all_notes(error))
    assert "Failing" in before  # what Hypothesis adds, and the suite's JUnit carried
    strip_noise(error)
    after = "\n".join(_all_notes(error))
    for noise in ("Failing test case", "Failing explicit example", "Draw 1", "Verbosity"):
        assert noise not in after, after
    violations = [error] if isinstance(error, RuleViolation) else list(error.exceptions)  # type: ignore[attr-defined]
    assert all("[PAGE-04]" in str(found) and "3 never seen" in str(found) for found in violations)
