"""The time budget told plainly: a rate limit that cannot fit the profile is said before the
run; a spent budget ends saying so, how many tests ran of how many, and where the reports are."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.run.budget import budget_spent_cause, rate_limit_warning
from conformance.run.profiles import PROFILES
from conformance.run.settings import RunSettings, build_settings
from conformance.run.stopping import RunStop, RunStopped
from conformance.verdict.exits import RunEnd


def _settings(
    rate_limit: str | None,
    *,
    max_duration: str | None = None,
    rules: tuple[str, ...] = (),
    read_only: bool = False,
) -> RunSettings:
    """The embedded reference's settings, quick profile."""
    return build_settings(
        base_url=None,
        api_key=None,
        secondary_api_key=None,
        profile="quick",
        strict=False,
        read_only=read_only,
        seed=None,
        rules=rules,
        timeout=None,
        max_duration=max_duration,
        environ={},
        rate_limit=rate_limit,
    )


def _figures(line: str) -> tuple[int, float, str, int, str]:
    found = re.search(
        r"about (\d+) requests; at --rate-limit (\S+) they take at least \d+ s, more than the"
        r" --max-duration budget of ([\d.]+) s.* Raise --max-duration to (\d+) or --rate-limit to (\S+)\.$",
        line,
    )
    assert found is not None, line
    return (int(found[1]), float(found[3]), found[2], int(found[4]), found[5])


def test_every_profile_carries_its_measured_request_count() -> None:
    assert all(profile.expected_requests > 0 for profile in PROFILES.values())
    counts = [PROFILES[name].expected_requests for name in ("quick", "default", "thorough")]
    assert counts == sorted(counts)


def test_a_rate_limit_too_slow_for_the_budget_is_one_line_with_the_figures() -> None:
    line = rate_limit_warning(_settings("5/s"))
    assert "\n" not in line and line.startswith("audience-conformance: warning:")
    requests, budget, rate, advised_budget, advised_rate = _figures(line)
    assert (requests, budget, rate) == (PROFILES["quick"].expected_requests, 300.0, "5/s")
    # What it advises fits: neither the wider budget nor the faster rate is warned about.
    assert rate_limit_warning(_settings("5/s", max_duration=str(advised_budget))) == ""
    assert rate_limit_warning(_settings(advised_rate)) == ""
    assert advised_rate.endswith("/s")


def test_a_rate_limit_that_fits_says_nothing() -> None:
    assert rate_limit_warning(_settings(None)) == ""
    assert rate_limit_warning(_settings("50/s")) == ""


def test_per_minute_limits_are_advised_per_minute_and_shards_send_their_share() -> None:
    line = rate_limit_warning(_settings("60/m"))
    assert _figures(line)[4].endswith("/m")
    whole = _figures(rate_limit_warning(_settings("2/s")))[0]
    assert _figures(rate_limit_warning(_settings("2/s"), shards=2))[0] == -(-whole // 2)


def test_a_narrowed_run_is_not_estimated() -> None:
    """The figures are a whole run's: --rule, -k and --read-only send fewer."""
    assert rate_limit_warning(_settings("1/s", rules=("TEN-01",))) == ""
    assert rate_limit_warning(_settings("1/s", read_only=True)) == ""
    assert rate_limit_warning(_settings("1/s"), narrowed=True) == ""


def test_a_spent_budget_says_how_many_tests_ran_and_what_to_change() -> None:
    cause = budget_spent_cause(_settings("5/s", max_duration="20"), done=36, total=230)
    assert cause.startswith("the run's time budget (--max-duration) ran out")
    assert "36 of 230 tests ran in its 20 s" in cause
    assert cause.endswith("raise --max-duration or --rate-limit")
    assert "--rate-limit" not in budget_spent_cause(_settings(None), done=1, total=None)


def test_a_stop_disarms_the_budget_alarm() -> None:
    """A stop already under way is not cut short by the alarm firing later (it would end the
    run as if interrupted while pytest reported the first stop)."""
    stop = RunStop()
    stop.install()
    try:
        stop.arm_budget(0.3)
        with pytest.raises(RunStopped):
            stop.budget_spent()  # the request path finds the deadline first
        time.sleep(0.6)  # no second RunStopped from the alarm
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        assert stop.reason is RunEnd.BUDGET_SPENT
    finally:
        stop.uninstall()


@pytest.mark.slow
def test_a_throttled_quick_run_is_warned_then_ends_saying_its_budget_ran_out(
    tmp_path: Path,
) -> None:
    """The issue's case, shortened: --rate-limit 5/s on the quick profile with a short budget."""
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--profile", "quick"]
        + ["--rate-limit", "5/s", "--max-duration", "30", "--junit-xml", str(junit)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    output = done.stdout
    assert done.returncode == 4, output[-3000:]
    warned = output.index("audience-conformance: warning: the quick profile sends about")
    assert "--max-duration budget of 30 s" in output[warned:].splitlines()[0]
    assert warned < output.index("collected")  # said before the run starts
    ended = re.search(
        r"audience-conformance: no verdict: the run's time budget \(--max-duration\) ran out"
        r" before every test had run: (\d+) of (\d+) tests ran in its 30 s; raise --max-duration"
        r" or --rate-limit\.",
        output,
    )
    assert ended is not None, output[-3000:]
    assert 0 < int(ended[1]) < int(ended[2])
    assert f"reports: {junit}" in output
    assert f"certificate: {tmp_path / 'certificate.html'}" in output
    assert "audience-conformance: interrupted" not in output and "Traceback" not in output
