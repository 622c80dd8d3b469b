"""Names for ids: tables show 汴河社区 rather than a village id. Loaded once per command, on demand;
when a listing is not available (older service) the id itself is shown."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2 as per
from jingwu.rooms.v1 import rooms_pb2 as rooms

from jingwu_cli.client import Clients, collect
from jingwu_cli.errors import EXIT_FAILED, CliError

PAGE = common_pb2.PageRequest
T = TypeVar("T")


class Directory:
    def __init__(self, clients: Clients) -> None:
        self._c = clients
        self._stations: dict[str, str] | None = None
        self._villages: dict[str, rooms.Village] | None = None
        self._rooms: dict[str, str] | None = None
        self._officers: dict[str, str] | None = None

    async def station(self, station_id: str) -> str:
        if not station_id:
            return ""
        if self._stations is None:
            self._stations = {s.station_id: s.name for s in await self._tolerant(self._list_stations())}
        return self._stations.get(station_id, station_id)

    async def village(self, village_id: str) -> str:
        found = await self.village_record(village_id)
        return found.name if found is not None else village_id

    async def village_record(self, village_id: str) -> rooms.Village | None:
        if not village_id:
            return None
        if self._villages is None:
            self._villages = {v.village_id: v for v in await self._tolerant(self.list_villages())}
        return self._villages.get(village_id)

    async def room(self, room_id: str) -> str:
        if not room_id:
            return ""
        if self._rooms is None:
            self._rooms = {r.room_id: r.name for r in await self._tolerant(self.list_rooms())}
        return self._rooms.get(room_id, room_id)

    async def officer(self, officer_id: str) -> str:
        if not officer_id:
            return ""
        if self._officers is None:
            self._officers = {o.officer_id: o.name for o in await self._tolerant(self.list_officers())}
        return self._officers.get(officer_id, officer_id)

    async def _list_stations(self) -> list[rooms.Station]:
        async def fetch(token: str) -> tuple[list[rooms.Station], str]:
            reply = await self._c.call(
                "rooms", self._c.rooms.ListStations, rooms.ListStationsRequest(page=PAGE(page_token=token))
            )
            return list(reply.stations), reply.page.next_page_token

        return await collect(fetch)

    async def list_villages(
        self, zone_code: str = "", level: rooms.VillageLevel.ValueType = rooms.VILLAGE_LEVEL_UNSPECIFIED
    ) -> list[rooms.Village]:
        async def fetch(token: str) -> tuple[list[rooms.Village], str]:
            request = rooms.ListVillagesRequest(
                zone_code=zone_code, level=level, page=PAGE(page_size=500, page_token=token)
            )
            reply = await self._c.call("rooms", self._c.rooms.ListVillages, request)
            return list(reply.villages), reply.page.next_page_token

        return await collect(fetch)

    async def list_rooms(self) -> list[rooms.Room]:
        async def fetch(token: str) -> tuple[list[rooms.Room], str]:
            request = rooms.ListRoomsRequest(page=PAGE(page_size=500, page_token=token))
            reply = await self._c.call("rooms", self._c.rooms.ListRooms, request)
            return list(reply.rooms), reply.page.next_page_token

        return await collect(fetch)

    async def list_officers(self) -> list[per.Officer]:
        async def fetch(token: str) -> tuple[list[per.Officer], str]:
            request = per.ListOfficersRequest(page=PAGE(page_size=500, page_token=token))
            reply = await self._c.call("personnel", self._c.personnel.ListOfficers, request)
            return list(reply.officers), reply.page.next_page_token

        return await collect(fetch)

    @staticmethod
    async def _tolerant(pending: Awaitable[list[T]]) -> list[T]:
        """Names are a nicety: an unimplemented or failing listing leaves ids in place; an unreachable
        service or a refused credential still stops the command."""
        try:
            return await pending
        except CliError as error:
            if error.exit_code != EXIT_FAILED:
                raise
            return []
