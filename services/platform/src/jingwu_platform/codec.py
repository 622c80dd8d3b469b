"""One generic codec between frozen domain dataclasses and store documents.

Domain ↔ document mapping is mechanical, so services do not write it by hand (proto ↔ domain mapping
is the public contract and stays hand-written). The codec follows the dataclass's type hints:

- ``str``, ``int``, ``float``, ``bool`` as they are; ``datetime`` as a BSON date (UTC);
- ``date`` as ``"YYYY-MM-DD"`` and ``time`` as ``"HH:MM:SS"`` (sortable, range-queryable strings);
- enums by value; ``X | None`` as the value or null;
- tuples, lists and frozensets as arrays; a sequence inside a sequence as ``{"items": [...]}``
  (FerretDB v1 rejects nested arrays, see docs/adr/0003);
- ``dict[str, X]`` as a sub-document; nested dataclasses as sub-documents.

A field missing from a stored document takes the dataclass default, so adding a field with a default
needs no migration. The aggregate's id field is stored as ``_id``; ``stored_names`` keeps the stored
name of a field its dataclass calls otherwise (a record type shared by services whose documents were
written under the old name).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from enum import Enum
from typing import Any, Generic, TypeVar, get_args, get_origin

from jingwu_platform.mongo import Document

A = TypeVar("A")
_Encode = Callable[[Any], Any]
_Decode = Callable[[Any], Any]
_MISSING = dataclasses.MISSING


def _is_optional(hint: Any) -> tuple[bool, Any]:
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(get_args(hint)) == 2:
            return True, args[0]
        raise TypeError(f"unions other than X | None are not supported: {hint!r}")
    return False, hint


def _identity(value: Any) -> Any:
    return value


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _codec_for(hint: Any, nested: bool = False) -> tuple[_Encode, _Decode]:
    """Encoder and decoder for one type hint; ``nested`` is True inside a sequence."""
    optional, hint = _is_optional(hint)
    encode, decode = _plain_codec(hint, nested)
    if not optional:
        return encode, decode
    # None passes through the identity unchanged, so an optional scalar keeps the identity's fast path.
    return (
        encode if encode is _identity else lambda v: None if v is None else encode(v),
        decode if decode is _identity else lambda v: None if v is None else decode(v),
    )


def _sequence_codec(hint: Any, origin: Any, nested: bool) -> tuple[_Encode, _Decode]:
    args = get_args(hint)
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        # A fixed tuple, e.g. tuple[time, time]: each position has its own type.
        parts = [_codec_for(a, nested=True) for a in args]

        def encode_fixed(v: Any) -> Any:
            return [enc(x) for (enc, _), x in zip(parts, v, strict=True)]

        def decode_fixed(v: Any) -> Any:
            return tuple(dec(x) for (_, dec), x in zip(parts, v, strict=True))

        encode_seq, decode_seq = encode_fixed, decode_fixed
    else:
        item_encode, item_decode = _codec_for(args[0] if args else Any, nested=True)
        build: Callable[[Any], Any] = {tuple: tuple, list: list, frozenset: frozenset, set: frozenset}[origin]

        def encode_items(v: Any) -> Any:
            items = sorted(v) if origin in (frozenset, set) else v
            if item_encode is _identity:
                return list(items)
            return [item_encode(x) for x in items]

        def decode_items(v: Any) -> Any:
            return build(item_decode(x) for x in v)

        encode_seq, decode_seq = encode_items, decode_items
    if not nested:
        return encode_seq, decode_seq
    return (lambda v: {"items": encode_seq(v)}, lambda v: decode_seq(v["items"]))


def _plain_codec(hint: Any, nested: bool) -> tuple[_Encode, _Decode]:
    origin = get_origin(hint)
    if origin in (tuple, list, frozenset, set):
        return _sequence_codec(hint, origin, nested)
    if origin in (dict, Mapping):
        _, value_hint = get_args(hint)
        value_encode, value_decode = _codec_for(value_hint)
        return (
            lambda v: {str(k): value_encode(x) for k, x in v.items()},
            lambda v: {k: value_decode(x) for k, x in v.items()},
        )
    if isinstance(hint, type):
        return _type_codec(hint)
    if hint is Any:
        return _identity, _identity
    raise TypeError(f"the document codec does not know how to store {hint!r}")


# Scalars, checked in order (datetime before date: a datetime is a date).
_SCALARS: tuple[tuple[type, _Encode, _Decode], ...] = (
    (bool, _identity, bool),
    (int, _identity, int),
    (float, _identity, float),
    (str, _identity, str),
    (bytes, bytes, bytes),
    (datetime, _identity, _identity),
    (date, lambda v: v.isoformat(), date.fromisoformat),
    (time, lambda v: v.isoformat(), time.fromisoformat),
)


def _type_codec(hint: type) -> tuple[_Encode, _Decode]:
    if dataclasses.is_dataclass(hint):
        inner = DocumentCodec(hint)
        return inner.encode_fields, inner.decode_fields
    if issubclass(hint, Enum):
        return (lambda v: v.value, hint)
    for scalar, encode, decode in _SCALARS:
        if issubclass(hint, scalar) and (scalar is not date or not issubclass(hint, datetime)):
            return encode, decode
    raise TypeError(f"the document codec does not know how to store {hint!r}")


class DocumentCodec(Generic[A]):
    """Encodes a dataclass as a document and back; built once per aggregate type."""

    def __init__(
        self, cls: type[A], *, id_field: str | None = None, stored_names: Mapping[str, str] | None = None
    ) -> None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls!r} is not a dataclass")
        self.cls = cls
        self.id_field = id_field
        self._stored_names = dict(stored_names or {})
        unknown = set(self._stored_names) - {f.name for f in dataclasses.fields(cls)}
        if unknown or id_field in self._stored_names:
            raise ValueError(f"{cls.__name__}: stored_names names no field, or the id: {stored_names}")
        hints = typing.get_type_hints(cls)
        self._fields: list[tuple[str, str, _Encode, _Decode, Callable[[], Any] | None]] = []
        for f in dataclasses.fields(cls):
            encode, decode = _codec_for(hints[f.name])
            stored = "_id" if f.name == id_field else self._stored_names.get(f.name, f.name)
            default: Callable[[], Any] | None = None
            if f.default is not _MISSING:
                default = _constant(f.default)
            elif f.default_factory is not _MISSING:
                default = f.default_factory
            self._fields.append((f.name, stored, encode, decode, default))

    def encode_fields(self, obj: Any) -> Document:
        # A field stored as it is (most scalars) is read without calling its encoder.
        return {
            stored: value if encode is _identity else encode(value)
            for name, stored, encode, _, _ in self._fields
            for value in (getattr(obj, name),)
        }

    def decode_fields(self, document: Mapping[str, Any]) -> Any:
        values: dict[str, Any] = {}
        for name, stored, _, decode, default in self._fields:
            if stored in document:
                values[name] = decode(document[stored])
            elif default is None:
                raise KeyError(f"{self.cls.__name__}: stored document lacks field {stored!r}")
            else:
                values[name] = default()
        return self.cls(**values)

    def to_document(self, obj: A) -> Document:
        return self.encode_fields(obj)

    def from_document(self, document: Mapping[str, Any]) -> A:
        decoded: A = self.decode_fields(document)
        return decoded

    def field_path(self, name: str) -> str:
        """The stored name of a field (``_id`` for the id field), for adapters' queries and indexes."""
        return "_id" if name == self.id_field else self._stored_names.get(name, name)
