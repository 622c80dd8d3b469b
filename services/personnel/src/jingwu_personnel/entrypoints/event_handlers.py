"""Events of other services → personnel use cases: check what the payload must carry, translate it
(adapters/proto_mapping.py), call ``TerritoryChangeApplication``. A payload without what it must carry,
or a change a rule refuses (R-ORG-3: a re-division that would orphan a posting), is rejected for the
dead-letter topic with the reason."""

from __future__ import annotations

from typing import Any

from jingwu.population.v1 import events_pb2 as population_events
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu_platform.calendar import local_date
from jingwu_platform.errors import RuleViolation
from jingwu_platform.events import Event, EventRejected
from jingwu_platform.kafka import EventHandler

from jingwu_personnel.adapters.proto_mapping import from_timestamp
from jingwu_personnel.adapters.registry_mapping import (
    redivision_from_proto,
    room_view_from_proto,
    station_view_from_proto,
    village_view_from_proto,
    zone_view_from_proto,
)
from jingwu_personnel.application.territory_changes import RegistryEvent, TerritoryChangeApplication


def registry_event(event: Event, payload: Any) -> RegistryEvent:
    """The event as moved postings cite it; its day is the one the registry says it happened (the
    envelope time when the payload has none)."""
    at = from_timestamp(payload, "occur_time") or event.time
    return RegistryEvent(event.event_id, event.event_type, local_date(at))


class RoomEventHandlers:
    """jingwu.<district>.rooms.v1 → personnel's view of the territory, and the postings it moves."""

    def __init__(self, territory: TerritoryChangeApplication) -> None:
        self._territory = territory

    async def on_room_opened(self, event: Event, payload: room_events.RoomOpened) -> None:
        if not payload.room.room_id:
            raise EventRejected("RoomOpened without room.room_id")
        await self._territory.room_opened(room_view_from_proto(payload.room))

    async def on_room_planned(self, event: Event, payload: room_events.RoomPlanned) -> None:
        if not payload.room.room_id:
            raise EventRejected("RoomPlanned without room.room_id")
        await self._territory.room_planned(room_view_from_proto(payload.room))

    async def on_rooms_merged(self, event: Event, payload: room_events.RoomsMerged) -> None:
        survivor_id = payload.surviving_room_id
        merged = [r for r in payload.merged_room_ids if r and r != survivor_id]
        if not survivor_id or not merged:
            raise EventRejected("RoomsMerged needs surviving_room_id and merged_room_ids")
        await self._territory.rooms_merged(registry_event(event, payload), survivor_id, merged)

    async def on_room_closed(self, event: Event, payload: room_events.RoomClosed) -> None:
        if not payload.room_id:
            raise EventRejected("RoomClosed without room_id")
        await self._territory.room_closed(registry_event(event, payload), payload.room_id, payload.reason)

    async def on_station_created(self, event: Event, payload: room_events.StationCreated) -> None:
        if not payload.station.station_id:
            raise EventRejected("StationCreated without station.station_id")
        await self._territory.station_created(station_view_from_proto(payload.station))

    async def on_village_registered(self, event: Event, payload: room_events.VillageRegistered) -> None:
        if not payload.village.village_id:
            raise EventRejected("VillageRegistered without village.village_id")
        await self._territory.village_registered(village_view_from_proto(payload.village))

    async def on_zone_created(self, event: Event, payload: room_events.ZoneCreated) -> None:
        if not payload.zone.zone_code:
            raise EventRejected("ZoneCreated without zone.zone_code")
        await self._territory.zone_created(zone_view_from_proto(payload.zone))

    async def on_zones_redivided(self, event: Event, payload: room_events.ZonesRedivided) -> None:
        if not payload.from_zone_codes or not payload.to_zone_codes:
            raise EventRejected("ZonesRedivided needs from_zone_codes and to_zone_codes")
        try:
            await self._territory.zones_redivided(
                registry_event(event, payload), redivision_from_proto(payload)
            )
        except RuleViolation as refused:
            raise EventRejected(str(refused)) from refused

    def handlers(self) -> list[EventHandler[Any]]:
        return [
            EventHandler(room_events.RoomOpened, self.on_room_opened),
            EventHandler(room_events.RoomPlanned, self.on_room_planned),
            EventHandler(room_events.RoomsMerged, self.on_rooms_merged),
            EventHandler(room_events.RoomClosed, self.on_room_closed),
            EventHandler(room_events.StationCreated, self.on_station_created),
            EventHandler(room_events.VillageRegistered, self.on_village_registered),
            EventHandler(room_events.ZoneCreated, self.on_zone_created),
            EventHandler(room_events.ZonesRedivided, self.on_zones_redivided),
        ]


class PopulationEventHandlers:
    """jingwu.<district>.population.v1 → the zones' measured actual population (R-PER-4)."""

    def __init__(self, territory: TerritoryChangeApplication) -> None:
        self._territory = territory

    async def on_zone_population_changed(
        self, event: Event, payload: population_events.ZonePopulationChanged
    ) -> None:
        snapshot = payload.zone_population
        if not snapshot.zone_code:
            raise EventRejected("ZonePopulationChanged without zone_population.zone_code")
        as_of = from_timestamp(snapshot, "as_of_time") or event.time
        await self._territory.zone_population_changed(snapshot.zone_code, snapshot.actual_population, as_of)

    def handlers(self) -> list[EventHandler[Any]]:
        return [EventHandler(population_events.ZonePopulationChanged, self.on_zone_population_changed)]
