"""BCD fields (8421 code) and the BCD[6] time ``YYMMDDhhmmss``, which terminals send in GMT+8."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from jingwu_telemetry.jt808.errors import Jt808Error, Reason

# JT/T 808 times are Beijing time (GMT+8), which has had no daylight saving since 1991.
GMT8 = timezone(timedelta(hours=8), "GMT+8")


def bcd_digits(data: bytes, what: str) -> str:
    """The decimal digits of a BCD field; Jt808Error(BAD_BCD) for a nibble above 9."""
    digits = data.hex()
    if not digits.isdigit():
        raise Jt808Error(Reason.BAD_BCD, f"{what} is not BCD: {digits}")
    return digits


def bcd_bytes(digits: str, size: int) -> bytes:
    """``digits`` as BCD[size], left-padded with zeros; ValueError when they do not fit (an encoder
    bug, not a wire error)."""
    if not digits.isdigit() and digits:
        raise ValueError(f"not decimal digits: {digits!r}")
    if len(digits) > size * 2:
        raise ValueError(f"{digits!r} does not fit BCD[{size}]")
    return bytes.fromhex(digits.rjust(size * 2, "0"))


def bcd_time_to_utc(digits: str) -> datetime | None:
    """``YYMMDDhhmmss`` in GMT+8 (year 20YY) as a UTC time; None when it is no calendar time (terminals
    send all zeros before their first fix)."""
    try:
        local = datetime(
            2000 + int(digits[0:2]),
            int(digits[2:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            tzinfo=GMT8,
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def utc_to_bcd_time(at: datetime, zone: timezone = GMT8) -> str:
    """A UTC time as ``YYMMDDhhmmss`` in GMT+8 (or ``zone``, for a server-time answer in UTC)."""
    if at.tzinfo is None:
        raise ValueError("a JT/T 808 time needs a timezone-aware datetime")
    local = at.astimezone(zone)
    if not 2000 <= local.year <= 2099:
        raise ValueError(f"{local.year} is outside what BCD[6] YY can carry")
    return local.strftime("%y%m%d%H%M%S")
