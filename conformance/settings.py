"""Run settings: what the user asked for, from options or the environment, checked once.

The CLI and the pytest plugin accept the same settings; both end here, so a mistake gets
the same one-line message whichever way the suite is started.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from conformance.profiles import DEFAULT_PROFILE, PROFILES, Profile
from conformance.ratelimit import ENV_RATE_LIMIT, RateLimit
from conformance.rules import get_rule
from conformance.transport import ConnectionOptions, Transport, TransportError, build_transport

ENV_BASE_URL = "AUDIENCE_BASE_URL"
ENV_API_KEY = "AUDIENCE_API_KEY"
ENV_SECONDARY_API_KEY = "AUDIENCE_SECONDARY_API_KEY"
DEFAULT_TIMEOUT = 10.0


class SettingsError(ValueError):
    """A user mistake in the run's settings; its message is shown as is, on one line."""


@dataclass(frozen=True)
class RunSettings:
    base_url: str | None  # None: certify the embedded reference server
    api_key: str | None
    secondary_api_key: str | None
    profile: Profile
    strict: bool = False
    read_only: bool = False
    seed: int | None = None
    rules: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    max_duration: float | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    transport: Transport = field(default_factory=Transport)
    rate_limit: RateLimit | None = None

    @property
    def embedded(self) -> bool:
        return self.base_url is None


def build_settings(
    *,
    base_url: str | None,
    api_key: str | None,
    secondary_api_key: str | None,
    profile: str | None,
    strict: bool,
    read_only: bool,
    seed: int | str | None,
    rules: Sequence[str] | None,
    timeout: float | str | None,
    max_duration: float | str | None = None,
    environ: Mapping[str, str] | None = None,
    connection: ConnectionOptions | None = None,
    rate_limit: str | None = None,
) -> RunSettings:
    """Merge options with environment variables and validate them; raise SettingsError on a mistake."""
    env = os.environ if environ is None else environ
    base_url = base_url or env.get(ENV_BASE_URL) or None
    api_key = api_key or env.get(ENV_API_KEY) or None
    secondary_api_key = secondary_api_key or env.get(ENV_SECONDARY_API_KEY) or None
    if base_url is not None:
        base_url = _checked_base_url(base_url)
        if not api_key:
            raise SettingsError(f"An API key is needed for {base_url}: pass --api-key or set {ENV_API_KEY}.")
    elif api_key or secondary_api_key:
        raise SettingsError(f"API keys were given but no target: pass --base-url or set {ENV_BASE_URL} (without a target the embedded reference server is certified with keys of its own).")
    if secondary_api_key is not None and secondary_api_key == api_key:
        raise SettingsError("The secondary API key must belong to another account; it equals the primary key.")
    try:
        transport = build_transport(connection or ConnectionOptions(), env)
        limit = RateLimit.parse(rate_limit or env[ENV_RATE_LIMIT]) if rate_limit or env.get(ENV_RATE_LIMIT) else None
    except (TransportError, ValueError) as error:
        raise SettingsError(str(error)) from None
    if transport.proxy and (base_url is None or base_url.startswith("http:")):
        raise SettingsError("--proxy needs an https target: over plain http a proxy reads every request, the API key included.")
    chosen = profile or DEFAULT_PROFILE
    if chosen not in PROFILES:
        raise SettingsError(f"Unknown profile '{chosen}'; choose one of: {', '.join(PROFILES)}.")
    return RunSettings(
        base_url=base_url,
        api_key=api_key,
        secondary_api_key=secondary_api_key,
        profile=PROFILES[chosen],
        strict=strict,
        read_only=read_only,
        seed=_checked_int(seed, "--seed", minimum=0),
        rules=tuple(_checked_rule(rule_id) for rule_id in rules or ()),
        timeout=_checked_float(timeout, "--timeout") or DEFAULT_TIMEOUT,
        max_duration=_checked_float(max_duration, "--max-duration"),
        transport=transport,
        rate_limit=limit,
    )


def _checked_base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"Base URL '{url}' is not an http(s) URL with a host, e.g. https://staging.example.com/api.")
    if parts.username or parts.password:
        raise SettingsError("Base URL must not carry credentials; pass the key with --api-key or AUDIENCE_API_KEY.")
    if parts.query or parts.fragment:
        raise SettingsError(f"Base URL '{url}' must not have a query or fragment.")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise SettingsError(f"Base URL '{url}' has an invalid port.") from None
    return url.strip().rstrip("/")


def _checked_rule(rule_id: str) -> str:
    try:
        return get_rule(rule_id).id
    except ValueError as error:
        raise SettingsError(str(error)) from None


def _checked_int(value: int | str | None, option: str, *, minimum: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{option} takes a whole number, not '{value}'.") from None
    if number < minimum:
        raise SettingsError(f"{option} must be at least {minimum}, not {number}.")
    return number


def _checked_float(value: float | str | None, option: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{option} takes a number of seconds, not '{value}'.") from None
    if not number > 0 or number == float("inf"):
        raise SettingsError(f"{option} must be a positive number of seconds, not {value}.")
    return number
