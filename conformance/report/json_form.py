"""The certificate as data, for machines and for ``verify``.

It names the JUnit file it was built from (relative to the certificate) with that file's
SHA-256, so ``verify`` can rebuild it and prove nothing was changed since.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from conformance.report.model import Certificate, RuleRow
from conformance.report.run_properties import read_property

FORMAT = "audience-conformance-certificate"
FORMAT_VERSION = 1
BASELINE_PROPERTY = "baseline"  # what changed since a baseline, written by run --baseline


def to_json(certificate: Certificate, *, junit_path: Path, out_dir: Path) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "verdict": certificate.verdict,
        "conformant": certificate.conformant,
        "kind": certificate.kind,
        "partial": certificate.partial,
        "strict": certificate.strict,
        "level": certificate.level,
        "run": dict(certificate.run),
        "junit": Path(os.path.relpath(junit_path.resolve(), out_dir.resolve())).as_posix(),
        "junit_sha256": certificate.junit_sha256,
        "summary": certificate.counts(),
        "gaps": [row.id for row in certificate.gaps()],
        "errors": certificate.errors(),
        "rules": [_rule(row) for row in certificate.rules],
        "baseline": read_property(junit_path, BASELINE_PROPERTY),  # None: not gated on one
    }


def _rule(row: RuleRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "level": row.level,
        "statement": row.statement,
        "outcome": row.outcome,
        "failed_level": row.failed_level,
        "tests": [{"nodeid": ref.nodeid, "outcome": ref.outcome} for ref in row.tests],
        "reasons": list(row.reasons),
        "reproduction": dataclasses.asdict(row.reproduction) if row.reproduction else None,
        "rerun": row.rerun or None,
    }
