"""Assessment periods (R-PER-11): monthly evaluation (月评) and quarterly assessment (季考). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from jingwu_platform.calendar import DateRange, month_of, quarter_range
from jingwu_platform.errors import Validator


class PeriodKind(StrEnum):
    MONTHLY = "monthly"  # 月评
    QUARTERLY = "quarterly"  # 季考


@dataclass(frozen=True, order=True)
class Period:
    kind: PeriodKind
    year: int
    index: int

    @property
    def key(self) -> str:
        return f"{self.year}-{'M' if self.kind is PeriodKind.MONTHLY else 'Q'}{self.index:02d}"

    @property
    def dates(self) -> DateRange:
        if self.kind is PeriodKind.MONTHLY:
            return month_of(date(self.year, self.index, 1))
        return quarter_range(self.year, self.index)

    @classmethod
    def from_key(cls, key: str) -> Period:
        year, rest = key.split("-")
        kind = PeriodKind.MONTHLY if rest[0] == "M" else PeriodKind.QUARTERLY
        return cls(kind, int(year), int(rest[1:]))


def check_period(
    v: Validator, field_name: str, kind: PeriodKind | None, year: int, index: int
) -> Period | None:
    if not v.check(kind is not None, f"{field_name}.kind", "monthly or quarterly"):
        return None
    assert kind is not None
    ok = v.check(2000 <= year <= 2100, f"{field_name}.year", "must be a year between 2000 and 2100")
    last = 12 if kind is PeriodKind.MONTHLY else 4
    ok = (
        v.check(1 <= index <= last, f"{field_name}.index", f"must be 1..{last} for a {kind.value} period")
        and ok
    )
    return Period(kind, year, index) if ok else None


def checked_period(parts: tuple[PeriodKind | None, int, int], field_name: str = "period") -> Period:
    """The period, or INVALID_ARGUMENT naming what is wrong with it."""
    v = Validator()
    period = check_period(v, field_name, *parts)
    v.raise_if_any()
    assert period is not None
    return period
