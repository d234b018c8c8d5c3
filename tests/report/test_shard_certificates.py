"""A shard's files: named for the shard, saying that the verdict is the merge's; and the sets
of files ``report`` refuses (one shard alone, a merge among shards), in one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junit_samples import Case, run_properties, write_junit

from conformance.cli.main import main
from conformance.contract.rules import RULES
from conformance.report import write_certificate
from conformance.report.model import build_certificate
from conformance.run.artefacts import junit_of_shard, remove_stale
from conformance.run.options import DEFAULT_JUNIT
from conformance.verdict import scope
from conformance.verdict.per_rule import NO_VERDICT, NOT_CONFORMANT, NOT_VERIFIED
from conformance.verdict.shards import Shard

NOTE = "One shard (2/3) of a run split in 3: it ran only its part of the tests and certifies nothing alone"


def shard_run(
    path: Path,
    index: int,
    count: int = 3,
    failed: str | None = None,
    run_end: str = "completed",
    out_of_scope: dict[str, str] | None = None,
) -> Path:
    """A completed shard: one passing test for each rule of its part (every count-th rule)."""
    cases = [
        Case(f"test_{rule.id.lower()}", [rule.id])
        if rule.id != failed
        else Case(f"test_{rule.id.lower()}", [rule.id], "failed", [rule.id], "E   AssertionError")
        for position, rule in enumerate(RULES)
        if position % count == index - 1
    ]
    assert failed is None or any(case.outcome == "failed" for case in cases), "not in this shard"
    properties = run_properties(shard=f"{index}/{count}", run_id=f"run{index}", run_end=run_end)
    properties[scope.PROPERTY] = scope.encode(out_of_scope or {})
    return write_junit(path, cases, properties)


def test_a_clean_shards_certificate_says_it_is_one_shard(tmp_path: Path) -> None:
    junit = shard_run(tmp_path / "junit-shard-2-of-3.xml", 2)
    written = write_certificate(junit)
    assert [path.name for path in written] == [
        "certificate-shard-2-of-3.html",
        "certificate-shard-2-of-3.md",
        "certificate-shard-2-of-3.json",
    ]
    certificate = build_certificate(junit)
    assert certificate.kind == NO_VERDICT and not certificate.conformant
    assert certificate.verdict == "SHARD 2/3: no test failed; the verdict comes from the merge"
    assert certificate.gaps() == []  # the other shards' rules are not this shard's gaps
    elsewhere = [row for row in certificate.rules if not row.tests]
    assert elsewhere and all(
        row.outcome == NOT_VERIFIED
        and row.reasons
        == ("none of its tests is in shard 2/3: the merge of the shards decides it",)
        for row in elsewhere
    )
    html, markdown, data = (path.read_text(encoding="utf-8") for path in written)
    assert NOTE in html and NOTE in markdown and "could not be verified" not in html
    assert json.loads(data)["verdict"] == certificate.verdict and json.loads(data)["gaps"] == []


def test_a_shard_that_failed_a_must_rule_is_not_conformant_and_says_so(tmp_path: Path) -> None:
    junit = shard_run(tmp_path / "junit.xml", 2, failed="AUD-01")
    certificate = build_certificate(junit)
    assert certificate.kind == NOT_CONFORMANT and certificate.verdict == NOT_CONFORMANT
    assert certificate.shard_note.startswith(
        "1 rule(s) failed in this shard, so the run is not conformant. " + NOTE
    )


def test_a_shard_that_did_not_complete_says_so_first(tmp_path: Path) -> None:
    certificate = build_certificate(shard_run(tmp_path / "junit.xml", 2, run_end="interrupted"))
    assert certificate.verdict == "NO VERDICT (interrupted)"
    assert certificate.shard_note.startswith(
        "The shard ended early (interrupted): its outcomes are incomplete. " + NOTE
    )


def test_verify_of_a_shards_certificate_gives_no_verdict_and_points_to_the_merge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_certificate(shard_run(tmp_path / "junit.xml", 2))
    assert main(["verify", str(tmp_path / "certificate-shard-2-of-3.json")]) == 4
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(NOTE)


def test_shards_writing_into_one_folder_keep_their_own_files(tmp_path: Path) -> None:
    for index in (1, 2, 3):
        junit = junit_of_shard(Path(DEFAULT_JUNIT), Shard(index, 3))
        write_certificate(shard_run(tmp_path / junit, index))
    names = sorted(path.name for path in (tmp_path / "reports").iterdir())
    assert len(names) == 12 and "junit-shard-3-of-3.xml" in names
    assert "certificate-shard-1-of-3.json" in names and "certificate.json" not in names
    # A shard's next run removes its own files only, never another shard's.
    remove_stale(tmp_path / "reports" / "junit-shard-1-of-3.xml", Shard(1, 3))
    left = sorted(path.name for path in (tmp_path / "reports").iterdir())
    assert len(left) == 8 and not any("shard-1-of-3" in name for name in left)


def test_a_junit_file_the_user_named_is_kept_as_given() -> None:
    assert junit_of_shard(Path("out/s2.xml"), Shard(2, 3)) == Path("out/s2.xml")
    assert junit_of_shard(Path(DEFAULT_JUNIT), None) == Path(DEFAULT_JUNIT)


def test_report_refuses_one_shard_alone_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = shard_run(tmp_path / "junit-shard-1-of-2.xml", 1, count=2)
    assert main(["report", str(junit), "--out", str(tmp_path / "all")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"audience-conformance: error: '{junit}' is shard 1/2 alone: shard 2/2 is missing; "
        "give the JUnit files of all 2 shards and --out DIR to merge them.\n"
    )
    assert not (tmp_path / "all").exists()


def test_report_refuses_a_merge_given_among_shards(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shards = [str(shard_run(tmp_path / f"s{k}.xml", k, count=2)) for k in (1, 2)]
    assert main(["report", *shards, "--out", str(tmp_path / "all")]) == 0
    merged = str(tmp_path / "all" / "junit.xml")
    assert main(["report", merged]) == 0  # the merge alone: its certificate rebuilt
    capsys.readouterr()
    assert main(["report", merged, shards[1], "--out", str(tmp_path / "again")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "is not a shard" in err and "Traceback" not in err


def test_report_refuses_shards_selected_differently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Shard 1 run with ``--rule`` left PAGE-12 out, shard 2 did not: PAGE-12's tests of shard 1
    never ran anywhere, so the merge would judge it on part of them."""
    narrowed = shard_run(
        tmp_path / "s1.xml", 1, count=2, out_of_scope={"PAGE-12": scope.NOT_SELECTED}
    )
    whole = shard_run(tmp_path / "s2.xml", 2, count=2)
    assert main(["report", str(narrowed), str(whole), "--out", str(tmp_path / "all")]) == 2
    err = capsys.readouterr().err
    assert "selected differently" in err and "PAGE-12" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "all").exists()
