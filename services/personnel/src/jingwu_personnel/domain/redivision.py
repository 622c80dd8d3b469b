"""How the open postings of dissolved zones follow a zone re-division of the room registry (R-ORG-3:
nothing orphaned, nothing guessed). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.territory import RoomView, VillageView, ZoneView


@dataclass(frozen=True)
class HandoverItem:
    """One record the registry's hand-over list places in a new zone."""

    record_type: str  # "posting", "village", "room", ...
    record_id: str
    from_zone_code: str = ""
    to_zone_code: str = ""


@dataclass(frozen=True)
class ZoneRedivision:
    """A re-division as the registry announced it (jingwu.rooms.v1.ZonesRedivided)."""

    redivision_id: str
    from_zone_codes: frozenset[str]
    to_zone_codes: tuple[str, ...]
    community_to_zone: Mapping[str, str]
    handover: tuple[HandoverItem, ...] = ()
    new_zones: tuple[ZoneView, ...] = ()

    def handed_over(self, record_type: str) -> list[HandoverItem]:
        return [item for item in self.handover if item.record_type == record_type]

    @property
    def retired_zone_codes(self) -> list[str]:
        """The dissolved zones that are not also among the new ones."""
        return sorted(self.from_zone_codes - set(self.to_zone_codes))


@dataclass(frozen=True)
class RedivisionPlan:
    """Where each posting of a dissolved zone goes (R-ORG-3: nothing orphaned)."""

    moves: Mapping[str, str]  # posting id -> new zone code
    unmapped: tuple[str, ...]  # posting ids the hand-over list does not place


def plan_redivision(
    postings: Sequence[Posting],
    *,
    from_zones: frozenset[str],
    to_zones: Sequence[str],
    community_to_zone: Mapping[str, str],
    handover: Mapping[str, str],
    zones: Mapping[str, ZoneView],
    rooms: Mapping[str, RoomView],
    villages: Mapping[str, VillageView],
) -> RedivisionPlan:
    """R-ORG-3: re-home each open posting of a dissolved zone.

    In order: the hand-over list names the posting; the posting's village (or its administrative
    village) is in the community→zone map; its room's village is; all communities of its old zone go
    to one new zone; the re-division has exactly one new zone. Anything else is reported unmapped,
    so the caller refuses the event rather than guess.
    """
    moves: dict[str, str] = {}
    unmapped: list[str] = []
    for posting in postings:
        if not posting.open or posting.zone_code not in from_zones:
            continue
        target = _target_zone(
            posting,
            to_zones=to_zones,
            community_to_zone=community_to_zone,
            handover=handover,
            zones=zones,
            rooms=rooms,
            villages=villages,
        )
        if target is None:
            unmapped.append(posting.posting_id)
        elif target != posting.zone_code:
            moves[posting.posting_id] = target
    return RedivisionPlan(moves=moves, unmapped=tuple(unmapped))


def _target_zone(
    posting: Posting,
    *,
    to_zones: Sequence[str],
    community_to_zone: Mapping[str, str],
    handover: Mapping[str, str],
    zones: Mapping[str, ZoneView],
    rooms: Mapping[str, RoomView],
    villages: Mapping[str, VillageView],
) -> str | None:
    if posting.posting_id in handover:
        return handover[posting.posting_id]
    candidates = [posting.village_id]
    village = villages.get(posting.village_id)
    if village is not None:
        candidates.append(village.parent_village_id)
    room = rooms.get(posting.room_id)
    if room is not None:
        candidates.append(room.village_id)
    for community in candidates:
        if community and community in community_to_zone:
            return community_to_zone[community]
    zone = zones.get(posting.zone_code)
    if zone is not None and zone.community_ids:
        targets = {community_to_zone.get(c) for c in zone.community_ids}
        if len(targets) == 1 and None not in targets:
            return targets.pop()
    if len(set(to_zones)) == 1:
        return to_zones[0]
    return None
