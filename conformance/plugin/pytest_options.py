"""The plugin's options, made from the run's options table, and how they become the run's settings.

Under pytest the options carry an ``audience-`` prefix; started by ``audience-conformance run``
the same options arrive with ``--audience-front cli``, so that messages name the options the
user typed.
"""

from __future__ import annotations

import argparse

import pytest

from conformance.run.option_values import settings_from
from conformance.run.options import CLI_FLAGS, CLI_FRONT, PYTEST_FLAGS, Front, Kind, of_front
from conformance.run.settings import RunSettings

SETTINGS_KEY = pytest.StashKey[RunSettings]()  # this session's settings, in the config's stash


def add_options(parser: pytest.Parser) -> None:
    """Each option of the table that pytest takes: the same help, written as pytest writes it (a
    sentence); no choices, so that a wrong value gets the run's own one-line message."""
    group = parser.getgroup("audience-conformance", "Audience API conformance suite")
    for option in of_front(Front.PYTEST):
        flag, described = option.pytest_option, option.described()
        assert flag is not None  # every option of this front has its pytest spelling
        spec = {
            **option.parsed_as(),
            "dest": option.pytest_dest,
            "help": described[:1].upper() + described[1:] + ".",
        }
        if option.kind is not Kind.SWITCH:
            choices = "{" + ",".join(option.choices) + "}" if option.choices else None
            spec["metavar"] = option.metavar or choices or option.name.upper()
        group.addoption(flag, **spec)
    group.addoption("--audience-front", default=None, help=argparse.SUPPRESS)


def settings_of(config: pytest.Config) -> RunSettings:
    """The run's settings from the options; raises SettingsError naming options as the user spells them."""
    values = {
        option.name: config.getoption(option.pytest_dest) for option in of_front(Front.PYTEST)
    }
    cli = config.getoption("audience_front") == CLI_FRONT
    return settings_from(values, CLI_FLAGS if cli else PYTEST_FLAGS)
