"""The data the pagination and filter properties walk: created once per run, through the API.

Audiences are spread over the three channels in uneven shares (3:2:1), so that the channel
totals differ and a total that ignores the filter shows. A few carry contacts: one exactly
ten (a full last page at page sizes 1, 2, 5 and 10), one seven with names that overlap for
``filter[search]``, one none (an empty collection). Every name carries the run prefix.

The account may hold other audiences too: exact-set rules are checked on these items as a
subset of what a walk sees, and global invariants on the whole walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from conformance.checks.client import create_audience
from conformance.contract.facts import CHANNELS
from conformance.http.ledger import Namer
from conformance.http.target import Target

SHARES = {"SMS": 3, "VIBER": 2, "WHATSAPP": 1}
MIN_SIZE = 6  # one share unit per channel at least


@dataclass(frozen=True)
class Contact:
    """A contact as the suite sends it at create."""

    number: str
    first_name: str = ""
    last_name: str = ""

    def as_json(self) -> dict[str, str]:
        sent = {"number": self.number}
        if self.first_name:
            sent["first_name"] = self.first_name
        if self.last_name:
            sent["last_name"] = self.last_name
        return sent

    def matches(self, text: str) -> bool:
        """CRUD-06: the number, first or last name contains the text, ignoring case."""
        needle = text.casefold()
        return any(
            needle in value.casefold() for value in (self.number, self.first_name, self.last_name)
        )


# Names share fragments ('ann', 'jo', 'mari', 'smith') so that searches match several contacts,
# in different fields and letter cases. ASCII only: case folding is then beyond dispute.
TEN_CONTACTS = (
    Contact("+4915550100", "Anna", "Smith"),
    Contact("+4915550123", "Hannah", "Goldsmith"),
    Contact("+14155550123", "Jo", "Annan"),
    Contact("+447700900456", "John", "JONAS"),
    Contact("+33612345678", "Maria", "Marin"),
    Contact("+390612345", "Mario", "de la Cruz"),
    Contact("+8613800138000", "ZOE", "Li"),
    Contact("+61491570156"),
    Contact("+4915550999", "Li", ""),
    Contact("+4930123456789", "", "O-Brien"),
)
SEVEN_CONTACTS = (
    Contact("+4915551000", "Joanna", "Smithson"),
    Contact("+4915551001", "annika", "Jo"),
    Contact("+4915551002", "MARIANNE", "Blue"),
    Contact("+12025550143", "Lin", "Zhao"),
    Contact("+4915551004", "Ola", "Nordmann"),
    Contact("+4915551005", "Ana", "Mari"),
    Contact("+4915551006", "Bo", "Annerstedt"),
)


@dataclass(frozen=True)
class OwnAudience:
    id: str
    name: str
    channel: str
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class DataSet:
    """What the suite created, and what every walk of the account must therefore show."""

    audiences: tuple[OwnAudience, ...]

    def ids(self, channel: str | None = None) -> frozenset[str]:
        return frozenset(
            audience.id
            for audience in self.audiences
            if channel is None or audience.channel == channel
        )

    def with_contacts(self, count: int) -> OwnAudience:
        return next(audience for audience in self.audiences if len(audience.contacts) == count)

    @property
    def contact_audiences(self) -> tuple[OwnAudience, ...]:
        """The audiences whose contacts the contacts properties page through (10, 7 and 0)."""
        return tuple(
            self.with_contacts(count) for count in (len(TEN_CONTACTS), len(SEVEN_CONTACTS), 0)
        )

    def to_json(self) -> list[dict[str, Any]]:
        """What another process of the run needs to walk the same data set (:meth:`from_json`)."""
        return [
            {
                "id": a.id,
                "name": a.name,
                "channel": a.channel,
                "contacts": [asdict(contact) for contact in a.contacts],
            }
            for a in self.audiences
        ]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> DataSet:
        return cls(
            tuple(
                OwnAudience(
                    str(a["id"]),
                    str(a["name"]),
                    str(a["channel"]),
                    tuple(Contact(**contact) for contact in a["contacts"]),
                )
                for a in data
            )
        )


def channel_counts(size: int) -> dict[str, int]:
    """``size`` audiences split 3:2:1 over the channels; the remainder goes to the largest share."""
    size = max(size, MIN_SIZE)
    unit = sum(SHARES.values())
    counts = {channel: size * share // unit for channel, share in SHARES.items()}
    counts["SMS"] += size - sum(counts.values())
    return counts


def create_dataset(target: Target, namer: Namer, size: int) -> DataSet:
    """Create the data set through the API; the ledger removes it at the end of the run."""
    counts = channel_counts(size)
    contact_lists: dict[str, Sequence[Contact]] = {"SMS": TEN_CONTACTS, "VIBER": SEVEN_CONTACTS}
    # Interleave the channels, so that no channel sits in one block of the order. The creates
    # are independent: they are sent together, each name drawn here, in the plan's order.
    plan = [
        (namer.fresh(), channel, contact_lists.pop(channel, ()) if position < len(CHANNELS) else ())
        for position, channel in enumerate(_interleaved(counts))
    ]
    made = target.together(lambda planned: _create(target, *planned), plan)
    return DataSet(tuple(made))


def _create(target: Target, name: str, channel: str, contacts: Sequence[Contact]) -> OwnAudience:
    # The one with no contacts is sent without the field; the others with their list.
    sent: list[dict[str, Any]] | None = [contact.as_json() for contact in contacts] or None
    audience = create_audience(target, name, channel, sent)
    return OwnAudience(str(audience["id"]), name, channel, tuple(contacts))


def _interleaved(counts: dict[str, int]) -> list[str]:
    """Channels in round-robin order while each still has audiences to give."""
    left = dict(counts)
    plan: list[str] = []
    while any(left.values()):
        for channel in CHANNELS:
            if left[channel]:
                plan.append(channel)
                left[channel] -= 1
    return plan
