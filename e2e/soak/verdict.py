"""The soak's verdicts, as pure functions of sampled series (no I/O, so they are unit-tested).

A series is a list of ``(t_min, value)`` points: minutes since sampling began and the sampled value.

- **Memory flat** (per process): the least-squares slope of RSS over the *second half* of the run
  (the first half is warm-up: imports, caches, connection pools, the JIT-less allocator settling) is at
  most ``MEMORY_SLOPE_MIB_PER_MIN``. Growth of the last third's mean over the middle third's is shown
  alongside, for the reader; the verdict is the slope.
- **Lag flat** (per consumer group): over the second half, the lag stays at or below a bound
  (``lag_bound``: records) *and* shows no upward trend: it fails when the least-squares slope exceeds
  ``lag_slope`` records/min *and* the last third's mean is above the middle third's (a consumer falling
  behind shows both; a consumer that drains in batches oscillates, which moves the slope of a short
  window by chance but not both).
- **RPC errors**: none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

Series = Sequence[tuple[float, float]]

# 1 MiB/min is 60 MiB an hour: a leak below this needs a longer soak to see.
MEMORY_SLOPE_MIB_PER_MIN = 1.0


def slope(points: Series) -> float:
    """The least-squares slope of ``points`` (value per unit of t); 0 for fewer than two distinct t."""
    if len(points) < 2:
        return 0.0
    mean_t = fmean(t for t, _ in points)
    mean_v = fmean(v for _, v in points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread


def second_half(points: Series) -> list[tuple[float, float]]:
    """The points at or after the middle of the sampled time span."""
    if not points:
        return []
    middle = (points[0][0] + points[-1][0]) / 2
    return [p for p in points if p[0] >= middle]


def thirds(points: Series) -> tuple[list[float], list[float]]:
    """The values of the middle third and of the last third of the sampled time span."""
    if not points:
        return [], []
    start, end = points[0][0], points[-1][0]
    one, two = start + (end - start) / 3, start + 2 * (end - start) / 3
    middle = [v for t, v in points if one <= t < two]
    last = [v for t, v in points if t >= two]
    return middle, last


def growth_pct(points: Series) -> float:
    """How much the last third's mean exceeds the middle third's, in percent (0 without data)."""
    middle, last = thirds(points)
    if not middle or not last or fmean(middle) == 0:
        return 0.0
    return 100.0 * (fmean(last) - fmean(middle)) / fmean(middle)


@dataclass(frozen=True)
class Check:
    """One verdict: what was checked, whether it passed, and the figures behind it."""

    what: str
    name: str
    ok: bool
    detail: str


def memory_check(
    name: str, points: Series, *, max_slope_mib_per_min: float = MEMORY_SLOPE_MIB_PER_MIN
) -> Check:
    """Memory of one process flat: the slope over the second half ≤ ``max_slope_mib_per_min``."""
    half = second_half(points)
    if len(half) < 3:
        return Check("memory", name, False, f"only {len(half)} samples in the second half")
    rising = slope(half)
    first, last = half[0][1], half[-1][1]
    detail = (
        f"slope {rising:+.2f} MiB/min over the second half (limit {max_slope_mib_per_min:g}); "
        f"{first:.0f} → {last:.0f} MiB; last third vs. middle {growth_pct(points):+.1f} %"
    )
    return Check("memory", name, rising <= max_slope_mib_per_min, detail)


def lag_check(name: str, points: Series, *, bound: float, max_slope_per_min: float) -> Check:
    """Lag of one consumer group flat: bounded by ``bound`` and no upward trend (see the module doc)."""
    half = second_half(points)
    if len(half) < 3:
        return Check("lag", name, False, f"only {len(half)} samples in the second half")
    peak = max(v for _, v in half)
    rising = slope(half)
    middle, last = thirds(points)
    climbing = bool(middle and last) and fmean(last) > fmean(middle)
    trend = rising > max_slope_per_min and climbing
    bounded = peak <= bound
    why = [] if bounded else [f"above the bound {bound:,.0f}"]
    if trend:
        why.append("rising")
    detail = (
        f"max {peak:,.0f} (bound {bound:,.0f}), slope {rising:+,.0f}/min (limit {max_slope_per_min:,.0f})"
        + (f": {', '.join(why)}" if why else "")
    )
    return Check("lag", name, bounded and not trend, detail)


def errors_check(name: str, answered: int, errors: int) -> Check:
    """No RPC failed (and some were answered: a load that never ran proves nothing)."""
    ok = errors == 0 and answered > 0
    return Check("rpc", name, ok, f"{answered:,} answered, {errors:,} errors")


def rate_check(name: str, achieved: float, expected: float, *, share: float = 0.9) -> Check:
    """A rate (per second, averaged over the second half) reaches ``share`` of ``expected``."""
    ok = expected > 0 and achieved >= share * expected
    return Check("rate", name, ok, f"{achieved:,.0f}/s of {expected:,.0f}/s expected (≥ {share:.0%})")
