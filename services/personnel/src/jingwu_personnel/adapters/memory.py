"""In-memory repositories of the personnel service, for application tests (milliseconds, no I/O). Each
is a fake of a Protocol in application/ports.py, built on the platform's in-memory twins, and is held to
the same contract suite as its Mongo adapter (tests/test_repository_contract.py).
``memory_repositories()`` builds them all around one FakeOutbox, so a test sees every event a command
wrote, in write order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from jingwu_platform.calendar import DateRange
from jingwu_platform.repository import FakeOutbox, InMemoryAggregates, InMemoryDocuments, after, before
from jingwu_platform.unmasked_read_store import InMemoryUnmaskedReads
from jingwu_platform.usecase import Outgoing

from jingwu_personnel.application.ports import (
    AssessmentQuery,
    ConductQuery,
    FindingQuery,
    LogQuery,
    OfficerQuery,
    PostingQuery,
    Repositories,
    RoomReport,
    VillageQuery,
    ZoneMeasurement,
    ZoneReport,
)
from jingwu_personnel.domain.assessment import Assessment
from jingwu_personnel.domain.assessment_inputs import DutyEvidence, FamiliarisationWeek
from jingwu_personnel.domain.conduct import ConductRecord
from jingwu_personnel.domain.findings import Finding
from jingwu_personnel.domain.officers import Officer
from jingwu_personnel.domain.periods import Period
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.ratings import Rating
from jingwu_personnel.domain.territory import (
    RoomStatus,
    RoomView,
    StationView,
    ZoneView,
    measured_zone,
    registry_zone,
)
from jingwu_personnel.domain.villages import VillageAssignment
from jingwu_personnel.domain.worklogs import VisitLog

T = TypeVar("T")


def _page(found: list[T], *, newest_first: bool, limit: int) -> list[T]:
    ordered = list(reversed(found)) if newest_first else found
    return ordered[:limit] if limit else ordered


class InMemoryOfficerRepository(InMemoryAggregates[Officer]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda o: o.officer_id, outbox)

    async def select(self, query: OfficerQuery) -> list[Officer]:
        return self.matching(
            lambda o: (
                (not query.station_id or o.station_id == query.station_id)
                and (query.role is None or query.role in o.roles)
                and (query.branch is None or o.branch is query.branch)
                and (query.status is None or o.status is query.status)
                and (query.officer_ids is None or o.officer_id in query.officer_ids)
                and after(query.after_id, o.officer_id)
            ),
            limit=query.limit,
        )


def _held_during(posting: Posting, query: PostingQuery) -> bool:
    period = query.held_during
    if period is None:
        return True
    return posting.start_date <= period.end and (posting.end_date is None or posting.end_date > period.start)


class InMemoryPostingRepository(InMemoryAggregates[Posting]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda p: p.posting_id, outbox)

    async def select(self, query: PostingQuery) -> list[Posting]:
        places = ("officer_id", "station_id", "room_id", "zone_code", "village_id")
        found = self.matching(
            lambda p: (
                all(not getattr(query, name) or getattr(p, name) == getattr(query, name) for name in places)
                and (query.officer_ids is None or p.officer_id in query.officer_ids)
                and (not query.in_a_village or bool(p.village_id))
                and (query.role is None or p.role is query.role)
                and (not query.current_only or p.open)
                and _held_during(p, query)
                and before(query.before_id, p.posting_id)
            )
        )
        return _page(found, newest_first=query.newest_first, limit=query.limit)


class InMemoryVillageRepository(InMemoryAggregates[VillageAssignment]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda v: v.village_id, outbox)

    async def add_all(self, assignments: Sequence[VillageAssignment]) -> frozenset[str]:
        return frozenset([a.village_id for a in assignments if await self.add(a)])

    async def select(self, query: VillageQuery) -> list[VillageAssignment]:
        due_by = query.rotation_due_by
        return self.matching(
            lambda a: (
                (not query.station_id or a.village.station_id == query.station_id)
                and (not query.zone_code or a.village.zone_code == query.zone_code)
                and (not query.assignable_only or a.village.needs_liaison_and_auxiliary)
                and (not query.incomplete_only or a.liaison is None or a.auxiliary is None)
                and (
                    due_by is None
                    or (a.auxiliary_rotation_due is not None and a.auxiliary_rotation_due <= due_by)
                )
                and after(query.after_id, a.village_id)
            ),
            limit=query.limit,
        )


class InMemoryVisitLogRepository(InMemoryAggregates[VisitLog]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda log: log.log_id, outbox)

    async def select(self, query: LogQuery) -> list[VisitLog]:
        found = self.matching(
            lambda log: (
                (not query.officer_id or log.officer_id == query.officer_id)
                and (query.officer_ids is None or log.officer_id in query.officer_ids)
                and (not query.village_id or log.village_id == query.village_id)
                and (query.kind is None or log.kind is query.kind)
                and (query.review_result is None or log.review_result is query.review_result)
                and (query.started_in is None or query.started_in.contains(log.day))
                and before(query.before_id, log.log_id)
            )
        )
        return _page(found, newest_first=query.newest_first, limit=query.limit)


def _finding_matches(query: FindingQuery) -> Callable[[Finding], bool]:
    def matches(f: Finding) -> bool:
        c = f.condition
        return (
            (not query.kinds or c.kind in query.kinds)
            and (query.status is None or f.status is query.status)
            and all(
                not getattr(query, name) or getattr(c, name) == getattr(query, name)
                for name in ("station_id", "room_id", "village_id", "officer_id")
            )
            and before(query.before_id, f.finding_id)
        )

    return matches


class InMemoryFindingRepository(InMemoryAggregates[Finding]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda f: f.finding_id, outbox)

    async def add(self, finding: Finding, events: Sequence[Outgoing] = ()) -> bool:
        """One open finding per breach (the Mongo adapter's unique ``open_key``)."""
        key = finding.condition.key
        if finding.open and self.matching(lambda f: f.open and f.condition.key == key):
            return False
        return await super().add(finding, events)

    async def add_all(self, raised: Sequence[tuple[Finding, Sequence[Outgoing]]]) -> list[Finding]:
        return [finding for finding, events in raised if await self.add(finding, events)]

    async def select(self, query: FindingQuery) -> list[Finding]:
        return _page(self.matching(_finding_matches(query)), newest_first=True, limit=query.limit)

    async def count_matching(self, query: FindingQuery) -> int:
        return len(self.matching(_finding_matches(query)))


class InMemoryAssessmentRepository(InMemoryAggregates[Assessment]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda a: a.assessment_id, outbox)

    async def select(self, query: AssessmentQuery) -> list[Assessment]:
        found = self.matching(
            lambda a: (
                a.period == query.period
                and (not query.station_id or a.station_id == query.station_id)
                and (query.status is None or a.status is query.status)
            )
        )
        return sorted(found, key=lambda a: (a.district_rank, a.assessment_id))


class InMemoryRatingRepository(InMemoryDocuments[Rating]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda r: r.rating_id, outbox)

    async def of_period(self, period: Period) -> list[Rating]:
        return self.matching(lambda r: r.period == period)


class InMemoryConductRepository(InMemoryDocuments[ConductRecord]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda r: r.record_id, outbox)

    async def select(self, query: ConductQuery) -> list[ConductRecord]:
        found = self.matching(
            lambda r: (
                (not query.officer_id or r.officer_id == query.officer_id)
                and (not query.station_id or r.station_id == query.station_id)
                and (query.occurred_in is None or query.occurred_in.contains(r.occur_date))
                and before(query.before_id, r.record_id)
            )
        )
        return _page(found, newest_first=True, limit=query.limit)


class InMemoryRoomViewRepository(InMemoryDocuments[RoomView]):
    def __init__(self) -> None:
        super().__init__(lambda r: r.room_id)

    async def every(self) -> list[RoomView]:
        return self.all()

    async def store(self, room: RoomView, *, unless_status: frozenset[RoomStatus] = frozenset()) -> bool:
        stored = self.items.get(room.room_id)
        if stored is not None and stored.status in unless_status:
            return False
        self.items[room.room_id] = room
        return True

    async def store_all(self, reports: Sequence[RoomReport]) -> None:
        for report in reports:
            await self.store(report.room, unless_status=report.unless_status)


class InMemoryZoneViewRepository(InMemoryDocuments[ZoneView]):
    def __init__(self) -> None:
        super().__init__(lambda z: z.zone_code)

    async def every(self) -> list[ZoneView]:
        return self.all()

    async def put_registry_fields(self, zone: ZoneView) -> None:
        self.items[zone.zone_code] = registry_zone(self.items.get(zone.zone_code), zone)

    async def put_measurement(self, zone_code: str, population: int, as_of: datetime) -> bool:
        measured = measured_zone(self.items.get(zone_code), zone_code, population, as_of)
        if measured is None:
            return False
        self.items[zone_code] = measured
        return True

    async def retire(self, zone_codes: Sequence[str]) -> None:
        for code in zone_codes:
            self.items[code] = replace(self.items.get(code) or ZoneView(zone_code=code), retired=True)

    async def apply_all(self, reports: Sequence[ZoneReport]) -> frozenset[str]:
        measured: set[str] = set()
        for report in reports:
            if isinstance(report, ZoneMeasurement):
                if await self.put_measurement(report.zone_code, report.population, report.as_of):
                    measured.add(report.zone_code)
            else:
                await self.put_registry_fields(report)
        return frozenset(measured)


class InMemoryStationViewRepository(InMemoryDocuments[StationView]):
    def __init__(self) -> None:
        super().__init__(lambda s: s.station_id)

    async def every(self) -> list[StationView]:
        return self.all()

    async def put_all(self, stations: Sequence[StationView]) -> None:
        for station in stations:
            await self.put(station)


class InMemoryFamiliarisationRepository(InMemoryDocuments[FamiliarisationWeek]):
    def __init__(self) -> None:
        super().__init__(lambda w: w.week_id)

    async def record_all(self, weeks: Sequence[FamiliarisationWeek]) -> None:
        for week in weeks:
            stored = self.items.get(week.week_id)
            kept = week if stored is None else stored.merged(week)
            if kept is not None:
                self.items[week.week_id] = kept

    async def during(self, period: DateRange) -> list[FamiliarisationWeek]:
        return self.matching(lambda w: period.contains(w.week_start))


class InMemoryDutyEvidenceRepository(InMemoryDocuments[DutyEvidence]):
    def __init__(self) -> None:
        super().__init__(lambda e: e.evidence_id)

    async def record(self, evidence: DutyEvidence) -> bool:
        stored = self.items.get(evidence.evidence_id)
        if stored is not None and not stored.replaced_by(evidence):
            return False
        self.items[evidence.evidence_id] = evidence
        return True

    async def during(self, period: DateRange) -> list[DutyEvidence]:
        return self.matching(lambda e: period.contains(e.day))


def memory_repositories(outbox: FakeOutbox | None = None) -> Repositories:
    """Every repository in memory, writing into one outbox."""
    shared = outbox or FakeOutbox()
    return Repositories(
        officers=InMemoryOfficerRepository(shared),
        unmasked_reads=InMemoryUnmaskedReads(shared),
        postings=InMemoryPostingRepository(shared),
        villages=InMemoryVillageRepository(shared),
        logs=InMemoryVisitLogRepository(shared),
        findings=InMemoryFindingRepository(shared),
        conduct=InMemoryConductRepository(shared),
        ratings=InMemoryRatingRepository(shared),
        assessments=InMemoryAssessmentRepository(shared),
        rooms=InMemoryRoomViewRepository(),
        zones=InMemoryZoneViewRepository(),
        stations=InMemoryStationViewRepository(),
        familiarisation=InMemoryFamiliarisationRepository(),
        duty_evidence=InMemoryDutyEvidenceRepository(),
    )
