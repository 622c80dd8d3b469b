"""Yesterday's track of one demo vehicle, through the real ingestion path, for the console's evidence view
and track replay (R-PAT-6: vehicle tracks are the evidence; R-TEL-1..2: vehicles speak JT/T 808).

The console stack (conftest.py) loads patrol's demo — a vehicle per zone, plans from yesterday on — but
provisions no terminals, so no vehicle has a track. ``drive_yesterday`` gives the first vehicle with a
plan for yesterday a terminal and a day, the way ``make run``'s patrol demo does for the simulator's
fleet (jingwu_devstack.run.patrol_demo):

- telemetry registers a JT/T 808 terminal for the vehicle (RegisterDevice, as the simulator's
  Provisioner does); once patrol has the device (GetStatus caught up) the vehicle is bound to it
  (AssignVehicle);
- the city's JT/T 808 gateway runs as its own process against the stack's telemetry and Kafka, as
  ``make run`` starts it (jingwu_devstack.run.city_specs);
- the day follows the vehicle's plan (jingwu_cli.demo_patrol.itineraries → jingwu_telemetry.sim.day_track,
  from the zone's centre), and the simulator's terminal uploads it as a terminal back in coverage does:
  register, authenticate, stored fixes in 0x0704 batches (blind-area backfill; sim.backfill.upload);
- then it waits until telemetry returns every fix for the day (GetTrack) and telemetry and patrol are
  caught up (the zone crossings reach patrol), and asks patrol to compute the day (ComputePatrolEvidence).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2 as pat
from jingwu.patrol.v1 import patrol_pb2_grpc
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu.telemetry.v1 import telemetry_pb2 as tel
from jingwu.telemetry.v1 import telemetry_pb2_grpc
from jingwu_devstack.procs import ProcessSpec, all_ready, free_port, log_ready, tcp_ready
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE, local_midnight
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.testing import wait_until

from .conftest import BIN, ConsoleStack

TERMINAL_NUMBER = 901  # the simulator numbers its terminals from 1: this phone is the test's own
REPLAY_EVERY_S = 5  # the console's replay thins the track to one fix per 5 s (api/telemetry.track)
PAGE = common_pb2.PageRequest(page_size=500)
CALL_TIMEOUT_S = 60.0  # the machine is shared: a service may take a while to answer
WAIT_S = 180.0


@dataclass(frozen=True)
class PastDay:
    """What was driven and what the services made of it."""

    day: date
    vehicle: pat.PatrolVehicle  # bound to the terminal
    device_id: str
    sent: int  # fixes uploaded with 0x0704
    batches: int
    stored: int  # fixes telemetry returns for the day
    replayed: int  # … thinned as the replay asks for them
    evidence: pat.PatrolEvidence  # ComputePatrolEvidence's answer
    zone_evidence: tuple[pat.PatrolEvidence, ...]  # every vehicle's of that zone and day
    stored_s: float  # from connecting to the gateway until telemetry returned every fix
    gateway: str  # the process name, to stop it


def _stamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def _local(day: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=day.year, month=day.month, day=day.day)


def start_jt808_gateway(stack: ConsoleStack, log_dir: Path) -> tuple[str, int]:
    """``jingwu-jt808-gateway`` (a city process) routing the district's terminals to its telemetry."""
    port = free_port()
    log_path = log_dir / "jt808-gateway.log"
    name = f"jt808-gateway-{stack.district}"
    stack.supervisor.start(
        ProcessSpec(
            name=name,
            argv=[str(BIN / "jingwu-jt808-gateway")],
            log_path=log_path,
            env={
                "JINGWU_GATEWAY_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
                "JINGWU_GATEWAY_REGISTRY_TARGETS": f'{{"{stack.district}": "{stack.targets["telemetry"]}"}}',
                "JINGWU_GATEWAY_AUTH_SECRET": stack.secret,
                "JINGWU_GATEWAY_JT808_HOST": "127.0.0.1",
                "JINGWU_GATEWAY_JT808_PORT": str(port),
                "JINGWU_GATEWAY_LINGER_MS": "2",
            },
            ports=[port],
            ready=all_ready(tcp_ready(port), log_ready(log_path, " ready")),
            ready_timeout=60.0,
        )
    )
    return name, port


def _planned_today(plan: pat.PatrolPlan, day: date) -> bool:
    return plan.status == pat.PATROL_PLAN_STATUS_ACTIVE and any(
        not s.slot.weekdays or day.isoweekday() in s.slot.weekdays for s in plan.sections
    )


def _centre(zone: rooms_pb2.Zone) -> tuple[float, float]:
    ring = list(zone.boundary.rings[0].points)
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    return sum(p.longitude for p in ring) / len(ring), sum(p.latitude for p in ring) / len(ring)


async def _track_count(
    telemetry: telemetry_pb2_grpc.TelemetryServiceAsyncStub, device_id: str, day: date, every_s: int = 0
) -> int:
    start = local_midnight(day)
    count, token = 0, ""
    while True:
        request = tel.GetTrackRequest(
            device_id=device_id,
            start_time=_stamp(start),
            end_time=_stamp(start + timedelta(days=1)),
            page=common_pb2.PageRequest(page_size=5000, page_token=token),
        )
        if every_s:
            request.min_interval.CopyFrom(Duration(seconds=every_s))
        answer = await telemetry.GetTrack(request, timeout=CALL_TIMEOUT_S)
        count += len(answer.fixes)
        token = answer.page.next_page_token
        if not token:
            return count


async def _planned_vehicle(patrol: patrol_pb2_grpc.PatrolServiceAsyncStub, day: date) -> pat.PatrolVehicle:
    """The vehicle of the first zone (by code) with an active plan for ``day``."""
    period = common_pb2.DateRange(start=_local(day), end=_local(day))
    plans = await patrol.ListPatrolPlans(
        pat.ListPatrolPlansRequest(period=period, page=PAGE), timeout=CALL_TIMEOUT_S
    )
    listed = await patrol.ListVehicles(pat.ListVehiclesRequest(page=PAGE), timeout=CALL_TIMEOUT_S)
    vehicles = {v.vehicle_id: v for v in listed.vehicles}
    planned = {vehicles[p.vehicle_id].zone_code: vehicles[p.vehicle_id] for p in plans.patrol_plans
               if p.vehicle_id in vehicles and _planned_today(p, day)}  # fmt: skip
    assert planned, f"patrol's demo has no vehicle with a plan for {day}"
    return planned[min(planned)]


async def _bind_terminal(
    stack: ConsoleStack,
    token: str,
    patrol: patrol_pb2_grpc.PatrolServiceAsyncStub,
    telemetry: telemetry_pb2_grpc.TelemetryServiceAsyncStub,
    vehicle: pat.PatrolVehicle,
    phone: str,
) -> tuple[pat.PatrolVehicle, str]:
    """A JT/T 808 terminal registered in telemetry for the vehicle, and the vehicle bound to it."""
    from jingwu_cli.caught_up import wait_caught_up

    device = (
        await telemetry.RegisterDevice(
            tel.RegisterDeviceRequest(
                kind=tel.DEVICE_KIND_VEHICLE_TERMINAL,
                jt808=tel.Jt808Terminal(terminal_phone=phone, plate=vehicle.plate),
                zone_code=vehicle.zone_code,
                vehicle_id=vehicle.vehicle_id,
                request_id=f"console-test-terminal-{phone}",
            ),
            timeout=CALL_TIMEOUT_S,
        )
    ).device
    await wait_caught_up(_stores(stack), token, timeout_s=WAIT_S)  # patrol has the device
    request = pat.AssignVehicleRequest(
        vehicle_id=vehicle.vehicle_id, device_id=device.device_id, reason="车载终端安装"
    )
    bound = (await patrol.AssignVehicle(request, timeout=CALL_TIMEOUT_S)).vehicle
    assert bound.device_id == device.device_id
    return bound, device.device_id


def _stores(stack: ConsoleStack) -> dict[str, str]:
    return {name: stack.targets[name] for name in ("telemetry", "patrol")}


async def drive_yesterday(stack: ConsoleStack, log_dir: Path) -> PastDay:
    """Yesterday's plan of a demo vehicle driven, uploaded through the gateway, stored and computed."""
    from jingwu_cli.caught_up import wait_caught_up
    from jingwu_cli.client import Clients
    from jingwu_cli.config import Credential, Target
    from jingwu_cli.demo_patrol import itineraries
    from jingwu_telemetry.sim.backfill import BackfillConfig, VehicleDay, upload
    from jingwu_telemetry.sim.day_track import day_track
    from jingwu_telemetry.sim.fleet import terminal_phone
    from jingwu_telemetry.sim.terminal import TerminalIdentity

    day = datetime.now(DISTRICT_ZONE).date() - timedelta(days=1)
    token = stack.token(Role.DISTRICT_ADMIN, subject="console-past-day")
    channels = {name: open_channel(stack.targets[name], token) for name in ("patrol", "telemetry", "rooms")}
    patrol = patrol_pb2_grpc.PatrolServiceStub(channels["patrol"])
    telemetry = telemetry_pb2_grpc.TelemetryServiceStub(channels["telemetry"])
    rooms = rooms_pb2_grpc.RoomRegistryServiceStub(channels["rooms"])
    gateway, port = start_jt808_gateway(stack, log_dir)
    try:
        phone = terminal_phone(stack.district, TERMINAL_NUMBER)
        vehicle = await _planned_vehicle(patrol, day)
        vehicle, device_id = await _bind_terminal(stack, token, patrol, telemetry, vehicle, phone)
        zones = await rooms.ListZones(rooms_pb2.ListZonesRequest(page=PAGE), timeout=CALL_TIMEOUT_S)
        home = _centre(next(z for z in zones.zones if z.zone_code == vehicle.zone_code))
        target = Target(
            stack.district, stack.targets["rooms"], stack.targets["personnel"], Credential(token, "test")
        )
        async with Clients(target) as clients:
            plan = next(i for i in await itineraries(clients, patrol_addr=stack.targets["patrol"], day=day)
                        if i.vehicle_id == vehicle.vehicle_id)  # fmt: skip
        fixes = day_track(plan.waypoints, follow=True, home=home, seed=phone)
        identity = TerminalIdentity(phone, f"T{stack.district}{TERMINAL_NUMBER:04d}", vehicle.plate)

        began = time.monotonic()
        batches = await upload(
            VehicleDay(identity, device_id, True, tuple(fixes)),
            BackfillConfig(gateway=("127.0.0.1", port), register_timeout_s=WAIT_S),
        )

        async def stored() -> bool:
            return await _track_count(telemetry, device_id, day) >= len(fixes)

        await wait_until(stored, timeout_s=WAIT_S, what=f"telemetry storing {len(fixes)} fixes of {day}")
        stored_s = time.monotonic() - began
        await wait_caught_up(_stores(stack), token, timeout_s=WAIT_S)  # the zone crossings are in patrol
        computed = await patrol.ComputePatrolEvidence(
            pat.ComputePatrolEvidenceRequest(vehicle_id=vehicle.vehicle_id, date=_local(day)),
            timeout=CALL_TIMEOUT_S,
        )
        period = common_pb2.DateRange(start=_local(day), end=_local(day))
        listed = await patrol.ListPatrolEvidence(
            pat.ListPatrolEvidenceRequest(zone_code=vehicle.zone_code, period=period, page=PAGE),
            timeout=CALL_TIMEOUT_S,
        )
        return PastDay(
            day=day,
            vehicle=vehicle,
            device_id=device_id,
            sent=len(fixes),
            batches=batches,
            stored=await _track_count(telemetry, device_id, day),
            replayed=await _track_count(telemetry, device_id, day, REPLAY_EVERY_S),
            evidence=computed.patrol_evidence,
            zone_evidence=tuple(listed.patrol_evidence),
            stored_s=stored_s,
            gateway=gateway,
        )
    except BaseException:
        stack.supervisor.stop(gateway)
        raise
    finally:
        for channel in channels.values():
            await channel.close()
