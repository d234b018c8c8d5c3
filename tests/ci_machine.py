"""What a CI job needs around it, here: the suite's repository to install from, a Python to install
it into, a recording stand-in for the ``audience-conformance`` command, and a staging on loopback.

The templates themselves are in ``examples/ci``; tests/ci_jobs.py runs their jobs with these."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from network_staging import Arrival, RecordsArrivals

from conformance.reference.app import create_app
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "examples" / "ci"
GITHUB = TEMPLATES / "github-actions.yml"
GITLAB = TEMPLATES / "gitlab-ci.yml"
RULE = "AUD-01"  # its tests include schemathesis' over every operation, and are few


# -- the suite's repository, a Python to install it into, the command's stand-in -------------


def suite_repository(folder: Path) -> Path:
    """A git repository (branch main) of this checkout's files as they are now, as a user's
    clone of the suite's repository would serve them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in (entry.decode() for entry in listed if entry):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    git = ["git", "-c", "user.name=suite", "-c", "user.email=suite@example.com"]
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "suite"]):
        subprocess.run([*git, *command], cwd=folder, check=True, capture_output=True)
    return folder


def python_for_the_job(folder: Path) -> Path:
    """A fresh venv (the job's Python) that sees this environment's packages, so that installing
    the suite from its source builds and installs the suite itself but downloads no dependency."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True)
    purelib = Path(
        subprocess.run(
            [
                folder / "bin" / "python",
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (purelib / "this-environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return folder / "bin"


def _supports(*arguments: str, says: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", *arguments, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and says in done.stdout


def shim(folder: Path, python_bin: Path) -> Path:
    """An ``audience-conformance`` first on PATH: it logs each call (one JSON list a line in
    ``calls.jsonl``) and runs the one the job installed in ``python_bin``, ``run`` narrowed to
    RULE. Where that suite has no ``diff`` or ``run --baseline``, it stands in for them: ``diff``
    reads both certificates and prints one line, ``--baseline`` is dropped after being logged."""
    has_diff = _supports("diff", says="usage")
    has_baseline = _supports("run", says="--baseline")
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "audience-conformance"
    script.write_text(
        f"""#!{python_bin / "python"}
import json, os, sys
REAL = {str(python_bin / "audience-conformance")!r}
args = sys.argv[1:]
with open({str(folder / "calls.jsonl")!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:1] == ["diff"] and not {has_diff}:
    for path in args[1:3]:
        json.load(open(path))
    print("Changes since the baseline: stand-in for audience-conformance diff")
    raise SystemExit(0)
if args[:1] == ["run"]:
    if "--baseline" in args and not {has_baseline}:
        at = args.index("--baseline")
        del args[at : at + 2]
    args = ["run", "--rule", {RULE!r}, *args[1:]]
os.execv(REAL, [REAL, *args])
"""
    )
    script.chmod(0o755)
    return folder


def calls(shim_folder: Path) -> list[list[str]]:
    log = shim_folder / "calls.jsonl"
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


@contextmanager
def http_reference(keys: tuple[str, str], folder: Path) -> Iterator[tuple[str, list[Arrival]]]:
    """The reference over plain http on loopback (a staging with no CA of its own): its URL and
    what reached it."""
    store = Store(str(folder / "audiences.sqlite3"))
    seen: list[Arrival] = []
    app = create_app(store, {keys[0]: "account-a", keys[1]: "account-b"})
    try:
        with ReferenceServer(RecordsArrivals(app, seen)) as server:
            yield server.base_url, seen
    finally:
        store.close()
