"""What xdist starts as a worker's Python: it asks the warm starter for a worker and waits for it.

Run as a script (``python -S warm_client.py SOCKET PYTHON ARGS...``), it imports nothing but the
standard library, so it starts in milliseconds. It hands its standard input, output and error to
the warm starter (:mod:`conformance.plugin.warm_starter`), which forks a worker holding them, and
exits as that worker exits. When the starter cannot be reached, it becomes ``PYTHON ARGS...``
itself: a worker started cold, as without the starter.

Signals are the worker's, not this process's: a terminal's Ctrl-C reaches the worker in the
same process group, and the run signals the worker by its own pid.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
import time


def main(argv: list[str]) -> int:
    path, python, args = argv[1], argv[2], argv[3:]
    try:
        starter = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        starter.connect(path)
        request = json.dumps({"args": args, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
        socket.send_fds(starter, [struct.pack("!I", len(request)) + request], [0, 1, 2])
        answers = starter.makefile("rb")
        started = answers.readline().split()
        worker = int(started[1]) if len(started) == 2 and started[0] == b"pid" else 0
    except (OSError, ValueError):
        worker = 0
    if not worker:
        os.execv(python, [python, *args])  # a cold start
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    nothing = os.open(os.devnull, os.O_RDWR)
    os.dup2(nothing, 0)  # the worker holds the pipes: their ends close with it alone
    os.dup2(nothing, 1)
    ended = answers.readline().split()
    if len(ended) == 2 and ended[0] == b"exit":
        return _as_own(int(ended[1]))
    while _running(worker):  # the starter is gone: wait for the worker all the same
        time.sleep(0.1)
    return 1


def _as_own(status: int) -> int:
    """End as the worker ended: by its signal, or with its exit code."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    return os.waitstatus_to_exitcode(status)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv))
