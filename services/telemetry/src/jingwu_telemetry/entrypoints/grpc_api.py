"""gRPC entry point of the telemetry service: the device registry and the position queries."""

from __future__ import annotations

import grpc
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc
from jingwu_platform.auth import Role, current_caller
from jingwu_platform.authz import READ, AccessPolicy, allow
from jingwu_platform.grpc_server import Context

from jingwu_telemetry.adapters.proto_mapping import (
    DEVICE_KIND,
    DEVICE_STATUS,
    PROTOCOL_VERSION,
    attachment_from_request,
    device_to_proto,
    handheld_from_proto,
    jt808_from_proto,
    reassignment_from_request,
)
from jingwu_telemetry.application.devices import DeviceApplication, WrongAuthCode
from jingwu_telemetry.application.ports import DeviceQuery
from jingwu_telemetry.application.positions import PositionQueries
from jingwu_telemetry.entrypoints.position_api import PositionQueriesApi

# Who may call what. Devices are provisioned, re-attached and disabled by station leaders and the
# district's administrators; the gateways relay the terminals' registration, authentication and
# logout as a Jingwu service (Role.SERVICE). Reads are open to every caller of the district.
_MANAGERS = (Role.SUPERVISOR, Role.DISTRICT_ADMIN)
ACCESS = AccessPolicy(
    telemetry_pb2.DESCRIPTOR.services_by_name["TelemetryService"],
    {
        "RegisterDevice": allow(*_MANAGERS, idempotency_key="request_id"),
        # A terminal's identity makes a repeat harmless: the same terminal gets the same answer and code.
        "RegisterTerminal": allow(Role.SERVICE, idempotency_key="terminal"),
        "DeregisterTerminal": allow(Role.SERVICE),
        "AuthenticateDevice": allow(Role.SERVICE),
        "GetDevice": READ,
        "ListDevices": READ,
        "AssignDevice": allow(*_MANAGERS),
        "DisableDevice": allow(*_MANAGERS),
        "EnableDevice": allow(*_MANAGERS),
        "GetLatestPositions": READ,
        "GetTrack": READ,
        "ListZoneEvents": READ,
        "ListStopEvents": READ,
    },
)
SERVICE_NAME = ACCESS.full_name


class TelemetryServicer(PositionQueriesApi, telemetry_pb2_grpc.TelemetryServiceServicer):
    """Translates requests to the device use cases and back (the position queries: PositionQueriesApi)."""

    def __init__(self, devices: DeviceApplication, positions: PositionQueries) -> None:
        super().__init__(positions)
        self._devices = devices

    async def RegisterDevice(  # noqa: N802 - gRPC method names are PascalCase
        self, request: telemetry_pb2.RegisterDeviceRequest, context: Context
    ) -> telemetry_pb2.RegisterDeviceResponse:
        identity = request.WhichOneof("identity")
        device, code = await self._devices.register_device(
            current_caller(),
            kind=DEVICE_KIND.from_proto(request.kind),
            jt808=jt808_from_proto(request.jt808) if identity == "jt808" else None,
            handheld=handheld_from_proto(request.handheld) if identity == "handheld" else None,
            attachment=attachment_from_request(request),
            request_id=request.request_id.strip(),
        )
        return telemetry_pb2.RegisterDeviceResponse(device=device_to_proto(device), auth_code=code)

    async def RegisterTerminal(  # noqa: N802
        self, request: telemetry_pb2.RegisterTerminalRequest, context: Context
    ) -> telemetry_pb2.RegisterTerminalResponse:
        registered = await self._devices.register_terminal(jt808_from_proto(request.terminal))
        return telemetry_pb2.RegisterTerminalResponse(
            result=int(registered.outcome) + 1,  # type: ignore[arg-type]  # contract values = wire + 1
            device_id=registered.device.device_id if registered.device else "",
            auth_code=registered.auth_code,
        )

    async def DeregisterTerminal(  # noqa: N802
        self, request: telemetry_pb2.DeregisterTerminalRequest, context: Context
    ) -> telemetry_pb2.DeregisterTerminalResponse:
        device = await self._devices.deregister_terminal(request.terminal_phone)
        return telemetry_pb2.DeregisterTerminalResponse(device=device_to_proto(device))

    async def AuthenticateDevice(  # noqa: N802
        self, request: telemetry_pb2.AuthenticateDeviceRequest, context: Context
    ) -> telemetry_pb2.AuthenticateDeviceResponse:
        try:
            device = await self._devices.authenticate(
                terminal_phone=request.terminal_phone,
                device_id=request.device_id,
                auth_code=request.auth_code,
                imei=request.imei,
                firmware_version=request.firmware_version,
                remote_address=request.remote_address,
                protocol_version=PROTOCOL_VERSION.from_proto(request.protocol_version),
            )
        except WrongAuthCode as error:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(error))
        return telemetry_pb2.AuthenticateDeviceResponse(device=device_to_proto(device))

    async def GetDevice(  # noqa: N802
        self, request: telemetry_pb2.GetDeviceRequest, context: Context
    ) -> telemetry_pb2.GetDeviceResponse:
        device = await self._devices.get_device(
            device_id=request.device_id, terminal_phone=request.terminal_phone
        )
        return telemetry_pb2.GetDeviceResponse(device=device_to_proto(device))

    async def ListDevices(  # noqa: N802
        self, request: telemetry_pb2.ListDevicesRequest, context: Context
    ) -> telemetry_pb2.ListDevicesResponse:
        query = DeviceQuery(
            kind=DEVICE_KIND.from_proto(request.kind),
            status=DEVICE_STATUS.from_proto(request.status),
            zone_code=request.zone_code.strip(),
            vehicle_id=request.vehicle_id.strip(),
            officer_id=request.officer_id.strip(),
            after_id=request.page.page_token,
        )
        found, token = await self._devices.list_devices(query, request.page.page_size)
        response = telemetry_pb2.ListDevicesResponse(devices=[device_to_proto(d) for d in found])
        response.page.next_page_token = token
        return response

    async def AssignDevice(  # noqa: N802
        self, request: telemetry_pb2.AssignDeviceRequest, context: Context
    ) -> telemetry_pb2.AssignDeviceResponse:
        device = await self._devices.assign(
            current_caller(), request.device_id, reassignment_from_request(request)
        )
        return telemetry_pb2.AssignDeviceResponse(device=device_to_proto(device))

    async def DisableDevice(  # noqa: N802
        self, request: telemetry_pb2.DisableDeviceRequest, context: Context
    ) -> telemetry_pb2.DisableDeviceResponse:
        device = await self._devices.disable(current_caller(), request.device_id, request.reason)
        return telemetry_pb2.DisableDeviceResponse(device=device_to_proto(device))

    async def EnableDevice(  # noqa: N802
        self, request: telemetry_pb2.EnableDeviceRequest, context: Context
    ) -> telemetry_pb2.EnableDeviceResponse:
        device = await self._devices.enable(current_caller(), request.device_id)
        return telemetry_pb2.EnableDeviceResponse(device=device_to_proto(device))
