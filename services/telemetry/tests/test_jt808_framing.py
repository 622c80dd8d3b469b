"""JT/T 808 framing: flags, escaping both ways, the check code, and frames over a TCP stream (R-TEL-2)."""

from __future__ import annotations

import pytest
from jingwu_telemetry.jt808 import (
    FrameSplitter,
    Header,
    Heartbeat,
    Jt808Error,
    LocationReportBody,
    Message,
    RawBody,
    Reason,
    decode,
    encode,
)
from jingwu_telemetry.jt808.framing import check_code, escape, unescape

from .wire import frame, header_2013, location_body, xor


def test_a_heartbeat_built_from_the_table_decodes_and_encodes_to_the_same_bytes() -> None:
    wire = frame(header_2013(0x0002, 0, "13912345678", 0x0102))
    # id 0002 | attributes 0000 | phone 013912345678 | serial 0102 | check 0x31 (XOR of the 12 bytes)
    assert wire == bytes.fromhex("7e000200000139123456780102317e")
    message = decode(wire[1:-1])
    assert message == Message(Header(0x0002, "013912345678", 0x0102), Heartbeat())
    assert message.header.terminal_phone == "13912345678"
    assert encode(message) == wire


def test_0x7e_and_0x7d_inside_the_body_are_escaped_and_restored() -> None:
    # A latitude whose bytes are 7e 7d 7e 7d: every one escaped on the wire.
    body = location_body(lat_e6=0x7E7D7E7D)
    content = header_2013(0x0200, len(body), "13912345678", 1) + body
    wire = frame(content)
    assert b"\x7d\x02\x7d\x01\x7d\x02\x7d\x01" in wire
    assert wire.count(b"\x7e") == 2  # only the flags
    message = decode(wire[1:-1])
    assert isinstance(message.body, LocationReportBody)
    assert message.body.report.latitude_e6 == 0x7E7D7E7D
    assert encode(message) == wire


@pytest.mark.parametrize("check", [0x7E, 0x7D])
def test_a_check_code_of_0x7e_or_0x7d_is_escaped(check: int) -> None:
    # Choose the serial so that the XOR of header + body is exactly ``check``.
    serial = next(s for s in range(0x10000) if xor(header_2013(0x0002, 0, "13912345678", s)) == check)
    content = header_2013(0x0002, 0, "13912345678", serial)
    wire = frame(content)
    assert wire.endswith(b"\x7d\x02\x7e" if check == 0x7E else b"\x7d\x01\x7e")
    assert decode(wire[1:-1]).header.serial == serial
    assert encode(decode(wire[1:-1])) == wire


def test_escape_and_unescape_are_inverse_on_every_byte_pair() -> None:
    data = bytes(range(256)) + b"\x7d\x7e\x7e\x7d\x7d\x02\x7d\x01"
    assert b"\x7e" not in escape(data)
    assert unescape(escape(data)) == data


@pytest.mark.parametrize("bad", [b"\x00\x7d\x03\x00", b"\x00\x7d", b"\x7d\x7d\x01"])
def test_a_0x7d_not_followed_by_01_or_02_is_a_bad_escape(bad: bytes) -> None:
    with pytest.raises(Jt808Error) as error:
        unescape(bad)
    assert error.value.reason is Reason.BAD_ESCAPE


def test_a_bad_check_code_is_rejected_with_its_reason() -> None:
    wire = bytearray(frame(header_2013(0x0002, 0, "13912345678", 5)))
    wire[-2] ^= 0x01
    with pytest.raises(Jt808Error) as error:
        decode(bytes(wire[1:-1]))
    assert error.value.reason is Reason.BAD_CHECK_CODE
    assert error.value.header is None  # the header of a frame with a bad check code is not trusted


def test_the_check_code_is_the_xor_of_every_byte() -> None:
    assert check_code(b"") == 0
    assert check_code(b"\x01\x02\x04\x08\xf0") == 0xFF
    data = bytes(range(1, 200))
    assert check_code(data) == xor(data)


def test_a_body_length_that_disagrees_with_the_attributes_is_rejected() -> None:
    body = location_body()
    content = header_2013(0x0200, len(body) + 1, "13912345678", 1) + body  # one byte claimed too many
    with pytest.raises(Jt808Error) as error:
        decode(frame(content)[1:-1])
    assert error.value.reason is Reason.LENGTH_MISMATCH
    assert "29-byte body" in error.value.detail and "carries 28" in error.value.detail


def test_a_phone_number_that_is_not_bcd_is_rejected() -> None:
    content = bytes.fromhex("00020000") + bytes.fromhex("0139123456AB") + bytes.fromhex("0001")
    with pytest.raises(Jt808Error) as error:
        decode(frame(content)[1:-1])
    assert error.value.reason is Reason.BAD_BCD


def test_an_encrypted_body_is_refused_as_unsupported_with_the_header_known() -> None:
    content = header_2013(0x0002, 0, "13912345678", 9, encryption=1)
    with pytest.raises(Jt808Error) as error:
        decode(frame(content)[1:-1])
    assert error.value.reason is Reason.ENCRYPTED
    assert error.value.header is not None and error.value.header.serial == 9


def test_an_unknown_message_id_is_kept_raw() -> None:
    content = header_2013(0x0900, 3, "13912345678", 2) + b"\x41\x7e\x42"
    message = decode(frame(content)[1:-1])
    assert message.body == RawBody(b"\x41\x7e\x42")
    assert encode(message) == frame(content)


# ── a TCP stream ─────────────────────────────────────────────────────────────────────────────────


def frames(count: int) -> list[bytes]:
    return [frame(header_2013(0x0002, 0, "13912345678", serial)) for serial in range(count)]


def test_frames_split_across_reads_come_out_whole() -> None:
    wire = b"".join(frames(3))
    splitter = FrameSplitter()
    out: list[bytes | Jt808Error] = []
    for byte in wire:  # one byte per read: the worst split there is
        out += splitter.feed(bytes((byte,)))
    assert [decode(c).header.serial for c in out if isinstance(c, bytes)] == [0, 1, 2]
    assert splitter.buffered == 0


def test_several_frames_in_one_read_and_a_shared_flag_between_frames() -> None:
    one, two, three = frames(3)
    shared = one + two[1:]  # ...7e 7e... collapsed to one 7e, as some terminals do
    out = FrameSplitter().feed(shared + three)
    assert [decode(c).header.serial for c in out if isinstance(c, bytes)] == [0, 1, 2]


def test_an_escape_split_between_two_reads_is_kept() -> None:
    body = location_body(lat_e6=0x7E7D7E7D)
    wire = frame(header_2013(0x0200, len(body), "13912345678", 1) + body)
    cut = wire.index(b"\x7d") + 1  # the read ends right after a 0x7d
    splitter = FrameSplitter()
    assert splitter.feed(wire[:cut]) == []
    (content,) = splitter.feed(wire[cut:])
    assert isinstance(content, bytes)
    assert decode(content).header.serial == 1


def test_garbage_before_the_first_flag_and_an_endless_frame_are_errors_and_the_stream_goes_on() -> None:
    splitter = FrameSplitter(max_escaped=64)
    out = splitter.feed(b"GET / HTTP/1.1\r\n" + frames(1)[0])
    assert isinstance(out[0], Jt808Error) and out[0].reason is Reason.GARBAGE
    assert isinstance(out[1], bytes)
    runaway = splitter.feed(b"\x7e" + b"\x01" * 100)
    assert [e.reason for e in runaway if isinstance(e, Jt808Error)] == [Reason.FRAME_TOO_LONG]
    after = splitter.feed(frames(2)[1])
    assert [decode(c).header.serial for c in after if isinstance(c, bytes)] == [1]
