"""Staffing findings (R-PER-2..5, R-PER-7..9): a breach of a staffing rule, raised while it lasts and
resolved when it is gone. Pure.

Evaluation (domain/staffing.py) yields the breaches it sees now ("conditions"); ``reconcile`` turns
them into changes: a condition without an open finding raises one, an open finding whose condition is
gone is resolved, one whose numbers changed is re-measured. Evaluation is state-based, so running it
again (a re-delivered event, a repeated request) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from jingwu_platform.calendar import DateRange


class FindingKind(StrEnum):
    ROOM_UNDERSTAFFED = "room_understaffed"
    ROOM_OFFICER_NOT_FULL_TIME = "room_officer_not_full_time"
    POPULATION_RATIO_EXCEEDED = "population_ratio_exceeded"
    STATION_HEADCOUNT_LOW = "station_headcount_low"
    STATION_FORCE_SHARE_LOW = "station_force_share_low"
    BLANK_VILLAGE = "blank_village"
    VILLAGE_WITHOUT_AUXILIARY = "village_without_auxiliary"
    AUXILIARY_ROTATION_DUE = "auxiliary_rotation_due"
    VILLAGE_DAYS_SHORT = "village_days_short"
    COMMUNITY_HOURS_SHORT = "community_hours_short"


RULE_OF = {
    FindingKind.ROOM_UNDERSTAFFED: "R-PER-2",
    FindingKind.ROOM_OFFICER_NOT_FULL_TIME: "R-PER-3",
    FindingKind.POPULATION_RATIO_EXCEEDED: "R-PER-4",
    FindingKind.STATION_HEADCOUNT_LOW: "R-PER-4",
    FindingKind.STATION_FORCE_SHARE_LOW: "R-PER-4",
    FindingKind.BLANK_VILLAGE: "R-PER-5",
    FindingKind.VILLAGE_WITHOUT_AUXILIARY: "R-PER-5",
    FindingKind.AUXILIARY_ROTATION_DUE: "R-PER-7",
    FindingKind.VILLAGE_DAYS_SHORT: "R-PER-8",
    FindingKind.COMMUNITY_HOURS_SHORT: "R-PER-9",
}

# Kinds judged from the current state alone; evaluated after every change and room event.
STRUCTURAL_KINDS = frozenset(
    {
        FindingKind.ROOM_UNDERSTAFFED,
        FindingKind.ROOM_OFFICER_NOT_FULL_TIME,
        FindingKind.POPULATION_RATIO_EXCEEDED,
        FindingKind.STATION_HEADCOUNT_LOW,
        FindingKind.STATION_FORCE_SHARE_LOW,
        FindingKind.BLANK_VILLAGE,
        FindingKind.VILLAGE_WITHOUT_AUXILIARY,
        FindingKind.AUXILIARY_ROTATION_DUE,
    }
)
# Kinds judged over a past month or week from the logs (R-PER-8, R-PER-9).
COMPLIANCE_KINDS = frozenset({FindingKind.VILLAGE_DAYS_SHORT, FindingKind.COMMUNITY_HOURS_SHORT})


class FindingStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Condition:
    """A breach as evaluation sees it now. ``key`` names the breach: one open finding per key."""

    kind: FindingKind
    key: str
    station_id: str = ""
    room_id: str = ""
    zone_code: str = ""
    village_id: str = ""
    officer_id: str = ""
    period: DateRange | None = None
    actual_value: float = 0.0
    required_value: float = 0.0
    detail: str = ""

    @property
    def rule_id(self) -> str:
        return RULE_OF[self.kind]


@dataclass(frozen=True)
class Finding:
    finding_id: str
    condition: Condition
    status: FindingStatus
    raise_time: datetime
    resolve_time: datetime | None = None
    resolution: str = ""
    version: int = 0

    @property
    def open(self) -> bool:
        return self.status is FindingStatus.OPEN

    def remeasure(self, condition: Condition) -> Finding:
        """The breach persists with other numbers (0 → 1 of 2 auxiliaries): same finding, new values."""
        measured = replace(
            self.condition,
            actual_value=condition.actual_value,
            required_value=condition.required_value,
            detail=condition.detail,
        )
        return replace(self, condition=measured)

    def resolve(self, at: datetime, resolution: str) -> Finding | None:
        """The breach is gone; None when the finding was resolved already (nothing changes)."""
        if not self.open:
            return None
        return replace(self, status=FindingStatus.RESOLVED, resolve_time=at, resolution=resolution)

    def remeasured(self, condition: Condition) -> Finding | None:
        """``remeasure`` for a finding still open with other numbers; None when nothing changes."""
        if not self.open or _measures(condition) == _measures(self.condition):
            return None
        return self.remeasure(condition)


def _measures(condition: Condition) -> tuple[float, float, str]:
    return condition.actual_value, condition.required_value, condition.detail


def raise_finding(condition: Condition, *, finding_id: str, at: datetime) -> Finding:
    return Finding(finding_id=finding_id, condition=condition, status=FindingStatus.OPEN, raise_time=at)


# Which structural kinds each part of the district bears on: a room event needs no village check.
ROOM_KINDS = frozenset({FindingKind.ROOM_UNDERSTAFFED, FindingKind.ROOM_OFFICER_NOT_FULL_TIME})
ZONE_KINDS = frozenset({FindingKind.POPULATION_RATIO_EXCEEDED})
STATION_KINDS = frozenset({FindingKind.STATION_HEADCOUNT_LOW, FindingKind.STATION_FORCE_SHARE_LOW})
VILLAGE_KINDS = frozenset(
    {FindingKind.BLANK_VILLAGE, FindingKind.VILLAGE_WITHOUT_AUXILIARY, FindingKind.AUXILIARY_ROTATION_DUE}
)


@dataclass(frozen=True)
class Scope:
    """Which findings an evaluation judged: only those may be resolved by it."""

    kinds: frozenset[FindingKind]
    station_id: str = ""
    # For compliance kinds: the periods judged (None: any).
    periods: frozenset[DateRange] | None = None
    officer_id: str = ""

    def covers(self, condition: Condition) -> bool:
        if condition.kind not in self.kinds:
            return False
        if self.station_id and condition.station_id != self.station_id:
            return False
        if self.officer_id and condition.officer_id != self.officer_id:
            return False
        if condition.kind in COMPLIANCE_KINDS and self.periods is not None:
            return condition.period in self.periods
        return True


@dataclass(frozen=True)
class Reconciliation:
    to_raise: tuple[Condition, ...]
    to_resolve: tuple[Finding, ...]
    # Open findings whose breach persists with other measured values.
    to_update: tuple[Finding, ...] = ()


def reconcile(
    open_findings: Iterable[Finding], conditions: Iterable[Condition], scope: Scope
) -> Reconciliation:
    """New breaches are raised; open findings in scope whose breach is gone are resolved; those whose
    breach persists with other numbers are re-measured."""
    current = {c.key: c for c in conditions if scope.covers(c)}
    open_by_key = {f.condition.key: f for f in open_findings if f.status is FindingStatus.OPEN}
    to_raise = tuple(c for key, c in sorted(current.items()) if key not in open_by_key)
    to_resolve = tuple(
        f for key, f in sorted(open_by_key.items()) if key not in current and scope.covers(f.condition)
    )
    to_update = tuple(
        f.remeasure(current[key])
        for key, f in sorted(open_by_key.items())
        if key in current and _measures(current[key]) != _measures(f.condition)
    )
    return Reconciliation(to_raise, to_resolve, to_update)
