"""Events of other services → patrol's read models and use cases: check what the payload must carry,
translate to plain values, call. One class per source; each lists its handlers for the consumer.

- rooms (jingwu.<district>.rooms.v1): zones with boundaries, villages, mobile rooms and their stops,
  checkpoint orders (the vehicle's duty, R-ROOM-5);
- telemetry (jingwu.<district>.telemetry.v1): devices (a handheld's officer), zone crossings (time in
  zone, street visibility) and stop crossings (stop compliance), R-PAT-6;
- incidents (jingwu.<district>.patrol.incidents.v1, produced by other police systems): validated and
  recorded once per sender's incident id; a bad record is dead-lettered with the field violations as
  its reason (R-PAT-2, R-NOT-5).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.patrol.v1 import incidents_pb2
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu.telemetry.v1 import events_pb2 as telemetry_events
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.calendar import local_date
from jingwu_platform.errors import ValidationFailed
from jingwu_platform.events import Event, EventRejected
from jingwu_platform.kafka import EventHandler

from jingwu_patrol.adapters.proto_mapping import polygon_from_proto, report_from_proto
from jingwu_patrol.application.incidents import IncidentApplication
from jingwu_patrol.application.ports import RoomOrder
from jingwu_patrol.application.prevention import PreventionApplication
from jingwu_patrol.application.territory import TerritoryApplication
from jingwu_patrol.domain.geo import GeoPoint
from jingwu_patrol.domain.territory import (
    DeviceKind,
    DeviceView,
    MobileRoomView,
    MobileStop,
    StopCrossing,
    VillageView,
    ZoneCrossing,
    ZoneView,
)

Handlers = list[EventHandler[Any]]
# The reason the room registry gives a MobileStopsChanged of SetMobileStops; any other is a
# reassignment to a stop, which ends the room's checkpoint order (rooms Room.reassign_stop).
STOPS_SET = "stops set"


def _at(event: Event, stamp: Timestamp) -> datetime:
    at = stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else event.time.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _point(point: Any, present: bool) -> GeoPoint | None:
    if not present or (point.longitude == 0 and point.latitude == 0):
        return None
    return GeoPoint(point.longitude, point.latitude)


def zone_view(zone: rooms_pb2.Zone) -> ZoneView:
    return ZoneView(
        zone_code=zone.zone_code,
        name=zone.name,
        station_id=zone.station_id,
        boundary=polygon_from_proto(zone.boundary),
        retired=zone.retired,
    )


def stop_view(stop: rooms_pb2.MobileStop) -> MobileStop:
    return MobileStop(
        stop_id=stop.stop_id,
        name=stop.name,
        location=GeoPoint(stop.location.longitude, stop.location.latitude),
        radius_m=stop.radius_m,
        window_start_minute=stop.window_start_minute,
        window_end_minute=stop.window_end_minute,
    )


class RoomEventHandlers:
    """jingwu.<district>.rooms.v1 → zones, villages, mobile rooms, checkpoint duties."""

    def __init__(self, territory: TerritoryApplication, prevention: PreventionApplication) -> None:
        self._territory = territory
        self._prevention = prevention

    async def on_zone_created(self, event: Event, payload: room_events.ZoneCreated) -> None:
        if not payload.zone.zone_code:
            raise EventRejected("ZoneCreated without zone.zone_code")
        await self._territory.zone_seen(zone_view(payload.zone))

    async def on_zones_redivided(self, event: Event, payload: room_events.ZonesRedivided) -> None:
        for zone in payload.new_zones:
            await self._territory.zone_seen(zone_view(zone))
        kept = set(payload.to_zone_codes)
        await self._territory.zones_retired([c for c in payload.from_zone_codes if c not in kept])
        await self._territory.villages_moved(dict(payload.community_to_zone))

    async def on_village(self, event: Event, payload: room_events.VillageRegistered) -> None:
        village = payload.village
        if not village.village_id:
            raise EventRejected("VillageRegistered without village.village_id")
        natural = village.level == rooms_pb2.VILLAGE_LEVEL_NATURAL
        await self._territory.village_seen(
            VillageView(
                village_id=village.village_id,
                name=village.name,
                zone_code=village.zone_code,
                station_id=village.station_id,
                has_team=not natural,
                urban_community=village.urban_community,
                parent_village_id=village.parent_village_id,
            ),
            local_date(_at(event, payload.occur_time)),
        )

    async def _room(self, room: rooms_pb2.Room, *, active: bool) -> None:
        if room.kind != rooms_pb2.ROOM_KIND_MOBILE:
            return
        order = room.current_checkpoint_order
        await self._territory.mobile_room_seen(
            MobileRoomView(
                room_id=room.room_id,
                name=room.name,
                active=active,
                station_id=room.station_id,
                zone_codes=tuple(room.zone_codes),
                vehicle_plate=room.vehicle_plate,
                location=_point(room.location, room.HasField("location")),
                stops=tuple(stop_view(s) for s in room.stops),
                current_stop_id=room.current_stop_id,
                order_location=_point(order.checkpoint_location, room.HasField("current_checkpoint_order")),
                order_id=order.order_id,
            )
        )

    async def on_room_opened(self, event: Event, payload: room_events.RoomOpened) -> None:
        if not payload.room.room_id:
            raise EventRejected("RoomOpened without room.room_id")
        await self._room(payload.room, active=True)

    async def on_room_planned(self, event: Event, payload: room_events.RoomPlanned) -> None:
        if not payload.room.room_id:
            raise EventRejected("RoomPlanned without room.room_id")
        await self._room(payload.room, active=False)

    async def on_room_closed(self, event: Event, payload: room_events.RoomClosed) -> None:
        await self._territory.mobile_room_gone(payload.room_id)

    async def on_rooms_merged(self, event: Event, payload: room_events.RoomsMerged) -> None:
        for room_id in payload.merged_room_ids:
            await self._territory.mobile_room_gone(room_id)

    async def on_stops_changed(self, event: Event, payload: room_events.MobileStopsChanged) -> None:
        if not payload.room_id:
            raise EventRejected("MobileStopsChanged without room_id")
        reassigned = bool(payload.current_stop_id) and payload.reason != STOPS_SET
        ended = await self._territory.stops_changed(
            payload.room_id,
            [stop_view(s) for s in payload.stops],
            payload.current_stop_id,
            reassigned=reassigned,
        )
        if ended:
            await self._prevention.room_back_at_stop(payload.room_id, _at(event, payload.occur_time))

    async def on_checkpoint_order(self, event: Event, payload: room_events.CheckpointOrderIssued) -> None:
        order = payload.order
        if not order.order_id or not order.room_id:
            raise EventRejected("CheckpointOrderIssued without order.order_id or order.room_id")
        await self._prevention.registry_ordered(
            RoomOrder(
                order_id=order.order_id,
                room_id=order.room_id,
                checkpoint_name=order.checkpoint_name,
                checkpoint_location=GeoPoint(
                    order.checkpoint_location.longitude, order.checkpoint_location.latitude
                ),
                issued_at=_at(event, order.issue_time),
                issued_by=order.issued_by,
            )
        )

    def handlers(self) -> Handlers:
        return [
            EventHandler(room_events.ZoneCreated, self.on_zone_created),
            EventHandler(room_events.ZonesRedivided, self.on_zones_redivided),
            EventHandler(room_events.VillageRegistered, self.on_village),
            EventHandler(room_events.RoomOpened, self.on_room_opened),
            EventHandler(room_events.RoomPlanned, self.on_room_planned),
            EventHandler(room_events.RoomClosed, self.on_room_closed),
            EventHandler(room_events.RoomsMerged, self.on_rooms_merged),
            EventHandler(room_events.MobileStopsChanged, self.on_stops_changed),
            EventHandler(room_events.CheckpointOrderIssued, self.on_checkpoint_order),
        ]


_DEVICE_KINDS = {
    telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL: DeviceKind.VEHICLE_TERMINAL,
    telemetry_pb2.DEVICE_KIND_HANDHELD: DeviceKind.HANDHELD,
}


class TelemetryEventHandlers:
    """jingwu.<district>.telemetry.v1 → devices, zone and stop crossings."""

    def __init__(self, territory: TerritoryApplication) -> None:
        self._territory = territory

    async def _device(self, device: telemetry_pb2.Device) -> None:
        kind = _DEVICE_KINDS.get(device.kind)
        if not device.device_id or kind is None:
            raise EventRejected("device event without device.device_id or a known device.kind")
        await self._territory.device_seen(
            DeviceView(
                device_id=device.device_id,
                kind=kind,
                enabled=device.status != telemetry_pb2.DEVICE_STATUS_DISABLED,
                zone_code=device.zone_code,
                vehicle_id=device.vehicle_id,
                room_id=device.room_id,
                officer_id=device.officer_id,
            )
        )

    async def on_registered(self, event: Event, payload: telemetry_events.DeviceRegistered) -> None:
        await self._device(payload.device)

    async def on_assigned(self, event: Event, payload: telemetry_events.DeviceAssigned) -> None:
        await self._device(payload.device)

    async def on_enabled(self, event: Event, payload: telemetry_events.DeviceEnabled) -> None:
        await self._device(payload.device)

    async def on_disabled(self, event: Event, payload: telemetry_events.DeviceDisabled) -> None:
        await self._territory.device_enabled(payload.device_id, False)

    async def on_zone_entered(self, event: Event, payload: telemetry_events.ZoneEntered) -> None:
        if not payload.device_id or not payload.zone_code:
            raise EventRejected("ZoneEntered without device_id or zone_code")
        await self._territory.zone_crossed(
            ZoneCrossing(
                crossing_id=event.event_id,
                device_id=payload.device_id,
                zone_code=payload.zone_code,
                entered=True,
                at=_at(event, payload.occur_time),
                vehicle_id=payload.vehicle_id,
                officer_id=payload.officer_id,
            )
        )

    async def on_zone_left(self, event: Event, payload: telemetry_events.ZoneLeft) -> None:
        if not payload.device_id or not payload.zone_code:
            raise EventRejected("ZoneLeft without device_id or zone_code")
        await self._territory.zone_crossed(
            ZoneCrossing(
                crossing_id=event.event_id,
                device_id=payload.device_id,
                zone_code=payload.zone_code,
                entered=False,
                at=_at(event, payload.occur_time),
                vehicle_id=payload.vehicle_id,
                officer_id=payload.officer_id,
                stayed_s=payload.time_in_zone.ToTimedelta().total_seconds(),
            )
        )

    async def on_stop_arrived(self, event: Event, payload: telemetry_events.StopArrived) -> None:
        if not payload.room_id or not payload.stop_id:
            raise EventRejected("StopArrived without room_id or stop_id")
        await self._territory.stop_crossed(
            StopCrossing(
                crossing_id=event.event_id,
                room_id=payload.room_id,
                stop_id=payload.stop_id,
                arrived=True,
                at=_at(event, payload.occur_time),
                device_id=payload.device_id,
                vehicle_id=payload.vehicle_id,
            )
        )

    async def on_stop_departed(self, event: Event, payload: telemetry_events.StopDeparted) -> None:
        if not payload.room_id or not payload.stop_id:
            raise EventRejected("StopDeparted without room_id or stop_id")
        await self._territory.stop_crossed(
            StopCrossing(
                crossing_id=event.event_id,
                room_id=payload.room_id,
                stop_id=payload.stop_id,
                arrived=False,
                at=_at(event, payload.occur_time),
                device_id=payload.device_id,
                vehicle_id=payload.vehicle_id,
                dwell_s=payload.dwell.ToTimedelta().total_seconds(),
            )
        )

    def handlers(self) -> Handlers:
        return [
            EventHandler(telemetry_events.DeviceRegistered, self.on_registered),
            EventHandler(telemetry_events.DeviceAssigned, self.on_assigned),
            EventHandler(telemetry_events.DeviceEnabled, self.on_enabled),
            EventHandler(telemetry_events.DeviceDisabled, self.on_disabled),
            EventHandler(telemetry_events.ZoneEntered, self.on_zone_entered),
            EventHandler(telemetry_events.ZoneLeft, self.on_zone_left),
            EventHandler(telemetry_events.StopArrived, self.on_stop_arrived),
            EventHandler(telemetry_events.StopDeparted, self.on_stop_departed),
        ]


class IncidentFeedHandlers:
    """jingwu.<district>.patrol.incidents.v1 → incidents (R-PAT-2, R-NOT-5)."""

    def __init__(self, incidents: IncidentApplication) -> None:
        self._incidents = incidents

    async def on_report(self, event: Event, payload: incidents_pb2.IncidentReported) -> None:
        if not payload.HasField("report"):
            raise EventRejected("IncidentReported without report")
        try:
            await self._incidents.record(report_from_proto(payload.report), channel="kafka", prefix="report.")
        except ValidationFailed as invalid:
            raise EventRejected(f"invalid incident report: {invalid}") from invalid

    def handlers(self) -> Handlers:
        return [EventHandler(incidents_pb2.IncidentReported, self.on_report)]
