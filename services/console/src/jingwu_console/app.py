"""The console's aiohttp application: sign-in, the JSON API over the district's services, the live
stream, the residents' online police room, and the built single-page app.

Every ``/api/`` request but the sign-in needs a session (401 otherwise) and, to change anything, the
console's write header (403 otherwise). A service's failure answers with its status and a body naming
the service, so the page shows a banner for that part while the rest keeps working.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import grpc
from aiohttp import web
from grpc_health.v1 import health_pb2, health_pb2_grpc
from jingwu_platform.events import telemetry_fixes_topic

from jingwu_console import capabilities
from jingwu_console.api import notification, patrol, personnel, population, resident, telemetry, territory
from jingwu_console.api.common import (
    CONSOLE,
    SESSION_KEY,
    BadInput,
    Console,
    console_of,
    error,
    json_body,
    ok,
)
from jingwu_console.live import LiveFeed
from jingwu_console.services import LABELS, SERVICES
from jingwu_console.session import (
    Session,
    SignInRefused,
    clear_cookie,
    open_session,
    session_of,
    set_cookie,
    write_allowed,
)
from jingwu_console.settings import ConsoleSettings
from jingwu_console.upstream import UpstreamError, Upstreams

log = logging.getLogger(__name__)
# MapLibre's worker is an ES module (.mjs): browsers refuse a module served as anything but JavaScript.
mimetypes.add_type("text/javascript", ".mjs")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC_API = frozenset({("POST", "/api/session"), ("GET", "/api/session")})
# Offline by construction: the page may load nothing from anywhere but the console itself.
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; child-src blob:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sessions, the write header, the console's errors as JSON, and the security headers."""
    response = await _guarded(request, handler)
    if not response.prepared:  # a stream (SSE) has sent its headers already
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/api/"):
        if (request.method, request.path) not in PUBLIC_API:
            settings = console_of(request).settings
            session = session_of(request, settings.auth_secret.get_secret_value(), settings.district)
            if session is None:
                return error(401, "请先登录", code="UNAUTHENTICATED")
            request[SESSION_KEY] = session
        if not write_allowed(request):
            return error(403, "请求缺少控制台标记，已拒绝", code="CSRF")
    try:
        return await handler(request)
    except UpstreamError as failed:
        return ok(failed.body(), status=failed.status)
    except BadInput as bad:
        return ok(
            {
                "error": {
                    "message": "请求参数有误",
                    "code": "INVALID_ARGUMENT",
                    "violations": [{"field": f, "description": d} for f, d in bad.violations],
                }
            },
            status=400,
        )


async def sign_in(request: web.Request) -> web.Response:
    settings = console_of(request).settings
    body = await json_body(request)
    try:
        session = open_session(
            settings.auth_secret.get_secret_value(), settings.district, str(body.get("token", ""))
        )
    except SignInRefused as refused:
        return error(refused.status, refused.message, code="SIGN_IN_REFUSED")
    response = ok(_me(session))
    set_cookie(response, session, secure=settings.console_secure_cookie)
    return response


async def whoami(request: web.Request) -> web.Response:
    settings = console_of(request).settings
    session = session_of(request, settings.auth_secret.get_secret_value(), settings.district)
    if session is None:
        return error(401, "请先登录", code="UNAUTHENTICATED")
    return ok(_me(session))


def _me(session: Session) -> dict[str, object]:
    return {
        **session.describe(),
        "capabilities": capabilities.capabilities(session.caller),
        "sees_personal_data": capabilities.sees_personal_data(session.caller),
        "district": session.caller.district,
    }


async def sign_out(request: web.Request) -> web.Response:
    response = ok({"signed_out": True})
    clear_cookie(response)
    return response


async def _health(console: Console, service: str) -> str:
    stub = health_pb2_grpc.HealthStub(console.upstreams.channel(service))  # type: ignore[arg-type]
    try:
        answer = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1.5)
    except grpc.aio.AioRpcError:
        return "unavailable"
    return "serving" if answer.status == health_pb2.HealthCheckResponse.SERVING else "unavailable"


async def status(request: web.Request) -> web.Response:
    """Which services answer (gRPC health), for the header's status strip."""
    console = console_of(request)
    states = await asyncio.gather(*(_health(console, s) for s in SERVICES))
    return ok(
        {
            "services": [
                {"service": s, "label": LABELS[s], "status": state}
                for s, state in zip(SERVICES, states, strict=True)
            ],
            "live_feed": console.live.status,
        }
    )


async def healthz(request: web.Request) -> web.Response:
    return ok({"status": "ok"})


def _page(static_dir: Path, relative: str) -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        page = static_dir / relative
        if not page.is_file():
            return web.Response(
                status=503,
                text="控制台前端尚未构建：请运行 jingwu-console build（或 make run）。",
                content_type="text/plain",
                charset="utf-8",
            )
        return web.FileResponse(page, headers={"Cache-Control": "no-cache"})

    return serve


def _asset(folder: Path) -> Handler:
    """Vite's hashed bundles: one flat folder, names without slashes, cached for good."""

    async def serve(request: web.Request) -> web.StreamResponse:
        path = folder / request.match_info["name"]
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})

    return serve


def build_app(settings: ConsoleSettings, live: LiveFeed | None = None) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=64 * 1024)
    console = Console(
        settings=settings,
        upstreams=Upstreams(settings),
        live=live
        or LiveFeed(
            settings.kafka_bootstrap, telemetry_fixes_topic(settings.district), tick_s=settings.live_tick_s
        ),
    )
    app[CONSOLE] = console
    app.add_routes(
        [
            web.get("/healthz", healthz),
            web.post("/api/session", sign_in),
            web.get("/api/session", whoami),
            web.delete("/api/session", sign_out),
            web.get("/api/status", status),
            *territory.routes(),
            *personnel.routes(),
            *population.routes(),
            *telemetry.routes(),
            *patrol.routes(),
            *notification.routes(),
            *resident.routes(),
            web.get("/", _page(settings.console_static_dir, "index.html")),
            web.get("/resident/", _page(settings.console_static_dir, "resident/index.html")),
            web.get("/resident", _page(settings.console_static_dir, "resident/index.html")),
        ]
    )
    app.router.add_get("/assets/{name:[A-Za-z0-9_.-]+}", _asset(settings.console_static_dir / "assets"))

    async def lifecycle(app: web.Application) -> object:
        console.http = aiohttp.ClientSession()
        await console.live.start()
        yield
        await console.live.stop()
        await console.http.close()
        await console.upstreams.close()

    app.cleanup_ctx.append(lifecycle)  # type: ignore[arg-type]
    return app
