"""Values every patrol aggregate shares. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from jingwu_platform.errors import Validator

ID_MAX_LENGTH = 64
NAME_MAX_LENGTH = 64
TEXT_MAX_LENGTH = 512


@dataclass(frozen=True)
class Audit:
    """Who created a record and who changed it last, and when."""

    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None

    @staticmethod
    def new(by: str, at: datetime) -> Audit:
        return Audit(by, at, by, at)

    def touched(self, by: str, at: datetime) -> Audit:
        return replace(self, updated_by=by, updated_at=at)


def check_name(v: Validator, field: str, value: str, max_length: int = NAME_MAX_LENGTH) -> None:
    if v.check(bool(value.strip()), field, "is required"):
        v.check(len(value) <= max_length, field, f"must be at most {max_length} characters")


def check_text(v: Validator, field: str, value: str, max_length: int = TEXT_MAX_LENGTH) -> None:
    v.check(len(value) <= max_length, field, f"must be at most {max_length} characters")


def check_ids(v: Validator, field: str, values: tuple[str, ...]) -> None:
    """A list of ids: none empty, none repeated, each of a sane length."""
    seen: set[str] = set()
    for index, value in enumerate(values):
        if not v.check(bool(value.strip()), f"{field}[{index}]", "must not be empty"):
            continue
        v.check(
            len(value) <= ID_MAX_LENGTH, f"{field}[{index}]", f"must be at most {ID_MAX_LENGTH} characters"
        )
        v.check(value not in seen, f"{field}[{index}]", f"{value!r} is listed twice")
        seen.add(value)


def order_key(at: datetime, unique: str) -> str:
    """A key whose order is time order (``20260301T080000000000Z-<unique>``), for newest-first pages."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{unique}"
