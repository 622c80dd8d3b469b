"""What the population use cases need from storage: typed queries and Protocols.

Two implementations with one behaviour, held to one contract suite (tests/test_repository_contract.py):
``adapters.memory.InMemoryPopulation`` (application tests, milliseconds) and
``adapters.store.StoredPopulation`` (the service: the same indexed image, made durable in the district
database and reloaded at start; docs/adr for why the queries are answered from memory on FerretDB).

Every write is a ``Change``: the new states of the aggregates a command touched, at the versions it
read, and the events they cause. ``commit`` writes all of it at once or nothing (a lost race answers
None: the use case reads and decides again, jingwu_platform.usecase.retry_on_conflict).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

from jingwu_platform.usecase import Outgoing

from jingwu_population.domain.audit import AuditEntry
from jingwu_population.domain.counts import PublishedZonePopulation, ZoneTally
from jingwu_population.domain.geo import Area
from jingwu_population.domain.information import Colour, InfoCategory, InformationRecord, Stage
from jingwu_population.domain.ledger import LedgerImport
from jingwu_population.domain.people import Category, House, KeyGroup, Resident
from jingwu_population.domain.places import Inspection, InspectionResult, Place, PlaceKind
from jingwu_population.domain.territory import HandoverChunk, Redivision, Station, Village, Zone
from jingwu_population.domain.visits import Visit

T = TypeVar("T")

# Every aggregate the population service stores.
Aggregate = (
    House
    | Resident
    | Place
    | Inspection
    | InformationRecord
    | Visit
    | Zone
    | Village
    | Station
    | Redivision
    | HandoverChunk
    | PublishedZonePopulation
    | LedgerImport
    | AuditEntry
)


@dataclass(frozen=True)
class Change:
    """One atomic write: new states (at the versions read; 0 = new) and their events."""

    writes: tuple[Aggregate, ...] = ()
    events: tuple[Outgoing, ...] = ()


@dataclass(frozen=True)
class QueryPlan:
    """How a query was answered (the in-memory image's ``explain``): the index used, how many index
    entries were examined and how many items returned. A full scan shows as index ``scan``."""

    index: str
    examined: int
    returned: int


@dataclass(frozen=True)
class ResidentQuery:
    """Residents; empty fields do not filter. Living residents only unless ``include_moved_out`` (which
    needs ``house_id``). ``name`` matches exactly, ``name_prefix`` from the start."""

    house_id: str = ""
    zone_code: str = ""
    category: Category | None = None
    key_group: KeyGroup | None = None
    separated_only: bool = False
    include_moved_out: bool = False
    name: str = ""
    name_prefix: str = ""
    phone: str = ""
    after: str = ""
    limit: int = 100


@dataclass(frozen=True)
class HouseQuery:
    zone_code: str = ""
    village_id: str = ""
    rental_only: bool = False
    key_group: KeyGroup | None = None
    after: str = ""
    limit: int = 100


@dataclass(frozen=True)
class MapQuery:
    area: Area | None = None
    zone_code: str = ""
    houses: bool = True
    places: bool = True
    key_groups: frozenset[KeyGroup] = frozenset()
    place_kinds: frozenset[PlaceKind] = frozenset()
    after: str = ""
    limit: int = 500


@dataclass(frozen=True)
class HouseSummary:
    """A house with what is counted from its residents."""

    house: House
    resident_count: int
    key_group_resident_count: int
    households: tuple[tuple[str, str, int], ...]  # (household_id, householder id, members)


@dataclass(frozen=True)
class MapFeature:
    feature_id: str  # "house/<id>" or "place/<id>" (the page key)
    house: HouseSummary | None = None
    place: Place | None = None


@dataclass(frozen=True)
class PlaceQuery:
    kind: PlaceKind | None = None
    zone_code: str = ""
    due_by: date | None = None
    after: str = ""
    limit: int = 100


@dataclass(frozen=True)
class InspectionQuery:
    place_id: str = ""
    zone_code: str = ""
    start: date | None = None
    end: date | None = None
    result: InspectionResult | None = None
    before: str = ""  # newest first: ids are time-ordered
    limit: int = 100


@dataclass(frozen=True)
class RecordQuery:
    colour: Colour | None = None
    category: InfoCategory | None = None
    stage: Stage | None = None
    zone_code: str = ""
    house_id: str = ""
    resident_id: str = ""
    place_id: str = ""
    collector_id: str = ""
    before: str = ""
    limit: int = 100


@dataclass(frozen=True)
class AuditQuery:
    reader_id: str = ""
    resident_id: str = ""
    start: datetime | None = None
    end: datetime | None = None
    before: int = 0  # newest first: the sequence of the last entry of the previous page
    limit: int = 100


@dataclass(frozen=True)
class Found(Generic[T]):
    """A page of results with the plan that found them."""

    items: list[T] = field(default_factory=list)
    plan: QueryPlan = QueryPlan("none", 0, 0)


class UnitOfWork(Protocol):
    async def commit(self, change: Change) -> list[Aggregate] | None:
        """Write every aggregate of ``change`` (version + 1) with its events, all or nothing; None when
        one of them is no longer at the version the command read (or a new one exists already)."""
        ...


class Houses(Protocol):
    async def house(self, house_id: str) -> House | None: ...

    async def house_at(self, address: str) -> House | None:
        """The house at this standard address (any spelling, domain.address)."""
        ...

    async def house_summary(self, house_id: str) -> HouseSummary | None: ...

    async def houses(self, query: HouseQuery) -> Found[HouseSummary]: ...

    async def houses_in_zones(self, zone_codes: Sequence[str]) -> list[House]: ...

    async def map_features(self, query: MapQuery) -> Found[MapFeature]: ...


class Residents(Protocol):
    async def resident(self, resident_id: str) -> Resident | None: ...

    async def resident_by_identity(self, id_number: str) -> Resident | None: ...

    async def residents(self, query: ResidentQuery) -> Found[Resident]: ...

    async def registered_living_elsewhere(self, house_id: str) -> list[Resident]:
        """Residents registered at this house who live elsewhere (人户分离, R-POP-1)."""
        ...

    async def residents_with_reviews_due(self, on: date) -> list[Resident]:
        """Living residents with a key-group tag whose review date is before ``on`` (R-POP-2)."""
        ...

    async def living_in(self, house_id: str) -> list[Resident]: ...


class Places(Protocol):
    async def place(self, place_id: str) -> Place | None: ...

    async def places(self, query: PlaceQuery) -> Found[Place]: ...

    async def inspection(self, inspection_id: str) -> Inspection | None: ...

    async def inspections(self, query: InspectionQuery) -> Found[Inspection]: ...


class Information(Protocol):
    async def record(self, record_id: str) -> InformationRecord | None: ...

    async def records(self, query: RecordQuery) -> Found[InformationRecord]: ...


class Visits(Protocol):
    async def visit(self, visit_id: str) -> Visit | None: ...

    async def visits_of(self, officer_id: str, week_start: date) -> list[Visit]: ...


class Territory(Protocol):
    async def zone(self, zone_code: str) -> Zone | None: ...

    async def zones(self) -> list[Zone]: ...

    async def village(self, village_id: str) -> Village | None: ...

    async def villages(self) -> dict[str, Village]: ...

    async def station(self, station_id: str) -> Station | None: ...

    async def redivision(self, redivision_id: str) -> Redivision | None: ...

    async def redivisions_applying(self) -> list[Redivision]: ...

    async def handover_chunks(self, redivision_id: str) -> list[HandoverChunk]: ...


class ZoneCounts(Protocol):
    async def tally(self, zone_code: str) -> ZoneTally: ...

    async def tallies(self) -> dict[str, ZoneTally]:
        """Every zone with houses, and every zone published before (a zone emptied by a re-division
        still reports its zero)."""
        ...

    async def published(self, zone_code: str) -> PublishedZonePopulation | None: ...


class AuditTrail(Protocol):
    async def audit_head(self) -> AuditEntry | None: ...

    async def audit_entries(self, query: AuditQuery) -> Found[AuditEntry]: ...

    async def stored_audit_entries(self) -> list[AuditEntry]:
        """The entries as they are in the durable store right now (for verification: an edit in the
        store must show, whatever the process holds in memory)."""
        ...


class Imports(Protocol):
    async def ledger_import(self, import_id: str) -> LedgerImport | None: ...

    async def imports_committing(self) -> list[LedgerImport]: ...

    async def stage_rows(
        self, import_id: str, chunk: int, rows: Sequence[tuple[int, dict[str, str]]]
    ) -> None:
        """Keep a chunk of rows of an uncommitted import (invisible to every query); a chunk sent again
        replaces itself."""
        ...

    async def staged_rows(self, import_id: str) -> list[tuple[int, dict[str, str]]]:
        """Every staged row of the import, in row order."""
        ...

    async def publish_import(
        self, ledger_import: LedgerImport, created: Sequence[Aggregate], change: Change
    ) -> bool:
        """Make an import's houses and residents visible at once, with ``change`` (the import's final
        state and its events) in the same commit; False when ``change`` lost a race. A crash before
        the commit point leaves nothing visible; the import is then resumed."""
        ...

    async def drop_staged(self, import_id: str) -> None: ...


class PopulationRepository(
    UnitOfWork,
    Houses,
    Residents,
    Places,
    Information,
    Visits,
    Territory,
    ZoneCounts,
    AuditTrail,
    Imports,
    Protocol,
):
    """Everything, for wiring."""
