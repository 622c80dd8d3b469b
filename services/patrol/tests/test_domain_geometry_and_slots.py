"""Geometry and time slots patrol rules stand on: a ring that is not a closed polygon is refused field by
field (R-PAT-3); a slot out of range is refused (R-PAT-2); points in polygons and corridors; hours of
the week in local time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jingwu_patrol.domain.geo import (
    Corridor,
    GeoPoint,
    Polygon,
    check_polygon,
    great_circle_m,
    local_distance_m,
)
from jingwu_patrol.domain.slots import TimeSlot, check_slot, hour_of_week, slot_of_hour
from jingwu_platform.errors import Validator
from jingwu_platform.testing import violations_of

from .samples import at_m, square


def polygon_violations(polygon: Polygon) -> dict[str, str]:
    v = Validator()
    check_polygon(v, "boundary", polygon)
    try:
        v.raise_if_any()
    except Exception as error:
        return violations_of(error)
    return {}


def test_a_closed_square_is_a_valid_ring() -> None:
    assert polygon_violations(square(0, 0, 1000)) == {}


@pytest.mark.parametrize(
    ("points", "why"),
    [
        ([at_m(0, 0), at_m(100, 0), at_m(100, 100), at_m(0, 100)], "closed"),  # first not repeated
        ([at_m(0, 0), at_m(100, 0), at_m(0, 0)], "closed"),  # too few points
        ([at_m(0, 0), at_m(100, 0), at_m(200, 0), at_m(0, 0)], "no area"),  # collinear
        ([at_m(0, 0), at_m(100, 100), at_m(100, 0), at_m(0, 100), at_m(0, 0)], "cross"),  # a bow tie
        ([at_m(0, 0), GeoPoint(200.0, 33.6), at_m(100, 100), at_m(0, 0)], "valid WGS-84"),
    ],
)
def test_a_ring_that_is_not_a_closed_simple_polygon_is_refused(points: list[GeoPoint], why: str) -> None:
    found = polygon_violations(Polygon((tuple(points),)))
    assert len(found) == 1
    ((field, description),) = found.items()
    assert field.startswith("boundary.rings[0].points")
    assert why in description


def test_a_polygon_needs_a_ring_and_holes_inside_it() -> None:
    assert "boundary.rings" in polygon_violations(Polygon())
    outer = square(0, 0, 1000).outer
    hole_outside = square(2000, 2000, 100).outer
    assert set(polygon_violations(Polygon((outer, hole_outside)))) == {"boundary.rings[1].points"}
    assert polygon_violations(Polygon((outer, square(100, 100, 100).outer))) == {}


def test_point_in_polygon_honours_holes() -> None:
    polygon = Polygon((square(0, 0, 1000).outer, square(400, 400, 200).outer))
    inside, in_hole, outside = at_m(100, 100), at_m(500, 500), at_m(1500, 100)
    assert polygon.contains(inside.longitude, inside.latitude)
    assert not polygon.contains(in_hole.longitude, in_hole.latitude)
    assert not polygon.contains(outside.longitude, outside.latitude)
    assert polygon.area_m2() == pytest.approx(1_000_000 - 40_000, rel=0.001)


def test_a_corridor_is_within_its_half_width_of_the_road() -> None:
    road = Corridor([at_m(0, 0), at_m(1000, 0)], 30)
    assert road.contains(*_lonlat(at_m(500, 25)))
    assert not road.contains(*_lonlat(at_m(500, 40)))
    assert not road.contains(*_lonlat(at_m(1040, 0)))
    place = Corridor([at_m(0, 0)], 50)
    assert place.contains(*_lonlat(at_m(30, 30))) and not place.contains(*_lonlat(at_m(40, 40)))


def test_local_and_great_circle_distances_agree_within_a_district() -> None:
    a, b = at_m(0, 0), at_m(3000, 4000)
    assert local_distance_m(a, b) == pytest.approx(5000, rel=1e-4)
    assert great_circle_m(a, b) == pytest.approx(5000, rel=3e-3)


def _lonlat(point: GeoPoint) -> tuple[float, float]:
    return point.longitude, point.latitude


def slot_violations(slot: TimeSlot) -> dict[str, str]:
    v = Validator()
    check_slot(v, "slot", slot)
    try:
        v.raise_if_any()
    except Exception as error:
        return violations_of(error)
    return {}


def test_slots_out_of_range_are_refused() -> None:
    assert slot_violations(TimeSlot((1, 5), 12 * 60, 13 * 60)) == {}
    assert slot_violations(TimeSlot((), 22 * 60, 26 * 60)) == {}  # across midnight
    assert set(slot_violations(TimeSlot((0, 8), 60, 120))) == {"slot.weekdays[0]", "slot.weekdays[1]"}
    assert set(slot_violations(TimeSlot((1, 1), 60, 120))) == {"slot.weekdays"}
    assert set(slot_violations(TimeSlot((), 1440, 1500))) == {"slot.start_minute"}
    assert set(slot_violations(TimeSlot((), 600, 600))) == {"slot.end_minute"}
    assert set(slot_violations(TimeSlot((), 600, 600 + 1441))) == {"slot.end_minute"}


def test_hours_of_the_week_are_local_time() -> None:
    # Monday 2 March 2026 00:30 in China is Sunday 16:30 UTC.
    assert hour_of_week(datetime(2026, 3, 1, 16, 30, tzinfo=UTC)) == 0
    assert hour_of_week(datetime(2026, 3, 8, 15, 59, tzinfo=UTC)) == 167
    assert slot_of_hour(13) == TimeSlot((1,), 13 * 60, 14 * 60)
    slot = TimeSlot((2,), 22 * 60, 26 * 60)
    start, end = slot.window_on(date(2026, 3, 3))
    assert (start, end) == (datetime(2026, 3, 3, 14, 0, tzinfo=UTC), datetime(2026, 3, 3, 18, 0, tzinfo=UTC))
    assert slot.applies_on(date(2026, 3, 3)) and not slot.applies_on(date(2026, 3, 4))
