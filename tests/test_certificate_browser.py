"""The HTML certificate of a failing run, rendered by a real browser: the verdict and the failing
rules are on screen, not merely in the markup.

Needs Debian's ``chromium`` (CI installs it); without it the test fails, saying so.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from conformance.report import write_certificate
from junit_samples import failing_run

CHROMIUM = "/usr/bin/chromium"
WINDOW = (1280, 2000)
FAIL_RED = (0xCF, 0x22, 0x2E)  # the verdict band of a run that is NOT CONFORMANT

# Injected into a copy of the certificate (the certificate itself has no script): for each
# element of interest, is it rendered, and where.
PROBE = """<script>
const seen = (element) => {
  if (!element) return null;
  const box = element.getBoundingClientRect();
  let folded = false;
  for (let node = element.parentElement; node; node = node.parentElement) {
    if (node.tagName === "DETAILS" && !node.open) folded = true;
  }
  return {
    text: element.innerText.trim(),
    visible: element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) && box.width > 0 && box.height > 0 && !folded,
    top: box.top + window.scrollY,
    fontSize: parseFloat(getComputedStyle(element).fontSize),
  };
};
const report = {
  verdict: seen(document.querySelector("#verdict h1")),
  failures: [...document.querySelectorAll("#failing article")].map((article) => ({id: article.id, heading: seen(article.querySelector("h3")), evidence: seen(article.querySelector("pre"))})),
  rows: [...document.querySelectorAll("#rules tr.failed")].map((row) => ({id: row.id, cell: seen(row.cells[0])})),
};
const out = document.createElement("pre");
out.id = "probe";
out.textContent = JSON.stringify(report);
document.body.appendChild(out);
</script>"""


def _chromium(tmp_path: Path, *args: str) -> str:
    if not Path(CHROMIUM).is_file() and shutil.which("chromium") is None:
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: install Debian's package with 'apt-get update && apt-get install -y chromium' (CI's .ci/run installs it).")
    profile = tmp_path / "chromium-profile"
    command = [
        CHROMIUM if Path(CHROMIUM).is_file() else str(shutil.which("chromium")),
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--hide-scrollbars", f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    """The HTML certificate of a run where PAGE-04 (MUST) and PAGE-10 (SHOULD) failed."""
    junit = failing_run(tmp_path / "run" / "junit.xml")
    return next(path for path in write_certificate(junit) if path.suffix == ".html")


def test_verdict_and_failing_rules_are_on_screen(tmp_path: Path, certificate: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(certificate.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _chromium(tmp_path, f"--window-size={WINDOW[0]},{WINDOW[1]}", "--dump-dom", probed.as_uri())
    report = json.loads(dom.split('<pre id="probe">', 1)[1].split("</pre>", 1)[0].replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))

    verdict = report["verdict"]
    assert verdict["text"] == "NOT CONFORMANT" and verdict["visible"], verdict
    assert verdict["top"] < 200 and verdict["fontSize"] >= 40, verdict  # big, at the top

    failures = {failure["id"]: failure for failure in report["failures"]}
    assert list(failures) == ["failed-PAGE-04", "failed-PAGE-10"]  # the MUST failure first
    for failure in failures.values():
        assert failure["heading"]["visible"] and failure["evidence"]["visible"], failure
    assert failures["failed-PAGE-04"]["heading"]["text"].startswith("PAGE-04")
    assert failures["failed-PAGE-04"]["heading"]["top"] < WINDOW[1] / 2  # on the first screen, right under the verdict
    assert "expected" in failures["failed-PAGE-04"]["evidence"]["text"]
    assert [row["id"] for row in report["rows"] if row["cell"]["visible"]] == ["rule-PAGE-04", "rule-PAGE-10"]


def test_the_rendered_page_reads_right(tmp_path: Path, certificate: Path) -> None:
    """The DOM after rendering (no script of the certificate's own) carries the verdict and the failures."""
    dom = _chromium(tmp_path, "--dump-dom", certificate.as_uri())
    assert "<script" not in dom.lower()
    for text in ("NOT CONFORMANT", "PAGE-04", "PAGE-10", "every audience exactly once, 5 in all"):
        assert text in dom, text


def test_a_screenshot_shows_the_red_verdict_band(tmp_path: Path, certificate: Path) -> None:
    """One screenshot, kept in the test's folder; its top is the verdict's red band, and it is not blank."""
    shot = tmp_path / "certificate.png"
    _chromium(tmp_path, f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}", certificate.as_uri())
    width, height, pixels = _read_png(shot, rows=500)  # the verdict band and the first failing rule
    assert (width, height) == WINDOW
    assert _close(pixels[20][width // 2], FAIL_RED), pixels[20][width // 2]
    assert len({pixel for row in pixels[::5] for pixel in row[::5]}) > 20  # text on it, not a flat page


def _close(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 8 for a, b in zip(pixel[:3], colour, strict=True))


def _read_png(path: Path, rows: int) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """The size of an 8-bit RGB or RGBA PNG without interlacing (what Chromium writes), and its first rows of pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
    channels = 4 if colour_type == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    lines: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(min(rows, height)):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, up_left = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - up_left
                best = min((abs(estimate - left), 0, left), (abs(estimate - up), 1, up), (abs(estimate - up_left), 2, up_left))[2]
                line[x] = (line[x] + best) & 0xFF
        lines.append(line)
        previous = line
    pixels = [[tuple(line[x : x + channels]) for x in range(0, stride, channels)] for line in lines]
    return width, height, pixels
