"""The catalogue: every mutant names the one rule it breaks; every variant is legal.

A mutant is a function that builds the ASGI app of a faulty server from the reference's
parts (a store and the keys), with the parts of :mod:`mutation.toolkit`. It is registered with
``@mutant(RULE, "what it does")``, in the ``mutants_*`` module of its rule's family.
A legal variant differs from the reference only where the contract leaves things open
(its section 9); it is registered with ``@legal_variant("what differs")``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.contract.rules import RULES_BY_ID

ASGIApp = Any
AppBuilder = Callable[[Any, Mapping[str, str]], ASGIApp]  # (store, keys) -> app


@dataclass(frozen=True)
class Server:
    name: str
    description: str
    build: AppBuilder
    rule: str | None = None  # the rule a mutant breaks; None for a legal variant
    path_prefix: str = ""  # where the app is mounted, for variants served under a prefix


MUTANTS: dict[str, Server] = {}
VARIANTS: dict[str, Server] = {}
SHOULD_ONLY: set[str] = set()  # mutants that break only the SHOULD part of their rule


def name_of(build: AppBuilder) -> str:
    """A server's name: its builder's, with dashes."""
    return build.__name__.replace("_", "-")


def mutant(rule: str, description: str) -> Callable[[AppBuilder], AppBuilder]:
    """Register a faulty server that breaks ``rule`` (and, as far as it can, only that rule)."""
    if rule not in RULES_BY_ID:
        raise ValueError(f"Mutant for unknown rule '{rule}'.")

    def register(build: AppBuilder) -> AppBuilder:
        name = name_of(build)
        if name in MUTANTS:
            raise ValueError(f"Mutant '{name}' is registered twice.")
        MUTANTS[name] = Server(name, description, build, rule)
        return build

    return register


def should_only(build: AppBuilder) -> AppBuilder:
    """Mark a mutant (put above ``@mutant``) that only a strict run fails: it breaks only the
    SHOULD part of its rule. A module of such mutants names ``SHOULD_ONLY`` for the proofs."""
    SHOULD_ONLY.add(name_of(build))
    return build


def legal_variant(description: str, *, path_prefix: str = "") -> Callable[[AppBuilder], AppBuilder]:
    """Register a server that the suite must pass: it differs only where the contract allows."""

    def register(build: AppBuilder) -> AppBuilder:
        name = name_of(build)
        VARIANTS[name] = Server(name, description, build, None, path_prefix)
        return build

    return register


def load_all() -> None:
    """Import every module that registers servers."""
    import importlib
    import pkgutil

    import mutation

    for module in pkgutil.iter_modules(mutation.__path__):
        if module.name.startswith(("mutants_", "variants_")):
            importlib.import_module(f"mutation.{module.name}")
