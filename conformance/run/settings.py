"""Run settings: what the user asked for, from options or the environment, checked once.

The CLI and the pytest plugin accept the same options (:mod:`conformance.run.options`); both
end here, so a mistake gets the same one-line message whichever way the suite is started.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from conformance.contract.rules import get_rule
from conformance.errors import SettingsError, TransportError
from conformance.http.connection_slots import DEFAULT_CONCURRENCY, ENV_CONCURRENCY
from conformance.http.rate_limit import ENV_RATE_LIMIT, RateLimit
from conformance.http.transport import ConnectionOptions, Transport, build_transport
from conformance.run.options import (
    CLI_FLAGS,
    DEFAULT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_SECONDARY_API_KEY,
    OPTIONS_BY_NAME,
)
from conformance.run.profiles import DEFAULT_PROFILE, PROFILES, Profile

# A key shorter than this cannot be masked in reports without masking ordinary words too.
MIN_KEY_LENGTH = 8


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
    # Requests of the run in flight at once (--concurrency): each process may use them all, the
    # slots its processes share keep their sum within it (conformance.http.connection_slots).
    concurrency: int = DEFAULT_CONCURRENCY
    options: Mapping[str, str] = field(default_factory=lambda: CLI_FLAGS)  # as the user spells them

    def option(self, name: str) -> str:
        """The option for ``name`` as the user types it (``--api-key`` or ``--audience-api-key``)."""
        return self.options[name]

    def source(self, name: str) -> str:
        """Where a key comes from, for messages: '--api-key / AUDIENCE_API_KEY'."""
        return f"{self.option(name)} / {OPTIONS_BY_NAME[name].env}"

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
    concurrency: int | str | None = None,
    options: Mapping[str, str] = CLI_FLAGS,
) -> RunSettings:
    """Merge options with environment variables and validate them; raise SettingsError on a mistake.

    ``options`` says how the user spells the options, so that messages name them rightly."""
    env = os.environ if environ is None else environ
    base_url = base_url or env.get(ENV_BASE_URL) or None
    api_key = api_key or env.get(ENV_API_KEY) or None
    secondary_api_key = secondary_api_key or env.get(ENV_SECONDARY_API_KEY) or None
    if base_url is not None:
        base_url = _checked_base_url(base_url, options)
        if not api_key:
            raise SettingsError(
                f"An API key is needed for {base_url}: pass {options['api_key']} or set {ENV_API_KEY}."
            )
    elif api_key or secondary_api_key:
        raise SettingsError(
            f"API keys were given but no target: pass {options['base_url']} or set {ENV_BASE_URL} (without a target the embedded reference server is certified with keys of its own)."
        )
    if secondary_api_key is not None and secondary_api_key == api_key:
        raise SettingsError(
            f"The secondary API key must belong to another account; it equals the primary key ({options['secondary_api_key']})."
        )
    for name, key in (("api_key", api_key), ("secondary_api_key", secondary_api_key)):
        if base_url is not None and key is not None and len(key) < MIN_KEY_LENGTH:
            raise SettingsError(
                f"The key given with {options[name]} / {OPTIONS_BY_NAME[name].env} has {len(key)} characters; a key under {MIN_KEY_LENGTH} "
                "cannot be kept out of reports without masking ordinary words too: use a real key of the target."
            )
    try:
        transport = build_transport(connection or ConnectionOptions(), env)
        limit = (
            RateLimit.parse(rate_limit or env[ENV_RATE_LIMIT])
            if rate_limit or env.get(ENV_RATE_LIMIT)
            else None
        )
    except (TransportError, ValueError) as error:
        raise SettingsError(str(error)) from None
    if transport.proxy and (base_url is None or base_url.startswith("http:")):
        raise SettingsError(
            f"{options['proxy']} needs an https target: over plain http a proxy reads every request, the API key included."
        )
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
        seed=_checked_int(seed, options["seed"], minimum=0),
        rules=tuple(_checked_rule(rule_id) for rule_id in rules or ()),
        timeout=_checked_float(timeout, options["timeout"]) or DEFAULT_TIMEOUT,
        max_duration=_checked_float(max_duration, options["max_duration"]),
        transport=transport,
        rate_limit=limit,
        concurrency=_checked_int(
            env.get(ENV_CONCURRENCY) if concurrency in (None, "") else concurrency,
            options["concurrency"],
            minimum=1,
        )
        or DEFAULT_CONCURRENCY,
        options=options,
    )


def _checked_base_url(url: str, options: Mapping[str, str]) -> str:
    from conformance.contract.facts import AUDIENCES_PATH

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"Base URL '{url}' is not an http(s) URL with a host, e.g. https://staging.example.com/api."
        )
    if parts.username or parts.password:
        raise SettingsError(
            f"Base URL must not carry credentials; pass the key with {options['api_key']} or {ENV_API_KEY}."
        )
    path = parts.path.rstrip("/")
    for contract_part in (AUDIENCES_PATH, AUDIENCES_PATH.rsplit("/", 1)[0]):
        if path.lower().endswith(contract_part):
            base = url.strip().rstrip("/")[: -len(contract_part)]
            raise SettingsError(
                f"Base URL '{url}' ends in '{contract_part}', which the suite adds itself (it calls <base>{AUDIENCES_PATH}): pass {options['base_url']} {base}"
            )
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


def checked_output_file(value: str | os.PathLike[str], option: str) -> Path:
    """A file the run can write (its folder made if missing); a folder, or a place nobody can
    write to, is the user's mistake, said in one line before anything runs."""
    text = os.fspath(value)
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise SettingsError(
            f"{option} '{text}' is a folder; give a file name, e.g. {option} {path / 'junit.xml'}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(
            f"{option} '{text}': cannot make its folder '{path.parent}' ({error.strerror or error})."
        ) from None
    if not os.access(path.parent, os.W_OK | os.X_OK) or (
        path.exists() and not os.access(path, os.W_OK)
    ):
        raise SettingsError(
            f"{option} '{text}' cannot be written (no write permission); choose another place."
        )
    problem = _write_problem(path)
    if problem:
        raise SettingsError(
            f"{option} '{text}' cannot be written: {problem}; choose another place."
        )
    return path


def _write_problem(path: Path) -> str:
    """Why the file, or the certificate beside it, cannot be written; empty when both can.

    Permissions do not tell (root may write anywhere, yet not into ``/proc`` or a read-only
    mount): a file is really made in the folder and removed, and an existing file is opened
    for appending, which changes nothing in it.
    """
    try:
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=".audience-conformance-", suffix=".probe"
        ):
            pass
    except OSError as error:
        return f"no file can be made in '{path.parent}' ({error.strerror or error})"
    try:
        if path.exists():
            with path.open("ab"):
                pass
    except OSError as error:
        return f"it cannot be opened for writing ({error.strerror or error})"
    return ""
