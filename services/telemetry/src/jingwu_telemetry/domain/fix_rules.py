"""What makes a fix acceptable (R-TEL-1, R-PAT-6 evidence): the checks on a single fix, shared by the
handheld endpoint (a 400 naming the field) and the consumer (a dead letter with the reason), and the
plausibility check against the device's previous fix, which only the consumer can make. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class FixRules:
    # A fix this far ahead of its receipt comes from a wrong clock.
    max_ahead: timedelta = timedelta(minutes=5)
    # Real-time reports older than this are not real-time; stored fixes (backfill) may be older.
    max_age_realtime: timedelta = timedelta(hours=24)
    max_age_backfill: timedelta = timedelta(days=30)
    # Faster than this between two fixes of one device is a jump, not a drive (a bad fix).
    max_speed_kmh: float = 250.0
    # Below this distance a "jump" is GPS noise, whatever the time between the fixes.
    jump_floor_m: float = 200.0
    max_reported_speed_kmh: float = 400.0
    # After this many jumps in a row from the same place, the device really moved: believe it.
    max_jump_rejections: int = 3


DEFAULT_RULES = FixRules()


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def fix_violations(
    *,
    latitude: float,
    longitude: float,
    fix_time: datetime | None,
    received: datetime,
    speed_kmh: float = 0.0,
    heading_deg: float = 0.0,
    backfill: bool = False,
    rules: FixRules = DEFAULT_RULES,
    prefix: str = "",
) -> list[tuple[str, str]]:
    """(field, why) for each problem of one fix; empty when it is acceptable."""
    problems: list[tuple[str, str]] = []
    if not (math.isfinite(latitude) and -90.0 <= latitude <= 90.0):
        problems.append((f"{prefix}latitude", f"{latitude} is outside -90..90"))
    if not (math.isfinite(longitude) and -180.0 <= longitude <= 180.0):
        problems.append((f"{prefix}longitude", f"{longitude} is outside -180..180"))
    if latitude == 0.0 and longitude == 0.0:
        problems.append((f"{prefix}latitude", "0,0 is no position (a receiver without a fix)"))
    if not (math.isfinite(speed_kmh) and 0.0 <= speed_kmh <= rules.max_reported_speed_kmh):
        problems.append(
            (f"{prefix}speed", f"{speed_kmh} km/h is outside 0..{rules.max_reported_speed_kmh:g}")
        )
    if not (math.isfinite(heading_deg) and 0.0 <= heading_deg <= 360.0):
        problems.append((f"{prefix}heading", f"{heading_deg} is outside 0..360"))
    if fix_time is None:
        problems.append((f"{prefix}fix_time", "no fix time (the device sent no calendar time)"))
    elif fix_time - received > rules.max_ahead:
        ahead = (fix_time - received).total_seconds() / 60
        problems.append((f"{prefix}fix_time", f"too skewed: {ahead:.0f} min ahead of its receipt"))
    else:
        limit = rules.max_age_backfill if backfill else rules.max_age_realtime
        if received - fix_time > limit:
            kind = "a stored fix" if backfill else "a real-time fix"
            problems.append((f"{prefix}fix_time", f"too skewed: older than {limit} for {kind}"))
    return problems


def implausible_jump(
    previous: tuple[float, float, datetime],
    latitude: float,
    longitude: float,
    fix_time: datetime,
    rules: FixRules = DEFAULT_RULES,
) -> str:
    """Why the move from the previous fix (lat, lon, time) is no drive; "" when it is plausible."""
    lat0, lon0, at0 = previous
    metres = distance_m(lat0, lon0, latitude, longitude)
    if metres <= rules.jump_floor_m:
        return ""
    seconds = abs((fix_time - at0).total_seconds())
    kmh = math.inf if seconds == 0 else metres / seconds * 3.6
    if kmh > rules.max_speed_kmh:
        return f"implausible: {metres:.0f} m in {seconds:.0f} s ({kmh:.0f} km/h) from the previous fix"
    return ""
