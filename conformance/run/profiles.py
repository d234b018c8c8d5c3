"""Profiles: how hard a run looks. One knob for users, many numbers for the suite."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    schema_examples: int  # schemathesis examples per operation and generation mode
    stateful_examples: int  # stateful scenarios through the spec's links
    stateful_steps: int
    property_examples: int  # hypothesis examples of each property test
    dataset_size: int  # audiences the pagination data set holds, spread unevenly over channels
    race_rounds: (
        int  # rounds of requests sent at one moment (VAL-1309): a race is won or lost by chance
    )
    max_duration: float  # seconds: no request is sent after this, so a run always ends
    # Requests one walk may take: beyond it a walk goes to the end at a larger page size, and the
    # drawn size walks a prefix (conformance.checks.walk_bounds). Above the data set's size, so that on an
    # account holding only the run's audiences every drawn size, 1 included, walks to the end.
    walk_budget: int = 60
    # Requests a whole run sends to the embedded reference (measured, seeds 1 and 2, rounded up):
    # what a --rate-limit must leave room for within max_duration (conformance.run.budget).
    expected_requests: int = 0


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            "quick",
            schema_examples=8,
            stateful_examples=4,
            stateful_steps=6,
            property_examples=8,
            dataset_size=23,
            race_rounds=3,
            max_duration=300.0,
            walk_budget=40,
            expected_requests=1850,
        ),
        Profile(
            "default",
            schema_examples=30,
            stateful_examples=15,
            stateful_steps=10,
            property_examples=25,
            dataset_size=47,
            race_rounds=8,
            max_duration=900.0,
            walk_budget=60,
            expected_requests=5000,
        ),
        Profile(
            "thorough",
            schema_examples=120,
            stateful_examples=50,
            stateful_steps=15,
            property_examples=100,
            dataset_size=131,
            race_rounds=25,
            max_duration=3600.0,
            walk_budget=160,
            expected_requests=19300,
        ),
    )
}
DEFAULT_PROFILE = "default"
