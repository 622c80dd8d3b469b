"""R-ROOM-3 graded management: a room's grade is computed from its recorded facilities against the
district's standard (``DistrictPolicy.rooms``). Pure: no I/O, no protobuf."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from jingwu_platform.errors import Validator
from jingwu_platform.policy import RoomStandard

from jingwu_rooms.domain.model import Facility

OFFICE = "office"
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Grade(StrEnum):
    STANDARD = "standard"  # every required facility, office at least the standard area
    BASIC = "basic"  # the office and the basic facilities
    BELOW = "below"  # anything less


@dataclass(frozen=True)
class GradeResult:
    grade: Grade
    # Required facilities the room lacks; "office" also when it is smaller than the standard area.
    missing: tuple[str, ...]


def validate_facilities(facilities: Sequence[Facility]) -> None:
    """Codes are stable snake_case words, each recorded once, with a non-negative quantity."""
    v = Validator()
    seen: set[str] = set()
    for index, facility in enumerate(facilities):
        field = f"facilities[{index}]"
        if v.check(
            bool(_CODE.match(facility.code)),
            f"{field}.code",
            "must be a snake_case facility code, e.g. 'office'",
        ):
            v.check(
                facility.code not in seen, f"{field}.code", f"facility {facility.code!r} is recorded twice"
            )
            seen.add(facility.code)
        v.check(facility.quantity >= 0, f"{field}.quantity", "must not be negative")
    v.raise_if_any()


def grade_room(facilities: Sequence[Facility], standard: RoomStandard) -> GradeResult:
    """R-ROOM-3. A facility is present when its quantity is positive; the office counts towards the
    standard grade only from ``standard.office_min_m2`` up, towards the basic grade at any size."""
    quantity = {f.code: f.quantity for f in facilities}
    present = {code for code, amount in quantity.items() if amount > 0}
    office_up_to_standard = quantity.get(OFFICE, 0.0) >= standard.office_min_m2
    missing = tuple(
        code
        for code in standard.required_facilities
        if code not in present or (code == OFFICE and not office_up_to_standard)
    )
    if not missing:
        return GradeResult(Grade.STANDARD, ())
    basic = OFFICE in present and all(code in present for code in standard.basic_facilities)
    return GradeResult(Grade.BASIC if basic else Grade.BELOW, missing)
