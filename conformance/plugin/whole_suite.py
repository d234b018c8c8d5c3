"""Every test of the suite, as a full collection builds it, whatever the user collected.

A narrower test path (``pytest --pyargs conformance.suite.test_filters``, a node id) collects
part of the suite without deselecting anything, so pytest never says what it left out. The
plugin builds the missing part here, from the suite's own modules, with pytest's collectors:
the same tests, parameters included, that a full run collects. They are never run; their rules
say what the run did not check.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

import conformance

SUITE_DIR = Path(conformance.__file__).parent / "suite"
WHOLE_KEY = pytest.StashKey[dict[str, list[str]]]()


def key_of(item: pytest.Item) -> str:
    """A test's name that does not depend on how the run was started (its rootdir, ``--pyargs``)."""
    return f"{Path(item.path).resolve()}::{item.nodeid.partition('::')[2]}"


def suite_modules() -> list[Path]:
    return sorted(SUITE_DIR.glob("test_*.py"))


def whole_suite(
    session: pytest.Session, rules_of: Callable[[pytest.Item], list[str]]
) -> dict[str, list[str]]:
    """Every test of the suite's modules (its key) and the rules it declares; built once a run."""
    cached = session.config.stash.get(WHOLE_KEY, None)
    if cached is None:
        cached = {
            key_of(item): rules_of(item)
            for path in suite_modules()
            for item in _items(pytest.Module.from_parent(session, path=path))
        }
        session.config.stash[WHOLE_KEY] = cached
    return cached


def uncollected(
    session: pytest.Session,
    collected: Iterable[pytest.Item],
    rules_of: Callable[[pytest.Item], list[str]],
) -> list[list[str]]:
    """The rules of each suite test that is not among ``collected`` (the tests the run keeps, or
    every test pytest collected): nothing when the run collected no test of the suite."""
    if asked_for_whole_suite(session.config):
        return []  # what the run leaves out, it deselected (pytest reports that)
    kept = {key_of(item) for item in collected}
    if not any(Path(key.partition("::")[0]).parent == SUITE_DIR.resolve() for key in kept):
        return []  # not a run of this suite (the plugin is inert elsewhere)
    return [rules for key, rules in whole_suite(session, rules_of).items() if key not in kept]


def asked_for_whole_suite(config: pytest.Config) -> bool:
    """The run was started on the suite's folder itself (``--pyargs conformance.suite``, as
    ``audience-conformance run`` starts it): pytest collected all of it, and building it again
    (a second collection, in every worker) would find nothing missing."""
    return bool(config.args) and all(_is_suite_dir(arg, config) for arg in config.args)


def _is_suite_dir(arg: str, config: pytest.Config) -> bool:
    if "::" in arg:
        return False
    if config.getoption("pyargs", False):
        try:
            spec = importlib.util.find_spec(arg)
        except (ImportError, ValueError):
            spec = None
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        if locations:
            return Path(locations[0]).resolve() == SUITE_DIR.resolve()
    return Path(config.invocation_params.dir, arg).resolve() == SUITE_DIR.resolve()


def _items(node: pytest.Collector) -> Iterator[pytest.Item]:
    for child in node.collect():
        if isinstance(child, pytest.Item):
            yield child
        else:
            assert isinstance(child, pytest.Collector)
            yield from _items(child)
