"""The device registry over gRPC on the real Kafka and store (R-TEL-1, R-TEL-2): declared roles, the
gateway's calls as a service, UNAUTHENTICATED for a wrong auth code, and the directory entries on the
compacted topic the city gateways read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TypeAlias

import grpc
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from jingwu.telemetry.v1 import events_pb2, telemetry_pb2, telemetry_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import field_violations, read_topic, refused, token_for
from jingwu_telemetry.domain.credentials import fingerprint
from jingwu_telemetry.entrypoints.main import build

from conftest import started

pytestmark = pytest.mark.integration
Stub: TypeAlias = "telemetry_pb2_grpc.TelemetryServiceAsyncStub"


@pytest.fixture
async def port(settings_for: Callable[..., ServiceSettings], district: str) -> AsyncIterator[int]:
    async with started(build(settings_for("telemetry", district)).runtime) as bound:
        yield bound


def stub(port: int, secret: str, district: str, role: Role, channels: list[grpc.aio.Channel]) -> Stub:
    channel = open_channel(f"127.0.0.1:{port}", token_for(secret, district, role))
    channels.append(channel)
    return telemetry_pb2_grpc.TelemetryServiceStub(channel)


def terminal_request(district: str) -> telemetry_pb2.RegisterDeviceRequest:
    return telemetry_pb2.RegisterDeviceRequest(
        kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
        jt808=telemetry_pb2.Jt808Terminal(terminal_phone="13912345678", plate="皖L12345"),
        zone_code=f"{district}020301",
        vehicle_id="veh-1",
        request_id="provision-1",
    )


async def test_provision_register_authenticate_through_the_declared_roles(
    port: int, district: str, auth_secret: str, kafka_bootstrap: str, channels: list[grpc.aio.Channel]
) -> None:
    leader = stub(port, auth_secret, district, Role.SUPERVISOR, channels)
    officer = stub(port, auth_secret, district, Role.OFFICER, channels)
    gateway = stub(port, auth_secret, district, Role.SERVICE, channels)

    denied = await refused(officer.RegisterDevice(terminal_request(district)))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED and "supervisor" in (denied.details() or "")
    device = (await leader.RegisterDevice(terminal_request(district))).device
    assert device.status == telemetry_pb2.DEVICE_STATUS_PROVISIONED
    again = (await leader.RegisterDevice(terminal_request(district))).device
    assert again.device_id == device.device_id

    assert (await refused(leader.RegisterTerminal(telemetry_pb2.RegisterTerminalRequest()))).code() == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    registration = telemetry_pb2.RegisterTerminalRequest(
        terminal=telemetry_pb2.Jt808Terminal(
            terminal_phone="013912345678",
            terminal_id="T000123",
            plate="皖L12345",
            plate_colour=telemetry_pb2.PLATE_COLOUR_BLUE,
        )
    )
    registered = await gateway.RegisterTerminal(registration)
    assert registered.result == telemetry_pb2.REGISTER_TERMINAL_RESULT_SUCCESS and registered.auth_code
    assert registered.device_id == device.device_id

    wrong = await refused(
        gateway.AuthenticateDevice(
            telemetry_pb2.AuthenticateDeviceRequest(terminal_phone="13912345678", auth_code="x")
        )
    )
    assert wrong.code() == grpc.StatusCode.UNAUTHENTICATED
    authenticated = await gateway.AuthenticateDevice(
        telemetry_pb2.AuthenticateDeviceRequest(terminal_phone="13912345678", auth_code=registered.auth_code)
    )
    assert authenticated.device.HasField("last_auth_time")

    # An unknown terminal is not an error: it is the 0x8100 result "terminal not found".
    nobody = await gateway.RegisterTerminal(
        telemetry_pb2.RegisterTerminalRequest(terminal=telemetry_pb2.Jt808Terminal(terminal_phone="1380000"))
    )
    assert nobody.result == telemetry_pb2.REGISTER_TERMINAL_RESULT_TERMINAL_NOT_FOUND

    # The directory: provisioned, then registered with the code's fingerprint (never the code).
    topic = f"jingwu.{district}.telemetry.devices.v1"
    records = await read_topic(kafka_bootstrap, topic, until=lambda rs: len(rs) >= 2)
    entries = [events_pb2.DeviceDirectoryEntry.FromString(r.value or b"") for r in records]
    assert [e.status for e in entries][:2] == [
        telemetry_pb2.DEVICE_STATUS_PROVISIONED,
        telemetry_pb2.DEVICE_STATUS_REGISTERED,
    ]
    assert entries[1].credential_sha256 == fingerprint(registered.auth_code)
    assert all(r.key == device.device_id.encode() for r in records)
    assert all(registered.auth_code.encode() not in (r.value or b"") for r in records)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        configs = {name: value for name, value, *_ in described.resources[0][4]}
        assert configs["cleanup.policy"] == "compact"
    finally:
        await admin.close()


async def test_bad_requests_name_their_fields(
    port: int, district: str, auth_secret: str, channels: list[grpc.aio.Channel]
) -> None:
    leader = stub(port, auth_secret, district, Role.DISTRICT_ADMIN, channels)
    error = await refused(
        leader.RegisterDevice(
            telemetry_pb2.RegisterDeviceRequest(
                kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
                handheld=telemetry_pb2.HandheldApp(app_instance_id="a"),
            )
        )
    )
    assert "officer_id" in field_violations(error)
    handheld = await leader.RegisterDevice(
        telemetry_pb2.RegisterDeviceRequest(
            kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
            handheld=telemetry_pb2.HandheldApp(app_instance_id="a"),
            officer_id="officer-1",
            request_id="hh-1",
        )
    )
    assert handheld.auth_code
    disabled = await leader.DisableDevice(
        telemetry_pb2.DisableDeviceRequest(device_id=handheld.device.device_id, reason="遗失")
    )
    assert disabled.device.status == telemetry_pb2.DEVICE_STATUS_DISABLED
    enabled = await leader.EnableDevice(
        telemetry_pb2.EnableDeviceRequest(device_id=handheld.device.device_id)
    )
    assert enabled.device.status == telemetry_pb2.DEVICE_STATUS_REGISTERED
    listed = await leader.ListDevices(
        telemetry_pb2.ListDevicesRequest(kind=telemetry_pb2.DEVICE_KIND_HANDHELD)
    )
    assert [d.device_id for d in listed.devices] == [handheld.device.device_id]
    missing = await refused(leader.GetDevice(telemetry_pb2.GetDeviceRequest(device_id="nope")))
    assert missing.code() == grpc.StatusCode.NOT_FOUND
