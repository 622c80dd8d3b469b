"""The device registry (R-TEL-1, R-TEL-2): vehicle terminals whitelisted for JT/T 808 registration and
handhelds bound to officers, what each is attached to, and its credential. Pure: transitions take the
time and the actor, return a new frozen device or raise a domain error.

Credentials: an auth code is derived from the device id and a generation (domain.credentials), so a
repeated registration answers the same code, and a logout revokes it by moving to the next
generation. The device keeps only the code's SHA-256, which the city gateways also get.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import IntEnum, StrEnum

from jingwu_platform.errors import RuleViolation, Validator


class DeviceKind(StrEnum):
    VEHICLE_TERMINAL = "vehicle_terminal"
    HANDHELD = "handheld"


class DeviceStatus(StrEnum):
    PROVISIONED = "provisioned"  # whitelisted; not (or no longer) registered over the wire
    REGISTERED = "registered"  # holds an auth code
    DISABLED = "disabled"


class ProtocolVersion(StrEnum):
    JT808_2011 = "jt808_2011"
    JT808_2013 = "jt808_2013"
    JT808_2019 = "jt808_2019"


class RegistrationOutcome(IntEnum):
    """0x8100 result codes (JT/T 808 Table 9)."""

    SUCCESS = 0
    VEHICLE_ALREADY_REGISTERED = 1
    VEHICLE_NOT_FOUND = 2
    TERMINAL_ALREADY_REGISTERED = 3
    TERMINAL_NOT_FOUND = 4


@dataclass(frozen=True)
class Jt808Identity:
    terminal_phone: str = ""  # without leading zeros
    terminal_id: str = ""
    manufacturer_id: str = ""
    terminal_model: str = ""
    province_id: int = 0
    city_id: int = 0
    plate: str = ""
    plate_colour: int = 0  # JT/T 697.7 wire code; 0: unplated (the plate field carries the VIN)
    protocol_version: ProtocolVersion | None = None
    imei: str = ""
    firmware_version: str = ""


@dataclass(frozen=True)
class HandheldIdentity:
    app_instance_id: str = ""
    model: str = ""
    app_version: str = ""


@dataclass(frozen=True)
class Device:
    device_id: str
    kind: DeviceKind
    status: DeviceStatus
    jt808: Jt808Identity | None = None
    handheld: HandheldIdentity | None = None
    zone_code: str = ""
    vehicle_id: str = ""
    room_id: str = ""
    officer_id: str = ""
    # The current credential: generation (moves on at each revocation) and the SHA-256 of its code.
    credential_generation: int = 1
    credential_hash: str = ""
    disabled_reason: str = ""
    # The status a disabled device returns to when enabled.
    status_before_disable: DeviceStatus | None = None
    last_auth_time: datetime | None = None
    request_id: str = ""
    created_by: str = ""
    create_time: datetime | None = None
    updated_by: str = ""
    update_time: datetime | None = None
    version: int = 0

    @property
    def terminal_phone(self) -> str:
        return self.jt808.terminal_phone if self.jt808 else ""

    @property
    def enabled(self) -> bool:
        return self.status is not DeviceStatus.DISABLED


@dataclass(frozen=True)
class Attachment:
    """What a device is attached to (R-TEL-1, R-PAT-1, R-ROOM-5)."""

    zone_code: str = ""
    vehicle_id: str = ""
    room_id: str = ""
    officer_id: str = ""


@dataclass(frozen=True)
class Reassignment:
    """AssignDevice: empty fields keep their value, ``clear_*`` empty them."""

    zone_code: str = ""
    vehicle_id: str = ""
    room_id: str = ""
    officer_id: str = ""
    clear_vehicle: bool = False
    clear_room: bool = False
    clear_officer: bool = False


_PHONE = re.compile(r"^\d{1,20}$")
_ZONE_CODE = re.compile(r"^\d{8}$")


def normalize_phone(phone: str) -> str:
    """The phone number as keyed: without leading zeros (the header pads it with zeros)."""
    return phone.strip().lstrip("0")


def check_zone_code(check: Validator, district: str, zone_code: str, field: str = "zone_code") -> None:
    if zone_code and check.check(bool(_ZONE_CODE.match(zone_code)), field, "an 8-digit zone code"):
        check.check(zone_code.startswith(district), field, f"a zone of district {district}")


def provision(
    *,
    device_id: str,
    kind: DeviceKind | None,
    district: str,
    jt808: Jt808Identity | None,
    handheld: HandheldIdentity | None,
    attachment: Attachment,
    request_id: str,
    actor: str,
    at: datetime,
) -> Device:
    """A new device (RegisterDevice). A vehicle terminal is whitelisted by its phone number or terminal
    id with its plate, and registers itself over the wire later (PROVISIONED); a handheld is bound to
    an officer and is registered at once (R-TEL-1)."""
    check = Validator()
    check.check(kind is not None, "kind", "vehicle_terminal or handheld")
    if kind is DeviceKind.VEHICLE_TERMINAL:
        if check.check(jt808 is not None and handheld is None, "jt808", "a vehicle terminal's identity"):
            assert jt808 is not None
            check.check(
                bool(jt808.terminal_phone or jt808.terminal_id),
                "jt808.terminal_phone",
                "a terminal phone number or a terminal id",
            )
            if jt808.terminal_phone:
                check.check(
                    bool(_PHONE.match(jt808.terminal_phone)), "jt808.terminal_phone", "up to 20 digits"
                )
            check.check(bool(jt808.plate.strip()), "jt808.plate", "the plate of the vehicle it is fitted to")
    elif kind is DeviceKind.HANDHELD:
        check.check(handheld is not None and jt808 is None, "handheld", "a handheld's identity")
        check.check(bool(attachment.officer_id), "officer_id", "the officer carrying the handheld (R-TEL-1)")
    check_zone_code(check, district, attachment.zone_code)
    check.raise_if_any()
    assert kind is not None
    if jt808 is not None:
        jt808 = replace(
            jt808, terminal_phone=normalize_phone(jt808.terminal_phone), plate=jt808.plate.strip()
        )
    return Device(
        device_id=device_id,
        kind=kind,
        status=DeviceStatus.REGISTERED if kind is DeviceKind.HANDHELD else DeviceStatus.PROVISIONED,
        jt808=jt808,
        handheld=handheld,
        zone_code=attachment.zone_code,
        vehicle_id=attachment.vehicle_id,
        room_id=attachment.room_id,
        officer_id=attachment.officer_id,
        request_id=request_id,
        created_by=actor,
        create_time=at,
        updated_by=actor,
        update_time=at,
    )


def _touched(device: Device, actor: str, at: datetime, **changes: object) -> Device:
    return replace(device, updated_by=actor, update_time=at, **changes)  # type: ignore[arg-type]


def with_credential(device: Device, credential_hash: str, actor: str, at: datetime) -> Device:
    return _touched(device, actor, at, credential_hash=credential_hash)


def registration_outcome(
    device: Device | None,
    *,
    terminal_id: str,
    plate: str,
    plate_holder: Device | None,
) -> RegistrationOutcome:
    """Whether a terminal's 0x0100 may register (R-TEL-2). ``device`` is the whitelisted terminal found by
    phone number (or terminal id); ``plate_holder`` the device provisioned with the registration's plate,
    if another one is."""
    if device is None or device.kind is not DeviceKind.VEHICLE_TERMINAL or not device.enabled:
        return RegistrationOutcome.TERMINAL_NOT_FOUND
    assert device.jt808 is not None
    known = device.jt808
    if known.terminal_id and terminal_id and known.terminal_id != terminal_id:
        # Another terminal answers on this phone number: either this one registered already, or the
        # whitelisted terminal is a different one.
        if device.status is DeviceStatus.REGISTERED:
            return RegistrationOutcome.TERMINAL_ALREADY_REGISTERED
        return RegistrationOutcome.TERMINAL_NOT_FOUND
    if known.plate and plate and known.plate != plate:
        if plate_holder is not None and plate_holder.device_id != device.device_id:
            return RegistrationOutcome.VEHICLE_ALREADY_REGISTERED
        return RegistrationOutcome.VEHICLE_NOT_FOUND
    return RegistrationOutcome.SUCCESS


def register_terminal(
    device: Device, registration: Jt808Identity, credential_hash: str, actor: str, at: datetime
) -> Device:
    """The terminal registered: what it said of itself is kept, and it holds the current credential."""
    assert device.jt808 is not None
    known = device.jt808
    identity = replace(
        known,
        terminal_phone=registration.terminal_phone or known.terminal_phone,
        terminal_id=registration.terminal_id or known.terminal_id,
        manufacturer_id=registration.manufacturer_id,
        terminal_model=registration.terminal_model,
        province_id=registration.province_id,
        city_id=registration.city_id,
        plate=known.plate or registration.plate,
        plate_colour=registration.plate_colour,
        protocol_version=registration.protocol_version,
    )
    return _touched(
        device, actor, at, jt808=identity, status=DeviceStatus.REGISTERED, credential_hash=credential_hash
    )


def deregister_terminal(device: Device, actor: str, at: datetime) -> Device:
    """Logout 0x0003: the auth code is revoked (the next registration gets a new one)."""
    if device.status is not DeviceStatus.REGISTERED:
        return device
    return _touched(
        device,
        actor,
        at,
        status=DeviceStatus.PROVISIONED,
        credential_generation=device.credential_generation + 1,
        credential_hash="",
    )


def authenticated(device: Device, *, imei: str, firmware_version: str, actor: str, at: datetime) -> Device:
    """A successful authentication (0x0102 or a handheld login): its time, and 2019's IMEI/firmware."""
    changes: dict[str, object] = {"last_auth_time": at}
    if device.jt808 is not None and (imei or firmware_version):
        changes["jt808"] = replace(
            device.jt808,
            imei=imei or device.jt808.imei,
            firmware_version=firmware_version or device.jt808.firmware_version,
        )
    return _touched(device, actor, at, **changes)


def reassign(device: Device, change: Reassignment, district: str, actor: str, at: datetime) -> Device:
    check = Validator()
    check_zone_code(check, district, change.zone_code)
    check.raise_if_any()
    if change.clear_officer and device.kind is DeviceKind.HANDHELD:
        raise RuleViolation("R-TEL-1", device.device_id, "a handheld stays bound to an officer")

    def pick(new: str, clear: bool, old: str) -> str:
        return "" if clear else (new or old)

    return _touched(
        device,
        actor,
        at,
        zone_code=change.zone_code or device.zone_code,
        vehicle_id=pick(change.vehicle_id, change.clear_vehicle, device.vehicle_id),
        room_id=pick(change.room_id, change.clear_room, device.room_id),
        officer_id=pick(change.officer_id, change.clear_officer, device.officer_id),
    )


def disable(device: Device, reason: str, actor: str, at: datetime) -> Device:
    if not reason.strip():
        check = Validator()
        check.add("reason", "why the device is disabled")
        check.raise_if_any()
    if device.status is DeviceStatus.DISABLED:
        return device
    return _touched(
        device,
        actor,
        at,
        status=DeviceStatus.DISABLED,
        disabled_reason=reason.strip(),
        status_before_disable=device.status,
    )


def enable(device: Device, actor: str, at: datetime) -> Device:
    if device.status is not DeviceStatus.DISABLED:
        return device
    return _touched(
        device,
        actor,
        at,
        status=device.status_before_disable or DeviceStatus.PROVISIONED,
        disabled_reason="",
        status_before_disable=None,
    )
