"""The patrol repository contracts of versioned aggregates (vehicles, hot spots, plans, patrols, rings,
checkpoints), each run against the in-memory fake and the Mongo adapter on the session's real store
(FerretDB): the platform's AggregateRepositoryContract, then every typed query on both. Records,
evidence and read models: test_repository_contract_records.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from jingwu_patrol.adapters.memory import (
    InMemoryCheckpointRepository,
    InMemoryHotSpotRepository,
    InMemoryPatrolRepository,
    InMemoryPlanRepository,
    InMemoryRingRepository,
    InMemoryVehicleRepository,
)
from jingwu_patrol.adapters.repository import (
    MongoCheckpointRepository,
    MongoHotSpotRepository,
    MongoPatrolRepository,
    MongoPlanRepository,
    MongoRingRepository,
    MongoVehicleRepository,
)
from jingwu_patrol.application.ports import (
    CheckpointQuery,
    HotSpotQuery,
    PatrolQuery,
    PlanQuery,
    RingQuery,
    VehicleQuery,
)
from jingwu_patrol.domain.common import Audit, order_key
from jingwu_patrol.domain.geo import Polygon
from jingwu_patrol.domain.hotspots import HotSpot, HotSpotKind
from jingwu_patrol.domain.patrols import Patrol, PatrolMode, PatrolStatus
from jingwu_patrol.domain.plans import PatrolPlan, PlannedSection, PlanStatus
from jingwu_patrol.domain.prevention import Checkpoint, CheckpointKind, PreventionRing, RingLevel
from jingwu_patrol.domain.slots import TimeSlot
from jingwu_patrol.domain.vehicles import PatrolVehicle, VehicleStatus
from jingwu_platform.contract import AggregateRepositoryContract
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.testing import scratch_database
from pymongo.asynchronous.database import AsyncDatabase

from .samples import DAY, NOW, ZONE_A, ZONE_B, at_m, square

pytestmark = pytest.mark.integration
AUDIT = Audit.new("leader-1", NOW)


def backends(memory: Callable[[], Any], mongo: Callable[[AsyncDatabase[Document]], Any]) -> Any:
    """A ``repository`` fixture: the fake, then the Mongo adapter on a scratch database of its own."""

    @pytest.fixture(params=["memory", "mongo"])
    async def repository(self: object, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        if request.param == "memory":
            yield memory()
            return
        async with scratch_database(request.getfixturevalue("mongo_url")) as database:
            adapter = mongo(database)
            await adapter.ensure_indexes()
            yield adapter

    return repository


def ids(items: list[Any], key: str) -> list[str]:
    return [getattr(item, key) for item in items]


def vehicle(n: int, **changes: Any) -> PatrolVehicle:
    return replace(
        PatrolVehicle(
            f"v-{n:03d}", f"皖L·J{n:04d}", ZONE_A, "st-1", f"d-{n}", officer_ids=("o-1", "o-2"), audit=AUDIT
        ),
        **changes,
    )


class TestVehicleRepository(AggregateRepositoryContract[PatrolVehicle]):
    repository = backends(InMemoryVehicleRepository, lambda db: MongoVehicleRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> PatrolVehicle:
        return vehicle(n)

    def changed(self, aggregate: PatrolVehicle) -> PatrolVehicle:
        return replace(aggregate, zone_code=ZONE_B, status=VehicleStatus.MAINTENANCE)

    def id_of(self, aggregate: PatrolVehicle) -> str:
        return aggregate.vehicle_id

    async def test_select_filters_and_pages_in_id_order(self, repository: Any) -> None:
        for n in (3, 1, 2):
            await repository.add(vehicle(n))
        await repository.add(vehicle(4, zone_code=ZONE_B, station_id="st-2"))
        await repository.add(vehicle(5, status=VehicleStatus.RETIRED, room_id="room-m"))
        assert ids(await repository.select(VehicleQuery(zone_code=ZONE_A)), "vehicle_id") == [
            "v-001",
            "v-002",
            "v-003",
            "v-005",
        ]
        assert ids(await repository.select(VehicleQuery(station_id="st-2")), "vehicle_id") == ["v-004"]
        assert ids(await repository.select(VehicleQuery(status=VehicleStatus.RETIRED)), "vehicle_id") == [
            "v-005"
        ]
        assert ids(await repository.select(VehicleQuery(room_id="room-m")), "vehicle_id") == ["v-005"]
        page = await repository.select(VehicleQuery(after_id="v-002", limit=2))
        assert ids(page, "vehicle_id") == ["v-003", "v-004"]


def hotspot(n: int, **changes: Any) -> HotSpot:
    base = HotSpot(
        f"hs-{n:03d}",
        f"热点{n}",
        HotSpotKind.AREA,
        ZONE_A,
        area=square(0, 0, 300),
        time_slots=(TimeSlot((2,), 19 * 60, 20 * 60), TimeSlot((), 22 * 60, 26 * 60)),
        case_count=n,
        audit=AUDIT,
    )
    return replace(base, **changes)


class TestHotSpotRepository(AggregateRepositoryContract[HotSpot]):
    repository = backends(InMemoryHotSpotRepository, lambda db: MongoHotSpotRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> HotSpot:
        return hotspot(n)

    def changed(self, aggregate: HotSpot) -> HotSpot:
        return replace(
            aggregate,
            kind=HotSpotKind.ROAD_SECTION,
            area=Polygon(),
            path=(at_m(0, 0), at_m(100, 0)),
            radius_m=30,
        )

    def id_of(self, aggregate: HotSpot) -> str:
        return aggregate.hotspot_id

    async def test_select_hides_inactive_unless_asked(self, repository: Any) -> None:
        await repository.add(hotspot(1))
        await repository.add(hotspot(2, active=False))
        await repository.add(
            hotspot(3, zone_code=ZONE_B, kind=HotSpotKind.PLACE, location=at_m(1, 1), radius_m=50)
        )
        assert ids(await repository.select(HotSpotQuery()), "hotspot_id") == ["hs-001", "hs-003"]
        assert ids(
            await repository.select(HotSpotQuery(zone_code=ZONE_A, include_inactive=True)), "hotspot_id"
        ) == ["hs-001", "hs-002"]
        assert ids(
            await repository.select(HotSpotQuery(include_inactive=True, after_id="hs-001", limit=1)),
            "hotspot_id",
        ) == ["hs-002"]


def plan(n: int, **changes: Any) -> PatrolPlan:
    base = PatrolPlan(
        f"p-{n:03d}",
        ZONE_A,
        DAY,
        DAY + timedelta(days=6),
        vehicle_id="v-001",
        officer_ids=("o-1",),
        sections=(PlannedSection("hs-001", TimeSlot((2, 4), 19 * 60, 20 * 60), 20, "周二 19 时 3 起"),),
        checkpoint_ids=("cp-1",),
        shift=TimeSlot((), 8 * 60, 20 * 60),
        audit=AUDIT,
    )
    return replace(base, **changes)


class TestPlanRepository(AggregateRepositoryContract[PatrolPlan]):
    repository = backends(InMemoryPlanRepository, lambda db: MongoPlanRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> PatrolPlan:
        return plan(n)

    def changed(self, aggregate: PatrolPlan) -> PatrolPlan:
        return replace(aggregate, status=PlanStatus.CANCELLED, cancel_reason="改派", shift=None)

    def id_of(self, aggregate: PatrolPlan) -> str:
        return aggregate.plan_id

    async def test_select_by_vehicle_officer_status_and_overlapping_days(self, repository: Any) -> None:
        await repository.add(plan(1))
        await repository.add(plan(2, start=DAY + timedelta(days=10), end=DAY + timedelta(days=20)))
        await repository.add(plan(3, vehicle_id="v-002", officer_ids=("o-2",), status=PlanStatus.CANCELLED))
        await repository.add(plan(4, zone_code=ZONE_B, vehicle_id=""))
        on_day = await repository.select(
            PlanQuery(first=DAY + timedelta(days=6), last=DAY + timedelta(days=6))
        )
        assert ids(on_day, "plan_id") == ["p-001", "p-003", "p-004"]
        assert ids(await repository.select(PlanQuery(first=date(2026, 3, 12))), "plan_id") == ["p-002"]
        assert ids(await repository.select(PlanQuery(last=DAY - timedelta(days=1))), "plan_id") == []
        assert ids(await repository.select(PlanQuery(vehicle_id="v-002")), "plan_id") == ["p-003"]
        assert ids(await repository.select(PlanQuery(officer_id="o-2")), "plan_id") == ["p-003"]
        assert ids(
            await repository.select(PlanQuery(status=PlanStatus.ACTIVE, zone_code=ZONE_A)), "plan_id"
        ) == ["p-001", "p-002"]
        assert ids(await repository.select(PlanQuery(after_id="p-001", limit=2)), "plan_id") == [
            "p-002",
            "p-003",
        ]


def patrol(n: int, hours: float, **changes: Any) -> Patrol:
    start = NOW - timedelta(hours=hours)
    base = Patrol(
        f"pt-{n:03d}",
        ZONE_A,
        PatrolMode.VEHICLE,
        start,
        vehicle_id="v-001",
        officer_ids=("o-1",),
        audit=AUDIT,
        order_key=order_key(start, f"pt-{n:03d}"),
    )
    return replace(base, **changes)


class TestPatrolRepository(AggregateRepositoryContract[Patrol]):
    repository = backends(InMemoryPatrolRepository, lambda db: MongoPatrolRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Patrol:
        return patrol(n, n)

    def changed(self, aggregate: Patrol) -> Patrol:
        return replace(aggregate, end=NOW, status=PatrolStatus.FINISHED, notes="完成")

    def id_of(self, aggregate: Patrol) -> str:
        return aggregate.patrol_id

    async def test_select_overlapping_newest_first(self, repository: Any) -> None:
        await repository.add(patrol(1, 10, end=NOW - timedelta(hours=8), status=PatrolStatus.FINISHED))
        await repository.add(patrol(2, 5))  # still going
        await repository.add(
            patrol(3, 3, end=NOW - timedelta(hours=2), status=PatrolStatus.FINISHED, vehicle_id="v-2")
        )
        newest = await repository.select(PatrolQuery())
        assert ids(newest, "patrol_id") == ["pt-003", "pt-002", "pt-001"]
        window = PatrolQuery(start=NOW - timedelta(hours=7), end=NOW - timedelta(hours=4))
        assert ids(await repository.select(window), "patrol_id") == ["pt-002"]
        assert ids(await repository.select(PatrolQuery(vehicle_id="v-2")), "patrol_id") == ["pt-003"]
        assert ids(await repository.select(PatrolQuery(status=PatrolStatus.IN_PROGRESS)), "patrol_id") == [
            "pt-002"
        ]
        page = await repository.select(PatrolQuery(before_id=newest[0].order_key, limit=1))
        assert ids(page, "patrol_id") == ["pt-002"]


class TestRingRepository(AggregateRepositoryContract[PreventionRing]):
    repository = backends(InMemoryRingRepository, lambda db: MongoRingRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> PreventionRing:
        return PreventionRing(f"r-{n:03d}", f"环{n}", RingLevel.INNER, square(0, 0, 1000 + n), AUDIT)

    def changed(self, aggregate: PreventionRing) -> PreventionRing:
        return replace(aggregate, level=RingLevel.OUTER)

    def id_of(self, aggregate: PreventionRing) -> str:
        return aggregate.ring_id

    async def test_select_by_level(self, repository: Any) -> None:
        await repository.add(self.sample(1))
        await repository.add(replace(self.sample(2), level=RingLevel.CORE))
        assert ids(await repository.select(RingQuery(level=RingLevel.CORE)), "ring_id") == ["r-002"]
        assert ids(await repository.select(RingQuery(after_id="r-001")), "ring_id") == ["r-002"]


class TestCheckpointRepository(AggregateRepositoryContract[Checkpoint]):
    repository = backends(
        InMemoryCheckpointRepository, lambda db: MongoCheckpointRepository(db, OutboxRegistry())
    )

    def sample(self, n: int) -> Checkpoint:
        return Checkpoint(
            f"cp-{n:03d}", f"卡口{n}", CheckpointKind.CHECKPOINT, at_m(n, n), "r-1", ZONE_A, True, AUDIT
        )

    def changed(self, aggregate: Checkpoint) -> Checkpoint:
        return replace(aggregate, active=False)

    def id_of(self, aggregate: Checkpoint) -> str:
        return aggregate.checkpoint_id

    async def test_select_by_ring_zone_kind_and_active(self, repository: Any) -> None:
        await repository.add(self.sample(1))
        await repository.add(
            replace(self.sample(2), kind=CheckpointKind.SECURITY_CHECK_STATION, ring_id="r-2")
        )
        await repository.add(replace(self.sample(3), zone_code=ZONE_B, active=False))
        assert ids(await repository.select(CheckpointQuery()), "checkpoint_id") == ["cp-001", "cp-002"]
        assert ids(await repository.select(CheckpointQuery(ring_id="r-2")), "checkpoint_id") == ["cp-002"]
        kind = CheckpointQuery(kind=CheckpointKind.SECURITY_CHECK_STATION)
        assert ids(await repository.select(kind), "checkpoint_id") == ["cp-002"]
        assert ids(
            await repository.select(CheckpointQuery(zone_code=ZONE_B, include_inactive=True)), "checkpoint_id"
        ) == ["cp-003"]
