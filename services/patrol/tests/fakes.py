"""The patrol use cases on the in-memory repositories (one shared outbox), a fake clock, and stand-ins
for telemetry's and the room registry's answers, for application tests (milliseconds). The same paths
on the real gRPC server, Kafka and store are the test_service_* files."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from jingwu_patrol.adapters.memory import (
    InMemoryCheckpointRepository,
    InMemoryCrossingLog,
    InMemoryDeviceDirectory,
    InMemoryDutyRepository,
    InMemoryEvidenceRepository,
    InMemoryFindingRepository,
    InMemoryHotSpotRepository,
    InMemoryIncidentRepository,
    InMemoryJointPatrolRepository,
    InMemoryMobileRoomDirectory,
    InMemoryPatrolRepository,
    InMemoryPlanRepository,
    InMemoryRingRepository,
    InMemoryVehicleRepository,
    InMemoryVillageDirectory,
    InMemoryZoneDirectory,
)
from jingwu_patrol.application.ports import RoomOrder
from jingwu_patrol.application.territory import SERVICE, Directories
from jingwu_patrol.domain.geo import GeoPoint
from jingwu_patrol.domain.policy import PatrolPolicy
from jingwu_patrol.domain.tracks import Track
from jingwu_patrol.entrypoints.wiring import PatrolApplications, Repositories, applications
from jingwu_platform.auth import Caller, Role
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.repository import FakeOutbox
from jingwu_platform.usecase import FakeClock, UseCaseKit

from .samples import DISTRICT, NOW, mobile_room, villages, zones

NAMESPACE = uuid.UUID(int=10)
LEADER = Caller("leader-1", DISTRICT, frozenset({Role.SUPERVISOR}))
ADMIN = Caller("admin-1", DISTRICT, frozenset({Role.DISTRICT_ADMIN}))
OFFICER = Caller("officer-1", DISTRICT, frozenset({Role.OFFICER}))


@dataclass
class RecordedTracks:
    """Tracks constructed by the test, served as telemetry's GetTrack would (fixes in [start, end))."""

    tracks: dict[str, Track] = field(default_factory=dict)
    asked: list[tuple[str, datetime, datetime]] = field(default_factory=list)

    async def track(self, device_id: str, start: datetime, end: datetime) -> Track:
        self.asked.append((device_id, start, end))
        whole = self.tracks.get(device_id, Track())
        out = Track()
        for at, lon, lat in zip(whole.times, whole.lons, whole.lats, strict=True):
            if start.timestamp() <= at < end.timestamp():
                out.append(at, lon, lat)
        return out


@dataclass
class KnownPositions:
    positions: dict[str, GeoPoint] = field(default_factory=dict)

    async def latest(self, device_ids: Sequence[str], max_age_s: float) -> dict[str, GeoPoint]:
        return {d: self.positions[d] for d in device_ids if d in self.positions}


@dataclass
class RegistryOrders:
    """The room registry's IssueCheckpointOrder as it answers: one order per request id."""

    clock: FakeClock
    orders: dict[str, RoomOrder] = field(default_factory=dict)
    calls: int = 0

    async def issue(
        self, *, checkpoint_name: str, location: GeoPoint, room_id: str, request_id: str
    ) -> RoomOrder:
        self.calls += 1
        key = request_id or str(uuid.uuid4())
        if key not in self.orders:
            self.orders[key] = RoomOrder(
                order_id=f"order-{len(self.orders) + 1}",
                room_id=room_id,
                checkpoint_name=checkpoint_name,
                checkpoint_location=location,
                issued_at=self.clock.now(),
                issued_by="system:patrol",
            )
        return self.orders[key]


@dataclass
class World:
    clock: FakeClock
    outbox: FakeOutbox
    kit: UseCaseKit
    repositories: Repositories
    apps: PatrolApplications
    tracks: RecordedTracks
    positions: KnownPositions
    orders: RegistryOrders


def world(
    *, policy: PatrolPolicy | None = None, district_policy: DistrictPolicy | None = None, at: datetime = NOW
) -> World:
    clock = FakeClock(at)
    outbox = FakeOutbox()
    kit = UseCaseKit.create(DISTRICT, SERVICE, NAMESPACE, clock=clock, policy=district_policy)
    repositories = Repositories(
        vehicles=InMemoryVehicleRepository(outbox),
        hotspots=InMemoryHotSpotRepository(outbox),
        plans=InMemoryPlanRepository(outbox),
        patrols=InMemoryPatrolRepository(outbox),
        rings=InMemoryRingRepository(outbox),
        checkpoints=InMemoryCheckpointRepository(outbox),
        duties=InMemoryDutyRepository(outbox),
        incidents=InMemoryIncidentRepository(outbox),
        joint_patrols=InMemoryJointPatrolRepository(outbox),
        findings=InMemoryFindingRepository(outbox),
        evidence=InMemoryEvidenceRepository(outbox),
        directories=Directories(
            zones=InMemoryZoneDirectory(),
            villages=InMemoryVillageDirectory(),
            rooms=InMemoryMobileRoomDirectory(),
            devices=InMemoryDeviceDirectory(),
            crossings=InMemoryCrossingLog(),
        ),
    )
    tracks, positions, orders = RecordedTracks(), KnownPositions(), RegistryOrders(clock)
    apps = applications(
        kit,
        repositories,
        policy=policy or PatrolPolicy(),
        tracks=tracks,
        positions=positions,
        room_orders=orders,
    )
    return World(clock, outbox, kit, repositories, apps, tracks, positions, orders)


async def seeded(**kwargs: object) -> World:
    """A world that has learnt the sample district from the room registry's events."""
    w = world(**kwargs)  # type: ignore[arg-type]
    for zone in zones():
        await w.apps.territory.zone_seen(zone)
    for village in villages():
        await w.apps.territory.village_seen(village, village.registered_on or NOW.date())
    await w.apps.territory.mobile_room_seen(mobile_room())
    return w
