"""The batch writes of the personnel repositories (a batch of registry events, an evaluation raising many
breaches), on the fake and on the Mongo adapter (FerretDB): each leaves what the single writes one by
one would, for new documents and for existing ones alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from jingwu_personnel.adapters.assessment_input_repository import (
    MongoDutyEvidenceRepository,
    MongoFamiliarisationRepository,
)
from jingwu_personnel.adapters.finding_repository import MongoFindingRepository
from jingwu_personnel.adapters.memory import (
    InMemoryDutyEvidenceRepository,
    InMemoryFamiliarisationRepository,
    InMemoryFindingRepository,
    InMemoryRoomViewRepository,
    InMemoryStationViewRepository,
    InMemoryVillageRepository,
    InMemoryZoneViewRepository,
)
from jingwu_personnel.adapters.registry_repository import (
    MongoRoomViewRepository,
    MongoStationViewRepository,
    MongoZoneViewRepository,
)
from jingwu_personnel.adapters.village_repository import MongoVillageRepository
from jingwu_personnel.application.ports import RoomReport, ZoneMeasurement
from jingwu_personnel.domain.assessment_inputs import DutyEvidence, FamiliarisationWeek
from jingwu_personnel.domain.territory import (
    RoomKind,
    RoomStatus,
    RoomView,
    StationKind,
    StationView,
    ZoneView,
)
from jingwu_platform.calendar import month_of
from jingwu_platform.contract import contract_event
from jingwu_platform.outbox import OutboxRegistry

from .samples import AT, STATION, finding, village
from .test_repository_contract import backends, ids

LATE = frozenset({RoomStatus.MERGED, RoomStatus.CLOSED})
PLANNED_ONLY = frozenset({RoomStatus.ACTIVE, RoomStatus.MERGED, RoomStatus.CLOSED})


def room(room_id: str, status: RoomStatus = RoomStatus.ACTIVE, name: str = "") -> RoomView:
    return RoomView(room_id, RoomKind.MOBILE, status, STATION, ("01050101",), name=name or room_id)


class TestRoomViewBatch:
    repository = backends(InMemoryRoomViewRepository, MongoRoomViewRepository)

    async def test_reports_in_order_for_new_and_known_rooms(self, repository: Any) -> None:
        await repository.store(room("room-known").merged_into("room-s"))
        await repository.store(room("room-open"))
        await repository.store_all(
            [
                RoomReport(room("room-new", RoomStatus.PLANNED), PLANNED_ONLY),
                RoomReport(room("room-new"), LATE),  # planned, then opened: open
                RoomReport(room("room-new", RoomStatus.PLANNED), PLANNED_ONLY),  # a late plan: still open
                RoomReport(room("room-known"), LATE),  # a late opening never reopens a merged room
                RoomReport(room("room-open", name="改名"), LATE),  # a known open room is re-described
                *(RoomReport(room(f"room-{n:03d}"), LATE) for n in range(150)),
            ]
        )
        stored = {r.room_id: r for r in await repository.every()}
        assert len(stored) == 153
        assert stored["room-new"] == room("room-new")
        assert stored["room-known"] == room("room-known").merged_into("room-s")
        assert stored["room-open"].name == "改名"
        assert stored["room-149"] == room("room-149")
        await repository.store_all([])  # nothing to write


class TestZoneViewBatch:
    repository = backends(InMemoryZoneViewRepository, MongoZoneViewRepository)

    async def test_registry_fields_and_measurements_in_order_for_new_and_known_zones(
        self, repository: Any
    ) -> None:
        known = ZoneView("01050101", STATION, ("c-1",), workload_population=5200)
        await repository.put_registry_fields(known)
        assert await repository.put_measurement("01050101", 4800, AT)
        fresh = ZoneView("01050102", STATION, ("c-2",), workload_population=3000)
        measured = await repository.apply_all(
            [
                fresh,
                ZoneMeasurement("01050102", 3100, AT),
                ZoneMeasurement("01050102", 9999, AT - timedelta(days=1)),  # older: ignored
                replace(fresh, workload_population=3050),  # the registry again: measurement kept
                ZoneMeasurement("01050101", 6000, AT - timedelta(days=1)),  # older than the stored one
                replace(known, community_ids=("c-1", "c-3")),
                ZoneMeasurement("01050103", 700, AT),  # measured before the registry said anything
                *(ZoneView(f"0105{n:04d}", STATION) for n in range(200, 320)),
            ]
        )
        assert measured == {"01050102", "01050103"}
        assert await repository.get("01050102") == replace(
            fresh, workload_population=3050, measured_population=3100, measured_at=AT
        )
        assert await repository.get("01050101") == replace(
            known, community_ids=("c-1", "c-3"), measured_population=4800, measured_at=AT
        )
        assert await repository.get("01050103") == ZoneView(
            "01050103", measured_population=700, measured_at=AT
        )
        assert len(await repository.every()) == 123


class TestStationViewBatch:
    repository = backends(InMemoryStationViewRepository, MongoStationViewRepository)

    async def test_the_last_word_of_each_station_is_kept(self, repository: Any) -> None:
        await repository.put(StationView(STATION, "符离派出所", StationKind.TOWN))
        await repository.put_all(
            [
                StationView(STATION, "符离派出所", StationKind.URBAN),
                StationView("st-2", "二号所"),
                StationView("st-2", "二号所", StationKind.TOWNSHIP),
            ]
        )
        assert await repository.get(STATION) == StationView(STATION, "符离派出所", StationKind.URBAN)
        assert await repository.get("st-2") == StationView("st-2", "二号所", StationKind.TOWNSHIP)
        assert ids(await repository.every(), "station_id") == ["st-2", STATION]


class TestVillageBatch:
    repository = backends(InMemoryVillageRepository, lambda db: MongoVillageRepository(db, OutboxRegistry()))

    async def test_new_villages_are_added_and_known_ones_left_as_they_are(self, repository: Any) -> None:
        known = village(1)
        assert await repository.add(known)
        renamed = replace(known, village=replace(known.village, name="改名村"))
        added = await repository.add_all([renamed, *(village(n) for n in range(2, 130))])
        assert added == {f"v-{n:03d}" for n in range(2, 130)}
        assert await repository.get(known.village_id) == known
        assert await repository.get("v-129") == village(129)


class TestFindingBatch:
    repository = backends(InMemoryFindingRepository, lambda db: MongoFindingRepository(db, OutboxRegistry()))

    async def test_many_raised_at_once_and_one_open_finding_per_breach(self, repository: Any) -> None:
        open_already = finding(1, key="room_understaffed/room-1/officers")
        assert await repository.add(open_already)
        raised = [
            (finding(2, key="room_understaffed/room-1/officers"), [contract_event("f-2")]),  # open already
            (finding(1, key="room_understaffed/room-9/officers"), [contract_event("f-1")]),  # id taken
            *(
                (finding(n, key=f"room_understaffed/room-{n}/auxiliaries"), [contract_event(f"f-{n}")])
                for n in range(3, 120)
            ),
        ]
        added = await repository.add_all(raised)
        assert ids(added, "finding_id") == [f.finding_id for f, _ in raised[2:]]
        assert await repository.get(finding(50).finding_id) == raised[49][0]
        assert await repository.get(open_already.finding_id) == open_already
        assert await repository.add_all([]) == []


# --- what other services report for assessment (R-POP-5, R-PAT-6) -------------------------------------


class TestFamiliarisationRepository:
    repository = backends(InMemoryFamiliarisationRepository, MongoFamiliarisationRepository)

    async def test_the_highest_count_of_a_week_is_kept(self, repository: Any) -> None:
        week = FamiliarisationWeek.of("o-001", date(2026, 3, 2), 10, 30)
        await repository.record_all([week, replace(week, households_visited=12)])
        await repository.record_all([replace(week, households_visited=11)])  # an earlier visit, late
        await repository.record_all([FamiliarisationWeek.of("o-001", date(2026, 3, 30), 3, 30)])
        assert await repository.during(month_of(date(2026, 3, 1))) == [
            replace(week, households_visited=12),
            FamiliarisationWeek.of("o-001", date(2026, 3, 30), 3, 30),
        ]
        assert await repository.during(month_of(date(2026, 4, 1))) == []


class TestDutyEvidenceRepository:
    repository = backends(InMemoryDutyEvidenceRepository, MongoDutyEvidenceRepository)

    async def test_the_highest_revision_is_kept(self, repository: Any) -> None:
        first = DutyEvidence("veh-1/2026-03-03", date(2026, 3, 3), ("o-001", "o-002"), 1, 0.5, 40.5, 3600.0)
        assert await repository.record(first)
        assert await repository.record(replace(first, revision=2, compliance_ratio=0.9))
        assert not await repository.record(replace(first, revision=2, compliance_ratio=0.1))
        assert not await repository.record(first)
        april = DutyEvidence("veh-1/2026-04-01", date(2026, 4, 1), (), 1, 1.0)
        assert await repository.record(april)
        assert await repository.during(month_of(date(2026, 3, 1))) == [
            replace(first, revision=2, compliance_ratio=0.9)
        ]
