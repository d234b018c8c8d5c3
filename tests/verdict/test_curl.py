"""The curl reproduction of a failing exchange: it sends what the suite sent, and hides the keys."""

from __future__ import annotations

import json
import shlex

import requests

from conformance.contract.facts import KEY_HEADER, MASK
from conformance.http.redaction import Redactor
from conformance.verdict.curl import MAX_BODY_CHARS, curl_command
from conformance.verdict.violations import RuleViolation

KEY = "sk-test-0123456789abcdef"
GATEWAY = "gw-secret-token-42"
URL = "http://127.0.0.1:8080/v1/audiences?page_size=2&filter%5Bchannel%5D=SMS"


def _sent(method: str, url: str, headers: dict[str, str], body: bytes | None) -> requests.Response:
    """A response as the request path returns it: the prepared request it answered on it."""
    prepared = requests.Request(method, url, headers=headers, data=body).prepare()
    prepared.headers.update(
        {"User-Agent": "python-requests/2", "Accept-Encoding": "gzip, deflate", "Accept": "*/*"}
    )
    response = requests.Response()
    response.status_code = 400
    response.headers["Content-Type"] = "application/json"
    response._content = b'{"errors": [{"code": 1000}]}'
    response.request = prepared
    return response


def test_the_command_sends_what_was_sent() -> None:
    """Split as a shell would, the command holds the method, the URL, the headers the suite set
    and the body byte for byte; the HTTP library's own headers are left to curl."""
    body = json.dumps({"data": {"name": 'it\'s a "name"', "channel": "SMS"}})
    command = curl_command(
        "POST",
        URL,
        [
            ("Content-Type", "application/json"),
            (KEY_HEADER, KEY),
            ("User-Agent", "python-requests/2"),
            ("Accept-Encoding", "gzip, deflate"),
            ("Content-Length", str(len(body))),
        ],
        body.encode(),
    )
    argv = shlex.split(command)
    assert argv[:5] == ["curl", "-sS", "-i", "-X", "POST"]
    assert argv[5] == URL
    headers = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-H"]
    assert headers == ["Content-Type: application/json", f"{KEY_HEADER}: {KEY}"]
    assert argv[argv.index("--data-binary") + 1] == body


def test_a_get_has_no_method_flag_and_bytes_outside_utf8_are_escaped() -> None:
    assert shlex.split(curl_command("GET", URL)) == ["curl", "-sS", "-i", URL]
    assert shlex.split(curl_command("HEAD", URL)) == ["curl", "-sS", "-i", "-I", URL]
    command = curl_command("PATCH", URL, (), b'{"name": "\xff\x00"}')
    assert command.endswith('--data-binary $\'{"name": "\\xff\\x00"}\''), command
    too_long = curl_command("POST", URL, (), b"x" * (MAX_BODY_CHARS + 1))
    assert f"{MAX_BODY_CHARS + 1} bytes is too long" in too_long and "xxxx" not in too_long


def test_a_violation_carries_the_curl_line_and_the_redactor_masks_key_and_header() -> None:
    """The violation's text (what JUnit and the certificate show) ends with the curl command; the
    run's redactor masks the key and the user's header there as everywhere."""
    response = _sent(
        "POST",
        URL,
        {"Content-Type": "application/json", KEY_HEADER: KEY, "X-Gateway-Token": GATEWAY},
        b'{"data": {}}',
    )
    violation = RuleViolation(
        "VAL-1303", expected="code 1303", received="codes [1000]", response=response
    )
    curl_lines = [line for line in str(violation).splitlines() if line.startswith("  curl:")]
    assert len(curl_lines) == 1 and "-X POST" in curl_lines[0], str(violation)
    assert "X-Gateway-Token" in curl_lines[0] and "User-Agent" not in curl_lines[0]
    masked = Redactor([KEY], secret_headers=["X-Gateway-Token"])(str(violation))
    assert KEY not in masked and GATEWAY not in masked
    argv = shlex.split(masked.splitlines()[-1].removeprefix("  curl:"))
    headers = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-H"]
    assert f"{KEY_HEADER}: {MASK}" in headers and f"X-Gateway-Token: {MASK}" in headers
    assert argv[argv.index("--data-binary") + 1] == '{"data": {}}'
