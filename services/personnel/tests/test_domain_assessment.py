"""Assessment (R-PER-11) and conduct (R-PER-13) without I/O: weights, deductions, grades, ranks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from jingwu_personnel.domain.assessment import Assessment, Grade, assess, grade_for, rank
from jingwu_personnel.domain.conduct import ConductRecord, ConductRule, record_conduct
from jingwu_personnel.domain.officers import Branch, Officer, OfficerRole
from jingwu_personnel.domain.periods import Period, PeriodKind
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.ratings import (
    Rating,
    RatingSource,
    check_rater,
    latest_per_rater,
    rating_summaries,
    validate_rating,
)
from jingwu_personnel.domain.worklogs import ReviewResult, VisitLog, VisitLogKind
from jingwu_platform.calendar import DISTRICT_ZONE, DateRange
from jingwu_platform.errors import RuleViolation, ValidationFailed
from jingwu_platform.policy import AssessmentStandard, DistrictPolicy, RatingWeights

POLICY = DistrictPolicy()
STANDARD = POLICY.assessment
AT = datetime(2026, 11, 2, tzinfo=UTC)
OCTOBER = Period(PeriodKind.MONTHLY, 2026, 10)


def cop(oid: str, station: str = "st-1") -> Officer:
    return Officer(oid, oid, frozenset({OfficerRole.POLICE}), branch=Branch.STATION, station_id=station)


def rating(
    source: RatingSource, score: float, officer: str = "o1", rater: str = "r", minute: int = 0
) -> Rating:
    if source is RatingSource.RESIDENT:
        return Rating(
            f"{officer}-{source}-{rater}-{minute}",
            officer,
            OCTOBER,
            source,
            score,
            resident_reference=rater,
            submit_time=AT.replace(minute=minute),
        )
    return Rating(
        f"{officer}-{source}-{rater}-{minute}",
        officer,
        OCTOBER,
        source,
        score,
        rater_id=rater,
        submit_time=AT.replace(minute=minute),
    )


def test_period_dates_and_keys() -> None:
    assert OCTOBER.dates == DateRange(date(2026, 10, 1), date(2026, 10, 31))
    q4 = Period(PeriodKind.QUARTERLY, 2026, 4)
    assert q4.dates == DateRange(date(2026, 10, 1), date(2026, 12, 31))
    assert Period.from_key(q4.key) == q4 and Period.from_key(OCTOBER.key) == OCTOBER


def test_rating_weights_are_the_districts() -> None:
    # R-PER-11: self / peer / leader / resident combined with policy.ratings weights.
    weights = POLICY.ratings
    summaries = rating_summaries(
        [
            rating(RatingSource.SELF, 100),
            rating(RatingSource.PEER, 80),
            rating(RatingSource.LEADER, 70),
            rating(RatingSource.RESIDENT, 90, rater="a"),
            rating(RatingSource.RESIDENT, 70, rater="b"),
        ],
        weights,
    )
    by_source = {s.source: s for s in summaries}
    assert by_source[RatingSource.RESIDENT].average == 80 and by_source[RatingSource.RESIDENT].count == 2
    assert by_source[RatingSource.SELF].weight == pytest.approx(weights.self_rating)
    assert by_source[RatingSource.RESIDENT].weight == pytest.approx(weights.resident)
    expected = 100 * weights.self_rating + 80 * weights.peer + 70 * weights.leader + 80 * weights.resident
    result = assess(
        cop("o1"),
        OCTOBER,
        postings=[],
        logs=[],
        ratings=[
            rating(RatingSource.SELF, 100),
            rating(RatingSource.PEER, 80),
            rating(RatingSource.LEADER, 70),
            rating(RatingSource.RESIDENT, 90, rater="a"),
            rating(RatingSource.RESIDENT, 70, rater="b"),
        ],
        conduct=[],
        work=POLICY.work,
        weights=weights,
        standard=STANDARD,
        at=AT,
    )
    assert result is not None and result.total_score == pytest.approx(round(expected, 2))


def test_missing_sources_are_renormalised_not_zeroed() -> None:
    leader_only = rating_summaries([rating(RatingSource.LEADER, 70)], POLICY.ratings)
    assert [(s.source, s.weight) for s in leader_only] == [(RatingSource.LEADER, 1.0)]
    custom = RatingWeights(self_rating=0.0, peer=0.0, leader=0.5, resident=0.5)
    two = rating_summaries([rating(RatingSource.LEADER, 60), rating(RatingSource.RESIDENT, 100)], custom)
    assert sum(s.average * s.weight for s in two) == 80


def visit(
    day: int, village: str = "v1", review: ReviewResult = ReviewResult.PENDING, data: bool = False
) -> VisitLog:
    start = datetime(2026, 10, day, 9, tzinfo=DISTRICT_ZONE)
    return VisitLog(
        log_id=f"l{day}{village}",
        officer_id="o1",
        kind=VisitLogKind.VILLAGE_VISIT,
        start_time=start,
        end_time=start.replace(hour=11),
        village_id=village,
        review_result=review,
        information_record_ids=("r1",) if data else (),
    )


def test_platform_data_indicators_and_conduct_feed_the_total() -> None:
    # R-PER-11 data half + ratings half; R-PER-13 deductions.
    posting = Posting("p", "o1", OfficerRole.VILLAGE_LIAISON_OFFICER, date(2026, 1, 1), village_id="v1")
    logs = [
        visit(3, review=ReviewResult.APPROVED, data=True),
        visit(3, village="v2", review=ReviewResult.REJECTED),
    ]
    conduct = [
        ConductRecord("c1", "o1", ConductRule.FOUR_NOS, date(2026, 10, 9), "违反四不", 10.0),
        ConductRecord("c2", "o1", ConductRule.OTHER, date(2026, 9, 9), "上月", 5.0),  # another period
    ]
    result = assess(
        cop("o1"),
        OCTOBER,
        postings=[posting],
        logs=logs,
        ratings=[rating(RatingSource.LEADER, 80)],
        conduct=conduct,
        work=POLICY.work,
        weights=POLICY.ratings,
        standard=STANDARD,
        at=AT,
    )
    assert result is not None
    scores = {i.code: i.score for i in result.indicators}
    required = POLICY.work.liaison_village_days_per_month
    assert scores == {"village_entries": 100 * 1 / required, "data_maintained": 50.0, "log_audit": 50.0}
    data = sum(scores.values()) / 3
    assert result.conduct_deduction == 10.0
    expected = STANDARD.data_share * data + STANDARD.ratings_share * 80 - 10
    assert result.total_score == pytest.approx(round(expected, 2))
    assert result.grade is grade_for(result.total_score, STANDARD)


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (90, Grade.EXCELLENT),
        (89.99, Grade.COMPETENT),
        (75, Grade.COMPETENT),
        (60, Grade.BASICALLY_COMPETENT),
        (59.99, Grade.INCOMPETENT),
    ],
)
def test_grades(total: float, grade: Grade) -> None:
    assert grade_for(total, STANDARD) is grade


def test_a_district_moving_the_split_towards_platform_data_changes_the_total() -> None:
    # R-PER-11: the data/ratings split is the district's (DistrictPolicy.assessment), 0.5 / 0.5 by default.
    posting = Posting("p", "o1", OfficerRole.VILLAGE_LIAISON_OFFICER, date(2026, 1, 1), village_id="v1")
    logs = [visit(3, data=True), visit(13, data=True)]  # 2 of 2 days, data entered: every indicator 100

    def total(standard: AssessmentStandard) -> float:
        result = assess(
            cop("o1"),
            OCTOBER,
            postings=[posting],
            logs=logs,
            ratings=[rating(RatingSource.LEADER, 60)],
            conduct=[],
            work=POLICY.work,
            weights=POLICY.ratings,
            standard=standard,
            at=AT,
        )
        assert result is not None
        return result.total_score

    data_heavy = DistrictPolicy.from_json('{"assessment": {"data_share": 0.8, "ratings_share": 0.2}}')
    assert total(STANDARD) == 80.0  # 0.5 × 100 + 0.5 × 60
    assert total(data_heavy.assessment) == 92.0  # 0.8 × 100 + 0.2 × 60


def test_a_resubmitted_rating_replaces_the_raters_score() -> None:
    # R-PER-11: every submission is kept; each rater's latest counts once.
    first = rating(RatingSource.PEER, 40, rater="p1", minute=1)
    again = rating(RatingSource.PEER, 90, rater="p1", minute=5)
    other = rating(RatingSource.PEER, 70, rater="p2", minute=2)
    assert latest_per_rater([again, first, other]) == sorted([again, other], key=lambda r: r.rating_id)
    (peer,) = rating_summaries([first, other, again], POLICY.ratings)
    assert (peer.count, peer.average) == (2, 80)


def test_conduct_defaults_its_deduction_per_rule() -> None:
    # R-PER-13: 0 means the default for the rule.
    record = record_conduct(
        unique_id="c",
        officer=cop("o1"),
        rule=ConductRule.LEAKED_PERSONAL_DATA,
        occur_date=date(2026, 10, 9),
        occur_date_invalid=False,
        description="泄露居民信息",
        score_deduction=0,
        evidence_reference="",
        today=date(2026, 11, 2),
        deductions=STANDARD.conduct_deductions,
        at=AT,
        by="lead",
    )
    assert record.score_deduction == STANDARD.conduct_deductions.leaked_personal_data == 20
    assert record.record_id == "20261009-c"  # newest-first lists by the day it happened
    stricter = DistrictPolicy.from_json(
        '{"assessment": {"conduct_deductions": {"leaked_personal_data": 35}}}'
    )
    overridden = record_conduct(
        unique_id="c",
        officer=cop("o1"),
        rule=ConductRule.LEAKED_PERSONAL_DATA,
        occur_date=date(2026, 10, 9),
        occur_date_invalid=False,
        description="泄露居民信息",
        score_deduction=0,
        evidence_reference="",
        today=date(2026, 11, 2),
        deductions=stricter.assessment.conduct_deductions,
        at=AT,
        by="lead",
    )
    assert overridden.score_deduction == 35  # R-PER-13: the district's own default
    with pytest.raises(ValidationFailed) as exc:
        record_conduct(
            unique_id="c",
            officer=cop("o1"),
            rule=None,
            occur_date=date(2026, 12, 9),
            occur_date_invalid=False,
            description=" ",
            score_deduction=-1,
            evidence_reference="",
            today=date(2026, 11, 2),
            deductions=STANDARD.conduct_deductions,
            at=AT,
            by="lead",
        )
    assert {v.field for v in exc.value.violations} == {"rule", "occur_date", "description", "score_deduction"}


def test_rating_rules() -> None:
    # R-PER-11: self ratings are one's own, peer and leader ratings someone else's.
    with pytest.raises(RuleViolation):
        check_rater("o1", RatingSource.SELF, "o2")
    with pytest.raises(RuleViolation):
        check_rater("o1", RatingSource.PEER, "o1")
    check_rater("o1", RatingSource.SELF, "o1")
    check_rater("o1", RatingSource.LEADER, "lead")
    with pytest.raises(ValidationFailed) as exc:
        validate_rating(
            officer_id="o1",
            period=(PeriodKind.QUARTERLY, 2026, 5),
            source=RatingSource.RESIDENT,
            score=101,
            resident_reference="",
            comment="",
        )
    assert {v.field for v in exc.value.violations} == {"period.index", "score", "resident_reference"}


def test_ranks_per_station_and_district_police_and_auxiliaries_apart() -> None:
    def draft(oid: str, station: str, total: float, group: str = "police") -> Assessment:
        result = assess(
            cop(oid, station),
            OCTOBER,
            postings=[],
            logs=[],
            ratings=[rating(RatingSource.LEADER, total, officer=oid)],
            conduct=[],
            work=POLICY.work,
            weights=POLICY.ratings,
            standard=STANDARD,
            at=AT,
        )
        assert result is not None
        return replace(result, group=group)

    ranked = rank(
        [
            draft("a", "s1", 90),
            draft("b", "s1", 80),
            draft("c", "s2", 90),
            draft("d", "s2", 70),
            draft("x", "s1", 50, "auxiliary"),
        ]
    )
    ranks = {a.officer_id: (a.station_rank, a.district_rank) for a in ranked}
    assert ranks == {"a": (1, 1), "c": (1, 1), "b": (2, 3), "d": (2, 4), "x": (1, 1)}
