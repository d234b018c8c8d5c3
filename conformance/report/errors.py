"""The one error of the report commands: a file given to them cannot be used."""

from __future__ import annotations


class ReportError(Exception):
    """A JUnit file, certificate or folder cannot be read or written; the message is one line."""
