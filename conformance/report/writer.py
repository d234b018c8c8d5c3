"""Writing the three forms of a certificate beside the JUnit file they come from."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.errors import ReportError
from conformance.report.file_names import certificate_names
from conformance.report.html import render_html
from conformance.report.json_form import to_json
from conformance.report.markdown import render_markdown
from conformance.report.model import build_certificate


def write_certificate(junit_path: Path, out_dir: Path | None = None) -> list[Path]:
    """Write certificate.html, .md and .json (beside the JUnit file unless ``out_dir``); return their paths."""
    junit_path = Path(junit_path)
    folder = Path(out_dir) if out_dir is not None else junit_path.parent
    certificate = build_certificate(junit_path)
    html_name, markdown_name, json_name = certificate_names(certificate.shard)
    forms = {
        html_name: render_html(certificate),
        markdown_name: render_markdown(certificate),
        json_name: json.dumps(
            to_json(certificate, junit_path=junit_path, out_dir=folder),
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in forms.items():
            path = folder / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as error:
        raise ReportError(
            f"Cannot write the certificate to '{folder}': {error.strerror or error}."
        ) from None
    return written
