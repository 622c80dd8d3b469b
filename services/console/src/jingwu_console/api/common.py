"""What every JSON handler of the console shares: the console's context, the caller's session, JSON
answers, and reading query parameters with specific errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aiohttp
from aiohttp import web
from jingwu.common.v1 import common_pb2

from jingwu_console.live import LiveFeed
from jingwu_console.session import Session
from jingwu_console.settings import ConsoleSettings
from jingwu_console.upstream import Upstreams


@dataclass
class Console:
    """Everything the handlers use; one per process."""

    settings: ConsoleSettings
    upstreams: Upstreams
    live: LiveFeed
    http: aiohttp.ClientSession | None = None
    extras: dict[str, Any] = field(default_factory=dict)


CONSOLE = web.AppKey("console", Console)
SESSION_KEY = web.RequestKey("jingwu_session", Session)


class BadInput(Exception):
    """A query parameter or body field the console cannot use: 400 with one violation per field."""

    def __init__(self, violations: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {d}" for f, d in violations))
        self.violations = violations


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]


def session_of(request: web.Request) -> Session:
    session: Session | None = request.get(SESSION_KEY)
    if session is None:  # the session middleware lets no such request through
        raise web.HTTPUnauthorized()
    return session


def ok(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def error(status: int, message: str, **extra: Any) -> web.Response:
    return ok({"error": {"message": message, **extra}}, status=status)


def query_str(request: web.Request, name: str, default: str = "") -> str:
    return request.query.get(name, default).strip()


def query_int(request: web.Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.query.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput([(name, f"需要整数，收到 {raw!r}")]) from None
    if not low <= value <= high:
        raise BadInput([(name, f"应在 {low}–{high} 之间，收到 {value}")])
    return value


def query_date(request: web.Request, name: str, default: date) -> date:
    raw = request.query.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput([(name, f"需要日期 YYYY-MM-DD，收到 {raw!r}")]) from None


def query_bbox(request: web.Request, name: str = "bbox") -> common_pb2.BoundingBox | None:
    """``west,south,east,north`` in degrees, or None when absent."""
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError:
        raise BadInput([(name, "需要 west,south,east,north 四个经纬度")]) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise BadInput([(name, "范围无效：应 west<east、south<north 且在经纬度范围内")])
    return common_pb2.BoundingBox(
        south_west=common_pb2.GeoPoint(longitude=west, latitude=south),
        north_east=common_pb2.GeoPoint(longitude=east, latitude=north),
    )


def local_date(d: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=d.year, month=d.month, day=d.day)


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise BadInput([("body", "需要一个 JSON 对象")])
    return body
