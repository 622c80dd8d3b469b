"""Hypothesis strategies built from protobuf descriptors: any message of any contract, with no code per
message, so a new RPC or event is fuzzed as soon as it is in proto/.

Values lean to the edges: extreme and zero integers, NaN and ±inf, empty, long and astral-plane
strings (never lone surrogates: they are not valid proto strings and the client refuses them), enum
numbers no one declared, nested messages a few levels deep, repeated and map fields, one member of each
oneof. ``hints`` mixes in values the services would accept (the district's code, its zone codes), so
some inputs get past the first validation and reach deeper code.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, Literal

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

_F = FieldDescriptor
_INT_RANGES: dict[int, tuple[int, int]] = {
    _F.TYPE_INT32: (-(2**31), 2**31 - 1),
    _F.TYPE_SINT32: (-(2**31), 2**31 - 1),
    _F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    _F.TYPE_INT64: (-(2**63), 2**63 - 1),
    _F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    _F.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    _F.TYPE_UINT32: (0, 2**32 - 1),
    _F.TYPE_FIXED32: (0, 2**32 - 1),
    _F.TYPE_UINT64: (0, 2**64 - 1),
    _F.TYPE_FIXED64: (0, 2**64 - 1),
}
# Text without surrogates (category Cs): everything else, astral planes included.
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
_ODD_TEXT = st.sampled_from(
    ["", " ", "0", "-1", "null", "../../etc", "$where", "{$gt: ''}", "𠀀𝄞😀", "\x00", "a" * 5000]
)


def _integers(lo: int, hi: int) -> st.SearchStrategy[int]:
    edges = sorted({v for v in (lo, hi, 0, 1, -1, lo + 1, hi - 1) if lo <= v <= hi})
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi), st.integers(max(lo, -1000), min(hi, 1000)))


def _floats(width: Literal[32, 64]) -> st.SearchStrategy[float]:
    edges = [0.0, -0.0, math.nan, math.inf, -math.inf, 1e308 if width == 64 else 3.4e38, -1.0, 180.0, 90.0]
    return st.one_of(st.sampled_from(edges), st.floats(width=width), st.floats(-200, 200, width=width))


class ProtoStrategies:
    """Strategies of messages; ``hints`` are plausible strings mixed into every string field."""

    def __init__(self, hints: Sequence[str] = (), max_depth: int = 3) -> None:
        self._strings = st.one_of(_TEXT, _ODD_TEXT, *([st.sampled_from(list(hints))] if hints else []))
        self._max_depth = max_depth

    def message(self, descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
        return st.builds(lambda values: self._build(descriptor, values), self._values(descriptor, depth))

    def _build(self, descriptor: Descriptor, values: dict[str, Any]) -> Message:
        message = GetMessageClass(descriptor)()
        for name, value in values.items():
            field = descriptor.fields_by_name[name]
            target = getattr(message, name)
            if _is_map(field):
                for key, item in value.items():
                    if _entry(field).fields_by_name["value"].type == _F.TYPE_MESSAGE:
                        target[key].CopyFrom(item)
                    else:
                        target[key] = item
            elif field.is_repeated:
                target.extend(value)
            elif field.type == _F.TYPE_MESSAGE:
                target.CopyFrom(value)
            else:
                setattr(message, name, value)
        return message

    def _values(self, descriptor: Descriptor, depth: int) -> st.SearchStrategy[dict[str, Any]]:
        # One member of each real oneof (a proto3 `optional` is a synthetic oneof of one field).
        in_oneof = {f.name for o in descriptor.oneofs if len(o.fields) > 1 for f in o.fields}
        optional: dict[str, st.SearchStrategy[Any]] = {
            f.name: self._field(f, depth) for f in descriptor.fields if f.name not in in_oneof
        }
        oneofs = [
            st.one_of(
                st.just({}), *(self._field(f, depth).map(functools.partial(_named, f.name)) for f in o.fields)
            )
            for o in descriptor.oneofs
            if len(o.fields) > 1
        ]
        plain = st.fixed_dictionaries({}, optional=optional) if optional else st.just({})
        if not oneofs:
            return plain
        return st.tuples(plain, *oneofs).map(lambda parts: {k: v for part in parts for k, v in part.items()})

    def _field(self, field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        if _is_map(field):
            entry = _entry(field)
            return st.dictionaries(
                self._single(entry.fields_by_name["key"], depth + 1),
                self._single(entry.fields_by_name["value"], depth + 1),
                max_size=3,
            )
        single = self._single(field, depth)
        if field.is_repeated:
            return st.lists(single, max_size=4 if depth < self._max_depth else 0)
        return single

    def _single(self, field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        kind = field.type
        if kind == _F.TYPE_MESSAGE:
            nested = _entry(field)
            if depth >= self._max_depth:
                return st.builds(GetMessageClass(nested))
            return st.deferred(lambda: self.message(nested, depth + 1))
        if kind == _F.TYPE_STRING:
            return self._strings
        if kind == _F.TYPE_BYTES:
            return st.binary(max_size=64)
        if kind == _F.TYPE_BOOL:
            return st.booleans()
        if kind == _F.TYPE_DOUBLE:
            return _floats(64)
        if kind == _F.TYPE_FLOAT:
            return _floats(32)
        if kind == _F.TYPE_ENUM:
            enum = field.enum_type
            assert enum is not None
            declared = [v.number for v in enum.values]
            # Open (proto3) enums carry numbers nobody declared; closed ones would refuse them.
            unknown = [] if enum.is_closed else [max(declared) + 1, 999, -1, 2**31 - 1]
            return st.sampled_from(declared + unknown)
        lo, hi = _INT_RANGES[kind]
        return _integers(lo, hi)


def _entry(field: FieldDescriptor) -> Descriptor:
    """The message type of a message field (a map field's: its entry type)."""
    assert field.message_type is not None, field.full_name
    return field.message_type


def _named(name: str, value: Any) -> dict[str, Any]:
    return {name: value}


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == _F.TYPE_MESSAGE and field.is_repeated and _entry(field).GetOptions().map_entry
