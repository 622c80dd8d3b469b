"""What every population use case shares: the platform's kit, the district's population policy, and
small helpers for dates and callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from jingwu_platform.auth import Caller
from jingwu_platform.usecase import UseCaseKit

SERVICE = "population"


@dataclass(frozen=True)
class PopulationPolicy:
    """Population policy values (domain.md: every number of the seeds is a district default). The
    familiarisation target and golden hours come from the platform's DistrictPolicy."""

    # R-POP-3: places are inspected every this many months.
    inspection_interval_months: int = 1
    # R-POP-2: a key group tagged without a review date is reviewed after this many months.
    key_group_review_months: int = 6
    # R-PER-4: a zone's ZonePopulationChanged is sent at most once per this many seconds.
    zone_publish_debounce_s: float = 5.0
    # R-POP-5: households an officer gets to know per week (DistrictPolicy.work, 30 by default).
    familiarisation_target: int = 30
    golden_hours: tuple[tuple[time, time], ...] = field(
        default=((time(12, 0), time(13, 0)), (time(17, 0), time(19, 0)))
    )

    @classmethod
    def from_kit(cls, kit: UseCaseKit) -> PopulationPolicy:
        work = kit.policy.work
        return cls(
            familiarisation_target=work.familiarisation_households_per_week, golden_hours=work.golden_hours
        )


def to_millis(at: datetime) -> datetime:
    """The store keeps milliseconds: times from requests are cut to them, so a repeat reads back equal."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def actor(caller: Caller) -> str:
    return caller.subject
