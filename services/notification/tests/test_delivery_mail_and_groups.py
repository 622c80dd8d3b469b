"""E-mail over SMTP to a real SMTP server (aiosmtpd) and messages to a resident group through a real
HTTP group-robot gateway, on the real service: an officer's reminder caused by a personnel finding
(published exactly as personnel publishes it), and a room's notice to its residents' group (R-NOT-4)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from jingwu.notification.v1 import notification_pb2, subscriptions_pb2
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.personnel.v1 import personnel_pb2
from jingwu_platform.auth import Role
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import wait_until

from .receivers import GroupGateway, SmtpSink
from .support import publish_as, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
async def gateway() -> AsyncIterator[GroupGateway]:
    api = GroupGateway(keys={"bianhe-residents"})
    await api.start()
    yield api
    await api.stop()


async def test_a_personnel_finding_reminds_the_officer_by_mail_once(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    smtp: SmtpSink,
) -> None:
    async with running(
        settings_for,
        district,
        auth_secret,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_sender="jw@pcs.example",
    ) as service:
        officer = service.notification(Role.OFFICER, subject="officer-7")
        await officer.SetContactPoint(
            notification_pb2.SetContactPointRequest(
                contact_point=notification_pb2.ContactPoint(
                    owner=notification_pb2.CONTACT_OWNER_OFFICER,
                    owner_id="officer-7",
                    email="officer7@pcs.example",
                )
            )
        )
        finding = personnel_pb2.StaffingFinding(
            finding_id="f-77",
            kind=personnel_pb2.STAFFING_FINDING_KIND_VILLAGE_DAYS_SHORT,
            status=personnel_pb2.STAFFING_FINDING_STATUS_OPEN,
            rule_id="R-PER-8",
            officer_id="officer-7",
            village_id="v-1",
            detail="3月进村1天，少于每月2天",
        )
        payload = personnel_events.StaffingFindingRaised(district_code=district, finding=finding)
        for _ in range(2):  # raised again (a new event id): still one reminder, one mail
            await publish_as(kafka_bootstrap, "personnel", district, payload, "f-77")

        await wait_until(lambda: len(smtp.messages) >= 1, timeout_s=60, what="the reminder mail")
        await wait_until(lambda: service.process.reactions.processed >= 2, timeout_s=30, what="both events")
        envelope, mail = smtp.messages[0]
        assert envelope.rcpt_tos == ["officer7@pcs.example"] and envelope.mail_from == "jw@pcs.example"
        assert mail["Subject"] == "[R-PER-8] 进村走访待完成"
        assert mail["Message-ID"].startswith("<msg_") and mail["Message-ID"].endswith("@pcs.example>")
        assert "3月进村1天" in str(mail.get_content())
        reminders = await officer.ListReminders(notification_pb2.ListRemindersRequest())
        assert [(r.kind, r.rule_id) for r in reminders.reminders] == [
            (notification_pb2.REMINDER_KIND_VISITS_DUE, "R-PER-8")
        ]
        records = await service.subscriptions(Role.SUPERVISOR).ListDeliveries(
            subscriptions_pb2.ListDeliveriesRequest(recipient="officer/officer-7")
        )
        (record,) = records.deliveries
        assert (
            record.channel == subscriptions_pb2.DELIVERY_CHANNEL_EMAIL
            and record.address == "o***@pcs.example"
        )
        assert len(smtp.messages) == 1


async def test_a_notice_reaches_the_rooms_resident_group(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    gateway: GroupGateway,
) -> None:
    async with running(settings_for, district, auth_secret, group_api_url=gateway.url) as service:
        leader = service.notification()
        await leader.SetContactPoint(
            notification_pb2.SetContactPointRequest(
                contact_point=notification_pb2.ContactPoint(
                    owner=notification_pb2.CONTACT_OWNER_ROOM, owner_id="room-g", group_key="bianhe-residents"
                )
            )
        )
        await leader.PublishNotice(
            notification_pb2.PublishNoticeRequest(
                kind=notification_pb2.NOTICE_KIND_TIP,
                room_id="room-g",
                title="防范电信诈骗",
                body="公检法不会电话办案，不要向陌生账户转账。",
                channels=[notification_pb2.CHANNEL_RESIDENT_GROUP],
                request_id="tip-1",
            )
        )
        await wait_until(lambda: len(gateway.messages) == 1, timeout_s=60, what="the group message")
        key, body = gateway.messages[0]
        assert key == "bianhe-residents" and body["msgtype"] == "markdown"
        assert body["markdown"]["content"].startswith("**防范电信诈骗**\n公检法不会电话办案")
