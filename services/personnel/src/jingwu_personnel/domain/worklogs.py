"""Visit and work logs (R-PER-8..10): what a visit did, village days per month, community hours per week.

Pure. A liaison officer spends ≥ 2 days a month in each of his villages (R-PER-8), a community officer
≥ 20 hours a week in his community (R-PER-9); both numbers are district policy values. A visit counts
for the local day it began; overlapping community-work logs count once, so a log uploaded twice does
not double the hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from jingwu_platform.calendar import DateRange, local_date, local_midnight, months_in, weeks_in
from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.policy import WorkStandard
from jingwu_platform.shared_kernel import check_geo_point, check_required, check_zone_code

from jingwu_personnel.domain.audit import Audit
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.postings import Posting


class VisitLogKind(StrEnum):
    VILLAGE_VISIT = "village_visit"  # R-PER-8, a liaison officer's village entry
    AUXILIARY_WORK = "auxiliary_work"  # R-PER-8, a resident auxiliary's work log
    COMMUNITY_WORK = "community_work"  # R-PER-9, a community officer's time in the community


class SixRole(StrEnum):
    """R-PER-10 "six roles"."""

    PREVENTION_ORGANISER = "prevention_organiser"
    MEDIATOR = "mediator"
    INFORMATION_COLLECTOR = "information_collector"
    LAW_PUBLICIST = "law_publicist"
    LIAISON = "liaison"
    SERVICE_PROVIDER = "service_provider"


class SixDo(StrEnum):
    """R-PER-10 "six does" on entering a village."""

    MASS_PREVENTION = "mass_prevention"
    INTELLIGENCE = "intelligence"
    DISPUTE_RESOLUTION = "dispute_resolution"
    LEGAL_EDUCATION = "legal_education"
    KEY_PERSON_SUPPORT = "key_person_support"
    CONVENIENCE_SERVICE = "convenience_service"


class SixAsk(StrEnum):
    """R-PER-10 "six asks" in a household."""

    HOT_ISSUES = "hot_issues"
    SECURITY = "security"
    DISPUTES = "disputes"
    SPECIAL_GROUPS = "special_groups"
    LIVELIHOOD = "livelihood"
    OPINIONS = "opinions"


class ReviewResult(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class HouseholdVisit:
    house_id: str
    asks: tuple[SixAsk, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class VisitLog:
    log_id: str
    officer_id: str
    kind: VisitLogKind
    start_time: datetime
    end_time: datetime
    village_id: str = ""
    zone_code: str = ""
    room_id: str = ""
    location: tuple[float, float] | None = None  # longitude, latitude
    six_roles: tuple[SixRole, ...] = ()
    six_does: tuple[SixDo, ...] = ()
    household_visits: tuple[HouseholdVisit, ...] = ()
    information_record_ids: tuple[str, ...] = ()
    summary: str = ""
    review_result: ReviewResult = ReviewResult.PENDING
    reviewed_by: str = ""
    review_note: str = ""
    audit: Audit = field(default_factory=Audit)
    version: int = 0

    @property
    def day(self) -> date:
        return local_date(self.start_time)

    def review(self, result: ReviewResult, note: str, *, at: datetime, by: str) -> VisitLog:
        """R-PER-11 log audit by a leader; the author cannot audit his own log."""
        if by == self.officer_id:
            raise RuleViolation(
                "R-PER-11", f"visit_logs/{self.log_id}", "an officer cannot audit his own log"
            )
        return replace(
            self, review_result=result, reviewed_by=by, review_note=note, audit=self.audit.touched(by, at)
        )


@dataclass(frozen=True)
class LogDraft:
    kind: VisitLogKind | None
    start_time: datetime | None
    end_time: datetime | None
    village_id: str = ""
    zone_code: str = ""
    room_id: str = ""
    location: tuple[float, float] | None = None
    six_roles: tuple[SixRole | None, ...] = ()
    six_does: tuple[SixDo | None, ...] = ()
    household_visits: tuple[tuple[str, tuple[SixAsk | None, ...], str], ...] = ()
    information_record_ids: tuple[str, ...] = ()
    summary: str = ""


_T = TypeVar("_T")

# A log covers one visit or shift; anything longer is a typo, not a day of work.
MAX_LOG_DURATION = timedelta(hours=24)
# Handheld clocks drift; a log may end a little "in the future" of the server's clock.
CLOCK_SKEW = timedelta(minutes=5)


def _enum_list(v: Validator, field: str, values: Sequence[object | None]) -> None:
    for index, value in enumerate(values):
        v.check(value is not None, f"{field}[{index}]", "unknown or unspecified value")


def record_log(draft: LogDraft, *, log_id: str, officer_id: str, district: str, now: datetime) -> VisitLog:
    """Validate a log (R-PER-8..10): which kind, when, where, and which of the six roles/does/asks."""
    v = Validator()
    v.check(draft.kind is not None, "kind", "a log kind is required")
    v.check(draft.start_time is not None, "start_time", "is required")
    v.check(draft.end_time is not None, "end_time", "is required")
    if draft.start_time is not None and draft.end_time is not None:
        if v.check(draft.end_time > draft.start_time, "end_time", "must be after start_time"):
            v.check(
                draft.end_time - draft.start_time <= MAX_LOG_DURATION,
                "end_time",
                "a log covers at most 24 hours",
            )
        v.check(draft.end_time <= now + CLOCK_SKEW, "end_time", "cannot be in the future")
    if draft.kind in (VisitLogKind.VILLAGE_VISIT, VisitLogKind.AUXILIARY_WORK):
        check_required(v, "village_id", draft.village_id)
    if draft.kind is VisitLogKind.COMMUNITY_WORK:
        if v.check(bool(draft.zone_code), "zone_code", "community work is logged against a zone (R-PER-9)"):
            check_zone_code(v, "zone_code", draft.zone_code, district)
    elif draft.zone_code:
        check_zone_code(v, "zone_code", draft.zone_code, district)
    if draft.location is not None:
        check_geo_point(v, "location", *draft.location)
    _enum_list(v, "six_roles", draft.six_roles)
    _enum_list(v, "six_does", draft.six_does)
    for index, (house_id, asks, _note) in enumerate(draft.household_visits):
        check_required(v, f"household_visits[{index}].house_id", house_id)
        _enum_list(v, f"household_visits[{index}].asks", asks)
    for index, record_id in enumerate(draft.information_record_ids):
        v.check(bool(record_id.strip()), f"information_record_ids[{index}]", "must not be empty")
    v.check(len(draft.summary) <= 4000, "summary", "must be at most 4000 characters")
    v.raise_if_any()
    assert draft.kind is not None and draft.start_time is not None and draft.end_time is not None
    return VisitLog(
        log_id=log_id,
        officer_id=officer_id,
        kind=draft.kind,
        start_time=to_milliseconds(draft.start_time),
        end_time=to_milliseconds(draft.end_time),
        village_id=draft.village_id,
        zone_code=draft.zone_code,
        room_id=draft.room_id,
        location=draft.location,
        six_roles=_unique(r for r in draft.six_roles if r is not None),
        six_does=_unique(d for d in draft.six_does if d is not None),
        household_visits=tuple(
            HouseholdVisit(house_id, _unique(a for a in asks if a is not None), note)
            for house_id, asks, note in draft.household_visits
        ),
        information_record_ids=_unique(draft.information_record_ids),
        summary=draft.summary,
        audit=Audit.created(officer_id, now),
    )


def to_milliseconds(at: datetime) -> datetime:
    """A handheld's time kept to the millisecond, as the record keeps every time (docs/adr/0016): the
    log first answered equals the one a retried upload reads back."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _unique(values: Iterable[_T]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(values))


# --------------------------------------------------------------------------------------------------
# village days (R-PER-8) and community hours (R-PER-9)


def village_days(logs: Iterable[VisitLog], officer_id: str, village_id: str, month: DateRange) -> int:
    """Distinct local days in ``month`` on which the officer began a visit to the village."""
    return len(
        {
            log.day
            for log in logs
            if log.officer_id == officer_id
            and log.kind is VisitLogKind.VILLAGE_VISIT
            and log.village_id == village_id
            and month.contains(log.day)
        }
    )


def community_hours(logs: Iterable[VisitLog], officer_id: str, week: DateRange) -> float:
    """Hours of community work in the week (Monday 00:00 to Monday 00:00 local), overlaps counted once."""
    week_start, week_end = local_midnight(week.start), local_midnight(week.end + timedelta(days=1))
    intervals = sorted(
        (max(log.start_time, week_start), min(log.end_time, week_end))
        for log in logs
        if log.officer_id == officer_id and log.kind is VisitLogKind.COMMUNITY_WORK
    )
    total = timedelta()
    current: tuple[datetime, datetime] | None = None
    for start, end in intervals:
        if end <= start:
            continue
        if current is None or start > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = (start, end)
        else:
            current = (current[0], max(current[1], end))
    if current is not None:
        total += current[1] - current[0]
    return total.total_seconds() / 3600


def _covers(posting: Posting, period: DateRange) -> bool:
    """Whether the posting was held for the whole period: partial months/weeks (an officer posted or
    moved mid-month) are not judged, since the rule speaks of a month and a week on the post."""
    return posting.start_date <= period.start and (posting.end_date is None or posting.end_date > period.end)


@dataclass(frozen=True)
class VillageMonth:
    officer_id: str
    village_id: str
    month: DateRange
    days_present: int
    required_days: int

    @property
    def short(self) -> bool:
        return self.days_present < self.required_days


@dataclass(frozen=True)
class CommunityWeek:
    officer_id: str
    zone_code: str
    week: DateRange
    hours: float
    required_hours: float

    @property
    def short(self) -> bool:
        return self.hours < self.required_hours


def village_months(
    postings: Iterable[Posting], logs: Sequence[VisitLog], period: DateRange, work: WorkStandard
) -> list[VillageMonth]:
    """R-PER-8 per liaison posting and whole month in ``period``: days present vs required."""
    result = []
    for posting in postings:
        if posting.role is not OfficerRole.VILLAGE_LIAISON_OFFICER or not posting.village_id:
            continue
        for month in months_in(period):
            if month.end <= period.end and _covers(posting, month):
                days = village_days(logs, posting.officer_id, posting.village_id, month)
                result.append(
                    VillageMonth(
                        posting.officer_id,
                        posting.village_id,
                        month,
                        days,
                        work.liaison_village_days_per_month,
                    )
                )
    return result


def community_weeks(
    postings: Iterable[Posting], logs: Sequence[VisitLog], period: DateRange, work: WorkStandard
) -> list[CommunityWeek]:
    """R-PER-9 per community-officer posting and whole week in ``period``: hours vs required."""
    result = []
    for posting in postings:
        if posting.role is not OfficerRole.COMMUNITY_OFFICER:
            continue
        for week in weeks_in(period):
            if week.end <= period.end and _covers(posting, week):
                hours = community_hours(logs, posting.officer_id, week)
                result.append(
                    CommunityWeek(
                        posting.officer_id, posting.zone_code, week, hours, work.community_hours_per_week
                    )
                )
    return result


@dataclass(frozen=True)
class WorkSummary:
    officer_id: str
    period: DateRange
    log_count: int
    household_count: int
    village_days: tuple[VillageMonth, ...]
    week_hours: tuple[CommunityWeek, ...]


def work_summary(
    officer_id: str,
    postings: Sequence[Posting],
    logs: Sequence[VisitLog],
    period: DateRange,
    work: WorkStandard,
) -> WorkSummary:
    """An officer's logged work over a period: every village month and community week he was obliged
    for (with the requirement) plus any he logged without an obligation (requirement 0)."""
    own_logs = [log for log in logs if log.officer_id == officer_id and period.contains(log.day)]
    own_postings = [p for p in postings if p.officer_id == officer_id]
    months = {(m.village_id, m.month): m for m in village_months(own_postings, logs, period, work)}
    for log in own_logs:
        if log.kind is VisitLogKind.VILLAGE_VISIT:
            month = next(m for m in months_in(period) if m.contains(log.day))
            if (log.village_id, month) not in months:
                days = village_days(logs, officer_id, log.village_id, month)
                months[(log.village_id, month)] = VillageMonth(officer_id, log.village_id, month, days, 0)
    weeks = {w.week: w for w in community_weeks(own_postings, logs, period, work)}
    for log in own_logs:
        if log.kind is VisitLogKind.COMMUNITY_WORK:
            week = next(w for w in weeks_in(period) if w.contains(log.day))
            if week not in weeks:
                weeks[week] = CommunityWeek(
                    officer_id, log.zone_code, week, community_hours(logs, officer_id, week), 0.0
                )
    return WorkSummary(
        officer_id=officer_id,
        period=period,
        log_count=len(own_logs),
        household_count=sum(len(log.household_visits) for log in own_logs),
        village_days=tuple(sorted(months.values(), key=lambda m: (m.month, m.village_id))),
        week_hours=tuple(sorted(weeks.values(), key=lambda w: w.week)),
    )
