"""A signal that comes while the run is writing to its standard error.

A handler runs between two steps of the main thread, which may be inside ``sys.stderr.write``
(pytest's progress, a log line, the handler's own earlier message). The handler must still say
what it does and do it: keep cleaning up after a first signal, exit 4 after a second.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# A process that takes the stop signals, begins finishing as a run's cleanup does, and then
# writes through a standard error whose lowest layer sends the process a signal in mid-write.
WRITER = """
import io, os, signal, sys
from conformance.run.stopping import RunStop

signals = int(sys.argv[1])
stop = RunStop()
stop.install()
stop.begin_finishing()
stop.cleanup_command = "Run: audience-conformance cleanup --run-id abc"


class SignalledMidWrite(io.RawIOBase):
    def writable(self):
        return True

    def write(self, data):
        global signals
        if signals:
            signals -= 1
            os.kill(os.getpid(), signal.SIGTERM)
        return os.write(2, bytes(data))


sys.stderr = io.TextIOWrapper(io.BufferedWriter(SignalledMidWrite()), line_buffering=True)
for line in range(3):
    print(f"a line the run writes {line}", file=sys.stderr)
print("carried on", file=sys.stdout, flush=True)
"""


@pytest.mark.parametrize(
    ("signals", "code", "said", "carried_on"),
    [
        pytest.param(1, 0, "stopping: deleting what this run created", True, id="first"),
        pytest.param(
            2, 4, "second signal: exiting at once. Run: audience-conformance cleanup", False,
            id="second",
        ),
    ],
)  # fmt: skip
def test_a_signal_in_the_middle_of_a_write_is_answered(
    signals: int, code: int, said: str, carried_on: bool
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(signals)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert f"audience-conformance: {said}" in done.stderr
    assert "Traceback" not in done.stderr
    assert ("carried on" in done.stdout) is carried_on
