"""The CI templates in examples/ci are valid for their CI's schema (check-jsonschema's built-in
schemas of GitHub workflows and GitLab CI), and install the suite from its source, never from a
package index that does not serve it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ci_machine import GITHUB, GITLAB


def _schema_check(schema: str, template: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            schema,
            str(template),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("schema", "template"),
    [("vendor.github-workflows", GITHUB), ("vendor.gitlab-ci", GITLAB)],
)
def test_each_template_is_valid_for_its_ci(schema: str, template: Path) -> None:
    done = _schema_check(schema, template)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok -- validation done" in done.stdout


def test_the_schema_check_refuses_a_broken_template(tmp_path: Path) -> None:
    """The check can fail: the workflow, written back as it is, passes; with one step that has
    neither ``run`` nor ``uses``, it is refused."""
    workflow = yaml.safe_load(GITHUB.read_text())
    workflow = {"on": workflow.pop(True), **workflow}  # YAML 1.1 reads the key `on` as true
    written = tmp_path / "workflow.yml"
    written.write_text(yaml.safe_dump(workflow))
    assert _schema_check("vendor.github-workflows", written).returncode == 0
    workflow["jobs"]["certify"]["steps"].append({"name": "nothing to do"})
    written.write_text(yaml.safe_dump(workflow))
    assert _schema_check("vendor.github-workflows", written).returncode == 1


def test_no_template_installs_the_suite_from_a_package_index() -> None:
    for template in (GITHUB, GITLAB):
        text = template.read_text()
        assert (
            "audience-conformance==" not in text and "pip install audience-conformance" not in text
        )
