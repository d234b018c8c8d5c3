"""A pytest plugin for ``docs``: lists the suite's tests with the rules they check, and runs none.

Loaded with ``-p conformance.report.collect`` in a ``pytest --collect-only`` child process;
the rules come from the same ``rules_of`` (:mod:`conformance.verdict.rule_marker`) the plugin uses
for JUnit, so the documentation names exactly the rules a run would record, and each test's file
and line are the ones its JUnit testcase carries (:func:`junit_location`).
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import pytest

from conformance.verdict.junit_for_viewers import junit_location
from conformance.verdict.rule_marker import rules_of

OUTPUT_ENV = "CONFORMANCE_DOCS_COLLECT_TO"


def pytest_collection_finish(session: pytest.Session) -> None:
    target = os.environ.get(OUTPUT_ENV)
    if not target:
        return
    items = []
    for item in session.items:
        path, line = junit_location(item) or (item.location[0], (item.location[1] or 0) + 1)
        function = getattr(item, "function", None)
        items.append(
            {
                "nodeid": item.nodeid,
                "name": getattr(item, "originalname", None) or item.name,
                "doc": (inspect.getdoc(function) or "") if function is not None else "",
                "file": path,
                "line": line,
                "rules": [[rule_id, level.value] for rule_id, level in rules_of(item)],
            }
        )
    Path(target).write_text(json.dumps(items), encoding="utf-8")
