"""A seed draws the same examples whatever else the process imported: a module of the user's
own (outside the installed packages) full of constants changes nothing once the suite has set
the seed, as an editable checkout and the installed wheel must send the same bodies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# A process that may import a local module of constants, may let the suite set the seed (else
# it forces the seed as Hypothesis' own attribute alone would), then prints 300 drawn examples.
DRAWS = """
import sys
import hypothesis.core
from hypothesis import given, settings, strategies as st
from conformance.plugin import seeded_draws
if sys.argv[1] == "import":
    import house_constants
if sys.argv[2] == "suite":
    seeded_draws.draw_from(7)
else:
    hypothesis.core.global_force_seed = 7
drawn = []
@settings(max_examples=300, database=None, derandomize=False)
@given(st.text(max_size=30), st.integers())
def record(text, number):
    drawn.append((text, number))
record()
print(drawn)
"""

HOUSE_CONSTANTS = "\n".join(
    f"NAME_{index} = {f'house-literal-{index}'!r}\nSIZE_{index} = {7919 * index + 13}"
    for index in range(200)
)


def _draws(folder: Path, imports: str, seeding: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", DRAWS, imports, seeding],
        cwd=folder,
        env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin", "HOME": str(folder)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def test_a_local_module_s_constants_do_not_change_what_a_seed_draws(tmp_path: Path) -> None:
    (tmp_path / "house_constants.py").write_text(HOUSE_CONSTANTS)
    with_module = _draws(tmp_path, "import", "suite")
    assert "house-literal" not in with_module
    assert with_module == _draws(tmp_path, "none", "suite")


def test_without_the_suite_s_seeding_the_same_module_changes_the_draws(tmp_path: Path) -> None:
    """The comparison above can tell: Hypothesis alone draws the module's literals."""
    (tmp_path / "house_constants.py").write_text(HOUSE_CONSTANTS)
    with_module = _draws(tmp_path, "import", "hypothesis")
    assert "house-literal" in with_module
    assert with_module != _draws(tmp_path, "none", "hypothesis")
