"""The run's options table: the command line, the plugin and the hand-over to pytest agree."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import pytest
from network_staging import make_ca

from conformance.cli.main import build_parser
from conformance.cli.runner import environment, handed_on, pytest_arguments, variables_set
from conformance.http.transport import ConnectionOptions
from conformance.plugin.pytest_options import add_options
from conformance.run.option_values import connection_from, settings_from, values_of
from conformance.run.options import (
    PYTEST_DEST_PREFIX,
    RUN_OPTIONS,
    Front,
    OptionValue,
    Passage,
    RunOption,
    of_front,
)

KEY = "canary-options-key-6d1e0b9f"
SECOND_KEY = "canary-options-second-3a7c"
TOKEN = "canary-options-token-8e2f"
PROXY_PASSWORD = "canary-options-proxy-5b4d"
SECRETS = (KEY, SECOND_KEY, TOKEN, PROXY_PASSWORD)


class _PluginParser:
    """pytest's parser as the plugin uses it (a group, addoption), over argparse, which pytest's
    parser hands every option to."""

    def __init__(self) -> None:
        self.argparse = argparse.ArgumentParser()
        self.helps: dict[str, str] = {}

    def getgroup(self, name: str, description: str = "") -> _PluginParser:
        return self

    def addoption(self, *names: str, **attrs: Any) -> None:
        self.argparse.add_argument(*names, **attrs)
        self.helps[names[0]] = attrs["help"]


def _plugin_parser() -> _PluginParser:
    parser = _PluginParser()
    add_options(parser)  # type: ignore[arg-type]
    return parser


def _every_option(tmp_path: Path) -> dict[str, OptionValue]:
    """A value for every option the run's settings take, secrets included."""
    ca = make_ca(tmp_path)
    return {
        "base_url": "https://staging.example.com/api",
        "api_key": KEY,
        "secondary_api_key": SECOND_KEY,
        "profile": "quick",
        "strict": True,
        "read_only": True,
        "seed": "7",
        "rule": ["page-04", "AUTH-01"],
        "timeout": "2.5",
        "max_duration": "60",
        "ca_bundle": None,
        "client_cert": ca.client_cert,
        "client_key": ca.client_key,
        "insecure": True,
        "proxy": f"http://user:{PROXY_PASSWORD}@127.0.0.1:3128",
        "trust_env": True,
        "header": [f"X-Gateway-Token: {TOKEN}", "X-Tenant: -starts-with-a-dash"],
        "rate_limit": "20/m",
        "concurrency": "6",
    }


def test_a_secret_may_only_travel_in_a_variable() -> None:
    """The table refuses a secret whose passage is a command line, and a variable-less passage."""
    with pytest.raises(ValueError, match="is a secret"):
        RunOption("token", "--token", "a token [{env}]", Passage.ARGUMENT, env="X", secret=True)
    with pytest.raises(ValueError, match="needs a variable"):
        RunOption("token", "--token", "a token", Passage.ENVIRONMENT)
    secrets = {option.name for option in RUN_OPTIONS if option.secret}
    assert secrets == {"api_key", "secondary_api_key", "proxy", "header"}


def test_the_hand_over_keeps_every_secret_off_pytests_arguments(tmp_path: Path) -> None:
    """Keys, header values and the proxy's password reach pytest in variables, never in argv."""
    settings = settings_from(_every_option(tmp_path), environ={})
    values = handed_on(settings, junit_xml=tmp_path / "junit.xml", keyword="not slow", shard="1/2")
    args = pytest_arguments(values)
    variables = environment(values)
    for secret in SECRETS:
        assert all(secret not in arg for arg in args), secret
        assert any(secret in (value or "") for value in variables.values()), secret
    assert "--audience-strict" in args and "--audience-insecure" in args
    assert args[args.index("-k") + 1] == "not slow"
    assert f"--junit-xml={tmp_path / 'junit.xml'}" in args and "--audience-shard=1/2" in args
    assert [arg for arg in args if arg.startswith("--audience-rule")] == [
        "--audience-rule=PAGE-04",
        "--audience-rule=AUTH-01",
    ]


def test_what_the_command_line_hands_on_the_plugin_reads_back_as_the_same_settings(
    tmp_path: Path,
) -> None:
    """Through the plugin's own parser and the variables, the settings come back unchanged."""
    settings = settings_from(_every_option(tmp_path), environ={})
    values = handed_on(settings, junit_xml=tmp_path / "junit.xml", keyword=None, shard=None)
    ours = {name: value for name, value in values.items() if name not in ("junit_xml", "keyword")}
    parsed = _plugin_parser().argparse.parse_args(pytest_arguments(ours))
    read = {option.name: getattr(parsed, option.pytest_dest) for option in of_front(Front.PYTEST)}
    variables = {name: value for name, value in environment(values).items() if value is not None}
    assert settings_from(read, environ=variables) == settings
    assert settings.transport.headers == (
        ("X-Gateway-Token", TOKEN),
        ("X-Tenant", "-starts-with-a-dash"),
    )
    assert str(settings.rate_limit) == "20/m" and settings.rules == ("PAGE-04", "AUTH-01")
    assert settings.concurrency == 6 and "--audience-concurrency=6" in pytest_arguments(ours)


def test_the_hand_over_of_the_default_run_names_only_what_was_chosen(tmp_path: Path) -> None:
    """Without options the profile and the timeout are still handed on; nothing else is."""
    nothing = {option.name: option.parsed_as()["default"] for option in RUN_OPTIONS}
    settings = settings_from(nothing, environ={})
    values = handed_on(settings, junit_xml=tmp_path / "j.xml", keyword=None, shard=None)
    assert pytest_arguments(values) == [
        "--audience-profile=default",
        f"--junit-xml={tmp_path / 'j.xml'}",
        "--audience-timeout=10.0",
    ]
    assert set(environment(values).values()) == {None}
    assert values_of(settings)["header"] == () and values_of(settings)["seed"] is None


def test_both_fronts_are_made_of_the_table() -> None:
    """`run` takes every option of the command line's front, the plugin every one of its own,
    each with the table's help and variable."""
    run = build_parser().parse_args(["run"]).subcommands["run"]
    run_flags = {flag for action in run._actions for flag in action.option_strings}
    assert run_flags - {"-h", "--help"} == {
        flag
        for option in of_front(Front.CLI)
        for flag in (option.short, option.flag)
        if flag is not None
    }
    plugin = _plugin_parser().helps
    assert set(plugin) - {"--audience-front"} == {
        option.pytest_option for option in of_front(Front.PYTEST)
    }
    assert plugin["--audience-api-key"] == (
        "API key for the target [AUDIENCE_API_KEY; prefer the variable: options show in process lists]."
    )
    assert all(option.pytest_dest == PYTEST_DEST_PREFIX + option.name for option in RUN_OPTIONS)


def test_the_variables_are_set_while_pytest_runs_and_restored_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUDIENCE_PROXY", "http://before:1")
    monkeypatch.delenv("AUDIENCE_API_KEY", raising=False)
    with variables_set({"AUDIENCE_PROXY": None, "AUDIENCE_API_KEY": KEY}):
        assert "AUDIENCE_PROXY" not in os.environ and os.environ["AUDIENCE_API_KEY"] == KEY
    assert (
        os.environ["AUDIENCE_PROXY"] == "http://before:1" and "AUDIENCE_API_KEY" not in os.environ
    )


def test_cleanup_takes_the_same_connection_options() -> None:
    """`cleanup` shares the connection group of the table with `run`."""
    args = build_parser().parse_args(["cleanup", "--insecure", "-H", "X-A: 1", "--proxy", "u"])
    assert connection_from(vars(args)) == ConnectionOptions(
        insecure=True, proxy="u", headers=("X-A: 1",)
    )
