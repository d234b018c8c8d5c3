"""Rule violations: failures that name the rule they break and say what was seen.

Messages follow one shape, ``expected ... / received ...``, and carry the request that
produced them as it was sent. A violation is data: it never looks up the run. The run's
secrets are masked where text leaves the process (the plugin's reports, JUnit, the
certificate), by the redactor of the run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import pytest
import requests

from conformance.contract.facts import KEY_HEADER
from conformance.verdict.curl import curl_command

BODY_PREVIEW_CHARS = 600
# The request headers an exchange shows: the body's type, and the key header, whose value the
# output's redactor masks by its position (after the name) whatever it holds.
SHOWN_HEADERS = frozenset({"content-type", KEY_HEADER.lower()})


class RuleViolation(AssertionError):
    """A response broke a contract rule; ``rule`` is the rule's ID.

    Each rule's violations are of a class of their own: Hypothesis tells failures apart by
    type and raising line, and most violations are raised from one line (``check``), so
    without this two rules' failures would count as one and shrinking could slide between them.
    """

    _by_rule: ClassVar[dict[str, type[RuleViolation]]] = {}

    # Not Self: RuleViolation(...) makes an instance of the rule's own subclass.
    def __new__(cls, rule: str, **kwargs: Any) -> RuleViolation:  # noqa: PYI034
        kind: type[RuleViolation] = cls
        if cls is RuleViolation:
            kind = RuleViolation._by_rule.setdefault(
                rule, type("RuleViolation", (RuleViolation,), {"__module__": __name__})
            )
        return super().__new__(kind, rule)

    def __init__(
        self,
        rule: str,
        *,
        expected: str,
        received: str,
        response: requests.Response | None = None,
        context: str = "",
        exchange: str = "",
        writes_can_cause: bool = True,
    ) -> None:
        self.rule = rule
        self.expected = expected
        self.received = received
        self.context = context
        # Whether another client's writes could be behind this failure (a walk's items or
        # totals changing under it); a server error or a malformed answer is the server's
        # whatever anybody wrote.
        self.writes_can_cause = writes_can_cause and not is_server_error(response)
        # ``exchange``: the request and what came back, described by a check that kept no
        # response (a walk keeps its pages, not their responses).
        self.exchange = describe_exchange(response) if response is not None else exchange
        lines = [
            f"[{rule}] {context}".rstrip(),
            f"  expected: {expected}",
            f"  received: {received}",
        ]
        if self.exchange:
            lines.append(self.exchange)
        super().__init__("\n".join(lines))


def is_server_error(response: requests.Response | None) -> bool:
    """A ``5xx``: never a conformant answer, and never caused by what other clients wrote."""
    return response is not None and response.status_code >= 500


def describe_exchange(response: requests.Response) -> str:
    """The request sent and the response received, short enough to read in a report, and the
    request again as a curl command that sends it as it was sent."""
    request = response.request
    lines = [f"  request:  {request.method} {request.url}"]
    for name, value in request.headers.items():
        if name.lower() in SHOWN_HEADERS:
            lines.append(f"            {name}: {value!s}")
    body = request.body
    if body:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        lines.append(f"            body: {_preview(text)}")
    lines.append(
        f"  response: {response.status_code} {response.headers.get('Content-Type', '(no content type)')}"
    )
    lines.append(f"            body: {_preview(response.text)}")
    headers = [
        (name, value.decode("latin-1") if isinstance(value, bytes) else value)
        for name, value in request.headers.items()
    ]
    sent = body if isinstance(body, (bytes, str)) else None  # a stream was not kept to show
    lines.append(
        "  curl:     " + curl_command(str(request.method), str(request.url), headers, sent)
    )
    return "\n".join(lines)


def _preview(text: str) -> str:
    return (
        text
        if len(text) <= BODY_PREVIEW_CHARS
        else text[:BODY_PREVIEW_CHARS] + f"... ({len(text)} characters)"
    )


def check(
    condition: bool,
    rule: str,
    *,
    expected: str,
    received: Any,
    response: requests.Response | None = None,
    context: str = "",
    exchange: str = "",
    writes_can_cause: bool = True,
) -> None:
    """Raise :class:`RuleViolation` unless ``condition`` holds."""
    if not condition:
        shown = received if isinstance(received, str) else json.dumps(received, default=str)
        raise RuleViolation(
            rule,
            expected=expected,
            received=shown,
            response=response,
            context=context,
            exchange=exchange,
            writes_can_cause=writes_can_cause,
        )


class Inconclusive(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A check could not be decided for a cause outside the target's conformance: writes of
    another client were proven (ids that appeared or went) beside every try of an exact-set
    check. It is neither a pass nor a failure of ``rule``: the rule stays not verified, with
    ``reason`` saying why.

    It is pytest's skip outcome (a ``BaseException``), so it ends a Hypothesis test at once,
    without shrinking, and is reported with its reason; the plugin tells it from a skip the
    user chose by its type.
    """

    def __init__(self, rule: str, reason: str, *, rules: Sequence[str] = ()) -> None:
        self.rule = rule
        # Every rule whose checks failed in the tries: none of them is verified either, whether
        # the test declares it or not.
        self.rules = tuple(dict.fromkeys((rule, *rules)))
        self.reason = reason
        super().__init__(f"[{rule}] inconclusive: {reason}")


class NotExercised(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The condition a rule governs never arose, so there was nothing to check: ROB-03 speaks of
    the 429 a rate-limiting server sends, and a server that never sent one gave it no occasion.
    Neither a pass nor a failure, and, unlike :class:`Inconclusive`, no reason to withhold the
    verdict: the certificate lists the rule as not exercised."""

    def __init__(self, rule: str, reason: str) -> None:
        self.rule = rule
        self.reason = reason
        super().__init__(f"[{rule}] not exercised: {reason}")


class KeptViolations(BaseExceptionGroup[BaseException]):
    """SHOULD violations a test kept for its end while its MUST checks went on: raised when the
    test has run to its end, so each kept rule fails and the test's other rules passed (a SHOULD
    failure never blocks a MUST rule)."""

    def __new__(cls, violations: Sequence[BaseException]) -> Self:
        return super().__new__(
            cls,
            f"{len(violations)} SHOULD failure(s) kept for the end of the test",
            list(violations),
        )

    def derive(self, excs: Sequence[BaseException]) -> KeptViolations:  # type: ignore[override]
        return KeptViolations(excs)
