"""Use cases of the territory: stations, zones, villages (R-ORG-1..5) and zone re-division (R-ORG-3)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from jingwu.rooms.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import AlreadyExists, NotFound, RuleViolation
from jingwu_platform.outbox import OutboxRelay
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.proto_values import timestamp

from jingwu_rooms.adapters.proto_mapping import (
    handover_to_proto,
    station_to_proto,
    village_to_proto,
    zone_to_proto,
)
from jingwu_rooms.adapters.redivision_repository import MongoRedivisionRepository
from jingwu_rooms.adapters.repository import MongoRoomRepository
from jingwu_rooms.adapters.territory_repository import MongoTerritoryRepository
from jingwu_rooms.application.rooms import EventFactory, retry_on_conflict, utc_now
from jingwu_rooms.domain.model import HandoverItem
from jingwu_rooms.domain.redivision import (
    Redivision,
    RoomMove,
    plan_redivision,
    room_move,
    validate_redivision,
)
from jingwu_rooms.domain.territory import (
    Station,
    StationDraft,
    Village,
    VillageDraft,
    VillageLevel,
    Zone,
    ZoneDraft,
    check_community_naming,
    new_station,
    new_zone,
    place_village,
    validate_village_draft,
    validate_zone_draft,
)

log = logging.getLogger(__name__)


class TerritoryApplication:
    def __init__(
        self,
        district: str,
        territory: MongoTerritoryRepository,
        rooms: MongoRoomRepository,
        redivisions: MongoRedivisionRepository,
        relay: OutboxRelay,
    ) -> None:
        self.district = district
        self._territory = territory
        self._rooms = rooms
        self._redivisions = redivisions
        self._relay = relay
        self._events = EventFactory(district)

    # --- stations (R-ORG-1, R-ORG-4) ------------------------------------------------------------------

    async def create_station(self, draft: StationDraft, station_id: str, *, caller: Caller) -> Station:
        """A repeated create with the same client-chosen id and content returns the stored station."""
        now = utc_now()
        station = new_station(draft, station_id=station_id or str(uuid.uuid4()), at=now, by=caller.subject)
        event = events_pb2.StationCreated(
            district_code=self.district, station=station_to_proto(station), occur_time=timestamp(now)
        )
        if await self._territory.add_station(station, self._events(event, station.station_id)):
            self._relay.notify()
            return station
        existing = await self.get_station(station.station_id)
        if not existing.same_content(station):
            raise AlreadyExists("station", station.station_id)
        return existing

    async def get_station(self, station_id: str) -> Station:
        station = await self._territory.get_station(station_id)
        if station is None:
            raise NotFound("station", station_id)
        return station

    async def list_stations(self, *, page_size: int, page_token: str) -> tuple[list[Station], str]:
        limit = page_limit(page_size)
        stations = await self._territory.list_stations(after_id=page_token, limit=limit)
        return stations, next_page_token(stations, limit, key=lambda s: s.station_id)

    # --- zones (R-ORG-2, R-ORG-3) -----------------------------------------------------------------------

    async def create_zone(self, draft: ZoneDraft, *, caller: Caller) -> Zone:
        validate_zone_draft(draft, self.district)
        await self.get_station(draft.station_id)
        existing = await self._territory.get_zone(draft.zone_code)
        if existing is not None:
            if not existing.retired and existing.matches(draft):
                return existing  # the same create repeated
            raise AlreadyExists("zone", draft.zone_code)  # R-ORG-2: unique per district, never reused
        same_community = await self._territory.active_zones(community_name=draft.community_name.strip())
        check_community_naming(draft, same_community)
        now = utc_now()
        zone = new_zone(draft, at=now, by=caller.subject)
        event = events_pb2.ZoneCreated(
            district_code=self.district, zone=zone_to_proto(zone), occur_time=timestamp(now)
        )
        clash = await self._territory.add_zone(zone, self._events(event, zone.zone_code))
        if clash == "code":
            raise AlreadyExists("zone", zone.zone_code)
        if clash == "name":  # a concurrent create took the name first
            raise RuleViolation(
                "R-ORG-2", f"zones/{zone.zone_code}", f"an active zone is already named {zone.name}"
            )
        self._relay.notify()
        return zone

    async def get_zone(self, zone_code: str) -> Zone:
        zone = await self._territory.get_zone(zone_code)
        if zone is None:
            raise NotFound("zone", zone_code)
        return zone

    async def list_zones(
        self, *, station_id: str, include_retired: bool, page_size: int, page_token: str
    ) -> tuple[list[Zone], str]:
        limit = page_limit(page_size)
        zones = await self._territory.list_zones(
            station_id=station_id, include_retired=include_retired, after_code=page_token, limit=limit
        )
        return zones, next_page_token(zones, limit, key=lambda z: z.zone_code)

    # --- villages (R-ORG-1, R-ORG-5) ------------------------------------------------------------------

    async def register_village(self, draft: VillageDraft, village_id: str, *, caller: Caller) -> Village:
        validate_village_draft(draft, self.district, village_id)
        parent = None
        if draft.level is VillageLevel.NATURAL:
            parent = await self._territory.get_village(draft.parent_village_id)
        zone_code = draft.zone_code or (parent.zone_code if parent else "")
        zone = await self.get_zone(zone_code) if zone_code else None
        if zone is None and draft.station_id:
            await self.get_station(draft.station_id)
        now = utc_now()
        village = place_village(
            draft,
            village_id=village_id or str(uuid.uuid4()),
            parent=parent,
            zone=zone,
            at=now,
            by=caller.subject,
        )
        event = events_pb2.VillageRegistered(
            district_code=self.district, village=village_to_proto(village), occur_time=timestamp(now)
        )
        if await self._territory.add_village(village, self._events(event, village.village_id)):
            self._relay.notify()
            return village
        existing = await self._territory.get_village(village.village_id)
        if existing is None or not existing.same_content(village):
            raise AlreadyExists("village", village.village_id)
        return existing

    async def list_villages(
        self,
        *,
        zone_code: str,
        station_id: str,
        level: VillageLevel | None,
        parent_village_id: str,
        page_size: int,
        page_token: str,
    ) -> tuple[list[Village], str]:
        limit = page_limit(page_size)
        villages = await self._territory.list_villages(
            zone_code=zone_code,
            station_id=station_id,
            level=level,
            parent_village_id=parent_village_id,
            after_id=page_token,
            limit=limit,
        )
        return villages, next_page_token(villages, limit, key=lambda v: v.village_id)

    # --- re-division (R-ORG-3) --------------------------------------------------------------------------

    async def redivide_zones(
        self, from_zone_codes: Sequence[str], to_zones: Sequence[ZoneDraft], reason: str, *, caller: Caller
    ) -> tuple[Redivision, tuple[HandoverItem, ...]]:
        """Plan (refusing anything that would orphan a record), store the plan, then apply it."""
        validate_redivision(from_zone_codes, to_zones, reason, self.district)
        for station_id in dict.fromkeys(d.station_id for d in to_zones):
            await self.get_station(station_id)
        dissolved = await self._territory.get_zones(from_zone_codes)
        for code in from_zone_codes:
            if code not in dissolved:
                raise NotFound("zone", code)
        communities = [c for z in dissolved.values() for c in z.community_ids] + [
            c for d in to_zones for c in d.community_ids
        ]
        now = utc_now()
        plan = plan_redivision(
            redivision_id=str(uuid.uuid4()),
            reason=reason.strip(),
            dissolved=[dissolved[code] for code in from_zone_codes],
            to_zones=to_zones,
            active_zones=await self._territory.active_zones(),
            villages=await self._territory.villages_for_redivision(from_zone_codes, communities),
            rooms=await self._rooms.live_in_zones(from_zone_codes),
            taken_codes=await self._territory.existing_zone_codes([d.zone_code for d in to_zones]),
            at=now,
            by=caller.subject,
        )
        await self._redivisions.add(plan, at=now, by=caller.subject)
        handover = await self._apply(plan, [dissolved[code] for code in from_zone_codes], by=caller.subject)
        return plan, handover

    async def _apply(
        self, plan: Redivision, dissolved: Sequence[Zone], *, by: str
    ) -> tuple[HandoverItem, ...]:
        """Every step is idempotent, so a crash anywhere is completed by running this again."""
        rid = plan.redivision_id
        claimed: list[Zone] = []
        for zone in dissolved:  # the claim is the lock: a zone is dissolved by one re-division only
            if not await self._territory.retire_zone(zone.zone_code, rid, plan.successors[zone.zone_code]):
                await self._abandon(plan, claimed)
                raise RuleViolation(
                    "R-ORG-3", f"zones/{zone.zone_code}", f"zone {zone.zone_code} was re-divided concurrently"
                )
            claimed.append(zone)
        for zone in plan.new_zones:
            clash = await self._territory.add_zone(zone, [])
            existing = await self._territory.get_zone(zone.zone_code) if clash else None
            if existing is not None and existing.created_by_redivision_id == rid:
                continue  # inserted by an earlier attempt
            if clash:
                await self._abandon(plan, claimed)
                if clash == "code":
                    raise AlreadyExists("zone", zone.zone_code)
                raise RuleViolation(
                    "R-ORG-2", f"zones/{zone.zone_code}", f"an active zone is already named {zone.name}"
                )
        for move in plan.village_moves:
            await self._territory.move_village(
                move.village_id, move.from_zone_code, move.to_zone_code, move.to_station_id
            )
        late = await self._move_rooms(plan, by=by)
        handover = (*plan.handover, *(item for move in late for item in _room_items(move)))
        if late:
            await self._redivisions.record_room_moves(rid, late, [i for m in late for i in _room_items(m)])
        event = events_pb2.ZonesRedivided(
            district_code=self.district,
            redivision_id=rid,
            from_zone_codes=list(plan.from_zone_codes),
            to_zone_codes=[z.zone_code for z in plan.new_zones],
            community_to_zone=plan.community_to_zone,
            handover=handover_to_proto(handover),
            occur_time=timestamp(utc_now()),
            new_zones=[zone_to_proto(z) for z in plan.new_zones],
            reason=plan.reason,
        )
        if await self._redivisions.finish(rid, self._events(event, rid)):
            self._relay.notify()
        return handover

    async def _abandon(self, plan: Redivision, claimed: Sequence[Zone]) -> None:
        for zone in claimed:
            await self._territory.unretire_zone(zone, plan.redivision_id)
        await self._territory.zones.delete_many({"created_by_redivision_id": plan.redivision_id})
        await self._redivisions.abandon(plan.redivision_id)

    async def _move_rooms(self, plan: Redivision, *, by: str) -> list[RoomMove]:
        """Re-home every live room still on a dissolved zone, including rooms opened after planning;
        returns the moves the plan did not foresee."""
        planned = {m.room_id for m in plan.room_moves}
        late: list[RoomMove] = []
        for found in await self._rooms.live_in_zones(plan.from_zone_codes):
            village = await self._territory.get_village(found.village_id) if found.village_id else None

            async def attempt(
                room_id: str = found.room_id, village: Village | None = village
            ) -> RoomMove | None:
                room = await self._rooms.get(room_id)
                if room is None:  # pragma: no cover - rooms are never deleted
                    return RoomMove(room_id, (), (), ())
                move = room_move(
                    room,
                    plan.successors,
                    plan.community_to_zone,
                    {village.village_id: village} if village else None,
                )
                if move is None:
                    return RoomMove(room_id, (), (), ())  # moved by an earlier attempt
                detail = "; ".join(f"{old} → {', '.join(news)}" for old, news in move.replacements)
                moved = room.with_zone_codes(
                    move.to_zone_codes, f"{plan.redivision_id}: {detail}", utc_now(), by
                )
                return move if await self._rooms.save(moved, []) else None

            move = await retry_on_conflict(attempt, f"room {found.room_id}")
            if move.replacements and found.room_id not in planned:
                late.append(move)
        return late

    async def resume_redivisions(self) -> None:
        """At start: complete re-divisions a crash interrupted (their event goes out only now)."""
        for plan in await self._redivisions.applying():
            zones = await self._territory.get_zones(plan.from_zone_codes)
            try:
                await self._apply(
                    plan, [zones[c] for c in plan.from_zone_codes if c in zones], by="system:rooms"
                )
                log.info("interrupted re-division completed", extra={"redivision_id": plan.redivision_id})
            except (RuleViolation, AlreadyExists):
                log.warning(
                    "interrupted re-division abandoned",
                    exc_info=True,
                    extra={"redivision_id": plan.redivision_id},
                )


def _room_items(move: RoomMove) -> list[HandoverItem]:
    return [HandoverItem("room", move.room_id, old, new) for old, news in move.replacements for new in news]
