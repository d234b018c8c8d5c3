"""A testcase's properties in JUnit: one property per name, so every viewer shows them all.

Inside the suite a test's findings are a list of pairs, one per rule: ``rule``, ``level``,
``outcome`` and ``left_out`` repeat when a test checks several rules. Viewers that keep a
testcase's properties as a map (Jenkins, any JSON object made from the XML) then show one of
each. In JUnit each rule gets properties of its own, named after it::

    rule            PAGE-04 PAGE-03        the rules the test checks, in its order
    level.PAGE-04   MUST
    outcome.PAGE-04 failed
    outcome.PAGE-03 blocked PAGE-04
    left_out.RULE   why                    a check the test went on without

Files written before this form (``rule``/``level``/``outcome`` repeated) read back the same.
"""

from __future__ import annotations

from collections.abc import Sequence

RULE = "rule"
PER_RULE = ("level", "outcome", "left_out")  # named ``NAME.RULE`` in JUnit
_SEPARATOR = "."


def for_viewers(properties: Sequence[tuple[str, object]]) -> list[tuple[str, object]]:
    """The suite's pairs as JUnit carries them: each name once. Other properties pass as they are."""
    rules = [str(value) for name, value in properties if name == RULE]
    if not rules or any(_per_rule(name) for name, _ in properties):
        return list(properties)  # no rule, or already in this form
    levels = iter(str(value) for name, value in properties if name == "level")
    shaped: list[tuple[str, object]] = [(RULE, " ".join(dict.fromkeys(rules)))]
    shaped += [(f"level{_SEPARATOR}{rule}", next(levels, "")) for rule in rules]
    for name, value in properties:
        if name in ("outcome", "left_out"):
            rule, _, rest = str(value).partition(" ")
            shaped.append((f"{name}{_SEPARATOR}{rule}", rest))
        elif name not in (RULE, "level"):
            shaped.append((name, value))
    return _first_of_each(shaped)


def as_written(properties: Sequence[tuple[str, object]]) -> list[tuple[str, object]]:
    """The pairs the suite wrote, from either form: what :func:`for_viewers` made, or a file
    older than it (then unchanged)."""
    if not any(_per_rule(name) for name, _ in properties):
        return list(properties)
    found = dict(properties)
    rules = str(found.get(RULE, "")).split()
    pairs: list[tuple[str, object]] = []
    for rule in rules:
        pairs += [(RULE, rule), ("level", found.get(f"level{_SEPARATOR}{rule}", ""))]
    for name, value in properties:
        kind = _per_rule(name)
        if kind in ("outcome", "left_out"):
            rule = name.partition(_SEPARATOR)[2]
            pairs.append((kind, f"{rule} {value}".rstrip()))
        elif kind is None and name != RULE:
            pairs.append((name, value))
    return pairs


def _per_rule(name: str) -> str | None:
    kind, dot, rule = name.partition(_SEPARATOR)
    return kind if dot and rule and kind in PER_RULE else None


def _first_of_each(pairs: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """A name written twice (a test that recorded one rule's outcome twice) keeps its first value:
    the first phase that did not pass decides."""
    seen: set[str] = set()
    kept = []
    for name, value in pairs:
        if name not in seen:
            seen.add(name)
            kept.append((name, value))
    return kept
