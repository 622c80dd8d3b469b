"""The handheld endpoint (HTTP, aiohttp), one process per city (R-TEL-1, R-TEL-2).

- ``POST /v1/positions``: one fix as a JSON object, or ``{"fixes": [...]}`` (at most 500), with the
  device credential as HTTP Basic (user: device id, password: auth code). A fix has ``latitude``,
  ``longitude``, ``time`` (RFC 3339), and optionally ``speed_kmh``, ``heading_deg``, ``altitude_m``,
  ``accuracy_m``, ``battery_percent``. A request is taken whole or refused whole.
- the OsmAnd / Traccar Client protocol, so an officer can use that open-source app unchanged:
  ``GET`` or ``POST`` on ``/`` (or ``/osmand``) with query or form parameters ``id`` (or ``deviceid``),
  ``lat``, ``lon`` (or ``location=lat,lon``), ``timestamp`` (Unix seconds or milliseconds, or a
  date-time), ``speed`` (knots), ``bearing`` (or ``heading``), ``altitude``, ``accuracy``, ``batt``.
  The app identifies itself by ``id`` only, so the id must be a registered, enabled handheld; its
  secret comes as HTTP Basic (the password). Without one the request is refused unless the gateway
  is configured to take id-only posts (``osmand_require_secret=False``).

Answers: 200 once Kafka acknowledged the fixes; 400 naming each bad field; 401 without a valid
credential; 403 for a disabled device; 404 for an unknown one; 413 for too many fixes; 503 when Kafka
did not acknowledge (the app keeps the fixes and tries again).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from jingwu.telemetry.v1 import telemetry_pb2

from jingwu_telemetry.domain.credentials import matches
from jingwu_telemetry.domain.fix_rules import DEFAULT_RULES, FixRules, fix_violations
from jingwu_telemetry.gateway.counters import GatewayCounters
from jingwu_telemetry.gateway.directory import DeviceDirectory, DirectoryEntry
from jingwu_telemetry.gateway.fixes import handheld_fix
from jingwu_telemetry.gateway.publisher import FixPublisher, PublisherOverloaded

log = logging.getLogger(__name__)
MAX_FIXES = 500
KNOT_KMH = 1.852
Violations = list[tuple[str, str]]


class Refused(Exception):
    def __init__(self, status: int, error: str, violations: Violations = ()) -> None:  # type: ignore[assignment]
        super().__init__(error)
        self.status = status
        self.error = error
        self.violations = list(violations)


def _now() -> datetime:
    return datetime.now(UTC)


def _basic_password(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Refused(401, "the Authorization header is not valid HTTP Basic") from None
    return user, password


def _number(value: Any, field: str, problems: Violations, *, required: bool = False) -> float | None:
    if value is None or value == "":
        if required:
            problems.append((field, "required"))
        return None
    if isinstance(value, bool):
        problems.append((field, "a number, not a boolean"))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append((field, f"a number, not {str(value)[:40]!r}"))
        return None
    if not math.isfinite(number):
        problems.append((field, "a finite number"))
        return None
    return number


def parse_osmand_time(value: str) -> datetime:
    """Traccar's rules: Unix seconds, or milliseconds (values too big for seconds), or a date-time
    (``2026-11-22T08:30:00Z``, or ``2026-11-22 08:30:00`` read as UTC)."""
    text = value.strip()
    try:
        number = int(text)
    except ValueError:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if number >= 2**31 - 1:
        return datetime.fromtimestamp(number / 1000, UTC)
    return datetime.fromtimestamp(number, UTC)


class HandheldGateway:
    name = "handheld-gateway"

    def __init__(
        self,
        *,
        directory: DeviceDirectory,
        publisher: FixPublisher,
        counters: GatewayCounters,
        host: str = "0.0.0.0",  # noqa: S104 - handhelds post from anywhere
        port: int = 0,
        osmand_require_secret: bool = True,
        rules: FixRules = DEFAULT_RULES,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._directory = directory
        self._publisher = publisher
        self.counters = counters
        self._host = host
        self._port = port
        self._require_secret = osmand_require_secret
        self._rules = rules
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self.port = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/v1/positions", self._positions)
        for path in ("/", "/osmand"):
            app.router.add_get(path, self._osmand)
            app.router.add_post(path, self._osmand)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server  # aiohttp keeps the bound socket here
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        log.info("handheld gateway listening", extra={"port": self.port})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ── requests ─────────────────────────────────────────────────────────────────────────────────

    def _answer(self, status: int, body: Mapping[str, Any]) -> web.Response:
        self.counters.requests[status] += 1
        headers = {"WWW-Authenticate": 'Basic realm="jingwu"'} if status == 401 else None
        return web.json_response(dict(body), status=status, headers=headers)

    def _device(self, device_id: str, field: str) -> DirectoryEntry:
        entry = self._directory.device(device_id) if device_id else None
        if entry is None or not entry.handheld:
            raise Refused(404, f"no handheld with this {field}", [(field, f"unknown device {device_id!r}")])
        if not entry.enabled:
            raise Refused(403, "the device is disabled", [(field, "disabled")])
        return entry

    def _check_secret(self, entry: DirectoryEntry, password: str | None) -> None:
        if password is None or not matches(password, entry.credential_sha256):
            raise Refused(401, "a valid device credential is needed (HTTP Basic: device id and auth code)")

    async def _publish(self, fixes: list[telemetry_pb2.LocationFix]) -> web.Response:
        try:
            await self._publisher.publish(fixes)
        except PublisherOverloaded:  # admission (gateway.publisher): nothing was sent
            self.counters.requests[503] += 1
            return web.json_response(
                {"error": "the gateway is at capacity, try again"}, status=503, headers={"Retry-After": "5"}
            )
        except Exception as error:
            log.warning("handheld fixes not published", extra={"error": repr(error)})
            self.counters.requests[503] += 1
            return web.json_response(
                {"error": "not stored, try again"}, status=503, headers={"Retry-After": "5"}
            )
        self.counters.published += len(fixes)
        return self._answer(200, {"accepted": len(fixes)})

    async def _positions(self, request: web.Request) -> web.Response:
        try:
            credential = _basic_password(request)
            if credential is None:
                raise Refused(401, "a device credential is needed (HTTP Basic: device id and auth code)")
            entry = self._device(credential[0], "device_id")
            self._check_secret(entry, credential[1])
            try:
                payload = json.loads(await request.text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise Refused(400, "the body is not JSON", [("body", "a JSON object")]) from None
            if isinstance(payload, dict) and "fixes" in payload:
                items, prefix = payload["fixes"], "fixes"
                if not isinstance(items, list) or not items:
                    raise Refused(400, "invalid positions", [("fixes", "a non-empty list of positions")])
                if len(items) > MAX_FIXES:
                    raise Refused(413, f"at most {MAX_FIXES} fixes per request", [("fixes", "too many")])
            elif isinstance(payload, dict):
                items, prefix = [payload], ""
            else:
                raise Refused(400, "invalid position", [("body", 'a position object or {"fixes": [...]}')])
            received = self._clock()
            fixes = []
            problems: Violations = []
            for index, item in enumerate(items):
                at = f"{prefix}[{index}]." if prefix else ""
                fix = self._json_fix(entry, item, at, received, problems)
                if fix is not None:
                    fixes.append(fix)
            if problems:
                raise Refused(400, "invalid position", problems)
        except Refused as refused:
            return self._refused(refused)
        return await self._publish(fixes)

    def _json_fix(
        self, entry: DirectoryEntry, item: Any, at: str, received: datetime, problems: Violations
    ) -> telemetry_pb2.LocationFix | None:
        if not isinstance(item, dict):
            problems.append((at.rstrip(".") or "body", "a position object"))
            return None
        before = len(problems)
        latitude = _number(item.get("latitude"), f"{at}latitude", problems, required=True)
        longitude = _number(item.get("longitude"), f"{at}longitude", problems, required=True)
        speed = _number(item.get("speed_kmh"), f"{at}speed_kmh", problems) or 0.0
        heading = _number(item.get("heading_deg"), f"{at}heading_deg", problems) or 0.0
        altitude = _number(item.get("altitude_m"), f"{at}altitude_m", problems) or 0.0
        accuracy = _number(item.get("accuracy_m"), f"{at}accuracy_m", problems)
        battery = _number(item.get("battery_percent"), f"{at}battery_percent", problems)
        fix_time: datetime | None = None
        raw_time = item.get("time")
        if not isinstance(raw_time, str) or not raw_time:
            problems.append((f"{at}time", "required, RFC 3339"))
        else:
            try:
                fix_time = datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
            except ValueError:
                problems.append((f"{at}time", f"not an RFC 3339 time: {raw_time[:40]!r}"))
            else:
                if fix_time.tzinfo is None:
                    problems.append((f"{at}time", "needs its UTC offset"))
                    fix_time = None
        return self._checked(
            entry,
            latitude,
            longitude,
            fix_time,
            received,
            speed,
            heading,
            altitude,
            accuracy,
            battery,
            at,
            problems,
            before,
            names={"speed": "speed_kmh", "heading": "heading_deg", "fix_time": "time"},
        )

    def _checked(  # noqa: PLR0917 - one argument per field of a fix
        self,
        entry: DirectoryEntry,
        latitude: float | None,
        longitude: float | None,
        fix_time: datetime | None,
        received: datetime,
        speed: float,
        heading: float,
        altitude: float,
        accuracy: float | None,
        battery: float | None,
        at: str,
        problems: Violations,
        before: int,
        names: Mapping[str, str],
    ) -> telemetry_pb2.LocationFix | None:
        if accuracy is not None and accuracy < 0:
            problems.append((f"{at}{names.get('accuracy', 'accuracy_m')}", "not negative"))
        if battery is not None and not 0 <= battery <= 100:
            problems.append((f"{at}{names.get('battery', 'battery_percent')}", "0..100"))
        lat_field, lon_field = (
            f"{at}{names.get('latitude', 'latitude')}",
            f"{at}{names.get('longitude', 'longitude')}",
        )
        if latitude is not None and not -90.0 <= latitude <= 90.0:
            problems.append((lat_field, f"{latitude} is outside -90..90"))
        if longitude is not None and not -180.0 <= longitude <= 180.0:
            problems.append((lon_field, f"{longitude} is outside -180..180"))
        if latitude is None or longitude is None or len(problems) > before:
            return None
        for field, why in fix_violations(
            latitude=latitude,
            longitude=longitude,
            fix_time=fix_time,
            received=received,
            speed_kmh=speed,
            heading_deg=heading,
            rules=self._rules,
        ):
            if field == "fix_time" and fix_time is None:
                continue  # already reported in the request's own terms
            problems.append((f"{at}{names.get(field, field)}", why))
        if len(problems) > before or fix_time is None:
            return None
        return handheld_fix(
            entry,
            latitude=latitude,
            longitude=longitude,
            fix_time=fix_time,
            received=received,
            speed_kmh=speed,
            heading_deg=heading,
            altitude_m=altitude,
            accuracy_m=accuracy,
            battery_percent=battery,
        )

    async def _osmand(self, request: web.Request) -> web.Response:
        try:
            params: Mapping[str, str] = request.query
            if not params and request.method == "POST":
                params = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
            device_id = params.get("id") or params.get("deviceid") or ""
            if not device_id:
                raise Refused(400, "invalid position", [("id", "required: the device id")])
            entry = self._device(device_id, "id")
            credential = _basic_password(request)
            if credential is not None or self._require_secret:
                self._check_secret(entry, credential[1] if credential else None)
            fix = self._osmand_fix(entry, params)
        except Refused as refused:
            return self._refused(refused)
        return await self._publish([fix])

    def _osmand_fix(self, entry: DirectoryEntry, params: Mapping[str, str]) -> telemetry_pb2.LocationFix:
        problems: Violations = []
        received = self._clock()
        lat_text, lon_text = params.get("lat"), params.get("lon")
        if (lat_text is None or lon_text is None) and "location" in params:
            lat_text, _, lon_text = params["location"].partition(",")
        latitude = _number(lat_text, "lat", problems, required=True)
        longitude = _number(lon_text, "lon", problems, required=True)
        knots = _number(params.get("speed"), "speed", problems)
        heading = _number(params.get("bearing", params.get("heading")), "bearing", problems) or 0.0
        altitude = _number(params.get("altitude"), "altitude", problems) or 0.0
        accuracy = _number(params.get("accuracy"), "accuracy", problems)
        battery = _number(params.get("batt"), "batt", problems)
        fix_time: datetime | None = received
        if params.get("timestamp"):
            try:
                fix_time = parse_osmand_time(params["timestamp"])
            except (ValueError, OverflowError, OSError):
                problems.append(
                    (
                        "timestamp",
                        f"Unix seconds or milliseconds, or a date-time: {params['timestamp'][:40]!r}",
                    )
                )
                fix_time = None
        fix = self._checked(
            entry,
            latitude,
            longitude,
            fix_time,
            received,
            (knots or 0.0) * KNOT_KMH,
            heading,
            altitude,
            accuracy,
            battery,
            "",
            problems,
            0,
            names={
                "latitude": "lat",
                "longitude": "lon",
                "speed": "speed",
                "heading": "bearing",
                "fix_time": "timestamp",
                "accuracy": "accuracy",
                "battery": "batt",
            },
        )
        if fix is None:
            raise Refused(400, "invalid position", problems)
        return fix

    def _refused(self, refused: Refused) -> web.Response:
        body: dict[str, Any] = {"error": refused.error}
        if refused.violations:
            body["violations"] = [{"field": f, "description": d} for f, d in refused.violations]
        return self._answer(refused.status, body)
