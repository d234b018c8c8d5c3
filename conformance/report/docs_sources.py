"""Where the documentation sends a reader to see a test's code: the line in the suite's
repository when the package's metadata names one, else the installed file.

A repository URL is read from the metadata's ``Project-URL`` (``[project.urls]``) labelled as
the source, or from a home page on a code forge; its lines are those of the release's tag
(``v`` and the version), which is what is installed, as the forge shows a file at a tag
(GitHub's ``/blob/REF/PATH#L46`` unless the host is known to differ). Without one, the link is
the installed file's ``file://`` URL, with no fragment: a browser shows a source file from its
top, whatever the fragment.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import conformance

if TYPE_CHECKING:
    from importlib.metadata import PackageMetadata

DISTRIBUTION = "audience-conformance"
# Labels of a project URL that name the source, normalized as PEP 753 says (lower case, no
# punctuation or space), in order of preference.
SOURCE_LABELS = ("source", "sourcecode", "repository", "code")
HOME_LABELS = ("homepage", "home")
# How each forge shows a file at a tag, after the repository's URL; GitHub's form elsewhere.
FILE_AT_TAG = {"gitlab.com": "-/blob/{ref}/{path}", "codeberg.org": "src/tag/{ref}/{path}"}
GITHUB_FILE_AT_TAG = "blob/{ref}/{path}"
FORGES = ("github.com", *FILE_AT_TAG)


@dataclass(frozen=True)
class SourceLinks:
    """Makes the link to a line of the package's source.

    ``root`` holds the ``conformance`` package: the repository's root in a source tree, where
    paths are relative to; ``repository`` is None when no repository is known.
    """

    repository: str | None
    ref: str
    root: Path

    @classmethod
    def of_installation(cls) -> SourceLinks:
        """The repository the installed package's metadata names, its files where they are."""
        return cls(
            repository_url(),
            f"v{conformance.__version__}",
            Path(conformance.__file__).resolve().parent.parent,
        )

    def url(self, path: str, line: int) -> str:
        """The link to ``line`` (1-based) of ``path`` (relative to ``root``, with ``/``)."""
        if self.repository:
            form = FILE_AT_TAG.get(urlsplit(self.repository).hostname or "", GITHUB_FILE_AT_TAG)
            file = form.format(ref=quote(self.ref, safe=""), path=quote(path))
            return f"{self.repository.rstrip('/')}/{file}#L{line}"
        return (self.root / path).as_uri()

    def url_of_file(self, file: Path, line: int) -> str:
        """The link to ``line`` of ``file``: in the repository when the file is under ``root``."""
        file = file.resolve()
        root = self.root.resolve()
        return (
            self.url(file.relative_to(root).as_posix(), line)
            if file.is_relative_to(root)
            else file.as_uri()
        )


def repository_url(distribution: str = DISTRIBUTION) -> str | None:
    """The source repository's URL in the installed distribution's metadata, or None."""
    try:
        return repository_in(importlib.metadata.metadata(distribution))
    except importlib.metadata.PackageNotFoundError:
        return None


def repository_in(metadata: Message | PackageMetadata) -> str | None:
    """The URL labelled as the source, else a home page on a code forge, else None."""
    urls: dict[str, str] = {}
    for entry in metadata.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls.setdefault(re.sub(r"[^a-z0-9]", "", label.lower()), url.strip())
    for label in SOURCE_LABELS:
        if urls.get(label):
            return urls[label]
    homes = [urls.get(label) for label in HOME_LABELS] + (metadata.get_all("Home-page") or [])
    return next((url for url in homes if url and urlsplit(url).hostname in FORGES), None)
