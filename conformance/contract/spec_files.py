"""The contract's OpenAPI description as shipped in the package.

The spec ships inside the package, so an installed suite needs no source tree. Reading it needs
no target: the certificate's fingerprint, ``docs`` and ``verify`` use it without a run.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path


def spec_path() -> Path:
    """The packaged ``audiences.yaml`` (a copy of ``openapi/audiences.yaml``)."""
    return Path(str(resources.files("conformance") / "spec" / "audiences.yaml"))


def spec_sha256() -> str:
    """The fingerprint a certificate records, so ``verify`` can tell which contract it judged."""
    return hashlib.sha256(spec_path().read_bytes()).hexdigest()
