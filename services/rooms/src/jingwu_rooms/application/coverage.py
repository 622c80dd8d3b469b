"""The coverage report (R-ROOM-4): every village the three must-build rules require a room for that
has none, and every active room without an officer. A read across villages, rooms and postings."""

from __future__ import annotations

from jingwu_rooms.application.ports import (
    PostingRepository,
    RoomQuery,
    RoomRepository,
    VillageQuery,
    VillageRepository,
)
from jingwu_rooms.domain.coverage import CoverageReport, coverage_report
from jingwu_rooms.domain.model import RoomStatus


class CoverageApplication:
    def __init__(
        self, rooms: RoomRepository, villages: VillageRepository, postings: PostingRepository
    ) -> None:
        self._rooms = rooms
        self._villages = villages
        self._postings = postings

    async def coverage_report(self, station_id: str) -> CoverageReport:
        """Of one station, or of the whole district when ``station_id`` is empty."""
        villages = await self._villages.select(VillageQuery(station_id=station_id))
        rooms = await self._rooms.select(RoomQuery(station_id=station_id, status=RoomStatus.ACTIVE))
        postings = await self._postings.current_by_room([r.room_id for r in rooms])
        return coverage_report(villages, rooms, postings)
