"""Run settings: user mistakes become one clear message, good values pass through."""

from __future__ import annotations

import pytest

from conformance.settings import SettingsError, build_settings


def _settings(**overrides: object) -> object:
    values: dict[str, object] = dict(base_url=None, api_key=None, secondary_api_key=None, profile=None, strict=False, read_only=False, seed=None, rules=None, timeout=None, environ={})
    values.update(overrides)
    return build_settings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"base_url": "ftp://host"}, "not an http(s) URL"),
        ({"base_url": "http://host"}, "An API key is needed"),
        ({"base_url": "http://user:pw@host", "api_key": "k"}, "must not carry credentials"),
        ({"api_key": "k"}, "no target"),
        ({"base_url": "http://host", "api_key": "k", "secondary_api_key": "k"}, "another account"),
        ({"profile": "fast"}, "Unknown profile 'fast'"),
        ({"rules": ["PAGE-99"]}, "Unknown rule ID 'PAGE-99'"),
        ({"seed": "x"}, "--seed takes a whole number"),
        ({"timeout": "-1"}, "--timeout must be a positive"),
    ],
)
def test_mistakes_are_reported_in_one_line(overrides: dict[str, object], message: str) -> None:
    """Each user mistake raises SettingsError naming the problem."""
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        _settings(**overrides)
    assert "\n" not in str(error.value)


def test_environment_supplies_target_and_keys() -> None:
    """Variables stand in for options, and rule IDs are normalised."""
    settings = build_settings(base_url=None, api_key=None, secondary_api_key=None, profile="quick", strict=True, read_only=False, seed="7", rules=["page-04"], timeout="2.5", environ={"AUDIENCE_BASE_URL": "http://127.0.0.1:9/api/", "AUDIENCE_API_KEY": "k1"})
    assert settings.base_url == "http://127.0.0.1:9/api"
    assert settings.api_key == "k1"
    assert settings.rules == ("PAGE-04",)
    assert settings.seed == 7
    assert settings.timeout == 2.5
    assert settings.profile.name == "quick"
