"""Fixtures of the telemetry tests: the district's telemetry service and the city gateways, in-process,
on the session's real Kafka and store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import token_for, wait_until
from jingwu_telemetry.entrypoints.main import Telemetry, build
from jingwu_telemetry.gateway.directory import DeviceDirectory
from jingwu_telemetry.gateway.handheld import HandheldGateway
from jingwu_telemetry.gateway.jt808_server import Jt808Gateway
from jingwu_telemetry.gateway.main import GatewayProcess, handheld_gateway, jt808_gateway
from jingwu_telemetry.gateway.settings import GatewaySettings
from jingwu_telemetry.settings import TelemetrySettings

from conftest import started


@dataclass
class Stack:
    district: str
    telemetry: Telemetry
    port: int
    leader: telemetry_pb2_grpc.TelemetryServiceAsyncStub
    jt808: Jt808Gateway
    handheld: HandheldGateway
    directory_jt808: DeviceDirectory
    directory_http: DeviceDirectory
    jt808_process: GatewayProcess
    handheld_process: GatewayProcess

    async def provision_terminal(self, phone: str, plate: str, **fields: Any) -> telemetry_pb2.Device:
        device = (
            await self.leader.RegisterDevice(
                telemetry_pb2.RegisterDeviceRequest(
                    kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
                    jt808=telemetry_pb2.Jt808Terminal(terminal_phone=phone, plate=plate),
                    zone_code=f"{self.district}020301",
                    request_id=f"provision-{phone}",
                    **fields,
                )
            )
        ).device
        await wait_until(
            lambda: self.directory_jt808.terminal(phone) is not None, what=f"{phone} in the directory"
        )
        return device

    async def provision_handheld(self, name: str) -> tuple[telemetry_pb2.Device, str]:
        answer = await self.leader.RegisterDevice(
            telemetry_pb2.RegisterDeviceRequest(
                kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
                handheld=telemetry_pb2.HandheldApp(app_instance_id=name, model="警务通"),
                officer_id=f"officer-{name}",
                request_id=f"provision-{name}",
            )
        )
        device_id = answer.device.device_id
        await wait_until(
            lambda: self.directory_http.device(device_id) is not None, what=f"{name} in the directory"
        )
        return answer.device, answer.auth_code


def gateway_settings(
    kafka_bootstrap: str, district: str, port: int, auth_secret: str, **overrides: object
) -> GatewaySettings:
    values: dict[str, object] = {
        "kafka_bootstrap": kafka_bootstrap,
        "registry_targets": {district: f"127.0.0.1:{port}"},
        "auth_secret": auth_secret,
        "jt808_host": "127.0.0.1",
        "jt808_port": 0,
        "http_host": "127.0.0.1",
        "http_port": 0,
        "linger_ms": 2,
        **overrides,
    }
    return GatewaySettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def stack(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    channels: list[grpc.aio.Channel],
    request: pytest.FixtureRequest,
) -> AsyncIterator[Stack]:
    overrides = dict(getattr(request, "param", {}))
    consume = bool(overrides.pop("consume_fixes", False))
    telemetry = build(
        settings_for("telemetry", district),
        TelemetrySettings(consume_fixes=consume, batch_max_wait_ms=100, seal_interval_s=3600),
    )
    async with started(telemetry.runtime) as port:
        settings = gateway_settings(kafka_bootstrap, district, port, auth_secret, **overrides)
        jt808_process, jt808 = jt808_gateway(settings)
        handheld_process, handheld = handheld_gateway(settings)
        await jt808_process.start()
        await handheld_process.start()
        channel = open_channel(f"127.0.0.1:{port}", token_for(auth_secret, district, Role.SUPERVISOR))
        channels.append(channel)
        try:
            yield Stack(
                district=district,
                telemetry=telemetry,
                port=port,
                leader=telemetry_pb2_grpc.TelemetryServiceStub(channel),
                jt808=jt808,
                handheld=handheld,
                directory_jt808=jt808._directory,
                directory_http=handheld._directory,
                jt808_process=jt808_process,
                handheld_process=handheld_process,
            )
        finally:
            await handheld_process.stop()
            await jt808_process.stop()
