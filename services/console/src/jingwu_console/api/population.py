"""Population on the map and in lists (R-POP-3, R-POP-6, R-POP-7): resident density per zone, houses
in the map window, places with overdue inspections, residents as the caller may see them, and the
audit of unmasked reads for auditors."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from jingwu.common.v1 import common_pb2
from jingwu.population.v1 import population_pb2 as pop
from jingwu.population.v1 import population_pb2_grpc
from jingwu_platform.calendar import DISTRICT_ZONE

from jingwu_console import geojson
from jingwu_console.api.common import (
    BadInput,
    console_of,
    local_date,
    ok,
    query_bbox,
    query_int,
    query_str,
    session_of,
)
from jingwu_console.upstream import as_json, collect

PAGE = 500


def _stub(request: web.Request) -> population_pb2_grpc.PopulationServiceAsyncStub:
    return population_pb2_grpc.PopulationServiceStub(console_of(request).upstreams.channel("population"))


def _page(token: str, size: int = PAGE) -> common_pb2.PageRequest:
    return common_pb2.PageRequest(page_size=size, page_token=token)


async def density(request: web.Request) -> web.Response:
    """R-POP-7: actual residents per zone, from the population service's counts."""
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[pop.ZonePopulation], str]:
        answer = await upstreams.call(
            "population",
            stub.ListZonePopulations,
            pop.ListZonePopulationsRequest(page=_page(page_token)),
            token,
        )
        return list(answer.zone_populations), answer.page.next_page_token

    return ok({"zones": geojson.density(await collect(page)), "rule_id": "R-POP-7"})


async def places(request: web.Request) -> web.Response:
    """R-POP-3: places whose monthly inspection is due by today, overdue ones flagged."""
    today = datetime.now(DISTRICT_ZONE).date()
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[pop.Place], str]:
        answer = await upstreams.call(
            "population",
            stub.ListPlaces,
            pop.ListPlacesRequest(inspection_due_by=local_date(today), page=_page(page_token)),
            token,
        )
        return list(answer.places), answer.page.next_page_token

    return ok(geojson.collection(geojson.place_features(await collect(page), today)))


async def houses(request: web.Request) -> web.Response:
    """R-POP-7: houses in the map window, with counts only."""
    bbox = query_bbox(request)
    if bbox is None:
        raise BadInput([("bbox", "需要地图范围 west,south,east,north")])
    answer = await console_of(request).upstreams.call(
        "population",
        _stub(request).QueryMap,
        pop.QueryMapRequest(bbox=bbox, kinds=[pop.MAP_FEATURE_KIND_HOUSE], page=_page("", 2000)),
        session_of(request).token,
    )
    return ok(geojson.collection(geojson.house_features(answer.features)))


async def residents(request: web.Request) -> web.Response:
    """Residents of a zone or house, masked unless the caller asks, with a purpose, to see them unmasked;
    the population service then checks the role and audits the read (R-POP-6). The console asks only
    when the person ticked "显示完整信息" and wrote why."""
    zone_code, house_id = query_str(request, "zone_code"), query_str(request, "house_id")
    if not zone_code and not house_id:
        raise BadInput([("zone_code", "请选择警务区或房屋")])
    unmask = query_str(request, "unmask") == "1"
    purpose = query_str(request, "purpose")
    if unmask and not purpose:
        raise BadInput([("purpose", "查看完整信息须填写事由（将记入审计）")])
    answer = await console_of(request).upstreams.call(
        "population",
        _stub(request).ListResidents,
        pop.ListResidentsRequest(
            zone_code=zone_code,
            house_id=house_id,
            access=pop.PersonalDataAccess(unmask=unmask, purpose=purpose),
            page=_page(
                query_str(request, "page_token"), query_int(request, "page_size", 50, low=1, high=200)
            ),
        ),
        session_of(request).token,
    )
    return ok(
        {
            "residents": [as_json(r) for r in answer.residents],
            "next_page_token": answer.page.next_page_token,
        }
    )


async def unmasked_reads(request: web.Request) -> web.Response:
    """R-POP-6: the audit trail of unmasked reads (the service allows auditors only)."""
    answer = await console_of(request).upstreams.call(
        "population",
        _stub(request).ListUnmaskedReads,
        pop.ListUnmaskedReadsRequest(reader_id=query_str(request, "reader_id"), page=_page("", 100)),
        session_of(request).token,
    )
    return ok({"unmasked_reads": [as_json(r) for r in answer.unmasked_reads]})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/map/density", density),
        web.get("/api/map/places", places),
        web.get("/api/map/houses", houses),
        web.get("/api/residents", residents),
        web.get("/api/audit/unmasked-reads", unmasked_reads),
    ]
