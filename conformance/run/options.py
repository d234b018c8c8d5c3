"""The run's options, written once: both fronts and the hand-over to pytest are made from them.

``audience-conformance run`` spells an option ``--base-url``, the pytest plugin
``--audience-base-url``; help, variable, default and kind are the same on both. The run command
checks the options once, then hands the run's values to pytest in this process, each option by
its passage, which is also how it reaches pytest-xdist's workers:

- ``ARGUMENT``: on pytest's argument list, which xdist hands to every worker to parse again;
- ``ENVIRONMENT``: in this process' environment, which every worker process inherits. A secret
  (a key, a header's value, a proxy's password) always travels so, never on a command line
  that another process could read;
- ``NONE``: the run command turns it into pytest's own options itself (``--workers``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.http.connection_slots import DEFAULT_CONCURRENCY, ENV_CONCURRENCY
from conformance.http.rate_limit import ENV_RATE_LIMIT
from conformance.http.transport import (
    ENV_CA_BUNDLE,
    ENV_CLIENT_CERT,
    ENV_CLIENT_KEY,
    ENV_HEADERS,
    ENV_PROXY,
)
from conformance.run.profiles import DEFAULT_PROFILE, PROFILES

ENV_BASE_URL = "AUDIENCE_BASE_URL"
ENV_API_KEY = "AUDIENCE_API_KEY"
ENV_SECONDARY_API_KEY = "AUDIENCE_SECONDARY_API_KEY"
DEFAULT_JUNIT = "reports/junit.xml"
DEFAULT_TIMEOUT = 10.0
PYTEST_PREFIX = "--audience-"  # under pytest every option of ours carries it
PYTEST_DEST_PREFIX = "audience_"
CLI_FRONT = "cli"  # --audience-front value the command line passes: messages then name its options
CONNECTION = "reaching a staging (TLS, proxy, gateway, throttling)"  # the CLI's group

OptionValue = str | bool | Sequence[str] | None  # what an option holds once parsed


class Front(enum.Flag):
    """Where an option can be given."""

    CLI = enum.auto()  # audience-conformance run
    PYTEST = enum.auto()  # the pytest plugin, with the audience- prefix
    BOTH = CLI | PYTEST


class Kind(enum.Enum):
    VALUE = "value"  # takes one value
    SWITCH = "switch"  # on when given
    REPEATED = "repeated"  # takes a value each time it is given


class Passage(enum.Enum):
    """How the run command hands an option on to pytest (and so to the workers)."""

    ARGUMENT = "argument"
    ENVIRONMENT = "environment"
    NONE = "none"


@dataclass(frozen=True)
class RunOption:
    name: str  # the settings' name and the CLI's dest; the plugin's dest adds audience_
    flag: str  # as the command line spells it
    help: str  # '{env}' stands for the variable
    passage: Passage
    env: str | None = None  # the variable that stands in for the option
    kind: Kind = Kind.VALUE
    metavar: str | None = None
    default: str | None = None
    choices: tuple[str, ...] = ()  # checked by the command line's parser
    short: str | None = None
    fronts: Front = Front.BOTH
    pytest_own: str | None = None  # pytest's own option that takes the value (-k, --junit-xml)
    group: str | None = None  # the command line's argument group
    secret: bool = False

    def __post_init__(self) -> None:
        if self.secret and (self.passage is not Passage.ENVIRONMENT or not self.env):
            raise ValueError(f"{self.flag} is a secret: it travels in a variable, never on argv.")
        if self.passage is Passage.ENVIRONMENT and not self.env:
            raise ValueError(f"{self.flag} travels in the environment: it needs a variable.")
        if self.passage is Passage.ARGUMENT and self.pytest_option is None:
            raise ValueError(f"{self.flag} travels as pytest's argument: pytest must know it.")

    @property
    def pytest_option(self) -> str | None:
        """How pytest spells it: an option of ours with the prefix, or pytest's own."""
        if Front.PYTEST in self.fronts:
            return PYTEST_PREFIX + self.flag.removeprefix("--")
        return self.pytest_own

    @property
    def pytest_dest(self) -> str:
        return PYTEST_DEST_PREFIX + self.name

    def described(self) -> str:
        return self.help.format(env=self.env)

    def parsed_as(self) -> dict[str, Any]:
        """What argparse needs to know of its kind, on either front."""
        if self.kind is Kind.SWITCH:
            return {"action": "store_true", "default": False}
        if self.kind is Kind.REPEATED:
            return {"action": "append", "default": []}  # argparse copies it before appending
        return {"default": self.default}


ARG, ENV, NONE = Passage.ARGUMENT, Passage.ENVIRONMENT, Passage.NONE

# In the order the command line's help shows them (its connection group last).
RUN_OPTIONS: tuple[RunOption, ...] = (
    RunOption(
        "base_url",
        "--base-url",
        "target base URL, a path prefix is kept [{env}]; without it the embedded reference server is started and certified",
        ENV,
        env=ENV_BASE_URL,
    ),
    RunOption(
        "api_key",
        "--api-key",
        "API key for the target [{env}; prefer the variable: options show in process lists]",
        ENV,
        env=ENV_API_KEY,
        secret=True,
    ),
    RunOption(
        "secondary_api_key",
        "--secondary-api-key",
        "key of a second account, enables the tenant-isolation rules [{env}]",
        ENV,
        env=ENV_SECONDARY_API_KEY,
        secret=True,
    ),
    RunOption(
        "profile",
        "--profile",
        f"how many examples and how much data (default: {DEFAULT_PROFILE})",
        ARG,
        choices=tuple(sorted(PROFILES)),
    ),
    RunOption(
        "strict", "--strict", "SHOULD rules count towards the verdict too", ARG, kind=Kind.SWITCH
    ),
    RunOption(
        "read_only",
        "--read-only",
        "send no request other than GET; tests that need writes are out of scope",
        ARG,
        kind=Kind.SWITCH,
    ),
    RunOption(
        "junit_xml",
        "--junit-xml",
        f"where to write JUnit XML (default {DEFAULT_JUNIT}); the certificate goes beside it",
        ARG,
        default=DEFAULT_JUNIT,
        fronts=Front.CLI,
        pytest_own="--junit-xml",
    ),
    RunOption(
        "seed",
        "--seed",
        "seed for reproducible data generation (printed at the end of every run)",
        ARG,
    ),
    RunOption(
        "rule",
        "--rule",
        "run only the tests of this rule (repeatable)",
        ARG,
        kind=Kind.REPEATED,
        metavar="ID",
    ),
    RunOption(
        "timeout", "--timeout", f"per-request timeout in seconds (default {DEFAULT_TIMEOUT:g})", ARG
    ),
    RunOption(
        "max_duration",
        "--max-duration",
        "time budget of the whole run in seconds (default: the profile's)",
        ARG,
    ),
    RunOption(
        "keyword",
        "-k",
        "pytest -k expression, to narrow the tests further",
        ARG,
        fronts=Front.CLI,
        pytest_own="-k",
    ),
    RunOption(
        "workers",
        "--workers",
        "run the tests in N processes (pytest-xdist; 'auto': one per core, more across a slow network); still one run, one verdict, one certificate",
        NONE,
        metavar="N|auto",
        fronts=Front.CLI,
    ),
    RunOption(
        "concurrency",
        "--concurrency",
        f"at most N requests in flight at once, across the whole run (its workers share them; default {DEFAULT_CONCURRENCY}) [{{env}}]",
        ARG,
        env=ENV_CONCURRENCY,
        metavar="N",
    ),
    RunOption(
        "shard",
        "--shard",
        "run only shard K of N (a CI matrix job): its exit code says what its own tests found, its files carry the shard (reports/junit-shard-K-of-N.xml, certificate-shard-K-of-N.html); merge the N JUnit files with 'audience-conformance report'",
        ARG,
        metavar="K/N",
    ),
    RunOption(
        "baseline",
        "--baseline",
        "certificate.json of an earlier run: exit 1 only on a regression (a rule it passed fails now), else 0; names every rule that changed [{env}]",
        NONE,  # the run command compares after the run; pytest never sees it
        env="AUDIENCE_BASELINE",
        metavar="OLD.json",
        fronts=Front.CLI,
    ),
    RunOption(
        "ca_bundle",
        "--ca-bundle",
        "CA bundle (PEM) that signs the target's certificate [{env}, else REQUESTS_CA_BUNDLE, SSL_CERT_FILE or CURL_CA_BUNDLE]",
        ARG,
        env=ENV_CA_BUNDLE,
        metavar="PATH",
        group=CONNECTION,
    ),
    RunOption(
        "client_cert",
        "--client-cert",
        "client certificate for mutual TLS (PEM; may hold the key too) [{env}]",
        ARG,
        env=ENV_CLIENT_CERT,
        metavar="PATH",
        group=CONNECTION,
    ),
    RunOption(
        "client_key",
        "--client-key",
        "unencrypted key of the client certificate [{env}]",
        ARG,
        env=ENV_CLIENT_KEY,
        metavar="PATH",
        group=CONNECTION,
    ),
    RunOption(
        "insecure",
        "--insecure",
        "do not verify the target's TLS certificate; printed as a warning and written on the certificate",
        ARG,
        kind=Kind.SWITCH,
        group=CONNECTION,
    ),
    RunOption(
        "proxy",
        "--proxy",
        "forward proxy, e.g. http://proxy.internal:3128; https targets only (a CONNECT tunnel: the proxy never sees the key) [{env}]",
        ENV,
        env=ENV_PROXY,
        metavar="URL",
        group=CONNECTION,
        secret=True,
    ),
    RunOption(
        "trust_env",
        "--trust-env",
        "use HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment (ignored unless given)",
        ARG,
        kind=Kind.SWITCH,
        group=CONNECTION,
    ),
    RunOption(
        "header",
        "--header",
        "header sent on every request, e.g. a gateway's tenant or token; repeatable; values are masked in every output [{env}, one header per line; prefer it for secrets]",
        ENV,
        env=ENV_HEADERS,
        kind=Kind.REPEATED,
        metavar="'NAME: VALUE'",
        short="-H",
        group=CONNECTION,
        secret=True,
    ),
    RunOption(
        "rate_limit",
        "--rate-limit",
        "at most N requests per second (N/s) or minute (N/m), across the whole run [{env}]",
        ARG,
        env=ENV_RATE_LIMIT,
        metavar="N/s|N/m",
        group=CONNECTION,
    ),
)
OPTIONS_BY_NAME: Mapping[str, RunOption] = {option.name: option for option in RUN_OPTIONS}

# How each option is spelled where the user types it; messages name it so.
CLI_FLAGS: Mapping[str, str] = {
    option.name: option.flag for option in RUN_OPTIONS if Front.CLI in option.fronts
}
PYTEST_FLAGS: Mapping[str, str] = {
    option.name: option.pytest_option for option in RUN_OPTIONS if option.pytest_option is not None
}


def of_front(front: Front) -> Iterable[RunOption]:
    """The options of one front, in the table's order."""
    return (option for option in RUN_OPTIONS if front in option.fronts)
