"""Joint patrols of the mass-prevention teams on fakes (R-PAT-4): recorded per community or village with
its participants, a day without one is a finding — computed by the daily schedule on a fake clock —
and golden-hour visit slots from the district's policy and holidays (R-PAT-5)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from jingwu.patrol.v1 import events_pb2
from jingwu_patrol.domain.findings import FindingKind
from jingwu_patrol.domain.geo import GeoPoint
from jingwu_patrol.domain.golden_hours import GoldenReason
from jingwu_patrol.entrypoints.schedules import JOINT_PATROL_CHECK
from jingwu_platform.errors import ValidationFailed
from jingwu_platform.policy import DistrictPolicy, WorkStandard
from jingwu_platform.testing import violations_of

from .fakes import OFFICER, World, seeded
from .samples import DAY, NOW, ZONE_A, at_m, local


async def record(w: World, village: str, day: date, request_id: str) -> None:
    await w.apps.joint_patrols.record(
        village_id=village,
        day=day,
        start=local(day, 19),
        end=local(day, 21),
        leader_officer_id="o-1",
        participant_ids=["o-1", "p-7"],
        participant_count=9,
        route=[at_m(0, 0), at_m(100, 0)],
        notes="夜巡",
        caller=OFFICER,
        request_id=request_id,
    )


async def test_a_joint_patrol_is_recorded_once_with_its_participants() -> None:
    w = await seeded()
    await record(w, "v-a", DAY, "jp-1")
    await record(w, "v-a", DAY, "jp-1")
    (event,) = w.outbox.of_type(events_pb2.JointPatrolRecorded)
    assert event.joint_patrol.zone_code == ZONE_A and event.joint_patrol.participant_count == 9
    assert list(event.joint_patrol.participant_ids) == ["o-1", "p-7"]
    listed, _ = await w.apps.joint_patrols.list_joint_patrols(
        village_id="v-a", zone_code="", first=None, last=None, page_size=0, page_token=""
    )
    assert len(listed) == 1


async def test_a_bad_joint_patrol_is_refused_field_by_field() -> None:
    w = await seeded()
    with pytest.raises(ValidationFailed) as refused:
        await w.apps.joint_patrols.record(
            village_id="v-none",
            day=NOW.date() + timedelta(days=3),
            start=local(DAY, 19),
            end=local(DAY, 18),
            leader_officer_id="",
            participant_ids=["p-1", "p-2", "p-3"],
            participant_count=2,
            route=[GeoPoint(0.0, 0.0)],
            notes="",
            caller=OFFICER,
            request_id="",
        )
    assert set(violations_of(refused.value)) == {
        "village_id",
        "date",
        "start_time",
        "end_time",
        "participant_count",
        "route[0]",
    }


async def test_a_day_without_a_joint_patrol_is_a_finding_from_the_daily_schedule() -> None:
    w = await seeded()
    await record(w, "v-a", DAY, "jp-1")
    period = JOINT_PATROL_CHECK.cadence.latest_due(NOW)  # 00:30 today judges yesterday
    assert period.start == DAY
    assert await w.apps.joint_patrols.check_day(period) == 1  # v-b; v-b1 patrols with v-b
    assert await w.apps.joint_patrols.check_day(period) == 0
    (missed,) = w.outbox.of_type(events_pb2.JointPatrolMissed)
    assert (missed.village_id, missed.date.day) == ("v-b", 3)
    findings, _ = await w.apps.joint_patrols.findings(
        kind=FindingKind.JOINT_PATROL_MISSED, zone_code="", first=DAY, last=DAY, page_size=0, page_token=""
    )
    assert [f.village_id for f in findings] == ["v-b"] and findings[0].rule_id == "R-PAT-4"
    gaps = await w.apps.joint_patrols.gaps(
        village_id="", zone_code="", station_id="st-1", first=DAY - timedelta(days=1), last=NOW.date()
    )
    # Up to yesterday: today is not over. v-a missed the day before; v-b both days.
    assert [(g.village_id, len(g.missed)) for g in gaps] == [("v-a", 1), ("v-b", 2)]
    with pytest.raises(ValidationFailed) as refused:
        await w.apps.joint_patrols.gaps(village_id="", zone_code="", station_id="", first=None, last=DAY)
    assert set(violations_of(refused.value)) == {"period.start"}


async def test_golden_hours_follow_the_districts_policy_and_holidays() -> None:
    policy = DistrictPolicy(
        work=WorkStandard(holidays=(date(2026, 3, 5),), golden_hours=((time(11, 30), time(13, 0)),))
    )
    w = await seeded(district_policy=policy)
    slots = w.apps.joint_patrols.golden_hours(date(2026, 3, 4), date(2026, 3, 7))
    assert [(s.day.day, s.start_minute, s.reason) for s in slots] == [
        (4, 690, GoldenReason.NOON),
        (5, 540, GoldenReason.HOLIDAY),
        (6, 690, GoldenReason.NOON),
        (7, 540, GoldenReason.WEEKEND),
    ]
    with pytest.raises(ValidationFailed) as refused:
        w.apps.joint_patrols.golden_hours(date(2026, 1, 1), date(2026, 6, 1))
    assert set(violations_of(refused.value)) == {"period"}
