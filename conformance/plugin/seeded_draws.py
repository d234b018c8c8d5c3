"""A run's examples drawn from its seed alone, wherever the suite is installed.

Hypothesis forces the seed of every test through an attribute of its own (``hypothesis.core``
has no public setting for a seed that holds across tests). Then it draws some values, now and
then, from the constants of the modules it takes for the user's code: any module imported from
outside the installed packages and the standard library. For this suite those modules are not the
target's code (the server under test runs elsewhere); they are the suite's own when it is
installed editable, or a pytest plugin of the user's on ``PYTHONPATH``. With them, the same seed
sent other bodies from an editable checkout than from the installed wheel of the same commit,
so a vendor's failure could not be drawn again from its seed. The suite reads no such constants:
Hypothesis' global ones (edge values it keeps for every user) still take part. Both are
internals of Hypothesis: a version without them leaves draws as that version makes them.
"""

from __future__ import annotations

import hypothesis.core

try:
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import Constants
except ImportError:  # a Hypothesis that reads no local constants, or reads them elsewhere
    providers = None  # type: ignore[assignment]


def draw_from(seed: int) -> None:
    """Every test of this process draws from ``seed`` and from nothing this machine has imported."""
    # hypothesis.core declares ``global_force_seed = None`` without a type, so mypy reads it as None
    hypothesis.core.global_force_seed = seed  # type: ignore[assignment]
    if providers is None or not hasattr(providers, "_get_local_constants"):
        return
    providers._get_local_constants = _no_local_constants
    pools = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)
    if pools is not None:
        pools.clear()  # pools made before now may hold local constants


def _no_local_constants() -> Constants:
    return Constants()
