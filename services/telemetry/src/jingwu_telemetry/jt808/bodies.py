"""Message bodies (JT/T 808-2013 §8, 808-2019 §8), each decoded from and encoded to the exact bytes.

Numbers are big-endian. STRING is GBK. Fixed-size text fields (BYTE[n]) are padded with 0x00 after the
text; the decoded text drops that padding and the encoder puts it back, so bodies re-encode exactly.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar, Protocol

from jingwu_telemetry.jt808.bcd import bcd_bytes, bcd_digits
from jingwu_telemetry.jt808.errors import Jt808Error, Reason
from jingwu_telemetry.jt808.header import Revision
from jingwu_telemetry.jt808.location import LocationReport


class MessageId(IntEnum):
    TERMINAL_RESPONSE = 0x0001
    HEARTBEAT = 0x0002
    LOGOUT = 0x0003
    QUERY_SERVER_TIME = 0x0004  # 2019
    TERMINAL_RESEND_REQUEST = 0x0005  # 2019
    REGISTRATION = 0x0100
    AUTHENTICATION = 0x0102
    LOCATION_REPORT = 0x0200
    POSITION_QUERY_RESPONSE = 0x0201
    BATCH_UPLOAD = 0x0704
    PLATFORM_RESPONSE = 0x8001
    RESEND_REQUEST = 0x8003
    SERVER_TIME = 0x8004  # 2019
    REGISTRATION_RESPONSE = 0x8100
    POSITION_QUERY = 0x8201


class Result(IntEnum):
    """Result of a general response (0x0001 / 0x8001)."""

    SUCCESS = 0
    FAILURE = 1
    MESSAGE_ERROR = 2
    UNSUPPORTED = 3
    ALARM_CONFIRMED = 4  # 0x8001 only


class RegistrationResult(IntEnum):
    """Result of 0x8100."""

    SUCCESS = 0
    VEHICLE_ALREADY_REGISTERED = 1
    VEHICLE_NOT_FOUND = 2
    TERMINAL_ALREADY_REGISTERED = 3
    TERMINAL_NOT_FOUND = 4


class Body(Protocol):
    MESSAGE_ID: ClassVar[int]

    def encode(self, revision: Revision) -> bytes: ...


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("gbk")
    except UnicodeDecodeError:
        raise Jt808Error(Reason.BAD_TEXT, f"{what} is not GBK text") from None


def _fixed_text(data: bytes, what: str) -> str:
    return _text(data.rstrip(b"\x00"), what)


def _pad(text: str, size: int, what: str) -> bytes:
    raw = text.encode("gbk")
    if len(raw) > size:
        raise ValueError(f"{what} {text!r} is longer than {size} bytes")
    if raw.endswith(b"\x00"):
        raise ValueError(f"{what} {text!r} ends in NUL, which is padding")
    return raw.ljust(size, b"\x00")


def _exact(data: bytes, size: int, what: str) -> None:
    if len(data) != size:
        raise Jt808Error(Reason.BAD_BODY, f"{what} body of {len(data)} bytes, the table says {size}")


_RESPONSE = struct.Struct(">HHB")


@dataclass(frozen=True, slots=True)
class TerminalResponse:
    """0x0001: the terminal's answer to a platform message."""

    MESSAGE_ID: ClassVar[int] = MessageId.TERMINAL_RESPONSE
    reply_serial: int
    reply_id: int
    result: int

    def encode(self, revision: Revision) -> bytes:
        return _RESPONSE.pack(self.reply_serial, self.reply_id, self.result)

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> TerminalResponse:
        _exact(data, _RESPONSE.size, "terminal general response")
        return cls(*_RESPONSE.unpack(data))


@dataclass(frozen=True, slots=True)
class PlatformResponse:
    """0x8001: the platform's answer to a terminal message."""

    MESSAGE_ID: ClassVar[int] = MessageId.PLATFORM_RESPONSE
    reply_serial: int
    reply_id: int
    result: int

    def encode(self, revision: Revision) -> bytes:
        return _RESPONSE.pack(self.reply_serial, self.reply_id, self.result)

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> PlatformResponse:
        _exact(data, _RESPONSE.size, "platform general response")
        return cls(*_RESPONSE.unpack(data))


class _Empty:
    def encode(self, revision: Revision) -> bytes:
        return b""

    @classmethod
    def _check(cls, data: bytes, what: str) -> None:
        _exact(data, 0, what)


@dataclass(frozen=True, slots=True)
class Heartbeat(_Empty):
    MESSAGE_ID: ClassVar[int] = MessageId.HEARTBEAT

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> Heartbeat:
        cls._check(data, "heartbeat")
        return cls()


@dataclass(frozen=True, slots=True)
class Logout(_Empty):
    MESSAGE_ID: ClassVar[int] = MessageId.LOGOUT

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> Logout:
        cls._check(data, "logout")
        return cls()


@dataclass(frozen=True, slots=True)
class QueryServerTime(_Empty):
    MESSAGE_ID: ClassVar[int] = MessageId.QUERY_SERVER_TIME

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> QueryServerTime:
        cls._check(data, "server time query")
        return cls()


@dataclass(frozen=True, slots=True)
class PositionQuery(_Empty):
    """0x8201: the platform asks for the current position; the terminal answers 0x0201."""

    MESSAGE_ID: ClassVar[int] = MessageId.POSITION_QUERY

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> PositionQuery:
        cls._check(data, "position query")
        return cls()


@dataclass(frozen=True, slots=True)
class ServerTime:
    """0x8004 (2019): the server's time, BCD[6] in UTC."""

    MESSAGE_ID: ClassVar[int] = MessageId.SERVER_TIME
    time_bcd: str

    def encode(self, revision: Revision) -> bytes:
        return bcd_bytes(self.time_bcd, 6)

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> ServerTime:
        _exact(data, 6, "server time")
        return cls(bcd_digits(data, "server time"))


class _Resend:
    """0x8003 / 0x0005: original serial WORD | count (BYTE in 2013, WORD in 2019) | packet ids WORD[n]."""

    original_serial: int
    packet_ids: tuple[int, ...]

    def encode(self, revision: Revision) -> bytes:
        count = len(self.packet_ids)
        head = struct.pack(">HB" if revision is Revision.R2013 else ">HH", self.original_serial, count)
        return head + struct.pack(f">{count}H", *self.packet_ids)

    @staticmethod
    def _decode(data: bytes, revision: Revision, what: str) -> tuple[int, tuple[int, ...]]:
        layout = ">HB" if revision is Revision.R2013 else ">HH"
        size = struct.calcsize(layout)
        if len(data) < size:
            raise Jt808Error(Reason.BAD_BODY, f"{what} of {len(data)} bytes")
        serial, count = struct.unpack_from(layout, data)
        _exact(data, size + 2 * count, f"{what} of {count} packets")
        return serial, struct.unpack_from(f">{count}H", data, size)


@dataclass(frozen=True, slots=True)
class ResendRequest(_Resend):
    """0x8003: the platform asks for the packets of a sub-packaged message that did not arrive."""

    MESSAGE_ID: ClassVar[int] = MessageId.RESEND_REQUEST
    original_serial: int
    packet_ids: tuple[int, ...]

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> ResendRequest:
        return cls(*cls._decode(data, revision, "resend request"))


@dataclass(frozen=True, slots=True)
class TerminalResendRequest(_Resend):
    """0x0005 (2019): the terminal asks the platform to re-send packets."""

    MESSAGE_ID: ClassVar[int] = MessageId.TERMINAL_RESEND_REQUEST
    original_serial: int
    packet_ids: tuple[int, ...]

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> TerminalResendRequest:
        return cls(*cls._decode(data, revision, "terminal resend request"))


# 0x0100 field sizes: manufacturer id, terminal model, terminal id.
_REGISTRATION_SIZES = {Revision.R2013: (5, 20, 7), Revision.R2019: (11, 30, 30)}


@dataclass(frozen=True, slots=True)
class Registration:
    """0x0100: province WORD | city WORD | manufacturer BYTE[5|11] | model BYTE[20|30] |
    terminal id BYTE[7|30] | plate colour BYTE | plate STRING (the rest of the body)."""

    MESSAGE_ID: ClassVar[int] = MessageId.REGISTRATION
    province_id: int
    city_id: int
    manufacturer_id: str
    terminal_model: str
    terminal_id: str
    plate_colour: int
    plate: str

    def encode(self, revision: Revision) -> bytes:
        manufacturer, model, terminal = _REGISTRATION_SIZES[revision]
        return b"".join(
            (
                struct.pack(">HH", self.province_id, self.city_id),
                _pad(self.manufacturer_id, manufacturer, "manufacturer id"),
                _pad(self.terminal_model, model, "terminal model"),
                _pad(self.terminal_id, terminal, "terminal id"),
                bytes((self.plate_colour,)),
                self.plate.encode("gbk"),
            )
        )

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> Registration:
        manufacturer, model, terminal = _REGISTRATION_SIZES[revision]
        fixed = 4 + manufacturer + model + terminal + 1
        if len(data) < fixed:
            raise Jt808Error(
                Reason.BAD_BODY, f"{revision.value} registration of {len(data)} bytes, at least {fixed}"
            )
        province, city = struct.unpack_from(">HH", data)
        offset = 4
        fields = []
        for size, what in (
            (manufacturer, "manufacturer id"),
            (model, "terminal model"),
            (terminal, "terminal id"),
        ):
            fields.append(_fixed_text(data[offset : offset + size], what))
            offset += size
        return cls(
            province_id=province,
            city_id=city,
            manufacturer_id=fields[0],
            terminal_model=fields[1],
            terminal_id=fields[2],
            plate_colour=data[offset],
            plate=_text(data[offset + 1 :], "plate"),
        )


@dataclass(frozen=True, slots=True)
class RegistrationResponse:
    """0x8100: reply serial WORD | result BYTE | auth code STRING (on success only)."""

    MESSAGE_ID: ClassVar[int] = MessageId.REGISTRATION_RESPONSE
    reply_serial: int
    result: int
    auth_code: str = ""

    def encode(self, revision: Revision) -> bytes:
        return struct.pack(">HB", self.reply_serial, self.result) + self.auth_code.encode("gbk")

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> RegistrationResponse:
        if len(data) < 3:
            raise Jt808Error(Reason.BAD_BODY, f"registration response of {len(data)} bytes")
        serial, result = struct.unpack_from(">HB", data)
        return cls(serial, result, _text(data[3:], "auth code"))


_IMEI = 15
_FIRMWARE = 20


@dataclass(frozen=True, slots=True)
class Authentication:
    """0x0102. 2013: the auth code is the whole body. 2019: code length BYTE | auth code |
    IMEI BYTE[15] | software version BYTE[20]."""

    MESSAGE_ID: ClassVar[int] = MessageId.AUTHENTICATION
    auth_code: str
    imei: str = ""
    firmware_version: str = ""

    def encode(self, revision: Revision) -> bytes:
        code = self.auth_code.encode("gbk")
        if revision is Revision.R2013:
            if self.imei or self.firmware_version:
                raise ValueError("a 2013 authentication carries no IMEI or software version")
            return code
        if len(code) > 0xFF:
            raise ValueError("auth code longer than 255 bytes")
        return (
            bytes((len(code),))
            + code
            + _pad(self.imei, _IMEI, "IMEI")
            + _pad(self.firmware_version, _FIRMWARE, "software version")
        )

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> Authentication:
        if revision is Revision.R2013:
            return cls(_text(data, "auth code"))
        if not data:
            raise Jt808Error(Reason.BAD_BODY, "2019 authentication without its code length")
        length = data[0]
        _exact(data, 1 + length + _IMEI + _FIRMWARE, f"2019 authentication with a {length}-byte code")
        code_end = 1 + length
        return cls(
            auth_code=_text(data[1:code_end], "auth code"),
            imei=_fixed_text(data[code_end : code_end + _IMEI], "IMEI"),
            firmware_version=_fixed_text(data[code_end + _IMEI :], "software version"),
        )


@dataclass(frozen=True, slots=True)
class LocationReportBody:
    """0x0200."""

    MESSAGE_ID: ClassVar[int] = MessageId.LOCATION_REPORT
    report: LocationReport

    def encode(self, revision: Revision) -> bytes:
        return self.report.encode()

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> LocationReportBody:
        return cls(LocationReport.decode(data))


@dataclass(frozen=True, slots=True)
class PositionQueryResponse:
    """0x0201: reply serial WORD | location report."""

    MESSAGE_ID: ClassVar[int] = MessageId.POSITION_QUERY_RESPONSE
    reply_serial: int
    report: LocationReport

    def encode(self, revision: Revision) -> bytes:
        return struct.pack(">H", self.reply_serial) + self.report.encode()

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> PositionQueryResponse:
        if len(data) < 2:
            raise Jt808Error(Reason.BAD_BODY, "position query response without its reply serial")
        return cls(struct.unpack_from(">H", data)[0], LocationReport.decode(data[2:]))


class BatchKind(IntEnum):
    NORMAL = 0  # 正常位置批量汇报
    BACKFILL = 1  # 盲区补报: stored while out of coverage


@dataclass(frozen=True, slots=True)
class BatchUpload:
    """0x0704: count WORD | kind BYTE | count × (length WORD | location report)."""

    MESSAGE_ID: ClassVar[int] = MessageId.BATCH_UPLOAD
    kind: int
    reports: tuple[LocationReport, ...] = field(default=())

    def encode(self, revision: Revision) -> bytes:
        parts = [struct.pack(">HB", len(self.reports), self.kind)]
        for report in self.reports:
            encoded = report.encode()
            parts.append(struct.pack(">H", len(encoded)) + encoded)
        return b"".join(parts)

    @classmethod
    def decode(cls, data: bytes, revision: Revision) -> BatchUpload:
        if len(data) < 3:
            raise Jt808Error(Reason.BAD_BODY, f"batch upload of {len(data)} bytes")
        count, kind = struct.unpack_from(">HB", data)
        reports = []
        offset, size = 3, len(data)
        for number in range(count):
            if offset + 2 > size:
                raise Jt808Error(Reason.BAD_BODY, f"batch upload says {count} reports, has {number}")
            (length,) = struct.unpack_from(">H", data, offset)
            end = offset + 2 + length
            if end > size:
                raise Jt808Error(Reason.BAD_BODY, f"report {number + 1} of {length} bytes runs past the body")
            try:
                reports.append(LocationReport.decode(data[offset + 2 : end]))
            except Jt808Error as error:
                raise Jt808Error(error.reason, f"report {number + 1}: {error.detail}") from None
            offset = end
        if offset != size:
            raise Jt808Error(Reason.BAD_BODY, f"{size - offset} bytes after the {count} reports")
        return cls(kind, tuple(reports))


@dataclass(frozen=True, slots=True)
class RawBody:
    """A message the gateway does not decode (answered "unsupported"), or one sub-package's slice of a
    message body (decoded once reassembled). Kept as bytes, so it re-encodes exactly."""

    data: bytes
    MESSAGE_ID: ClassVar[int] = -1

    def encode(self, revision: Revision) -> bytes:
        return self.data


class _Decodable(Protocol):
    def __call__(self, data: bytes, revision: Revision) -> Body: ...


DECODERS: dict[int, _Decodable] = {
    cls.MESSAGE_ID: cls.decode
    for cls in (
        TerminalResponse,
        PlatformResponse,
        Heartbeat,
        Logout,
        QueryServerTime,
        TerminalResendRequest,
        Registration,
        Authentication,
        LocationReportBody,
        PositionQueryResponse,
        BatchUpload,
        ResendRequest,
        ServerTime,
        RegistrationResponse,
        PositionQuery,
    )
}
