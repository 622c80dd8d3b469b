"""The contracts of patrol's records written once (incidents, duty orders, joint patrols, findings), its
evidence and its read models of other services (zones, villages, mobile rooms, devices, crossings),
each against the in-memory fake and the Mongo adapter on the session's real store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from jingwu_patrol.adapters.directory import (
    MongoCrossingLog,
    MongoDeviceDirectory,
    MongoMobileRoomDirectory,
    MongoVillageDirectory,
    MongoZoneDirectory,
)
from jingwu_patrol.adapters.memory import (
    InMemoryCrossingLog,
    InMemoryDeviceDirectory,
    InMemoryDutyRepository,
    InMemoryEvidenceRepository,
    InMemoryFindingRepository,
    InMemoryIncidentRepository,
    InMemoryJointPatrolRepository,
    InMemoryMobileRoomDirectory,
    InMemoryVillageDirectory,
    InMemoryZoneDirectory,
)
from jingwu_patrol.adapters.records import (
    MongoDutyRepository,
    MongoEvidenceRepository,
    MongoFindingRepository,
    MongoIncidentRepository,
    MongoJointPatrolRepository,
)
from jingwu_patrol.application.ports import (
    DutyQuery,
    EvidenceQuery,
    FindingQuery,
    IncidentQuery,
    JointPatrolQuery,
)
from jingwu_patrol.domain.common import Audit, order_key
from jingwu_patrol.domain.evidence import (
    HotSpotCoverage,
    PatrolEvidence,
    StopCompliance,
    SubjectKind,
    ZonePresence,
)
from jingwu_patrol.domain.findings import FindingKind, PatrolFinding, finding_id
from jingwu_patrol.domain.incidents import Incident, IncidentCategory
from jingwu_patrol.domain.joint_patrols import JointPatrol
from jingwu_patrol.domain.prevention import CheckpointDuty, DutySource
from jingwu_patrol.domain.territory import DeviceKind, DeviceView, StopCrossing, ZoneCrossing
from jingwu_platform.contract import contract_event
from jingwu_platform.outbox import OutboxRegistry

from .samples import DAY, NOW, ZONE_A, ZONE_B, at_m, mobile_room, villages, zones
from .test_repository_contract import backends, ids

pytestmark = pytest.mark.integration
AUDIT = Audit.new("leader-1", NOW)


def incident(n: int, hours_ago: float, **changes: Any) -> Incident:
    at = NOW - timedelta(hours=hours_ago)
    base = Incident(
        f"i-{n:03d}",
        "command_centre",
        f"110-{n}",
        at,
        at_m(n, n),
        IncidentCategory.THEFT,
        ZONE_A,
        NOW,
        "kafka",
        "汴河路",
        "",
        order_key(at, f"i-{n:03d}"),
    )
    return replace(base, **changes)


class TestIncidentRepository:
    repository = backends(
        InMemoryIncidentRepository, lambda db: MongoIncidentRepository(db, OutboxRegistry())
    )

    async def test_insert_once_then_get(self, repository: Any) -> None:
        first = incident(1, 1)
        assert await repository.insert(first, [contract_event(first.incident_id)])
        assert not await repository.insert(replace(first, summary="again"))
        assert await repository.get(first.incident_id) == first

    async def test_select_by_time_zone_category_newest_first(self, repository: Any) -> None:
        await repository.insert(incident(1, 30))
        await repository.insert(incident(2, 10, category=IncidentCategory.FRAUD))
        await repository.insert(incident(3, 5, zone_code=ZONE_B))
        await repository.insert(incident(4, 1))
        everything = await repository.select(IncidentQuery())
        assert ids(everything, "incident_id") == ["i-004", "i-003", "i-002", "i-001"]
        day = IncidentQuery(start=NOW - timedelta(hours=24), end=NOW - timedelta(hours=2))
        assert ids(await repository.select(day), "incident_id") == ["i-003", "i-002"]
        assert ids(await repository.select(IncidentQuery(zone_code=ZONE_B)), "incident_id") == ["i-003"]
        fraud = IncidentQuery(category=IncidentCategory.FRAUD)
        assert ids(await repository.select(fraud), "incident_id") == ["i-002"]
        page = await repository.select(IncidentQuery(before_id=everything[1].order_key, limit=1))
        assert ids(page, "incident_id") == ["i-002"]


def duty(n: int, hours_ago: float, hours: float | None, **changes: Any) -> CheckpointDuty:
    start = NOW - timedelta(hours=hours_ago)
    base = CheckpointDuty(
        f"duty-{n:03d}",
        "cp-1",
        "西卡口",
        at_m(0, 0),
        start,
        DutySource.INTERCEPTION,
        end=start + timedelta(hours=hours) if hours is not None else None,
        vehicle_id="v-001",
        room_id="room-m",
        officer_ids=("o-1",),
        room_order_id=f"order-{n}",
        audit=AUDIT,
        order_key=order_key(start, f"duty-{n:03d}"),
    )
    return replace(base, **changes)


class TestDutyRepository:
    repository = backends(InMemoryDutyRepository, lambda db: MongoDutyRepository(db, OutboxRegistry()))

    async def test_insert_once_put_rewrites(self, repository: Any) -> None:
        first = duty(1, 5, None)
        assert await repository.insert(first, [contract_event(first.duty_id)])
        assert not await repository.insert(replace(first, reason="x"))
        relieved = replace(first, end=NOW)
        await repository.put(relieved)
        assert await repository.get(first.duty_id) == relieved

    async def test_select_in_force_newest_first(self, repository: Any) -> None:
        await repository.insert(duty(1, 10, 2))  # ended 8 h ago
        await repository.insert(duty(2, 6, None))  # still in force
        await repository.insert(duty(3, 3, 1, vehicle_id="v-002", room_id="", checkpoint_id="cp-2"))
        window = DutyQuery(start=NOW - timedelta(hours=7), end=NOW - timedelta(hours=1))
        assert ids(await repository.select(window), "duty_id") == ["duty-003", "duty-002"]
        assert ids(await repository.select(DutyQuery(vehicle_id="v-001")), "duty_id") == [
            "duty-002",
            "duty-001",
        ]
        assert ids(await repository.select(DutyQuery(room_id="room-m", start=NOW, end=NOW)), "duty_id") == [
            "duty-002"
        ]
        assert ids(await repository.select(DutyQuery(checkpoint_id="cp-2")), "duty_id") == ["duty-003"]
        every = await repository.select(DutyQuery())
        assert ids(await repository.select(DutyQuery(before_id=every[0].order_key, limit=1)), "duty_id") == [
            "duty-002"
        ]


def joint(n: int, days_ago: int, village_id: str = "v-a", zone_code: str = ZONE_A) -> JointPatrol:
    day = DAY - timedelta(days=days_ago)
    return JointPatrol(
        f"j-{n:03d}",
        village_id,
        zone_code,
        day,
        NOW - timedelta(days=days_ago),
        None,
        "o-1",
        ("o-1", "o-2"),
        8,
        (at_m(0, 0), at_m(10, 10)),
        "夜巡",
        AUDIT,
        f"{day.isoformat()}/j-{n:03d}",
    )


class TestJointPatrolRepository:
    repository = backends(
        InMemoryJointPatrolRepository, lambda db: MongoJointPatrolRepository(db, OutboxRegistry())
    )

    async def test_select_by_village_zone_and_days_newest_first(self, repository: Any) -> None:
        assert await repository.insert(joint(1, 2), [contract_event("v-a")])
        assert not await repository.insert(joint(1, 2))
        await repository.insert(joint(2, 1))
        await repository.insert(joint(3, 1, "v-b", ZONE_B))
        await repository.insert(joint(4, 0, "v-c", ZONE_B))
        assert await repository.get("j-001") == joint(1, 2)
        everything = await repository.select(JointPatrolQuery())
        assert ids(everything, "joint_patrol_id") == ["j-004", "j-003", "j-002", "j-001"]
        assert ids(await repository.select(JointPatrolQuery(village_id="v-a")), "joint_patrol_id") == [
            "j-002",
            "j-001",
        ]
        some = JointPatrolQuery(village_ids=("v-a", "v-b"), first=DAY - timedelta(days=1), last=DAY)
        assert ids(await repository.select(some), "joint_patrol_id") == ["j-003", "j-002"]
        assert ids(await repository.select(JointPatrolQuery(zone_code=ZONE_B)), "joint_patrol_id") == [
            "j-004",
            "j-003",
        ]
        page = JointPatrolQuery(before_id=everything[0].order_key, limit=2)
        assert ids(await repository.select(page), "joint_patrol_id") == ["j-003", "j-002"]


class TestFindingRepository:
    repository = backends(InMemoryFindingRepository, lambda db: MongoFindingRepository(db, OutboxRegistry()))

    async def test_one_finding_per_subject_and_day_newest_first(self, repository: Any) -> None:
        def finding(kind: FindingKind, subject: str, days_ago: int, zone: str = ZONE_A) -> PatrolFinding:
            day = DAY - timedelta(days=days_ago)
            return PatrolFinding(
                finding_id(kind, subject, day), kind, day, NOW, zone, subject if "v-" in subject else "", "d"
            )

        missed = finding(FindingKind.JOINT_PATROL_MISSED, "v-a", 1)
        assert await repository.insert(missed, [contract_event("v-a")])
        assert not await repository.insert(missed)
        await repository.insert(finding(FindingKind.JOINT_PATROL_MISSED, "v-a", 0))
        await repository.insert(finding(FindingKind.ZONE_WITHOUT_VEHICLE, ZONE_B, 0, ZONE_B))
        newest = await repository.select(FindingQuery())
        assert [f.day for f in newest] == [DAY, DAY, DAY - timedelta(days=1)]
        kind = FindingQuery(kind=FindingKind.ZONE_WITHOUT_VEHICLE)
        assert [f.zone_code for f in await repository.select(kind)] == [ZONE_B]
        assert (
            len(
                await repository.select(
                    FindingQuery(first=DAY - timedelta(days=1), last=DAY - timedelta(days=1))
                )
            )
            == 1
        )
        assert (
            len(
                await repository.select(
                    FindingQuery(zone_code=ZONE_A, before_id=newest[0].finding_id, limit=5)
                )
            )
            == 2
        )


def evidence(subject: str, day_offset: int, **changes: Any) -> PatrolEvidence:
    day = DAY - timedelta(days=day_offset)
    base = PatrolEvidence(
        evidence_id=f"{subject}/{day.isoformat()}",
        subject_kind=SubjectKind.VEHICLE,
        day=day,
        device_id=f"d-{subject}",
        zone_code=ZONE_A,
        computed_at=NOW,
        vehicle_id=subject,
        officer_ids=("o-1", "o-2"),
        station_id="st-1",
        mileage_km=42.5,
        hotspot_coverage=(HotSpotCoverage("hs-1", "p-1", 1140, 1200, 20, 25, True),),
        stop_compliance=(
            StopCompliance("room-m", "s-1", 480, 720, True, 3600.0, 11520.0, False, True, False, NOW, NOW),
        ),
        zone_presence=(ZonePresence(ZONE_A, 3600.0, 2),),
        plan_ids=("p-1",),
        order_key=f"{day.isoformat()}/{subject}",
    )
    return replace(base, **changes)


class TestEvidenceRepository:
    repository = backends(
        InMemoryEvidenceRepository, lambda db: MongoEvidenceRepository(db, OutboxRegistry())
    )

    async def test_put_replaces_by_id(self, repository: Any) -> None:
        first = evidence("v-001", 0)
        await repository.put(first, [contract_event(first.evidence_id)])
        again = replace(first, mileage_km=50.0, revision=2)
        await repository.put(again)
        assert await repository.get(first.evidence_id) == again

    async def test_select_by_day_then_subject(self, repository: Any) -> None:
        await repository.put(evidence("v-002", 0))
        await repository.put(evidence("v-001", 0, zone_code=ZONE_B, station_id="st-2"))
        await repository.put(evidence("v-001", 1))
        await repository.put(
            evidence(
                "h-1",
                0,
                subject_kind=SubjectKind.HANDHELD,
                vehicle_id="",
                officer_id="o-9",
                officer_ids=("o-9",),
            )
        )
        everything = await repository.select(EvidenceQuery())
        assert ids(everything, "evidence_id") == [
            "v-001/2026-03-02",
            "h-1/2026-03-03",
            "v-001/2026-03-03",
            "v-002/2026-03-03",
        ]
        assert ids(
            await repository.select(EvidenceQuery(first=DAY, last=DAY, zone_code=ZONE_B)), "evidence_id"
        ) == ["v-001/2026-03-03"]
        assert len(await repository.select(EvidenceQuery(officer_id="o-2"))) == 3
        handhelds = EvidenceQuery(subject_kind=SubjectKind.HANDHELD)
        assert ids(await repository.select(handhelds), "evidence_id") == ["h-1/2026-03-03"]
        assert ids(
            await repository.select(EvidenceQuery(vehicle_id="v-001", station_id="st-2")), "evidence_id"
        ) == ["v-001/2026-03-03"]
        assert len(await repository.select(EvidenceQuery(device_id="d-v-001"))) == 2
        page = EvidenceQuery(after_id=everything[1].order_key, limit=1)
        assert ids(await repository.select(page), "evidence_id") == ["v-001/2026-03-03"]


class TestZoneDirectory:
    repository = backends(InMemoryZoneDirectory, MongoZoneDirectory)

    async def test_put_get_everything(self, repository: Any) -> None:
        b, a = zones()[1], zones()[0]
        await repository.put(b)
        await repository.put(a)
        await repository.put(replace(b, retired=True))
        assert await repository.get(a.zone_code) == a
        assert await repository.everything() == [a, replace(b, retired=True)]


class TestVillageDirectory:
    repository = backends(InMemoryVillageDirectory, MongoVillageDirectory)

    async def test_select_by_zones_and_station(self, repository: Any) -> None:
        for village in villages():
            await repository.put(village)
        assert ids(await repository.select(), "village_id") == ["v-a", "v-b", "v-b1"]
        assert ids(await repository.select([ZONE_B]), "village_id") == ["v-b", "v-b1"]
        assert ids(await repository.select(station_id="st-x"), "village_id") == []
        assert await repository.get("v-a") == villages()[0]


class TestMobileRoomDirectory:
    repository = backends(InMemoryMobileRoomDirectory, MongoMobileRoomDirectory)

    async def test_put_get_everything(self, repository: Any) -> None:
        room = mobile_room()
        await repository.put(room)
        ordered = replace(room, order_location=at_m(5, 5), order_id="order-1")
        await repository.put(ordered)
        assert await repository.get(room.room_id) == ordered
        assert await repository.everything() == [ordered]


class TestDeviceDirectory:
    repository = backends(InMemoryDeviceDirectory, MongoDeviceDirectory)

    async def test_select_by_kind(self, repository: Any) -> None:
        await repository.put(DeviceView("d-2", DeviceKind.HANDHELD, officer_id="o-1"))
        await repository.put(DeviceView("d-1", DeviceKind.VEHICLE_TERMINAL, vehicle_id="v-1"))
        assert ids(await repository.select(), "device_id") == ["d-1", "d-2"]
        assert ids(await repository.select(DeviceKind.HANDHELD), "device_id") == ["d-2"]
        assert await repository.get("d-1") == DeviceView("d-1", DeviceKind.VEHICLE_TERMINAL, vehicle_id="v-1")


class TestCrossingLog:
    repository = backends(InMemoryCrossingLog, MongoCrossingLog)

    async def test_crossings_once_by_event_id_in_time_order(self, repository: Any) -> None:
        def zone(n: int, minutes: int, device: str = "d-1", code: str = ZONE_A) -> ZoneCrossing:
            return ZoneCrossing(
                f"e-{n}", device, code, n % 2 == 1, NOW + timedelta(minutes=minutes), "v-1", "", 60.0
            )

        assert await repository.add_zone_crossing(zone(1, 10))
        assert not await repository.add_zone_crossing(zone(1, 10))
        await repository.add_zone_crossing(zone(2, 5))
        await repository.add_zone_crossing(zone(3, 7, "d-2", ZONE_B))
        found = await repository.zone_crossings(NOW, NOW + timedelta(hours=1), device_id="d-1")
        assert ids(found, "crossing_id") == ["e-2", "e-1"]
        assert ids(
            await repository.zone_crossings(NOW, NOW + timedelta(hours=1), zone_code=ZONE_B), "crossing_id"
        ) == ["e-3"]
        assert await repository.zone_crossings(NOW + timedelta(minutes=8), NOW + timedelta(minutes=9)) == []
        stop = StopCrossing("s-1", "room-m", "s-square", True, NOW, "d-1", "v-1")
        assert await repository.add_stop_crossing(stop)
        assert not await repository.add_stop_crossing(stop)
        assert await repository.stop_crossings("room-m", NOW, NOW + timedelta(seconds=1)) == [stop]
        assert await repository.stop_crossings("room-x", NOW, NOW + timedelta(seconds=1)) == []
