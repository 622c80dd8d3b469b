"""Daily joint patrols of the mass-prevention teams (R-PAT-4): recorded per community or village with
its participants; a day without one is a finding. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from jingwu_platform.calendar import local_date
from jingwu_platform.errors import Validator

from jingwu_patrol.domain.common import Audit, check_ids, check_text
from jingwu_patrol.domain.geo import GeoPoint, check_point
from jingwu_patrol.domain.territory import VillageView

MAX_ROUTE_POINTS = 5_000
MAX_PARTICIPANTS = 500
MAX_GAP_DAYS = 366


@dataclass(frozen=True)
class JointPatrol:
    joint_patrol_id: str
    village_id: str
    zone_code: str
    day: date
    start: datetime | None = None
    end: datetime | None = None
    leader_officer_id: str = ""
    participant_ids: tuple[str, ...] = ()
    participant_count: int = 0
    route: tuple[GeoPoint, ...] = ()
    notes: str = ""
    audit: Audit = field(default_factory=Audit)
    # Newest-first lists page by it: the day, then the id.
    order_key: str = ""


def validate(
    *,
    village: VillageView | None,
    village_id: str,
    day: date | None,
    today: date,
    start: datetime | None,
    end: datetime | None,
    participant_ids: Sequence[str],
    participant_count: int,
    route: Sequence[GeoPoint],
    notes: str,
) -> None:
    v = Validator()
    if v.check(bool(village_id), "village_id", "is required"):
        v.check(village is not None, "village_id", f"no community or village {village_id!r} in the district")
    if v.check(day is not None, "date", "is required (a valid local date)"):
        assert day is not None
        v.check(day <= today, "date", f"{day.isoformat()} has not come yet")
        if start is not None:
            v.check(local_date(start) == day, "start_time", "must fall on the patrol's date (local time)")
    if start is not None and end is not None:
        v.check(end > start, "end_time", "must be after start_time")
    check_ids(v, "participant_ids", tuple(participant_ids))
    v.check(len(participant_ids) <= MAX_PARTICIPANTS, "participant_ids", f"at most {MAX_PARTICIPANTS}")
    v.check(
        max(1, len(participant_ids)) <= participant_count <= 10_000,
        "participant_count",
        "the head count includes every registered participant and is at least 1",
    )
    v.check(len(route) <= MAX_ROUTE_POINTS, "route", f"at most {MAX_ROUTE_POINTS} points")
    for index, point in enumerate(route[:MAX_ROUTE_POINTS]):
        check_point(v, f"route[{index}]", point)
    check_text(v, "notes", notes, 1000)
    v.raise_if_any()


@dataclass(frozen=True)
class Gap:
    village_id: str
    zone_code: str
    missed: tuple[date, ...]


def gaps(
    villages: Iterable[VillageView], patrolled: set[tuple[str, date]], first: date, last: date
) -> list[Gap]:
    """Days in [first, last] on which a team recorded no joint patrol, from the day after its village
    was registered; teams without a missed day are left out."""
    found = []
    for village in sorted(villages, key=lambda v: v.village_id):
        if not village.has_team:
            continue
        since = first
        if village.registered_on is not None:
            since = max(first, village.registered_on + timedelta(days=1))
        missed = []
        day = since
        while day <= last:
            if (village.village_id, day) not in patrolled:
                missed.append(day)
            day += timedelta(days=1)
        if missed:
            found.append(Gap(village.village_id, village.zone_code, tuple(missed)))
    return found
