"""The command that runs a failing rule's tests again, as the run ran them: one line to paste.

Built from the run's properties in its JUnit file: the target (unless it was the embedded
reference, which a rerun starts afresh), the profile, the seed, and the options that change
what is sent or judged. Keys never appear: they come from the environment, as in any run; the
certificate says which variables the rerun reads.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from conformance.report.run_properties import UNKNOWN

COMMAND = "audience-conformance run"


def rerun_command(run: Mapping[str, str], rule_id: str) -> str:
    """``audience-conformance run ... --seed N --rule RULE``, writing its reports to a folder of
    its own (``rerun-RULE/``) so that the run's certificate is not overwritten."""
    parts = [COMMAND]
    target = run.get("target", UNKNOWN)
    if run.get("embedded_reference") != "true" and target not in (UNKNOWN, ""):
        parts += ["--base-url", shlex.quote(target)]
    if run.get("profile", UNKNOWN) != UNKNOWN:
        parts += ["--profile", shlex.quote(run["profile"])]
    if run.get("seed", UNKNOWN) != UNKNOWN:
        parts += ["--seed", shlex.quote(run["seed"])]
    parts += ["--rule", shlex.quote(rule_id)]
    flags = (("strict", "true", "--strict"), ("read_only", "true", "--read-only"))
    parts += [flag for name, value, flag in flags if run.get(name) == value]
    if run.get("tls_verify") == "false":
        parts.append("--insecure")
    for name, option in (("rate_limit", "--rate-limit"), ("proxy", "--proxy")):
        if run.get(name, UNKNOWN) not in (UNKNOWN, "none", ""):
            parts += [option, shlex.quote(run[name])]
    parts += ["--junit-xml", shlex.quote(f"rerun-{rule_id}/junit.xml")]
    return " ".join(parts)


def rerun_environment(run: Mapping[str, str]) -> str:
    """What the rerun reads from the environment, as the run did: a sentence for the certificate."""
    variables = ["AUDIENCE_API_KEY"]
    if run.get("secondary_account") == "true":
        variables.append("AUDIENCE_SECONDARY_API_KEY")
    headers = run.get("extra_headers", "")
    if headers not in ("", UNKNOWN, "none"):
        variables.append(f"AUDIENCE_HEADERS (with {headers})")
    if run.get("client_certificate") == "true":
        variables += ["AUDIENCE_CLIENT_CERT", "AUDIENCE_CLIENT_KEY"]
    return "with " + ", ".join(variables) + " set as for the run"
