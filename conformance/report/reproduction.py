"""The shortest way to see a rule fail again: a failure text cut down to what a reader needs.

A JUnit failure holds pytest's whole traceback. What a certificate shows is the exception
text (the ``E`` lines): the rule, what was expected, what was received, the request sent,
the response seen and the request as a curl command (or schemathesis' own curl command).
A violation that names another for its evidence (``(see VAL-1303)``: one response broke two
rules) shows that one's exchange.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from conformance.contract.facts import KEY_HEADER, MASK

MAX_LINES = 40
MAX_CHARS = 8000  # room for a curl command with its whole body

# Defence in depth: JUnit is redacted when written, but a certificate may be rebuilt from a
# file that was not, so a key header never leaves through the certificate either.
_KEY_HEADER = re.compile(
    rf"({re.escape(KEY_HEADER)}[\"']?\s*[:=]\s*[\"']?)(?!{re.escape(MASK)}|\[Filtered\]|\*{{3}})([^\s'\"\\,}}]+)",
    re.IGNORECASE,
)
_CREDENTIALS_IN_URL = re.compile(r"(?<=://)[^/@\s:]+(?::[^/@\s]*)?@")
_EXCEPTION_PREFIX = re.compile(
    r"^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Violation|Exception|Failure|Group|Interrupted): "
)
_FIELD = re.compile(r"^\s*(expected|received|request|response|curl):\s?(.*)$")
_SEE = re.compile(r"\(see ([A-Z]+-\w+)\)")
EXCHANGE_FIELDS = ("request", "response", "curl")
_STATUS = re.compile(r"^\s*\[(\d{3})\] ([^:]*):$")  # schemathesis: '[500] Internal Server Error:'


@dataclass(frozen=True)
class Reproduction:
    """One failing test's evidence for one rule."""

    test: str
    text: str
    request: str = ""
    response: str = ""
    expected: str = ""
    received: str = ""
    curl: str = ""

    @property
    def has_exchange(self) -> bool:
        return bool(self.request and self.response)

    @property
    def shown(self) -> str:
        """The text without its curl line, which a page shows apart, ready to copy."""
        return "\n".join(
            line for line in self.text.splitlines() if not line.lstrip().startswith("curl:")
        )


def mask_keys(text: str) -> str:
    """Hide the value of any key header and any user:password in URLs."""
    return _CREDENTIALS_IN_URL.sub(f"{MASK}@", _KEY_HEADER.sub(rf"\g<1>{MASK}", text))


def essential_text(detail: str, rule_id: str = "") -> str:
    """The violation of ``rule_id`` in a pytest failure text, without traceback or exception class.

    pytest marks the exception's lines with ``E``; an exception group (Hypothesis reporting
    several failures) nests each sub-exception behind ``| ``. A RuleViolation reads
    ``[RULE] context`` followed by indented lines (expected, received, request, response).
    Without such a violation (a schemathesis failure, an error) the exception text is kept.
    """
    lines = detail.splitlines()
    raised = [line[1:] for line in lines if line.startswith("E ") or line == "E"]
    text = textwrap.dedent("\n".join(raised)) if raised else detail
    violation = _violation(text, rule_id) if rule_id else ""
    text = violation or _EXCEPTION_PREFIX.sub("", text.strip(), count=1)
    return mask_keys(_trim(text.strip()))


def _violation(text: str, rule_id: str) -> str:
    """The first ``[rule_id] ...`` message in ``text`` with its indented lines, outside any group prefix."""
    lines = text.splitlines()
    tag = re.compile(
        r"^(?P<prefix>[\s|]*?)(?:(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*: )?(?P<message>\["
        + re.escape(rule_id)
        + r"\].*)$"
    )
    for index, line in enumerate(lines):
        match = tag.match(line)
        if not match:
            continue
        prefix, found = match["prefix"], [match["message"]]
        for following in lines[index + 1 :]:
            rest = following[len(prefix) :] if following.startswith(prefix) else None
            if rest is None or not rest.startswith(" "):
                break
            found.append(rest)
        return "\n".join(found)
    return ""


def _trim(text: str) -> str:
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"... ({len(lines) - MAX_LINES} more lines in the JUnit file)"]
    text = "\n".join(lines)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS] + f"... ({len(text) - MAX_CHARS} more characters in the JUnit file)"
    return text


def reproduction_of(test: str, detail: str, rule_id: str = "") -> Reproduction:
    """Split a failure text into the fields a reader looks for first; a violation without an
    exchange that refers to another (``(see RULE)``) borrows that one's, from the same text."""
    text = essential_text(detail, rule_id)
    fields = _fields(text)
    see = _SEE.search(text.split("\n", 1)[0])
    if not (fields.get("request") and fields.get("response")) and see and see[1] != rule_id:
        other = essential_text(detail, see[1])
        borrowed = {
            name: value for name, value in _fields(other).items() if name in EXCHANGE_FIELDS
        }
        if borrowed.get("request"):
            fields.update(borrowed)
            exchange = [line for line in other.splitlines() if line.startswith(" ")]
            exchange = exchange[
                next((i for i, line in enumerate(exchange) if _is_field(line, "request")), 0) :
            ]
            text = "\n".join(
                [text, f"  (the exchange of [{see[1]}], the same response)", *exchange]
            )
    return Reproduction(test=test, text=text, **fields)


def _is_field(line: str, name: str) -> bool:
    match = _FIELD.match(line)
    return match is not None and match[1] == name


def _fields(text: str) -> dict[str, str]:
    """The labelled lines of a violation (``request:``, ``response:``, ``curl:``...) with their
    indented continuations; in a schemathesis failure, its ``[500] Reason:`` status with the
    body below it, and its ``Reproduce with: curl ...`` command."""
    fields: dict[str, str] = {}
    current = ""
    for line in text.splitlines():
        match = _FIELD.match(line)
        status = _STATUS.match(line)
        if match:
            current = match[1]
            fields.setdefault(current, match[2].strip())
        elif status and "response" not in fields:
            current, fields["response"] = "response", f"{status[1]} {status[2]}"
        elif "curl " in line and "curl" not in fields:
            # schemathesis' reproduction: the request it sent
            current, fields["curl"] = "", line[line.index("curl ") :].strip()
            fields.setdefault("request", fields["curl"])
        elif current in ("request", "response") and line.startswith("    ") and line.strip():
            fields[current] += "\n" + line.strip()
        elif line.strip():
            current = ""
    return fields


def shortest(candidates: list[Reproduction]) -> Reproduction | None:
    """The easiest failure to read among a rule's failing tests: one that shows its exchange
    (request and response) before one that does not, then the shortest."""
    return min(
        candidates,
        key=lambda item: (not item.has_exchange, len(item.text), item.test),
        default=None,
    )
