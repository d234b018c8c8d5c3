"""The plugin's options, and how they become the run's settings.

Under pytest the options carry an ``audience-`` prefix; started by ``audience-conformance run``
the same options arrive with ``--audience-front cli``, so that messages name the options the
user typed.
"""

from __future__ import annotations

import argparse

import pytest

from conformance.ratelimit import ENV_RATE_LIMIT
from conformance.settings import (
    CLI_OPTIONS,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_SECONDARY_API_KEY,
    PYTEST_OPTIONS,
    RunSettings,
    build_settings,
)
from conformance.transport import (
    ENV_CA_BUNDLE,
    ENV_CLIENT_CERT,
    ENV_CLIENT_KEY,
    ENV_HEADERS,
    ENV_PROXY,
    ConnectionOptions,
)

SETTINGS_KEY = pytest.StashKey[RunSettings]()  # this session's settings, in the config's stash

CLI_FRONT = "cli"  # --audience-front value the command line passes: messages then name its options


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("audience-conformance", "Audience API conformance suite")
    group.addoption(
        "--audience-base-url",
        default=None,
        help=f"Target base URL (or {ENV_BASE_URL}); default: the embedded reference server.",
    )
    group.addoption(
        "--audience-api-key",
        default=None,
        help=f"API key of the target (prefer {ENV_API_KEY}: options show in process lists).",
    )
    group.addoption(
        "--audience-secondary-api-key",
        default=None,
        help=f"Key of another account, for tenant isolation (or {ENV_SECONDARY_API_KEY}).",
    )
    group.addoption("--audience-profile", default=None, help="quick, default or thorough.")
    group.addoption(
        "--audience-strict",
        action="store_true",
        default=False,
        help="SHOULD rules count towards the verdict too.",
    )
    group.addoption(
        "--audience-read-only",
        action="store_true",
        default=False,
        help="Send no request other than GET.",
    )
    group.addoption("--audience-seed", default=None, help="Seed for reproducible data generation.")
    group.addoption(
        "--audience-rule",
        action="append",
        default=[],
        help="Run only the tests of this rule ID (repeatable).",
    )
    group.addoption(
        "--audience-timeout", default=None, help="Per-request timeout in seconds (default 10)."
    )
    group.addoption(
        "--audience-max-duration",
        default=None,
        help="Overall time budget of the run in seconds (default: the profile's).",
    )
    group.addoption(
        "--audience-ca-bundle",
        default=None,
        help=f"CA bundle that signs the target's certificate (or {ENV_CA_BUNDLE}, REQUESTS_CA_BUNDLE, SSL_CERT_FILE).",
    )
    group.addoption(
        "--audience-client-cert",
        default=None,
        help=f"Client certificate for mutual TLS (or {ENV_CLIENT_CERT}).",
    )
    group.addoption(
        "--audience-client-key",
        default=None,
        help=f"Key of the client certificate (or {ENV_CLIENT_KEY}).",
    )
    group.addoption(
        "--audience-insecure",
        action="store_true",
        default=False,
        help="Do not verify the target's certificate; written on the certificate.",
    )
    group.addoption(
        "--audience-proxy",
        default=None,
        help=f"Forward proxy for an https target (or {ENV_PROXY}).",
    )
    group.addoption(
        "--audience-trust-env",
        action="store_true",
        default=False,
        help="Use HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment.",
    )
    group.addoption(
        "--audience-header",
        action="append",
        default=[],
        help=f"'Name: value' sent on every request (repeatable; prefer {ENV_HEADERS}, one per line: values are secrets).",
    )
    group.addoption(
        "--audience-rate-limit",
        default=None,
        help=f"At most N requests per second or minute: N/s or N/m (or {ENV_RATE_LIMIT}).",
    )
    group.addoption("--audience-front", default=None, help=argparse.SUPPRESS)


def settings_of(config: pytest.Config) -> RunSettings:
    """The run's settings from the options; raises SettingsError naming options as the user spells them."""
    return build_settings(
        base_url=config.getoption("audience_base_url"),
        api_key=config.getoption("audience_api_key"),
        secondary_api_key=config.getoption("audience_secondary_api_key"),
        profile=config.getoption("audience_profile"),
        strict=config.getoption("audience_strict"),
        read_only=config.getoption("audience_read_only"),
        seed=config.getoption("audience_seed"),
        rules=config.getoption("audience_rule"),
        timeout=config.getoption("audience_timeout"),
        max_duration=config.getoption("audience_max_duration"),
        connection=ConnectionOptions(
            ca_bundle=config.getoption("audience_ca_bundle"),
            client_cert=config.getoption("audience_client_cert"),
            client_key=config.getoption("audience_client_key"),
            insecure=config.getoption("audience_insecure"),
            proxy=config.getoption("audience_proxy"),
            trust_env=config.getoption("audience_trust_env"),
            headers=tuple(config.getoption("audience_header")),
        ),
        rate_limit=config.getoption("audience_rate_limit"),
        options=CLI_OPTIONS if config.getoption("audience_front") == CLI_FRONT else PYTEST_OPTIONS,
    )
