"""A JT/T 808 vehicle terminal over TCP, as the simulator, the tests and the benchmarks use it: it
registers, authenticates, reports, uploads stored fixes, answers the platform's position query
(0x8201 → 0x0201) and re-sends the packets a 0x8003 asks for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from jingwu_telemetry.jt808 import (
    Authentication,
    BatchKind,
    BatchUpload,
    FrameSplitter,
    Header,
    Heartbeat,
    Jt808Error,
    LocationReport,
    LocationReportBody,
    Logout,
    Message,
    PlatformResponse,
    PositionQuery,
    PositionQueryResponse,
    Registration,
    RegistrationResponse,
    ResendRequest,
    Revision,
    decode,
    encode,
    split,
)
from jingwu_telemetry.jt808.header import PHONE_BYTES


@dataclass(frozen=True)
class TerminalIdentity:
    phone: str  # without leading zeros
    terminal_id: str
    plate: str
    plate_colour: int = 1
    revision: Revision = Revision.R2013
    manufacturer_id: str = "JWSIM"
    model: str = "JW-SIM-808"
    province_id: int = 34
    city_id: int = 1302
    # Vendor quirk to simulate: the 2019 flag on otherwise-2013 frames.
    version_flag_quirk: bool = False


class Terminal:
    def __init__(
        self,
        identity: TerminalIdentity,
        host: str,
        port: int,
        *,
        position: Callable[[], LocationReport] | None = None,
        timeout_s: float = 15.0,
    ) -> None:
        self.identity = identity
        self._host, self._port = host, port
        self._position = position
        self._timeout = timeout_s
        self._serial = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiting: dict[tuple[int, int], asyncio.Future[Message]] = {}
        self._sent: dict[int, bytes] = {}  # serial → frame, for 0x8003
        self.received: list[Message] = []
        self.resend_requests: list[ResendRequest] = []
        self.auth_code = ""

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    def _header(self, message_id: int, serial: int) -> Header:
        identity = self.identity
        digits = identity.phone.rjust(PHONE_BYTES[identity.revision] * 2, "0")
        return Header(
            message_id=message_id,
            phone=digits,
            serial=serial,
            revision=identity.revision,
            protocol_version=1 if identity.revision is Revision.R2019 else 0,
            reserved=0x4000 if identity.version_flag_quirk and identity.revision is Revision.R2013 else 0,
        )

    def _next(self, count: int = 1) -> int:
        serial = self._serial
        self._serial = (serial + count) & 0xFFFF
        return serial

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        self._task = asyncio.create_task(self._read(), name=f"terminal-{self.identity.phone}")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
            self._writer = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for future in self._waiting.values():
            if not future.done():
                future.cancel()
        self._waiting.clear()

    async def send_raw(self, data: bytes) -> None:
        assert self._writer is not None
        self._writer.write(data)
        await self._writer.drain()

    async def _request(self, body: object, answer_id: int) -> Message:
        """Send one message (sub-packaged when too long) and wait for the answer to its last packet."""
        message_id: int = body.MESSAGE_ID  # type: ignore[attr-defined]
        raw = body.encode(self.identity.revision)  # type: ignore[attr-defined]
        if len(raw) <= 1023:
            serial = self._next()
            frames = [encode(Message(self._header(message_id, serial), body))]  # type: ignore[arg-type]
            serials = [serial]
        else:
            parts = split(self._header(message_id, self._serial), raw)
            self._next(len(parts))
            frames = [encode(part) for part in parts]
            serials = [part.header.serial for part in parts]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Message] = loop.create_future()
        self._waiting[(answer_id, serials[-1])] = future
        for serial, frame in zip(serials, frames, strict=True):
            self._sent[serial] = frame
        if len(self._sent) > 512:
            for old in list(self._sent)[:256]:
                del self._sent[old]
        try:
            for frame in frames:
                await self.send_raw(frame)
            async with asyncio.timeout(self._timeout):
                return await future
        finally:
            self._waiting.pop((answer_id, serials[-1]), None)

    async def _general(self, body: object) -> int:
        answer = await self._request(body, 0x8001)
        assert isinstance(answer.body, PlatformResponse)
        return answer.body.result

    async def register(self) -> RegistrationResponse:
        identity = self.identity
        answer = await self._request(
            Registration(
                identity.province_id,
                identity.city_id,
                identity.manufacturer_id,
                identity.model,
                identity.terminal_id,
                identity.plate_colour,
                identity.plate,
            ),
            0x8100,
        )
        assert isinstance(answer.body, RegistrationResponse)
        if answer.body.result == 0:
            self.auth_code = answer.body.auth_code
        return answer.body

    async def authenticate(self, code: str | None = None) -> int:
        if self.identity.revision is Revision.R2019:
            body = Authentication(
                code if code is not None else self.auth_code,
                "86" + self.identity.phone[-13:].rjust(13, "0"),
                "SIM-1.0",
            )
        else:
            body = Authentication(code if code is not None else self.auth_code)
        return await self._general(body)

    async def heartbeat(self) -> int:
        return await self._general(Heartbeat())

    async def logout(self) -> int:
        return await self._general(Logout())

    async def report(self, report: LocationReport) -> int:
        return await self._general(LocationReportBody(report))

    async def batch(self, reports: list[LocationReport], kind: int = BatchKind.BACKFILL) -> int:
        return await self._general(BatchUpload(kind, tuple(reports)))

    async def _read(self) -> None:
        assert self._reader is not None
        splitter = FrameSplitter()
        while True:
            data = await self._reader.read(65536)
            if not data:
                return
            for item in splitter.feed(data):
                if isinstance(item, Jt808Error):
                    continue
                try:
                    message = decode(item)
                except Jt808Error:
                    continue
                self.received.append(message)
                await self._dispatch(message)

    async def _dispatch(self, message: Message) -> None:
        body = message.body
        key: tuple[int, int] | None = None
        if isinstance(body, PlatformResponse):
            key = (0x8001, body.reply_serial)
        elif isinstance(body, RegistrationResponse):
            key = (0x8100, body.reply_serial)
        elif isinstance(body, PositionQuery) and self._position is not None:
            answer = PositionQueryResponse(message.header.serial, self._position())
            frame = encode(Message(self._header(0x0201, self._next()), answer))
            await self.send_raw(frame)
        elif isinstance(body, ResendRequest):
            self.resend_requests.append(body)
            for index in body.packet_ids:
                resent = self._sent.get((body.original_serial + index - 1) & 0xFFFF)
                if resent is not None:
                    await self.send_raw(resent)
        if key is not None:
            future = self._waiting.get(key)
            if future is not None and not future.done():
                future.set_result(message)
