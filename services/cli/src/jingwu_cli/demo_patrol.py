"""The demo district's patrol data, loaded through the patrol service's gRPC API after the room registry
(and, when it runs, telemetry) has the district (R-PAT-1..6, R-ROOM-5). Idempotent: every create names a
request id, so loading again changes nothing.

What it loads, from what the registry and telemetry answer:
- a GPS patrol vehicle per zone, bound to the telemetry terminal of that zone's simulated vehicle when
  there is one (R-PAT-1); the last zone is left without one, so coverage shows a finding;
- hot spots at the busiest places of the first zones, and eight weeks of incidents (警情) clustered
  at them in their hours — a zone's first hot spot on yesterday's weekday, so yesterday's plans have
  slots (R-PAT-2);
- a plan per zone generated from the recommendation, from yesterday for a week (R-PAT-2);
- core, centre, inner and outer rings around the district, checkpoints and security check stations on
  them (R-PAT-3);
- a week of joint patrols of every community's and village's team, with a few days missed (R-PAT-4).

``itineraries`` is what the telemetry simulator needs to follow (or deliberately miss) the plans on a
day (jingwu_telemetry.sim.backfill drives it and uploads it with 0x0704 through the JT/T 808 gateway),
and ``compute_yesterday`` recomputes yesterday's evidence once that backfill has landed (R-PAT-6). Zones
need boundaries for incidents to be placed in them: without any, incidents are skipped (and said so).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2 as pb
from jingwu.rooms.v1 import rooms_pb2
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.grpc_client import open_channel

from jingwu_cli.client import Clients, collect
from jingwu_cli.demo import limited
from jingwu_cli.patrol_commands import PatrolClient

SEED = 20261122
WEEKS = 8
CATEGORIES = (
    pb.INCIDENT_CATEGORY_THEFT,
    pb.INCIDENT_CATEGORY_THEFT,
    pb.INCIDENT_CATEGORY_VEHICLE_THEFT,
    pb.INCIDENT_CATEGORY_FRAUD,
    pb.INCIDENT_CATEGORY_DISPUTE,
    pb.INCIDENT_CATEGORY_BURGLARY,
)
PLACES = ("菜市场", "夜市", "汽车站", "商业街", "学校门口")


@dataclass
class PatrolSeedReport:
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    plan_ids: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        counts = "，".join(f"{k} {v}" for k, v in self.counts.items())
        return [f"patrol: {counts}", *(f"skipped — {s}" for s in self.skipped)]


@dataclass(frozen=True)
class Waypoint:
    """Be at ``location`` (within ``radius_m``) for ``minutes`` inside [start, end) on ``day``."""

    hotspot_id: str
    longitude: float
    latitude: float
    radius_m: float
    day: date
    start_minute: int
    end_minute: int
    minutes: int


@dataclass(frozen=True)
class Itinerary:
    """What a simulated vehicle should do to follow its plan (``follow`` False: miss it on purpose)."""

    vehicle_id: str
    device_id: str
    follow: bool
    waypoints: tuple[Waypoint, ...]


def _stamp(at: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(at)
    return value


def _local(day: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=day.year, month=day.month, day=day.day)


def _inside(boundary: common_pb2.Polygon, lon: float, lat: float) -> bool:
    if not boundary.rings:
        return False
    ring = boundary.rings[0].points
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi, xj, yj = ring[i].longitude, ring[i].latitude, ring[j].longitude, ring[j].latitude
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _square(lon: float, lat: float, half: float) -> common_pb2.Polygon:
    corners = [
        (lon - half, lat - half),
        (lon + half, lat - half),
        (lon + half, lat + half),
        (lon - half, lat + half),
    ]
    points = [common_pb2.GeoPoint(longitude=x, latitude=y) for x, y in [*corners, corners[0]]]
    return common_pb2.Polygon(rings=[common_pb2.LinearRing(points=points)])


class PatrolLoader:
    def __init__(
        self,
        clients: Clients,
        secret: str,
        *,
        patrol_addr: str,
        telemetry_addr: str = "",
        today: date | None = None,
        seed: int = SEED,
    ) -> None:
        self._clients = clients
        self._patrol = PatrolClient(clients, patrol_addr)
        self._secret = secret
        self._telemetry_addr = telemetry_addr
        self._today = today or datetime.now(DISTRICT_ZONE).date()
        self._random = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.report = PatrolSeedReport()

    async def close(self) -> None:
        await self._patrol.close()

    def _count(self, what: str, n: int = 1) -> None:
        self.report.counts[what] = self.report.counts.get(what, 0) + n

    async def run(self) -> PatrolSeedReport:
        zones = await self._zones()
        villages = await self._villages()
        vehicles = await self._vehicles(zones)
        spots = await self._hotspots_and_incidents(zones, villages)
        await self._plans(vehicles)
        await self._rings(zones, villages)
        await self._joint_patrols(villages)
        self.report.counts["hot spots"] = len(spots)
        return self.report

    async def _zones(self) -> list[rooms_pb2.Zone]:
        async def page(token: str) -> tuple[list[rooms_pb2.Zone], str]:
            request = rooms_pb2.ListZonesRequest(page=common_pb2.PageRequest(page_size=500, page_token=token))
            reply = await self._clients.call("rooms", self._clients.rooms.ListZones, request)
            return list(reply.zones), reply.page.next_page_token

        return await collect(page)

    async def _villages(self) -> list[rooms_pb2.Village]:
        async def page(token: str) -> tuple[list[rooms_pb2.Village], str]:
            request = rooms_pb2.ListVillagesRequest(
                page=common_pb2.PageRequest(page_size=500, page_token=token)
            )
            reply = await self._clients.call("rooms", self._clients.rooms.ListVillages, request)
            return list(reply.villages), reply.page.next_page_token

        return await collect(page)

    async def _terminals(self) -> list[telemetry_pb2.Device]:
        if not self._telemetry_addr:
            return []
        token = issue_token(
            self._secret, "cli:demo-patrol", self._clients.target.district, [Role.DISTRICT_ADMIN]
        )
        channel = open_channel(self._telemetry_addr, token)
        try:
            stub = telemetry_pb2_grpc.TelemetryServiceStub(channel)
            reply = await stub.ListDevices(
                telemetry_pb2.ListDevicesRequest(
                    kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
                    page=common_pb2.PageRequest(page_size=500),
                ),
                timeout=15,
            )
            return list(reply.devices)
        except Exception as error:  # telemetry not up: vehicles without devices, and say so
            self.report.skipped.append(
                f"telemetry at {self._telemetry_addr} not reachable ({error.__class__.__name__})"
            )
            return []
        finally:
            await channel.close()

    async def _vehicles(self, zones: Sequence[rooms_pb2.Zone]) -> dict[str, pb.PatrolVehicle]:
        """R-PAT-1: one per zone but the last, on the zone's simulated terminal when there is one."""
        terminals: dict[str, list[telemetry_pb2.Device]] = {}
        for terminal in await self._terminals():
            terminals.setdefault(terminal.zone_code, []).append(terminal)
        found: dict[str, pb.PatrolVehicle] = {}
        active = sorted((z for z in zones if not z.retired), key=lambda z: z.zone_code)
        for number, zone in enumerate(active[:-1], start=1):
            candidates = terminals.get(zone.zone_code, [])
            device = candidates[0] if candidates else None
            request = pb.RegisterVehicleRequest(
                plate=device.jt808.plate if device else f"皖L·P{number:04d}",
                zone_code=zone.zone_code,
                device_id=device.device_id if device else "",
                room_id=device.room_id if device else "",
                request_id=f"demo-vehicle-{zone.zone_code}",
            )
            found[zone.zone_code] = (
                await self._patrol.call(self._patrol.stub.RegisterVehicle, request)
            ).vehicle
        self._count("vehicles", len(found))
        if active:
            self.report.skipped.append(
                f"zone {active[-1].zone_code} left without a vehicle on purpose (R-PAT-1 finding)"
            )
        return found

    async def _hotspots_and_incidents(
        self, zones: Sequence[rooms_pb2.Zone], villages: Sequence[rooms_pb2.Village]
    ) -> list[pb.HotSpot]:
        bounded = [z for z in zones if z.boundary.rings and not z.retired]
        if not bounded:
            self.report.skipped.append(
                "incidents and hot spots: the zones have no boundaries to place them in"
            )
            return []
        by_zone: dict[str, list[rooms_pb2.Village]] = {}
        for village in villages:
            by_zone.setdefault(village.zone_code, []).append(village)
        service = issue_token(
            self._secret, "system:command-centre", self._clients.target.district, [Role.SERVICE]
        )
        spots: list[pb.HotSpot] = []
        rng = self._random
        for zone in sorted(bounded, key=lambda z: z.zone_code)[:12]:
            anchors = [
                v
                for v in by_zone.get(zone.zone_code, [])
                if _inside(zone.boundary, v.location.longitude, v.location.latitude)
            ]
            if not anchors:
                ring = zone.boundary.rings[0].points
                anchors_xy = [
                    (
                        sum(p.longitude for p in ring[:-1]) / (len(ring) - 1),
                        sum(p.latitude for p in ring[:-1]) / (len(ring) - 1),
                    )
                ]
            else:
                anchors_xy = [(v.location.longitude, v.location.latitude) for v in anchors[:2]]
            for index, (lon, lat) in enumerate(anchors_xy):
                name = f"{zone.community_name or zone.name}{PLACES[(index + len(spots)) % len(PLACES)]}"
                spot = await self._patrol.call(
                    self._patrol.stub.CreateHotSpot,
                    pb.CreateHotSpotRequest(
                        name=name[:64],
                        kind=pb.HOT_SPOT_KIND_PLACE,
                        zone_code=zone.zone_code,
                        location=common_pb2.GeoPoint(longitude=lon, latitude=lat),
                        radius_m=150,
                        source="manual",
                        request_id=f"demo-hotspot-{zone.zone_code}-{index}",
                    ),
                )
                spots.append(spot.hotspot)
                weekday, hour = rng.randrange(7), rng.choice((9, 12, 17, 19, 20, 21, 22))
                if index == 0:
                    # The zone's first hot spot has its cases on yesterday's weekday, so yesterday's plan
                    # has a slot there for the simulator's backfill to follow or miss (R-PAT-6).
                    weekday = (self._today - timedelta(days=1)).weekday()
                await self._incidents(zone, spot.hotspot, weekday, hour, service)
        return spots

    async def _incidents(
        self, zone: rooms_pb2.Zone, spot: pb.HotSpot, weekday: int, hour: int, token: str
    ) -> None:
        rng = self._random
        reports: list[pb.IncidentReport] = []
        for week in range(WEEKS):
            monday = self._today - timedelta(days=self._today.weekday() + 7 * week)
            day = monday + timedelta(days=weekday)
            if day >= self._today:
                continue
            for n in range(rng.randint(1, 3)):
                at = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=DISTRICT_ZONE)
                lon = spot.location.longitude + rng.uniform(-0.0008, 0.0008)
                lat = spot.location.latitude + rng.uniform(-0.0008, 0.0008)
                if not _inside(zone.boundary, lon, lat):
                    lon, lat = spot.location.longitude, spot.location.latitude
                report = pb.IncidentReport(
                    source_system="command_centre",
                    source_incident_id=f"demo-{spot.hotspot_id[:8]}-{day.isoformat()}-{n}",
                    occur_time=_stamp(at),
                    location=common_pb2.GeoPoint(longitude=lon, latitude=lat),
                    category=rng.choice(CATEGORIES),
                    address=spot.name,
                )
                reports.append(report)
        # Drawn in order (the same random draws every run), then sent several at a time.
        await limited(
            functools.partial(
                self._patrol.call,
                self._patrol.stub.RecordIncident,
                pb.RecordIncidentRequest(report=r),
                token=token,
            )
            for r in reports
        )
        self._count("incidents", len(reports))

    async def _plans(self, vehicles: dict[str, pb.PatrolVehicle]) -> None:
        """R-PAT-2: the recommendation's top slots for every zone with a vehicle, from yesterday."""
        first = self._today - timedelta(days=1)
        unplanned: dict[str, list[str]] = {}  # reason → zones
        for zone_code, vehicle in sorted(vehicles.items()):
            request = pb.CreatePatrolPlanFromHotSpotsRequest(
                zone_code=zone_code,
                vehicle_id=vehicle.vehicle_id,
                period=common_pb2.DateRange(start=_local(first), end=_local(first + timedelta(days=6))),
                top=4,
                required_minutes=20,
                shift=pb.TimeSlot(start_minute=8 * 60, end_minute=23 * 60),
                request_id=f"demo-plan-{zone_code}-{first.isoformat()}",
            )
            try:
                reply = await self._patrol.call(self._patrol.stub.CreatePatrolPlanFromHotSpots, request)
            except Exception as error:  # a zone without enough cases: no plan, said so
                unplanned.setdefault(str(getattr(error, "message", error)), []).append(zone_code)
                continue
            self.report.plan_ids.append(reply.patrol_plan.plan_id)
        for reason, zones in unplanned.items():  # one line per reason, not one per zone
            shown = ", ".join(zones[:3]) + (f" and {len(zones) - 3} more" if len(zones) > 3 else "")
            self.report.skipped.append(f"no plan for {len(zones)} zones ({shown}): {reason}")
        self._count("plans", len(self.report.plan_ids))

    async def _rings(self, zones: Sequence[rooms_pb2.Zone], villages: Sequence[rooms_pb2.Village]) -> None:
        """R-PAT-3: four nested squares around the district's middle, checkpoints on the outer two."""
        points = [(p.longitude, p.latitude) for z in zones for r in z.boundary.rings[:1] for p in r.points]
        points += [(v.location.longitude, v.location.latitude) for v in villages if v.location.longitude]
        if not points:
            self.report.skipped.append("rings: the district has no geography")
            return
        lon = (min(x for x, _ in points) + max(x for x, _ in points)) / 2
        lat = (min(y for _, y in points) + max(y for _, y in points)) / 2
        span = max(
            max(x for x, _ in points) - min(x for x, _ in points),
            max(y for _, y in points) - min(y for _, y in points),
        )
        levels = (
            (pb.RING_LEVEL_CORE, "核心圈", 0.1),
            (pb.RING_LEVEL_CENTRE, "中心圈", 0.25),
            (pb.RING_LEVEL_INNER, "内圈", 0.4),
            (pb.RING_LEVEL_OUTER, "外圈", 0.55),
        )
        checkpoints = 0
        for level, name, share in levels:
            half = max(span * share, 0.002)
            ring = await self._patrol.call(
                self._patrol.stub.DefinePreventionRing,
                pb.DefinePreventionRingRequest(
                    name=f"城区{name}",
                    level=level,
                    boundary=_square(lon, lat, half),
                    request_id=f"demo-ring-{level}",
                ),
            )
            if level in (pb.RING_LEVEL_INNER, pb.RING_LEVEL_OUTER):
                for index, (dx, dy) in enumerate(((-1, 0), (1, 0), (0, -1), (0, 1))):
                    kind = (
                        pb.CHECKPOINT_KIND_CHECKPOINT
                        if level == pb.RING_LEVEL_OUTER
                        else pb.CHECKPOINT_KIND_SECURITY_CHECK_STATION
                    )
                    label = "卡口" if kind == pb.CHECKPOINT_KIND_CHECKPOINT else "治安检查站"
                    await self._patrol.call(
                        self._patrol.stub.RegisterCheckpoint,
                        pb.RegisterCheckpointRequest(
                            name=f"{name}{'西东南北'[index]}{label}",
                            kind=kind,
                            ring_id=ring.prevention_ring.ring_id,
                            location=common_pb2.GeoPoint(longitude=lon + dx * half, latitude=lat + dy * half),
                            request_id=f"demo-checkpoint-{level}-{index}",
                        ),
                    )
                    checkpoints += 1
        self._count("rings", len(levels))
        self._count("checkpoints", checkpoints)

    async def _joint_patrols(self, villages: Sequence[rooms_pb2.Village]) -> None:
        """R-PAT-4: the last week, every team daily — but every fifth misses yesterday."""
        teams = sorted(
            (v for v in villages if v.level != rooms_pb2.VILLAGE_LEVEL_NATURAL), key=lambda v: v.village_id
        )
        requests: list[pb.RecordJointPatrolRequest] = []
        for index, village in enumerate(teams[:60]):
            for back in range(1, 8):
                day = self._today - timedelta(days=back)
                if back == 1 and index % 5 == 0:
                    continue
                start = datetime(day.year, day.month, day.day, 19, 30, tzinfo=DISTRICT_ZONE)
                requests.append(
                    pb.RecordJointPatrolRequest(
                        village_id=village.village_id,
                        date=_local(day),
                        start_time=_stamp(start),
                        end_time=_stamp(start + timedelta(hours=1, minutes=30)),
                        participant_count=6 + index % 5,
                        notes="群防群治联合巡逻",
                        request_id=f"demo-joint-{village.village_id}-{day.isoformat()}",
                    )
                )
        await limited(
            functools.partial(self._patrol.call, self._patrol.stub.RecordJointPatrol, r) for r in requests
        )
        self._count("joint patrols", len(requests))


async def seed_patrol(
    clients: Clients, secret: str, *, patrol_addr: str, telemetry_addr: str = "", today: date | None = None
) -> PatrolSeedReport:
    loader = PatrolLoader(
        clients, secret, patrol_addr=patrol_addr, telemetry_addr=telemetry_addr, today=today
    )
    try:
        return await loader.run()
    finally:
        await loader.close()


async def itineraries(clients: Clients, *, patrol_addr: str, day: date) -> list[Itinerary]:
    """For the simulator: where each planned vehicle must be on ``day`` to meet its plans (the slots of
    every active plan of the day, in time order; vehicles with none are left out). Every third vehicle,
    from the second on, is to miss its plan (``follow`` False), so evidence shows gaps as well as
    compliance (R-PAT-6)."""
    patrol = PatrolClient(clients, patrol_addr)
    try:
        plans = await patrol.call(
            patrol.stub.ListPatrolPlans,
            pb.ListPatrolPlansRequest(
                period=common_pb2.DateRange(start=_local(day), end=_local(day)),
                page=common_pb2.PageRequest(page_size=500),
            ),
        )
        vehicles = {
            v.vehicle_id: v
            for v in (
                await patrol.call(
                    patrol.stub.ListVehicles,
                    pb.ListVehiclesRequest(page=common_pb2.PageRequest(page_size=500)),
                )
            ).vehicles
        }
        spots = {
            h.hotspot_id: h
            for h in (
                await patrol.call(
                    patrol.stub.ListHotSpots,
                    pb.ListHotSpotsRequest(page=common_pb2.PageRequest(page_size=500)),
                )
            ).hotspots
        }
        planned: dict[str, list[Waypoint]] = {}  # vehicle → its waypoints of every plan of the day
        for plan in (p for p in plans.patrol_plans if p.status == pb.PATROL_PLAN_STATUS_ACTIVE):
            vehicle = vehicles.get(plan.vehicle_id)
            if vehicle is None or not vehicle.device_id:
                continue
            waypoints = planned.setdefault(vehicle.vehicle_id, [])
            for section in plan.sections:
                if section.slot.weekdays and day.isoweekday() not in section.slot.weekdays:
                    continue
                spot = spots.get(section.hotspot_id)
                centre = _centre(spot) if spot is not None else None
                if spot is None or centre is None:
                    continue
                waypoint = Waypoint(
                    spot.hotspot_id,
                    centre[0],
                    centre[1],
                    spot.radius_m or 100,
                    day,
                    section.slot.start_minute,
                    section.slot.end_minute,
                    section.required_minutes,
                )
                if waypoint not in waypoints:  # the same slot in two overlapping plans
                    waypoints.append(waypoint)
        found: list[Itinerary] = []
        for vehicle_id, waypoints in planned.items():
            if not waypoints:
                continue  # nothing planned on the day
            # Every third vehicle misses its plan, from the second on (so two vehicles show both).
            follow = len(found) % 3 != 1
            device_id = vehicles[vehicle_id].device_id
            found.append(Itinerary(vehicle_id, device_id, follow, tuple(sorted(waypoints, key=_slot_order))))
        return found
    finally:
        await patrol.close()


def _slot_order(waypoint: Waypoint) -> tuple[int, int, str]:
    return waypoint.start_minute, waypoint.end_minute, waypoint.hotspot_id


def _centre(spot: pb.HotSpot) -> tuple[float, float] | None:
    """Where to be at a hot spot: its location, else the middle of its road section or area."""
    if spot.HasField("location"):
        return spot.location.longitude, spot.location.latitude
    if spot.path:
        middle = spot.path[len(spot.path) // 2]
        return middle.longitude, middle.latitude
    ring = list(spot.area.rings[0].points) if spot.area.rings else []
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    if not ring:
        return None
    return sum(p.longitude for p in ring) / len(ring), sum(p.latitude for p in ring) / len(ring)


async def compute_yesterday(clients: Clients, *, patrol_addr: str, today: date | None = None) -> list[str]:
    """Yesterday's evidence of every vehicle with a GPS device, recomputed now (after the simulator's
    backfill landed), as summary lines."""
    day = (today or datetime.now(DISTRICT_ZONE).date()) - timedelta(days=1)
    patrol = PatrolClient(clients, patrol_addr)
    try:
        listed = await patrol.call(
            patrol.stub.ListVehicles, pb.ListVehiclesRequest(page=common_pb2.PageRequest(page_size=500))
        )
        met = short = 0
        for vehicle in listed.vehicles:
            if not vehicle.device_id:
                continue
            reply = await patrol.call(
                patrol.stub.ComputePatrolEvidence,
                pb.ComputePatrolEvidenceRequest(vehicle_id=vehicle.vehicle_id, date=_local(day)),
            )
            evidence = reply.patrol_evidence
            if evidence.planned_slot_count and evidence.met_slot_count == evidence.planned_slot_count:
                met += 1
            elif evidence.planned_slot_count:
                short += 1
        return [
            f"patrol evidence {day.isoformat()}: {met} vehicles met their plan, {short} fell short (R-PAT-6)"
        ]
    finally:
        await patrol.close()
