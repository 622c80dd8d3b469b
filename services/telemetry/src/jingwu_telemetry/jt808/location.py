"""Location report body (0x0200, JT/T 808-2013 §8.18, 808-2019 §8.21), also inside 0x0201 and 0x0704.

  alarm flags DWORD | status DWORD | latitude DWORD | longitude DWORD | altitude WORD | speed WORD |
  direction WORD | time BCD[6] | additional items: id BYTE, length BYTE, value BYTE[length] ...

Latitude and longitude are degrees × 10^6, unsigned; status bit 2 set means south, bit 3 west. Speed
is 1/10 km/h, direction 0-359 clockwise from north, time ``YYMMDDhhmmss`` GMT+8.

The codec keeps the additional items as they came (id and raw value, in order), so a report
re-encodes byte for byte. ``standard_extras`` reads the standard ones out of them. Vendor quirk: a
private item that reuses a standard id (a 0x01 that is not a 4-byte mileage) is recognised by its
length, which the standard fixes, and is kept as raw bytes instead of being misread.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime

from jingwu_telemetry.jt808.bcd import bcd_bytes, bcd_digits, bcd_time_to_utc
from jingwu_telemetry.jt808.errors import Jt808Error, Reason

_FIXED = struct.Struct(">IIIIHHH6s")
FIXED_SIZE = _FIXED.size  # 28

# Status bits (Table 25 of 2013 / Table 24 of 2019).
STATUS_ACC_ON = 1 << 0
STATUS_POSITIONED = 1 << 1
STATUS_SOUTH = 1 << 2
STATUS_WEST = 1 << 3
# Alarm bits used by the platform (Table 24 of 2013): bit 0 emergency, bit 1 overspeed.
ALARM_EMERGENCY = 1 << 0
ALARM_OVERSPEED = 1 << 1

# Standard additional items the gateway decodes, with the length the standard gives them.
ITEM_MILEAGE = 0x01  # DWORD, 1/10 km
ITEM_FUEL = 0x02  # WORD, 1/10 L
ITEM_RECORDER_SPEED = 0x03  # WORD, 1/10 km/h (driving recorder speed)
ITEM_SIGNAL = 0x30  # BYTE, wireless signal strength
ITEM_SATELLITES = 0x31  # BYTE, GNSS satellites in use
STANDARD_LENGTHS = {
    ITEM_MILEAGE: 4,
    ITEM_FUEL: 2,
    ITEM_RECORDER_SPEED: 2,
    ITEM_SIGNAL: 1,
    ITEM_SATELLITES: 1,
}


@dataclass(frozen=True, slots=True)
class AdditionalItem:
    item_id: int
    value: bytes


@dataclass(frozen=True, slots=True)
class LocationReport:
    alarm_flags: int
    status_flags: int
    # As on the wire: degrees × 10^6, unsigned; the hemisphere is in status bits 2 and 3.
    latitude_e6: int
    longitude_e6: int
    altitude_m: int  # WORD as sent (terminals below sea level send it two's-complement)
    speed_dkmh: int  # 1/10 km/h
    direction_deg: int
    # BCD digits YYMMDDhhmmss, GMT+8, as sent (all zeros before a terminal's first fix).
    time_bcd: str
    items: tuple[AdditionalItem, ...] = field(default=())

    @property
    def latitude(self) -> float:
        value = self.latitude_e6 / 1e6
        return -value if self.status_flags & STATUS_SOUTH else value

    @property
    def longitude(self) -> float:
        value = self.longitude_e6 / 1e6
        return -value if self.status_flags & STATUS_WEST else value

    @property
    def altitude(self) -> int:
        return self.altitude_m - 0x10000 if self.altitude_m & 0x8000 else self.altitude_m

    @property
    def speed_kmh(self) -> float:
        return self.speed_dkmh / 10

    @property
    def positioned(self) -> bool:
        return bool(self.status_flags & STATUS_POSITIONED)

    def device_time_utc(self) -> datetime | None:
        """The device's time (GMT+8 on the wire) in UTC; None when it is no calendar time."""
        return bcd_time_to_utc(self.time_bcd)

    def encode(self) -> bytes:
        parts = [
            _FIXED.pack(
                self.alarm_flags,
                self.status_flags,
                self.latitude_e6,
                self.longitude_e6,
                self.altitude_m,
                self.speed_dkmh,
                self.direction_deg,
                bcd_bytes(self.time_bcd, 6),
            )
        ]
        for item in self.items:
            if len(item.value) > 0xFF:
                raise ValueError(f"additional item 0x{item.item_id:02x} longer than 255 bytes")
            parts.append(bytes((item.item_id, len(item.value))) + item.value)
        return b"".join(parts)

    @classmethod
    def decode(cls, data: bytes) -> LocationReport:
        if len(data) < FIXED_SIZE:
            raise Jt808Error(Reason.BAD_BODY, f"location report of {len(data)} bytes, at least {FIXED_SIZE}")
        alarm, status, lat, lon, altitude, speed, direction, time = _FIXED.unpack_from(data)
        items: list[AdditionalItem] = []
        offset, size = FIXED_SIZE, len(data)
        while offset < size:
            if offset + 2 > size:
                raise Jt808Error(Reason.BAD_BODY, f"additional item header cut at byte {offset}")
            item_id, length = data[offset], data[offset + 1]
            end = offset + 2 + length
            if end > size:
                raise Jt808Error(
                    Reason.BAD_BODY, f"additional item 0x{item_id:02x} of {length} bytes runs past the body"
                )
            items.append(AdditionalItem(item_id, data[offset + 2 : end]))
            offset = end
        return cls(
            alarm_flags=alarm,
            status_flags=status,
            latitude_e6=lat,
            longitude_e6=lon,
            altitude_m=altitude,
            speed_dkmh=speed,
            direction_deg=direction,
            time_bcd=bcd_digits(time, "location time"),
            items=tuple(items),
        )


@dataclass(frozen=True, slots=True)
class Extras:
    """The standard additional items of a report, decoded; the rest raw, by id (first one wins)."""

    mileage_km: float | None = None
    fuel_l: float | None = None
    recorder_speed_kmh: float | None = None
    signal_strength: int | None = None
    satellites: int | None = None
    raw: dict[int, bytes] = field(default_factory=dict)
    # Items whose id is standard but whose length is not: a vendor's private item (the quirk).
    colliding: int = 0


def standard_extras(items: tuple[AdditionalItem, ...]) -> Extras:
    values: dict[int, float | int] = {}
    raw: dict[int, bytes] = {}
    colliding = 0
    for item in items:
        expected = STANDARD_LENGTHS.get(item.item_id)
        if expected is not None and len(item.value) == expected and item.item_id not in values:
            values[item.item_id] = int.from_bytes(item.value, "big")
            continue
        if expected is not None:
            colliding += 1
        raw.setdefault(item.item_id, item.value)
    mileage = values.get(ITEM_MILEAGE)
    fuel = values.get(ITEM_FUEL)
    speed = values.get(ITEM_RECORDER_SPEED)
    signal = values.get(ITEM_SIGNAL)
    satellites = values.get(ITEM_SATELLITES)
    return Extras(
        mileage_km=None if mileage is None else mileage / 10,
        fuel_l=None if fuel is None else fuel / 10,
        recorder_speed_kmh=None if speed is None else speed / 10,
        signal_strength=None if signal is None else int(signal),
        satellites=None if satellites is None else int(satellites),
        raw=raw,
        colliding=colliding,
    )
