"""R-ORG-3 zone re-division: split or merge zones and hand over every record with an itemised list
(交接清单). Nothing may be orphaned: every community of a dissolved zone lands in exactly one new zone,
every village and live room of a dissolved zone follows it. Pure: no I/O, no protobuf.

The room registry moves its own records (villages, rooms); other services re-home theirs (postings,
houses, residents) from the community → zone map in the ZonesRedivided event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from jingwu_platform.errors import AlreadyExists, RuleViolation, Validator
from jingwu_platform.shared_kernel import check_required, check_zone_code

from jingwu_rooms.domain.model import REASON_MAX_LENGTH, HandoverItem, Room
from jingwu_rooms.domain.territory import (
    Village,
    VillageLevel,
    Zone,
    ZoneDraft,
    check_community_naming,
    check_zone_draft,
    new_zone,
)


@dataclass(frozen=True)
class RoomMove:
    room_id: str
    from_zone_codes: tuple[str, ...]
    to_zone_codes: tuple[str, ...]
    # dissolved code → the new codes that replace it on this room
    replacements: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class VillageMove:
    village_id: str
    from_zone_code: str
    to_zone_code: str
    to_station_id: str


class RedivisionStatus(StrEnum):
    """A stored plan is ``applying`` until every record moved (``done``) or it was given up."""

    APPLYING = "applying"
    DONE = "done"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class Redivision:
    """The plan of one re-division, stored before any record moves (a long command as a plan)."""

    redivision_id: str
    reason: str
    from_zone_codes: tuple[str, ...]
    new_zones: tuple[Zone, ...]
    community_to_zone: dict[str, str]
    # dissolved code → new codes that take over its records (for rooms found after planning too)
    successors: dict[str, tuple[str, ...]]
    room_moves: tuple[RoomMove, ...]
    village_moves: tuple[VillageMove, ...]
    handover: tuple[HandoverItem, ...]
    status: RedivisionStatus = RedivisionStatus.APPLYING
    created_by: str = ""
    created_at: datetime | None = None
    version: int = 0

    @property
    def applying(self) -> bool:
        return self.status is RedivisionStatus.APPLYING

    def finished(self, late_room_moves: Sequence[RoomMove] = ()) -> Redivision:
        """applying → done. Rooms found while applying (opened after planning) join the plan's lists,
        so the hand-over names every record that moved (R-ORG-3)."""
        items = [item for move in late_room_moves for item in room_items(move)]
        return replace(
            self,
            status=RedivisionStatus.DONE,
            room_moves=(*self.room_moves, *late_room_moves),
            handover=(*self.handover, *items),
        )

    def abandoned(self) -> Redivision:
        return replace(self, status=RedivisionStatus.ABANDONED)


def room_items(move: RoomMove) -> list[HandoverItem]:
    """The hand-over items of one room's move: one per replaced zone and successor."""
    return [HandoverItem("room", move.room_id, old, new) for old, news in move.replacements for new in news]


def validate_redivision(
    from_zone_codes: Sequence[str], to_zones: Sequence[ZoneDraft], reason: str, district: str
) -> None:
    """Field checks, including that no community is given to two new zones."""
    v = Validator()
    if v.check(bool(from_zone_codes), "from_zone_codes", "name the zones to dissolve"):
        for index, code in enumerate(from_zone_codes):
            check_zone_code(v, f"from_zone_codes[{index}]", code, district)
        v.check(
            len(set(from_zone_codes)) == len(from_zone_codes), "from_zone_codes", "zone codes must not repeat"
        )
    owner: dict[str, int] = {}
    codes: dict[str, int] = {}
    if v.check(bool(to_zones), "to_zones", "name the zones to create"):
        for i, draft in enumerate(to_zones):
            check_zone_draft(v, draft, district, prefix=f"to_zones[{i}].")
            if draft.zone_code in codes:
                v.add(
                    f"to_zones[{i}].zone_code",
                    f"zone {draft.zone_code} is also to_zones[{codes[draft.zone_code]}]",
                )
            codes.setdefault(draft.zone_code, i)
            for k, community_id in enumerate(draft.community_ids):
                # R-ORG-3: a community lands in exactly one new zone.
                if community_id in owner and owner[community_id] != i:
                    v.add(
                        f"to_zones[{i}].community_ids[{k}]",
                        f"community {community_id} is already in to_zones[{owner[community_id]}] (R-ORG-3)",
                    )
                owner.setdefault(community_id, i)
    check_required(v, "reason", reason, max_length=REASON_MAX_LENGTH)
    v.raise_if_any()


def plan_redivision(
    *,
    redivision_id: str,
    reason: str,
    dissolved: Sequence[Zone],
    to_zones: Sequence[ZoneDraft],
    active_zones: Sequence[Zone],
    villages: Sequence[Village],
    rooms: Sequence[Room],
    taken_codes: Sequence[str],
    at: datetime,
    by: str,
) -> Redivision:
    """Decide where every record goes, or refuse naming the first record that would be orphaned.

    ``active_zones`` are the district's zones that are not retired (including the dissolved ones);
    ``villages`` the villages in the dissolved zones or named by the new ones (with their natural
    villages); ``rooms`` the live rooms serving a dissolved zone; ``taken_codes`` those of the new codes
    already used by some zone, active or retired (codes are never reused: old ledgers cite them).
    """
    for zone in dissolved:
        if zone.retired:
            raise RuleViolation(
                "R-ORG-3", _zone(zone.zone_code), f"zone {zone.zone_code} was already dissolved"
            )
    if taken_codes:
        raise AlreadyExists("zone", taken_codes[0])  # R-ORG-2: codes are unique per district, never reused
    dissolved_codes = tuple(z.zone_code for z in dissolved)
    new_code_of = {community: draft.zone_code for draft in to_zones for community in draft.community_ids}
    by_id = {v.village_id: v for v in villages}
    origins = _dissolved_communities(dissolved, villages, new_code_of, by_id)
    _check_taken_from_other_zones(active_zones, dissolved_codes, new_code_of)
    # R-ORG-2 naming among the zones that will be active afterwards.
    remaining = [z for z in active_zones if z.zone_code not in dissolved_codes]
    for index, draft in enumerate(to_zones):
        check_community_naming(draft, [*remaining, *to_zones[:index]])
    successors = _successors(dissolved, to_zones, origins, new_code_of)

    new_zones = tuple(new_zone(draft, at=at, by=by, redivision_id=redivision_id) for draft in to_zones)
    community_to_zone = {c: new_code_of[c] for c in sorted(new_code_of)}
    handover = [
        HandoverItem("village", c, origins.get(c) or (by_id[c].zone_code if c in by_id else ""), to_code)
        for c, to_code in community_to_zone.items()
    ]
    station_of = {z.zone_code: z.station_id for z in new_zones}
    village_moves = _village_moves(villages, dissolved_codes, new_code_of, station_of)
    handover += [
        HandoverItem("village", m.village_id, m.from_zone_code, m.to_zone_code)
        for m in village_moves
        if m.village_id not in community_to_zone  # natural villages: listed on their own
    ]
    room_moves = tuple(
        move
        for room in sorted(rooms, key=lambda r: r.room_id)
        if (move := room_move(room, successors, new_code_of, by_id))
    )
    handover += [item for move in room_moves for item in room_items(move)]
    return Redivision(
        redivision_id=redivision_id,
        reason=reason,
        from_zone_codes=dissolved_codes,
        new_zones=new_zones,
        community_to_zone=community_to_zone,
        successors=successors,
        room_moves=room_moves,
        village_moves=village_moves,
        handover=tuple(handover),
        created_by=by,
        created_at=at,
    )


def _zone(code: str) -> str:
    return f"zones/{code}"


def _dissolved_communities(
    dissolved: Sequence[Zone],
    villages: Sequence[Village],
    new_code_of: dict[str, str],
    by_id: dict[str, Village],
) -> dict[str, str]:
    """community → its dissolved zone: those the zones list, and administrative villages recorded in
    them. Each must land in a new zone (R-ORG-3)."""
    dissolved_codes = {z.zone_code for z in dissolved}
    origins: dict[str, str] = {}
    for zone in dissolved:
        for community_id in zone.community_ids:
            origins.setdefault(community_id, zone.zone_code)
    for village in villages:
        if village.level is VillageLevel.ADMINISTRATIVE and village.zone_code in dissolved_codes:
            origins.setdefault(village.village_id, village.zone_code)
    for community_id, zone_code in origins.items():
        if community_id not in new_code_of:
            name = by_id[community_id].name if community_id in by_id else community_id
            raise RuleViolation(
                "R-ORG-3",
                f"villages/{community_id}",
                f"community {name} ({community_id}) of dissolved zone {zone_code} lands in no new zone",
            )
    return origins


def _check_taken_from_other_zones(
    active_zones: Sequence[Zone], dissolved_codes: Sequence[str], new_code_of: dict[str, str]
) -> None:
    """A new zone may take in an unzoned community, never one of a zone that is not being dissolved."""
    for zone in active_zones:
        if zone.zone_code in dissolved_codes:
            continue
        for community_id in zone.community_ids:
            if community_id in new_code_of:
                raise RuleViolation(
                    "R-ORG-3",
                    f"villages/{community_id}",
                    f"community {community_id} belongs to zone {zone.zone_code}, not being re-divided",
                )


def _successors(
    dissolved: Sequence[Zone],
    to_zones: Sequence[ZoneDraft],
    origins: dict[str, str],
    new_code_of: dict[str, str],
) -> dict[str, tuple[str, ...]]:
    """Each dissolved zone's records go to the new zones that took its communities."""
    successors: dict[str, tuple[str, ...]] = {}
    for zone in dissolved:
        taken = tuple(
            dict.fromkeys(new_code_of[c] for c, origin in origins.items() if origin == zone.zone_code)
        )
        if not taken and len(to_zones) == 1:
            taken = (to_zones[0].zone_code,)
        if not taken:
            raise RuleViolation(
                "R-ORG-3",
                _zone(zone.zone_code),
                f"zone {zone.zone_code} has no communities: say which new zone takes over its records "
                "by re-dividing it on its own into one zone",
            )
        successors[zone.zone_code] = taken
    return successors


def _village_moves(
    villages: Sequence[Village],
    dissolved_codes: Sequence[str],
    new_code_of: dict[str, str],
    station_of: dict[str, str],
) -> tuple[VillageMove, ...]:
    """Communities go where the request puts them, natural villages follow their administrative village."""
    moves: list[VillageMove] = []
    for village in sorted(villages, key=lambda v: v.village_id):
        target = new_code_of.get(village.village_id)
        if target is None and village.level is VillageLevel.NATURAL:
            target = new_code_of.get(village.parent_village_id)
        if target is None and village.zone_code in dissolved_codes:
            raise RuleViolation(
                "R-ORG-3",
                f"villages/{village.village_id}",
                f"village {village.name} ({village.village_id}) of dissolved zone {village.zone_code} "
                "lands in no new zone",
            )
        if target is not None and village.zone_code != target:
            moves.append(VillageMove(village.village_id, village.zone_code, target, station_of[target]))
    return tuple(moves)


def room_move(
    room: Room,
    successors: dict[str, tuple[str, ...]],
    community_to_zone: dict[str, str],
    villages: dict[str, Village] | None = None,
) -> RoomMove | None:
    """A room serving a dissolved zone serves its successors instead; a room in a community serves the
    one new zone its community landed in (when that zone is a successor)."""
    if not any(code in successors for code in room.zone_codes):
        return None
    own_zone = community_to_zone.get(room.village_id)
    if own_zone is None and villages and room.village_id in villages:
        own_zone = community_to_zone.get(villages[room.village_id].parent_village_id)
    codes: list[str] = []
    replacements: list[tuple[str, tuple[str, ...]]] = []
    for code in room.zone_codes:
        if code not in successors:
            codes.append(code)
            continue
        news = (own_zone,) if own_zone is not None and own_zone in successors[code] else successors[code]
        replacements.append((code, news))
        codes.extend(news)
    return RoomMove(room.room_id, room.zone_codes, tuple(dict.fromkeys(codes)), tuple(replacements))
