"""What the patrol use cases need from storage and from other services: typed Protocols, implemented by
the Mongo adapters (adapters/repository.py, adapters/records.py, adapters/directory.py), the in-memory
fakes (adapters/memory.py) — one contract suite holds both to the same behaviour
(tests/test_repository_contract*.py) — and the gRPC clients of the room registry and telemetry
(adapters/rooms_client.py, adapters/telemetry_client.py).

Versioned aggregates (``add`` / ``save`` with the version check and the outbox in the same write):
vehicles, hot spots, plans, patrols, rings, checkpoints. Written once (``insert``, False when the id
exists: idempotent by id): incidents, duty orders, joint patrols, findings, crossings. Rewritten whole
(``put``): evidence, and the read models fed by the room registry's and telemetry's events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar

from jingwu_platform.usecase import Outgoing

from jingwu_patrol.domain.evidence import PatrolEvidence, SubjectKind
from jingwu_patrol.domain.findings import FindingKind, PatrolFinding
from jingwu_patrol.domain.geo import GeoPoint
from jingwu_patrol.domain.hotspots import HotSpot
from jingwu_patrol.domain.incidents import Incident, IncidentCategory
from jingwu_patrol.domain.joint_patrols import JointPatrol
from jingwu_patrol.domain.patrols import Patrol, PatrolStatus
from jingwu_patrol.domain.plans import PatrolPlan, PlanStatus
from jingwu_patrol.domain.prevention import (
    Checkpoint,
    CheckpointDuty,
    CheckpointKind,
    PreventionRing,
    RingLevel,
)
from jingwu_patrol.domain.territory import (
    DeviceKind,
    DeviceView,
    MobileRoomView,
    StopCrossing,
    VillageView,
    ZoneCrossing,
    ZoneView,
)
from jingwu_patrol.domain.tracks import Track
from jingwu_patrol.domain.vehicles import PatrolVehicle, VehicleStatus

V = TypeVar("V")
R = TypeVar("R")


class Aggregates(Protocol[V]):
    """The versioned-aggregate half every repository below shares (jingwu_platform.repository)."""

    async def add(self, aggregate: V, events: Sequence[Outgoing] = ()) -> bool: ...

    async def save(self, aggregate: V, events: Sequence[Outgoing] = ()) -> V | None: ...

    async def get(self, aggregate_id: str) -> V | None: ...

    async def get_many(self, aggregate_ids: Sequence[str]) -> dict[str, V]: ...


class Records(Protocol[R]):
    """Records written once by id (jingwu_platform.repository MongoDocuments.insert)."""

    async def insert(self, record: R, events: Sequence[Outgoing] = ()) -> bool: ...

    async def get(self, record_id: str) -> R | None: ...


# --- vehicles, hot spots, plans, patrols ---------------------------------------------------------


@dataclass(frozen=True)
class VehicleQuery:
    zone_code: str = ""
    station_id: str = ""
    status: VehicleStatus | None = None
    room_id: str = ""
    after_id: str = ""
    limit: int = 0  # 0: all


class VehicleRepository(Aggregates[PatrolVehicle], Protocol):
    async def select(self, query: VehicleQuery) -> list[PatrolVehicle]: ...


@dataclass(frozen=True)
class HotSpotQuery:
    zone_code: str = ""
    include_inactive: bool = False
    after_id: str = ""
    limit: int = 0


class HotSpotRepository(Aggregates[HotSpot], Protocol):
    async def select(self, query: HotSpotQuery) -> list[HotSpot]: ...


@dataclass(frozen=True)
class PlanQuery:
    """Plans of a zone / vehicle / crediting an officer; ``first``..``last``: overlapping those days."""

    zone_code: str = ""
    vehicle_id: str = ""
    officer_id: str = ""
    status: PlanStatus | None = None
    first: date | None = None
    last: date | None = None
    after_id: str = ""
    limit: int = 0


class PlanRepository(Aggregates[PatrolPlan], Protocol):
    async def select(self, query: PlanQuery) -> list[PatrolPlan]: ...


@dataclass(frozen=True)
class PatrolQuery:
    """Patrols overlapping [start, end); newest start first, after ``before_id`` (the page token)."""

    zone_code: str = ""
    vehicle_id: str = ""
    status: PatrolStatus | None = None
    start: datetime | None = None
    end: datetime | None = None
    before_id: str = ""
    limit: int = 0


class PatrolRepository(Aggregates[Patrol], Protocol):
    async def select(self, query: PatrolQuery) -> list[Patrol]: ...


# --- rings, checkpoints, duties --------------------------------------------------------------------


@dataclass(frozen=True)
class RingQuery:
    level: RingLevel | None = None
    after_id: str = ""
    limit: int = 0


class RingRepository(Aggregates[PreventionRing], Protocol):
    async def select(self, query: RingQuery) -> list[PreventionRing]: ...


@dataclass(frozen=True)
class CheckpointQuery:
    ring_id: str = ""
    zone_code: str = ""
    kind: CheckpointKind | None = None
    include_inactive: bool = False
    after_id: str = ""
    limit: int = 0


class CheckpointRepository(Aggregates[Checkpoint], Protocol):
    async def select(self, query: CheckpointQuery) -> list[Checkpoint]: ...


@dataclass(frozen=True)
class DutyQuery:
    """Duty orders in force during [start, end) (an open-ended order is in force until relieved); newest
    start first after ``before_id``."""

    checkpoint_id: str = ""
    vehicle_id: str = ""
    room_id: str = ""
    start: datetime | None = None
    end: datetime | None = None
    before_id: str = ""
    limit: int = 0


class DutyRepository(Records[CheckpointDuty], Protocol):
    async def put(self, record: CheckpointDuty, events: Sequence[Outgoing] = ()) -> None:
        """Rewrite a duty (its end when relieved; an interception's details over the registry's copy)."""
        ...

    async def select(self, query: DutyQuery) -> list[CheckpointDuty]: ...


# --- incidents --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentQuery:
    """Incidents that occurred in [start, end), newest first after ``before_id``."""

    zone_code: str = ""
    category: IncidentCategory | None = None
    start: datetime | None = None
    end: datetime | None = None
    before_id: str = ""
    limit: int = 0


class IncidentRepository(Records[Incident], Protocol):
    async def select(self, query: IncidentQuery) -> list[Incident]: ...


# --- joint patrols, findings ---------------------------------------------------------------------


@dataclass(frozen=True)
class JointPatrolQuery:
    """Joint patrols on days ``first``..``last``; newest first after ``before_id``."""

    village_id: str = ""
    zone_code: str = ""
    village_ids: tuple[str, ...] = ()
    first: date | None = None
    last: date | None = None
    before_id: str = ""
    limit: int = 0


class JointPatrolRepository(Records[JointPatrol], Protocol):
    async def select(self, query: JointPatrolQuery) -> list[JointPatrol]: ...


@dataclass(frozen=True)
class FindingQuery:
    kind: FindingKind | None = None
    zone_code: str = ""
    first: date | None = None
    last: date | None = None
    before_id: str = ""
    limit: int = 0


class FindingRepository(Records[PatrolFinding], Protocol):
    async def select(self, query: FindingQuery) -> list[PatrolFinding]: ...


# --- evidence --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceQuery:
    """Evidence of days ``first``..``last``, by date then subject (``after_id``: the page token)."""

    zone_code: str = ""
    station_id: str = ""
    vehicle_id: str = ""
    device_id: str = ""
    officer_id: str = ""
    subject_kind: SubjectKind | None = None
    first: date | None = None
    last: date | None = None
    after_id: str = ""
    limit: int = 0


class EvidenceRepository(Protocol):
    async def put(self, evidence: PatrolEvidence, events: Sequence[Outgoing] = ()) -> None: ...

    async def get(self, evidence_id: str) -> PatrolEvidence | None: ...

    async def select(self, query: EvidenceQuery) -> list[PatrolEvidence]: ...


# --- read models of other services ---------------------------------------------------------------


class ZoneDirectory(Protocol):
    async def put(self, zone: ZoneView) -> None: ...

    async def get(self, zone_code: str) -> ZoneView | None: ...

    async def everything(self) -> list[ZoneView]:
        """Every zone, retired ones included, in code order."""
        ...


class VillageDirectory(Protocol):
    async def put(self, village: VillageView) -> None: ...

    async def get(self, village_id: str) -> VillageView | None: ...

    async def select(self, zone_codes: Sequence[str] = (), station_id: str = "") -> list[VillageView]:
        """In id order; empty filters do not filter."""
        ...


class MobileRoomDirectory(Protocol):
    async def put(self, room: MobileRoomView) -> None: ...

    async def get(self, room_id: str) -> MobileRoomView | None: ...

    async def everything(self) -> list[MobileRoomView]: ...


class DeviceDirectory(Protocol):
    async def put(self, device: DeviceView) -> None: ...

    async def get(self, device_id: str) -> DeviceView | None: ...

    async def select(self, kind: DeviceKind | None = None) -> list[DeviceView]: ...


class CrossingLog(Protocol):
    """Telemetry's zone and stop crossings, each kept once by its event id."""

    async def add_zone_crossing(self, crossing: ZoneCrossing) -> bool: ...

    async def add_stop_crossing(self, crossing: StopCrossing) -> bool: ...

    async def zone_crossings(
        self, start: datetime, end: datetime, *, device_id: str = "", zone_code: str = ""
    ) -> list[ZoneCrossing]:
        """Crossings at [start, end), of a device and/or a zone, in time order (then id)."""
        ...

    async def stop_crossings(self, room_id: str, start: datetime, end: datetime) -> list[StopCrossing]: ...


# --- other services ---------------------------------------------------------------------------------


class TrackSource(Protocol):
    """A device's fixes in [start, end) (telemetry's GetTrack); raises when telemetry cannot answer."""

    async def track(self, device_id: str, start: datetime, end: datetime) -> Track: ...


class PositionSource(Protocol):
    """Latest GPS positions of devices not older than ``max_age_s`` (telemetry's GetLatestPositions);
    an empty answer when telemetry cannot be reached (the registry's belief is used instead)."""

    async def latest(self, device_ids: Sequence[str], max_age_s: float) -> dict[str, GeoPoint]: ...


@dataclass(frozen=True)
class RoomOrder:
    """The room registry's checkpoint order (R-ROOM-5), as it answered."""

    order_id: str
    room_id: str
    checkpoint_name: str
    checkpoint_location: GeoPoint
    issued_at: datetime
    issued_by: str


class RoomOrders(Protocol):
    """The room registry's IssueCheckpointOrder, called as a Jingwu service (Role.SERVICE)."""

    async def issue(
        self, *, checkpoint_name: str, location: GeoPoint, room_id: str, request_id: str
    ) -> RoomOrder: ...
