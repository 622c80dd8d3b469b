"""Assessment (R-PER-11) with conduct (R-PER-13). Pure.

Monthly evaluation and quarterly assessment combine two halves:
- platform data: compliance indicators computed from the logs and postings (village days R-PER-8,
  community hours R-PER-9, data entered on visits, the leader's log audits) and from what other
  services report (households got to know each week R-POP-5, patrol duty evidence R-PAT-6:
  domain/assessment_inputs.py), each 0..100, equally weighted among those that apply to the officer;
- ratings: self / peer / leader / resident averages combined with the district's weights
  (``DistrictPolicy.ratings``), renormalised over the sources that rated at all (domain/ratings.py).
The split between the halves and the grade bands are ``DistrictPolicy.assessment``. Conduct violations
in the period are deducted (R-PER-13, domain/conduct.py). Rankings are per station and per district,
within police officers or within auxiliaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from jingwu_platform.calendar import DateRange
from jingwu_platform.errors import RuleViolation
from jingwu_platform.policy import AssessmentStandard, RatingWeights, WorkStandard

from jingwu_personnel.domain.assessment_inputs import DutyEvidence, FamiliarisationWeek
from jingwu_personnel.domain.conduct import ConductRecord
from jingwu_personnel.domain.officers import Officer
from jingwu_personnel.domain.periods import Period
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.ratings import Rating, RatingSummary, rating_summaries
from jingwu_personnel.domain.worklogs import ReviewResult, VisitLog, community_weeks, village_months


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Grade(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    COMPETENT = "competent"  # 称职
    BASICALLY_COMPETENT = "basically_competent"  # 基本称职
    INCOMPETENT = "incompetent"  # 不称职


@dataclass(frozen=True)
class Indicator:
    code: str
    raw_value: float
    score: float
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
    version: int = 0

    @property
    def published(self) -> bool:
        return self.status is AssessmentStatus.PUBLISHED

    def publish(self, at: datetime) -> Assessment | None:
        """The draft becomes final (R-PER-11); None when it already is."""
        if self.published:
            return None
        return replace(self, status=AssessmentStatus.PUBLISHED, publish_time=at)

    def redrafted(self, draft: Assessment) -> Assessment | None:
        """A newly computed draft replaces this one, unless this one is published (final)."""
        if self.published:
            return None
        return replace(draft, version=self.version)


def grade_for(total: float, standard: AssessmentStandard) -> Grade:
    """R-PER-11 grade bands of the district (DistrictPolicy.assessment)."""
    if total >= standard.excellent_from:
        return Grade.EXCELLENT
    if total >= standard.competent_from:
        return Grade.COMPETENT
    if total >= standard.basically_competent_from:
        return Grade.BASICALLY_COMPETENT
    return Grade.INCOMPETENT


@dataclass(frozen=True)
class ReportedInputs:
    """What other services reported for the period (R-POP-5, R-PAT-6)."""

    familiarisation: Sequence[FamiliarisationWeek] = ()
    duty_evidence: Sequence[DutyEvidence] = ()


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
    *,
    inputs: ReportedInputs | None = None,
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
    reported = inputs or ReportedInputs()
    familiar = [
        w for w in reported.familiarisation if w.officer_id == officer_id and period.contains(w.week_start)
    ]
    if familiar:  # R-POP-5: households got to know each week, against the weekly target
        raw.append(
            (
                "familiarisation",
                sum(w.households_visited for w in familiar),
                100.0 * sum(w.share_met for w in familiar) / len(familiar),
            )
        )
    days = [e for e in reported.duty_evidence if officer_id in e.officer_ids and period.contains(e.day)]
    if days:  # R-PAT-6: patrol tracks are the evidence of duty performance
        share = sum(min(1.0, max(0.0, e.compliance_ratio)) for e in days)
        raw.append(("patrol_duty", len(days), _ratio(share, len(days))))
    weight = 1.0 / len(raw) if raw else 0.0
    return [Indicator(code, value, round(score, 2), weight) for code, value, score in raw]


def total_score(
    indicators: Sequence[Indicator],
    summaries: Sequence[RatingSummary],
    conduct_deduction: float,
    standard: AssessmentStandard,
) -> float:
    data = sum(i.score * i.weight for i in indicators) if indicators else None
    rated = sum(s.average * s.weight for s in summaries) if summaries else None
    if data is not None and rated is not None:
        base = standard.data_share * data + standard.ratings_share * rated
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
    inputs: ReportedInputs | None = None,
) -> Assessment | None:
    """One officer's draft assessment for the period, or None for people not assessed here."""
    group = group_of(officer)
    if group is None:
        return None
    dates = period.dates
    indicators = work_indicators(officer.officer_id, postings, logs, dates, work, inputs=inputs)
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
        grade=grade_for(total, standard),
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
