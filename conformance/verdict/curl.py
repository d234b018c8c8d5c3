"""A request as a curl command a reader can paste: the reproduction of one failing exchange.

Built from the request as it was sent (method, URL, headers, body), so what the command sends
is what the suite sent. Secrets are not this module's business: the key header, and any
header the user added, are written here as they were sent and masked by position
(``Name: value``) by the run's redactor where the text leaves the process, as every other
header dump is; the reader puts the key back in place of the mask.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

# Headers the HTTP library adds on its own; curl adds its own instead, and Content-Length it
# counts from the body. A test that sets one of these to another value keeps it.
LIBRARY_DEFAULTS = {
    "accept": "*/*",
    "accept-encoding": "gzip, deflate",
    "connection": "keep-alive",
}
DROPPED = frozenset({"content-length", "user-agent", "host"})
# A body longer than this is not written out: a command cut short would send another request.
MAX_BODY_CHARS = 4000


def curl_command(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes | str | None = None,
) -> str:
    """``curl`` sending ``method url`` with ``headers`` and ``body``, every argument shell-quoted."""
    parts = ["curl", "-sS", "-i"]
    if method.upper() == "HEAD":
        parts.append("-I")  # '-X HEAD' would wait for a body that never comes
    elif method.upper() != "GET" or body:
        parts += ["-X", method.upper()]
    parts.append(shlex.quote(url))
    for name, value in headers:
        lowered = name.lower()
        if lowered in DROPPED or LIBRARY_DEFAULTS.get(lowered) == value:
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body:
        parts += _body(body)
    return " ".join(parts)


def _body(body: bytes | str) -> list[str]:
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if len(raw) > MAX_BODY_CHARS:
        return [f"--data-binary @body.bin  # the body of {len(raw)} bytes is too long to show"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ["--data-binary", _ansi_c(raw)]
    if any(ord(char) < 0x20 and char not in "\n\t" for char in text):
        return ["--data-binary", _ansi_c(raw)]
    return ["--data-binary", shlex.quote(text)]


def _ansi_c(raw: bytes) -> str:
    """Bytes as bash's ``$'...'`` quoting: printable ASCII as itself, every other byte ``\\xNN``."""
    out = []
    for byte in raw:
        char = chr(byte)
        if char in "\\'":
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return "$'" + "".join(out) + "'"
