"""What a walk has already met, in a few bytes per entry, however large the collection.

A walk of 100,000 audiences must not hold 100,000 Python strings to tell whether it meets one
twice (PAGE-04). :class:`SeenSet` keeps a 64-bit keyed BLAKE2b digest of each value and a small
number beside it (the page it was met on), in open-addressing tables of plain arrays: 12 bytes
a slot. The tables are sharded by the digest's top byte, so growing one copies 1/256 of the
whole and the peak stays close to the steady size.

The key is random per set, so a server cannot choose ids that collide; two distinct values
share a digest with probability about n²/2⁶⁵ (3·10⁻¹⁰ for 100,000 values).
"""

from __future__ import annotations

import secrets
from array import array
from hashlib import blake2b

SHARDS = 256
INITIAL_SLOTS = 16  # per shard; a power of two
MAX_LOAD = 0.8


class SeenSet:
    """Strings met so far, each with the number it was first met with (a page number)."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(16)
        self._digests = [array("Q", bytes(8 * INITIAL_SLOTS)) for _ in range(SHARDS)]
        self._numbers = [array("I", bytes(4 * INITIAL_SLOTS)) for _ in range(SHARDS)]
        self._sizes = [0] * SHARDS
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.number_of(value) is not None

    def number_of(self, value: str) -> int | None:
        """The number ``value`` was added with, or None if it was never added."""
        digest = self._digest(value)
        shard = digest >> 56
        slot = self._find(self._digests[shard], digest)
        return self._numbers[shard][slot] if self._digests[shard][slot] == digest else None

    def add(self, value: str, number: int) -> int | None:
        """Add ``value`` met with ``number``; if it was met before, change nothing and return that earlier number."""
        digest = self._digest(value)
        shard = digest >> 56
        digests = self._digests[shard]
        slot = self._find(digests, digest)
        if digests[slot] == digest:
            return self._numbers[shard][slot]
        digests[slot] = digest
        self._numbers[shard][slot] = number
        self._count += 1
        self._sizes[shard] += 1
        if self._sizes[shard] > MAX_LOAD * len(digests):
            self._grow(shard)
        return None

    def _digest(self, value: str) -> int:
        digest = int.from_bytes(
            blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8, key=self._key).digest(),
            "little",
        )
        return digest or 1  # 0 marks an empty slot

    @staticmethod
    def _find(digests: array[int], digest: int) -> int:
        """The slot holding ``digest``, or the empty slot where it would go (linear probing)."""
        mask = len(digests) - 1
        slot = digest & mask
        while digests[slot] and digests[slot] != digest:
            slot = (slot + 1) & mask
        return slot

    def _grow(self, shard: int) -> None:
        old_digests, old_numbers = self._digests[shard], self._numbers[shard]
        size = 2 * len(old_digests)
        digests, numbers = array("Q", bytes(8 * size)), array("I", bytes(4 * size))
        for digest, number in zip(old_digests, old_numbers):
            if digest:
                slot = self._find(digests, digest)
                digests[slot] = digest
                numbers[slot] = number
        self._digests[shard], self._numbers[shard] = digests, numbers
