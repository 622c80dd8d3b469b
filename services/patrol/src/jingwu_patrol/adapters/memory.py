"""In-memory fakes of every patrol repository Protocol, for application tests (milliseconds, no I/O).
The contract suites (tests/test_repository_contract*.py) run each against its Mongo twin, so they
cannot drift."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TypeVar

from jingwu_platform.repository import FakeOutbox, InMemoryAggregates, InMemoryDocuments, after, before

from jingwu_patrol.application.ports import (
    CheckpointQuery,
    DutyQuery,
    EvidenceQuery,
    FindingQuery,
    HotSpotQuery,
    IncidentQuery,
    JointPatrolQuery,
    PatrolQuery,
    PlanQuery,
    RingQuery,
    VehicleQuery,
)
from jingwu_patrol.domain.evidence import PatrolEvidence
from jingwu_patrol.domain.findings import PatrolFinding
from jingwu_patrol.domain.hotspots import HotSpot
from jingwu_patrol.domain.incidents import Incident
from jingwu_patrol.domain.joint_patrols import JointPatrol
from jingwu_patrol.domain.patrols import Patrol
from jingwu_patrol.domain.plans import PatrolPlan
from jingwu_patrol.domain.prevention import Checkpoint, CheckpointDuty, PreventionRing
from jingwu_patrol.domain.territory import (
    DeviceKind,
    DeviceView,
    MobileRoomView,
    StopCrossing,
    VillageView,
    ZoneCrossing,
    ZoneView,
)
from jingwu_patrol.domain.vehicles import PatrolVehicle

T = TypeVar("T")


def _limited(items: list[T], limit: int) -> list[T]:
    return items[:limit] if limit else items


def _newest(items: list[T], key: Callable[[T], str], before_id: str, limit: int) -> list[T]:
    found = sorted((i for i in items if before(before_id, key(i))), key=key, reverse=True)
    return _limited(found, limit)


def _in_force(
    start: datetime | None, end: datetime | None, q_start: datetime | None, q_end: datetime | None
) -> bool:
    if q_end is not None and start is not None and not start < q_end:
        return False
    return q_start is None or end is None or end > q_start


def _between(day: date, first: date | None, last: date | None) -> bool:
    return (first is None or day >= first) and (last is None or day <= last)


class InMemoryVehicleRepository(InMemoryAggregates[PatrolVehicle]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda v: v.vehicle_id, outbox)

    async def select(self, query: VehicleQuery) -> list[PatrolVehicle]:
        return self.matching(
            lambda v: (
                (not query.zone_code or v.zone_code == query.zone_code)
                and (not query.station_id or v.station_id == query.station_id)
                and (query.status is None or v.status is query.status)
                and (not query.room_id or v.room_id == query.room_id)
                and after(query.after_id, v.vehicle_id)
            ),
            limit=query.limit,
        )


class InMemoryHotSpotRepository(InMemoryAggregates[HotSpot]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda s: s.hotspot_id, outbox)

    async def select(self, query: HotSpotQuery) -> list[HotSpot]:
        return self.matching(
            lambda s: (
                (not query.zone_code or s.zone_code == query.zone_code)
                and (query.include_inactive or s.active)
                and after(query.after_id, s.hotspot_id)
            ),
            limit=query.limit,
        )


class InMemoryPlanRepository(InMemoryAggregates[PatrolPlan]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda p: p.plan_id, outbox)

    async def select(self, query: PlanQuery) -> list[PatrolPlan]:
        return self.matching(
            lambda p: (
                (not query.zone_code or p.zone_code == query.zone_code)
                and (not query.vehicle_id or p.vehicle_id == query.vehicle_id)
                and (not query.officer_id or query.officer_id in p.officer_ids)
                and (query.status is None or p.status is query.status)
                and (query.last is None or p.start <= query.last)
                and (query.first is None or p.end >= query.first)
                and after(query.after_id, p.plan_id)
            ),
            limit=query.limit,
        )


class InMemoryPatrolRepository(InMemoryAggregates[Patrol]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda p: p.patrol_id, outbox)

    async def select(self, query: PatrolQuery) -> list[Patrol]:
        found = [
            p
            for p in self.all()
            if (not query.zone_code or p.zone_code == query.zone_code)
            and (not query.vehicle_id or p.vehicle_id == query.vehicle_id)
            and (query.status is None or p.status is query.status)
            and _in_force(p.start, p.end, query.start, query.end)
        ]
        return _newest(found, lambda p: p.order_key, query.before_id, query.limit)


class InMemoryRingRepository(InMemoryAggregates[PreventionRing]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda r: r.ring_id, outbox)

    async def select(self, query: RingQuery) -> list[PreventionRing]:
        return self.matching(
            lambda r: (query.level is None or r.level is query.level) and after(query.after_id, r.ring_id),
            limit=query.limit,
        )


class InMemoryCheckpointRepository(InMemoryAggregates[Checkpoint]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda c: c.checkpoint_id, outbox)

    async def select(self, query: CheckpointQuery) -> list[Checkpoint]:
        return self.matching(
            lambda c: (
                (not query.ring_id or c.ring_id == query.ring_id)
                and (not query.zone_code or c.zone_code == query.zone_code)
                and (query.kind is None or c.kind is query.kind)
                and (query.include_inactive or c.active)
                and after(query.after_id, c.checkpoint_id)
            ),
            limit=query.limit,
        )


class InMemoryIncidentRepository(InMemoryDocuments[Incident]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda i: i.incident_id, outbox)

    async def select(self, query: IncidentQuery) -> list[Incident]:
        found = [
            i
            for i in self.all()
            if (not query.zone_code or i.zone_code == query.zone_code)
            and (query.category is None or i.category is query.category)
            and (query.start is None or i.occur_time >= query.start)
            and (query.end is None or i.occur_time < query.end)
        ]
        return _newest(found, lambda i: i.order_key, query.before_id, query.limit)


class InMemoryDutyRepository(InMemoryDocuments[CheckpointDuty]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda d: d.duty_id, outbox)

    async def select(self, query: DutyQuery) -> list[CheckpointDuty]:
        found = [
            d
            for d in self.all()
            if (not query.checkpoint_id or d.checkpoint_id == query.checkpoint_id)
            and (not query.vehicle_id or d.vehicle_id == query.vehicle_id)
            and (not query.room_id or d.room_id == query.room_id)
            and _in_force(d.start, d.end, query.start, query.end)
        ]
        return _newest(found, lambda d: d.order_key, query.before_id, query.limit)


class InMemoryJointPatrolRepository(InMemoryDocuments[JointPatrol]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda j: j.joint_patrol_id, outbox)

    async def select(self, query: JointPatrolQuery) -> list[JointPatrol]:
        found = [
            j
            for j in self.all()
            if (
                (j.village_id == query.village_id)
                if query.village_id
                else (not query.village_ids or j.village_id in query.village_ids)
            )
            and (not query.zone_code or j.zone_code == query.zone_code)
            and _between(j.day, query.first, query.last)
        ]
        return _newest(found, lambda j: j.order_key, query.before_id, query.limit)


class InMemoryFindingRepository(InMemoryDocuments[PatrolFinding]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda f: f.finding_id, outbox)

    async def select(self, query: FindingQuery) -> list[PatrolFinding]:
        found = [
            f
            for f in self.all()
            if (query.kind is None or f.kind is query.kind)
            and (not query.zone_code or f.zone_code == query.zone_code)
            and _between(f.day, query.first, query.last)
        ]
        return _newest(found, lambda f: f.finding_id, query.before_id, query.limit)


class InMemoryEvidenceRepository(InMemoryDocuments[PatrolEvidence]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda e: e.evidence_id, outbox)

    async def select(self, query: EvidenceQuery) -> list[PatrolEvidence]:
        found = sorted(
            (
                e
                for e in self.items.values()
                if (not query.zone_code or e.zone_code == query.zone_code)
                and (not query.station_id or e.station_id == query.station_id)
                and (not query.vehicle_id or e.vehicle_id == query.vehicle_id)
                and (not query.device_id or e.device_id == query.device_id)
                and (not query.officer_id or query.officer_id in e.officer_ids)
                and (query.subject_kind is None or e.subject_kind is query.subject_kind)
                and _between(e.day, query.first, query.last)
                and after(query.after_id, e.order_key)
            ),
            key=lambda e: e.order_key,
        )
        return _limited(found, query.limit)


# --- read models ----------------------------------------------------------------------------------


class InMemoryZoneDirectory:
    def __init__(self) -> None:
        self.items: dict[str, ZoneView] = {}

    async def put(self, zone: ZoneView) -> None:
        self.items[zone.zone_code] = zone

    async def get(self, zone_code: str) -> ZoneView | None:
        return self.items.get(zone_code)

    async def everything(self) -> list[ZoneView]:
        return [self.items[k] for k in sorted(self.items)]


class InMemoryVillageDirectory:
    def __init__(self) -> None:
        self.items: dict[str, VillageView] = {}

    async def put(self, village: VillageView) -> None:
        self.items[village.village_id] = village

    async def get(self, village_id: str) -> VillageView | None:
        return self.items.get(village_id)

    async def select(self, zone_codes: Sequence[str] = (), station_id: str = "") -> list[VillageView]:
        return [
            self.items[k]
            for k in sorted(self.items)
            if (not zone_codes or self.items[k].zone_code in zone_codes)
            and (not station_id or self.items[k].station_id == station_id)
        ]


class InMemoryMobileRoomDirectory:
    def __init__(self) -> None:
        self.items: dict[str, MobileRoomView] = {}

    async def put(self, room: MobileRoomView) -> None:
        self.items[room.room_id] = room

    async def get(self, room_id: str) -> MobileRoomView | None:
        return self.items.get(room_id)

    async def everything(self) -> list[MobileRoomView]:
        return [self.items[k] for k in sorted(self.items)]


class InMemoryDeviceDirectory:
    def __init__(self) -> None:
        self.items: dict[str, DeviceView] = {}

    async def put(self, device: DeviceView) -> None:
        self.items[device.device_id] = device

    async def get(self, device_id: str) -> DeviceView | None:
        return self.items.get(device_id)

    async def select(self, kind: DeviceKind | None = None) -> list[DeviceView]:
        return [self.items[k] for k in sorted(self.items) if kind is None or self.items[k].kind is kind]


class InMemoryCrossingLog:
    def __init__(self) -> None:
        self.zone: dict[str, ZoneCrossing] = {}
        self.stop: dict[str, StopCrossing] = {}

    async def add_zone_crossing(self, crossing: ZoneCrossing) -> bool:
        if crossing.crossing_id in self.zone:
            return False
        self.zone[crossing.crossing_id] = crossing
        return True

    async def add_stop_crossing(self, crossing: StopCrossing) -> bool:
        if crossing.crossing_id in self.stop:
            return False
        self.stop[crossing.crossing_id] = crossing
        return True

    async def zone_crossings(
        self, start: datetime, end: datetime, *, device_id: str = "", zone_code: str = ""
    ) -> list[ZoneCrossing]:
        return sorted(
            (
                c
                for c in self.zone.values()
                if start <= c.at < end
                and (not device_id or c.device_id == device_id)
                and (not zone_code or c.zone_code == zone_code)
            ),
            key=lambda c: (c.at, c.crossing_id),
        )

    async def stop_crossings(self, room_id: str, start: datetime, end: datetime) -> list[StopCrossing]:
        return sorted(
            (c for c in self.stop.values() if c.room_id == room_id and start <= c.at < end),
            key=lambda c: (c.at, c.crossing_id),
        )
