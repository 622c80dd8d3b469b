"""The room registry's events → the zones and stops telemetry tracks fixes against (R-ROOM-5, R-ORG-3)."""

from __future__ import annotations

from typing import Any

from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu_platform.events import Event, EventRejected
from jingwu_platform.kafka import EventHandler

from jingwu_telemetry.adapters.fix_mapping import stops_from_proto, zone_from_proto
from jingwu_telemetry.application.geography import GeographyUpdates


class RoomEventHandlers:
    """jingwu.<district>.rooms.v1 → zones and stops."""

    def __init__(self, geography: GeographyUpdates) -> None:
        self._geography = geography

    async def on_zone_created(self, event: Event, payload: room_events.ZoneCreated) -> None:
        if not payload.zone.zone_code:
            raise EventRejected("ZoneCreated without zone.zone_code")
        await self._geography.zones_created([zone_from_proto(payload.zone)])

    async def on_zones_redivided(self, event: Event, payload: room_events.ZonesRedivided) -> None:
        created = [zone_from_proto(zone) for zone in payload.new_zones if zone.zone_code]
        await self._geography.zones_redivided(list(payload.from_zone_codes), created)

    async def on_mobile_stops_changed(self, event: Event, payload: room_events.MobileStopsChanged) -> None:
        if not payload.room_id:
            raise EventRejected("MobileStopsChanged without room_id")
        await self._geography.stops_changed(
            payload.room_id, stops_from_proto(payload.room_id, list(payload.stops))
        )

    def handlers(self) -> list[EventHandler[Any]]:
        return [
            EventHandler(room_events.ZoneCreated, self.on_zone_created),
            EventHandler(room_events.ZonesRedivided, self.on_zones_redivided),
            EventHandler(room_events.MobileStopsChanged, self.on_mobile_stops_changed),
        ]
