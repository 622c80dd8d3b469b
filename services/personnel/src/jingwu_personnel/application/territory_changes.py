"""Following the room registry's territory (jingwu.<district>.rooms.v1) and the zones' measured population
(jingwu.<district>.population.v1): personnel's read model of rooms, zones, stations and villages, the
postings that move when rooms merge or close or zones are re-divided (application/posting_moves.py),
and ONE staffing evaluation for a whole batch of such changes.

The registry's events come in batches (entrypoints/event_handlers.py, a ``BatchConsumer``): hundreds at
a time while a district is loaded. A batch is applied in order. Consecutive read-model changes (rooms
opened or planned, stations, villages, zones, measurements) are written together — new documents in
one insert each, existing ones one by one with their conditions, which leaves what the changes one by
one would (ports: ``store_all``, ``apply_all``, ``put_all``, ``add_all``). A change that moves postings
(RoomsMerged, RoomClosed, ZonesRedivided) is applied on its own once everything before it is written.
Then the structural rules are evaluated once, for the union of the finding kinds the batch bears on
(a room change needs no village check). Evaluation is state-based, so one run after the batch finds
what one run per event would have found at its end — the findings of states in between, which nobody
could have read before the batch was committed, are not raised and resolved in passing.

Idempotent under redelivery: read-model writes are upserts or conditional, moved postings get ids
derived from the event id and the old posting, and evaluation is state-based; the inbox drops events
already processed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial

from jingwu_platform.errors import RuleViolation
from jingwu_platform.usecase import UseCaseKit

from jingwu_personnel.application.ports import (
    PostingRepository,
    RoomReport,
    RoomViewRepository,
    StaffingChecks,
    StationViewRepository,
    VillageRepository,
    ZoneMeasurement,
    ZoneReport,
    ZoneViewRepository,
)
from jingwu_personnel.application.posting_moves import PostingMoves, RegistryEvent, change_village
from jingwu_personnel.domain.findings import (
    ROOM_KINDS,
    STATION_KINDS,
    STRUCTURAL_KINDS,
    VILLAGE_KINDS,
    ZONE_KINDS,
    FindingKind,
)
from jingwu_personnel.domain.redivision import ZoneRedivision
from jingwu_personnel.domain.territory import RoomStatus, RoomView, StationView, VillageView, ZoneView
from jingwu_personnel.domain.villages import VillageAssignment

# A late RoomOpened never reopens a room known as merged or closed; a late RoomPlanned never demotes
# an open one (events of different rooms come in no fixed order).
OPENED_UNLESS = frozenset({RoomStatus.MERGED, RoomStatus.CLOSED})
PLANNED_UNLESS = frozenset({RoomStatus.ACTIVE, RoomStatus.MERGED, RoomStatus.CLOSED})


# --- the registry's changes, as the event handlers translate them ------------------------------------


@dataclass(frozen=True)
class RoomOpened:
    """A room opened: it must be staffed (R-PER-2)."""

    room: RoomView


@dataclass(frozen=True)
class RoomPlanned:
    room: RoomView


@dataclass(frozen=True)
class StationCreated:
    """R-PER-4: the station's headcount floor follows its kind."""

    station: StationView


@dataclass(frozen=True)
class VillageRegistered:
    """An administrative village becomes assignable (R-PER-5); a re-registration updates the
    description and keeps who serves it."""

    village: VillageView


@dataclass(frozen=True)
class ZoneCreated:
    """R-PER-4 needs the zone's actual population: the registry's workload figure until the population
    service reports a measured one."""

    zone: ZoneView


@dataclass(frozen=True)
class ZonePopulationChanged:
    """R-PER-4: the measured actual population replaces the registry's figure (the newest wins)."""

    zone_code: str
    population: int
    as_of: datetime


@dataclass(frozen=True)
class RoomsMerged:
    cause: RegistryEvent
    survivor_id: str
    merged_ids: tuple[str, ...]


@dataclass(frozen=True)
class RoomClosed:
    cause: RegistryEvent
    room_id: str
    reason: str


@dataclass(frozen=True)
class ZonesRedivided:
    cause: RegistryEvent
    redivision: ZoneRedivision


ViewChange = (
    RoomOpened | RoomPlanned | StationCreated | VillageRegistered | ZoneCreated | ZonePopulationChanged
)
PostingMove = RoomsMerged | RoomClosed | ZonesRedivided
TerritoryChange = ViewChange | PostingMove

# What each posting move bears on (read-model changes: see _write_views).
_MOVE_KINDS: dict[type, frozenset[FindingKind]] = {
    RoomsMerged: ROOM_KINDS | ZONE_KINDS,
    RoomClosed: ROOM_KINDS | ZONE_KINDS,
    ZonesRedivided: STRUCTURAL_KINDS,
}


@dataclass(frozen=True)
class Refusal:
    """A change a rule refuses (R-ORG-3: a re-division that would orphan a posting): nothing of it was
    applied. ``position`` is its index in the batch."""

    position: int
    violation: RuleViolation


@dataclass
class _Batch:
    refusals: list[Refusal] = field(default_factory=list)
    kinds: frozenset[FindingKind] = frozenset()
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def cause(self) -> str:
        return ", ".join(f"{name}×{n}" if n > 1 else name for name, n in sorted(self.counts.items()))


class TerritoryChangeApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        rooms: RoomViewRepository,
        zones: ZoneViewRepository,
        stations: StationViewRepository,
        villages: VillageRepository,
        postings: PostingRepository,
        staffing: StaffingChecks,
    ) -> None:
        self._rooms = rooms
        self._zones = zones
        self._stations = stations
        self._villages = villages
        self._staffing = staffing
        self._moves = PostingMoves(kit, rooms=rooms, zones=zones, villages=villages, postings=postings)

    async def apply(
        self,
        changes: Sequence[TerritoryChange],
        *,
        also: Counter[str] | None = None,
        kinds: frozenset[FindingKind] = frozenset(),
    ) -> list[Refusal]:
        """Apply a batch of the registry's changes in order, then evaluate staffing once (see the module
        docstring) for the kinds they bear on and ``kinds`` (what else in the batch changed staffing:
        personnel's own events, counted in ``also`` for the log); the changes a rule refused. Anything
        else that fails raises: nothing of the batch counts as processed, and all of it comes again
        (idempotent)."""
        batch = _Batch(kinds=kinds, counts=Counter(also or {}))
        views: list[ViewChange] = []
        for position, item in enumerate(changes):
            batch.counts[type(item).__name__] += 1
            if isinstance(item, RoomsMerged | RoomClosed | ZonesRedivided):
                batch.kinds |= await self._write_views(views)
                views = []
                try:
                    await self._move(item)
                except RuleViolation as refused:
                    batch.refusals.append(Refusal(position, refused))
                    continue
                batch.kinds |= _MOVE_KINDS[type(item)]
            else:
                views.append(item)
        batch.kinds |= await self._write_views(views)
        if batch.kinds:
            await self._staffing.evaluate_structural(batch.cause, batch.kinds)
        return batch.refusals

    async def _move(self, item: PostingMove) -> None:
        if isinstance(item, RoomsMerged):
            await self._moves.rooms_merged(item.cause, item.survivor_id, item.merged_ids)
        elif isinstance(item, RoomClosed):
            await self._moves.room_closed(item.cause, item.room_id, item.reason)
        else:
            await self._moves.zones_redivided(item.cause, item.redivision)

    async def _write_views(self, views: Sequence[ViewChange]) -> frozenset[FindingKind]:
        """Consecutive read-model changes, written together, each collection's in their order; the
        finding kinds they bear on."""
        if not views:
            return frozenset()
        kinds: frozenset[FindingKind] = frozenset()
        rooms: list[RoomReport] = []
        zones: list[ZoneReport] = []
        stations: list[StationView] = []
        villages: dict[str, VillageView] = {}
        for item in views:
            if isinstance(item, RoomOpened):
                rooms.append(RoomReport(replace(item.room, status=RoomStatus.ACTIVE), OPENED_UNLESS))
                kinds |= ROOM_KINDS  # a room without staff is a finding at once (R-PER-2)
            elif isinstance(item, RoomPlanned):
                rooms.append(RoomReport(replace(item.room, status=RoomStatus.PLANNED), PLANNED_UNLESS))
            elif isinstance(item, StationCreated):
                stations.append(item.station)
                kinds |= STATION_KINDS
            elif isinstance(item, VillageRegistered):
                villages[item.village.village_id] = item.village  # the latest description counts
                kinds |= VILLAGE_KINDS
            elif isinstance(item, ZoneCreated):
                zones.append(item.zone)
                kinds |= ZONE_KINDS
            else:
                zones.append(ZoneMeasurement(item.zone_code, item.population, item.as_of))
        await self._rooms.store_all(rooms)
        await self._stations.put_all(stations)
        measured = await self._zones.apply_all(zones)
        if measured:
            kinds |= ZONE_KINDS  # an older measurement than the stored one changes nothing
        added = await self._villages.add_all([VillageAssignment.of(v) for v in villages.values()])
        for village_id, village in villages.items():
            if village_id not in added:
                await change_village(
                    self._villages, village_id, partial(VillageAssignment.described, village=village)
                )
        return kinds
