"""The online police room (R-NOT-4): the resident-facing HTTP API, served by the notification process
(aiohttp) until the web console serves it. It takes no credential beyond what a resident has — a matter's
reference number and their phone number — is rate-limited, and gives no personal data of anyone else.

    GET  /v1/rooms/{room_id}/notices[?kind=tip]    the room's published notices and police tips
    POST /v1/rooms/{room_id}/appointments          book an appointment     (Idempotency-Key header)
    POST /v1/rooms/{room_id}/matters               entrust a matter        (Idempotency-Key header)
    POST /v1/matters/lookup                        {reference, phone}: the resident's own matter
    POST /v1/matters/rating                        {reference, phone, rating}: rate the callback
    POST /v1/appointments/lookup                   {reference, phone}: the resident's own appointment
    GET  /healthz

Errors are JSON: ``{"error": ..., "violations": [{"field", "description"}]}``; 429 with Retry-After.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from jingwu_platform.auth import Caller, Role
from jingwu_platform.errors import DomainError, FieldViolation, NotFound, RuleViolation, ValidationFailed

from jingwu_notification.application.matters import MatterApplication
from jingwu_notification.application.notices import NoticeApplication
from jingwu_notification.domain.matters import Appointment, EntrustedMatter, mask_phone
from jingwu_notification.domain.notices import Notice, NoticeKind
from jingwu_notification.entrypoints.options import NotificationOptions
from jingwu_notification.entrypoints.rate_limit import FailureLimiter, Monotonic, TokenBucket

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NOT_FOUND = "no matter with this reference and phone number"
NO_APPOINTMENT = "no appointment with this reference and phone number"
MAX_BODY = 16 * 1024


def _error(
    status: int,
    message: str,
    violations: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if violations:
        body["violations"] = violations
    return web.json_response(
        body, status=status, headers=headers, dumps=lambda v: json.dumps(v, ensure_ascii=False)
    )


def _ok(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def _too_many(wait_s: float) -> web.Response:
    return _error(
        429, "too many requests; try again later", headers={"Retry-After": str(max(1, math.ceil(wait_s)))}
    )


def notice_json(notice: Notice) -> dict[str, Any]:
    return {
        "notice_id": notice.notice_id,
        "kind": notice.kind.value,
        "title": notice.title,
        "body": notice.body,
        "publish_time": notice.publish_time.isoformat() if notice.publish_time else None,
    }


def matter_json(matter: EntrustedMatter) -> dict[str, Any]:
    """The resident's own matter: its progress, nothing about the officers' other work."""
    return {
        "reference": matter.reference,
        "room_id": matter.room_id,
        "description": matter.description,
        "phone": mask_phone(matter.resident_phone),
        "status": matter.status.value,
        "due_date": matter.due_date.isoformat(),
        "entrust_time": matter.entrust_time.isoformat(),
        "answer": matter.answer,
        "answer_method": matter.answer_method.value if matter.answer_method else None,
        "answer_time": matter.answer_time.isoformat() if matter.answer_time else None,
        "satisfaction": matter.satisfaction or None,
    }


def appointment_json(appointment: Appointment) -> dict[str, Any]:
    return {
        "reference": appointment.reference,
        "room_id": appointment.room_id,
        "topic": appointment.topic,
        "start_time": appointment.start_time.isoformat(),
        "phone": mask_phone(appointment.resident_phone),
        "status": "booked",
    }


class ResidentApi:
    """The aiohttp application and its limits; ``start``/``stop`` make it a runtime component."""

    name = "resident-api"

    def __init__(
        self,
        notices: NoticeApplication,
        matters: MatterApplication,
        *,
        district: str,
        options: NotificationOptions,
        clock: Monotonic | None = None,
    ) -> None:
        self._notices = notices
        self._matters = matters
        self._options = options
        self._caller = Caller("online-police-room", district, frozenset({Role.SERVICE}))
        extra: dict[str, Any] = {"clock": clock} if clock else {}
        self._requests = TokenBucket(
            capacity=options.resident_burst, per_minute=options.resident_requests_per_minute, **extra
        )
        self._writes = TokenBucket(capacity=3, per_minute=options.resident_writes_per_hour / 60, **extra)
        self._failures = FailureLimiter(
            limit=options.resident_failed_checks, window_s=options.resident_failed_checks_window_s, **extra
        )
        self.app = web.Application(middlewares=[self._limit_and_map_errors], client_max_size=MAX_BODY)
        self.app.add_routes(
            [
                web.get("/healthz", self._healthz),
                web.get("/v1/rooms/{room_id}/notices", self._room_notices),
                web.post("/v1/rooms/{room_id}/appointments", self._book),
                web.post("/v1/rooms/{room_id}/matters", self._entrust),
                web.post("/v1/matters/lookup", self._lookup),
                web.post("/v1/appointments/lookup", self._appointment),
                web.post("/v1/matters/rating", self._rate),
            ]
        )
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._options.resident_api_port < 0:
            return
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._options.resident_api_host, self._options.resident_api_port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the bound port (0 asks for a free one)
        log.info("online police room serving", extra={"port": self.port})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- middleware ------------------------------------------------------------------------------

    def client(self, request: web.Request) -> str:
        if self._options.resident_api_trust_forwarded_for:
            forwarded = request.headers.get("X-Forwarded-For", "")
            if forwarded:
                return forwarded.split(",")[0].strip()
        return request.remote or "unknown"

    @web.middleware
    async def _limit_and_map_errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != "/healthz":
            wait = self._requests.take(self.client(request))
            if wait:
                return _too_many(wait)
        try:
            return await handler(request)
        except ValidationFailed as invalid:
            violations = [{"field": v.field, "description": v.description} for v in invalid.violations]
            return _error(400, "invalid request", violations)
        except NotFound as missing:
            return _error(404, f"{missing.kind} not found")
        except RuleViolation as refused:
            return _error(409, str(refused))
        except DomainError as error:
            return _error(400, str(error))

    # --- handlers --------------------------------------------------------------------------------

    async def _healthz(self, request: web.Request) -> web.Response:
        return _ok({"status": "ok"})

    async def _room_notices(self, request: web.Request) -> web.Response:
        kind_name = request.query.get("kind", "")
        try:
            kind = NoticeKind(kind_name) if kind_name else None
        except ValueError:
            names = ", ".join(k.value for k in NoticeKind)
            return _error(400, "invalid request", [{"field": "kind", "description": f"one of: {names}"}])
        notices = await self._notices.public_notices(
            room_id=request.match_info["room_id"], kind=kind, limit=50
        )
        return _ok({"notices": [notice_json(n) for n in notices]})

    def _write_allowed(self, request: web.Request) -> float:
        return self._writes.take(self.client(request))

    async def _book(self, request: web.Request) -> web.Response:
        if wait := self._write_allowed(request):
            return _too_many(wait)
        body = await _body(request)
        start = _time(body.get("start_time"))
        appointment = await self._matters.book(
            room_id=request.match_info["room_id"],
            resident_name=str(body.get("name", "")),
            resident_phone=str(body.get("phone", "")),
            topic=str(body.get("topic", "")),
            start_time=start,
            caller=self._caller,
            request_id=request.headers.get("Idempotency-Key", ""),
        )
        return _ok(appointment_json(appointment), status=201)

    async def _entrust(self, request: web.Request) -> web.Response:
        if wait := self._write_allowed(request):
            return _too_many(wait)
        body = await _body(request)
        matter = await self._matters.entrust(
            room_id=request.match_info["room_id"],
            resident_name=str(body.get("name", "")),
            resident_phone=str(body.get("phone", "")),
            description=str(body.get("description", "")),
            owner_officer_id="",
            due_date=None,
            caller=self._caller,
            request_id=request.headers.get("Idempotency-Key", ""),
        )
        return _ok(matter_json(matter), status=201)

    async def _checked_matter(
        self, request: web.Request, body: dict[str, Any]
    ) -> EntrustedMatter | web.Response:
        reference = str(body.get("reference", "")).strip().upper()
        phone = str(body.get("phone", ""))
        keys = (f"client:{self.client(request)}", f"reference:{reference}")
        if wait := self._failures.blocked(*keys):
            return _too_many(wait)
        matter = (
            await self._matters.resident_matter(reference=reference, phone=phone)
            if reference and phone
            else None
        )
        if matter is None:
            self._failures.failed(*keys)
            return _error(404, NOT_FOUND)
        return matter

    async def _appointment(self, request: web.Request) -> web.Response:
        body = await _body(request)
        reference = str(body.get("reference", "")).strip().upper()
        phone = str(body.get("phone", ""))
        keys = (f"client:{self.client(request)}", f"reference:{reference}")
        if wait := self._failures.blocked(*keys):
            return _too_many(wait)
        found = (
            await self._matters.resident_appointment(reference=reference, phone=phone)
            if reference and phone
            else None
        )
        if found is None:
            self._failures.failed(*keys)
            return _error(404, NO_APPOINTMENT)
        return _ok(appointment_json(found))

    async def _lookup(self, request: web.Request) -> web.Response:
        checked = await self._checked_matter(request, await _body(request))
        if isinstance(checked, web.Response):
            return checked
        return _ok(matter_json(checked))

    async def _rate(self, request: web.Request) -> web.Response:
        body = await _body(request)
        checked = await self._checked_matter(request, body)
        if isinstance(checked, web.Response):
            return checked
        rating = body.get("rating")
        if not isinstance(rating, int) or isinstance(rating, bool):
            return _error(400, "invalid request", [{"field": "rating", "description": "an integer 1–5"}])
        rated = await self._matters.rate(matter_id=checked.matter_id, rating=rating)
        return _ok(matter_json(rated))


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed([FieldViolation("body", "a JSON object is required")])
    return body


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed([FieldViolation("start_time", f"not an ISO 8601 time: {value!r}")]) from None
    if parsed.tzinfo is None:
        raise ValidationFailed(
            [FieldViolation("start_time", "give the time zone, e.g. 2026-03-02T09:00:00+08:00")]
        )
    return parsed
