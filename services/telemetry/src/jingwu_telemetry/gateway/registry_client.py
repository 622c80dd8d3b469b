"""The gateways' calls to the district registries (TelemetryService), per district, as a Jingwu
service (Role.SERVICE). Only for what happens once per connection — registration, authentication,
logout — never per frame: routing uses the in-memory directory."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import grpc
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.grpc_client import open_channel

_TOKEN_TTL_S = 3600
_TIMEOUT_S = 10.0


class RegistryUnavailable(Exception):
    """The district's registry could not be reached (or has no address here)."""


@dataclass
class _District:
    stub: telemetry_pb2_grpc.TelemetryServiceAsyncStub
    channel: grpc.aio.Channel
    secret: str
    token: str = ""
    expires: float = 0.0


@dataclass
class RegistryClients:
    """``targets``: district → ``host:port`` of its telemetry service; ``secrets``: district → the
    district's credential secret (``default_secret`` for districts not named)."""

    targets: Mapping[str, str]
    default_secret: str
    secrets: Mapping[str, str] = field(default_factory=dict)
    subject: str = "system:telemetry-gateway"
    _districts: dict[str, _District] = field(default_factory=dict)

    def _district(self, district: str) -> _District:
        known = self._districts.get(district)
        if known is not None:
            return known
        target = self.targets.get(district)
        if not target:
            raise RegistryUnavailable(f"no telemetry registry address for district {district}")
        channel = open_channel(target, None)
        stub = telemetry_pb2_grpc.TelemetryServiceStub(channel)
        known = _District(stub, channel, self.secrets.get(district, self.default_secret))
        self._districts[district] = known
        return known

    def _metadata(self, district: _District, name: str) -> tuple[tuple[str, str], ...]:
        now = time.time()
        if district.expires - now < 300:
            district.token = issue_token(
                district.secret, self.subject, name, [Role.SERVICE], ttl_s=_TOKEN_TTL_S
            )
            district.expires = now + _TOKEN_TTL_S
        return (("authorization", f"Bearer {district.token}"),)

    async def register_terminal(
        self, district: str, terminal: telemetry_pb2.Jt808Terminal
    ) -> telemetry_pb2.RegisterTerminalResponse:
        target = self._district(district)
        return await target.stub.RegisterTerminal(
            telemetry_pb2.RegisterTerminalRequest(terminal=terminal),
            metadata=self._metadata(target, district),
            timeout=_TIMEOUT_S,
        )

    async def authenticate(
        self, district: str, request: telemetry_pb2.AuthenticateDeviceRequest
    ) -> telemetry_pb2.AuthenticateDeviceResponse:
        target = self._district(district)
        return await target.stub.AuthenticateDevice(
            request, metadata=self._metadata(target, district), timeout=_TIMEOUT_S
        )

    async def deregister(self, district: str, terminal_phone: str) -> None:
        target = self._district(district)
        await target.stub.DeregisterTerminal(
            telemetry_pb2.DeregisterTerminalRequest(terminal_phone=terminal_phone),
            metadata=self._metadata(target, district),
            timeout=_TIMEOUT_S,
        )

    async def close(self) -> None:
        for district in self._districts.values():
            await district.channel.close()
        self._districts.clear()
