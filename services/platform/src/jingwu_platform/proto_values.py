"""Conversions every service's proto mapping needs: Timestamp, jingwu.common.v1.LocalDate, and domain
enums to proto enums."""

from __future__ import annotations

import math
from datetime import date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar, overload

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2

from jingwu_platform.errors import FieldViolation


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


# The range of google.protobuf.Timestamp and Duration (their .proto comments): outside it no datetime or
# timedelta holds the value and the well-known-type helpers (ToDatetime, ToTimedelta) raise.
_TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)  # 0001-01-01 .. 9999-12-31T23:59:59Z
_DURATION_SECONDS = 315_576_000_000  # ±10,000 years
_TIMESTAMP, _DURATION = "google.protobuf.Timestamp", "google.protobuf.Duration"


def _time_problem(kind: str, seconds: int, nanos: int) -> str | None:
    if kind == _TIMESTAMP:
        low, high = _TIMESTAMP_SECONDS
        if not low <= seconds <= high:
            return f"seconds {seconds} is outside 0001-01-01..9999-12-31"
        if not 0 <= nanos <= 999_999_999:
            return f"nanos {nanos} is outside 0..999999999"
        return None
    if not -_DURATION_SECONDS <= seconds <= _DURATION_SECONDS:
        return f"seconds {seconds} is outside ±{_DURATION_SECONDS}"
    if not -999_999_999 <= nanos <= 999_999_999 or (seconds and nanos and (seconds < 0) != (nanos < 0)):
        return f"nanos {nanos} is outside -999999999..999999999 or has another sign than seconds"
    return None


_FLOAT = "float"  # a float or double field (FieldDescriptor.TYPE_DOUBLE 1, TYPE_FLOAT 2)
_FLOAT_TYPES = (1, 2)
_holds_checked: dict[str, bool] = {}


def _may_hold_checked(descriptor: Any) -> bool:
    """Whether messages of this type can contain a Timestamp, a Duration or a float at any depth
    (cached)."""
    name = descriptor.full_name
    if name not in _holds_checked:
        _holds_checked[name] = False  # a recursive type is answered by its other fields
        _holds_checked[name] = name in (_TIMESTAMP, _DURATION) or any(
            f.type in _FLOAT_TYPES or (f.message_type is not None and _may_hold_checked(f.message_type))
            for f in descriptor.fields
        )
    return _holds_checked[name]


_SINGULAR, _REPEATED, _MAP = 0, 1, 2
# Per message type: (field name, what it holds, shape) of each field that may hold a checked value;
# what it holds is a message type's full name, or _FLOAT.
_plans: dict[str, tuple[tuple[str, str, int], ...]] = {}


def _plan(descriptor: Any) -> tuple[tuple[str, str, int], ...]:
    plan = _plans.get(descriptor.full_name)
    if plan is None:
        steps = []
        for field in descriptor.fields:
            shape = _REPEATED if field.is_repeated else _SINGULAR
            inner = field.message_type
            if inner is not None and inner.GetOptions().map_entry:
                value = inner.fields_by_name["value"]
                inner, shape = value.message_type, _MAP
                if value.type in _FLOAT_TYPES:
                    steps.append((field.name, _FLOAT, shape))
            if field.type in _FLOAT_TYPES:
                steps.append((field.name, _FLOAT, shape))
            elif inner is not None and _may_hold_checked(inner):
                steps.append((field.name, inner.full_name, shape))
        plan = _plans[descriptor.full_name] = tuple(steps)
    return plan


# A point on the map: WGS-84 degrees. Outside them no place exists, and the grid arithmetic of a finite
# but huge degree (latitude 1e308 × 100) overflows (found by fuzzing QueryMap).
_GEO_POINT = "jingwu.common.v1.GeoPoint"
_DEGREES = (("longitude", 180.0), ("latitude", 90.0))


def _point_problems(point: Any, path: str, found: list[FieldViolation]) -> None:
    for name, limit in _DEGREES:
        value = getattr(point, name)
        inner = f"{path}.{name}" if path else name
        if not math.isfinite(value):
            found.append(FieldViolation(inner, f"{value} is not a finite number"))
        elif not -limit <= value <= limit:
            found.append(FieldViolation(inner, f"{name} {value} is outside [-{limit:.0f}, {limit:.0f}]"))


def _checked(value: Any, kind: str, path: str, found: list[FieldViolation]) -> None:
    if kind == _GEO_POINT:
        _point_problems(value, path, found)
    elif kind == _FLOAT:
        if not math.isfinite(value):
            found.append(FieldViolation(path, f"{value} is not a finite number"))
    elif kind in (_TIMESTAMP, _DURATION):
        problem = _time_problem(kind, value.seconds, value.nanos)
        if problem:
            found.append(FieldViolation(path, problem))
    else:
        _walk(value, path, found)


def _walk(message: Any, path: str, found: list[FieldViolation]) -> None:
    for name, kind, shape in _plan(message.DESCRIPTOR):
        inner = f"{path}.{name}" if path else name
        if shape == _SINGULAR:
            if kind == _FLOAT or message.HasField(name):
                _checked(getattr(message, name), kind, inner, found)
        elif shape == _REPEATED:
            for index, item in enumerate(getattr(message, name)):
                _checked(item, kind, f"{inner}[{index}]", found)
        else:
            for key, item in getattr(message, name).items():
                _checked(item, kind, f"{inner}[{key}]", found)


def invalid_value_fields(message: Any) -> list[FieldViolation]:
    """A violation for each value in ``message`` (at any depth) that no stored or converted value can
    hold: a Timestamp or Duration outside its type's range (ToDatetime raises), a float that is NaN
    or infinite (the store refuses it, and no coordinate, distance or score is one) and a GeoPoint off
    the globe (longitude outside [-180, 180], latitude outside [-90, 90]). A request or event
    carrying one is refused up front, naming the field. All found by fuzzing. A few microseconds: it
    runs on every request and consumed event."""
    found: list[FieldViolation] = []
    _checked(message, message.DESCRIPTOR.full_name, "", found)
    return found
