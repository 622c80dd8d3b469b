"""The personnel repository contracts, each run against the in-memory fake and the Mongo adapter on the
session's real store (FerretDB): what one does, the other does, so application tests on the fakes prove
something. Versioned repositories pass the platform's AggregateRepositoryContract; every typed query,
and the conditional writes of the read models, are tested here on both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from jingwu_personnel.adapters.assessment_repository import (
    MongoAssessmentRepository,
    MongoConductRepository,
    MongoRatingRepository,
)
from jingwu_personnel.adapters.finding_repository import MongoFindingRepository
from jingwu_personnel.adapters.memory import (
    InMemoryAssessmentRepository,
    InMemoryConductRepository,
    InMemoryFindingRepository,
    InMemoryOfficerRepository,
    InMemoryPostingRepository,
    InMemoryRatingRepository,
    InMemoryRoomViewRepository,
    InMemoryStationViewRepository,
    InMemoryVillageRepository,
    InMemoryVisitLogRepository,
    InMemoryZoneViewRepository,
)
from jingwu_personnel.adapters.officer_repository import MongoOfficerRepository, MongoUnmaskedReadRepository
from jingwu_personnel.adapters.posting_repository import MongoPostingRepository
from jingwu_personnel.adapters.registry_repository import (
    MongoRoomViewRepository,
    MongoStationViewRepository,
    MongoZoneViewRepository,
)
from jingwu_personnel.adapters.village_repository import MongoVillageRepository
from jingwu_personnel.adapters.worklog_repository import MongoVisitLogRepository
from jingwu_personnel.application.ports import (
    AssessmentQuery,
    ConductQuery,
    FindingQuery,
    LogQuery,
    OfficerQuery,
    PostingQuery,
    VillageQuery,
)
from jingwu_personnel.domain.assessment import AssessmentStatus
from jingwu_personnel.domain.findings import FindingKind, FindingStatus
from jingwu_personnel.domain.officers import Branch, OfficerRole, OfficerStatus
from jingwu_personnel.domain.periods import Period, PeriodKind
from jingwu_personnel.domain.territory import (
    RoomKind,
    RoomStatus,
    RoomView,
    StationKind,
    StationView,
    ZoneView,
)
from jingwu_personnel.domain.worklogs import ReviewResult, VisitLogKind
from jingwu_platform.calendar import DateRange, week_of
from jingwu_platform.contract import AggregateRepositoryContract, contract_event
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.testing import scratch_database
from jingwu_platform.unmasked_reads import UnmaskedRead
from pymongo.asynchronous.database import AsyncDatabase

from .samples import (
    AT,
    MARCH,
    STATION,
    assessment,
    compliance_finding,
    conduct,
    finding,
    officer,
    posting,
    rating,
    staffed,
    village,
    visit_log,
)


def backends(memory: Callable[[], Any], mongo: Callable[[AsyncDatabase[Document]], Any]) -> Any:
    """A ``repository`` fixture: the fake, then the Mongo adapter on a scratch database of its own."""

    @pytest.fixture(params=["memory", "mongo"])
    async def repository(self: object, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        if request.param == "memory":
            yield memory()
            return
        async with scratch_database(request.getfixturevalue("mongo_url")) as database:
            adapter = mongo(database)
            if hasattr(adapter, "ensure_indexes"):
                await adapter.ensure_indexes()
            yield adapter

    return repository


def ids(items: list[Any], key: str) -> list[str]:
    return [getattr(item, key) for item in items]


# --- officers (R-PER-1) ---------------------------------------------------------------------------------


class TestOfficerRepository(AggregateRepositoryContract[Any]):
    repository = backends(InMemoryOfficerRepository, lambda db: MongoOfficerRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Any:
        return officer(n)

    def changed(self, aggregate: Any) -> Any:
        return replace(aggregate, branch=Branch.TRAFFIC, audit=aggregate.audit.touched("lead-2", AT))

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.officer_id)

    async def test_select_filters_by_station_role_branch_status_and_ids_and_pages(
        self, repository: Any
    ) -> None:
        await repository.add(officer(1))
        await repository.add(officer(2, OfficerRole.AUXILIARY, branch=None))
        await repository.add(officer(3, station_id="st-other", branch=Branch.TRAFFIC))
        await repository.add(officer(4, status=OfficerStatus.INACTIVE))
        everyone = await repository.select(OfficerQuery())
        assert ids(everyone, "officer_id") == ["o-001", "o-002", "o-003", "o-004"]
        assert everyone[0] == officer(1)  # the stored shape reads back whole
        here = await repository.select(OfficerQuery(station_id=STATION))
        assert ids(here, "officer_id") == ["o-001", "o-002", "o-004"]
        community = await repository.select(OfficerQuery(role=OfficerRole.COMMUNITY_OFFICER))
        assert ids(community, "officer_id") == ["o-001", "o-003", "o-004"]
        traffic = await repository.select(OfficerQuery(branch=Branch.TRAFFIC))
        assert ids(traffic, "officer_id") == ["o-003"]
        active = await repository.select(OfficerQuery(status=OfficerStatus.ACTIVE, station_id=STATION))
        assert ids(active, "officer_id") == ["o-001", "o-002"]
        chosen = await repository.select(
            OfficerQuery(officer_ids=frozenset({"o-004", "o-002"}), after_id="o-002")
        )
        assert ids(chosen, "officer_id") == ["o-004"]
        assert await repository.select(OfficerQuery(officer_ids=frozenset())) == []
        first = await repository.select(OfficerQuery(limit=2))
        rest = await repository.select(OfficerQuery(after_id=first[-1].officer_id, limit=2))
        assert ids(first + rest, "officer_id") == ["o-001", "o-002", "o-003", "o-004"]


async def test_an_unmasked_read_keeps_its_stored_shape(mongo_url: str) -> None:
    # R-POP-6: the trail is the platform's now; personnel's documents still name the officers.
    async with scratch_database(mongo_url) as database:
        adapter = MongoUnmaskedReadRepository(database, OutboxRegistry())
        read = UnmaskedRead("read-2", "auditor-7", ("pii_reader",), "m", ("o-001",), ("phone",), AT)
        assert await adapter.insert(read)
        assert not await adapter.insert(replace(read, method="again"))  # append-only, once per read
        stored = await database["personnel.unmasked_reads"].find_one({"_id": "read-2"})
        assert stored is not None and stored["officer_ids"] == ["o-001"] and "record_ids" not in stored
        assert await adapter.get("read-2") == read


# --- postings (R-PER-12) --------------------------------------------------------------------------------


class TestPostingRepository(AggregateRepositoryContract[Any]):
    repository = backends(InMemoryPostingRepository, lambda db: MongoPostingRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Any:
        return posting(n)

    def changed(self, aggregate: Any) -> Any:
        return aggregate.end(
            date(2026, 2, 1), reason="调任", at=AT, by="lead-1", approval_reference="埇公〔2026〕1号"
        )

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.posting_id)

    async def test_select_by_officer_place_role_and_current(self, repository: Any) -> None:
        room = posting(1, start_date=date(2025, 1, 1))
        village_post = posting(
            2, role=OfficerRole.VILLAGE_LIAISON_OFFICER, room_id="", village_id="v-001", full_time=False
        )
        other = posting(3, officer_id="o-002", room_id="room-2", zone_code="01050102")
        ended = posting(4, officer_id="o-002", start_date=date(2025, 6, 1)).end(
            date(2025, 12, 1), reason="轮岗", at=AT, by="lead-1"
        )
        for p in (room, village_post, other, ended):
            await repository.add(p)
        mine = await repository.select(PostingQuery(officer_id="o-001"))
        assert ids(mine, "posting_id") == [room.posting_id, village_post.posting_id]
        assert mine[1] == village_post
        assert ids(await repository.select(PostingQuery(room_id="room-1")), "posting_id") == [
            room.posting_id,
            ended.posting_id,
        ]
        assert ids(
            await repository.select(PostingQuery(room_id="room-1", current_only=True)), "posting_id"
        ) == [room.posting_id]
        in_villages = await repository.select(PostingQuery(in_a_village=True))
        assert ids(in_villages, "posting_id") == [village_post.posting_id]
        assert ids(await repository.select(PostingQuery(village_id="v-001")), "posting_id") == [
            village_post.posting_id
        ]
        liaisons = await repository.select(PostingQuery(role=OfficerRole.VILLAGE_LIAISON_OFFICER))
        assert ids(liaisons, "posting_id") == [village_post.posting_id]
        zone = await repository.select(PostingQuery(zone_code="01050102", station_id=STATION))
        assert ids(zone, "posting_id") == [other.posting_id]
        theirs = await repository.select(PostingQuery(officer_ids=frozenset({"o-002"})))
        assert ids(theirs, "posting_id") == [ended.posting_id, other.posting_id]

    async def test_held_during_a_period_and_newest_first_pages(self, repository: Any) -> None:
        before = posting(1, start_date=date(2025, 1, 1)).end(date(2026, 3, 1), reason="x", at=AT, by="l")
        left_on_first_day = posting(2, start_date=date(2025, 2, 1)).end(
            date(2026, 3, 2), reason="x", at=AT, by="l"
        )
        after = posting(3, start_date=date(2026, 4, 1))
        open_ = posting(4, start_date=date(2026, 3, 15))
        for p in (before, left_on_first_day, after, open_):
            await repository.add(p)
        march = DateRange(date(2026, 3, 2), date(2026, 3, 31))
        # The end date is the first day off the post: ending on 2 March is not "held" from 2 March.
        held = await repository.select(PostingQuery(held_during=march))
        assert ids(held, "posting_id") == [open_.posting_id]
        march_1 = await repository.select(
            PostingQuery(held_during=DateRange(date(2026, 3, 1), date(2026, 3, 31)))
        )
        assert ids(march_1, "posting_id") == [left_on_first_day.posting_id, open_.posting_id]
        newest = await repository.select(PostingQuery(newest_first=True, limit=2))
        assert ids(newest, "posting_id") == [after.posting_id, open_.posting_id]
        older = await repository.select(
            PostingQuery(newest_first=True, before_id=newest[-1].posting_id, limit=2)
        )
        assert ids(older, "posting_id") == [left_on_first_day.posting_id, before.posting_id]


# --- villages (R-PER-5..7) ------------------------------------------------------------------------------


class TestVillageRepository(AggregateRepositoryContract[Any]):
    repository = backends(InMemoryVillageRepository, lambda db: MongoVillageRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Any:
        return village(n)

    def changed(self, aggregate: Any) -> Any:
        return staffed(aggregate)

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.village_id)

    async def test_select_by_place_assignable_incomplete_and_rotation_due(self, repository: Any) -> None:
        blank = village(1)
        full = staffed(village(2))
        half = replace(staffed(village(3)), auxiliary=None)
        natural = village(4)
        natural = replace(
            natural, village=replace(natural.village, administrative=False, parent_village_id="v-001")
        )
        urban = village(5)
        urban = replace(urban, village=replace(urban.village, urban_community=True, station_id="st-other"))
        for v in (blank, full, half, natural, urban):
            await repository.add(v)
        assert await repository.get("v-002") == full
        everyone = await repository.select(VillageQuery())
        assert ids(everyone, "village_id") == ["v-001", "v-002", "v-003", "v-004", "v-005"]
        assignable = await repository.select(VillageQuery(assignable_only=True))
        assert ids(assignable, "village_id") == ["v-001", "v-002", "v-003"]
        incomplete = await repository.select(VillageQuery(assignable_only=True, incomplete_only=True))
        assert ids(incomplete, "village_id") == ["v-001", "v-003"]
        due = await repository.select(VillageQuery(rotation_due_by=date(2028, 1, 1)))
        assert ids(due, "village_id") == ["v-002"]
        assert await repository.select(VillageQuery(rotation_due_by=date(2027, 12, 31))) == []
        here = await repository.select(VillageQuery(station_id="st-other"))
        assert ids(here, "village_id") == ["v-005"]
        assert ids(
            await repository.select(VillageQuery(zone_code="01050101", after_id="v-003", limit=1)),
            "village_id",
        ) == ["v-004"]


# --- visit logs (R-PER-8..10) ---------------------------------------------------------------------------


class TestVisitLogRepository(AggregateRepositoryContract[Any]):
    repository = backends(
        InMemoryVisitLogRepository, lambda db: MongoVisitLogRepository(db, OutboxRegistry())
    )

    def sample(self, n: int) -> Any:
        return visit_log(n)

    def changed(self, aggregate: Any) -> Any:
        return aggregate.review(ReviewResult.APPROVED, "内容翔实", at=AT, by="lead-1")

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.log_id)

    async def test_select_by_officer_village_kind_review_and_local_days(self, repository: Any) -> None:
        first = visit_log(1, day=date(2026, 3, 1))
        # 07:30 on 2 March in China is 23:30 on 1 March in UTC: it counts for 2 March.
        early = replace(
            visit_log(2, day=date(2026, 3, 2)),
            start_time=visit_log(2, day=date(2026, 3, 2)).start_time - timedelta(minutes=92),
        )
        community = visit_log(
            3, officer_id="o-002", kind=VisitLogKind.COMMUNITY_WORK, village_id="", zone_code="01050101"
        )
        reviewed = visit_log(4, day=date(2026, 3, 3)).review(ReviewResult.REJECTED, "", at=AT, by="lead-1")
        for log in (first, early, community, reviewed):
            await repository.add(log)
        assert await repository.get(first.log_id) == first
        mine = await repository.select(LogQuery(officer_id="o-001"))
        assert ids(mine, "log_id") == [first.log_id, early.log_id, reviewed.log_id]
        march_2 = await repository.select(LogQuery(started_in=DateRange(date(2026, 3, 2), date(2026, 3, 2))))
        assert ids(march_2, "log_id") == [early.log_id, community.log_id]
        assert ids(await repository.select(LogQuery(kind=VisitLogKind.COMMUNITY_WORK)), "log_id") == [
            community.log_id
        ]
        assert ids(await repository.select(LogQuery(review_result=ReviewResult.REJECTED)), "log_id") == [
            reviewed.log_id
        ]
        assert (
            ids(
                await repository.select(LogQuery(village_id="v-001", officer_ids=frozenset({"o-002"}))),
                "log_id",
            )
            == []
        )
        newest = await repository.select(LogQuery(newest_first=True, limit=2))
        assert ids(newest, "log_id") == [reviewed.log_id, community.log_id]
        older = await repository.select(LogQuery(newest_first=True, before_id=newest[-1].log_id))
        assert ids(older, "log_id") == [early.log_id, first.log_id]


# --- staffing findings (R-PER-2..9) ---------------------------------------------------------------------


class TestFindingRepository(AggregateRepositoryContract[Any]):
    repository = backends(InMemoryFindingRepository, lambda db: MongoFindingRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Any:
        return finding(n)

    def changed(self, aggregate: Any) -> Any:
        return aggregate.resolve(AT, "condition cleared (OfficerPosted)")

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.finding_id)

    async def test_one_open_finding_per_breach_and_again_once_resolved(self, repository: Any) -> None:
        first = finding(1, key="room_understaffed/room-1/officers")
        assert await repository.add(first)
        # Another evaluation raising the same breach a moment later: refused, whatever its id.
        assert not await repository.add(finding(2, key="room_understaffed/room-1/officers"))
        resolved = await repository.save(first.resolve(AT, "cleared"))
        assert resolved is not None and not resolved.open
        assert await repository.add(finding(3, key="room_understaffed/room-1/officers"))

    async def test_select_and_count_by_kind_status_and_subject_newest_first(self, repository: Any) -> None:
        week = week_of(date(2026, 2, 23))
        room = finding(1)
        village_blank = finding(2, FindingKind.BLANK_VILLAGE, room_id="", village_id="v-001")
        short = compliance_finding(3, "o-001", week)
        elsewhere = finding(4, station_id="st-other", room_id="room-9")
        for f in (room, village_blank, short, elsewhere):
            await repository.add(f)
        resolved = await repository.save(elsewhere.resolve(AT, "cleared"))
        assert resolved is not None
        assert await repository.get(short.finding_id) == short  # the period round-trips
        everything = await repository.select(FindingQuery())
        assert ids(everything, "finding_id") == [
            f.finding_id for f in (elsewhere, short, village_blank, room)
        ]
        kinds = frozenset({FindingKind.BLANK_VILLAGE, FindingKind.COMMUNITY_HOURS_SHORT})
        assert ids(await repository.select(FindingQuery(kinds=kinds)), "finding_id") == [
            short.finding_id,
            village_blank.finding_id,
        ]
        one_kind = FindingQuery(kinds=frozenset({FindingKind.ROOM_UNDERSTAFFED}), status=FindingStatus.OPEN)
        assert ids(await repository.select(one_kind), "finding_id") == [room.finding_id]
        assert ids(await repository.select(FindingQuery(officer_id="o-001")), "finding_id") == [
            short.finding_id
        ]
        assert ids(await repository.select(FindingQuery(village_id="v-001")), "finding_id") == [
            village_blank.finding_id
        ]
        assert ids(await repository.select(FindingQuery(room_id="room-9")), "finding_id") == [
            elsewhere.finding_id
        ]
        page = await repository.select(FindingQuery(station_id=STATION, limit=2))
        rest = await repository.select(FindingQuery(station_id=STATION, before_id=page[-1].finding_id))
        assert ids(page + rest, "finding_id") == [short.finding_id, village_blank.finding_id, room.finding_id]
        assert await repository.count_matching(FindingQuery(status=FindingStatus.OPEN)) == 3
        assert (
            await repository.count_matching(FindingQuery(status=FindingStatus.OPEN, station_id="st-other"))
            == 0
        )


# --- assessments, ratings, conduct (R-PER-11, R-PER-13) -------------------------------------------------


class TestAssessmentRepository(AggregateRepositoryContract[Any]):
    repository = backends(
        InMemoryAssessmentRepository, lambda db: MongoAssessmentRepository(db, OutboxRegistry())
    )

    def sample(self, n: int) -> Any:
        return assessment(f"o-{n:03d}")

    def changed(self, aggregate: Any) -> Any:
        return aggregate.publish(AT)

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.assessment_id)

    async def test_select_by_period_station_and_status_in_rank_order(self, repository: Any) -> None:
        april = Period(PeriodKind.MONTHLY, 2026, 4)
        second = assessment("o-001", district_rank=2)
        first = assessment("o-002", district_rank=1, station_id="st-other")
        published = assessment("o-003", district_rank=3).publish(AT)
        later = assessment("o-001", period=april, district_rank=1)
        quarter = assessment("o-001", period=Period(PeriodKind.QUARTERLY, 2026, 3), district_rank=1)
        for a in (second, first, published, later, quarter):
            await repository.add(a)
        assert await repository.get(second.assessment_id) == second
        march = await repository.select(AssessmentQuery(MARCH))
        assert ids(march, "officer_id") == ["o-002", "o-001", "o-003"]
        here = await repository.select(AssessmentQuery(MARCH, station_id=STATION))
        assert ids(here, "officer_id") == ["o-001", "o-003"]
        drafts = await repository.select(AssessmentQuery(MARCH, status=AssessmentStatus.DRAFT))
        assert ids(drafts, "officer_id") == ["o-002", "o-001"]
        assert ids(await repository.select(AssessmentQuery(april)), "assessment_id") == [later.assessment_id]


class TestRatingRepository:
    repository = backends(InMemoryRatingRepository, lambda db: MongoRatingRepository(db, OutboxRegistry()))

    async def test_a_rating_is_stored_once_and_listed_by_period(self, repository: Any) -> None:
        assert await repository.insert(rating(1), [contract_event("o-001")])
        assert not await repository.insert(rating(1, score=10.0))  # the same request id again
        await repository.insert(rating(2, officer_id="o-002"))
        await repository.insert(rating(3, period=Period(PeriodKind.MONTHLY, 2026, 4)))
        assert await repository.get("r-001") == rating(1)
        assert ids(await repository.of_period(MARCH), "rating_id") == ["r-001", "r-002"]


class TestConductRepository:
    repository = backends(InMemoryConductRepository, lambda db: MongoConductRepository(db, OutboxRegistry()))

    async def test_a_record_is_stored_once_and_listed_newest_first(self, repository: Any) -> None:
        march_1 = conduct(1)
        march_9 = conduct(2, day=date(2026, 3, 9))
        other = conduct(3, officer_id="o-002", station_id="st-other", day=date(2026, 2, 20))
        assert await repository.insert(march_1, [contract_event("o-001")])
        assert not await repository.insert(replace(march_1, description="again"))
        await repository.insert(march_9)
        await repository.insert(other)
        assert await repository.get(march_1.record_id) == march_1
        assert ids(await repository.select(ConductQuery()), "record_id") == [
            march_9.record_id,
            march_1.record_id,
            other.record_id,
        ]
        assert ids(await repository.select(ConductQuery(officer_id="o-001", limit=1)), "record_id") == [
            march_9.record_id
        ]
        in_march = ConductQuery(occurred_in=DateRange(date(2026, 3, 1), date(2026, 3, 8)))
        assert ids(await repository.select(in_march), "record_id") == [march_1.record_id]
        assert ids(await repository.select(ConductQuery(station_id="st-other")), "record_id") == [
            other.record_id
        ]
        page = await repository.select(ConductQuery(before_id=march_9.record_id))
        assert ids(page, "record_id") == [march_1.record_id, other.record_id]


# --- the registry's read model -----------------------------------------------------------------------


class TestRoomViewRepository:
    repository = backends(InMemoryRoomViewRepository, MongoRoomViewRepository)

    async def test_a_late_opening_never_reopens_a_merged_room(self, repository: Any) -> None:
        room = RoomView(
            "room-1", RoomKind.MOBILE, RoomStatus.ACTIVE, STATION, ("01050101",), name="流动警务室"
        )
        assert await repository.store(room)
        assert await repository.get("room-1") == room
        assert await repository.store(room.merged_into("room-2"))
        late = frozenset({RoomStatus.MERGED, RoomStatus.CLOSED})
        assert not await repository.store(room, unless_status=late)
        assert await repository.get("room-1") == room.merged_into("room-2")
        assert await repository.store(RoomView.unknown("room-3", RoomStatus.PLANNED), unless_status=late)
        assert ids(await repository.every(), "room_id") == ["room-1", "room-3"]


class TestZoneViewRepository:
    repository = backends(InMemoryZoneViewRepository, MongoZoneViewRepository)

    async def test_registry_fields_and_the_newest_measurement_are_kept_apart(self, repository: Any) -> None:
        zone = ZoneView("01050101", STATION, ("c-1", "c-2"), workload_population=5200)
        await repository.put_registry_fields(zone)
        assert await repository.get("01050101") == zone
        assert await repository.put_measurement("01050101", 4800, AT)
        assert not await repository.put_measurement(
            "01050101", 6000, AT - timedelta(days=1)
        )  # older: ignored
        assert not await repository.put_measurement("01050101", 6000, AT)  # the same snapshot again
        await repository.put_registry_fields(replace(zone, workload_population=5300))
        stored = await repository.get("01050101")
        assert stored == replace(zone, workload_population=5300, measured_population=4800, measured_at=AT)
        assert stored.actual_population == 4800  # R-PER-4: the measured figure wins
        assert await repository.put_measurement("01050199", 100, AT)  # measured before the registry said
        await repository.retire(["01050101", "01050198"])
        retired = await repository.get("01050101")
        assert retired.retired and retired.measured_population == 4800
        assert ids(await repository.every(), "zone_code") == ["01050101", "01050198", "01050199"]


class TestStationViewRepository:
    repository = backends(InMemoryStationViewRepository, MongoStationViewRepository)

    async def test_stations_are_written_whole(self, repository: Any) -> None:
        await repository.put(StationView(STATION, "符离派出所", StationKind.TOWN))
        await repository.put(StationView(STATION, "符离派出所", StationKind.URBAN))
        await repository.put(StationView("st-2"))
        assert await repository.get(STATION) == StationView(STATION, "符离派出所", StationKind.URBAN)
        assert ids(await repository.every(), "station_id") == ["st-2", STATION]
