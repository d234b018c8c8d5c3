"""Measure the chains the suite carries for a first run: ``python bench/measure_chains.py``.

Under ``--workers`` each run orders its tests by what the last run of the profile measured
(:mod:`conformance.plugin.chain_history`). A user's first run has no such history, so the suite
carries one per profile, made here: each profile run once against the embedded reference, with
two workers (so that shared fixtures that write are seen as such), from an empty cache, and its
history copied into ``conformance/plugin/measured/``. Run it again when the suite's tests change
(``tests/plugin/test_measured_chains.py`` says when a test is missing).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PYTHON, ROOT

from conformance.plugin.chain_history import measured_name

PROFILES = ("quick", "default", "thorough")
MEASURED = ROOT / "conformance" / "plugin" / "measured"


def measure(profile: str, seed: int) -> Path:
    """Run ``profile`` once and copy the history it kept into the package."""
    with tempfile.TemporaryDirectory(prefix="measure-chains-") as folder:
        env = {**os.environ, "XDG_CACHE_HOME": folder}
        for name in ("AUDIENCE_BASE_URL", "AUDIENCE_API_KEY", "AUDIENCE_SECONDARY_API_KEY"):
            env.pop(name, None)  # the embedded reference
        command = [PYTHON, "-m", "conformance", "run", "--profile", profile, "--seed", str(seed),
                   "--workers", "2", "--junit-xml", str(Path(folder) / "junit.xml")]  # fmt: skip
        done = subprocess.run(
            command, cwd=folder, env=env, capture_output=True, text=True, check=False
        )
        kept = Path(folder) / "audience-conformance" / f"chains-{profile}.json"
        if done.returncode != 0 or not kept.is_file():
            raise SystemExit(
                f"{profile}: exit {done.returncode}, no history kept\n{done.stdout[-2000:]}"
            )
        MEASURED.mkdir(parents=True, exist_ok=True)
        target = MEASURED / measured_name(profile)
        history = json.loads(kept.read_text(encoding="utf-8"))
        lines = [f"{json.dumps(test)}: {json.dumps(history[test])}" for test in sorted(history)]
        target.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")  # a test a line
        return target


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python bench/measure_chains.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--profiles", default=",".join(PROFILES), help="comma-separated (default: all)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for profile in args.profiles.split(","):
        written = measure(profile.strip(), args.seed)
        print(
            f"{profile}: {len(json.loads(written.read_text()))} tests -> {written.relative_to(ROOT)}"
        )


if __name__ == "__main__":
    main()
