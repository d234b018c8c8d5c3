"""Run settings: user mistakes become one clear message, good values pass through."""

from __future__ import annotations

import pytest

from conformance.errors import SettingsError
from conformance.run.options import PYTEST_FLAGS
from conformance.run.settings import build_settings

KEY = "a-key-of-16-chars"


def _settings(**overrides: object) -> object:
    values: dict[str, object] = {
        "base_url": None,
        "api_key": None,
        "secondary_api_key": None,
        "profile": None,
        "strict": False,
        "read_only": False,
        "seed": None,
        "rules": None,
        "timeout": None,
        "environ": {},
    }
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
        (
            {"base_url": "http://host/v1", "api_key": KEY},
            "ends in '/v1', which the suite adds itself (it calls <base>/v1/audiences): pass --base-url http://host",
        ),
        (
            {"base_url": "http://host/api/v1/audiences/", "api_key": KEY},
            "ends in '/v1/audiences', which the suite adds itself (it calls <base>/v1/audiences): pass --base-url http://host/api",
        ),
        (
            {"base_url": "http://host", "api_key": "x"},
            "--api-key / AUDIENCE_API_KEY has 1 characters; a key under 8",
        ),
        (
            {"base_url": "http://host", "api_key": KEY, "secondary_api_key": "short"},
            "--secondary-api-key / AUDIENCE_SECONDARY_API_KEY has 5 characters",
        ),
    ],
)
def test_mistakes_are_reported_in_one_line(overrides: dict[str, object], message: str) -> None:
    """Each user mistake raises SettingsError naming the problem."""
    with pytest.raises(
        SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as error:
        _settings(**overrides)
    assert "\n" not in str(error.value)


def test_environment_supplies_target_and_keys() -> None:
    """Variables stand in for options, and rule IDs are normalised."""
    settings = build_settings(
        base_url=None,
        api_key=None,
        secondary_api_key=None,
        profile="quick",
        strict=True,
        read_only=False,
        seed="7",
        rules=["page-04"],
        timeout="2.5",
        environ={
            "AUDIENCE_BASE_URL": "http://127.0.0.1:9/api/",
            "AUDIENCE_API_KEY": "k1-long-enough",
        },
    )
    assert settings.base_url == "http://127.0.0.1:9/api"
    assert settings.api_key == "k1-long-enough"
    assert settings.rules == ("PAGE-04",)
    assert settings.seed == 7
    assert settings.timeout == 2.5
    assert settings.profile.name == "quick"


def test_a_short_key_is_fine_for_the_embedded_server_which_makes_its_own() -> None:
    """Only a key sent to a named target must be long enough to mask; without a target none is given."""
    assert _settings(profile="quick").api_key is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"base_url": "http://host"}, "pass --audience-api-key or set AUDIENCE_API_KEY"),
        ({"seed": "x"}, "--audience-seed takes a whole number"),
        ({"base_url": "http://host/v1", "api_key": KEY}, "pass --audience-base-url http://host"),
    ],
)
def test_under_plain_pytest_messages_name_the_options_as_spelled_there(
    overrides: dict[str, object], message: str
) -> None:
    """Under pytest the options carry the audience- prefix; a message naming --api-key would send the user astray."""
    with pytest.raises(SettingsError) as error:
        _settings(options=PYTEST_FLAGS, **overrides)
    assert message in str(error.value)
