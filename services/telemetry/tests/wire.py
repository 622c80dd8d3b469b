"""Frames built by hand, field by field from the standard's tables, with a check code and escaping
written here independently of the codec (a loop, not the codec's functions), so the tests compare
the codec against the standard rather than against itself."""

from __future__ import annotations

from typing import Any


def xor(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def escaped(data: bytes) -> bytes:
    out = bytearray()
    for byte in data:
        if byte == 0x7E:
            out += b"\x7d\x02"
        elif byte == 0x7D:
            out += b"\x7d\x01"
        else:
            out.append(byte)
    return bytes(out)


def frame(content: bytes) -> bytes:
    """0x7e | escape(content | check code) | 0x7e."""
    return b"\x7e" + escaped(content + bytes((xor(content),))) + b"\x7e"


def word(value: int) -> bytes:
    return value.to_bytes(2, "big")


def dword(value: int) -> bytes:
    return value.to_bytes(4, "big")


def attributes(
    length: int, *, packaged: bool = False, version_flag: bool = False, encryption: int = 0
) -> bytes:
    """Body attributes WORD: bits 0-9 length, 10-12 encryption, 13 packaged, 14 version flag."""
    return word(length | encryption << 10 | int(packaged) << 13 | int(version_flag) << 14)


def header_2013(message_id: int, body_length: int, phone: str, serial: int, **flags: Any) -> bytes:
    """Message id | attributes | phone BCD[6] | serial (Table 2 of 808-2013)."""
    return (
        word(message_id)
        + attributes(body_length, **flags)
        + bytes.fromhex(phone.rjust(12, "0"))
        + word(serial)
    )


def header_2019(message_id: int, body_length: int, phone: str, serial: int, *, version: int = 1) -> bytes:
    """Message id | attributes (bit 14 set) | protocol version | phone BCD[10] | serial (808-2019)."""
    return (
        word(message_id)
        + attributes(body_length, version_flag=True)
        + bytes((version,))
        + bytes.fromhex(phone.rjust(20, "0"))
        + word(serial)
    )


def location_body(
    *,
    alarm: int = 0,
    status: int = 0b10,
    lat_e6: int = 33_640_000,
    lon_e6: int = 116_975_000,
    altitude: int = 30,
    speed_dkmh: int = 600,
    direction: int = 90,
    time: str = "261122083000",
    items: bytes = b"",
) -> bytes:
    """Table 23 of 808-2013: alarm DWORD | status DWORD | lat DWORD | lon DWORD | altitude WORD |
    speed WORD | direction WORD | time BCD[6] | additional items."""
    return (
        dword(alarm)
        + dword(status)
        + dword(lat_e6)
        + dword(lon_e6)
        + word(altitude)
        + word(speed_dkmh)
        + word(direction)
        + bytes.fromhex(time)
        + items
    )


def item(item_id: int, value: bytes) -> bytes:
    return bytes((item_id, len(value))) + value
