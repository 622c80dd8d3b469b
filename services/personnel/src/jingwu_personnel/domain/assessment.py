"""Assessment (R-PER-11) with conduct (R-PER-13). Pure.

Monthly evaluation and quarterly assessment combine two halves:
- platform data: compliance indicators computed from the logs and postings (village days R-PER-8,
  community hours R-PER-9, data entered on visits, the leader's log audits), each 0..100, equally
  weighted among those that apply to the officer;
- ratings: self / peer / leader / resident averages combined with the district's weights
  (``DistrictPolicy.ratings``), renormalised over the sources that rated at all.
Conduct violations in the period are deducted (R-PER-13). Rankings are per station and per district,
within police officers or within auxiliaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from jingwu_platform.calendar import DateRange, month_of, quarter_range
from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.policy import RatingWeights, WorkStandard

from jingwu_personnel.domain.officers import Officer
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.worklogs import ReviewResult, VisitLog, community_weeks, village_months


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


class RatingSource(StrEnum):
    SELF = "self"
    PEER = "peer"
    LEADER = "leader"
    RESIDENT = "resident"


@dataclass(frozen=True)
class Rating:
    rating_id: str
    officer_id: str
    period: Period
    source: RatingSource
    score: float
    rater_id: str = ""
    comment: str = ""
    resident_reference: str = ""
    submit_time: datetime | None = None


def validate_rating(
    *,
    officer_id: str,
    period: tuple[PeriodKind | None, int, int],
    source: RatingSource | None,
    score: float,
    resident_reference: str,
    comment: str,
) -> tuple[Period, RatingSource]:
    """R-PER-11: a 0..100 score from one of the four sources; a resident rating names the callback it
    came from."""
    v = Validator()
    v.check(bool(officer_id.strip()), "officer_id", "is required")
    checked = check_period(v, "period", *period)
    v.check(source is not None, "source", "self, peer, leader or resident")
    v.check(0.0 <= score <= 100.0, "score", "must be between 0 and 100")
    v.check(len(comment) <= 2000, "comment", "must be at most 2000 characters")
    if source is RatingSource.RESIDENT:
        v.check(
            bool(resident_reference.strip()), "resident_reference", "a resident rating names its callback"
        )
    v.raise_if_any()
    assert checked is not None and source is not None
    return checked, source


def check_rater(officer_id: str, source: RatingSource, rater_id: str) -> None:
    """R-PER-11: a self rating is the officer's own, a peer or leader rating someone else's."""
    if source is RatingSource.SELF and rater_id != officer_id:
        raise RuleViolation("R-PER-11", f"officers/{officer_id}", "a self rating is submitted by the officer")
    if source in (RatingSource.PEER, RatingSource.LEADER) and rater_id == officer_id:
        raise RuleViolation(
            "R-PER-11", f"officers/{officer_id}", "an officer cannot rate himself as peer or leader"
        )


class ConductRule(StrEnum):
    FOUR_NOS = "four_nos"  # officers' "four nos"
    LEAKED_SECRETS = "leaked_secrets"  # auxiliaries
    LEAKED_PERSONAL_DATA = "leaked_personal_data"  # auxiliaries, R-POP-6
    OTHER = "other"


@dataclass(frozen=True)
class ConductRecord:
    record_id: str
    officer_id: str
    rule: ConductRule
    occur_date: date
    description: str
    score_deduction: float
    evidence_reference: str = ""
    created_by: str = ""
    created_at: datetime | None = None


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Grade(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    COMPETENT = "competent"  # 称职
    BASICALLY_COMPETENT = "basically_competent"  # 基本称职
    INCOMPETENT = "incompetent"  # 不称职


@dataclass(frozen=True)
class AssessmentStandard:
    """Numbers the seeds leave open (R-PER-11, R-PER-13): this project's defaults. They belong next to
    the rating weights in the district policy; until then they are set here in one place."""

    # Share of the total that platform data carries; the rest is ratings.
    data_share: float = 0.5
    excellent_from: float = 90.0
    competent_from: float = 75.0
    basically_competent_from: float = 60.0
    conduct_deductions: Mapping[ConductRule, float] = field(
        default_factory=lambda: {
            ConductRule.FOUR_NOS: 10.0,
            ConductRule.LEAKED_SECRETS: 20.0,
            ConductRule.LEAKED_PERSONAL_DATA: 20.0,
            ConductRule.OTHER: 5.0,
        }
    )

    def grade(self, total: float) -> Grade:
        if total >= self.excellent_from:
            return Grade.EXCELLENT
        if total >= self.competent_from:
            return Grade.COMPETENT
        if total >= self.basically_competent_from:
            return Grade.BASICALLY_COMPETENT
        return Grade.INCOMPETENT


def record_conduct(
    *,
    record_id: str,
    officer: Officer,
    rule: ConductRule | None,
    occur_date: date | None,
    occur_date_invalid: bool,
    description: str,
    score_deduction: float,
    evidence_reference: str,
    today: date,
    standard: AssessmentStandard,
    at: datetime,
    by: str,
) -> ConductRecord:
    """R-PER-13: a violation is recorded with its deduction (0 means the default for the rule)."""
    v = Validator()
    v.check(rule is not None, "rule", "which conduct rule was broken")
    if v.check(occur_date is not None and not occur_date_invalid, "occur_date", "a valid date is required"):
        assert occur_date is not None
        v.check(occur_date <= today, "occur_date", "cannot be in the future")
    v.check(bool(description.strip()), "description", "is required")
    v.check(0.0 <= score_deduction <= 100.0, "score_deduction", "must be between 0 and 100")
    v.raise_if_any()
    assert rule is not None and occur_date is not None
    return ConductRecord(
        record_id=record_id,
        officer_id=officer.officer_id,
        rule=rule,
        occur_date=occur_date,
        description=description.strip(),
        score_deduction=score_deduction or standard.conduct_deductions[rule],
        evidence_reference=evidence_reference,
        created_by=by,
        created_at=at,
    )


@dataclass(frozen=True)
class Indicator:
    code: str
    raw_value: float
    score: float
    weight: float


@dataclass(frozen=True)
class RatingSummary:
    source: RatingSource
    count: int
    average: float
    weight: float


@dataclass(frozen=True)
class Assessment:
    assessment_id: str
    officer_id: str
    name: str
    station_id: str
    group: str  # "police" or "auxiliary": rankings compare like with like
    period: Period
    status: AssessmentStatus
    indicators: tuple[Indicator, ...]
    ratings: tuple[RatingSummary, ...]
    conduct_deduction: float
    total_score: float
    grade: Grade
    station_rank: int = 0
    district_rank: int = 0
    compute_time: datetime | None = None
    publish_time: datetime | None = None

    def publish(self, at: datetime) -> Assessment:
        return replace(self, status=AssessmentStatus.PUBLISHED, publish_time=at)


def assessment_id(officer_id: str, period: Period) -> str:
    return f"{officer_id}/{period.key}"


def group_of(officer: Officer) -> str | None:
    if officer.is_police:
        return "police"
    if officer.is_auxiliary:
        return "auxiliary"
    return None  # civilians of the prevention network are not assessed here


def _ratio(numerator: float, denominator: float) -> float:
    return 100.0 * numerator / denominator


def work_indicators(
    officer_id: str,
    postings: Sequence[Posting],
    logs: Sequence[VisitLog],
    period: DateRange,
    work: WorkStandard,
) -> list[Indicator]:
    """Compliance indicators that apply to the officer in the period, each scored 0..100."""
    own_postings = [p for p in postings if p.officer_id == officer_id]
    own_logs = [log for log in logs if log.officer_id == officer_id and period.contains(log.day)]
    raw: list[tuple[str, float, float]] = []
    months = village_months(own_postings, logs, period, work)
    if months:  # R-PER-8
        required = sum(m.required_days for m in months)
        present = sum(min(m.days_present, m.required_days) for m in months)
        raw.append(("village_entries", sum(m.days_present for m in months), _ratio(present, required)))
    weeks = community_weeks(own_postings, logs, period, work)
    if weeks:  # R-PER-9
        met = sum(1 for w in weeks if not w.short)
        raw.append(("duty_performance", met, _ratio(met, len(weeks))))
    if own_logs:  # R-PER-8: collected information is entered into the system
        with_data = sum(1 for log in own_logs if log.information_record_ids)
        raw.append(("data_maintained", with_data, _ratio(with_data, len(own_logs))))
    reviewed = [log for log in own_logs if log.review_result is not ReviewResult.PENDING]
    if reviewed:  # R-PER-11 log audits
        approved = sum(1 for log in reviewed if log.review_result is ReviewResult.APPROVED)
        raw.append(("log_audit", approved, _ratio(approved, len(reviewed))))
    weight = 1.0 / len(raw) if raw else 0.0
    return [Indicator(code, value, round(score, 2), weight) for code, value, score in raw]


def rating_summaries(ratings: Iterable[Rating], weights: RatingWeights) -> list[RatingSummary]:
    """R-PER-11: average per source, weighted by the district's weights renormalised over the sources
    present (an officer no resident rated is judged on the other three, not given zero for them)."""
    by_source: dict[RatingSource, list[float]] = {}
    for rating in ratings:
        by_source.setdefault(rating.source, []).append(rating.score)
    base = {
        RatingSource.SELF: weights.self_rating,
        RatingSource.PEER: weights.peer,
        RatingSource.LEADER: weights.leader,
        RatingSource.RESIDENT: weights.resident,
    }
    present = sum(base[s] for s in by_source)
    summaries = []
    for source in RatingSource:
        if source in by_source and present > 0:
            scores = by_source[source]
            summaries.append(
                RatingSummary(source, len(scores), sum(scores) / len(scores), base[source] / present)
            )
    return summaries


def total_score(
    indicators: Sequence[Indicator],
    summaries: Sequence[RatingSummary],
    conduct_deduction: float,
    standard: AssessmentStandard,
) -> float:
    data = sum(i.score * i.weight for i in indicators) if indicators else None
    rated = sum(s.average * s.weight for s in summaries) if summaries else None
    if data is not None and rated is not None:
        base = standard.data_share * data + (1 - standard.data_share) * rated
    else:
        base = data if data is not None else rated if rated is not None else 0.0
    return round(min(100.0, max(0.0, base - conduct_deduction)), 2)


def assess(
    officer: Officer,
    period: Period,
    *,
    postings: Sequence[Posting],
    logs: Sequence[VisitLog],
    ratings: Sequence[Rating],
    conduct: Sequence[ConductRecord],
    work: WorkStandard,
    weights: RatingWeights,
    standard: AssessmentStandard,
    at: datetime,
) -> Assessment | None:
    """One officer's draft assessment for the period, or None for people not assessed here."""
    group = group_of(officer)
    if group is None:
        return None
    dates = period.dates
    indicators = work_indicators(officer.officer_id, postings, logs, dates, work)
    summaries = rating_summaries(
        [r for r in ratings if r.officer_id == officer.officer_id and r.period == period], weights
    )
    deduction = sum(
        c.score_deduction
        for c in conduct
        if c.officer_id == officer.officer_id and dates.contains(c.occur_date)
    )
    total = total_score(indicators, summaries, deduction, standard)
    return Assessment(
        assessment_id=assessment_id(officer.officer_id, period),
        officer_id=officer.officer_id,
        name=officer.name,
        station_id=officer.station_id,
        group=group,
        period=period,
        status=AssessmentStatus.DRAFT,
        indicators=tuple(indicators),
        ratings=tuple(summaries),
        conduct_deduction=deduction,
        total_score=total,
        grade=standard.grade(total),
        compute_time=at,
    )


def _competition_ranks(assessments: Sequence[Assessment]) -> dict[str, int]:
    """Standard competition ranking (1, 2, 2, 4): equal totals share a rank."""
    ordered = sorted(assessments, key=lambda a: (-a.total_score, a.officer_id))
    ranks: dict[str, int] = {}
    previous: float | None = None
    rank = 0
    for position, assessment in enumerate(ordered, start=1):
        if assessment.total_score != previous:
            rank, previous = position, assessment.total_score
        ranks[assessment.officer_id] = rank
    return ranks


def rank(assessments: Sequence[Assessment]) -> list[Assessment]:
    """R-PER-11: ranks within the station and within the district, police and auxiliaries apart."""
    ranked = []
    groups: dict[str, list[Assessment]] = {}
    for assessment in assessments:
        groups.setdefault(assessment.group, []).append(assessment)
    for members in groups.values():
        district = _competition_ranks(members)
        stations: dict[str, list[Assessment]] = {}
        for assessment in members:
            stations.setdefault(assessment.station_id, []).append(assessment)
        station = {k: v for group in stations.values() for k, v in _competition_ranks(group).items()}
        ranked += [
            replace(a, station_rank=station[a.officer_id], district_rank=district[a.officer_id])
            for a in members
        ]
    return sorted(ranked, key=lambda a: (a.group, a.district_rank, a.officer_id))


def check_not_published(existing: Iterable[Assessment], period: Period) -> None:
    """Published assessments are read-only (R-PER-11 accountability rests on them)."""
    for assessment in existing:
        if assessment.status is AssessmentStatus.PUBLISHED and assessment.period == period:
            raise RuleViolation(
                "R-PER-11",
                f"assessments/{assessment.assessment_id}",
                "the period's assessments are published and read-only",
            )
