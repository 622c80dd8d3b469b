"""The message header (JT/T 808-2013 §4.4.3, 808-2019 §4.5.3).

2013 (12 bytes, 16 with the packet items):
  message id WORD | body attributes WORD | terminal phone BCD[6] | serial WORD [| total WORD | index WORD]
2019 (17 bytes, 21 with the packet items):
  message id WORD | body attributes WORD | protocol version BYTE | terminal phone BCD[10] | serial WORD
  [| total WORD | index WORD]
Body attributes: bits 0-9 body length, 10-12 encryption (bit 10 RSA), 13 sub-packaged, 14 version flag
(2019: set; 2013: reserved), 15 reserved.

Vendor quirk: many terminals set bit 14 on frames that are otherwise 2013 (12-byte header, 2013
bodies). The frame's length decides: with the flag set, a frame whose length only fits the 2013 layout
is read as 2013, and the flag is kept in ``reserved`` so the frame re-encodes byte for byte. A length
that fits neither layout is a LENGTH_MISMATCH.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from jingwu_telemetry.jt808.bcd import bcd_bytes, bcd_digits
from jingwu_telemetry.jt808.errors import Jt808Error, Reason

_LENGTH_MASK = 0x03FF
_ENCRYPTION_SHIFT = 10
_ENCRYPTION_MASK = 0x1C00
_PACKAGED = 0x2000
VERSION_FLAG = 0x4000
_RESERVED_2013 = 0xC000  # bits 14 and 15
_RESERVED_2019 = 0x8000  # bit 15
MAX_BODY = _LENGTH_MASK
_HEAD_2013 = struct.Struct(">HH6sH")
_HEAD_2019 = struct.Struct(">HHB10sH")
_PACKET = struct.Struct(">HH")
HEADER_2013 = _HEAD_2013.size  # 12
HEADER_2019 = _HEAD_2019.size  # 17


class Revision(IntEnum):
    R2013 = 2013
    R2019 = 2019


PHONE_BYTES = {Revision.R2013: 6, Revision.R2019: 10}


@dataclass(frozen=True, slots=True)
class Packet:
    """Packet items of a sub-packaged message: ``index`` counts from 1 to ``total``."""

    total: int
    index: int


@dataclass(frozen=True, slots=True)
class Header:
    message_id: int
    # Every BCD digit of the terminal phone number: 12 (2013) or 20 (2019), leading zeros included.
    phone: str
    serial: int
    revision: Revision = Revision.R2013
    # 2019 only (the standard starts it at 1); 0 for 2013.
    protocol_version: int = 0
    packet: Packet | None = None
    encryption: int = 0
    # Attribute bits with no meaning in this revision, as received (bit 14 on a 2013 frame: the quirk).
    reserved: int = 0

    @property
    def terminal_phone(self) -> str:
        """The phone number as the registry keys it: without leading zeros."""
        return self.phone.lstrip("0") or "0"

    @property
    def version_flag_on_2013_frame(self) -> bool:
        """The vendor quirk: the 2019 flag on a frame that is otherwise 2013."""
        return self.revision is Revision.R2013 and bool(self.reserved & VERSION_FLAG)

    def reply(self, message_id: int, serial: int) -> Header:
        """The header of the platform's message to this terminal, in the layout it actually speaks."""
        return Header(
            message_id=message_id,
            phone=self.phone,
            serial=serial,
            revision=self.revision,
            protocol_version=self.protocol_version,
        )

    def encode(self, body_length: int) -> bytes:
        if not 0 <= body_length <= MAX_BODY:
            raise ValueError(f"a body of {body_length} bytes needs sub-packaging (at most {MAX_BODY})")
        allowed = _RESERVED_2013 if self.revision is Revision.R2013 else _RESERVED_2019
        if self.reserved & ~allowed:
            raise ValueError(f"reserved bits 0x{self.reserved:04x} are not reserved in {self.revision}")
        attributes = body_length | (self.encryption << _ENCRYPTION_SHIFT) | self.reserved
        if self.packet is not None:
            attributes |= _PACKAGED
        phone = bcd_bytes(self.phone, PHONE_BYTES[self.revision])
        if self.revision is Revision.R2019:
            attributes |= VERSION_FLAG
            head = _HEAD_2019.pack(self.message_id, attributes, self.protocol_version, phone, self.serial)
        else:
            head = _HEAD_2013.pack(self.message_id, attributes, phone, self.serial)
        if self.packet is not None:
            head += _PACKET.pack(self.packet.total, self.packet.index)
        return head


def parse_header(content: bytes) -> tuple[Header, bytes]:
    """Header + body (unescaped, check code removed) → the header and the body bytes."""
    size = len(content)
    if size < HEADER_2013:
        raise Jt808Error(Reason.TOO_SHORT, f"{size} bytes, the shortest header is {HEADER_2013}")
    message_id, attributes = struct.unpack_from(">HH", content)
    length = attributes & _LENGTH_MASK
    packet_size = _PACKET.size if attributes & _PACKAGED else 0
    if attributes & VERSION_FLAG and size == HEADER_2019 + packet_size + length:
        revision = Revision.R2019
        _, _, protocol_version, phone_bcd, serial = _HEAD_2019.unpack_from(content)
        offset = HEADER_2019
        reserved = attributes & _RESERVED_2019
    elif size == HEADER_2013 + packet_size + length:
        revision = Revision.R2013
        _, _, phone_bcd, serial = _HEAD_2013.unpack_from(content)
        protocol_version = 0
        offset = HEADER_2013
        reserved = attributes & _RESERVED_2013
    else:
        layout = HEADER_2019 if attributes & VERSION_FLAG else HEADER_2013
        raise Jt808Error(
            Reason.LENGTH_MISMATCH,
            f"message 0x{message_id:04x}: attributes say a {length}-byte body, the frame carries "
            f"{size - layout - packet_size}",
        )
    phone = bcd_digits(phone_bcd, "terminal phone number")
    packet = None
    if packet_size:
        total, index = _PACKET.unpack_from(content, offset)
        offset += packet_size
        packet = Packet(total, index)
    header = Header(
        message_id=message_id,
        phone=phone,
        serial=serial,
        revision=revision,
        protocol_version=protocol_version,
        packet=packet,
        encryption=(attributes & _ENCRYPTION_MASK) >> _ENCRYPTION_SHIFT,
        reserved=reserved,
    )
    if packet is not None and not (packet.total >= 1 and 1 <= packet.index <= packet.total):
        raise Jt808Error(Reason.BAD_PACKET, f"packet {packet.index} of {packet.total}", header)
    return header, content[offset:]
