"""One walk of PAGE-12 and the writes it makes between its pages: others' creates and deletes,
as the rule has them, made by the walk itself so that it knows which audiences existed throughout.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial

from conformance.checks.client import create_audience, delete_audience
from conformance.checks.dataset import DataSet
from conformance.checks.walk_model import Page
from conformance.http.target import Target


@dataclasses.dataclass
class WritingWalk:
    """One walk of PAGE-12 through a channel, and the writes it makes between its pages: of the
    audiences it made that a page shows, every other one (in the order the walk shows them) is
    kept and the rest deleted, and one audience of the channel is created after each of the
    first pages."""

    target: Target
    channel: str
    made: list[str]
    names: list[str]  # of the audiences to create between pages
    not_shown: set[str] = dataclasses.field(default_factory=set)  # made, not yet shown
    kept: list[str] = dataclasses.field(default_factory=list)
    deleted: list[str] = dataclasses.field(default_factory=list)
    created: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.not_shown = set(self.made)

    def write_between_pages(self, page: Page) -> None:
        # What goes and what comes between two pages is sent together: its order does not matter.
        gone: list[str] = []
        for audience_id in page.ids:
            if audience_id in self.not_shown:
                self.not_shown.discard(audience_id)
                shown_before = len(self.kept) + len(self.deleted) + len(gone)
                (self.kept if shown_before % 2 == 0 else gone).append(audience_id)
        self.deleted.extend(gone)
        writes: list[Callable[[], object]] = [
            partial(delete_audience, self.target, audience_id) for audience_id in gone
        ]
        if len(self.created) < len(self.names):
            name = self.names[len(self.created)]
            writes.append(lambda: self.created.append(self._create(name)))
        self.target.all_together(writes)

    def throughout(self, dataset: DataSet) -> frozenset[str]:
        """The audiences of the channel that existed for the whole walk: the data set's, and
        those made before it that it did not delete."""
        return dataset.ids(self.channel) | (set(self.made) - set(self.deleted))

    def left(self) -> list[str]:
        """What the walk made and did not delete: the test deletes it at its end."""
        return [audience_id for audience_id in self.made if audience_id not in self.deleted] + [
            *self.created
        ]

    def _create(self, name: str) -> str:
        return str(create_audience(self.target, name, self.channel)["id"])
