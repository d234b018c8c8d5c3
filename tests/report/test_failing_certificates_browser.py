"""The certificates of two faulty servers, as a reader sees them in Chromium and acts on them.

A pagination mutant (an item skipped at every page boundary) and an error-code mutant (every
validation error answers the generic code 1000) are certified by a whole quick run each. In the
rendered page: the headline's counts are the counts table's (a failure counted at the level it
failed), every failing rule's card shows an exchange (request and response), its rerun command
and its curl command; a screenshot of each is kept in the test's folder. The rerun command of
the mutant's own rule, pasted into a shell against the same server, fails that rule again.

Needs Debian's ``chromium`` (CI installs it); without it the test fails, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mutation import catalogue
from mutation.catalogue import MUTANTS
from mutation.harness import Served, run_suite, serve

from conformance.verdict.junit_records import read_records

catalogue.load_all()
CHROMIUM = "/usr/bin/chromium"
WINDOW = (1280, 2400)
RERUN_TIMEOUT = 600

# Injected into a copy of the certificate (which has no script of its own): what is on screen.
PROBE = """<script>
const shown = (element) => {
  if (!element) return null;
  const box = element.getBoundingClientRect();
  return {text: element.innerText.trim(), visible: element.checkVisibility() && box.width > 0 && box.height > 0};
};
const report = {
  decided: shown(document.querySelector("#verdict h1 + p")),
  failingHeading: shown(document.querySelector("#failing h2")),
  counts: Object.fromEntries([...document.querySelectorAll("#summary tr")].slice(1).map((row) => [row.cells[0].innerText.replace(" rules", ""), [...row.cells].slice(1).map((cell) => Number(cell.innerText))])),
  cards: [...document.querySelectorAll("#failing article")].map((card) => ({
    id: card.id.replace("failed-", ""),
    heading: shown(card.querySelector("h3")),
    exchange: shown(card.querySelector("pre.reproduction")),
    rerun: shown(card.querySelector("pre.rerun")),
    curl: shown(card.querySelector("pre.curl")),
  })),
};
const out = document.createElement("pre");
out.id = "probe";
out.textContent = JSON.stringify(report);
document.body.appendChild(out);
</script>"""


def _chromium(tmp_path: Path, *args: str) -> str:
    binary = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if binary is None:
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: install Debian's package with 'apt-get update && apt-get install -y chromium'."
        )
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _as_rendered(tmp_path: Path, page: Path) -> Any:
    probed = tmp_path / f"probed-{page.name}"
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    dom = _chromium(tmp_path, "--dump-dom", probed.as_uri())
    found = dom.split('<pre id="probe">', 1)[1].split("</pre>", 1)[0]
    for entity, char in (("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")):
        found = found.replace(entity, char)
    return json.loads(found)


def _paste(command: str, served: Served, folder: Path) -> subprocess.CompletedProcess[str]:
    """The command as a user pastes it into a shell, keys in the environment, the suite on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AUDIENCE_API_KEY": served.api_key,
        "AUDIENCE_SECONDARY_API_KEY": served.secondary_api_key,
    }
    return subprocess.run(
        ["bash", "-c", command],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=RERUN_TIMEOUT,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mutant", "own_rule"),
    [("skips-an-item-at-each-boundary", "PAGE-04"), ("generic-validation-code", "VAL-00")],
)
def test_a_failing_certificate_gives_counts_exchanges_and_reruns_that_fail_again(
    tmp_path: Path, mutant: str, own_rule: str
) -> None:
    with serve(MUTANTS[mutant]) as served:
        (tmp_path / "run").mkdir()
        run = run_suite(served, junit_dir=tmp_path / "run", seed=1)
        assert run.exit_code == 1, run.stdout[-3000:] + run.stderr[-3000:]
        data = json.loads((tmp_path / "run" / "certificate.json").read_text(encoding="utf-8"))
        failing = {rule["id"]: rule for rule in data["rules"] if rule["outcome"] == "failed"}
        assert own_rule in failing and not data["errors"], (sorted(failing), data["errors"])

        junit = (tmp_path / "run" / "junit.xml").read_text(encoding="utf-8")
        assert "  curl:     curl -sS -i " in junit  # the failure bodies carry the curl line too
        assert served.api_key not in junit and served.secondary_api_key not in junit

        page = tmp_path / "run" / "certificate.html"
        shot = tmp_path / f"certificate-{mutant}.png"
        _chromium(tmp_path, f"--screenshot={shot}", page.as_uri())
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
        seen = _as_rendered(tmp_path, page)

        # Counts: the headline, the failing section and the counts table say the same numbers,
        # and they are the failing rules counted at the level each failed.
        must = sum(rule["failed_level"] == "MUST" for rule in failing.values())
        should = len(failing) - must
        assert must and data["summary"]["MUST"]["failed"] == must
        assert data["summary"]["SHOULD"]["failed"] == should
        told = f"{must} MUST rule{'s' if must != 1 else ''} failed"
        if should:
            told += f", and {should} SHOULD rule{'s' if should != 1 else ''} (not counted)"
        assert seen["decided"]["visible"] and seen["decided"]["text"] == (
            f"decided on MUST rules: {told}"
        )
        by_level = ", ".join(
            f"{n} {level}" for level, n in (("MUST", must), ("SHOULD", should)) if n
        )
        assert seen["failingHeading"]["text"] == f"Failing rules ({by_level})"
        assert (seen["counts"]["MUST"][1], seen["counts"]["SHOULD"][1]) == (must, should)

        # Every failing rule's card: on screen, with an exchange, a rerun command and curl.
        cards = {card["id"]: card for card in seen["cards"]}
        assert set(cards) == set(failing)
        for rule_id, card in cards.items():
            for part in ("heading", "exchange", "rerun", "curl"):
                assert card[part] and card[part]["visible"], (rule_id, part, card)
            exchange = card["exchange"]["text"]
            assert "request:" in exchange and "response:" in exchange, (rule_id, exchange)
            assert card["rerun"]["text"].startswith("audience-conformance run --base-url ")
            assert f"--seed 1 --rule {rule_id} " in card["rerun"]["text"]
            assert card["curl"]["text"].startswith("curl ")
            assert "X-Dexatel-Key: [REDACTED]" in card["curl"]["text"]
            for key in (served.api_key, served.secondary_api_key):
                assert key not in json.dumps(card), rule_id

        # The mutant's own rule: its rerun command, pasted, fails the rule again.
        again = _paste(cards[own_rule]["rerun"]["text"], served, tmp_path / "pasted")
        records = read_records(tmp_path / "pasted" / f"rerun-{own_rule}" / "junit.xml")
        assert again.returncode == 1, again.stdout[-3000:] + again.stderr[-3000:]
        assert own_rule in {rule for record in records for rule in record.failed_rules}
        assert {rule for record in records for rule, _ in record.rules} >= {own_rule}
