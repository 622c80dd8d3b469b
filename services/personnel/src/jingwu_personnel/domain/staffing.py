"""Staffing rules evaluated (R-PER-2..5, R-PER-7..9). Pure.

Evaluation compares what the rules require with what the district has now and yields the breaches
("conditions"); domain/findings.py turns them into findings raised and resolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from jingwu_platform.policy import DistrictPolicy

from jingwu_personnel.domain.findings import (
    STATION_KINDS,
    STRUCTURAL_KINDS,
    VILLAGE_KINDS,
    ZONE_KINDS,
    Condition,
    FindingKind,
)
from jingwu_personnel.domain.officers import AUXILIARY_ROLES, POLICE_ROLES, Officer, OfficerRole
from jingwu_personnel.domain.postings import Posting, takes_away
from jingwu_personnel.domain.territory import RoomKind, RoomView, StationKind, StationView, ZoneView
from jingwu_personnel.domain.villages import VillageAssignment
from jingwu_personnel.domain.worklogs import CommunityWeek, VillageMonth


@dataclass(frozen=True)
class Snapshot:
    """The district as staffing evaluation needs it."""

    officers: Mapping[str, Officer]
    open_postings: Sequence[Posting]
    rooms: Mapping[str, RoomView]
    zones: Mapping[str, ZoneView]
    stations: Mapping[str, StationView]
    villages: Sequence[VillageAssignment]


def _active(snapshot: Snapshot, officer_id: str) -> Officer | None:
    officer = snapshot.officers.get(officer_id)
    return officer if officer is not None and officer.active else None


def room_conditions(snapshot: Snapshot, policy: DistrictPolicy) -> list[Condition]:
    """R-PER-2: a mobile room has 1 full-time officer + 2 auxiliaries, any other room 1 + 1 (policy)."""
    staffing = policy.staffing
    found = []
    for room in snapshot.rooms.values():
        if not room.active:
            continue
        officers: set[str] = set()
        auxiliaries: set[str] = set()
        for posting in snapshot.open_postings:
            if posting.room_id != room.room_id or _active(snapshot, posting.officer_id) is None:
                continue
            if posting.role in POLICE_ROLES and posting.full_time:
                officers.add(posting.officer_id)
            elif posting.role in AUXILIARY_ROLES:
                auxiliaries.add(posting.officer_id)
        mobile = room.kind is RoomKind.MOBILE
        need_officers = staffing.mobile_room_officers if mobile else staffing.room_officers
        need_auxiliaries = staffing.mobile_room_auxiliaries if mobile else staffing.room_auxiliaries
        label = "mobile room" if mobile else "room"
        for what, have, need in (
            ("officers", officers, need_officers),
            ("auxiliaries", auxiliaries, need_auxiliaries),
        ):
            if len(have) < need:
                full_time = "full-time officers" if what == "officers" else what
                found.append(
                    Condition(
                        FindingKind.ROOM_UNDERSTAFFED,
                        key=f"room_understaffed/{room.room_id}/{what}",
                        station_id=room.station_id,
                        room_id=room.room_id,
                        actual_value=len(have),
                        required_value=need,
                        detail=(
                            f"{label} {room.name or room.room_id} has {len(have)} {full_time}, needs {need}"
                        ),
                    )
                )
    return found


def full_time_conditions(snapshot: Snapshot) -> list[Condition]:
    """R-PER-3: full-time room officers hold no other room posting and no station duty."""
    found = []
    for posting in snapshot.open_postings:
        if not (posting.full_time and posting.room_id) or _active(snapshot, posting.officer_id) is None:
            continue
        others = [
            other
            for other in snapshot.open_postings
            if other.officer_id == posting.officer_id
            and other.posting_id != posting.posting_id
            and takes_away(posting, other.room_id, other.zone_code, other.village_id)
        ]
        if others:
            where = ", ".join(sorted(o.room_id or f"station {o.station_id}" for o in others))
            found.append(
                Condition(
                    FindingKind.ROOM_OFFICER_NOT_FULL_TIME,
                    key=f"not_full_time/{posting.officer_id}/{posting.room_id}",
                    station_id=posting.station_id,
                    room_id=posting.room_id,
                    officer_id=posting.officer_id,
                    actual_value=len(others),
                    required_value=0,
                    detail=f"full-time officer of room {posting.room_id} also posted to {where}",
                )
            )
    return found


def zone_conditions(snapshot: Snapshot, policy: DistrictPolicy) -> list[Condition]:
    """R-PER-4: an urban community officer covers ~5,000 actual residents; the county model is 1
    officer + 2 auxiliaries per 10,000. ``actual_value`` is the population, ``required_value`` the most
    the zone's staff covers."""
    staffing = policy.staffing
    found = []
    for zone in snapshot.zones.values():
        population = zone.actual_population
        if zone.retired or population <= 0:
            continue
        postings = [
            p
            for p in snapshot.open_postings
            if p.zone_code == zone.zone_code and _active(snapshot, p.officer_id)
        ]
        if policy.urban_district:
            officers = {p.officer_id for p in postings if p.role is OfficerRole.COMMUNITY_OFFICER}
            checks: list[tuple[str, int, float]] = [
                ("community officers", len(officers), staffing.urban_residents_per_community_officer)
            ]
        else:
            police = {p.officer_id for p in postings if p.role in POLICE_ROLES}
            auxiliaries = {p.officer_id for p in postings if p.role in AUXILIARY_ROLES}
            checks = [
                ("officers", len(police), 10_000 / staffing.county_officers_per_10k),
                ("auxiliaries", len(auxiliaries), 10_000 / staffing.county_auxiliaries_per_10k),
            ]
        for what, count, residents_each in checks:
            capacity = count * residents_each
            if population > capacity:
                found.append(
                    Condition(
                        FindingKind.POPULATION_RATIO_EXCEEDED,
                        key=f"population_ratio/{zone.zone_code}/{what.replace(' ', '_')}",
                        station_id=zone.station_id,
                        zone_code=zone.zone_code,
                        actual_value=population,
                        required_value=capacity,
                        detail=(
                            f"zone {zone.zone_code}: {population:,} actual residents, {count} {what} "
                            f"cover {capacity:,.0f} ({residents_each:,.0f} each)"
                        ),
                    )
                )
    return found


def station_minimum(kind: StationKind, policy: DistrictPolicy) -> int:
    staffing = policy.staffing
    return {
        StationKind.URBAN: staffing.station_min_officers_urban,
        StationKind.TOWN: staffing.station_min_officers_town,
        StationKind.TOWNSHIP: staffing.station_min_officers_township,
    }[kind]


def station_conditions(snapshot: Snapshot, policy: DistrictPolicy) -> list[Condition]:
    """R-PER-4: station headcount floors (urban ≥ 20, town ≥ 10, township ≥ 5 police officers) and the
    stations' share of the bureau's force (≥ 50 % urban district, ≥ 40 % county)."""
    police = [o for o in snapshot.officers.values() if o.active and o.is_police]
    found = []
    for station in snapshot.stations.values():
        if station.kind is None:
            continue
        headcount = sum(1 for o in police if o.station_id == station.station_id)
        minimum = station_minimum(station.kind, policy)
        if headcount < minimum:
            found.append(
                Condition(
                    FindingKind.STATION_HEADCOUNT_LOW,
                    key=f"station_headcount/{station.station_id}",
                    station_id=station.station_id,
                    actual_value=headcount,
                    required_value=minimum,
                    detail=(
                        f"{station.kind.value} station {station.name or station.station_id} has {headcount} "
                        f"police officers, needs {minimum}"
                    ),
                )
            )
    if police:
        at_stations = sum(1 for o in police if o.station_id)
        share = at_stations / len(police)
        required = (
            policy.staffing.station_share_of_force_urban_district
            if policy.urban_district
            else policy.staffing.station_share_of_force_county
        )
        if share < required:
            found.append(
                Condition(
                    FindingKind.STATION_FORCE_SHARE_LOW,
                    key="station_force_share",
                    actual_value=round(share, 4),
                    required_value=required,
                    detail=(
                        f"stations hold {at_stations} of {len(police)} police officers ({share:.0%}), "
                        f"need {required:.0%}"
                    ),
                )
            )
    return found


def village_conditions(snapshot: Snapshot, policy: DistrictPolicy, today: date) -> list[Condition]:
    """R-PER-5: one liaison officer and one resident auxiliary per administrative village; R-PER-7: the
    auxiliary rotates when the district's rotation period is up."""
    del policy  # the rotation due date was fixed from policy when the auxiliary was assigned
    found = []
    for assignment in snapshot.villages:
        village = assignment.village
        if not village.needs_liaison_and_auxiliary:
            continue
        name = village.name or village.village_id
        if not assignment.liaison_officer_id:
            found.append(
                Condition(
                    FindingKind.BLANK_VILLAGE,
                    key=f"blank_village/{village.village_id}",
                    actual_value=0,
                    required_value=1,
                    detail=f"{name} has no liaison officer (空白村)",
                    station_id=village.station_id,
                    zone_code=village.zone_code,
                    village_id=village.village_id,
                )
            )
        if not assignment.auxiliary_id:
            found.append(
                Condition(
                    FindingKind.VILLAGE_WITHOUT_AUXILIARY,
                    key=f"village_without_auxiliary/{village.village_id}",
                    actual_value=0,
                    required_value=1,
                    detail=f"{name} has no resident auxiliary",
                    station_id=village.station_id,
                    zone_code=village.zone_code,
                    village_id=village.village_id,
                )
            )
        elif assignment.auxiliary_rotation_due is not None and assignment.auxiliary_rotation_due <= today:
            found.append(
                Condition(
                    FindingKind.AUXILIARY_ROTATION_DUE,
                    key=f"rotation_due/{village.village_id}/{assignment.auxiliary_id}",
                    officer_id=assignment.auxiliary_id,
                    actual_value=(today - (assignment.auxiliary_since or today)).days,
                    required_value=(
                        assignment.auxiliary_rotation_due - (assignment.auxiliary_since or today)
                    ).days,
                    detail=(
                        f"resident auxiliary {assignment.auxiliary_id} of {name} was due to rotate on "
                        f"{assignment.auxiliary_rotation_due}"
                    ),
                    station_id=village.station_id,
                    zone_code=village.zone_code,
                    village_id=village.village_id,
                )
            )
    return found


def structural_conditions(
    snapshot: Snapshot, policy: DistrictPolicy, today: date, kinds: frozenset[FindingKind] = STRUCTURAL_KINDS
) -> list[Condition]:
    found: list[Condition] = []
    if FindingKind.ROOM_UNDERSTAFFED in kinds:
        found += room_conditions(snapshot, policy)
    if FindingKind.ROOM_OFFICER_NOT_FULL_TIME in kinds:
        found += full_time_conditions(snapshot)
    if kinds & ZONE_KINDS:
        found += zone_conditions(snapshot, policy)
    if kinds & STATION_KINDS:
        found += station_conditions(snapshot, policy)
    if kinds & VILLAGE_KINDS:
        found += village_conditions(snapshot, policy, today)
    return [c for c in found if c.kind in kinds]


def compliance_conditions(
    months: Iterable[VillageMonth], weeks: Iterable[CommunityWeek], officers: Mapping[str, Officer]
) -> list[Condition]:
    """R-PER-8: a liaison month with fewer village days than required (one day of two is a finding);
    R-PER-9: a community week with fewer hours than required (19.5 of 20 is a finding)."""
    found = []
    for month in months:
        if month.short:
            officer = officers.get(month.officer_id)
            found.append(
                Condition(
                    FindingKind.VILLAGE_DAYS_SHORT,
                    key=f"village_days/{month.officer_id}/{month.village_id}/{month.month.start.isoformat()}",
                    station_id=officer.station_id if officer else "",
                    village_id=month.village_id,
                    officer_id=month.officer_id,
                    period=month.month,
                    actual_value=month.days_present,
                    required_value=month.required_days,
                    detail=(
                        f"{month.days_present} of {month.required_days} days in village {month.village_id} "
                        f"in {month.month.start:%Y-%m}"
                    ),
                )
            )
    for week in weeks:
        if week.short:
            officer = officers.get(week.officer_id)
            found.append(
                Condition(
                    FindingKind.COMMUNITY_HOURS_SHORT,
                    key=f"community_hours/{week.officer_id}/{week.week.start.isoformat()}",
                    station_id=officer.station_id if officer else "",
                    zone_code=week.zone_code,
                    officer_id=week.officer_id,
                    period=week.week,
                    actual_value=round(week.hours, 2),
                    required_value=week.required_hours,
                    detail=(
                        f"{week.hours:g} of {week.required_hours:g} hours in the community in the week of "
                        f"{week.week.start}"
                    ),
                )
            )
    return found
