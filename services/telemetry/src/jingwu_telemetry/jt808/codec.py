"""Frames ⇄ messages: ``decode(escaped)`` and ``encode(message)``, pure functions over bytes.

``decode`` takes what ``FrameSplitter`` yields (the bytes between two 0x7e) and returns a ``Message``
or raises ``Jt808Error`` (and nothing else, whatever the bytes). A sub-package's body stays a
``RawBody`` slice until ``Reassembler`` has all of them; ``decode_body`` then reads the whole.
``encode(decode(x)) == x`` for every frame ``decode`` accepts.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from jingwu_telemetry.jt808.bodies import DECODERS, Body, RawBody
from jingwu_telemetry.jt808.errors import Jt808Error, Reason
from jingwu_telemetry.jt808.framing import pack, unpack
from jingwu_telemetry.jt808.header import MAX_BODY, VERSION_FLAG, Header, Packet, Revision, parse_header


@dataclass(frozen=True, slots=True)
class Message:
    header: Header
    body: Body

    @property
    def message_id(self) -> int:
        return self.header.message_id


def decode_body(header: Header, data: bytes) -> Body:
    """The body of a whole (not sub-packaged, or reassembled) message; unknown ids stay raw."""
    if header.encryption:
        raise Jt808Error(Reason.ENCRYPTED, f"encryption bits {header.encryption:03b}", header)
    decoder = DECODERS.get(header.message_id)
    if decoder is None:
        return RawBody(data)
    try:
        return decoder(data, header.revision)
    except Jt808Error as error:
        raise error.with_header(header) from None
    except (ValueError, IndexError) as error:  # defensive: the tables check sizes before reading
        raise Jt808Error(Reason.BAD_BODY, repr(error), header) from None


def decode(escaped: bytes) -> Message:
    header, data = parse_header(unpack(escaped))
    if header.packet is not None:
        return Message(header, RawBody(data))
    return Message(header, decode_body(header, data))


def encode(message: Message) -> bytes:
    body = message.body.encode(message.header.revision)
    return pack(message.header.encode(len(body)) + body)


_GENERAL_2013 = struct.Struct(">HH6sHHHB")
_GENERAL_2019 = struct.Struct(">HHB10sHHHB")


def encode_general_response(to: Header, serial: int, result: int) -> bytes:
    """The platform's 0x8001 answer to ``to`` (the frame the gateway sends most), packed directly:
    the same bytes as ``encode(Message(to.reply(0x8001, serial), PlatformResponse(...)))``."""
    phone = bytes.fromhex(to.phone)
    if to.revision is Revision.R2019:
        content = _GENERAL_2019.pack(
            0x8001, 5 | VERSION_FLAG, to.protocol_version, phone, serial, to.serial, to.message_id, result
        )
    else:
        content = _GENERAL_2013.pack(0x8001, 5, phone, serial, to.serial, to.message_id, result)
    return pack(content)


def split(header: Header, body: bytes, *, max_body: int = MAX_BODY) -> list[Message]:
    """A body too long for one frame as sub-packages with consecutive serials from ``header.serial``
    (JT/T 808 §4.4.3: the packets of one message take consecutive serial numbers)."""
    if not 1 <= max_body <= MAX_BODY:
        raise ValueError(f"max_body must be 1..{MAX_BODY}")
    chunks = [body[i : i + max_body] for i in range(0, len(body), max_body)] or [b""]
    total = len(chunks)
    return [
        Message(
            replace(header, serial=(header.serial + index) & 0xFFFF, packet=Packet(total, index + 1)),
            RawBody(chunk),
        )
        for index, chunk in enumerate(chunks)
    ]
