"""A sorted list of keys for the in-memory indexes: insert and remove in O(log n + n/memmove), pages by
key (the page token is the last key of the previous page)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator


class SortedKeys:
    __slots__ = ("_dirty", "_keys")

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._dirty = False

    def __len__(self) -> int:
        self._settle()
        return len(self._keys)

    def _settle(self) -> None:
        if self._dirty:
            self._keys = sorted(set(self._keys))
            self._dirty = False

    def append_unsorted(self, key: str) -> None:
        """Bulk loading: append now, sort once on the next read."""
        self._keys.append(key)
        self._dirty = True

    def add(self, key: str) -> None:
        self._settle()
        i = bisect_left(self._keys, key)
        if i == len(self._keys) or self._keys[i] != key:
            self._keys.insert(i, key)

    def discard(self, key: str) -> None:
        self._settle()
        i = bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            del self._keys[i]

    def after(self, key: str) -> Iterator[str]:
        """Keys greater than ``key`` in order ("" = from the start)."""
        self._settle()
        start = bisect_right(self._keys, key) if key else 0
        for i in range(start, len(self._keys)):
            yield self._keys[i]

    def before(self, key: str) -> Iterator[str]:
        """Keys smaller than ``key``, largest first ("" = from the end)."""
        self._settle()
        end = bisect_left(self._keys, key) if key else len(self._keys)
        for i in range(end - 1, -1, -1):
            yield self._keys[i]

    def between(self, low: str, high: str, after: str = "") -> Iterator[str]:
        """Keys in [low, high), past ``after``."""
        self._settle()
        start = bisect_right(self._keys, after) if after and after >= low else bisect_left(self._keys, low)
        end = bisect_left(self._keys, high)
        for i in range(start, end):
            yield self._keys[i]


__all__ = ["SortedKeys", "insort"]
