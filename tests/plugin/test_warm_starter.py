"""Workers started warm: the client xdist runs as a worker's Python hands its streams to the
starter, which forks the worker with the libraries imported; the worker runs the code xdist
sends as ``python -u -c`` would, in the client's folder and environment, and the client ends
as the worker ends. Without a starter the client starts the worker cold."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.plugin.warm_starter import SOCKET_NAME, WarmStarter, start

# What the worker says: its parent, whether schemathesis was imported before the code ran, the
# folder, a variable of the client's environment, and the line sent on its standard input.
SAYS = (
    "import os, sys; line = sys.stdin.readline().strip(); "
    "print(os.getppid(), 'schemathesis' in sys.modules, os.getcwd(), os.environ.get('WARM_PROBE'), line)"
)


@pytest.fixture
def starter(tmp_path: Path) -> Iterator[WarmStarter]:
    started = start(tmp_path)
    assert started.ready()
    yield started
    started.stop()


def _client(spec: str, code: str, folder: Path, **env: str) -> subprocess.Popen[str]:
    python = shlex.split(spec.removeprefix("popen//python="))
    return subprocess.Popen(
        [*python, "-u", "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=folder,
        env={**os.environ, **env},
    )


def test_a_worker_is_a_fork_of_the_starter_in_the_client_s_folder_and_environment(
    starter: WarmStarter, tmp_path: Path
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    client = _client(starter.spec(), SAYS, folder, WARM_PROBE="carried")
    out, err = client.communicate("the first line\n", timeout=60)
    assert client.returncode == 0, err
    parent, imported, cwd, probe, line = out.split(maxsplit=4)
    assert int(parent) == starter.process.pid
    assert (imported, cwd, probe, line.strip()) == (
        "True",
        str(folder),
        "carried",
        "the first line",
    )


def test_a_worker_finds_the_plugins_and_the_suite_s_own_modules_imported_and_frozen(
    starter: WarmStarter, tmp_path: Path
) -> None:
    """The suite's test modules read the run when they load: they are left to the worker."""
    code = (
        "import gc, sys; print("
        "'conformance.plugin.hooks' in sys.modules, "  # pytest's plugin, by its entry point
        "'_hypothesis_pytestplugin' in sys.modules, "
        "'conformance.checks.walker' in sys.modules, "  # the suite's own library
        "any(name.startswith('conformance.suite') for name in sys.modules), "
        "gc.get_freeze_count() > 0)"
    )
    client = _client(starter.spec(), code, tmp_path)
    out, err = client.communicate(timeout=60)
    assert client.returncode == 0, err
    assert out.split() == ["True", "True", "True", "False", "True"]


def test_the_starter_says_nothing_on_the_run_s_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Its standard error is the run's: what it imports must not warn there (Hypothesis warns
    of reading its storage during a pytest plugin's import)."""
    started = start(tmp_path)
    assert started.ready()
    client = _client(started.spec(), "print('done')", tmp_path)  # served once preloaded
    out, _ = client.communicate(timeout=60)
    started.stop()
    assert out.strip() == "done"
    assert capfd.readouterr().err == ""


def test_workers_forked_from_one_starter_draw_different_jitters(
    starter: WarmStarter, tmp_path: Path
) -> None:
    """Backoffs that come back apart, pauses out of step: a generator each fork inherited in one
    state would draw the same numbers in every worker."""
    code = (
        "from conformance.http import adapter; from conformance.checks import account_wide; "
        "import time; sleeps = []; time.sleep = sleeps.append; account_wide.pause(1.0); "
        "print(adapter._backoff(5), sleeps[0])"
    )
    drawn = []
    for _ in range(2):
        client = _client(starter.spec(), code, tmp_path)
        out, err = client.communicate(timeout=60)
        assert client.returncode == 0, err
        drawn.append(out.split())
    assert drawn[0][0] != drawn[1][0]
    assert drawn[0][1] != drawn[1][1]


def test_the_client_ends_as_the_worker_ends(starter: WarmStarter, tmp_path: Path) -> None:
    exits = _client(starter.spec(), "import sys; sys.exit(3)", tmp_path)
    exits.communicate(timeout=60)
    assert exits.returncode == 3
    fails = _client(starter.spec(), "raise ValueError('in the worker')", tmp_path)
    _, err = fails.communicate(timeout=60)
    assert fails.returncode == 1
    assert "ValueError: in the worker" in err
    killed = _client(
        starter.spec(), "import os, signal; os.kill(os.getpid(), signal.SIGTERM)", tmp_path
    )
    killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGTERM


def test_a_worker_takes_the_terminal_s_ctrl_c_as_a_python_process_does(
    starter: WarmStarter, tmp_path: Path
) -> None:
    """The starter ignores SIGINT (it is in the run's process group); its workers must not."""
    code = (
        "import sys, time\n"
        "try:\n    print('ready', flush=True); time.sleep(60)\n"
        "except KeyboardInterrupt:\n    print('interrupted', flush=True); sys.exit(5)\n"
    )
    client = _client(starter.spec(), code, tmp_path)
    assert client.stdout is not None and client.stdout.readline().strip() == "ready"
    worker = [int(pid) for pid in _children(starter.process.pid)]
    assert len(worker) == 1
    os.kill(worker[0], signal.SIGINT)
    out, _ = client.communicate(timeout=60)
    assert (client.returncode, out.strip()) == (5, "interrupted")


def test_without_a_starter_the_worker_starts_cold(tmp_path: Path) -> None:
    gone = WarmStarter(subprocess.Popen([sys.executable, "-c", "pass"]), tmp_path / SOCKET_NAME)
    gone.process.wait()
    client = _client(gone.spec(), SAYS, tmp_path, WARM_PROBE="carried")
    out, err = client.communicate("a line\n", timeout=60)
    assert client.returncode == 0, err
    parent, imported, _, probe, _ = out.split(maxsplit=4)
    assert int(parent) == os.getpid()  # the client became the worker, started by this process
    assert (imported, probe) == ("False", "carried")


def test_the_starter_ends_when_the_controller_says_so(tmp_path: Path) -> None:
    started = start(tmp_path)
    started.stop()
    assert started.process.returncode == 0


def _children(pid: int) -> list[str]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
        return children.read().split()


# Loaded into every process of a run: each worker writes down what its parent process is.
PARENTS = """
import os
from pathlib import Path


def pytest_configure(config):
    if hasattr(config, "workerinput"):
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as parent:
            said = parent.read().replace(b"\\0", b" ").decode()
        folder = Path(os.environ["WORKER_PARENTS"])
        (folder / str(os.getpid())).write_text(said)
"""


@pytest.mark.slow
def test_a_run_s_workers_start_warm(tmp_path: Path) -> None:
    (tmp_path / "parents_plugin.py").write_text(PARENTS)
    parents = tmp_path / "parents"
    parents.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
        "PYTEST_PLUGINS": "parents_plugin",
        "WORKER_PARENTS": str(parents),
    }
    command = [sys.executable, "-m", "conformance", "run", "--workers", "3", "--rule", "AUTH-01"]
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    said = [path.read_text() for path in parents.iterdir()]
    assert len(said) == 3
    assert all("conformance.plugin.warm_starter" in parent for parent in said), said
