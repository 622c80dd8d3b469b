"""This service's own events (jingwu.<district>.notification.v1) → deliveries and reminders.

A use case writes its record and its event in one document write; what has to reach people follows from
the event, so nothing is lost between the two writes and every step is idempotent (a delivery's id is
the message's and the recipient's):

- NoticePublished with the resident-group channel → the room's resident group (R-NOT-4);
- ReminderIssued → the officer's channels;
- MatterEscalated → the station's desk, and a reminder to the matter's owner (R-NOT-3);
- NotificationFindingRaised → reminders to the room's officers (R-NOT-1, R-NOT-2).
"""

from __future__ import annotations

from typing import Any

from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu.notification.v1 import notification_pb2
from jingwu_platform.events import Event
from jingwu_platform.kafka import EventHandler
from jingwu_platform.proto_values import local_date_from_proto

from jingwu_notification.adapters.proto_mapping import REMINDER_KIND
from jingwu_notification.application.deliveries import DeliveryApplication
from jingwu_notification.application.reminders import ReminderApplication
from jingwu_notification.domain.directory import ContactOwner, recipient_of
from jingwu_notification.domain.reminders import TITLES, ReminderKind


class OwnEventHandlers:
    def __init__(self, deliveries: DeliveryApplication, reminders: ReminderApplication) -> None:
        self._deliveries = deliveries
        self._reminders = reminders

    async def on_notice_published(self, event: Event, payload: notification_events.NoticePublished) -> None:
        notice = payload.notice
        if notification_pb2.CHANNEL_RESIDENT_GROUP not in notice.channels:
            return
        await self._deliveries.to_contact(
            contact_id=recipient_of(ContactOwner.ROOM, notice.room_id),
            subject=notice.title,
            text=notice.body,
            message_key=f"notice/{notice.notice_id}",
        )

    async def on_reminder_issued(self, event: Event, payload: notification_events.ReminderIssued) -> None:
        reminder = payload.reminder
        kind = REMINDER_KIND.from_proto(reminder.kind) or ReminderKind.FINDING
        await self._deliveries.to_contact(
            contact_id=recipient_of(ContactOwner.OFFICER, reminder.officer_id),
            subject=f"[{reminder.rule_id}] {TITLES[kind]}",
            text=reminder.text,
            message_key=f"reminder/{reminder.reminder_id}",
        )

    async def on_matter_escalated(self, event: Event, payload: notification_events.MatterEscalated) -> None:
        due = local_date_from_proto(payload.due_date)
        due_text = due.isoformat() if due else "?"
        text = (
            f"警务室 {payload.room_id} 的群众委托事项 {payload.matter_id} "
            f"已超过回告期限（{due_text}）仍未回告，请督办。"
        )
        if payload.station_id:
            await self._deliveries.to_contact(
                contact_id=recipient_of(ContactOwner.STATION, payload.station_id),
                subject="[R-NOT-3] 群众委托事项逾期未回告",
                text=text,
                message_key=f"escalation/{payload.matter_id}",
            )
        await self._reminders.remind_officer(
            officer_id=payload.owner_officer_id,
            kind=ReminderKind.CALLBACK_DUE,
            rule_id="R-NOT-3",
            subject_id=payload.matter_id,
            cause="escalated",
            text=text,
            source_event_id=event.event_id,
        )

    async def on_finding_raised(
        self, event: Event, payload: notification_events.NotificationFindingRaised
    ) -> None:
        finding = payload.finding
        await self._reminders.remind_all(
            await self._reminders.officers_of_room(finding.room_id),
            kind=ReminderKind.FINDING,
            rule_id=finding.rule_id,
            subject_id=finding.room_id,
            cause=finding.finding_id,
            text=finding.detail,
            source_event_id=event.event_id,
        )

    def handlers(self) -> list[EventHandler[Any]]:
        return [
            EventHandler(notification_events.NoticePublished, self.on_notice_published),
            EventHandler(notification_events.ReminderIssued, self.on_reminder_issued),
            EventHandler(notification_events.MatterEscalated, self.on_matter_escalated),
            EventHandler(notification_events.NotificationFindingRaised, self.on_finding_raised),
        ]
