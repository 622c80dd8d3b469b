"""The calendar rules on the real service, its own timer driven by a fake clock (far from today, so no
real period interferes): the Friday draft of the weekly notice from the week's events — published by
rooms, population and patrol exactly as those services publish them — and the Monday finding when it
was never published (R-NOT-1); the daily escalation of an overdue callback (R-NOT-3); the two-monthly
finding of a room that held no resident meeting (R-NOT-2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.notification.v1 import notification_pb2
from jingwu.patrol.v1 import events_pb2 as patrol_events
from jingwu.patrol.v1 import patrol_pb2
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.personnel.v1 import personnel_pb2
from jingwu.population.v1 import events_pb2 as population_events
from jingwu.population.v1 import population_pb2
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import wait_until
from jingwu_platform.usecase import FakeClock

from .support import NotificationStub, RunningNotification, publish_as, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
ROOM = "room-sched"
FAST_TIMER: dict[str, object] = {"schedule_poll_interval_s": 0.05}


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DISTRICT_ZONE)


def stamp(at: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(at)
    return value


async def open_room(service: RunningNotification, kafka_bootstrap: str, opened: datetime) -> str:
    district = service.district
    zone = f"{district}020301"
    room = rooms_pb2.Room(
        room_id=ROOM, name="汴河社区警务室", station_id="st-1", zone_codes=[zone], open_time=stamp(opened)
    )
    await publish_as(
        kafka_bootstrap, "rooms", district, room_events.RoomOpened(district_code=district, room=room), ROOM
    )
    posting = personnel_pb2.Posting(
        posting_id="post-s",
        officer_id="officer-s",
        role=personnel_pb2.OFFICER_ROLE_COMMUNITY_OFFICER,
        room_id=ROOM,
    )
    await publish_as(
        kafka_bootstrap,
        "personnel",
        district,
        personnel_events.OfficerPosted(district_code=district, posting=posting),
        "officer-s",
    )
    return zone


async def findings(
    stub: NotificationStub, kind: notification_pb2.NotificationFindingKind.ValueType
) -> list[notification_pb2.NotificationFinding]:
    reply = await stub.ListNotificationFindings(
        notification_pb2.ListNotificationFindingsRequest(room_id=ROOM, kind=kind)
    )
    return list(reply.findings)


async def test_the_weekly_notice_is_drafted_on_friday_and_a_week_without_it_is_a_finding(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    clock = FakeClock(local(2030, 1, 3, 12, 0))  # Thursday of the week 31 Dec 2029 – 6 Jan 2030
    async with running(settings_for, district, auth_secret, clock=clock, settings=FAST_TIMER) as service:
        zone = await open_room(service, kafka_bootstrap, opened=local(2029, 12, 1, 9, 0))
        patrol = patrol_pb2.Patrol(
            patrol_id="pt-1",
            zone_code=zone,
            start_time=stamp(local(2030, 1, 2, 19, 0)),
            end_time=stamp(local(2030, 1, 2, 21, 30)),
            status=patrol_pb2.PATROL_STATUS_FINISHED,
        )
        await publish_as(
            kafka_bootstrap,
            "patrol",
            district,
            patrol_events.PatrolFinished(district_code=district, patrol=patrol),
            "pt-1",
        )
        joint = patrol_pb2.JointPatrol(
            joint_patrol_id="jp-1",
            village_id="v-1",
            zone_code=zone,
            date=common_pb2.LocalDate(year=2030, month=1, day=3),
        )
        await publish_as(
            kafka_bootstrap,
            "patrol",
            district,
            patrol_events.JointPatrolRecorded(district_code=district, joint_patrol=joint),
            "v-1",
        )
        incident = patrol_pb2.Incident(
            incident_id="inc-1",
            category=patrol_pb2.INCIDENT_CATEGORY_THEFT,
            zone_code=zone,
            occur_time=stamp(local(2030, 1, 2, 22, 0)),
        )
        await publish_as(
            kafka_bootstrap,
            "patrol",
            district,
            patrol_events.IncidentRecorded(district_code=district, incident=incident),
            "inc-1",
        )
        for n, category in enumerate(
            (population_pb2.INFORMATION_CATEGORY_DISPUTE, population_pb2.INFORMATION_CATEGORY_INTELLIGENCE)
        ):
            record = population_events.InformationStageChanged(
                district_code=district,
                record_id=f"info-{n}",
                category=category,
                stage=population_pb2.INFORMATION_STAGE_COLLECTED,
                zone_code=zone,
                occur_time=stamp(local(2030, 1, 2, 10, 0)),
            )
            await publish_as(kafka_bootstrap, "population", district, record, f"info-{n}")
        await wait_until(
            lambda: service.process.reactions.processed >= 7, timeout_s=60, what="the week's events"
        )
        leader = service.notification()
        assert await findings(leader, notification_pb2.NOTIFICATION_FINDING_KIND_NO_WEEKLY_NOTICE) == []

        clock.set(local(2030, 1, 4, 16, 0))  # Friday 16:00: the draft schedule
        weekly_id = f"weekly-{ROOM}-2030-W01"

        async def drafted() -> bool:
            reply = await leader.ListNotices(
                notification_pb2.ListNoticesRequest(
                    room_id=ROOM, kind=notification_pb2.NOTICE_KIND_WEEKLY_SITUATION
                )
            )
            return [n.notice_id for n in reply.notices] == [weekly_id]

        await wait_until(drafted, timeout_s=30, what="the Friday draft")
        draft = (await leader.GetNotice(notification_pb2.GetNoticeRequest(notice_id=weekly_id))).notice
        assert draft.status == notification_pb2.NOTICE_STATUS_DRAFT
        assert (draft.facts.patrols, draft.facts.patrol_hours, draft.facts.joint_patrols) == (1, 2.5, 1)
        # Incidents by category: the command centre's (via patrol) and the information records'.
        assert [(c.category, c.count) for c in draft.facts.incidents] == [("dispute", 1), ("theft", 1)]
        assert draft.facts.resident_tips == 1

        clock.set(local(2030, 1, 7, 1, 0))  # Monday 01:00: last week is judged; the draft was never published

        async def found() -> bool:
            return (
                len(await findings(leader, notification_pb2.NOTIFICATION_FINDING_KIND_NO_WEEKLY_NOTICE)) == 1
            )

        await wait_until(found, timeout_s=30, what="the R-NOT-1 finding")
        (finding,) = await findings(leader, notification_pb2.NOTIFICATION_FINDING_KIND_NO_WEEKLY_NOTICE)
        assert (finding.rule_id, finding.room_id, finding.period.start.day) == ("R-NOT-1", ROOM, 31)
        officer = service.notification(Role.OFFICER, subject="officer-s")

        async def reminded() -> bool:
            reply = await officer.ListReminders(notification_pb2.ListRemindersRequest())
            return [r.rule_id for r in reply.reminders] == ["R-NOT-1"]

        await wait_until(reminded, timeout_s=30, what="the room officer's reminder of the finding")


async def test_an_overdue_callback_escalates_and_a_period_without_a_meeting_is_a_finding(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    clock = FakeClock(local(2030, 2, 26, 9, 0))
    async with running(settings_for, district, auth_secret, clock=clock, settings=FAST_TIMER) as service:
        await open_room(service, kafka_bootstrap, opened=local(2029, 6, 1, 9, 0))
        await wait_until(
            lambda: service.process.reactions.processed >= 2, timeout_s=60, what="room and posting"
        )
        leader = service.notification()
        entrusted = await leader.EntrustMatter(
            notification_pb2.EntrustMatterRequest(
                room_id=ROOM,
                resident_name="王大妈",
                resident_phone="13800138000",
                description="楼道堆物",
                due_date=common_pb2.LocalDate(year=2030, month=2, day=26),
                request_id="m-1",
            )
        )
        matter = entrusted.entrusted_matter
        assert matter.owner_officer_id == "officer-s" and matter.resident_phone == "138****8000"

        clock.set(local(2030, 2, 27, 8, 0))  # the daily run after the due date

        async def escalated() -> bool:
            got = await leader.GetMatter(notification_pb2.GetMatterRequest(matter_id=matter.matter_id))
            return got.entrusted_matter.HasField("escalate_time")

        await wait_until(escalated, timeout_s=30, what="the R-NOT-3 escalation")
        assert await findings(leader, notification_pb2.NOTIFICATION_FINDING_KIND_MEETING_OVERDUE) == []

        clock.set(local(2030, 3, 1, 1, 30))  # January–February judged: no meeting was held

        async def overdue() -> bool:
            return (
                len(await findings(leader, notification_pb2.NOTIFICATION_FINDING_KIND_MEETING_OVERDUE)) == 1
            )

        await wait_until(overdue, timeout_s=30, what="the R-NOT-2 finding")
        (finding,) = await findings(leader, notification_pb2.NOTIFICATION_FINDING_KIND_MEETING_OVERDUE)
        assert finding.rule_id == "R-NOT-2" and (finding.period.start.month, finding.period.end.month) == (
            1,
            2,
        )
