"""Conversions between Python values and the shared proto types (Timestamp, jingwu.common.v1.LocalDate)
that every service's proto mapping needs."""

from __future__ import annotations

from datetime import date, datetime
from typing import overload

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2


def timestamp(at: datetime | None) -> Timestamp | None:
    """A Timestamp for ``at`` (None stays None, leaving the field unset)."""
    if at is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


@overload
def local_date_to_proto(day: date) -> common_pb2.LocalDate: ...
@overload
def local_date_to_proto(day: None) -> None: ...
def local_date_to_proto(day: date | None) -> common_pb2.LocalDate | None:
    if day is None:
        return None
    return common_pb2.LocalDate(year=day.year, month=day.month, day=day.day)


def local_date_from_proto(value: common_pb2.LocalDate) -> date | None:
    """None for an unset or impossible date (2026-02-30): callers report it as a field violation."""
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        return None
