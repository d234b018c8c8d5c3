"""Certificates and living documentation, both generated, never written by hand.

- :func:`write_certificate` turns a run's JUnit file into ``certificate.html`` (for people),
  ``certificate.md`` (for a pull-request comment) and ``certificate.json`` (for machines).
- :func:`verify_certificate` rebuilds a certificate from its JUnit file and finds what differs.
- :func:`write_docs` writes an offline site from the packaged spec, the rule catalogue and
  the suite's own tests, so the documentation cannot drift from what is checked.

Names are imported on first use: the command line builds its parser from this package and
should not pay for JUnit, YAML and HTTP libraries it may not need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from conformance.errors import ReportError

if TYPE_CHECKING:
    from conformance.report.docs import write_docs
    from conformance.report.model import Certificate, build_certificate
    from conformance.report.verify import verify_certificate
    from conformance.report.writer import write_certificate

_HOMES = {
    "Certificate": "model",
    "build_certificate": "model",
    "verify_certificate": "verify",
    "write_certificate": "writer",
    "write_docs": "docs",
}

__all__ = [
    "Certificate",
    "ReportError",
    "build_certificate",
    "verify_certificate",
    "write_certificate",
    "write_docs",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'conformance.report' has no attribute '{name}'")
    return getattr(importlib.import_module(f"conformance.report.{_HOMES[name]}"), name)
