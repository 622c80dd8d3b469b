"""Translation between the device registry's domain and the jingwu.telemetry.v1 contract. Written by
hand: it is the public contract, and names differ on purpose."""

from __future__ import annotations

from datetime import datetime

from jingwu.common.v1 import common_pb2
from jingwu.telemetry.v1 import events_pb2, telemetry_pb2
from jingwu_platform.proto_values import EnumMap, timestamp

from jingwu_telemetry.domain.devices import (
    Attachment,
    Device,
    DeviceKind,
    DeviceStatus,
    HandheldIdentity,
    Jt808Identity,
    ProtocolVersion,
    Reassignment,
)

DEVICE_KIND = EnumMap(DeviceKind, telemetry_pb2.DeviceKind, "DEVICE_KIND")
DEVICE_STATUS = EnumMap(DeviceStatus, telemetry_pb2.DeviceStatus, "DEVICE_STATUS")
PROTOCOL_VERSION = EnumMap(ProtocolVersion, telemetry_pb2.ProtocolVersion, "PROTOCOL_VERSION")
_PLATE_COLOURS = frozenset(telemetry_pb2.PlateColour.values())


def jt808_to_proto(identity: Jt808Identity) -> telemetry_pb2.Jt808Terminal:
    return telemetry_pb2.Jt808Terminal(
        terminal_phone=identity.terminal_phone,
        terminal_id=identity.terminal_id,
        manufacturer_id=identity.manufacturer_id,
        terminal_model=identity.terminal_model,
        province_id=identity.province_id,
        city_id=identity.city_id,
        plate=identity.plate,
        # Wire code 0 (unplated) and codes the contract does not name map to UNSPECIFIED.
        plate_colour=identity.plate_colour if identity.plate_colour in _PLATE_COLOURS else 0,  # type: ignore[arg-type]
        protocol_version=PROTOCOL_VERSION.to_proto(identity.protocol_version),
        imei=identity.imei,
        firmware_version=identity.firmware_version,
    )


def jt808_from_proto(terminal: telemetry_pb2.Jt808Terminal) -> Jt808Identity:
    return Jt808Identity(
        terminal_phone=terminal.terminal_phone.strip(),
        terminal_id=terminal.terminal_id.strip(),
        manufacturer_id=terminal.manufacturer_id.strip(),
        terminal_model=terminal.terminal_model.strip(),
        province_id=terminal.province_id,
        city_id=terminal.city_id,
        plate=terminal.plate.strip(),
        plate_colour=int(terminal.plate_colour),
        protocol_version=PROTOCOL_VERSION.from_proto(terminal.protocol_version),
        imei=terminal.imei.strip(),
        firmware_version=terminal.firmware_version.strip(),
    )


def handheld_from_proto(app: telemetry_pb2.HandheldApp) -> HandheldIdentity:
    return HandheldIdentity(app.app_instance_id.strip(), app.model.strip(), app.app_version.strip())


def device_to_proto(device: Device) -> telemetry_pb2.Device:
    message = telemetry_pb2.Device(
        device_id=device.device_id,
        kind=DEVICE_KIND.to_proto(device.kind),
        status=DEVICE_STATUS.to_proto(device.status),
        zone_code=device.zone_code,
        vehicle_id=device.vehicle_id,
        room_id=device.room_id,
        officer_id=device.officer_id,
        last_auth_time=timestamp(device.last_auth_time),
        audit=common_pb2.AuditInfo(
            created_by=device.created_by,
            create_time=timestamp(device.create_time),
            updated_by=device.updated_by,
            update_time=timestamp(device.update_time),
        ),
        disabled_reason=device.disabled_reason,
    )
    if device.jt808 is not None:
        message.jt808.CopyFrom(jt808_to_proto(device.jt808))
    if device.handheld is not None:
        app = device.handheld
        message.handheld.CopyFrom(
            telemetry_pb2.HandheldApp(
                app_instance_id=app.app_instance_id, model=app.model, app_version=app.app_version
            )
        )
    return message


def directory_entry(district: str, device: Device, at: datetime) -> events_pb2.DeviceDirectoryEntry:
    """The gateways' view of the device (never its auth code: only the code's SHA-256)."""
    return events_pb2.DeviceDirectoryEntry(
        district_code=district,
        device_id=device.device_id,
        kind=DEVICE_KIND.to_proto(device.kind),
        status=DEVICE_STATUS.to_proto(device.status),
        terminal_phone=device.terminal_phone,
        terminal_id=device.jt808.terminal_id if device.jt808 else "",
        credential_sha256=device.credential_hash,
        vehicle_id=device.vehicle_id,
        officer_id=device.officer_id,
        update_time=timestamp(at),
    )


def attachment_from_request(request: telemetry_pb2.RegisterDeviceRequest) -> Attachment:
    return Attachment(
        zone_code=request.zone_code.strip(),
        vehicle_id=request.vehicle_id.strip(),
        room_id=request.room_id.strip(),
        officer_id=request.officer_id.strip(),
    )


def reassignment_from_request(request: telemetry_pb2.AssignDeviceRequest) -> Reassignment:
    return Reassignment(
        zone_code=request.zone_code.strip(),
        vehicle_id=request.vehicle_id.strip(),
        room_id=request.room_id.strip(),
        officer_id=request.officer_id.strip(),
        clear_vehicle=request.clear_vehicle,
        clear_room=request.clear_room,
        clear_officer=request.clear_officer,
    )
