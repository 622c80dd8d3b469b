"""The room registry's events (jingwu.<district>.rooms.v1) → territory use cases: stations, zones with
their boundaries, villages, and re-divisions (R-ORG-3)."""

from __future__ import annotations

import asyncio
from typing import Any

from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu_platform.events import Event, EventRejected
from jingwu_platform.kafka import EventHandler

from jingwu_population.adapters.proto_mapping import polygon_from_proto
from jingwu_population.application.territory import TerritoryApplication
from jingwu_population.domain.territory import Redivision, Station, Village, Zone


def zone_from_proto(zone: Any) -> Zone:
    boundary = polygon_from_proto(zone.boundary) if zone.boundary.rings else None
    return Zone(
        zone_code=zone.zone_code,
        name=zone.name,
        station_id=zone.station_id,
        community_ids=tuple(zone.community_ids),
        boundary=boundary,
        retired=zone.retired,
        successor_zone_codes=tuple(zone.successor_zone_codes),
    )


class RoomEventHandlers:
    """Each handler waits until the district's population is loaded (at start): territory changes are
    decided on the loaded image, never on an empty one."""

    def __init__(self, territory: TerritoryApplication, loaded: asyncio.Event | None = None) -> None:
        self._territory = territory
        self._loaded = loaded

    async def _ready(self) -> None:
        if self._loaded is not None and not self._loaded.is_set():
            await self._loaded.wait()

    async def on_station_created(self, event: Event, payload: room_events.StationCreated) -> None:
        if not payload.station.station_id:
            raise EventRejected("StationCreated without station.station_id")
        await self._ready()
        await self._territory.station_created(Station(payload.station.station_id, payload.station.name))

    async def on_zone_created(self, event: Event, payload: room_events.ZoneCreated) -> None:
        if not payload.zone.zone_code:
            raise EventRejected("ZoneCreated without zone.zone_code")
        await self._ready()
        await self._territory.zone_created(zone_from_proto(payload.zone))

    async def on_village_registered(self, event: Event, payload: room_events.VillageRegistered) -> None:
        v = payload.village
        if not v.village_id:
            raise EventRejected("VillageRegistered without village.village_id")
        await self._ready()
        await self._territory.village_registered(
            Village(v.village_id, v.name, v.parent_village_id, v.zone_code, v.station_id)
        )

    async def on_zones_redivided(self, event: Event, payload: room_events.ZonesRedivided) -> None:
        """R-ORG-3: the village → zone map from the registry's hand-over list (communities and natural
        villages), the new zones with their boundaries."""
        if not payload.redivision_id or not payload.from_zone_codes or not payload.to_zone_codes:
            raise EventRejected("ZonesRedivided without redivision_id, from_zone_codes or to_zone_codes")
        await self._ready()
        village_to_zone = dict(payload.community_to_zone)
        for item in payload.handover:
            if item.record_type == "village" and item.record_id and item.to_zone_code:
                village_to_zone.setdefault(item.record_id, item.to_zone_code)
        plan = Redivision(
            redivision_id=payload.redivision_id,
            from_zone_codes=tuple(payload.from_zone_codes),
            to_zone_codes=tuple(payload.to_zone_codes),
            village_to_zone=village_to_zone,
            new_zones=tuple(zone_from_proto(z) for z in payload.new_zones),
        )
        await self._territory.zones_redivided(plan)

    def handlers(self) -> list[EventHandler[Any]]:
        return [
            EventHandler(room_events.StationCreated, self.on_station_created),
            EventHandler(room_events.ZoneCreated, self.on_zone_created),
            EventHandler(room_events.VillageRegistered, self.on_village_registered),
            EventHandler(room_events.ZonesRedivided, self.on_zones_redivided),
        ]
