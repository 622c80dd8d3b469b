"""Translation between the consumer's domain (fixes, tracking, zone and stop events) and the
jingwu.telemetry.v1 contract, and from the room registry's zones and stops. Written by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.duration_pb2 import Duration
from jingwu.common.v1 import common_pb2
from jingwu.rooms.v1 import rooms_pb2
from jingwu.telemetry.v1 import events_pb2, telemetry_pb2
from jingwu_platform.proto_values import EnumMap, timestamp

from jingwu_telemetry.adapters.proto_mapping import DEVICE_KIND
from jingwu_telemetry.domain.geo import Stop, ZoneArea
from jingwu_telemetry.domain.tracking import (
    Fix,
    StopEventKind,
    StopVisit,
    Tracking,
    ZoneCrossing,
    ZoneEventKind,
)

ZONE_EVENT_KIND = EnumMap(ZoneEventKind, telemetry_pb2.ZoneEventKind, "ZONE_EVENT_KIND")
STOP_EVENT_KIND = EnumMap(StopEventKind, telemetry_pb2.StopEventKind, "STOP_EVENT_KIND")
_SOURCES = {
    telemetry_pb2.FIX_SOURCE_JT808_REPORT: "report",
    telemetry_pb2.FIX_SOURCE_JT808_BACKFILL: "backfill",
    telemetry_pb2.FIX_SOURCE_JT808_QUERY: "query",
    telemetry_pb2.FIX_SOURCE_HANDHELD_HTTP: "handheld",
}


def fix_from_proto(fix: telemetry_pb2.LocationFix, payload: bytes) -> Fix:
    return Fix(
        device_id=fix.device_id,
        fix_time=fix.fix_time.ToDatetime(tzinfo=UTC) if fix.HasField("fix_time") else None,
        receive_time=fix.receive_time.ToDatetime(tzinfo=UTC)
        if fix.HasField("receive_time")
        else datetime.now(UTC),
        latitude=fix.position.latitude,
        longitude=fix.position.longitude,
        speed_kmh=fix.speed_kmh,
        heading_deg=fix.heading_deg,
        status_flags=fix.status_flags,
        source=_SOURCES.get(fix.source, "unknown"),
        payload=payload,
    )


def _point(longitude: float, latitude: float) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(longitude=longitude, latitude=latitude)


def _duration(seconds: float) -> Duration:
    return Duration(seconds=int(seconds), nanos=round((seconds - int(seconds)) * 1e9))


def zone_event_payload(district: str, crossing: ZoneCrossing) -> events_pb2.ZoneEntered | events_pb2.ZoneLeft:
    common: dict[str, Any] = {
        "district_code": district,
        "device_id": crossing.device_id,
        "device_kind": DEVICE_KIND.to_proto(crossing.device_kind),
        "vehicle_id": crossing.vehicle_id,
        "officer_id": crossing.officer_id,
        "zone_code": crossing.zone_code,
        "position": _point(crossing.longitude, crossing.latitude),
        "occur_time": timestamp(crossing.occur_time),
    }
    if crossing.kind is ZoneEventKind.ENTERED:
        return events_pb2.ZoneEntered(**common)
    return events_pb2.ZoneLeft(**common, time_in_zone=_duration(crossing.time_in_zone_s))


def stop_event_payload(district: str, visit: StopVisit) -> events_pb2.StopArrived | events_pb2.StopDeparted:
    common: dict[str, Any] = {
        "district_code": district,
        "room_id": visit.room_id,
        "stop_id": visit.stop_id,
        "device_id": visit.device_id,
        "vehicle_id": visit.vehicle_id,
        "position": _point(visit.longitude, visit.latitude),
        "occur_time": timestamp(visit.occur_time),
    }
    if visit.kind is StopEventKind.ARRIVED:
        return events_pb2.StopArrived(**common)
    return events_pb2.StopDeparted(**common, dwell=_duration(visit.dwell_s))


def zone_event_to_proto(crossing: ZoneCrossing) -> telemetry_pb2.ZoneEvent:
    return telemetry_pb2.ZoneEvent(
        kind=ZONE_EVENT_KIND.to_proto(crossing.kind),
        device_id=crossing.device_id,
        device_kind=DEVICE_KIND.to_proto(crossing.device_kind),
        vehicle_id=crossing.vehicle_id,
        officer_id=crossing.officer_id,
        zone_code=crossing.zone_code,
        position=_point(crossing.longitude, crossing.latitude),
        occur_time=timestamp(crossing.occur_time),
    )


def stop_event_to_proto(visit: StopVisit) -> telemetry_pb2.StopEvent:
    message = telemetry_pb2.StopEvent(
        kind=STOP_EVENT_KIND.to_proto(visit.kind),
        device_id=visit.device_id,
        vehicle_id=visit.vehicle_id,
        room_id=visit.room_id,
        stop_id=visit.stop_id,
        position=_point(visit.longitude, visit.latitude),
        occur_time=timestamp(visit.occur_time),
    )
    if visit.kind is StopEventKind.DEPARTED:
        message.dwell.CopyFrom(_duration(visit.dwell_s))
    return message


def position_to_proto(state: Tracking, now: datetime, stale_after: timedelta) -> telemetry_pb2.DevicePosition:
    position = telemetry_pb2.DevicePosition(
        device_id=state.device_id,
        device_kind=DEVICE_KIND.to_proto(state.kind),
        vehicle_id=state.vehicle_id,
        room_id=state.room_id,
        officer_id=state.officer_id,
        current_zone_code=state.zone_code,
        stale=state.fix_time is None or now - state.fix_time > stale_after,
    )
    if state.payload:
        position.fix.ParseFromString(state.payload)
    return position


def zone_from_proto(zone: rooms_pb2.Zone) -> ZoneArea:
    rings = tuple(tuple((p.longitude, p.latitude) for p in ring.points) for ring in zone.boundary.rings)
    return ZoneArea(zone_code=zone.zone_code, rings=rings, retired=zone.retired)


def stops_from_proto(room_id: str, stops: list[rooms_pb2.MobileStop]) -> list[Stop]:
    return [
        Stop(room_id, s.stop_id, s.location.longitude, s.location.latitude, s.radius_m or 100.0)
        for s in stops
        if s.stop_id
    ]
