"""The simulated fleet: vehicles speaking JT/T 808 over TCP and handhelds posting over HTTP, each
moving along its route (sim.routes). Vehicles register, authenticate and report every
``interval_s``; some go out of coverage for a while, keep their fixes, and upload them with 0x0704
(blind-area backfill) when they are back. Handhelds post JSON or, half of them, the OsmAnd protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import grpc
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.grpc_client import open_channel

from jingwu_telemetry.jt808 import BatchKind, LocationReport, Revision
from jingwu_telemetry.sim.reports import report_at
from jingwu_telemetry.sim.routes import Route
from jingwu_telemetry.sim.terminal import Terminal, TerminalIdentity

log = logging.getLogger(__name__)


@dataclass
class FleetStats:
    reports_acked: int = 0
    reports_refused: int = 0
    backfilled: int = 0
    handheld_posts: int = 0
    handheld_refused: int = 0
    reconnects: int = 0
    offline_periods: int = 0


@dataclass(frozen=True)
class FleetConfig:
    district: str
    jt808: tuple[str, int]
    http: tuple[str, int]
    interval_s: float = 5.0
    # Share of vehicles that go out of coverage now and then, and for how long.
    offline_share: float = 0.2
    offline_s: tuple[float, float] = (20.0, 60.0)
    # Time in coverage between two outages.
    online_s: tuple[float, float] = (60.0, 180.0)
    # Simulated time runs this much faster than the clock (routes advance faster; fix times stay real).
    speedup: float = 1.0
    seed: int = 5


@dataclass
class SimulatedVehicle:
    identity: TerminalIdentity
    route: Route
    config: FleetConfig
    stats: FleetStats
    goes_offline: bool = False
    offset_s: float = 0.0
    stored: list[LocationReport] = field(default_factory=list)

    def _report(self, started: float) -> LocationReport:
        t = self.offset_s + (time.monotonic() - started) * self.config.speedup
        lon, lat, speed, heading = self.route.position(t)
        return report_at(
            lat, lon, datetime.now(UTC), speed_kmh=speed, heading=round(heading), mileage_km=t * speed / 3600
        )

    async def _session(self, terminal: Terminal) -> bool:
        """Connect, register if needed, authenticate; False to try again later."""
        await terminal.connect()
        if not terminal.auth_code:
            registered = await terminal.register()
            if registered.result != 0:
                return False
        if await terminal.authenticate() != 0:
            terminal.auth_code = ""  # revoked or stale: register again next time
            return False
        if self.stored:
            stored, self.stored = self.stored, []
            if await terminal.batch(stored, BatchKind.BACKFILL) == 0:
                self.stats.backfilled += len(stored)
            else:
                self.stored = stored + self.stored
        return True

    async def run(self, stop: asyncio.Event) -> None:
        rng = random.Random(self.identity.phone)  # noqa: S311 - simulation
        started = time.monotonic()
        host, port = self.config.jt808
        terminal = Terminal(self.identity, host, port, position=lambda: self._report(started))
        next_offline = time.monotonic() + rng.uniform(*self.config.online_s)
        while not stop.is_set():
            try:
                if not await self._session(terminal):
                    await terminal.close()
                    await _pause(stop, 2.0)
                    continue
                while not stop.is_set():
                    if self.goes_offline and time.monotonic() > next_offline:
                        await self._offline(terminal, rng, started, stop)
                        next_offline = time.monotonic() + rng.uniform(*self.config.online_s)
                        break
                    if await terminal.report(self._report(started)) == 0:
                        self.stats.reports_acked += 1
                    else:
                        self.stats.reports_refused += 1
                    await _pause(stop, self.config.interval_s)
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
                log.info("terminal reconnects", extra={"phone": self.identity.phone, "error": repr(error)})
                self.stats.reconnects += 1
                await _pause(stop, 2.0)
            except Exception:
                log.exception(
                    "simulated terminal failed; it starts over", extra={"phone": self.identity.phone}
                )
                self.stats.reconnects += 1
                await _pause(stop, 5.0)
            finally:
                await terminal.close()

    async def _offline(
        self, terminal: Terminal, rng: random.Random, started: float, stop: asyncio.Event
    ) -> None:
        """Out of coverage: no connection, fixes kept for the backfill."""
        await terminal.close()
        self.stats.offline_periods += 1
        until = time.monotonic() + rng.uniform(*self.config.offline_s)
        while time.monotonic() < until and not stop.is_set():
            self.stored.append(self._report(started))
            await _pause(stop, self.config.interval_s)


@dataclass
class SimulatedHandheld:
    device_id: str
    auth_code: str
    route: Route
    config: FleetConfig
    stats: FleetStats
    osmand: bool = False

    async def run(self, stop: asyncio.Event) -> None:
        host, port = self.config.http
        started = time.monotonic()
        auth = {"Authorization": aiohttp.encode_basic_auth(self.device_id, self.auth_code)}
        async with aiohttp.ClientSession(headers=auth) as session:
            while not stop.is_set():
                t = (time.monotonic() - started) * self.config.speedup
                lon, lat, speed, heading = self.route.position(t)
                now = datetime.now(UTC)
                try:
                    if self.osmand:
                        params = {
                            "id": self.device_id,
                            "lat": f"{lat:.6f}",
                            "lon": f"{lon:.6f}",
                            "timestamp": str(int(now.timestamp())),
                            "speed": f"{speed / 1.852:.2f}",
                            "bearing": f"{heading:.1f}",
                            "accuracy": "10",
                            "batt": "80",
                        }
                        async with session.post(f"http://{host}:{port}/", data=params) as response:
                            ok = response.status == 200
                    else:
                        fix = {
                            "latitude": lat,
                            "longitude": lon,
                            "time": now.isoformat(),
                            "speed_kmh": speed,
                            "heading_deg": heading,
                            "accuracy_m": 8.0,
                        }
                        async with session.post(f"http://{host}:{port}/v1/positions", json=fix) as response:
                            ok = response.status == 200
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    self.stats.handheld_posts += 1
                else:
                    self.stats.handheld_refused += 1
                await _pause(stop, self.config.interval_s)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def terminal_phone(district: str, number: int) -> str:
    """11 digits, like a SIM number: 139 + district + sequence (fits the 2013 header's BCD[6])."""
    return f"139{district}{number:06d}"


@dataclass(frozen=True)
class ProvisionedVehicle:
    """A simulated vehicle's terminal, its device id in the district's registry, and its route."""

    identity: TerminalIdentity
    device_id: str
    route: Route


@dataclass
class Provisioner:
    """Provisions the fleet's devices in the district registry (idempotent: request ids are stable)."""

    registry_target: str
    auth_secret: str
    district: str
    rooms_target: str = ""

    async def mobile_room_ids(self) -> dict[str, str]:
        """Demo mobile rooms by name → room id, from the room registry (when its address is given)."""
        if not self.rooms_target:
            return {}
        token = issue_token(self.auth_secret, "system:telemetry-sim", self.district, [Role.SERVICE])
        channel = open_channel(self.rooms_target, token)
        try:
            stub = rooms_pb2_grpc.RoomRegistryServiceStub(channel)
            reply = await stub.ListRooms(
                rooms_pb2.ListRoomsRequest(kind=rooms_pb2.ROOM_KIND_MOBILE), timeout=10
            )
            return {room.name: room.room_id for room in reply.rooms}
        except grpc.aio.AioRpcError:
            log.warning("rooms not reachable: mobile vehicles are not attached to their rooms")
            return {}
        finally:
            await channel.close()

    async def vehicles(self, routes: list[Route], zone_of_station: dict[str, str]) -> list[TerminalIdentity]:
        return [vehicle.identity for vehicle in await self.provision(routes, zone_of_station)]

    async def provision(
        self, routes: list[Route], zone_of_station: dict[str, str]
    ) -> list[ProvisionedVehicle]:
        """A terminal per route, numbered in route order (the same phones and request ids every time)."""
        rooms = await self.mobile_room_ids()
        token = issue_token(self.auth_secret, "system:telemetry-sim", self.district, [Role.DISTRICT_ADMIN])
        channel = open_channel(self.registry_target, token)
        provisioned = []
        try:
            stub = telemetry_pb2_grpc.TelemetryServiceStub(channel)
            for number, route in enumerate(routes, start=1):
                phone = terminal_phone(self.district, number)
                plate = route.plate or f"皖L·S{self.district}{number:03d}"
                answer = await stub.RegisterDevice(
                    telemetry_pb2.RegisterDeviceRequest(
                        kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
                        jt808=telemetry_pb2.Jt808Terminal(terminal_phone=phone, plate=plate),
                        zone_code=zone_of_station.get(route.station_id, ""),
                        vehicle_id=f"veh-sim-{self.district}-{number:03d}",
                        room_id=rooms.get(route.mobile_room, ""),
                        request_id=f"sim-terminal-{phone}",
                    ),
                    timeout=10,
                )
                identity = TerminalIdentity(
                    phone,
                    f"S{self.district}{number:04d}",  # 7 characters: the 2013 terminal id is BYTE[7]
                    plate,
                    revision=Revision.R2019 if number % 3 == 0 else Revision.R2013,
                    version_flag_quirk=number % 5 == 0,
                )
                provisioned.append(ProvisionedVehicle(identity, answer.device.device_id, route))
        finally:
            await channel.close()
        return provisioned

    async def handhelds(self, count: int) -> list[tuple[str, str]]:
        token = issue_token(self.auth_secret, "system:telemetry-sim", self.district, [Role.DISTRICT_ADMIN])
        channel = open_channel(self.registry_target, token)
        devices = []
        try:
            stub = telemetry_pb2_grpc.TelemetryServiceStub(channel)
            for number in range(1, count + 1):
                answer = await stub.RegisterDevice(
                    telemetry_pb2.RegisterDeviceRequest(
                        kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
                        handheld=telemetry_pb2.HandheldApp(
                            app_instance_id=f"sim-hh-{number}", model="警务通"
                        ),
                        officer_id=f"officer-sim-{self.district}-{number:03d}",
                        request_id=f"sim-handheld-{number}",
                    ),
                    timeout=10,
                )
                devices.append((answer.device.device_id, answer.auth_code))
        finally:
            await channel.close()
        return devices
