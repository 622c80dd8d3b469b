"""What the personnel use cases need from storage, and from staffing evaluation: typed Protocols.

Repositories are implemented by the Mongo adapters (``adapters/*_repository.py``) and the in-memory
fakes (``adapters/memory.py``); both are held to one contract suite (``tests/test_repository_contract.py``),
so application tests on the fakes prove something.

Versioned aggregates (officers, postings, villages, visit logs, findings, assessments) share one write
protocol: ``add`` inserts with the creation events (False when the id exists: creates whose id derives
from a request id are idempotent); ``save`` writes the new state with its events if nobody changed it
since it was read and answers the stored aggregate (version + 1), or None after a lost race (the use
case reads and decides again, ``retry_on_conflict``). Append-only records (conduct, ratings, unmasked
reads) are ``insert``-ed once. The registry's rooms, zones and stations are read models kept from its
events. Queries are dataclasses: every filter off when empty/None, ``limit`` 0 meaning all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar

from jingwu_platform.calendar import DateRange
from jingwu_platform.unmasked_reads import UnmaskedReadRepository
from jingwu_platform.usecase import Outgoing

from jingwu_personnel.domain.assessment import Assessment, AssessmentStatus
from jingwu_personnel.domain.assessment_inputs import DutyEvidence, FamiliarisationWeek
from jingwu_personnel.domain.conduct import ConductRecord
from jingwu_personnel.domain.findings import STRUCTURAL_KINDS, Finding, FindingKind, FindingStatus
from jingwu_personnel.domain.officers import Branch, Officer, OfficerRole, OfficerStatus
from jingwu_personnel.domain.periods import Period
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.ratings import Rating
from jingwu_personnel.domain.territory import RoomStatus, RoomView, StationView, ZoneView
from jingwu_personnel.domain.villages import VillageAssignment
from jingwu_personnel.domain.worklogs import ReviewResult, VisitLog, VisitLogKind

A = TypeVar("A")

# --- typed queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficerQuery:
    """Officers of a station, holding a role, of a branch, in a status, among ``officer_ids`` (None: any),
    in id order after ``after_id`` (the page token)."""

    station_id: str = ""
    role: OfficerRole | None = None
    branch: Branch | None = None
    status: OfficerStatus | None = None
    officer_ids: frozenset[str] | None = None
    after_id: str = ""
    limit: int = 0


@dataclass(frozen=True)
class PostingQuery:
    """Postings by officer(s), place and role. ``current_only``: not ended; ``held_during``: started by the
    range's end and not ended by its start (a posting's end date is the first day off the post);
    ``in_a_village``: village postings only. Id order (= start order), or newest first before
    ``before_id`` (the page token of newest-first lists)."""

    officer_id: str = ""
    officer_ids: frozenset[str] | None = None
    station_id: str = ""
    room_id: str = ""
    zone_code: str = ""
    village_id: str = ""
    in_a_village: bool = False
    role: OfficerRole | None = None
    current_only: bool = False
    held_during: DateRange | None = None
    newest_first: bool = False
    before_id: str = ""
    limit: int = 0


@dataclass(frozen=True)
class VillageQuery:
    """Villages of a station or zone. ``assignable_only``: administrative villages that are not urban
    communities (R-PER-5); ``incomplete_only``: lacking a liaison officer or a resident auxiliary;
    ``rotation_due_by``: whose auxiliary rotates by that day (R-PER-7). Id order after ``after_id``."""

    station_id: str = ""
    zone_code: str = ""
    assignable_only: bool = False
    incomplete_only: bool = False
    rotation_due_by: date | None = None
    after_id: str = ""
    limit: int = 0


@dataclass(frozen=True)
class LogQuery:
    """Visit logs by officer(s), village, kind and review result; ``started_in``: begun on one of the
    range's local days. Id order (= start order), or newest first before ``before_id``."""

    officer_id: str = ""
    officer_ids: frozenset[str] | None = None
    village_id: str = ""
    kind: VisitLogKind | None = None
    review_result: ReviewResult | None = None
    started_in: DateRange | None = None
    newest_first: bool = False
    before_id: str = ""
    limit: int = 0


@dataclass(frozen=True)
class FindingQuery:
    """Staffing findings of some kinds (empty: any), in a status, about a station, room, village or
    officer; newest first before ``before_id``."""

    kinds: frozenset[FindingKind] = frozenset()
    status: FindingStatus | None = None
    station_id: str = ""
    room_id: str = ""
    village_id: str = ""
    officer_id: str = ""
    before_id: str = ""
    limit: int = 0


@dataclass(frozen=True)
class ConductQuery:
    """Conduct records of an officer or a station, that happened in ``occurred_in``; newest first before
    ``before_id``."""

    officer_id: str = ""
    station_id: str = ""
    occurred_in: DateRange | None = None
    before_id: str = ""
    limit: int = 0


@dataclass(frozen=True)
class AssessmentQuery:
    """Assessments of one period, of a station, in a status; by district rank, then id."""

    period: Period
    station_id: str = ""
    status: AssessmentStatus | None = None


# --- repositories --------------------------------------------------------------------------------------


class Aggregates(Protocol[A]):
    """The write protocol of versioned aggregates (see the module docstring)."""

    async def add(self, aggregate: A, events: Sequence[Outgoing] = ()) -> bool: ...

    async def save(self, aggregate: A, events: Sequence[Outgoing] = ()) -> A | None: ...

    async def get(self, aggregate_id: str) -> A | None: ...

    async def get_many(self, aggregate_ids: Iterable[str]) -> dict[str, A]: ...


class OfficerRepository(Aggregates[Officer], Protocol):
    async def select(self, query: OfficerQuery) -> list[Officer]: ...


class PostingRepository(Aggregates[Posting], Protocol):
    async def select(self, query: PostingQuery) -> list[Posting]: ...


class VillageRepository(Aggregates[VillageAssignment], Protocol):
    async def add_all(self, assignments: Sequence[VillageAssignment]) -> frozenset[str]:
        """``add`` of many (no events) in one write; the ids added (the others existed already)."""
        ...

    async def select(self, query: VillageQuery) -> list[VillageAssignment]: ...


class VisitLogRepository(Aggregates[VisitLog], Protocol):
    async def select(self, query: LogQuery) -> list[VisitLog]: ...


class FindingRepository(Aggregates[Finding], Protocol):
    """``add`` also answers False while an open finding of the same breach (condition key) exists: one
    open finding per breach, however many evaluations race to raise it."""

    async def add_all(self, raised: Sequence[tuple[Finding, Sequence[Outgoing]]]) -> list[Finding]:
        """``add`` of many in one write (an evaluation raising many breaches at once); the ones
        added, in the given order (the others: id or open breach there already)."""
        ...

    async def select(self, query: FindingQuery) -> list[Finding]: ...

    async def count_matching(self, query: FindingQuery) -> int: ...


class AssessmentRepository(Aggregates[Assessment], Protocol):
    async def select(self, query: AssessmentQuery) -> list[Assessment]: ...


class ConductRepository(Protocol):
    async def insert(self, record: ConductRecord, events: Sequence[Outgoing] = ()) -> bool: ...

    async def get(self, record_id: str) -> ConductRecord | None: ...

    async def select(self, query: ConductQuery) -> list[ConductRecord]: ...


class RatingRepository(Protocol):
    async def insert(self, rating: Rating, events: Sequence[Outgoing] = ()) -> bool: ...

    async def get(self, rating_id: str) -> Rating | None: ...

    async def of_period(self, period: Period) -> list[Rating]:
        """Every rating submitted for the period (resubmissions included; domain/ratings.py picks each
        rater's latest)."""
        ...


@dataclass(frozen=True)
class RoomReport:
    """A room as an event reports it: stored unless the stored room is in one of ``unless_status``."""

    room: RoomView
    unless_status: frozenset[RoomStatus] = frozenset()

    def over(self, stored: RoomView | None) -> RoomView | None:
        """What storing the report makes of ``stored``: the reported room, or None (``stored`` stays)."""
        if stored is not None and stored.status in self.unless_status:
            return None
        return self.room


@dataclass(frozen=True)
class ZoneMeasurement:
    """The actual population the population service measured in a zone (R-PER-4)."""

    zone_code: str
    population: int
    as_of: datetime


ZoneReport = ZoneView | ZoneMeasurement  # the registry's fields of a zone, or a measurement


class RoomViewRepository(Protocol):
    """The registry's rooms as its events describe them."""

    async def get(self, room_id: str) -> RoomView | None: ...

    async def every(self) -> list[RoomView]: ...

    async def store(self, room: RoomView, *, unless_status: frozenset[RoomStatus] = frozenset()) -> bool:
        """Store the room as reported, unless the stored one is in one of ``unless_status`` (a late
        RoomOpened never reopens a merged room: events of different rooms are not ordered); True when
        written."""
        ...

    async def store_all(self, reports: Sequence[RoomReport]) -> None:
        """``store`` of each report, in order: what storing them one by one would leave (a batch of
        registry events), in bulk where the rooms are new."""
        ...


class ZoneViewRepository(Protocol):
    """The registry's zones, with the actual population the population service measured (R-PER-4)."""

    async def get(self, zone_code: str) -> ZoneView | None: ...

    async def every(self) -> list[ZoneView]: ...

    async def put_registry_fields(self, zone: ZoneView) -> None:
        """Store what the registry says of the zone (station, communities, workload, retired), keeping
        any measured population."""
        ...

    async def put_measurement(self, zone_code: str, population: int, as_of: datetime) -> bool:
        """Keep the measured population if it is newer than the one stored (snapshots may arrive out of
        order); True when it was newer and stored."""
        ...

    async def retire(self, zone_codes: Sequence[str]) -> None:
        """R-ORG-3: the zones were dissolved by a re-division."""
        ...

    async def apply_all(self, reports: Sequence[ZoneReport]) -> frozenset[str]:
        """``put_registry_fields`` / ``put_measurement`` of each report, in order, in bulk where the
        zones are new; the codes whose measured population was stored (newer)."""
        ...


class StationViewRepository(Protocol):
    async def get(self, station_id: str) -> StationView | None: ...

    async def every(self) -> list[StationView]: ...

    async def put(self, station: StationView) -> None: ...

    async def put_all(self, stations: Sequence[StationView]) -> None:
        """``put`` of each, in order (the last of one id wins), in bulk where the stations are new."""
        ...


class FamiliarisationRepository(Protocol):
    """R-POP-5 progress per officer and week, as population reports it (the highest count wins)."""

    async def record_all(self, weeks: Sequence[FamiliarisationWeek]) -> None:
        """Keep each reported week unless the stored one counts as many households or more."""
        ...

    async def during(self, period: DateRange) -> list[FamiliarisationWeek]:
        """Weeks starting in ``period``, by officer and week."""
        ...


class DutyEvidenceRepository(Protocol):
    """R-PAT-6 evidence per vehicle or handheld and day, as patrol reports it (the highest revision
    wins)."""

    async def record(self, evidence: DutyEvidence) -> bool:
        """Keep the evidence unless the stored one has the same or a higher revision; True when kept."""
        ...

    async def during(self, period: DateRange) -> list[DutyEvidence]:
        """Evidence of days in ``period``, by id."""
        ...


# --- staffing evaluation, as the commands that change staffing ask for it ---------------------------------


class StaffingChecks(Protocol):
    """What a command asks of staffing evaluation once its change is written. Implemented by
    ``StaffingApplication`` (in-process, at once: application tests) and, in the running service, by
    ``ChecksByEvents`` (the command's event is judged with its batch, docs/adr/0040)."""

    async def evaluate_structural(self, cause: str, kinds: frozenset[FindingKind] = STRUCTURAL_KINDS) -> None:
        """R-PER-2..5, R-PER-7 from the current state, for the kinds the change bears on."""
        ...

    async def recheck_compliance(self, officer_id: str, day: date, cause: str) -> None:
        """A late log: re-judge the officer's open R-PER-8/9 findings whose period holds ``day``."""
        ...


@dataclass(frozen=True)
class Repositories:
    """Every repository of the personnel service: the Mongo adapters in the process, the fakes in tests."""

    officers: OfficerRepository
    unmasked_reads: UnmaskedReadRepository
    postings: PostingRepository
    villages: VillageRepository
    logs: VisitLogRepository
    findings: FindingRepository
    conduct: ConductRepository
    ratings: RatingRepository
    assessments: AssessmentRepository
    rooms: RoomViewRepository
    zones: ZoneViewRepository
    stations: StationViewRepository
    familiarisation: FamiliarisationRepository
    duty_evidence: DutyEvidenceRepository
