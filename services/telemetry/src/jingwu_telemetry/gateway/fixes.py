"""Decoded positions → ``LocationFix`` (the contract of jingwu.<district>.telemetry.fixes.v1)."""

from __future__ import annotations

from datetime import datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.telemetry.v1 import telemetry_pb2

from jingwu_telemetry.gateway.directory import DirectoryEntry
from jingwu_telemetry.jt808 import LocationReport, standard_extras
from jingwu_telemetry.jt808.location import STATUS_POSITIONED

FixSource = int  # telemetry_pb2.FixSource value


def _stamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def jt808_fix(
    entry: DirectoryEntry,
    report: LocationReport,
    *,
    source: FixSource,
    received: datetime,
    correction: timedelta = timedelta(0),
) -> telemetry_pb2.LocationFix:
    """A JT/T 808 report as a fix. A report whose time is no calendar time keeps ``fix_time`` unset:
    the consumer dead-letters it with that reason."""
    extras = standard_extras(report.items)
    fix = telemetry_pb2.LocationFix(
        district_code=entry.district,
        device_id=entry.device_id,
        device_kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
        altitude_m=report.altitude,
        speed_kmh=report.speed_kmh,
        heading_deg=report.direction_deg,
        receive_time=_stamp(received),
        alarm_flags=report.alarm_flags,
        status_flags=report.status_flags,
        source=source,  # type: ignore[arg-type]
        raw_extras=extras.raw,
    )
    fix.position.longitude = report.longitude
    fix.position.latitude = report.latitude
    device_time = report.device_time_utc()
    if device_time is not None:
        fix.fix_time.CopyFrom(_stamp(device_time + correction))
    if correction:
        fix.device_clock_correction.CopyFrom(Duration(seconds=int(correction.total_seconds())))
    if extras.mileage_km is not None:
        fix.mileage_km = extras.mileage_km
    if extras.fuel_l is not None:
        fix.fuel_l = extras.fuel_l
    if extras.recorder_speed_kmh is not None:
        fix.recorder_speed_kmh = extras.recorder_speed_kmh
    if extras.signal_strength is not None:
        fix.signal_strength = extras.signal_strength
    if extras.satellites is not None:
        fix.satellites = extras.satellites
    return fix


def handheld_fix(
    entry: DirectoryEntry,
    *,
    latitude: float,
    longitude: float,
    fix_time: datetime,
    received: datetime,
    speed_kmh: float = 0.0,
    heading_deg: float = 0.0,
    altitude_m: float = 0.0,
    accuracy_m: float | None = None,
    battery_percent: float | None = None,
) -> telemetry_pb2.LocationFix:
    fix = telemetry_pb2.LocationFix(
        district_code=entry.district,
        device_id=entry.device_id,
        device_kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
        altitude_m=altitude_m,
        speed_kmh=speed_kmh,
        heading_deg=heading_deg,
        fix_time=_stamp(fix_time),
        receive_time=_stamp(received),
        status_flags=STATUS_POSITIONED,  # a handheld posts only positioned fixes
        source=telemetry_pb2.FIX_SOURCE_HANDHELD_HTTP,
    )
    fix.position.latitude = latitude
    fix.position.longitude = longitude
    if accuracy_m is not None:
        fix.accuracy_m = accuracy_m
    if battery_percent is not None:
        fix.battery_percent = battery_percent
    return fix
