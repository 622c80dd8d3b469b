"""Places under monthly security inspection (R-POP-3). Pure.

Key units, enterprises, rental houses and complex public places are inspected once a month (the
district's interval, monthly by default). A place's inspection is due by the end of the month after
its last counted inspection, or by the end of its registration month. A date past the due date with
no inspection is overdue: a finding, and one ``PlaceInspectionOverdue`` event per place and due date
(``overdue_places``, run by the monthly schedule for the month that just ended).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from jingwu_platform.calendar import add_months, month_of
from jingwu_platform.errors import RuleViolation

from jingwu_population.domain.geo import GeoPoint


class PlaceKind(StrEnum):
    KEY_UNIT = "key_unit"  # 重点单位
    ENTERPRISE = "enterprise"
    RENTAL_HOUSE = "rental_house"  # 出租屋
    COMPLEX_PUBLIC_PLACE = "complex_public_place"  # 复杂公共场所


class InspectionResult(StrEnum):
    PASSED = "passed"
    HAZARDS_FOUND = "hazards_found"
    NOT_INSPECTED = "not_inspected"  # closed or refused: does not count as the month's inspection


@dataclass(frozen=True, slots=True)
class Place:
    place_id: str
    kind: PlaceKind
    name: str
    address: str
    house_id: str
    location: GeoPoint
    zone_code: str
    village_id: str
    contact_name: str
    contact_phone: str
    registered_on: date
    last_inspection_date: date | None = None
    # The due date an overdue event was raised for (once per place and due date).
    overdue_raised_for: date | None = None
    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None
    version: int = 0

    def due_date(self, interval_months: int = 1) -> date:
        """R-POP-3: the end of the month ``interval_months`` after the last counted inspection; the
        end of the registration month for a place never inspected."""
        if self.last_inspection_date is None:
            return month_of(self.registered_on).end
        return month_of(add_months(self.last_inspection_date.replace(day=1), interval_months)).end

    def overdue_on(self, day: date, interval_months: int = 1) -> bool:
        return day > self.due_date(interval_months)


@dataclass(frozen=True, slots=True)
class Inspection:
    inspection_id: str
    place_id: str
    inspector_id: str
    inspected_at: datetime
    inspected_on: date  # local date
    result: InspectionResult
    hazards: tuple[str, ...]
    rectification_due: date | None
    notes: str
    location: GeoPoint | None
    zone_code: str
    place_kind: PlaceKind
    created_at: datetime | None = None
    version: int = 0


def inspected(place: Place, inspection: Inspection, *, at: datetime, by: str) -> Place:
    """The place after an inspection: a counted one (passed, hazards found) moves the due date on; a
    failed attempt (closed, refused) is recorded but leaves the place due (R-POP-3)."""
    if inspection.result is InspectionResult.HAZARDS_FOUND and inspection.rectification_due is None:
        raise RuleViolation("R-POP-3", place.place_id, "hazards found: a rectification due date is required")
    if inspection.result is InspectionResult.NOT_INSPECTED:
        return replace(place, updated_by=by, updated_at=at)
    last = place.last_inspection_date
    newest = inspection.inspected_on if last is None else max(last, inspection.inspected_on)
    return replace(place, last_inspection_date=newest, updated_by=by, updated_at=at)


def overdue_places(places: Iterable[Place], *, on: date, interval_months: int = 1) -> list[Place]:
    """R-POP-3: places overdue on ``on`` whose overdue event for that due date was not raised yet."""
    found = []
    for place in places:
        due = place.due_date(interval_months)
        if on > due and place.overdue_raised_for != due:
            found.append(place)
    return found
