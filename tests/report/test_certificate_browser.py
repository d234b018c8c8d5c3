"""The HTML certificate of a failing run, rendered by a real browser: the verdict and the failing
rules are on screen, not merely in the markup.

Needs Debian's ``chromium`` (CI installs it); without it the test fails, saying so.
"""

from __future__ import annotations

import html
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
from junit_samples import failing_run, passing_run

from conformance.report import write_certificate

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
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: install Debian's package with 'apt-get update && apt-get install -y chromium' (CI's .ci/run installs it)."
        )
    profile = tmp_path / "chromium-profile"
    command = [
        CHROMIUM if Path(CHROMIUM).is_file() else str(shutil.which("chromium")),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    """The HTML certificate of a run where PAGE-04 (MUST) and PAGE-10 (SHOULD) failed."""
    junit = failing_run(tmp_path / "run" / "junit.xml")
    return next(path for path in write_certificate(junit) if path.suffix == ".html")


def _probed(tmp_path: Path, page: Path, probe: str, window: tuple[int, int]) -> Any:
    """What ``probe`` (a script that leaves JSON in ``<pre id="probe">``) found in ``page`` as Chromium rendered it."""
    probed = tmp_path / f"probed-{page.stem}-{window[0]}.html"
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8"
    )
    dom = _chromium(
        tmp_path, f"--window-size={window[0]},{window[1]}", "--dump-dom", probed.as_uri()
    )
    return json.loads(
        dom.split('<pre id="probe">', 1)[1]
        .split("</pre>", 1)[0]
        .replace("&quot;", '"')
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def test_verdict_and_failing_rules_are_on_screen(tmp_path: Path, certificate: Path) -> None:
    report = _probed(tmp_path, certificate, PROBE, WINDOW)

    verdict = report["verdict"]
    assert verdict["text"] == "NOT CONFORMANT" and verdict["visible"], verdict
    assert verdict["top"] < 200 and verdict["fontSize"] >= 40, verdict  # big, at the top

    failures = {failure["id"]: failure for failure in report["failures"]}
    assert list(failures) == ["failed-PAGE-04", "failed-PAGE-10"]  # the MUST failure first
    for failure in failures.values():
        assert failure["heading"]["visible"] and failure["evidence"]["visible"], failure
    assert failures["failed-PAGE-04"]["heading"]["text"].startswith("PAGE-04")
    assert (
        failures["failed-PAGE-04"]["heading"]["top"] < WINDOW[1] / 2
    )  # on the first screen, right under the verdict
    assert "expected" in failures["failed-PAGE-04"]["evidence"]["text"]
    assert [row["id"] for row in report["rows"] if row["cell"]["visible"]] == [
        "rule-PAGE-04",
        "rule-PAGE-10",
    ]


def test_the_rendered_page_reads_right(tmp_path: Path, certificate: Path) -> None:
    """The DOM after rendering (no script of the certificate's own) carries the verdict and the failures."""
    dom = _chromium(tmp_path, "--dump-dom", certificate.as_uri())
    assert "<script" not in dom.lower()
    for text in ("NOT CONFORMANT", "PAGE-04", "PAGE-10", "every audience exactly once, 5 in all"):
        assert text in dom, text


def test_a_screenshot_shows_the_red_verdict_band(tmp_path: Path, certificate: Path) -> None:
    """One screenshot, kept in the test's folder; its top is the verdict's red band, and it is not blank."""
    shot = tmp_path / "certificate.png"
    _chromium(
        tmp_path,
        f"--screenshot={shot}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        certificate.as_uri(),
    )
    width, height, pixels = _read_png(shot, rows=500)  # the verdict band and the first failing rule
    assert (width, height) == WINDOW
    assert _close(pixels[20][width // 2], FAIL_RED), pixels[20][width // 2]
    assert (
        len({pixel for row in pixels[::5] for pixel in row[::5]}) > 20
    )  # text on it, not a flat page


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
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
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
                best = min(
                    (abs(estimate - left), 0, left),
                    (abs(estimate - up), 1, up),
                    (abs(estimate - up_left), 2, up_left),
                )[2]
                line[x] = (line[x] + best) & 0xFF
        lines.append(line)
        previous = line
    pixels = [[tuple(line[x : x + channels]) for x in range(0, stride, channels)] for line in lines]
    return width, height, pixels


PHONE = (390, 844)  # an iPhone 12 to 15 in CSS pixels

# WCAG 2.1 AA as the page is rendered: every text's contrast with what is really behind it
# (backgrounds composited, opacity applied), 4.5:1, or 3:1 for large text (SC 1.4.3); header
# cells with a scope and tables with a caption (SC 1.3.1); nothing wider than the window (SC 1.4.10).
# The certificate is shown in a frame of the width under test (headless Chromium's own window is
# never narrower than 500 pixels); the frame's document is the certificate's own origin's.
WCAG_PROBE = """<script>
window.addEventListener("load", () => {
const frame = document.getElementById("page");
const doc = frame.contentDocument, win = frame.contentWindow;
const rgba = (text) => {
  const parts = text.match(/[\\d.]+/g).map(Number);
  return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
};
const over = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
const luminance = (c) => {
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
};
const chain = (element) => { const nodes = []; for (let node = element; node; node = node.parentElement) nodes.unshift(node); return nodes; };
const contrasts = [];
for (const element of doc.body.querySelectorAll("*")) {
  const own = [...element.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim());
  const box = element.getBoundingClientRect();
  if (!own || box.width === 0 || element.id === "probe") continue;
  let background = {r: 255, g: 255, b: 255, a: 1};
  let opacity = 1;
  for (const node of chain(element)) {
    const style = win.getComputedStyle(node);
    const fill = rgba(style.backgroundColor);
    if (fill.a > 0) background = over(fill, background);
    opacity *= parseFloat(style.opacity);
  }
  const style = win.getComputedStyle(element);
  const colour = rgba(style.color);
  colour.a *= opacity;
  const text = over(colour, background);
  const [light, dark] = [luminance(text), luminance(background)].sort((a, b) => b - a);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight) >= 700);
  contrasts.push({text: element.textContent.trim().slice(0, 40), ratio: (light + 0.05) / (dark + 0.05), needed: large ? 3 : 4.5});
}
const report = {
  contrasts,
  headers: [...doc.querySelectorAll("th")].map((cell) => cell.getAttribute("scope")),
  tables: [...doc.querySelectorAll("table")].map((table) => (table.caption ? table.caption.textContent.trim() : "")),
  window: win.innerWidth,
  page: doc.documentElement.scrollWidth,
  wider: [...doc.body.querySelectorAll("*")].filter((element) => element.getBoundingClientRect().right > win.innerWidth + 0.5).map((element) => element.tagName + (element.id ? "#" + element.id : "")).slice(0, 10),
};
const out = document.createElement("pre");
out.id = "probe";
out.textContent = JSON.stringify(report);
document.body.appendChild(out);
});
</script>"""


@pytest.mark.parametrize("outcome", ["failing", "passing"])
@pytest.mark.parametrize("window", [WINDOW, PHONE], ids=["desktop", "phone"])
def test_the_certificate_meets_wcag_aa_as_rendered(
    tmp_path: Path, outcome: str, window: tuple[int, int]
) -> None:
    """axe found the kicker at 4.43:1 on the red band; pa11y found header cells without scope and
    tables without captions; at 390 px the page scrolled sideways."""
    junit = (failing_run if outcome == "failing" else passing_run)(tmp_path / outcome / "junit.xml")
    page = next(path for path in write_certificate(junit) if path.suffix == ".html")
    framed = tmp_path / f"framed-{window[0]}.html"
    frame = f'<iframe id="page" style="border:0;width:{window[0]}px;height:{window[1]}px" srcdoc="{html.escape(page.read_text(encoding="utf-8"), quote=True)}"></iframe>'
    framed.write_text(
        f'<!DOCTYPE html><html><body style="margin:0">{frame}</body></html>', encoding="utf-8"
    )
    report = _probed(tmp_path, framed, WCAG_PROBE, (max(window[0], 800), window[1]))
    low = [found for found in report["contrasts"] if found["ratio"] < found["needed"]]
    assert report["contrasts"] and not low, low[:5]
    assert report["headers"] and all(scope in ("col", "row") for scope in report["headers"]), (
        report["headers"]
    )
    assert report["tables"] and all(report["tables"]), report["tables"]
    assert report["window"] == window[0]
    assert report["page"] <= report["window"] and not report["wider"], report
