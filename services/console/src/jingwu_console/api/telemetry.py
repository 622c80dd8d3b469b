"""Vehicles and handhelds on the map (R-POP-7): the devices, their latest positions, the live stream
(Server-Sent Events from the console's live feed), and a track replay for a device and day (R-PAT-6).

Opening the live stream asks telemetry for the latest positions with the person's own credential:
a refusal (PERMISSION_DENIED, another district) refuses the stream; telemetry being unavailable does
not — the stream then runs on the live feed alone and says so in its first ``status`` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.telemetry.v1 import telemetry_pb2 as tel
from jingwu.telemetry.v1 import telemetry_pb2_grpc
from jingwu_platform.calendar import DISTRICT_ZONE, local_midnight

from jingwu_console import geojson
from jingwu_console.api.common import (
    BadInput,
    console_of,
    ok,
    query_bbox,
    query_date,
    query_int,
    query_str,
    session_of,
)
from jingwu_console.upstream import UpstreamError, as_json, collect

HEARTBEAT_S = 15.0
MAX_TRACK_FIXES = 20_000
# The whole district when the map gives no window (the feed and telemetry filter further).
WORLD = common_pb2.BoundingBox(
    south_west=common_pb2.GeoPoint(longitude=-179.999, latitude=-89.999),
    north_east=common_pb2.GeoPoint(longitude=179.999, latitude=89.999),
)


def _stub(request: web.Request) -> telemetry_pb2_grpc.TelemetryServiceAsyncStub:
    return telemetry_pb2_grpc.TelemetryServiceStub(console_of(request).upstreams.channel("telemetry"))


async def devices(request: web.Request) -> web.Response:
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[tel.Device], str]:
        answer = await upstreams.call(
            "telemetry",
            stub.ListDevices,
            tel.ListDevicesRequest(page=common_pb2.PageRequest(page_size=500, page_token=page_token)),
            token,
        )
        return list(answer.devices), answer.page.next_page_token

    return ok({"devices": [as_json(d) for d in await collect(page)]})


async def _latest(request: web.Request, bbox: common_pb2.BoundingBox) -> list[dict[str, Any]]:
    answer = await console_of(request).upstreams.call(
        "telemetry",
        _stub(request).GetLatestPositions,
        tel.GetLatestPositionsRequest(bbox=bbox, max_age=Duration(seconds=24 * 3600)),
        session_of(request).token,
    )
    return [geojson.position_json(p) for p in answer.positions]


def _inside(position: dict[str, Any], bbox: common_pb2.BoundingBox) -> bool:
    lon, lat = float(position["lon"]), float(position["lat"])
    return (
        bbox.south_west.longitude <= lon <= bbox.north_east.longitude
        and bbox.south_west.latitude <= lat <= bbox.north_east.latitude
    )


def _merge(known: list[dict[str, Any]], live: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Telemetry's latest positions updated with newer fixes from the feed (attachments kept)."""
    by_device = {p["device_id"]: p for p in known}
    for position in live:
        current = by_device.get(position["device_id"])
        if current is None:
            by_device[position["device_id"]] = position
        elif (position.get("time") or "") >= (current.get("time") or ""):
            by_device[position["device_id"]] = {**current, **position}
    return sorted(by_device.values(), key=lambda p: str(p["device_id"]))


async def positions(request: web.Request) -> web.Response:
    bbox = query_bbox(request) or WORLD
    live = console_of(request).live
    feed = [p for p in live.snapshot() if _inside(p, bbox)]
    try:
        known = await _latest(request, bbox)
        telemetry = "available"
    except UpstreamError as refused:
        if not refused.unavailable:
            raise
        known, telemetry = [], refused.code
    return ok({"positions": _merge(known, feed), "telemetry": telemetry, "feed": live.status})


def _event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def stream(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: ``status``, then ``positions`` batches as devices move."""
    session = session_of(request)
    bbox = query_bbox(request) or WORLD
    live = console_of(request).live
    status: dict[str, Any] = {"feed": live.status, "telemetry": "available"}
    try:
        known = await _latest(request, bbox)
    except UpstreamError as refused:
        if not refused.unavailable:
            raise  # the person may not see positions: no stream
        known = []
        status["telemetry"] = refused.code
        status["message"] = refused.message
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache, no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    subscription = live.subscribe()
    try:
        await response.write(_event("status", status))
        first = _merge(known, [p for p in live.snapshot() if _inside(p, bbox)])
        await response.write(_event("positions", first))
        while time.time() < session.expires_at:
            try:
                batch = await asyncio.wait_for(subscription.queue.get(), timeout=HEARTBEAT_S)
            except TimeoutError:
                await response.write(b": heartbeat\n\n")
                continue
            inside = [p for p in batch if _inside(p, bbox)]
            if inside:
                await response.write(_event("positions", inside))
        await response.write(_event("expired", {"message": "登录已过期，请重新登录"}))
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        live.unsubscribe(subscription)
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response


def _timestamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


async def track(request: web.Request) -> web.Response:
    """R-PAT-6: one device's fixes over one local day, oldest first, for the replay."""
    device_id = query_str(request, "device_id")
    if not device_id:
        raise BadInput([("device_id", "请选择车辆或终端")])
    day = query_date(request, "date", datetime.now(DISTRICT_ZONE).date())
    every_s = query_int(request, "every_s", 5, low=0, high=600)
    start = local_midnight(day)
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[tel.LocationFix], str]:
        request_pb = tel.GetTrackRequest(
            device_id=device_id,
            start_time=_timestamp(start),
            end_time=_timestamp(start + timedelta(days=1)),
            page=common_pb2.PageRequest(page_size=2000, page_token=page_token),
        )
        if every_s:
            request_pb.min_interval.CopyFrom(Duration(seconds=every_s))
        answer = await upstreams.call("telemetry", stub.GetTrack, request_pb, token)
        return list(answer.fixes), answer.page.next_page_token

    fixes = (await collect(page))[:MAX_TRACK_FIXES]
    return ok(
        {
            "device_id": device_id,
            "date": day.isoformat(),
            "fixes": [geojson.fix_json(f) for f in fixes],
            "line": {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[f.position.longitude, f.position.latitude] for f in fixes],
                },
                "properties": {"device_id": device_id},
            },
        }
    )


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/devices", devices),
        web.get("/api/map/positions", positions),
        web.get("/api/live/positions", stream),
        web.get("/api/tracks", track),
    ]
