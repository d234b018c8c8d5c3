"""Exit codes and how a run can end: one module that the CLI, the runner and the plugin share,
so the two ways of starting the suite cannot drift apart."""

from __future__ import annotations

import enum

PROG = "audience-conformance"


class Exit(enum.IntEnum):
    """Exit codes, as documented in ``--help`` and the README."""

    CONFORMANT = 0
    NOT_CONFORMANT = 1
    USAGE = 2
    UNREACHABLE = 3
    INCOMPLETE = 4
    PARTIAL = 5  # verify only: a true certificate that is conformant on part of the rules


VERIFY_EXIT_HELP = """exit codes:
  0  verified: untouched, for the installed spec, conformant on every counted rule
  1  changed since it was written, made for another spec, or not conformant
  2  usage error: no such file, not a certificate
  4  no verdict: a counted rule was not verified, or the run did not complete
  5  partial: untouched and conformant, but only "on N of 34": the run's options (--rule, -k,
     a narrower test path, --read-only, no second key) left rules out of scope
"""


EXIT_HELP = """exit codes:
  0  conformant: every MUST rule in scope passed (with --strict, every rule); "CONFORMANT on N of 34"
     when options (--rule, -k, --read-only, no second key) left rules out ('verify' then exits 5)
  1  not conformant: a MUST rule failed (with --strict, any rule)
  2  usage error: bad option, missing key for a remote target, unknown rule ID
  3  target unreachable, or it refused the key: nothing could be certified
  4  no verdict: interrupted, its --max-duration budget ran out, the target kept answering 429
     (rate limited), or the suite itself could not run; or a MUST rule could not be verified
     (blocked by another rule's failure, undecided because others wrote meanwhile)
  with --shard K/N, what the shard's own tests found: 0 none failed (the other shards' rules are
  left to the merge, 'audience-conformance report'), 1 one failed a MUST rule (with --strict, any
  rule), 4 only for the shard's own errors (an end as above, a test error that names no rule)
"""


class RunEnd(str, enum.Enum):
    """How a run ended, recorded in JUnit as the ``run_end`` property so that every artefact
    (terminal, JUnit, certificate, ``verify``) tells the same story."""

    COMPLETED = "completed"  # every selected test ran: the verdict stands on the rules
    INTERRUPTED = "interrupted"  # Ctrl-C, SIGTERM, SIGHUP
    BUDGET_SPENT = "budget_spent"  # --max-duration ran out
    STOPPED_EARLY = "stopped_early"  # pytest stopped before every test ran (-x, --maxfail)
    UNREACHABLE = "unreachable"  # the target did not answer as an HTTP server
    KEY_REFUSED = "key_refused"  # the target answered 401 to a key the user gave
    RATE_LIMITED = "rate_limited"  # the target kept answering 429 until the budget ran out
    MISCONFIGURED = "misconfigured"  # before any test: a base URL that does not serve the contract, two keys of one account
    SUITE_ERROR = "suite_error"  # the suite itself failed: an internal error, a crash, a write it refused to send


_EXIT_OF_END = {
    RunEnd.INTERRUPTED: Exit.INCOMPLETE,
    RunEnd.BUDGET_SPENT: Exit.INCOMPLETE,
    RunEnd.STOPPED_EARLY: Exit.INCOMPLETE,
    RunEnd.UNREACHABLE: Exit.UNREACHABLE,
    RunEnd.KEY_REFUSED: Exit.UNREACHABLE,
    RunEnd.RATE_LIMITED: Exit.INCOMPLETE,
    RunEnd.MISCONFIGURED: Exit.USAGE,
    RunEnd.SUITE_ERROR: Exit.INCOMPLETE,
}


def exit_code_of(end: RunEnd) -> Exit | None:
    """The exit code a run that ended this way must give, whichever way it was started; None
    for a completed run, whose code is its verdict's."""
    return _EXIT_OF_END.get(end)


def user_error_line(message: str) -> str:
    """The one line a user mistake prints, on every route."""
    return f"{PROG}: error: {message}"
