"""Device registry use cases on the in-memory repository and a fake clock (R-TEL-1, R-TEL-2):
whitelisting, JT/T 808 registration → auth code, authentication, logout revoking the code, attachment,
disable and enable, and the directory entries the city gateways route by."""

from __future__ import annotations

import pytest
from jingwu.telemetry.v1 import events_pb2
from jingwu_platform.errors import AlreadyExists, NotFound, RuleViolation, ValidationFailed
from jingwu_platform.testing import violations_of
from jingwu_telemetry.application.devices import WrongAuthCode, directory_topic
from jingwu_telemetry.domain.credentials import fingerprint
from jingwu_telemetry.domain.devices import (
    Attachment,
    DeviceKind,
    DeviceStatus,
    HandheldIdentity,
    Jt808Identity,
    ProtocolVersion,
    Reassignment,
    RegistrationOutcome,
)

from .samples import LEADER, registry

PHONE = "13912345678"
WHITELISTED = Jt808Identity(terminal_phone=PHONE, plate="皖L12345")
REGISTRATION = Jt808Identity(
    terminal_phone="013912345678",  # as the 2013 header carries it
    terminal_id="T000123",
    manufacturer_id="JWTEL",
    terminal_model="JW-808A",
    province_id=34,
    city_id=1302,
    plate="皖L12345",
    plate_colour=1,
    protocol_version=ProtocolVersion.JT808_2013,
)


async def whitelist(app: object, identity: Jt808Identity = WHITELISTED, request_id: str = "r-1") -> str:
    device, code = await app.register_device(  # type: ignore[attr-defined]
        LEADER,
        kind=DeviceKind.VEHICLE_TERMINAL,
        jt808=identity,
        handheld=None,
        attachment=Attachment(zone_code="01020301", vehicle_id="veh-1"),
        request_id=request_id,
    )
    assert code == "" and device.status is DeviceStatus.PROVISIONED
    return str(device.device_id)


async def test_a_whitelisted_terminal_registers_and_gets_an_auth_code_once_and_again() -> None:
    app, devices, _ = registry()
    device_id = await whitelist(app)
    first = await app.register_terminal(REGISTRATION)
    assert first.outcome is RegistrationOutcome.SUCCESS and first.auth_code
    assert first.device is not None and first.device.status is DeviceStatus.REGISTERED
    assert first.device.jt808 is not None and first.device.jt808.terminal_id == "T000123"
    assert first.device.credential_hash == fingerprint(first.auth_code)
    again = await app.register_terminal(REGISTRATION)  # a terminal that missed the 0x8100 asks again
    assert again.outcome is RegistrationOutcome.SUCCESS and again.auth_code == first.auth_code
    (registered, _) = devices.outbox.of_type(events_pb2.TerminalRegistered)
    assert registered.device_id == device_id and registered.terminal.terminal_id == "T000123"


async def test_registration_outcomes_follow_the_0x8100_table() -> None:
    app, _, _ = registry()
    assert (await app.register_terminal(REGISTRATION)).outcome is RegistrationOutcome.TERMINAL_NOT_FOUND
    await whitelist(app)
    await whitelist(app, Jt808Identity(terminal_phone="13900000002", plate="皖L22222"), request_id="r-2")
    # A plate nobody provisioned, and a plate another terminal is provisioned for.
    unknown_plate = await app.register_terminal(
        Jt808Identity(terminal_phone=PHONE, terminal_id="T1", plate="苏A1")
    )
    assert unknown_plate.outcome is RegistrationOutcome.VEHICLE_NOT_FOUND
    taken_plate = await app.register_terminal(
        Jt808Identity(terminal_phone=PHONE, terminal_id="T1", plate="皖L22222")
    )
    assert taken_plate.outcome is RegistrationOutcome.VEHICLE_ALREADY_REGISTERED
    assert (await app.register_terminal(REGISTRATION)).outcome is RegistrationOutcome.SUCCESS
    # Another terminal (another terminal id) answering on a registered phone number.
    other = await app.register_terminal(
        Jt808Identity(terminal_phone=PHONE, terminal_id="T999", plate="皖L12345")
    )
    assert other.outcome is RegistrationOutcome.TERMINAL_ALREADY_REGISTERED and other.auth_code == ""


async def test_authentication_checks_the_current_code_and_logout_revokes_it() -> None:
    app, devices, clock = registry()
    await whitelist(app)
    code = (await app.register_terminal(REGISTRATION)).auth_code
    clock.advance(minutes=1)
    device = await app.authenticate(
        terminal_phone=PHONE, device_id="", auth_code=code, imei="861234567890123", firmware_version="V2"
    )
    assert device.last_auth_time == clock.now()
    assert device.jt808 is not None and device.jt808.imei == "861234567890123"
    with pytest.raises(WrongAuthCode):
        await app.authenticate(terminal_phone=PHONE, device_id="", auth_code="guess")

    await app.deregister_terminal("013912345678")
    with pytest.raises(WrongAuthCode):  # revoked: the old code no longer opens
        await app.authenticate(terminal_phone=PHONE, device_id="", auth_code=code)
    renewed = await app.register_terminal(REGISTRATION)
    assert renewed.outcome is RegistrationOutcome.SUCCESS and renewed.auth_code != code
    assert devices.outbox.of_type(events_pb2.TerminalDeregistered)
    with pytest.raises(NotFound):
        await app.authenticate(terminal_phone="13800000000", device_id="", auth_code=code)


async def test_a_disabled_device_is_refused_and_re_enabled_to_its_former_status() -> None:
    app, devices, _ = registry()
    device_id = await whitelist(app)
    code = (await app.register_terminal(REGISTRATION)).auth_code
    disabled = await app.disable(LEADER, device_id, "终端被拆除")
    assert disabled.status is DeviceStatus.DISABLED
    with pytest.raises(RuleViolation):
        await app.authenticate(terminal_phone=PHONE, device_id="", auth_code=code)
    assert (await app.register_terminal(REGISTRATION)).outcome is RegistrationOutcome.TERMINAL_NOT_FOUND
    enabled = await app.enable(LEADER, device_id)
    assert enabled.status is DeviceStatus.REGISTERED and enabled.disabled_reason == ""
    await app.authenticate(terminal_phone=PHONE, device_id="", auth_code=code)  # the same code works again
    with pytest.raises(ValidationFailed):
        await app.disable(LEADER, device_id, " ")
    assert devices.outbox.of_type(events_pb2.DeviceDisabled)[0].reason == "终端被拆除"
    assert len(devices.outbox.of_type(events_pb2.DeviceEnabled)) == 1


async def test_every_change_writes_the_directory_entry_without_the_code() -> None:
    app, devices, _ = registry()
    device_id = await whitelist(app)
    code = (await app.register_terminal(REGISTRATION)).auth_code
    await app.disable(LEADER, device_id, "维修")
    entries = devices.outbox.of_type(events_pb2.DeviceDirectoryEntry)
    assert [e.status for e in entries] == [1, 2, 3]  # provisioned, registered, disabled
    assert all(e.terminal_phone == PHONE and e.district_code == "01" for e in entries)
    assert entries[1].credential_sha256 == fingerprint(code) and entries[1].terminal_id == "T000123"
    topics = {
        t for e, t in zip(devices.outbox.events, devices.outbox.topics, strict=True) if e.key == device_id
    }
    assert topics == {directory_topic("01"), "jingwu.01.telemetry.v1"}
    assert all(code not in e.payload.decode("latin-1") for e in devices.outbox.events)


async def test_a_handheld_is_bound_to_an_officer_and_gets_its_code_at_provisioning() -> None:
    app, _, _ = registry()
    with pytest.raises(ValidationFailed) as refused:
        await app.register_device(
            LEADER,
            kind=DeviceKind.HANDHELD,
            jt808=None,
            handheld=HandheldIdentity("app-1"),
            attachment=Attachment(),
            request_id="h-1",
        )
    assert "officer_id" in violations_of(refused.value)
    device, code = await app.register_device(
        LEADER,
        kind=DeviceKind.HANDHELD,
        jt808=None,
        handheld=HandheldIdentity("app-1", "警务通"),
        attachment=Attachment(officer_id="officer-7"),
        request_id="h-1",
    )
    assert device.status is DeviceStatus.REGISTERED and code
    repeat, same_code = await app.register_device(
        LEADER,
        kind=DeviceKind.HANDHELD,
        jt808=None,
        handheld=HandheldIdentity("app-1", "警务通"),
        attachment=Attachment(officer_id="officer-7"),
        request_id="h-1",
    )
    assert repeat == device and same_code == code
    assert (await app.authenticate(terminal_phone="", device_id=device.device_id, auth_code=code)).officer_id
    with pytest.raises(RuleViolation, match="R-TEL-1"):
        await app.assign(LEADER, device.device_id, Reassignment(clear_officer=True))


async def test_provisioning_validates_and_refuses_a_second_device_on_one_phone() -> None:
    app, _, _ = registry()
    with pytest.raises(ValidationFailed) as refused:
        await app.register_device(
            LEADER,
            kind=DeviceKind.VEHICLE_TERMINAL,
            jt808=Jt808Identity(terminal_phone="13x", plate=""),
            handheld=None,
            attachment=Attachment(zone_code="99020301"),
            request_id="r-9",
        )
    assert set(violations_of(refused.value)) == {"jt808.terminal_phone", "jt808.plate", "zone_code"}
    first = await whitelist(app)
    assert await whitelist(app) == first  # the same request again: the same device
    with pytest.raises(AlreadyExists):
        await whitelist(app, request_id="r-other")


async def test_assign_keeps_empty_fields_and_clears_on_request() -> None:
    app, devices, _ = registry()
    device_id = await whitelist(app)
    moved = await app.assign(LEADER, device_id, Reassignment(zone_code="01020302", room_id="room-m1"))
    assert (moved.zone_code, moved.vehicle_id, moved.room_id) == ("01020302", "veh-1", "room-m1")
    cleared = await app.assign(LEADER, device_id, Reassignment(clear_vehicle=True))
    assert (cleared.vehicle_id, cleared.room_id) == ("", "room-m1")
    assert len(devices.outbox.of_type(events_pb2.DeviceAssigned)) == 2
    with pytest.raises(ValidationFailed):
        await app.assign(LEADER, device_id, Reassignment(zone_code="0102"))
