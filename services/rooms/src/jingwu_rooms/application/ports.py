"""What the room registry's use cases need from storage: one typed Protocol per aggregate or read
model, with typed queries. Implemented by the Mongo adapters (``adapters/*_repository.py``) and the
in-memory fakes (``adapters/memory.py``); both are held to one contract suite
(``tests/test_repository_contract.py``), so application tests on the fakes prove something.

Versioned aggregates (rooms, zones, villages, rotas, re-division plans) share one write protocol:
``add`` inserts with the creation events (False when the id exists: creates derived from request ids
are idempotent); ``save`` writes the new state with its events if nobody changed it since it was read
and answers the stored aggregate, or None after a lost race (the use case reads and decides again).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from jingwu_platform.usecase import Outgoing

from jingwu_rooms.domain.model import Room, RoomKind, RoomStatus
from jingwu_rooms.domain.redivision import Redivision
from jingwu_rooms.domain.rota import Rota
from jingwu_rooms.domain.staff import RoomPosting
from jingwu_rooms.domain.territory import Station, Village, VillageLevel, Zone

# --- typed queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomQuery:
    """Rooms of a station, serving a zone, of a kind, in a status (each filter off when empty/None),
    in id order after ``after_id`` (the page token), at most ``limit`` (0: all; a district has
    hundreds of rooms, not millions)."""

    station_id: str = ""
    zone_code: str = ""
    kind: RoomKind | None = None
    status: RoomStatus | None = None
    after_id: str = ""
    limit: int = 0


@dataclass(frozen=True)
class StationQuery:
    after_id: str = ""
    limit: int = 0


@dataclass(frozen=True)
class ZoneQuery:
    """Zones of a station, of a community (by name), active only unless ``include_retired``, in code
    order after ``after_code``, at most ``limit`` (0: all)."""

    station_id: str = ""
    community_name: str = ""
    include_retired: bool = False
    after_code: str = ""
    limit: int = 0


@dataclass(frozen=True)
class VillageQuery:
    zone_code: str = ""
    station_id: str = ""
    level: VillageLevel | None = None
    parent_village_id: str = ""
    after_id: str = ""
    limit: int = 0


class ZoneClash(StrEnum):
    """Why a new zone was not stored (R-ORG-2: codes unique per district, names unique while active)."""

    CODE = "code"
    NAME = "name"


# --- repositories --------------------------------------------------------------------------------------


class RoomRepository(Protocol):
    async def add(self, room: Room, events: Sequence[Outgoing] = ()) -> bool: ...

    async def save(self, room: Room, events: Sequence[Outgoing] = ()) -> Room | None: ...

    async def get(self, room_id: str) -> Room | None: ...

    async def get_many(self, room_ids: Iterable[str]) -> dict[str, Room]: ...

    async def select(self, query: RoomQuery) -> list[Room]: ...

    async def live_in_zones(self, zone_codes: Sequence[str]) -> list[Room]:
        """Planned and active rooms serving any of the zones, in id order."""
        ...

    async def holding_order(self, order_id: str) -> Room | None:
        """The room that took the checkpoint order of this id (R-ROOM-5), if any did."""
        ...


class StationRepository(Protocol):
    """Stations are written once (never changed), so they are plain records, not versioned."""

    async def insert(self, station: Station, events: Sequence[Outgoing] = ()) -> bool: ...

    async def get(self, station_id: str) -> Station | None: ...

    async def select(self, query: StationQuery) -> list[Station]: ...


class ZoneRepository(Protocol):
    async def add(self, zone: Zone, events: Sequence[Outgoing] = ()) -> bool:
        """Insert; False (nothing written) when the code exists or an active zone has the name."""
        ...

    async def clash_with(self, zone: Zone) -> ZoneClash:
        """Why ``add`` refused the zone."""
        ...

    async def save(self, zone: Zone, events: Sequence[Outgoing] = ()) -> Zone | None: ...

    async def get(self, zone_code: str) -> Zone | None: ...

    async def get_many(self, zone_codes: Iterable[str]) -> dict[str, Zone]: ...

    async def select(self, query: ZoneQuery) -> list[Zone]: ...

    async def delete_created_by(self, redivision_id: str) -> None:
        """Remove the zones an abandoned re-division inserted (nothing refers to them yet)."""
        ...


class VillageRepository(Protocol):
    async def add(self, village: Village, events: Sequence[Outgoing] = ()) -> bool: ...

    async def save(self, village: Village, events: Sequence[Outgoing] = ()) -> Village | None: ...

    async def get(self, village_id: str) -> Village | None: ...

    async def select(self, query: VillageQuery) -> list[Village]: ...

    async def for_redivision(self, zone_codes: Sequence[str], community_ids: Sequence[str]) -> list[Village]:
        """Villages in the zones, the named communities, and the natural villages of those communities,
        in id order."""
        ...


class RedivisionRepository(Protocol):
    async def add(self, plan: Redivision, events: Sequence[Outgoing] = ()) -> bool: ...

    async def save(self, plan: Redivision, events: Sequence[Outgoing] = ()) -> Redivision | None: ...

    async def get(self, redivision_id: str) -> Redivision | None: ...

    async def applying(self) -> list[Redivision]:
        """Plans a crash left half applied, in id order."""
        ...


class RotaRepository(Protocol):
    """One duty-rota calendar per room (id = room id)."""

    async def add(self, rota: Rota, events: Sequence[Outgoing] = ()) -> bool: ...

    async def save(self, rota: Rota, events: Sequence[Outgoing] = ()) -> Rota | None: ...

    async def get(self, room_id: str) -> Rota | None: ...


class PostingRepository(Protocol):
    """Postings to rooms, projected from personnel's events; idempotent and order-tolerant: a posting
    once ended stays ended, whatever arrives later. ``event_id`` and ``at`` (the event's time) are kept
    with the record, to trace it to the event that made it."""

    async def posted(self, posting: RoomPosting, event_id: str, at: datetime) -> None:
        """Record a current posting; no effect if the posting is known (posted before, or ended)."""
        ...

    async def ended(self, posting: RoomPosting, event_id: str, at: datetime) -> None:
        """End a posting, recording it if its OfficerPosted was never seen."""
        ...

    async def end_many(
        self, posting_ids: Sequence[str], officer_id: str, event_id: str, at: datetime
    ) -> None:
        """End those of the officer's postings that are known (others were not postings to rooms)."""
        ...

    async def current_by_room(self, room_ids: Sequence[str] | None = None) -> dict[str, list[RoomPosting]]:
        """Current postings grouped by room (for the given rooms, or all), each list in posting id order."""
        ...


@dataclass(frozen=True)
class Repositories:
    """Every repository of the room registry: the Mongo adapters in the process, the fakes in tests."""

    rooms: RoomRepository
    stations: StationRepository
    zones: ZoneRepository
    villages: VillageRepository
    redivisions: RedivisionRepository
    rotas: RotaRepository
    postings: PostingRepository
