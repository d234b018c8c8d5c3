"""One certificate from the JUnit files of one run's shards (``report A.xml B.xml --out DIR``).

The shards of a CI matrix are runs of their own; together they are one certification only if
they certified the same thing the same way: one target, spec, suite version, profile, seed,
mode and selection of tests, and each shard of N exactly once. Anything else is refused with one line, and so is
one shard given alone (its certificate is not the run's). The merge
is itself a JUnit file (every shard's testcases, the run's properties once), so the
certificate is built, and later verified, from it exactly as from a single run's file; a
rule's outcome then comes from all its tests, wherever they ran.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.errors import ReportError
from conformance.report.run_properties import read_property, suite_properties
from conformance.verdict import scope
from conformance.verdict.shards import PROPERTY as SHARD_PROPERTY
from conformance.verdict.shards import Shard

MERGED_NAME = "junit.xml"
# What every shard of one certification must share.
SAME_IN_EVERY_SHARD = (
    "target",
    "spec_sha256",
    "suite_version",
    "profile",
    "seed",
    "strict",
    "read_only",
    "secondary_account",
    "embedded_reference",
)
SUMMED = (
    "cleanup_deleted",
    "cleanup_leftovers_found",
    "cleanup_leftovers_deleted",
    "cleanup_leftovers_remaining",
    "cleanup_problems",
)
COUNTS = ("tests", "failures", "errors", "skipped")
COMPLETED = "completed"
UNKNOWN_END = "unknown"


def merge_shards(junit_paths: list[Path], out_dir: Path) -> Path:
    """Write the merged JUnit file into ``out_dir``; a ReportError names what does not fit."""
    shards = [_read(path) for path in junit_paths]
    _check_one_run(shards)
    merged = ET.Element("testsuites", {"name": "pytest tests"})
    suite = ET.SubElement(merged, "testsuite", {"name": "pytest"})
    properties = ET.SubElement(suite, "properties")
    for name, value in _merged_properties([props for _, props, _ in shards]).items():
        ET.SubElement(properties, "property", {"name": name, "value": value})
    counts = dict.fromkeys(COUNTS, 0)
    seconds = 0.0
    for _, _, suites in shards:
        for shard_suite in suites:
            for key in COUNTS:
                counts[key] += int(shard_suite.get(key, "0") or 0)
            seconds += float(shard_suite.get("time", "0") or 0)
            suite.extend(case for case in shard_suite if case.tag == "testcase")
    suite.attrib.update({key: str(value) for key, value in counts.items()})
    suite.set("time", f"{seconds:.3f}")
    timestamps = sorted(
        s.get("timestamp", "") for _, _, suites in shards for s in suites if s.get("timestamp")
    )
    if timestamps:
        suite.set("timestamp", timestamps[0])
    target = out_dir / MERGED_NAME
    if any(path.resolve() == target.resolve() for path in junit_paths):
        raise ReportError(
            f"--out '{out_dir}' holds a shard's own {MERGED_NAME}; give another folder for the merge."
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(merged).write(target, encoding="utf-8", xml_declaration=True)
    except OSError as error:
        raise ReportError(
            f"Cannot write the merged JUnit file to '{out_dir}': {error.strerror or error}."
        ) from None
    return target


def refuse_a_lone_shard(junit_path: Path) -> None:
    """One JUnit file given to ``report``: a shard of N alone is an incomplete set."""
    shard = Shard.of_property(read_property(junit_path, SHARD_PROPERTY))
    if shard is not None and shard.count > 1:
        missing = [f"{k}/{shard.count}" for k in range(1, shard.count + 1) if k != shard.index]
        raise ReportError(
            f"'{junit_path}' is shard {shard.label} alone: {_missing(missing)}; give the JUnit files of all {shard.count} shards and --out DIR to merge them."
        )


def _missing(labels: list[str]) -> str:
    return (
        f"shard {labels[0]} is missing"
        if len(labels) == 1
        else f"shards {', '.join(labels)} are missing"
    )


def _read(path: Path) -> tuple[Path, dict[str, str], list[ET.Element]]:
    properties, suites = suite_properties(path)
    if "run_id" not in properties:
        raise ReportError(f"'{path}' is not a JUnit file of the suite: it names no run.")
    return path, properties, suites


def _check_one_run(shards: list[tuple[Path, dict[str, str], list[ET.Element]]]) -> None:
    first_path, first, _ = shards[0]
    for path, props, _ in shards[1:]:
        for name in SAME_IN_EVERY_SHARD:
            if (
                name == "target"
                and props.get("embedded_reference") == first.get("embedded_reference") == "true"
            ):
                continue  # each shard started its own embedded reference, on its own port
            if props.get(name) != first.get(name):
                raise ReportError(
                    f"'{path}' and '{first_path}' are not shards of one run: {name} is '{props.get(name)}' in one and '{first.get(name)}' in the other."
                )
    _check_one_selection(shards)
    marks = [(path, Shard.of_property(props.get(SHARD_PROPERTY))) for path, props, _ in shards]
    for path, mark in marks:
        if mark is None:
            raise ReportError(
                f"'{path}' is not a shard (it was not run with --shard K/N, or is a merge already); only shards of one run can be merged."
            )
    counts = {mark.count for _, mark in marks if mark}
    if len(counts) != 1:
        raise ReportError(
            f"the files are shards of different splits ({', '.join(sorted(f'of {n}' for n in counts))}); give the N shards of one split."
        )
    total = counts.pop()
    seen: dict[str, Path] = {}
    for path, mark in marks:
        assert mark is not None
        if mark.label in seen:
            raise ReportError(
                f"shard {mark.label} is given twice: '{seen[mark.label]}' and '{path}'."
            )
        seen[mark.label] = path
    missing = [f"{k}/{total}" for k in range(1, total + 1) if f"{k}/{total}" not in seen]
    if missing:
        raise ReportError(f"{_missing(missing)}: a merge needs every shard of the run.")


def _check_one_selection(shards: list[tuple[Path, dict[str, str], list[ET.Element]]]) -> None:
    """Each shard decides what is out of scope on the whole collection, so the shards of one run
    name the same rules; rules left out by some shards only mean the shards were selected
    differently (``-k``, ``--rule``, ``-m``, paths), and those rules' tests in those shards never
    ran anywhere."""
    first_path, first, _ = shards[0]
    chosen = scope.decode(first.get(scope.PROPERTY))
    for path, props, _ in shards[1:]:
        other = scope.decode(props.get(scope.PROPERTY))
        differ = sorted(set(chosen) ^ set(other))
        if differ:
            raise ReportError(
                f"'{path}' and '{first_path}' are not shards of one run: they were selected differently (-k, --rule, -m or paths), {', '.join(differ[:5])} out of scope in one only."
            )


def _merged_properties(all_props: list[dict[str, str]]) -> dict[str, str]:
    merged = dict(all_props[0])
    merged["run_id"] = "+".join(props.get("run_id", "") for props in all_props)
    merged[SHARD_PROPERTY] = f"all {len(all_props)}"
    # A shard that recorded no end did not complete: only a merge of completed shards is one.
    ends = [props.get("run_end", UNKNOWN_END) for props in all_props]
    merged["run_end"] = next((end for end in ends if end != COMPLETED), COMPLETED)
    starts = sorted(props["started_at"] for props in all_props if props.get("started_at"))
    if starts:
        merged["started_at"] = starts[0]
    for name in SUMMED:
        merged[name] = str(sum(int(props.get(name, "0") or 0) for props in all_props))
    return merged  # out of scope: what every shard named, the same rules (_check_one_selection)
