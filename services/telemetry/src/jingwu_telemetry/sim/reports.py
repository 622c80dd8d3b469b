"""Location reports as a simulated terminal builds them."""

from __future__ import annotations

from datetime import datetime

from jingwu_telemetry.jt808 import AdditionalItem, LocationReport
from jingwu_telemetry.jt808.bcd import utc_to_bcd_time
from jingwu_telemetry.jt808.location import STATUS_ACC_ON, STATUS_POSITIONED, STATUS_SOUTH, STATUS_WEST


def report_at(
    latitude: float,
    longitude: float,
    at: datetime,
    *,
    speed_kmh: float = 0.0,
    heading: int = 0,
    altitude: int = 30,
    alarm: int = 0,
    mileage_km: float | None = None,
    satellites: int | None = 9,
    extra_items: tuple[AdditionalItem, ...] = (),
    clock_time: datetime | None = None,
) -> LocationReport:
    """A positioned report; ``clock_time`` is what the terminal's clock says (on a wrong zone), by
    default ``at``."""
    status = STATUS_ACC_ON | STATUS_POSITIONED
    if latitude < 0:
        status |= STATUS_SOUTH
    if longitude < 0:
        status |= STATUS_WEST
    items: list[AdditionalItem] = []
    if mileage_km is not None:
        items.append(AdditionalItem(0x01, round(mileage_km * 10).to_bytes(4, "big")))
    if satellites is not None:
        items.append(AdditionalItem(0x31, bytes((satellites,))))
    items.extend(extra_items)
    return LocationReport(
        alarm_flags=alarm,
        status_flags=status,
        latitude_e6=round(abs(latitude) * 1e6),
        longitude_e6=round(abs(longitude) * 1e6),
        altitude_m=altitude & 0xFFFF,
        speed_dkmh=round(speed_kmh * 10),
        direction_deg=heading % 360,
        time_bcd=utc_to_bcd_time(clock_time or at),
        items=tuple(items),
    )
