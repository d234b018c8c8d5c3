"""SeenSet: what a walk met, as digests, with the number it was first met with."""

from __future__ import annotations

import tracemalloc

from conformance.checks.seen_ids import INITIAL_SLOTS, SHARDS, SeenSet


def test_it_remembers_each_value_with_its_first_number() -> None:
    seen = SeenSet()
    assert seen.add("a", 1) is None and seen.add("b", 2) is None
    assert seen.add("a", 5) == 1  # met before: the earlier number, unchanged
    assert (seen.number_of("a"), seen.number_of("b"), seen.number_of("c")) == (1, 2, None)
    assert "a" in seen and "c" not in seen and 7 not in seen
    assert len(seen) == 2


def test_it_keeps_every_value_through_growth() -> None:
    """Far more values than the initial tables hold: every one found, no stranger found."""
    seen = SeenSet()
    count = SHARDS * INITIAL_SLOTS * 8
    for index in range(count):
        assert seen.add(f"id-{index}", index % 1000) is None
    assert len(seen) == count
    assert all(seen.number_of(f"id-{index}") == index % 1000 for index in range(0, count, 7))
    assert not any(f"other-{index}" in seen for index in range(2000))


def test_values_that_are_not_plain_text_are_kept_apart() -> None:
    """Case, Unicode forms, a lone surrogate: each is its own value."""
    seen = SeenSet()
    values = ["Abc", "abc", "\u00e9", "e\u0301", "\ud800", ""]
    for number, value in enumerate(values, start=1):
        assert seen.add(value, number) is None
    assert [seen.number_of(value) for value in values] == [1, 2, 3, 4, 5, 6]


def test_memory_per_value_is_a_few_bytes_not_a_string() -> None:
    """100,000 ids of 32 characters: the set holds about 12 bytes a slot, far below the ids themselves."""
    tracemalloc.start()
    try:
        seen = SeenSet()
        before = tracemalloc.get_traced_memory()[0]
        for index in range(100_000):
            seen.add(f"{index:032x}", index // 100)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(seen) == 100_000
    assert held < 40 * 100_000, (
        f"{held / 100_000:.1f} bytes per id"
    )  # a set of the strings alone would be over 80
