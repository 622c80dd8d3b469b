"""In-memory repositories of the room registry, for application tests (milliseconds, no I/O). Each is a
fake of a Protocol in application/ports.py, built on the platform's in-memory twins, and is held to the
same contract suite as its Mongo adapter (tests/test_repository_contract.py). ``memory_repositories()``
builds them all around one FakeOutbox, so a test sees every event a command wrote, in order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from jingwu_platform.repository import FakeOutbox, InMemoryAggregates, InMemoryDocuments, after
from jingwu_platform.usecase import Outgoing

from jingwu_rooms.application.ports import (
    Repositories,
    RoomQuery,
    StationQuery,
    VillageQuery,
    ZoneClash,
    ZoneQuery,
)
from jingwu_rooms.domain.model import LIVE_STATUSES, Room
from jingwu_rooms.domain.redivision import Redivision
from jingwu_rooms.domain.rota import Rota
from jingwu_rooms.domain.staff import RoomPosting
from jingwu_rooms.domain.territory import Station, Village, Zone


class InMemoryRoomRepository(InMemoryAggregates[Room]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda r: r.room_id, outbox)

    async def select(self, query: RoomQuery) -> list[Room]:
        return self.matching(
            lambda r: (
                (not query.station_id or r.station_id == query.station_id)
                and (not query.zone_code or query.zone_code in r.zone_codes)
                and (query.kind is None or r.kind is query.kind)
                and (query.status is None or r.status is query.status)
                and after(query.after_id, r.room_id)
            ),
            limit=query.limit,
        )

    async def live_in_zones(self, zone_codes: Sequence[str]) -> list[Room]:
        wanted = set(zone_codes)
        return self.matching(lambda r: r.status in LIVE_STATUSES and bool(wanted & set(r.zone_codes)))

    async def holding_order(self, order_id: str) -> Room | None:
        found = self.matching(lambda r: r.order(order_id) is not None, limit=1)
        return found[0] if found else None


class InMemoryStationRepository(InMemoryDocuments[Station]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda s: s.station_id, outbox)

    async def select(self, query: StationQuery) -> list[Station]:
        return self.matching(lambda s: after(query.after_id, s.station_id), limit=query.limit)


class InMemoryZoneRepository(InMemoryAggregates[Zone]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda z: z.zone_code, outbox)

    def _name_taken(self, zone: Zone) -> bool:
        """The store's unique index on the active name (R-ORG-2, see territory_repository)."""
        return not zone.retired and bool(self.matching(lambda z: not z.retired and z.name == zone.name))

    async def add(self, zone: Zone, events: Sequence[Outgoing] = ()) -> bool:
        if zone.zone_code not in self.items and self._name_taken(zone):
            return False
        return await super().add(zone, events)

    async def clash_with(self, zone: Zone) -> ZoneClash:
        return ZoneClash.CODE if zone.zone_code in self.items else ZoneClash.NAME

    async def select(self, query: ZoneQuery) -> list[Zone]:
        return self.matching(
            lambda z: (
                (not query.station_id or z.station_id == query.station_id)
                and (not query.community_name or z.community_name == query.community_name)
                and (query.include_retired or not z.retired)
                and after(query.after_code, z.zone_code)
            ),
            limit=query.limit,
        )

    async def delete_created_by(self, redivision_id: str) -> None:
        for zone in self.matching(
            lambda z: bool(redivision_id) and z.created_by_redivision_id == redivision_id
        ):
            del self.items[zone.zone_code]


class InMemoryVillageRepository(InMemoryAggregates[Village]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda v: v.village_id, outbox)

    async def select(self, query: VillageQuery) -> list[Village]:
        return self.matching(
            lambda v: (
                (not query.zone_code or v.zone_code == query.zone_code)
                and (not query.station_id or v.station_id == query.station_id)
                and (query.level is None or v.level is query.level)
                and (not query.parent_village_id or v.parent_village_id == query.parent_village_id)
                and after(query.after_id, v.village_id)
            ),
            limit=query.limit,
        )

    async def for_redivision(self, zone_codes: Sequence[str], community_ids: Sequence[str]) -> list[Village]:
        return self.matching(
            lambda v: (
                v.zone_code in zone_codes
                or v.village_id in community_ids
                or v.parent_village_id in community_ids
            )
        )


class InMemoryRedivisionRepository(InMemoryAggregates[Redivision]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda p: p.redivision_id, outbox)

    async def applying(self) -> list[Redivision]:
        return self.matching(lambda p: p.applying)


class InMemoryRotaRepository(InMemoryAggregates[Rota]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda r: r.room_id, outbox)


class InMemoryPostingRepository:
    """Postings by id; ``current`` False once ended (the Mongo record keeps ``ended`` and the events)."""

    def __init__(self) -> None:
        self._postings = InMemoryDocuments[RoomPosting](lambda p: p.posting_id)

    async def posted(self, posting: RoomPosting, event_id: str, at: datetime) -> None:
        await self._postings.insert(replace(posting, current=True))

    async def ended(self, posting: RoomPosting, event_id: str, at: datetime) -> None:
        known = await self._postings.get(posting.posting_id)
        await self._postings.put(replace(known or posting, current=False))

    async def end_many(
        self, posting_ids: Sequence[str], officer_id: str, event_id: str, at: datetime
    ) -> None:
        for posting in (await self._postings.get_many(posting_ids)).values():
            if posting.officer_id == officer_id:
                await self._postings.put(replace(posting, current=False))

    async def current_by_room(self, room_ids: Sequence[str] | None = None) -> dict[str, list[RoomPosting]]:
        grouped: dict[str, list[RoomPosting]] = defaultdict(list)
        for posting in self._postings.matching(
            lambda p: p.current and (room_ids is None or p.room_id in room_ids)
        ):
            grouped[posting.room_id].append(posting)
        return dict(grouped)


def memory_repositories(outbox: FakeOutbox | None = None) -> Repositories:
    """Every repository in memory, writing into one outbox."""
    shared = outbox or FakeOutbox()
    return Repositories(
        rooms=InMemoryRoomRepository(shared),
        stations=InMemoryStationRepository(shared),
        zones=InMemoryZoneRepository(shared),
        villages=InMemoryVillageRepository(shared),
        redivisions=InMemoryRedivisionRepository(shared),
        rotas=InMemoryRotaRepository(shared),
        postings=InMemoryPostingRepository(),
    )
