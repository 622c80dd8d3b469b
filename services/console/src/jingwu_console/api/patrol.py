"""Patrol: prevention rings and checkpoints on the map (R-PAT-3), vehicles (R-PAT-1) and the patrol
evidence per vehicle and day — mileage, time in zone, stop compliance, 见警率 (R-PAT-6)."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2 as pat
from jingwu.patrol.v1 import patrol_pb2_grpc
from jingwu_platform.calendar import DISTRICT_ZONE

from jingwu_console import geojson
from jingwu_console.api.common import (
    BadInput,
    console_of,
    json_body,
    local_date,
    ok,
    query_date,
    query_str,
    session_of,
)
from jingwu_console.upstream import as_json, collect

PAGE = 500


def _stub(request: web.Request) -> patrol_pb2_grpc.PatrolServiceAsyncStub:
    return patrol_pb2_grpc.PatrolServiceStub(console_of(request).upstreams.channel("patrol"))


def _page(token: str) -> common_pb2.PageRequest:
    return common_pb2.PageRequest(page_size=PAGE, page_token=token)


async def map_rings(request: web.Request) -> web.Response:
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[pat.PreventionRing], str]:
        answer = await upstreams.call(
            "patrol", stub.ListPreventionRings, pat.ListPreventionRingsRequest(page=_page(page_token)), token
        )
        return list(answer.prevention_rings), answer.page.next_page_token

    return ok(geojson.collection(geojson.ring_features(await collect(page))))


async def map_checkpoints(request: web.Request) -> web.Response:
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[pat.Checkpoint], str]:
        answer = await upstreams.call(
            "patrol", stub.ListCheckpoints, pat.ListCheckpointsRequest(page=_page(page_token)), token
        )
        return list(answer.checkpoints), answer.page.next_page_token

    return ok(geojson.collection(geojson.checkpoint_features(await collect(page))))


async def vehicles(request: web.Request) -> web.Response:
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[pat.PatrolVehicle], str]:
        answer = await upstreams.call(
            "patrol", stub.ListVehicles, pat.ListVehiclesRequest(page=_page(page_token)), token
        )
        return list(answer.vehicles), answer.page.next_page_token

    return ok({"vehicles": [as_json(v) for v in await collect(page)]})


async def evidence(request: web.Request) -> web.Response:
    """Evidence of every vehicle (or one) for a local day, yesterday by default (computed overnight)."""
    yesterday = datetime.now(DISTRICT_ZONE).date() - timedelta(days=1)
    day = query_date(request, "date", yesterday)
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[pat.PatrolEvidence], str]:
        answer = await upstreams.call(
            "patrol",
            stub.ListPatrolEvidence,
            pat.ListPatrolEvidenceRequest(
                vehicle_id=query_str(request, "vehicle_id"),
                zone_code=query_str(request, "zone_code"),
                period=common_pb2.DateRange(start=local_date(day), end=local_date(day)),
                page=_page(page_token),
            ),
            token,
        )
        return list(answer.patrol_evidence), answer.page.next_page_token

    return ok(
        {"date": day.isoformat(), "evidence": [as_json(e) for e in await collect(page)], "rule_id": "R-PAT-6"}
    )


async def compute_evidence(request: web.Request) -> web.Response:
    body = await json_body(request)
    vehicle_id = str(body.get("vehicle_id", "")).strip()
    try:
        day = datetime.fromisoformat(str(body.get("date", ""))).date()
    except ValueError:
        raise BadInput([("date", "需要日期 YYYY-MM-DD")]) from None
    if not vehicle_id:
        raise BadInput([("vehicle_id", "请选择车辆")])
    answer = await console_of(request).upstreams.call(
        "patrol",
        _stub(request).ComputePatrolEvidence,
        pat.ComputePatrolEvidenceRequest(vehicle_id=vehicle_id, date=local_date(day)),
        session_of(request).token,
        timeout_s=60.0,
    )
    return ok({"evidence": as_json(answer.patrol_evidence)})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/map/rings", map_rings),
        web.get("/api/map/checkpoints", map_checkpoints),
        web.get("/api/patrol/vehicles", vehicles),
        web.get("/api/patrol/evidence", evidence),
        web.post("/api/patrol/evidence/compute", compute_evidence),
    ]
