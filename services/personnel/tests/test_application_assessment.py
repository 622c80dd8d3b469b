"""Ratings, conduct and assessment on the fakes (R-PER-11, R-PER-13): idempotent submissions, each
rater's latest rating counting, the district's deductions and split, drafts ranked, published as final."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from jingwu.personnel.v1 import events_pb2
from jingwu_personnel.domain.assessment import AssessmentStatus, Grade
from jingwu_personnel.domain.conduct import ConductRecord, ConductRule
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.periods import PeriodKind
from jingwu_personnel.domain.ratings import Rating, RatingSource
from jingwu_personnel.domain.worklogs import LogDraft, VisitLogKind
from jingwu_platform.auth import Caller
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.errors import AlreadyExists, PermissionDenied, RuleViolation
from jingwu_platform.policy import DistrictPolicy

from .fakes import ADMIN, LEADER, RELAY, FakePersonnel, fake_personnel, officer_caller

TODAY = datetime(2026, 4, 2, 10, 0, tzinfo=DISTRICT_ZONE)
MARCH = (PeriodKind.MONTHLY, 2026, 3)


async def rate(
    personnel: FakePersonnel,
    officer_id: str,
    score: float,
    *,
    source: RatingSource = RatingSource.LEADER,
    caller: Caller = LEADER,
    request_id: str = "",
    reference: str = "",
) -> Rating:
    return await personnel.apps.ratings.submit(
        officer_id=officer_id,
        period=MARCH,
        source=source,
        score=score,
        comment="",
        resident_reference=reference,
        caller=caller,
        request_id=request_id,
    )


async def violation(
    personnel: FakePersonnel, officer_id: str, *, deduction: float = 0, request_id: str = "", day: int = 5
) -> ConductRecord:
    return await personnel.apps.conduct.record(
        officer_id=officer_id,
        rule=ConductRule.FOUR_NOS,
        occur_date=date(2026, 3, day),
        occur_date_invalid=False,
        description="工作日饮酒",
        score_deduction=deduction,
        evidence_reference="",
        caller=LEADER,
        request_id=request_id,
    )


async def test_a_repeated_rating_request_is_stored_once_and_a_new_one_replaces_the_score() -> None:
    # R-PER-11: the id derives from the request id; each rater's latest rating counts.
    personnel = fake_personnel(at=TODAY)
    cop = await personnel.police("优秀民警")
    first = await rate(personnel, cop.officer_id, 60, request_id="rate-1")
    personnel.clock.advance(minutes=1)
    assert await rate(personnel, cop.officer_id, 60, request_id="rate-1") == first
    assert len(personnel.outbox.of_type(events_pb2.RatingSubmitted)) == 1
    personnel.clock.advance(minutes=1)
    await rate(personnel, cop.officer_id, 90, request_id="rate-2")  # the leader changes his mind
    (computed,) = await personnel.apps.assessment.compute(MARCH, "")
    assert [(r.source, r.count, r.average) for r in computed.ratings] == [(RatingSource.LEADER, 1, 90.0)]
    # Someone else's request id is not theirs to answer.
    other = Caller("lead-2", LEADER.district, LEADER.roles)
    with pytest.raises(AlreadyExists):
        await rate(personnel, cop.officer_id, 10, caller=other, request_id="rate-1")


async def test_who_may_rate_depends_on_the_rating() -> None:
    # R-PER-11: a leader rating needs a leader; a resident rating a leader or the relaying service; a
    # self rating is one's own.
    personnel = fake_personnel(at=TODAY)
    cop = await personnel.police("民警")
    with pytest.raises(PermissionDenied, match="a leader rating needs one of the roles"):
        await rate(personnel, cop.officer_id, 100, caller=officer_caller(cop.officer_id))
    with pytest.raises(PermissionDenied):
        await rate(
            personnel,
            cop.officer_id,
            90,
            source=RatingSource.RESIDENT,
            caller=officer_caller("o-x"),
            reference="cb-1",
        )
    resident = await rate(
        personnel, cop.officer_id, 90, source=RatingSource.RESIDENT, caller=RELAY, reference="cb-1"
    )
    assert resident.rater_id == "" and resident.resident_reference == "cb-1"
    with pytest.raises(RuleViolation) as not_his:
        await rate(personnel, cop.officer_id, 90, source=RatingSource.SELF, caller=officer_caller("o-x"))
    assert not_his.value.rule_id == "R-PER-11"
    assert (
        await rate(
            personnel, cop.officer_id, 95, source=RatingSource.SELF, caller=officer_caller(cop.officer_id)
        )
    ).score == 95


async def test_conduct_takes_the_districts_deduction_and_a_repeated_request_records_once() -> None:
    # R-PER-13: 0 means the district's default for the rule (DistrictPolicy.assessment).
    strict = fake_personnel(
        at=TODAY, policy=DistrictPolicy.from_json('{"assessment": {"conduct_deductions": {"four_nos": 15}}}')
    )
    cop = await strict.police("民警")
    recorded = await violation(strict, cop.officer_id, request_id="c-1")
    assert recorded.score_deduction == 15 and recorded.station_id == cop.station_id
    assert recorded.record_id.startswith("20260305-")
    assert await violation(strict, cop.officer_id, request_id="c-1") == recorded
    assert len(strict.outbox.of_type(events_pb2.ConductRecorded)) == 1
    listed, _ = await strict.apps.conduct.list_records(
        officer_id=cop.officer_id, station_id="", period=None, page_size=0, page_token=""
    )
    assert listed == [recorded]
    explicit = await violation(strict, cop.officer_id, deduction=2, request_id="c-2")
    assert explicit.score_deduction == 2


async def test_assessments_are_computed_ranked_published_and_then_final() -> None:
    # R-PER-11 with R-PER-13 deductions.
    personnel = fake_personnel(at=TODAY)
    good = await personnel.police("优秀民警")
    weak = await personnel.police("一般民警")
    aux = await personnel.auxiliary("辅警")
    await personnel.police(
        "群防队员", roles=(OfficerRole.MASS_PREVENTION_MEMBER,), branch=None
    )  # not assessed
    for officer, score in ((good, 95.0), (weak, 70.0), (aux, 88.0)):
        await rate(personnel, officer.officer_id, score)
    await violation(personnel, weak.officer_id)
    computed = await personnel.apps.assessment.compute(MARCH, "")
    deduction = personnel.kit.policy.assessment.conduct_deductions.four_nos
    totals = {a.officer_id: (a.total_score, a.district_rank, a.group) for a in computed}
    assert totals == {
        good.officer_id: (95.0, 1, "police"),
        weak.officer_id: (70.0 - deduction, 2, "police"),
        aux.officer_id: (88.0, 1, "auxiliary"),
    }
    grades = {a.officer_id: a.grade for a in computed}
    assert grades[good.officer_id] is Grade.EXCELLENT and grades[weak.officer_id] is Grade.BASICALLY_COMPETENT
    # Computing again replaces the drafts.
    personnel.clock.advance(minutes=5)
    await rate(personnel, weak.officer_id, 80.0)  # the leader's later rating replaces his earlier one
    recomputed = {a.officer_id: a for a in await personnel.apps.assessment.compute(MARCH, "")}
    assert recomputed[weak.officer_id].total_score == 70.0 and recomputed[weak.officer_id].version == 1
    assert await personnel.apps.assessment.publish(MARCH, "") == 3
    assert await personnel.apps.assessment.publish(MARCH, "") == 0  # again: nothing more
    assert len(personnel.outbox.of_type(events_pb2.AssessmentPublished)) == 3
    one = await personnel.apps.assessment.get(good.officer_id, MARCH)
    assert one.status is AssessmentStatus.PUBLISHED and one.publish_time == personnel.clock.now()
    ranking, token = await personnel.apps.assessment.rankings(
        MARCH, station_id="", role=None, page_size=0, page_token=""
    )
    assert [a.officer_id for a in ranking] == [
        aux.officer_id,
        good.officer_id,
        weak.officer_id,
    ] and token == ""
    police_only, _ = await personnel.apps.assessment.rankings(
        MARCH, station_id="", role=OfficerRole.COMMUNITY_OFFICER, page_size=1, page_token=""
    )
    assert [a.officer_id for a in police_only] == [good.officer_id]
    with pytest.raises(RuleViolation) as final:
        await personnel.apps.assessment.compute(MARCH, "")
    assert final.value.rule_id == "R-PER-11"


def visit_with_data(day: int, village_id: str) -> LogDraft:
    start = datetime(2026, 3, day, 9, tzinfo=DISTRICT_ZONE)
    return LogDraft(
        VisitLogKind.VILLAGE_VISIT,
        start,
        start + timedelta(hours=2),
        village_id=village_id,
        information_record_ids=(f"info-{day}",),  # R-PER-8: what he collected is entered
    )


async def test_a_district_weighing_platform_data_more_ranks_the_diligent_officer_first() -> None:
    # R-PER-11: the data/ratings split is district policy; the same records rank differently.
    async def ranking(policy: DistrictPolicy) -> list[tuple[str, float]]:
        personnel = fake_personnel(at=TODAY, policy=policy)
        diligent = await personnel.police("勤勉民警")
        liked = await personnel.police("人缘民警")
        for officer, village, days, score in ((diligent, "v-1", (3, 17), 60), (liked, "v-2", (3,), 95)):
            await personnel.village(village)
            await personnel.apps.villages.assign_liaison(
                village, officer.officer_id, date(2026, 2, 1), caller=ADMIN, start_invalid=False, reason=""
            )
            for day in days:
                draft = visit_with_data(day, village)
                await personnel.apps.logs.log(draft, caller=officer_caller(officer.officer_id), request_id="")
            await rate(personnel, officer.officer_id, score)
        computed = await personnel.apps.assessment.compute(MARCH, "")
        return [(a.name, a.total_score) for a in sorted(computed, key=lambda a: a.district_rank)]

    # Data: 2 of 2 village days and data entered = 100; 1 of 2 days = (50 + 100) / 2 = 75.
    assert await ranking(DistrictPolicy()) == [("人缘民警", 85.0), ("勤勉民警", 80.0)]
    data_heavy = DistrictPolicy.from_json('{"assessment": {"data_share": 0.8, "ratings_share": 0.2}}')
    assert await ranking(data_heavy) == [("勤勉民警", 92.0), ("人缘民警", 79.0)]
