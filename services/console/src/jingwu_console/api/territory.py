"""Territory and rooms from the room registry: the map's zones, rooms and villages (R-ORG-2, R-ROOM-1,
R-ROOM-4), the room list, coverage and duty-rota gaps (R-ROOM-6)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from aiohttp import web
from jingwu.common.v1 import common_pb2
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_platform.calendar import DISTRICT_ZONE

from jingwu_console import geojson
from jingwu_console.api.common import console_of, local_date, ok, query_date, query_str, session_of
from jingwu_console.upstream import as_json, collect

PAGE = 500


def _rooms_stub(request: web.Request) -> rooms_pb2_grpc.RoomRegistryServiceAsyncStub:
    return rooms_pb2_grpc.RoomRegistryServiceStub(console_of(request).upstreams.channel("rooms"))


async def list_zones(request: web.Request) -> list[rooms_pb2.Zone]:
    stub, token = _rooms_stub(request), session_of(request).token
    upstreams = console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[rooms_pb2.Zone], str]:
        answer = await upstreams.call(
            "rooms",
            stub.ListZones,
            rooms_pb2.ListZonesRequest(page=common_pb2.PageRequest(page_size=PAGE, page_token=page_token)),
            token,
        )
        return list(answer.zones), answer.page.next_page_token

    return await collect(page)


async def list_rooms(request: web.Request, token: str | None = None) -> list[rooms_pb2.Room]:
    stub = _rooms_stub(request)
    token = token or session_of(request).token
    upstreams = console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[rooms_pb2.Room], str]:
        answer = await upstreams.call(
            "rooms",
            stub.ListRooms,
            rooms_pb2.ListRoomsRequest(page=common_pb2.PageRequest(page_size=PAGE, page_token=page_token)),
            token,
        )
        return list(answer.rooms), answer.page.next_page_token

    return await collect(page)


async def list_villages(request: web.Request) -> list[rooms_pb2.Village]:
    stub, token = _rooms_stub(request), session_of(request).token
    upstreams = console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[rooms_pb2.Village], str]:
        answer = await upstreams.call(
            "rooms",
            stub.ListVillages,
            rooms_pb2.ListVillagesRequest(page=common_pb2.PageRequest(page_size=PAGE, page_token=page_token)),
            token,
        )
        return list(answer.villages), answer.page.next_page_token

    return await collect(page)


async def coverage(request: web.Request) -> rooms_pb2.CoverageReport:
    answer = await console_of(request).upstreams.call(
        "rooms",
        _rooms_stub(request).GetCoverageReport,
        rooms_pb2.GetCoverageReportRequest(station_id=query_str(request, "station_id")),
        session_of(request).token,
    )
    return answer.coverage_report


async def map_zones(request: web.Request) -> web.Response:
    zones, villages, rooms = await asyncio.gather(
        list_zones(request), list_villages(request), list_rooms(request)
    )
    features = geojson.zone_features(zones, villages, rooms)
    return ok({**geojson.collection(features), "bbox": geojson.bbox_of(features)})


async def map_rooms(request: web.Request) -> web.Response:
    rooms = await list_rooms(request)
    report = await coverage(request)
    return ok(geojson.collection(geojson.room_features(rooms, report.gaps)))


async def map_villages(request: web.Request) -> web.Response:
    villages = await list_villages(request)
    report = await coverage(request)
    return ok(geojson.collection(geojson.village_features(villages, report.gaps)))


async def rooms_list(request: web.Request) -> web.Response:
    rooms = await list_rooms(request)
    return ok({"rooms": [as_json(r) for r in rooms]})


async def stations(request: web.Request) -> web.Response:
    answer = await console_of(request).upstreams.call(
        "rooms",
        _rooms_stub(request).ListStations,
        rooms_pb2.ListStationsRequest(page=common_pb2.PageRequest(page_size=PAGE)),
        session_of(request).token,
    )
    return ok({"stations": [as_json(s) for s in answer.stations]})


async def coverage_report(request: web.Request) -> web.Response:
    report = await coverage(request)
    return ok({"coverage_report": as_json(report), "rule_id": "R-ROOM-4"})


async def rota_gaps(request: web.Request) -> web.Response:
    """R-ROOM-6: a room's uncovered days and days without a community officer, this month by default."""
    today = datetime.now(DISTRICT_ZONE).date()
    start = query_date(request, "start", today.replace(day=1))
    end = query_date(
        request, "end", (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(1)
    )
    answer = await console_of(request).upstreams.call(
        "rooms",
        _rooms_stub(request).GetRotaGaps,
        rooms_pb2.GetRotaGapsRequest(
            room_id=request.match_info["room_id"],
            period=common_pb2.DateRange(start=local_date(start), end=local_date(end)),
        ),
        session_of(request).token,
    )
    return ok(
        {
            "room_id": request.match_info["room_id"],
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "gaps": [as_json(g) for g in answer.gaps],
            "rule_id": "R-ROOM-6",
        }
    )


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/map/zones", map_zones),
        web.get("/api/map/rooms", map_rooms),
        web.get("/api/map/villages", map_villages),
        web.get("/api/rooms", rooms_list),
        web.get("/api/stations", stations),
        web.get("/api/rooms/coverage", coverage_report),
        web.get("/api/rooms/{room_id}/rota-gaps", rota_gaps),
    ]
