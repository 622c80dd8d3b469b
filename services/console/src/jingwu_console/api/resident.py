"""The residents' online police room (R-NOT-4): public pages, no sign-in.

- ``GET /resident/api/rooms``: the district's open police rooms (name, kind, address, location) for
  residents to choose from. Public facts, read from the room registry with a short-lived credential the
  console signs for itself with no role at all (any caller of the district may list rooms) and nothing
  of the rooms' staff.
- ``/resident/api/v1/...``: forwarded to the notification service's resident HTTP API as it is (book
  an appointment, entrust a matter, look one up by reference and phone, notices and tips). Only the
  headers that API reads are forwarded — never the console's session cookie — plus the resident's
  address in ``X-Forwarded-For`` for its rate limits. Its answers (including 4xx with field
  violations and 429 with Retry-After) come back unchanged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
from aiohttp import web
from jingwu.common.v1 import common_pb2
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_platform.auth import issue_token

from jingwu_console import geojson
from jingwu_console.api.common import console_of, error, ok
from jingwu_console.upstream import UpstreamError

log = logging.getLogger(__name__)
PUBLIC_SUBJECT = "console:online-police-room"
DIRECTORY_TTL_S = 60.0
MAX_BODY = 16 * 1024
FORWARDED_REQUEST_HEADERS = ("Content-Type", "Idempotency-Key", "Accept")
RETURNED_HEADERS = ("Content-Type", "Retry-After")


def public_token(request: web.Request) -> str:
    settings = console_of(request).settings
    return issue_token(
        settings.auth_secret.get_secret_value(), PUBLIC_SUBJECT, settings.district, [], ttl_s=120
    )


def room_card(room: rooms_pb2.Room) -> dict[str, Any]:
    return {
        "room_id": room.room_id,
        "name": room.name,
        "kind_label": geojson.ROOM_KIND_LABELS.get(room.kind, "警务室"),
        "address": room.address,
        "location": geojson.point(room.location) if room.HasField("location") else None,
    }


async def rooms_directory(request: web.Request) -> web.Response:
    console = console_of(request)
    cached = console.extras.get("room_directory")
    if cached and time.monotonic() - cached[0] < DIRECTORY_TTL_S:
        return ok(cached[1])
    stub = rooms_pb2_grpc.RoomRegistryServiceStub(console.upstreams.channel("rooms"))
    try:
        answer = await console.upstreams.call(
            "rooms",
            stub.ListRooms,
            rooms_pb2.ListRoomsRequest(
                status=rooms_pb2.ROOM_STATUS_ACTIVE, page=common_pb2.PageRequest(page_size=500)
            ),
            public_token(request),
        )
    except UpstreamError as failed:
        return error(503 if failed.unavailable else failed.status, "警务室名录暂不可用，请稍后再试")
    body = {"rooms": [room_card(r) for r in answer.rooms]}
    console.extras["room_directory"] = (time.monotonic(), body)
    return ok(body)


async def forward(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    if console.http is None:
        return error(503, "网上警务室暂不可用")
    body = await request.read() if request.can_read_body else b""
    if len(body) > MAX_BODY:
        return error(413, "请求内容过大")
    headers = {h: request.headers[h] for h in FORWARDED_REQUEST_HEADERS if h in request.headers}
    headers["X-Forwarded-For"] = request.remote or "unknown"
    url = f"{console.settings.resident_api_url}/v1/{request.match_info['tail']}"
    try:
        async with console.http.request(
            request.method,
            url,
            params=request.query,
            data=body or None,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=15),
        ) as answer:
            payload = await answer.read()
            returned = {h: answer.headers[h] for h in RETURNED_HEADERS if h in answer.headers}
            return web.Response(status=answer.status, body=payload, headers=returned)
    except (aiohttp.ClientError, TimeoutError):
        log.warning("resident API unreachable", extra={"url": url})
        return error(503, "网上警务室暂不可用，请稍后再试", service="notification")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/resident/api/rooms", rooms_directory),
        web.route("*", "/resident/api/v1/{tail:.+}", forward),
    ]
