"""Reading request fields the way every patrol RPC does: dates and periods checked into field
violations, enums to domain members, timestamps to the store's precision."""

from __future__ import annotations

from datetime import date

from jingwu.common.v1 import common_pb2
from jingwu_platform.errors import Validator
from jingwu_platform.proto_values import local_date_from_proto


def day(
    v: Validator, field: str, value: common_pb2.LocalDate, present: bool, *, required: bool
) -> date | None:
    """A LocalDate field: None when unset (a violation if required) or impossible (a violation)."""
    if not present:
        if required:
            v.add(field, "is required (a local date)")
        return None
    found = local_date_from_proto(value)
    v.check(found is not None, field, f"{value.year:04d}-{value.month:02d}-{value.day:02d} is not a date")
    return found


def period(
    v: Validator, field: str, value: common_pb2.DateRange, present: bool, *, required: bool
) -> tuple[date | None, date | None]:
    """A DateRange field: both ends, each checked; unset → (None, None) (violations if required)."""
    if not present:
        if required:
            v.add(field, "is required (start and end dates)")
        return None, None
    first = day(v, f"{field}.start", value.start, value.HasField("start"), required=required)
    last = day(v, f"{field}.end", value.end, value.HasField("end"), required=required)
    if first and last:
        v.check(first <= last, f"{field}.end", "must not be before the start")
    return first, last
