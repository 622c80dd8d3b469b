"""One terminal connection of the JT/T 808 gateway: decoded frames in, answers out (R-TEL-2).

What the platform answers (JT/T 808-2013 §8, 808-2019 §8):
- 0x0100 registration → 0x8100 with the result and, on success, the auth code (from the district's
  registry; a phone number the directory does not know is answered "terminal not found" at once);
- 0x0102 authentication → 0x8001 success or failure; on success the gateway also asks 0x8201 for the
  terminal's current position (answered 0x0201, published like a report);
- 0x0002 heartbeat, 0x0003 logout, 0x0200 report, 0x0704 batch → 0x8001;
- 0x0004 server-time query (2019) → 0x8004;
- 0x0001 terminal response and 0x0201 → no answer;
- any other message → 0x8001 "unsupported"; a body that breaks its table → 0x8001 "message error";
- a frame whose framing or header is broken (bad check code, bad escape, length mismatch) → nothing:
  its serial cannot be trusted. Every refusal is counted with its reason.
Reports are accepted only after a successful authentication on this connection (otherwise 0x8001
failure, counted "unauthenticated"). A fix is answered success only once Kafka acknowledged it.
Sub-packaged messages are reassembled; each packet is acknowledged, and missing packets are asked
for with 0x8003 after the reassembly timeout (``expire``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import grpc
from jingwu.telemetry.v1 import telemetry_pb2

from jingwu_telemetry.domain.clock_offset import ClockOffset
from jingwu_telemetry.gateway.counters import GatewayCounters
from jingwu_telemetry.gateway.directory import DeviceDirectory, DirectoryEntry
from jingwu_telemetry.gateway.fixes import jt808_fix
from jingwu_telemetry.gateway.publisher import FixPublisher, PublisherOverloaded
from jingwu_telemetry.gateway.registry_client import RegistryClients, RegistryUnavailable
from jingwu_telemetry.jt808 import (
    Abandoned,
    Authentication,
    BatchKind,
    BatchUpload,
    Completed,
    Header,
    Heartbeat,
    Jt808Error,
    LocationReport,
    LocationReportBody,
    Logout,
    Message,
    MessageId,
    PlatformResponse,
    PositionQuery,
    PositionQueryResponse,
    QueryServerTime,
    RawBody,
    Reason,
    Reassembler,
    Registration,
    RegistrationResponse,
    RegistrationResult,
    ResendDue,
    ResendRequest,
    Result,
    Revision,
    ServerTime,
    TerminalResponse,
    decode,
    decode_body,
    encode,
)
from jingwu_telemetry.jt808.bcd import utc_to_bcd_time
from jingwu_telemetry.jt808.bodies import Body
from jingwu_telemetry.jt808.codec import encode_general_response

log = logging.getLogger(__name__)
_REFUSED_BY_REGISTRY = frozenset(
    {
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.INVALID_ARGUMENT,
    }
)
_PROTOCOL = {
    Revision.R2013: telemetry_pb2.PROTOCOL_VERSION_JT808_2013,
    Revision.R2019: telemetry_pb2.PROTOCOL_VERSION_JT808_2019,
}


def _now() -> datetime:
    return datetime.now(UTC)


class Jt808Session:
    def __init__(
        self,
        *,
        directory: DeviceDirectory,
        registry: RegistryClients,
        publisher: FixPublisher,
        counters: GatewayCounters,
        peer: str = "",
        clock: Callable[[], datetime] = _now,
        monotonic: Callable[[], float] = time.monotonic,
        reassembly_timeout_s: float = 10.0,
        on_authenticated: Callable[[Jt808Session], None] | None = None,
    ) -> None:
        self._directory = directory
        self._registry = registry
        self._publisher = publisher
        self._counters = counters
        self._clock = clock
        self._monotonic = monotonic
        self._on_authenticated = on_authenticated
        self.peer = peer
        self.device: DirectoryEntry | None = None
        self.phone = ""  # the terminal phone number of the authenticated device
        self.last_header: Header | None = None
        self.closing = False
        self.offset = ClockOffset()
        self.reassembler = Reassembler(timeout_s=reassembly_timeout_s)
        self._serial = 0

    # ── answers ──────────────────────────────────────────────────────────────────────────────────

    def _next_serial(self) -> int:
        serial = self._serial
        self._serial = (serial + 1) & 0xFFFF
        return serial

    def _send(self, to: Header, body: Body) -> bytes:
        return encode(Message(to.reply(body.MESSAGE_ID, self._next_serial()), body))

    def _general(self, to: Header, reply_serial: int, result: Result) -> bytes:
        if reply_serial == to.serial:
            return encode_general_response(to, self._next_serial(), result)
        return self._send(to, PlatformResponse(reply_serial, to.message_id, result))

    def position_query(self) -> bytes | None:
        """0x8201 to the authenticated terminal (answered 0x0201)."""
        if self.last_header is None:
            return None
        return self._send(self.last_header, PositionQuery())

    # ── frames ───────────────────────────────────────────────────────────────────────────────────

    async def on_frame(self, content: bytes) -> list[bytes]:
        """One frame's escaped content (between two 0x7e) → the frames to send back."""
        try:
            message = decode(content)
        except Jt808Error as error:
            return self._rejected(error)
        self.last_header = message.header
        if message.header.packet is not None:
            assert isinstance(message.body, RawBody)
            return await self._packet(message.header, message.body)
        return await self._handle(message, message.header.serial)

    async def _packet(self, header: Header, body: RawBody) -> list[bytes]:
        """One packet of a sub-packaged message; the whole message once it is complete."""
        packet = header.packet
        assert packet is not None
        try:
            done = self.reassembler.add(header, body.data, self._monotonic())
        except Jt808Error as error:
            return self._rejected(error)
        if not isinstance(done, Completed):
            if isinstance(done, Abandoned):
                self._counters.rejected["packets_abandoned"] += 1
            self._counters.frame(header.message_id, "packet")
            if packet.index == packet.total:
                return []  # the last packet is answered with the whole message's result
            return [self._general(header, header.serial, Result.SUCCESS)]
        # The message's result answers its last packet; a re-sent earlier packet that completed it is
        # acknowledged on its own.
        reply_serial = done.serials[-1]
        received = (
            [] if header.serial == reply_serial else [self._general(header, header.serial, Result.SUCCESS)]
        )
        try:
            whole = decode_body(done.header, done.body)
        except Jt808Error as error:
            return received + self._rejected(error.with_header(replace(header, serial=reply_serial)))
        return received + await self._handle(Message(done.header, whole), reply_serial)

    def _rejected(self, error: Jt808Error) -> list[bytes]:
        self._counters.rejected[error.reason.value] += 1
        if error.header is None:
            return []  # framing or header broken: the serial to answer cannot be trusted
        result = Result.UNSUPPORTED if error.reason is Reason.ENCRYPTED else Result.MESSAGE_ERROR
        return [self._general(error.header, error.header.serial, result)]

    def expire(self) -> list[bytes]:
        """0x8003 for sub-packaged messages whose packets stopped arriving."""
        out: list[bytes] = []
        for due in self.reassembler.expire(self._monotonic()):
            if isinstance(due, ResendDue):
                self._counters.frame(MessageId.RESEND_REQUEST, "sent")
                out.append(self._send(due.header, ResendRequest(due.original_serial, due.missing)))
            else:
                self._counters.rejected["packets_abandoned"] += 1
        return out

    async def _handle(self, message: Message, reply_serial: int) -> list[bytes]:
        header, body = message.header, message.body
        if isinstance(body, Registration):
            return await self._register(header, body, reply_serial)
        if isinstance(body, Authentication):
            return await self._authenticate(header, body, reply_serial)
        if isinstance(body, LocationReportBody | BatchUpload | PositionQueryResponse | Logout):
            return await self._device_message(header, body, reply_serial)
        return self._link(header, body, reply_serial)

    def _link(self, header: Header, body: Body, reply_serial: int) -> list[bytes]:
        """Messages of the link itself: heartbeat, server time, the terminal's responses, the rest."""
        counters = self._counters
        if isinstance(body, Heartbeat):
            counters.frame(header.message_id, "answered")
            return [self._general(header, reply_serial, Result.SUCCESS)]
        if isinstance(body, TerminalResponse):
            counters.frame(header.message_id, "ignored")
            return []
        if isinstance(body, QueryServerTime):
            counters.frame(header.message_id, "answered")
            return [self._send(header, ServerTime(utc_to_bcd_time(self._clock(), UTC)))]
        counters.frame(header.message_id, "unsupported")
        return [self._general(header, reply_serial, Result.UNSUPPORTED)]

    async def _device_message(
        self,
        header: Header,
        body: LocationReportBody | BatchUpload | PositionQueryResponse | Logout,
        reply_serial: int,
    ) -> list[bytes]:
        device = self._current_device(header)
        if device is None:
            if isinstance(body, PositionQueryResponse):
                return []
            return [self._general(header, reply_serial, Result.FAILURE)]
        if isinstance(body, Logout):
            return await self._logout(header, device, reply_serial)
        return await self._report(header, device, body, reply_serial)

    def _current_device(self, header: Header) -> DirectoryEntry | None:
        """The authenticated device, as the directory has it now (disabled meanwhile: refused)."""
        if self.device is None or header.terminal_phone != self.phone:
            self._counters.refused["unauthenticated"] += 1
            return None
        current = self._directory.device(self.device.device_id) or self.device
        if not current.enabled:
            self._counters.refused["disabled"] += 1
            self.closing = True
            return None
        self.device = current
        return current

    async def _register(self, header: Header, body: Registration, reply_serial: int) -> list[bytes]:
        phone = header.terminal_phone
        entry = self._directory.terminal(phone) or self._directory.terminal_by_id(body.terminal_id.strip())
        if entry is None or entry.handheld:
            self._counters.refused["unknown_device"] += 1
            refusal = RegistrationResponse(reply_serial, RegistrationResult.TERMINAL_NOT_FOUND)
            return [self._send(header, refusal)]
        terminal = telemetry_pb2.Jt808Terminal(
            terminal_phone=phone,
            terminal_id=body.terminal_id.strip(),
            manufacturer_id=body.manufacturer_id.strip(),
            terminal_model=body.terminal_model.strip(),
            province_id=body.province_id,
            city_id=body.city_id,
            plate=body.plate.rstrip("\x00").strip(),
            plate_colour=body.plate_colour if body.plate_colour in telemetry_pb2.PlateColour.values() else 0,  # type: ignore[arg-type]
            protocol_version=_PROTOCOL[header.revision],
        )
        try:
            answer = await self._registry.register_terminal(entry.district, terminal)
        except (grpc.aio.AioRpcError, RegistryUnavailable) as error:
            # No answer: the terminal asks again (it re-sends a registration that was not answered).
            self._counters.refused["registry_unavailable"] += 1
            log.warning("registration not relayed", extra={"terminal_phone": phone, "error": repr(error)})
            return []
        result = int(answer.result) - 1 if answer.result else int(RegistrationResult.TERMINAL_NOT_FOUND)
        self._counters.frame(header.message_id, "answered")
        return [self._send(header, RegistrationResponse(reply_serial, result, answer.auth_code))]

    async def _authenticate(self, header: Header, body: Authentication, reply_serial: int) -> list[bytes]:
        phone = header.terminal_phone
        entry = self._directory.terminal(phone)
        if entry is None or entry.handheld:
            self._counters.refused["unknown_device"] += 1
            return [self._general(header, reply_serial, Result.FAILURE)]
        request = telemetry_pb2.AuthenticateDeviceRequest(
            terminal_phone=phone,
            auth_code=body.auth_code,
            imei=body.imei,
            firmware_version=body.firmware_version,
            remote_address=self.peer,
            protocol_version=_PROTOCOL[header.revision],
        )
        try:
            await self._registry.authenticate(entry.district, request)
        except grpc.aio.AioRpcError as error:
            why = "auth_failed" if error.code() in _REFUSED_BY_REGISTRY else "registry_unavailable"
            self._counters.refused[why] += 1
            return [self._general(header, reply_serial, Result.FAILURE)]
        except RegistryUnavailable:
            self._counters.refused["registry_unavailable"] += 1
            return [self._general(header, reply_serial, Result.FAILURE)]
        self.device, self.phone = entry, phone
        self._counters.frame(header.message_id, "answered")
        if self._on_authenticated is not None:
            self._on_authenticated(self)
        query = self._send(header, PositionQuery())
        return [self._general(header, reply_serial, Result.SUCCESS), query]

    async def _logout(self, header: Header, device: DirectoryEntry, reply_serial: int) -> list[bytes]:
        try:
            await self._registry.deregister(device.district, self.phone)
        except (grpc.aio.AioRpcError, RegistryUnavailable):
            self._counters.refused["registry_unavailable"] += 1
            return [self._general(header, reply_serial, Result.FAILURE)]
        self.device, self.phone = None, ""
        self._counters.frame(header.message_id, "answered")
        return [self._general(header, reply_serial, Result.SUCCESS)]

    async def _report(
        self,
        header: Header,
        device: DirectoryEntry,
        body: LocationReportBody | BatchUpload | PositionQueryResponse,
        reply_serial: int,
    ) -> list[bytes]:
        received = self._clock()
        reports: tuple[LocationReport, ...]
        if isinstance(body, BatchUpload):
            source = (
                telemetry_pb2.FIX_SOURCE_JT808_BACKFILL
                if body.kind == BatchKind.BACKFILL
                else telemetry_pb2.FIX_SOURCE_JT808_REPORT
            )
            reports = body.reports
        else:
            source = (
                telemetry_pb2.FIX_SOURCE_JT808_QUERY
                if isinstance(body, PositionQueryResponse)
                else telemetry_pb2.FIX_SOURCE_JT808_REPORT
            )
            reports = (body.report,)
            device_time = body.report.device_time_utc()
            if device_time is not None:
                self.offset.observe(device_time, received)
        fixes = [
            jt808_fix(device, report, source=source, received=received, correction=self.offset.correction)
            for report in reports
        ]
        try:
            await self._publisher.publish(fixes)
        except PublisherOverloaded:
            # Admission (jingwu_telemetry.gateway.publisher): refused before anything was sent; the
            # terminal is told at once and sends the fix again. Counted, not logged per frame.
            self._counters.refused["overloaded"] += 1
            if isinstance(body, PositionQueryResponse):
                return []
            return [self._general(header, reply_serial, Result.FAILURE)]
        except Exception as error:
            # Not on the topic: the terminal is told, and keeps the fix to send again.
            self._counters.refused["publish_failed"] += 1
            log.warning("fixes not published", extra={"device_id": device.device_id, "error": repr(error)})
            if isinstance(body, PositionQueryResponse):
                return []
            return [self._general(header, reply_serial, Result.FAILURE)]
        self._counters.published += len(fixes)
        if isinstance(body, PositionQueryResponse):
            self._counters.frame(header.message_id, "published")
            return []
        self._counters.frame(header.message_id, "answered")
        return [self._general(header, reply_serial, Result.SUCCESS)]
