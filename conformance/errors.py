"""Every error the suite raises about itself, its settings or its files, in one place.

None of them says anything about the target's conformance: a broken rule is a
:class:`~conformance.verdict.violations.RuleViolation` (a dropped connection included), and a target
that cannot be certified as given is a :class:`~conformance.run.session.PreflightFailure`, which
carries how the run ends. This module imports nothing of the package, so any layer may raise
these::

    Exception
    ├── TargetError             the request path refused to send a request
    │   ├── OffTargetError
    │   ├── ReadOnlyViolation
    │   ├── ForeignWriteRefused
    │   ├── RunDeadlineExceeded
    │   │   └── RateLimited
    │   ├── ClearTextProxyRefused
    │   └── ResponseTooLarge
    ├── KeyRefusedByTarget      cleanup cannot list an account with its key
    ├── ReportError             a file of the report commands cannot be used
    └── UsageError              a mistake in the command line
    ValueError
    ├── SettingsError           a mistake in the run's settings
    ├── TransportError          a mistake in the connection settings
    └── UnknownRuleError        a rule ID that is not in the catalogue
"""

from __future__ import annotations


class TargetError(Exception):
    """Base of the errors the request path raises instead of sending a request."""


class OffTargetError(TargetError):
    """Raised when a request (a link, a redirect) would leave the target's scheme, host and port."""


class ReadOnlyViolation(TargetError):
    """Raised when a request other than GET is attempted in read-only mode."""


class ForeignWriteRefused(TargetError):
    """Raised when a request could change an audience this run did not create (see
    :mod:`conformance.http.write_guard`): the suite's own error, never the target's."""


class RunDeadlineExceeded(TargetError):
    """Raised when the run's overall time budget is spent; no further request is sent."""


class RateLimited(RunDeadlineExceeded):
    """Raised when the target keeps answering 429 past the retries or the run's time budget:
    a throttled run says nothing about conformance, so it ends without a verdict."""


class ClearTextProxyRefused(TargetError):
    """Raised when a proxy would carry a plain-http request, and with it the key, in clear."""


class ResponseTooLarge(TargetError):
    """Raised when a response body exceeds what any answer of this API could need."""


class KeyRefusedByTarget(Exception):
    """The target answered 401 to the listing: nothing can be cleaned with this key."""


class ReportError(Exception):
    """A JUnit file, certificate or folder cannot be read or written; the message is one line."""


class UsageError(Exception):
    """A mistake in the command line; shown as one line."""


class SettingsError(ValueError):
    """A user mistake in the run's settings; its message is shown as is, on one line."""


class TransportError(ValueError):
    """A mistake in the connection settings; its message is shown as is, on one line."""


class UnknownRuleError(ValueError):
    """Raised when a rule ID is not in the catalogue."""
