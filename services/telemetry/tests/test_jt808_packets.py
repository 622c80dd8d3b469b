"""Sub-packaged JT/T 808 messages: packet items in the header, reassembly, a missing packet asked for
again with 0x8003, and the timeout that gives it up (808-2013 §7.12, §8.4; 808-2019 §8.6)."""

from __future__ import annotations

import pytest
from jingwu_telemetry.jt808 import (
    Abandoned,
    BatchUpload,
    Completed,
    Header,
    Jt808Error,
    Packet,
    RawBody,
    Reason,
    Reassembler,
    ResendDue,
    Revision,
    decode,
    decode_body,
    encode,
    split,
)

from .wire import frame, location_body, word

PHONE = "13912345678"


def packet_header(message_id: int, length: int, serial: int, total: int, index: int) -> bytes:
    """2013 header with the packet items: ... serial WORD | total WORD | index WORD (bit 13 set)."""
    return (
        word(message_id)
        + word(length | 1 << 13)
        + bytes.fromhex(PHONE.rjust(12, "0"))
        + word(serial)
        + word(total)
        + word(index)
    )


def batch_body(count: int) -> bytes:
    reports = b"".join(word(28) + location_body(time=f"2611220800{n:02d}") for n in range(count))
    return word(count) + b"\x01" + reports


def packets(body: bytes, first_serial: int, size: int) -> list[bytes]:
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    return [
        frame(packet_header(0x0704, len(chunk), first_serial + n, len(chunks), n + 1) + chunk)
        for n, chunk in enumerate(chunks)
    ]


def test_a_sub_package_decodes_with_its_packet_items_and_a_raw_slice() -> None:
    wire = packets(batch_body(3), 100, 40)[1]
    message = decode(wire[1:-1])
    assert message.header.packet == Packet(3, 2)
    assert message.header.serial == 101
    assert isinstance(message.body, RawBody) and len(message.body.data) == 40
    assert encode(message) == wire


def test_packets_in_any_order_reassemble_into_the_message() -> None:
    body = batch_body(3)  # 3 + 3 × 30 = 93 bytes, in packets of 40
    frames = packets(body, 100, 40)
    reassembler = Reassembler()
    results = [reassembler.add(*decode_raw(wire), now=0.0) for wire in reversed(frames)]
    assert results[:2] == [None, None]
    done = results[2]
    assert isinstance(done, Completed)
    assert done.body == body and done.serials == (100, 101, 102)
    assert done.header.serial == 100 and done.header.packet is None
    whole = decode_body(done.header, done.body)
    assert isinstance(whole, BatchUpload) and len(whole.reports) == 3
    assert len(reassembler) == 0


def decode_raw(wire: bytes) -> tuple[Header, bytes]:
    message = decode(wire[1:-1])
    assert isinstance(message.body, RawBody)
    return message.header, message.body.data


def test_a_missing_packet_is_asked_for_then_completes_when_resent() -> None:
    frames = [decode(f[1:-1]) for f in packets(batch_body(3), 7, 40)]
    reassembler = Reassembler(timeout_s=5.0, max_requests=2)
    for message in (frames[0], frames[2]):  # packet 2 of 3 lost
        assert isinstance(message.body, RawBody)
        assert reassembler.add(message.header, message.body.data, now=0.0) is None
    assert reassembler.expire(now=4.9) == []
    (due,) = reassembler.expire(now=5.0)
    assert isinstance(due, ResendDue)
    assert (due.original_serial, due.missing) == (7, (2,))  # the 0x8003 names serial 7, packet 2
    assert isinstance(frames[1].body, RawBody)
    done = reassembler.add(frames[1].header, frames[1].body.data, now=6.0)
    assert isinstance(done, Completed) and done.serials == (7, 8, 9)


def test_a_message_whose_packets_never_come_is_given_up_after_the_requests() -> None:
    first = decode(packets(batch_body(3), 7, 40)[0][1:-1])
    assert isinstance(first.body, RawBody)
    reassembler = Reassembler(timeout_s=1.0, max_requests=2)
    reassembler.add(first.header, first.body.data, now=0.0)
    kinds = [type(r).__name__ for t in (1.0, 2.0, 3.0) for r in reassembler.expire(now=t)]
    assert kinds == ["ResendDue", "ResendDue", "Abandoned"]
    assert len(reassembler) == 0


def test_a_repeated_packet_changes_nothing() -> None:
    frames = [decode(f[1:-1]) for f in packets(batch_body(2), 1, 40)]
    reassembler = Reassembler()
    for message in (frames[0], frames[0]):
        assert isinstance(message.body, RawBody)
        assert reassembler.add(message.header, message.body.data, now=0.0) is None
    assert isinstance(frames[1].body, RawBody)
    assert isinstance(reassembler.add(frames[1].header, frames[1].body.data, now=0.0), Completed)


def test_too_many_partial_messages_evict_the_oldest_and_too_many_packets_are_refused() -> None:
    reassembler = Reassembler(max_messages=1, max_packets=4)
    one = Header(0x0704, "013912345678", 1, packet=Packet(2, 1))
    two = Header(0x0704, "013912345678", 50, packet=Packet(2, 1))
    assert reassembler.add(one, b"a", now=0.0) is None
    evicted = reassembler.add(two, b"b", now=1.0)
    assert isinstance(evicted, Abandoned) and evicted.original_serial == 1
    with pytest.raises(Jt808Error) as error:
        reassembler.add(Header(0x0704, "013912345678", 9, packet=Packet(5, 1)), b"c", now=0.0)
    assert error.value.reason is Reason.BAD_PACKET


def test_a_packet_index_outside_its_total_is_a_packet_error() -> None:
    content = packet_header(0x0704, 1, 1, 2, 3) + b"\x00"
    with pytest.raises(Jt808Error) as error:
        decode(frame(content)[1:-1])
    assert error.value.reason is Reason.BAD_PACKET


def test_split_makes_packets_with_consecutive_serials_that_reassemble() -> None:
    body = batch_body(40)  # 1,203 bytes: more than one frame can carry
    header = Header(0x0704, "00000000013912345678", 0xFFFE, revision=Revision.R2019, protocol_version=1)
    parts = split(header, body)
    assert [p.header.serial for p in parts] == [0xFFFE, 0xFFFF]  # wraps like any serial
    assert [p.header.packet for p in parts] == [Packet(2, 1), Packet(2, 2)]
    reassembler = Reassembler()
    done = None
    for part in parts:
        decoded = decode(encode(part)[1:-1])
        assert isinstance(decoded.body, RawBody)
        done = reassembler.add(decoded.header, decoded.body.data, now=0.0)
    assert isinstance(done, Completed) and done.body == body
