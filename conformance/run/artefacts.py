"""The files a run leaves: JUnit and the certificate beside it, consistent whatever the end.

A run that stops early (a signal, its budget, a target that cannot be reached) still leaves
both files, and they say why there is no verdict. Files of an earlier run at the same place
are removed when a run starts, so a stale green certificate can never sit beside a new JUnit
file, even when the new run is killed outright. A shard's files carry the shard in their names
(``junit-shard-2-of-3.xml``, ``certificate-shard-2-of-3.html``), so the N jobs of a CI matrix
can write into one folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from junitparser import Error, JUnitXml, TestCase, TestSuite

from conformance.report.file_names import certificate_names
from conformance.run.options import DEFAULT_JUNIT
from conformance.verdict.exits import RunEnd
from conformance.verdict.shards import Shard

RUN_TESTCASE_CLASS = "audience-conformance"

CAUSES = {
    RunEnd.INTERRUPTED: "the run was interrupted (Ctrl-C, SIGTERM or SIGHUP) before every test had run",
    RunEnd.BUDGET_SPENT: "the run's time budget (--max-duration) ran out before every test had run",
    RunEnd.STOPPED_EARLY: "pytest stopped before every selected test had run (-x, --maxfail, or a plugin's exit); a verdict needs them all",
    RunEnd.UNREACHABLE: "the target could not be reached, or did not answer as an HTTP server",
    RunEnd.KEY_REFUSED: "the target refused the API key",
    RunEnd.RATE_LIMITED: "rate limited: the target kept answering 429 until the retries or the time budget ran out (set a lower --rate-limit)",
    RunEnd.MISCONFIGURED: "the target cannot be certified as given: the base URL does not serve /v1/audiences, or the two keys belong to one account",
    RunEnd.SUITE_ERROR: "the suite itself failed (an internal error, a crash, or a write it refused to send), so the run did not complete; the target is not to blame",
}


def junit_of_shard(junit_path: Path, shard: Shard | None) -> Path:
    """Where a run's JUnit goes: the default file takes a shard's name
    (``reports/junit-shard-2-of-3.xml``); a file the user named is used as given."""
    default = Path(DEFAULT_JUNIT)
    if shard is None or Path(junit_path) != default:
        return Path(junit_path)
    return default.with_name(f"{default.stem}{shard.suffix}{default.suffix}")


def remove_stale(junit_path: Path, shard: Shard | None = None) -> None:
    """Remove a previous run's JUnit file and certificate at this place (a shard's own only)."""
    names = certificate_names(shard)
    for path in (junit_path, *(junit_path.parent / name for name in names)):
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass  # not ours to fix here: writing the new file will report the problem


def record_run_end(junit_path: Path, run_end: RunEnd, detail: str) -> None:
    """When no test of the run reached the JUnit file, add one error testcase that says why."""
    if not junit_path.is_file() or run_end == RunEnd.COMPLETED:
        return
    xml = JUnitXml.fromfile(str(junit_path))
    # junitparser annotates fromfile as JUnitXml, but a file whose root is <testsuite> reads as one
    suites = list(xml) if xml._tag == "testsuites" else [cast(TestSuite, xml)]
    if any(True for suite in suites for _ in suite):
        return
    case = TestCase(name=run_end.value, classname=RUN_TESTCASE_CLASS)
    error = Error(message=f"no verdict: {CAUSES.get(run_end, run_end.value)}")
    error.text = detail or CAUSES.get(run_end, run_end.value)
    case.result = [error]
    suite = suites[0] if suites else TestSuite("audience-conformance")
    suite.add_testcase(case)
    suite.update_statistics()
    xml.write(str(junit_path))
