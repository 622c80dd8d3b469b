"""JT/T 808 message bodies, each built byte by byte from the standard's tables, in both revisions
(R-TEL-2): registration, authentication, heartbeat, logout, location report with its additional items,
batch upload, position query, the general responses, and the vendor quirks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jingwu_telemetry.jt808 import (
    AdditionalItem,
    Authentication,
    BatchKind,
    BatchUpload,
    Header,
    Jt808Error,
    LocationReport,
    LocationReportBody,
    Logout,
    Message,
    PlatformResponse,
    PositionQuery,
    PositionQueryResponse,
    Reason,
    Registration,
    RegistrationResponse,
    ResendRequest,
    Result,
    Revision,
    ServerTime,
    TerminalResponse,
    decode,
    encode,
    standard_extras,
)
from jingwu_telemetry.jt808.bcd import bcd_time_to_utc, utc_to_bcd_time

from .wire import dword, frame, header_2013, header_2019, item, location_body, word

PHONE = "13912345678"


def roundtrip(content: bytes) -> Message:
    """Decode a hand-built frame and check it re-encodes to exactly the same bytes."""
    wire = frame(content)
    message = decode(wire[1:-1])
    assert encode(message) == wire
    return message


# ── registration 0x0100 → 0x8100 ─────────────────────────────────────────────────────────────────


def registration_2013() -> bytes:
    """Table 8 of 808-2013: province WORD | city WORD | manufacturer BYTE[5] | model BYTE[20] |
    terminal id BYTE[7] | plate colour BYTE | plate STRING."""
    return (
        word(34)  # 安徽
        + word(1302)  # 宿州 埇桥
        + b"JWTEL"
        + b"JW-808A".ljust(20, b"\x00")
        + b"T000123"
        + bytes((1,))  # blue
        + "皖L12345".encode("gbk")
    )


def test_a_2013_registration() -> None:
    body = registration_2013()
    assert len(body) == 4 + 5 + 20 + 7 + 1 + 8
    message = roundtrip(header_2013(0x0100, len(body), PHONE, 1) + body)
    assert message.header.revision is Revision.R2013
    assert message.body == Registration(34, 1302, "JWTEL", "JW-808A", "T000123", 1, "皖L12345")


def test_a_2019_registration_has_longer_fields_and_a_20_digit_phone() -> None:
    """808-2019 Table 10: manufacturer BYTE[11], model BYTE[30], terminal id BYTE[30]."""
    body = (
        word(34)
        + word(1302)
        + b"JWTEL".ljust(11, b"\x00")
        + b"JW-808B".ljust(30, b"\x00")
        + b"T2019000000000456".ljust(30, b"\x00")
        + bytes((2,))
        + "皖LD1234".encode("gbk")
    )
    message = roundtrip(header_2019(0x0100, len(body), PHONE, 2) + body)
    assert message.header.revision is Revision.R2019
    assert message.header.phone == "00000000013912345678"
    assert message.header.terminal_phone == PHONE
    assert message.header.protocol_version == 1
    assert message.body == Registration(34, 1302, "JWTEL", "JW-808B", "T2019000000000456", 2, "皖LD1234")


def test_a_registration_shorter_than_its_table_is_a_body_error_with_the_header() -> None:
    body = registration_2013()[:30]
    with pytest.raises(Jt808Error) as error:
        decode(frame(header_2013(0x0100, len(body), PHONE, 3) + body)[1:-1])
    assert error.value.reason is Reason.BAD_BODY
    assert error.value.header is not None and error.value.header.serial == 3


def test_the_registration_response_carries_the_auth_code_on_success() -> None:
    """Table 9 of 808-2013: reply serial WORD | result BYTE | auth code STRING."""
    ok = roundtrip(header_2013(0x8100, 3 + 8, PHONE, 1) + word(1) + b"\x00" + b"AC-12345")
    assert ok.body == RegistrationResponse(1, 0, "AC-12345")
    refused = roundtrip(header_2013(0x8100, 3, PHONE, 2) + word(1) + b"\x04")
    assert refused.body == RegistrationResponse(1, 4, "")


# ── authentication 0x0102 ────────────────────────────────────────────────────────────────────────


def test_a_2013_authentication_is_the_auth_code_alone() -> None:
    message = roundtrip(header_2013(0x0102, 8, PHONE, 4) + b"AC-12345")
    assert message.body == Authentication("AC-12345")


def test_a_2019_authentication_carries_length_imei_and_software_version() -> None:
    """808-2019 Table 13: code length BYTE | auth code | IMEI BYTE[15] | software version BYTE[20]."""
    body = bytes((8,)) + b"AC-12345" + b"861234567890123" + b"V2.1.0".ljust(20, b"\x00")
    message = roundtrip(header_2019(0x0102, len(body), PHONE, 5) + body)
    assert message.body == Authentication("AC-12345", imei="861234567890123", firmware_version="V2.1.0")


def test_a_2019_authentication_whose_code_length_lies_is_rejected() -> None:
    body = bytes((9,)) + b"AC-12345" + b"861234567890123" + b"V2.1.0".ljust(20, b"\x00")
    with pytest.raises(Jt808Error) as error:
        decode(frame(header_2019(0x0102, len(body), PHONE, 5) + body)[1:-1])
    assert error.value.reason is Reason.BAD_BODY


# ── heartbeat, logout, general responses, position query, resend request ─────────────────────────


def test_logout_and_the_platform_and_terminal_general_responses() -> None:
    assert roundtrip(header_2013(0x0003, 0, PHONE, 6)).body == Logout()
    # Table 5: reply serial WORD | reply id WORD | result BYTE (4: alarm confirmed).
    assert roundtrip(header_2013(0x8001, 5, PHONE, 7) + word(6) + word(0x0003) + b"\x04").body == (
        PlatformResponse(6, 0x0003, 4)
    )
    assert roundtrip(header_2013(0x0001, 5, PHONE, 8) + word(1) + word(0x8201) + b"\x00").body == (
        TerminalResponse(1, 0x8201, Result.SUCCESS)
    )


def test_a_heartbeat_with_a_body_is_a_body_error() -> None:
    with pytest.raises(Jt808Error) as error:
        decode(frame(header_2013(0x0002, 1, PHONE, 1) + b"\x00")[1:-1])
    assert error.value.reason is Reason.BAD_BODY


def test_position_query_and_its_answer() -> None:
    assert roundtrip(header_2013(0x8201, 0, PHONE, 9)).body == PositionQuery()
    body = word(9) + location_body()
    answer = roundtrip(header_2013(0x0201, len(body), PHONE, 10) + body)
    assert isinstance(answer.body, PositionQueryResponse)
    assert answer.body.reply_serial == 9 and answer.body.report.latitude == 33.64


def test_the_resend_request_count_is_a_byte_in_2013_and_a_word_in_2019() -> None:
    """808-2013 Table 6: original serial WORD | count BYTE | ids WORD[n]; 2019 made the count a WORD."""
    ids = word(2) + word(5)
    old = roundtrip(header_2013(0x8003, 2 + 1 + 4, PHONE, 11) + word(40) + b"\x02" + ids)
    new = roundtrip(header_2019(0x8003, 2 + 2 + 4, PHONE, 11) + word(40) + word(2) + ids)
    assert old.body == new.body == ResendRequest(40, (2, 5))


def test_server_time_answer_is_bcd_utc() -> None:
    message = roundtrip(header_2019(0x8004, 6, PHONE, 1) + bytes.fromhex("261122003000"))
    assert message.body == ServerTime("261122003000")


# ── location report 0x0200 ───────────────────────────────────────────────────────────────────────


def test_a_location_report_with_every_listed_additional_item() -> None:
    items = (
        item(0x01, dword(123_456))  # mileage 1/10 km
        + item(0x02, word(455))  # fuel 1/10 L
        + item(0x03, word(612))  # recorder speed 1/10 km/h
        + item(0x30, b"\x1f")  # signal
        + item(0x31, b"\x0c")  # satellites
        + item(0xE1, b"\xca\xfe")  # a vendor's private item
        + item(0x25, dword(0b101))  # extended vehicle signal: not decoded, kept raw
    )
    body = location_body(alarm=0b11, status=0b11, speed_dkmh=605, direction=271, items=items)
    message = roundtrip(header_2013(0x0200, len(body), PHONE, 12) + body)
    assert isinstance(message.body, LocationReportBody)
    report = message.body.report
    assert (report.alarm_flags, report.status_flags) == (0b11, 0b11)  # emergency + overspeed, ACC + fixed
    assert report.positioned
    assert (report.latitude, report.longitude) == (33.64, 116.975)
    assert (report.speed_kmh, report.direction_deg, report.altitude) == (60.5, 271, 30)
    extras = standard_extras(report.items)
    assert extras.mileage_km == 12345.6
    assert extras.fuel_l == 45.5
    assert extras.recorder_speed_kmh == 61.2
    assert (extras.signal_strength, extras.satellites) == (31, 12)
    assert extras.raw == {0xE1: b"\xca\xfe", 0x25: b"\x00\x00\x00\x05"}
    assert extras.colliding == 0


def test_south_and_west_come_from_the_status_bits() -> None:
    body = location_body(status=0b1110)
    report = roundtrip(header_2013(0x0200, len(body), PHONE, 1) + body).body
    assert isinstance(report, LocationReportBody)
    assert (report.report.latitude, report.report.longitude) == (-33.64, -116.975)


def test_the_bcd_time_is_gmt_plus_8_and_becomes_utc() -> None:
    body = location_body(time="261122083000")  # 2026-11-22 08:30:00 Beijing time
    report = roundtrip(header_2013(0x0200, len(body), PHONE, 1) + body).body
    assert isinstance(report, LocationReportBody)
    assert report.report.device_time_utc() == datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
    # Across midnight and the year: 2027-01-01 07:59:59 GMT+8 is 2026-12-31 23:59:59 UTC.
    assert bcd_time_to_utc("270101075959") == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert utc_to_bcd_time(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)) == "270101075959"
    # A time that is no calendar time (terminals send zeros before their first fix) decodes as None.
    assert bcd_time_to_utc("000000000000") is None


def test_a_bcd_time_with_a_hex_digit_is_rejected() -> None:
    body = location_body()[:22] + bytes.fromhex("2611220830") + b"\x0a"
    with pytest.raises(Jt808Error) as error:
        decode(frame(header_2013(0x0200, len(body), PHONE, 1) + body)[1:-1])
    assert error.value.reason is Reason.BAD_BCD


def test_an_additional_item_running_past_the_body_is_rejected() -> None:
    body = location_body(items=bytes((0x01, 4)) + b"\x00\x01")
    with pytest.raises(Jt808Error) as error:
        decode(frame(header_2013(0x0200, len(body), PHONE, 1) + body)[1:-1])
    assert error.value.reason is Reason.BAD_BODY and "0x01" in error.value.detail


def test_private_items_that_reuse_standard_ids_are_kept_raw_not_misread() -> None:
    """Quirk: a vendor's 0x01 of 8 bytes and 0x30 of 2 bytes are not mileage and signal."""
    items = item(0x01, b"\x01\x02\x03\x04\x05\x06\x07\x08") + item(0x30, b"\x00\x63") + item(0x31, b"\x09")
    body = location_body(items=items)
    report = roundtrip(header_2013(0x0200, len(body), PHONE, 1) + body).body
    assert isinstance(report, LocationReportBody)
    extras = standard_extras(report.report.items)
    assert extras.mileage_km is None and extras.signal_strength is None
    assert extras.satellites == 9
    assert extras.raw == {0x01: b"\x01\x02\x03\x04\x05\x06\x07\x08", 0x30: b"\x00\x63"}
    assert extras.colliding == 2


def test_vendors_setting_the_2019_flag_on_2013_frames_are_read_as_2013() -> None:
    """Quirk: bit 14 set, but a 12-byte header, a 6-byte phone and 2013 bodies."""
    body = registration_2013()
    content = header_2013(0x0100, len(body), PHONE, 1, version_flag=True) + body
    message = roundtrip(content)
    assert message.header.revision is Revision.R2013
    assert message.header.version_flag_on_2013_frame
    assert isinstance(message.body, Registration) and message.body.terminal_id == "T000123"
    # The answer goes out in the layout the terminal actually speaks.
    reply = message.header.reply(0x8100, 1)
    assert reply.revision is Revision.R2013 and not reply.version_flag_on_2013_frame


# ── batch upload 0x0704 ──────────────────────────────────────────────────────────────────────────


def test_a_batch_upload_of_stored_fixes() -> None:
    """Table 91 of 808-2013: count WORD | kind BYTE (1 = blind-area backfill) | n × (length WORD | report)."""
    first = location_body(time="261122080000")
    second = location_body(time="261122080010", items=item(0x31, b"\x07"))
    body = word(2) + b"\x01" + word(len(first)) + first + word(len(second)) + second
    message = roundtrip(header_2013(0x0704, len(body), PHONE, 13) + body)
    assert isinstance(message.body, BatchUpload)
    assert message.body.kind == BatchKind.BACKFILL
    assert [r.time_bcd for r in message.body.reports] == ["261122080000", "261122080010"]
    assert message.body.reports[1].items == (AdditionalItem(0x31, b"\x07"),)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (word(2) + b"\x00" + word(28) + location_body(), "says 2 reports, has 1"),
        (word(1) + b"\x00" + word(30) + location_body(), "runs past the body"),
        (word(1) + b"\x00" + word(28) + location_body() + b"\x00", "1 bytes after the 1 reports"),
    ],
)
def test_a_batch_upload_whose_counts_lie_is_rejected(body: bytes, detail: str) -> None:
    with pytest.raises(Jt808Error) as error:
        decode(frame(header_2013(0x0704, len(body), PHONE, 1) + body)[1:-1])
    assert error.value.reason is Reason.BAD_BODY and detail in error.value.detail


def test_encoding_a_report_from_fields() -> None:
    report = LocationReport(1, 2, 39_908_722, 116_397_499, 44, 0, 0, "261122120000")
    wire = encode(Message(Header(0x0200, "013912345678", 1), LocationReportBody(report)))
    assert wire == frame(
        header_2013(0x0200, 28, PHONE, 1)
        + location_body(
            alarm=1,
            lat_e6=39_908_722,
            lon_e6=116_397_499,
            altitude=44,
            speed_dkmh=0,
            direction=0,
            time="261122120000",
        )
    )
