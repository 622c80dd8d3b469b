"""Rate limits of the online police room (R-NOT-4): it takes no credential, so what stops abuse is how
often one client may ask.

- ``TokenBucket``: requests per client, refilled continuously (a burst, then a steady rate);
- ``FailureLimiter``: failed reference/phone checks per key (the client, and the reference tried); past
  the limit the key is refused — correct pairs too — until the window has passed, so a phone number
  cannot be found digit by digit.

In memory, per process: behind a load balancer with several replicas a client gets the limits of each
replica it reaches (docs/adr). Times come from an injected monotonic clock.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

Monotonic = Callable[[], float]
_MAX_KEYS = 100_000  # forget the oldest keys past this, so a flood of addresses cannot exhaust memory


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    def __init__(self, *, capacity: int, per_minute: float, clock: Monotonic = time.monotonic) -> None:
        self._capacity = float(capacity)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> float:
        """0 when the request may go ahead (a token taken); otherwise seconds until one is available."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _MAX_KEYS:
                self._buckets.pop(next(iter(self._buckets)))
            bucket = self._buckets[key] = _Bucket(self._capacity, now)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate


@dataclass
class _Failures:
    times: deque[float] = field(default_factory=deque)


class FailureLimiter:
    def __init__(self, *, limit: int, window_s: float, clock: Monotonic = time.monotonic) -> None:
        self._limit = limit
        self._window = window_s
        self._clock = clock
        self._failures: dict[str, _Failures] = {}

    def _recent(self, key: str) -> deque[float]:
        entry = self._failures.get(key)
        if entry is None:
            return deque()
        cutoff = self._clock() - self._window
        while entry.times and entry.times[0] <= cutoff:
            entry.times.popleft()
        if not entry.times:
            del self._failures[key]
        return entry.times

    def blocked(self, *keys: str) -> float:
        """0 when none of ``keys`` is over the limit; otherwise seconds until all are below it again."""
        wait = 0.0
        for key in keys:
            times = self._recent(key)
            if len(times) >= self._limit:
                wait = max(wait, times[len(times) - self._limit] + self._window - self._clock())
        return max(wait, 0.0)

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            if key not in self._failures and len(self._failures) >= _MAX_KEYS:
                self._failures.pop(next(iter(self._failures)))
            self._failures.setdefault(key, _Failures()).times.append(now)
