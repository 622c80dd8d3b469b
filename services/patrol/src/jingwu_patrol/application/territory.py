"""What patrol learns from the room registry's and telemetry's events, and how the use cases read it.

The event handlers (entrypoints/event_handlers.py) translate payloads to plain values and call these;
each write is idempotent for a redelivered event (``put`` of the whole view, ``insert`` of a crossing
by its event id)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from jingwu_patrol.application.ports import (
    CrossingLog,
    DeviceDirectory,
    MobileRoomDirectory,
    VillageDirectory,
    ZoneDirectory,
)
from jingwu_patrol.domain.geo import GeoPoint
from jingwu_patrol.domain.territory import (
    DeviceView,
    DistrictMap,
    MobileRoomView,
    MobileStop,
    StopCrossing,
    VillageView,
    ZoneCrossing,
    ZoneView,
)

SERVICE = "patrol"


@dataclass(frozen=True)
class Directories:
    zones: ZoneDirectory
    villages: VillageDirectory
    rooms: MobileRoomDirectory
    devices: DeviceDirectory
    crossings: CrossingLog


class TerritoryApplication:
    def __init__(self, directories: Directories) -> None:
        self._d = directories

    # --- reads for the use cases -----------------------------------------------------------------

    async def district_map(self) -> DistrictMap:
        return DistrictMap(await self._d.zones.everything())

    async def zones(self) -> list[ZoneView]:
        return [z for z in await self._d.zones.everything() if not z.retired]

    async def devices(self) -> dict[str, DeviceView]:
        return {d.device_id: d for d in await self._d.devices.select()}

    async def mobile_rooms(self) -> dict[str, MobileRoomView]:
        return {r.room_id: r for r in await self._d.rooms.everything()}

    async def village(self, village_id: str) -> VillageView | None:
        return await self._d.villages.get(village_id)

    async def villages(self, zone_codes: Sequence[str] = (), station_id: str = "") -> list[VillageView]:
        return await self._d.villages.select(zone_codes, station_id)

    # --- from the room registry ------------------------------------------------------------------

    async def zone_seen(self, zone: ZoneView) -> None:
        await self._d.zones.put(zone)

    async def zones_retired(self, zone_codes: Sequence[str]) -> None:
        for code in zone_codes:
            known = await self._d.zones.get(code)
            if known is not None and not known.retired:
                await self._d.zones.put(replace(known, retired=True))

    async def village_seen(self, village: VillageView, day: date) -> None:
        known = await self._d.villages.get(village.village_id)
        registered = known.registered_on if known and known.registered_on else day
        await self._d.villages.put(replace(village, registered_on=registered))

    async def villages_moved(self, community_to_zone: dict[str, str]) -> None:
        """R-ORG-3: a re-division moved communities to new zones."""
        for village_id, zone_code in community_to_zone.items():
            known = await self._d.villages.get(village_id)
            if known is not None and known.zone_code != zone_code:
                await self._d.villages.put(replace(known, zone_code=zone_code))

    async def mobile_room_seen(self, room: MobileRoomView) -> None:
        known = await self._d.rooms.get(room.room_id)
        if known is not None and not room.stops and known.stops:
            room = replace(
                room, stops=known.stops, current_stop_id=room.current_stop_id or known.current_stop_id
            )
        await self._d.rooms.put(room)

    async def mobile_room_gone(self, room_id: str) -> None:
        known = await self._d.rooms.get(room_id)
        if known is not None and known.active:
            await self._d.rooms.put(replace(known, active=False))

    async def stops_changed(
        self, room_id: str, stops: Sequence[MobileStop], current_stop_id: str, *, reassigned: bool
    ) -> bool:
        """R-ROOM-5: being reassigned to a stop ends the checkpoint order the room was carrying out (as
        the registry's Room.reassign_stop does); True then."""
        known = await self._d.rooms.get(room_id) or MobileRoomView(room_id, active=True)
        order_done = bool(known.order_id) and reassigned
        await self._d.rooms.put(
            replace(
                known,
                stops=tuple(stops),
                current_stop_id=current_stop_id,
                order_location=None if order_done else known.order_location,
                order_id="" if order_done else known.order_id,
            )
        )
        return order_done

    async def room_ordered(self, room_id: str, order_id: str, location: GeoPoint) -> None:
        known = await self._d.rooms.get(room_id) or MobileRoomView(room_id, active=True)
        await self._d.rooms.put(replace(known, order_location=location, order_id=order_id))

    # --- from telemetry --------------------------------------------------------------------------

    async def device_seen(self, device: DeviceView) -> None:
        await self._d.devices.put(device)

    async def device_enabled(self, device_id: str, enabled: bool) -> None:
        known = await self._d.devices.get(device_id)
        if known is not None and known.enabled != enabled:
            await self._d.devices.put(replace(known, enabled=enabled))

    async def zone_crossed(self, crossing: ZoneCrossing) -> None:
        await self._d.crossings.add_zone_crossing(crossing)

    async def stop_crossed(self, crossing: StopCrossing) -> None:
        await self._d.crossings.add_stop_crossing(crossing)
