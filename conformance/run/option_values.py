"""The run's settings from its options' values, and back: both fronts build the settings so, and
the command line hands them on to pytest so (:mod:`conformance.run.options` names the values)."""

from __future__ import annotations

from collections.abc import Mapping

from conformance.http.connection_slots import DEFAULT_CONCURRENCY
from conformance.http.transport import ConnectionOptions
from conformance.run.options import CLI_FLAGS, OptionValue
from conformance.run.settings import RunSettings, build_settings


def settings_from(
    values: Mapping[str, OptionValue],
    options: Mapping[str, str] = CLI_FLAGS,
    environ: Mapping[str, str] | None = None,
) -> RunSettings:
    """The settings from the options' values, named as in the run's options table."""
    return build_settings(
        base_url=_text(values["base_url"]),
        api_key=_text(values["api_key"]),
        secondary_api_key=_text(values["secondary_api_key"]),
        profile=_text(values["profile"]),
        strict=bool(values["strict"]),
        read_only=bool(values["read_only"]),
        seed=_text(values["seed"]),
        rules=_texts(values["rule"]),
        timeout=_text(values["timeout"]),
        max_duration=_text(values["max_duration"]),
        environ=environ,
        connection=connection_from(values),
        rate_limit=_text(values["rate_limit"]),
        concurrency=_text(values["concurrency"]),
        options=options,
    )


def connection_from(values: Mapping[str, OptionValue]) -> ConnectionOptions:
    """The connection options from their values (``run`` and ``cleanup`` share them)."""
    return ConnectionOptions(
        ca_bundle=_text(values["ca_bundle"]),
        client_cert=_text(values["client_cert"]),
        client_key=_text(values["client_key"]),
        insecure=bool(values["insecure"]),
        proxy=_text(values["proxy"]),
        trust_env=bool(values["trust_env"]),
        headers=_texts(values["header"]),
    )


def values_of(settings: RunSettings) -> dict[str, OptionValue]:
    """The settings as options' values again, the environment merged and every value checked:
    what the command line hands on to pytest, whose plugin makes the same settings of them."""
    transport = settings.transport
    cert = transport.client_cert
    cert_path, key_path = cert if isinstance(cert, tuple) else (cert, None)
    return {
        "base_url": settings.base_url,
        "api_key": settings.api_key,
        "secondary_api_key": settings.secondary_api_key,
        "profile": settings.profile.name,
        "strict": settings.strict,
        "read_only": settings.read_only,
        "seed": None if settings.seed is None else str(settings.seed),
        "rule": settings.rules,
        "timeout": str(settings.timeout),
        "max_duration": None if settings.max_duration is None else str(settings.max_duration),
        "ca_bundle": transport.verify if isinstance(transport.verify, str) else None,
        "client_cert": cert_path,
        "client_key": key_path,
        "insecure": transport.insecure,
        "proxy": transport.proxy,
        "trust_env": transport.trust_env,
        "header": tuple(f"{name}: {value}" for name, value in transport.headers),
        "rate_limit": None if settings.rate_limit is None else str(settings.rate_limit),
        # The default is not handed on: every process reads it (or the variable) alike.
        "concurrency": None
        if settings.concurrency == DEFAULT_CONCURRENCY
        else str(settings.concurrency),
    }


def _text(value: OptionValue) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"an option's value, not {value!r}")


def _texts(value: OptionValue) -> tuple[str, ...]:
    if isinstance(value, str | bool):
        raise TypeError(f"a repeated option's values, not {value!r}")
    return tuple(value or ())
