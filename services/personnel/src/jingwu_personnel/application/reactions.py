"""Reactions to the room registry's events (jingwu.<district>.rooms.v1) and to zone populations
(jingwu.<district>.population.v1).

Each handler is idempotent for its event: read-model updates are upserts, postings moved by an event
get ids derived from the event id and the old posting, and staffing evaluation is state-based. So a
re-delivered event (the inbox mark is a second write) changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

from jingwu.population.v1 import events_pb2 as population_events
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.calendar import local_date
from jingwu_platform.events import Event, EventRejected

from jingwu_personnel.adapters.proto_mapping import ROOM_KIND, ROOM_STATUS, STATION_KIND, from_timestamp
from jingwu_personnel.application.base import Deps, posting_id
from jingwu_personnel.application.postings import PostingService
from jingwu_personnel.application.staffing import StaffingService
from jingwu_personnel.domain.postings import Posting, plan_redivision, successor_posting
from jingwu_personnel.domain.staffing import (
    ROOM_KINDS,
    STATION_KINDS,
    STRUCTURAL_KINDS,
    VILLAGE_KINDS,
    ZONE_KINDS,
    FindingKind,
)
from jingwu_personnel.domain.territory import RoomStatus, RoomView, StationView, VillageView, ZoneView

log = logging.getLogger(__name__)
SYSTEM = "system:personnel"


def _occur_day(event: Event, payload: object) -> date:
    """The local day the registry says it happened (the envelope time when the payload has none)."""
    at = from_timestamp(payload, "occur_time") or event.time
    return local_date(at)


def room_view(room: rooms_pb2.Room) -> RoomView:
    return RoomView(
        room_id=room.room_id,
        kind=ROOM_KIND.from_proto(room.kind),
        status=ROOM_STATUS.from_proto(room.status) or RoomStatus.ACTIVE,
        station_id=room.station_id,
        zone_codes=tuple(room.zone_codes),
        village_id=room.village_id,
        name=room.name,
        merged_into_room_id=room.merged_into_room_id,
    )


class RoomEventReactions:
    def __init__(self, deps: Deps, postings: PostingService, staffing: StaffingService) -> None:
        self._d = deps
        self._postings = postings
        self._staffing = staffing

    async def _evaluate(self, cause: str, kinds: frozenset[FindingKind] = STRUCTURAL_KINDS) -> None:
        await self._staffing.evaluate_structural(cause, kinds)

    async def _move(self, event: Event, posting: Posting, day: date, reason: str, **where: str) -> None:
        """R-ROOM-2 / R-ORG-3: the posting ends and a successor posting continues elsewhere, so the
        history shows both. Successor first: a crash in between leaves the old one open, and the
        re-delivered event finds the successor already there and ends the old one."""
        start = max(day, posting.start_date)
        successor = successor_posting(
            posting,
            posting_id=posting_id(start, self._d.stable_id("moved", event.event_id, posting.posting_id)),
            day=start,
            at=self._d.now(),
            by=SYSTEM,
            approval_reference=f"{event.event_type} {event.event_id}",
            **where,
        )
        await self._postings.add(successor)
        await self._postings.close(
            posting,
            start,
            reason,
            None,
            approval_reference=f"{event.event_type} {event.event_id}",
            by=SYSTEM,
            release_village=False,
        )
        # A village's liaison or auxiliary posting that moved stays the village's (R-PER-5: no blank).
        await self._postings.hand_village_slot(posting, successor)

    # --- rooms --------------------------------------------------------------------------------------

    async def on_room_opened(self, event: Event, payload: room_events.RoomOpened) -> None:
        """A room opened: it must be staffed (R-PER-2); a room without staff is a finding at once."""
        if not payload.room.room_id:
            raise EventRejected("RoomOpened without room.room_id")
        view = room_view(payload.room)
        # A late RoomOpened never reopens a room we already know as merged or closed.
        await self._d.store.upsert_room_view(
            replace(view, status=RoomStatus.ACTIVE),
            unless_status=(RoomStatus.MERGED, RoomStatus.CLOSED),
        )
        await self._evaluate("RoomOpened", ROOM_KINDS)

    async def on_room_planned(self, event: Event, payload: room_events.RoomPlanned) -> None:
        if not payload.room.room_id:
            raise EventRejected("RoomPlanned without room.room_id")
        view = room_view(payload.room)
        await self._d.store.upsert_room_view(
            replace(view, status=RoomStatus.PLANNED),
            unless_status=(RoomStatus.ACTIVE, RoomStatus.MERGED, RoomStatus.CLOSED),
        )

    async def on_rooms_merged(self, event: Event, payload: room_events.RoomsMerged) -> None:
        """R-ROOM-2: the merged rooms' postings move to the surviving room, with history kept."""
        survivor_id = payload.surviving_room_id
        merged = [r for r in payload.merged_room_ids if r and r != survivor_id]
        if not survivor_id or not merged:
            raise EventRejected("RoomsMerged needs surviving_room_id and merged_room_ids")
        store = self._d.store
        day = _occur_day(event, payload)
        survivor = await store.get_room(survivor_id)
        zones: list[str] = list(survivor.zone_codes) if survivor else []
        for room_id in merged:
            old = await store.get_room(room_id)
            zones += [z for z in (old.zone_codes if old else ()) if z not in zones]
            await store.upsert_room_view(
                RoomView(
                    room_id=room_id,
                    kind=old.kind if old else None,
                    status=RoomStatus.MERGED,
                    station_id=old.station_id if old else "",
                    zone_codes=old.zone_codes if old else (),
                    village_id=old.village_id if old else "",
                    name=old.name if old else "",
                    merged_into_room_id=survivor_id,
                )
            )
        if survivor is not None:
            # "zones and staff move to the surviving room"
            await store.upsert_room_view(replace(survivor, zone_codes=tuple(zones)))
        at_survivor = {(p.officer_id, p.role) for p in await store.open_postings(room_id=survivor_id)}
        for room_id in merged:
            for posting in await store.open_postings(room_id=room_id):
                reason = f"room {room_id} merged into {survivor_id} (R-ROOM-2)"
                if (posting.officer_id, posting.role) in at_survivor:
                    # Already posted to the surviving room in this role: only the merged posting ends.
                    await self._postings.close(
                        posting,
                        max(day, posting.start_date),
                        reason,
                        None,
                        approval_reference=event.event_id,
                        by=SYSTEM,
                    )
                    continue
                await self._move(event, posting, day, reason, room_id=survivor_id)
                at_survivor.add((posting.officer_id, posting.role))
        await self._evaluate("RoomsMerged", ROOM_KINDS | ZONE_KINDS)

    async def on_room_closed(self, event: Event, payload: room_events.RoomClosed) -> None:
        """R-ROOM-2: a room closed without successor: its postings end (published, never silently)."""
        if not payload.room_id:
            raise EventRejected("RoomClosed without room_id")
        store = self._d.store
        old = await store.get_room(payload.room_id)
        await store.upsert_room_view(
            RoomView(
                room_id=payload.room_id,
                kind=old.kind if old else None,
                status=RoomStatus.CLOSED,
                station_id=old.station_id if old else "",
                zone_codes=old.zone_codes if old else (),
                village_id=old.village_id if old else "",
                name=old.name if old else "",
            )
        )
        day = _occur_day(event, payload)
        reason = f"room {payload.room_id} closed: {payload.reason or 'no reason given'} (R-ROOM-2)"
        for posting in await store.open_postings(room_id=payload.room_id):
            await self._postings.close(
                posting,
                max(day, posting.start_date),
                reason,
                None,
                approval_reference=f"{event.event_type} {event.event_id}",
                by=SYSTEM,
            )
        await self._evaluate("RoomClosed", ROOM_KINDS | ZONE_KINDS)

    # --- territory ----------------------------------------------------------------------------------

    async def on_station_created(self, event: Event, payload: room_events.StationCreated) -> None:
        if not payload.station.station_id:
            raise EventRejected("StationCreated without station.station_id")
        station = payload.station
        await self._d.store.upsert_station_view(
            StationView(station.station_id, station.name, STATION_KIND.from_proto(station.kind))
        )
        await self._evaluate("StationCreated", STATION_KINDS)  # R-PER-4 headcount floor by station kind

    async def on_village_registered(self, event: Event, payload: room_events.VillageRegistered) -> None:
        """A registered administrative village becomes assignable; until it has its liaison officer and
        resident auxiliary, that is a finding (R-PER-5)."""
        village = payload.village
        if not village.village_id:
            raise EventRejected("VillageRegistered without village.village_id")
        await self._d.store.upsert_village_view(
            VillageView(
                village_id=village.village_id,
                name=village.name,
                administrative=village.level != rooms_pb2.VILLAGE_LEVEL_NATURAL,
                parent_village_id=village.parent_village_id,
                zone_code=village.zone_code,
                station_id=village.station_id,
                township=village.township,
                urban_community=village.urban_community,
            )
        )
        await self._evaluate("VillageRegistered", VILLAGE_KINDS)

    async def on_zone_created(self, event: Event, payload: room_events.ZoneCreated) -> None:
        """R-PER-4 needs the zone's actual population: the registry's workload figure until the
        population service reports a measured one."""
        zone = payload.zone
        if not zone.zone_code:
            raise EventRejected("ZoneCreated without zone.zone_code")
        await self._d.store.upsert_zone_view(
            ZoneView(
                zone_code=zone.zone_code,
                station_id=zone.station_id,
                community_ids=tuple(zone.community_ids),
                workload_population=zone.workload.actual_population,
                retired=zone.retired,
            )
        )
        await self._evaluate("ZoneCreated", ZONE_KINDS)

    async def on_zones_redivided(self, event: Event, payload: room_events.ZonesRedivided) -> None:
        """R-ORG-3: every open posting of a dissolved zone moves to its new zone per the hand-over list
        and the community→zone map. A posting neither places is not guessed at: the event is refused
        (dead letter, nothing changed) so the hand-over list can be completed and the event replayed."""
        from_zones = frozenset(payload.from_zone_codes)
        if not from_zones or not payload.to_zone_codes:
            raise EventRejected("ZonesRedivided needs from_zone_codes and to_zone_codes")
        store = self._d.store
        handover = {h.record_id: h.to_zone_code for h in payload.handover if h.record_type == "posting"}
        rooms = await store.room_views()
        villages = await store.village_views()
        postings = [p for p in await store.open_postings() if p.zone_code in from_zones]
        plan = plan_redivision(
            postings,
            from_zones=from_zones,
            to_zones=list(payload.to_zone_codes),
            community_to_zone=dict(payload.community_to_zone),
            handover=handover,
            zones=await store.zone_views(),
            rooms=rooms,
            villages=villages,
        )
        if plan.unmapped:
            raise EventRejected(
                f"ZonesRedivided {payload.redivision_id}: hand-over list places no new zone for posting(s) "
                f"{', '.join(plan.unmapped)} (R-ORG-3)"
            )
        # The registry's read model first: new zones (their workload), villages and rooms re-homed,
        # old zones retired.
        for zone in payload.new_zones:
            await store.upsert_zone_view(
                ZoneView(
                    zone_code=zone.zone_code,
                    station_id=zone.station_id,
                    community_ids=tuple(zone.community_ids),
                    workload_population=zone.workload.actual_population,
                )
            )
        for village_id, zone_code in payload.community_to_zone.items():
            if village_id in villages:
                await store.set_village_zone(village_id, zone_code)
        for item in payload.handover:
            if item.record_type == "village" and item.record_id in villages:
                await store.set_village_zone(item.record_id, item.to_zone_code)
            if item.record_type == "room" and item.record_id in rooms:
                room = rooms[item.record_id]
                codes = [item.to_zone_code if z == item.from_zone_code else z for z in room.zone_codes]
                await store.upsert_room_view(replace(room, zone_codes=tuple(dict.fromkeys(codes))))
        await store.retire_zones(sorted(from_zones - set(payload.to_zone_codes)))
        day = _occur_day(event, payload)
        by_id = {p.posting_id: p for p in postings}
        for posting_id_, zone_code in sorted(plan.moves.items()):
            old_zone = by_id[posting_id_].zone_code
            reason = f"zones re-divided ({payload.redivision_id}): {old_zone} → {zone_code} (R-ORG-3)"
            await self._move(event, by_id[posting_id_], day, reason, zone_code=zone_code)
        await self._evaluate("ZonesRedivided")

    # --- population ---------------------------------------------------------------------------------

    async def on_zone_population_changed(
        self, event: Event, payload: population_events.ZonePopulationChanged
    ) -> None:
        """R-PER-4: the measured actual population replaces the registry's workload figure."""
        snapshot = payload.zone_population
        if not snapshot.zone_code:
            raise EventRejected("ZonePopulationChanged without zone_population.zone_code")
        as_of = from_timestamp(snapshot, "as_of_time") or event.time
        if await self._d.store.set_measured_population(snapshot.zone_code, snapshot.actual_population, as_of):
            await self._evaluate("ZonePopulationChanged", ZONE_KINDS)
