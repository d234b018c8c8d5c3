"""A testcase's properties in JUnit: one per name, read back the same, older files too."""

from __future__ import annotations

from pathlib import Path

from junit_samples import Case, failing_run, write_junit
from junitparser.xunit2 import JUnitXml

from conformance.report import build_certificate
from conformance.verdict.junit_properties import as_written, for_viewers
from conformance.verdict.junit_records import read_records
from conformance.verdict.per_rule import TEST_FAILED, TestRecord

# What the plugin records for a test of three rules where PAGE-04 failed and PAGE-03 was left
# out by the user's choice; a walk's own property rides along.
WRITTEN: list[tuple[str, object]] = [
    ("rule", "PAGE-04"),
    ("level", "MUST"),
    ("rule", "PAGE-03"),
    ("level", "MUST"),
    ("rule", "PAGE-10"),
    ("level", "SHOULD"),
    ("walked_to_end", "page sizes 1, 2"),
    ("outcome", "PAGE-04 failed"),
    ("outcome", "PAGE-03 blocked PAGE-04"),
    ("outcome", "PAGE-10 out-of-scope"),
    ("outcome", "VAL-00 failed"),  # a violation of a rule the test does not declare
    ("left_out", "PAGE-10 needs a second account"),
]


def test_every_name_is_written_once() -> None:
    names = [name for name, _ in for_viewers(WRITTEN)]
    assert len(names) == len(set(names)), names
    shaped = dict(for_viewers(WRITTEN))
    assert shaped["rule"] == "PAGE-04 PAGE-03 PAGE-10"
    assert shaped["level.PAGE-10"] == "SHOULD"
    assert shaped["outcome.PAGE-03"] == "blocked PAGE-04"
    assert shaped["outcome.VAL-00"] == "failed"
    assert shaped["left_out.PAGE-10"] == "needs a second account"
    assert shaped["walked_to_end"] == "page sizes 1, 2"


def test_what_was_written_reads_back_from_either_form() -> None:
    assert as_written(for_viewers(WRITTEN)) == WRITTEN
    assert for_viewers(for_viewers(WRITTEN)) == for_viewers(WRITTEN)
    assert as_written(WRITTEN) == WRITTEN  # a file older than the form
    one_rule = [("rule", "AUTH-01"), ("level", "MUST"), ("outcome", "AUTH-01 passed")]
    assert as_written(for_viewers(one_rule)) == one_rule


def test_a_test_record_is_the_same_from_either_form() -> None:
    old = TestRecord.from_properties("test_p::t", WRITTEN, TEST_FAILED, "why")
    new = TestRecord.from_properties("test_p::t", for_viewers(WRITTEN), TEST_FAILED, "why")
    assert new == old
    assert new.failed_rules == ("PAGE-04", "VAL-00")
    assert new.why_out_of_scope("PAGE-10") == "needs a second account"


def test_a_viewer_that_keeps_properties_as_a_map_sees_every_rule(tmp_path: Path) -> None:
    """Read with junitparser, each testcase's properties as a name -> value map (as Jenkins and a
    JSON object keep them) lose nothing: before, a test of 9 rules showed one outcome."""
    junit = write_junit(
        tmp_path / "junit.xml",
        [Case("test_walk", ["PAGE-04", "PAGE-03"], "failed", ["PAGE-04"], "[PAGE-04] ...")],
    )
    case = next(case for suite in JUnitXml.fromfile(str(junit)) for case in suite)
    listed = [(prop.name, prop.value) for prop in case.properties()]
    as_map = dict(listed)
    assert len(as_map) == len(listed)
    assert as_map["outcome.PAGE-04"] == "failed"
    assert as_map["outcome.PAGE-03"] == "blocked PAGE-04"


def test_a_certificate_rebuilt_from_an_older_file_says_the_same(tmp_path: Path) -> None:
    new = failing_run(tmp_path / "new" / "junit.xml")
    old = failing_run(tmp_path / "old" / "junit.xml", older_form=True)
    assert "outcome.PAGE-04" in new.read_text(encoding="utf-8")
    assert "outcome.PAGE-04" not in old.read_text(encoding="utf-8")
    assert read_records(new) == read_records(old)
    rules = [(row.id, row.outcome) for row in build_certificate(new).rules]
    assert rules == [(row.id, row.outcome) for row in build_certificate(old).rules]
    assert ("PAGE-04", "failed") in rules
