"""Patrol vehicles (R-PAT-1): every zone has a GPS patrol vehicle bound to a telemetry device; a zone
without one is a finding. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.shared_kernel import check_zone_code

from jingwu_patrol.domain.common import ID_MAX_LENGTH, Audit, check_ids, check_text
from jingwu_patrol.domain.territory import DeviceKind, DeviceView, DistrictMap, MobileRoomView, ZoneView

PLATE_MAX_LENGTH = 16


class VehicleStatus(StrEnum):
    IN_SERVICE = "in_service"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


@dataclass(frozen=True)
class PatrolVehicle:
    vehicle_id: str
    plate: str
    zone_code: str
    station_id: str = ""
    device_id: str = ""
    room_id: str = ""
    status: VehicleStatus = VehicleStatus.IN_SERVICE
    officer_ids: tuple[str, ...] = ()
    audit: Audit = field(default_factory=Audit)
    version: int = 0

    def patrols(self, devices: Mapping[str, DeviceView]) -> bool:
        """In service and bound to a GPS device that is not disabled (R-PAT-1)."""
        if self.status is not VehicleStatus.IN_SERVICE or not self.device_id:
            return False
        device = devices.get(self.device_id)
        return device is None or device.enabled


def check_zone(
    v: Validator, field: str, zone_code: str, district: str, zones: DistrictMap
) -> ZoneView | None:
    """An active zone of the district, as the room registry published it."""
    check_zone_code(v, field, zone_code, district)
    if len(zone_code) != 8 or not zone_code.isdigit() or zone_code[:2] != district:
        return None
    zone = zones.get(zone_code)
    v.check(zone is not None, field, f"zone {zone_code} is not an active zone of the district")
    return zone


def check_device(
    v: Validator, field: str, device_id: str, devices: Mapping[str, DeviceView], kind: DeviceKind
) -> None:
    if not device_id:
        return
    v.check(len(device_id) <= ID_MAX_LENGTH, field, f"must be at most {ID_MAX_LENGTH} characters")
    device = devices.get(device_id)
    if device is not None:
        v.check(
            device.kind is kind, field, f"device {device_id} is a {device.kind.value}, not a {kind.value}"
        )


def check_mobile_room(v: Validator, field: str, room_id: str, rooms: Mapping[str, MobileRoomView]) -> None:
    if room_id:
        v.check(room_id in rooms, field, f"room {room_id} is not a mobile room of the district (R-ROOM-5)")


def register(
    *,
    vehicle_id: str,
    plate: str,
    zone_code: str,
    device_id: str,
    room_id: str,
    officer_ids: Sequence[str],
    district: str,
    zones: DistrictMap,
    devices: Mapping[str, DeviceView],
    rooms: Mapping[str, MobileRoomView],
    by: str,
    at: datetime,
) -> PatrolVehicle:
    v = Validator()
    plate = plate.strip()
    if v.check(bool(plate), "plate", "is required"):
        v.check(len(plate) <= PLATE_MAX_LENGTH, "plate", f"must be at most {PLATE_MAX_LENGTH} characters")
    zone = check_zone(v, "zone_code", zone_code, district, zones)
    check_device(v, "device_id", device_id, devices, DeviceKind.VEHICLE_TERMINAL)
    check_mobile_room(v, "room_id", room_id, rooms)
    check_ids(v, "officer_ids", tuple(officer_ids))
    v.raise_if_any()
    return PatrolVehicle(
        vehicle_id=vehicle_id,
        plate=plate,
        zone_code=zone_code,
        station_id=zone.station_id if zone else "",
        device_id=device_id,
        room_id=room_id,
        officer_ids=tuple(officer_ids),
        audit=Audit.new(by, at),
    )


def reassign(
    vehicle: PatrolVehicle,
    *,
    zone_code: str,
    device_id: str,
    status: VehicleStatus | None,
    officer_ids: Sequence[str],
    reason: str,
    district: str,
    zones: DistrictMap,
    devices: Mapping[str, DeviceView],
    by: str,
    at: datetime,
) -> PatrolVehicle:
    """Empty / None arguments keep the vehicle's value. A retired vehicle stays retired."""
    v = Validator()
    zone = check_zone(v, "zone_code", zone_code, district, zones) if zone_code else None
    check_device(v, "device_id", device_id, devices, DeviceKind.VEHICLE_TERMINAL)
    check_ids(v, "officer_ids", tuple(officer_ids))
    check_text(v, "reason", reason, 256)
    v.raise_if_any()
    if vehicle.status is VehicleStatus.RETIRED and status is not None and status is not VehicleStatus.RETIRED:
        raise RuleViolation(
            "R-PAT-1", f"vehicles/{vehicle.vehicle_id}", "a retired vehicle cannot return to service"
        )
    return replace(
        vehicle,
        zone_code=zone_code or vehicle.zone_code,
        station_id=zone.station_id if zone else vehicle.station_id,
        device_id=device_id or vehicle.device_id,
        status=status or vehicle.status,
        officer_ids=tuple(officer_ids) or vehicle.officer_ids,
        audit=vehicle.audit.touched(by, at),
    )


@dataclass(frozen=True)
class Coverage:
    zone_count: int
    covered: tuple[str, ...]
    uncovered: tuple[str, ...]


def coverage(
    zones: Iterable[ZoneView], vehicles: Iterable[PatrolVehicle], devices: Mapping[str, DeviceView]
) -> Coverage:
    """R-PAT-1: zones with and without an in-service vehicle bound to a working GPS device."""
    codes = sorted({z.zone_code for z in zones if not z.retired})
    patrolled = {v.zone_code for v in vehicles if v.patrols(devices)}
    covered = tuple(c for c in codes if c in patrolled)
    return Coverage(len(codes), covered, tuple(c for c in codes if c not in patrolled))
