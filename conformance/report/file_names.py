"""The names of a certificate's three files; a shard's carry the shard, so that the shards of
one run can write into one folder without overwriting each other."""

from __future__ import annotations

from conformance.verdict.shards import Shard

HTML_NAME, MARKDOWN_NAME, JSON_NAME = "certificate.html", "certificate.md", "certificate.json"


def certificate_names(shard: Shard | None = None) -> tuple[str, str, str]:
    """``certificate.html`` and its kin; ``certificate-shard-2-of-3.html`` for shard 2 of 3."""
    if shard is None:
        return HTML_NAME, MARKDOWN_NAME, JSON_NAME
    stem = f"certificate{shard.suffix}"
    return f"{stem}.html", f"{stem}.md", f"{stem}.json"
