"""Property-based tests of the JT/T 808 codec (Hypothesis): every frame the codec accepts re-encodes to
the same bytes, every message survives encode → decode, and no input makes the decoder raise anything
but its own Jt808Error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from jingwu_telemetry.jt808 import (
    AdditionalItem,
    Authentication,
    BatchUpload,
    FrameSplitter,
    Header,
    Heartbeat,
    Jt808Error,
    LocationReport,
    LocationReportBody,
    Logout,
    Message,
    Packet,
    PlatformResponse,
    PositionQueryResponse,
    RawBody,
    Registration,
    RegistrationResponse,
    ResendRequest,
    Revision,
    decode,
    encode,
)
from jingwu_telemetry.jt808.bcd import bcd_time_to_utc, utc_to_bcd_time
from jingwu_telemetry.jt808.header import VERSION_FLAG

WORD = st.integers(0, 0xFFFF)
DWORD = st.integers(0, 0xFFFF_FFFF)
BYTE = st.integers(0, 0xFF)
ASCII = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=5)
GBK_TEXT = st.text(st.sampled_from("皖苏京沪ABC0123456789-"), max_size=8)


def bcd_digits(size: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from("0123456789"), min_size=size, max_size=size)


items = st.lists(st.builds(AdditionalItem, BYTE, st.binary(max_size=12)), max_size=6).map(tuple)
reports = st.builds(
    LocationReport,
    alarm_flags=DWORD,
    status_flags=DWORD,
    latitude_e6=DWORD,
    longitude_e6=DWORD,
    altitude_m=WORD,
    speed_dkmh=WORD,
    direction_deg=WORD,
    time_bcd=bcd_digits(12),
    items=items,
)


@st.composite
def headers(draw: st.DrawFn, message_id: int) -> Header:
    revision = draw(st.sampled_from(Revision))
    reserved = 0x8000 * draw(st.booleans())
    if revision is Revision.R2013 and draw(st.booleans()):
        reserved |= VERSION_FLAG  # the vendor quirk
    return Header(
        message_id=message_id,
        phone=draw(bcd_digits(12 if revision is Revision.R2013 else 20)),
        serial=draw(WORD),
        revision=revision,
        protocol_version=draw(BYTE) if revision is Revision.R2019 else 0,
        reserved=reserved,
    )


def message_with(message_id: int, body: st.SearchStrategy[object]) -> st.SearchStrategy[Message]:
    return st.builds(Message, headers(message_id), body)


# Text fields no longer than the shortest (2013) field, manufacturer BYTE[5].
registrations = st.builds(Registration, WORD, WORD, ASCII, ASCII, ASCII, BYTE, GBK_TEXT)


messages = st.one_of(
    message_with(0x0002, st.just(Heartbeat())),
    message_with(0x0003, st.just(Logout())),
    message_with(0x8001, st.builds(PlatformResponse, WORD, WORD, BYTE)),
    message_with(0x8100, st.builds(RegistrationResponse, WORD, BYTE, ASCII)),
    message_with(0x0100, registrations),
    message_with(0x0200, st.builds(LocationReportBody, reports)),
    message_with(0x0201, st.builds(PositionQueryResponse, WORD, reports)),
    message_with(0x0704, st.builds(BatchUpload, st.integers(0, 1), st.lists(reports, max_size=4).map(tuple))),
    message_with(0x8003, st.builds(ResendRequest, WORD, st.lists(WORD, max_size=10).map(tuple))),
    message_with(0x0900, st.builds(RawBody, st.binary(max_size=40))),
)


@given(messages)
@settings(max_examples=400)
def test_every_message_survives_encode_then_decode(message: Message) -> None:
    wire = encode(message)
    assert wire[0] == wire[-1] == 0x7E and b"\x7e" not in wire[1:-1]
    assert decode(wire[1:-1]) == message


@given(messages)
@settings(max_examples=400)
def test_every_accepted_frame_re_encodes_to_the_same_bytes(message: Message) -> None:
    wire = encode(message)
    assert encode(decode(wire[1:-1])) == wire


@given(st.builds(Authentication, ASCII), st.text(st.sampled_from("0123456789"), max_size=15), ASCII)
def test_2019_authentication_round_trips(plain: Authentication, imei: str, firmware: str) -> None:
    header = Header(0x0102, "0" * 20, 1, revision=Revision.R2019, protocol_version=1)
    message = Message(header, Authentication(plain.auth_code, imei, firmware))
    assert decode(encode(message)[1:-1]) == message
    old = Message(Header(0x0102, "0" * 12, 1), plain)
    assert decode(encode(old)[1:-1]) == old


@given(st.binary(max_size=300))
@settings(max_examples=1500)
def test_decode_raises_nothing_but_its_own_error(data: bytes) -> None:
    try:
        message = decode(data)
    except Jt808Error:
        return
    assert isinstance(message, Message)


@given(messages, st.lists(st.tuples(st.integers(0, 200), BYTE), min_size=1, max_size=4))
@settings(max_examples=600)
def test_a_corrupted_frame_is_refused_with_a_reason_or_decodes_to_some_message(
    message: Message, corruptions: list[tuple[int, int]]
) -> None:
    wire = bytearray(encode(message)[1:-1])
    for position, value in corruptions:
        wire[position % len(wire)] = value
    try:
        decode(bytes(wire))
    except Jt808Error as error:
        assert error.reason.value
        assert error.detail


@given(st.lists(messages, min_size=1, max_size=5), st.lists(st.integers(1, 30), max_size=20))
def test_the_splitter_gives_back_every_frame_however_the_stream_is_cut(
    sent: list[Message], cuts: list[int]
) -> None:
    stream = b"".join(encode(m) for m in sent)
    splitter = FrameSplitter()
    received: list[Message] = []
    position = 0
    for cut in [*cuts, len(stream)]:
        chunk, position = stream[position : position + cut], position + cut
        received += [decode(c) for c in splitter.feed(chunk) if isinstance(c, bytes)]
    received += [decode(c) for c in splitter.feed(stream[position:]) if isinstance(c, bytes)]
    assert received == sent


@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)))
def test_bcd_time_round_trips_through_gmt_plus_8(at: datetime) -> None:
    moment = at.replace(microsecond=0, tzinfo=UTC)
    digits = utc_to_bcd_time(moment)
    assert bcd_time_to_utc(digits) == moment
    assert (moment + timedelta(hours=8)).strftime("%y%m%d%H%M%S") == digits


@given(st.builds(Packet, st.integers(1, 10), st.integers(1, 10)))
def test_sub_packages_round_trip(packet: Packet) -> None:
    if packet.index > packet.total:
        return
    message = Message(Header(0x0704, "0" * 12, 3, packet=packet), RawBody(b"\x01\x7e\x7d"))
    assert decode(encode(message)[1:-1]) == message


@given(headers(0x0200), WORD, st.integers(0, 4))
def test_the_fast_general_response_is_the_same_bytes_as_the_codec_s(
    header: Header, serial: int, result: int
) -> None:
    from jingwu_telemetry.jt808.codec import encode_general_response

    expected = encode(Message(header.reply(0x8001, serial), PlatformResponse(header.serial, 0x0200, result)))
    assert encode_general_response(header, serial, result) == expected
