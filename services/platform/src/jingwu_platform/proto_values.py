"""Conversions every service's proto mapping needs: Timestamp, jingwu.common.v1.LocalDate, and domain
enums to proto enums."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar, overload

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


E = TypeVar("E", bound=Enum)


class EnumMap(Generic[E]):
    """Domain enum ⇄ proto enum numbers, by member name (``MOBILE`` ⇄ ``ROOM_KIND_MOBILE``).

    Built at import, so a domain member without its proto value fails at start, not on first use.
    """

    def __init__(self, domain: type[E], proto: Any, prefix: str) -> None:
        self._to = {member: int(proto.Value(f"{prefix}_{member.name}")) for member in domain}
        self._from = {number: member for member, number in self._to.items()}

    def to_proto(self, member: E | None) -> Any:  # the proto enum's ValueType (an int); None → 0
        return self._to[member] if member is not None else 0

    def from_proto(self, number: int) -> E | None:
        """None for 0 (unspecified) and for numbers this domain does not know."""
        return self._from.get(number)
