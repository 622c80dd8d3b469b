"""R-ROOM-4 "three must-builds" and "every room has an officer": the coverage report. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from jingwu_rooms.domain.model import Room, RoomKind, RoomStatus
from jingwu_rooms.domain.staff import RoomPosting
from jingwu_rooms.domain.territory import Village

# A must-build village needs a police room proper. A contact point (R-ORG-5: ordinary villages), an
# auxiliary workroom (no officer) and a mobile room (a vehicle, not "in" the village) do not count.
ROOM_KINDS_THAT_COVER = frozenset(
    {
        RoomKind.URBAN_HOME_STYLE,
        RoomKind.URBAN_ONE_ZONE_ONE_OFFICER,
        RoomKind.RURAL_LINKED_CLUSTER,
        RoomKind.KEY_VILLAGE,
    }
)


class MustBuild(StrEnum):
    SECURITY_COMPLEX_CENTRAL = "security_complex_central"  # (a) 治安复杂的中心村
    FORMER_TOWNSHIP_SEAT = "former_township_seat"  # (b) 撤并乡镇的原驻地
    REMOTE_FROM_STATION = "remote_from_station"  # (c) 距派出所较远的社区、村


class Finding(StrEnum):
    MUST_BUILD_VILLAGE_WITHOUT_ROOM = "must_build_village_without_room"
    ROOM_WITHOUT_OFFICER = "room_without_officer"


@dataclass(frozen=True)
class CoverageGap:
    finding: Finding
    name: str
    village_id: str = ""
    room_id: str = ""
    reasons: tuple[MustBuild, ...] = ()


@dataclass(frozen=True)
class CoverageReport:
    villages_requiring_room: int
    villages_covered: int
    coverage_ratio: float
    gaps: tuple[CoverageGap, ...]


def must_build_reasons(village: Village) -> tuple[MustBuild, ...]:
    """R-ROOM-4 (a)(b)(c): which of the three must-build rules require a room in this village."""
    flags = (
        (village.security_complex_central, MustBuild.SECURITY_COMPLEX_CENTRAL),
        (village.former_township_seat, MustBuild.FORMER_TOWNSHIP_SEAT),
        (village.remote_from_station, MustBuild.REMOTE_FROM_STATION),
    )
    return tuple(reason for flag, reason in flags if flag)


def room_is_staffed(room: Room, postings: Sequence[RoomPosting]) -> bool:
    """R-ROOM-4 一室一警: at least one police officer; an auxiliary workroom is staffed by its auxiliary."""
    if room.kind is RoomKind.AUXILIARY_WORKROOM:
        return bool(postings)
    return any(p.police_officer for p in postings)


def coverage_report(
    villages: Sequence[Village], rooms: Sequence[Room], postings_by_room: Mapping[str, Sequence[RoomPosting]]
) -> CoverageReport:
    """Every village the must-build rules require a room for that has no active room, and every active
    room without an officer. Target coverage is 100 % (ratio 1.0 also when no village requires one)."""
    active = [r for r in rooms if r.status is RoomStatus.ACTIVE]
    villages_with_room = {r.village_id for r in active if r.kind in ROOM_KINDS_THAT_COVER and r.village_id}
    gaps: list[CoverageGap] = []
    requiring = covered = 0
    for village in sorted(villages, key=lambda v: v.village_id):
        reasons = must_build_reasons(village)
        if not reasons:
            continue
        requiring += 1
        if village.village_id in villages_with_room:
            covered += 1
        else:
            gaps.append(
                CoverageGap(
                    Finding.MUST_BUILD_VILLAGE_WITHOUT_ROOM,
                    village.name,
                    village_id=village.village_id,
                    reasons=reasons,
                )
            )
    for room in sorted(active, key=lambda r: r.room_id):
        if not room_is_staffed(room, postings_by_room.get(room.room_id, ())):
            gaps.append(
                CoverageGap(
                    Finding.ROOM_WITHOUT_OFFICER, room.name, room_id=room.room_id, village_id=room.village_id
                )
            )
    ratio = covered / requiring if requiring else 1.0
    return CoverageReport(requiring, covered, ratio, tuple(gaps))
