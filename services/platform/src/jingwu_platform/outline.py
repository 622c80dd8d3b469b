"""Outlines around points on the map (WGS-84 longitude, latitude): the convex hull, and a closed ring
at a margin around a set of places. The console draws a zone without a recorded boundary this way, and
the demo district records such outlines as its zones' boundaries."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

# How far out an outline is drawn around the points it encloses (metres).
APPROXIMATE_MARGIN_M = 600.0
_METRES_PER_DEGREE = 111_320.0


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Andrew's monotone chain: the hull counter-clockwise, not closed; fewer than 3 points as given."""
    unique = sorted(set(points))
    if len(unique) < 3:
        return unique
    lower: list[tuple[float, float]] = []
    for p in unique:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(unique):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def approximate_outline(
    points: Sequence[tuple[float, float]], margin_m: float = APPROXIMATE_MARGIN_M
) -> list[list[float]]:
    """A closed ring around ``points``: the hull of a circle of ``margin_m`` around each (16 sides)."""
    around: list[tuple[float, float]] = []
    for lon, lat in points:
        d_lat = margin_m / _METRES_PER_DEGREE
        d_lon = margin_m / (_METRES_PER_DEGREE * max(0.2, math.cos(math.radians(lat))))
        for k in range(16):
            angle = 2 * math.pi * k / 16
            around.append((round(lon + d_lon * math.cos(angle), 7), round(lat + d_lat * math.sin(angle), 7)))
    hull = [[x, y] for x, y in convex_hull(around)]
    return [*hull, hull[0]] if hull else []
