"""The catalogue is sound: every mutant names a real rule, names are unique, and every MUST rule
has a mutant that breaks it (a rule no mutant breaks is a rule the suite is not proven to check).

Fast: nothing is served here, the registry is only read.
"""

from __future__ import annotations

import ast
import importlib
from collections import Counter
from pathlib import Path

from conformance.contract.rules import RULES, RULES_BY_ID, Level
from mutation import catalogue
from mutation.catalogue import MUTANTS, VARIANTS

catalogue.load_all()
FOLDER = Path(catalogue.__file__).parent
REGISTERING = ("mutant", "legal_variant")


def registered_builders() -> list[str]:
    """Names of every function decorated with ``@mutant`` or ``@legal_variant``, read from the source:
    a second registration under one name would overwrite the first in the registry, unseen."""
    names = []
    for path in sorted(FOLDER.glob("*.py")):
        if not path.name.startswith(("mutants_", "variants_")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                decorators = [
                    decorator.func
                    for decorator in node.decorator_list
                    if isinstance(decorator, ast.Call)
                ]
                if any(
                    isinstance(func, ast.Name) and func.id in REGISTERING for func in decorators
                ):
                    names.append(node.name.replace("_", "-"))
    return names


def test_every_mutant_names_a_rule_of_the_catalogue() -> None:
    unknown = {
        name: server.rule for name, server in MUTANTS.items() if server.rule not in RULES_BY_ID
    }
    assert not unknown, f"mutants naming rules that do not exist: {unknown}"


def test_names_are_unique() -> None:
    repeated = sorted(name for name, count in Counter(registered_builders()).items() if count > 1)
    assert not repeated, f"registered more than once: {repeated}"
    both = sorted(set(MUTANTS) & set(VARIANTS))
    assert not both, f"both a mutant and a legal variant: {both}"


def test_the_registry_holds_what_the_modules_register() -> None:
    assert sorted(registered_builders()) == sorted([*MUTANTS, *VARIANTS])


def test_every_server_says_what_it_does() -> None:
    silent = sorted(
        name for name, server in {**MUTANTS, **VARIANTS}.items() if not server.description.strip()
    )
    assert not silent, f"servers without a description: {silent}"
    assert all(server.rule is None for server in VARIANTS.values())
    assert all(
        server.path_prefix == ""
        or (server.path_prefix.startswith("/") and not server.path_prefix.endswith("/"))
        for server in VARIANTS.values()
    )


def test_should_only_lists_name_registered_mutants() -> None:
    """A module's ``SHOULD_ONLY`` set (mutants only a strict run fails) names mutants that exist."""
    for module_name in {server.build.__module__ for server in MUTANTS.values()}:
        for name in getattr(importlib.import_module(module_name), "SHOULD_ONLY", set()):
            assert name in MUTANTS, (
                f"{module_name}.SHOULD_ONLY names '{name}', which is not a registered mutant"
            )


def test_there_are_at_least_eight_legal_variants() -> None:
    assert len(VARIANTS) >= 8, sorted(VARIANTS)


def test_every_must_rule_is_broken_by_a_mutant() -> None:
    broken = {server.rule for server in MUTANTS.values()}
    missing = [rule.id for rule in RULES if rule.level is Level.MUST and rule.id not in broken]
    assert not missing, f"MUST rules no mutant breaks: {missing}"
