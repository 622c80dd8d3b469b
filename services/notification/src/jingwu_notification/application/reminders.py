"""Officer reminders (visits and inspections due, logs missing, findings, callbacks and follow-ups due),
deduplicated by cause and delivered on the officer's channels (via the ReminderIssued event, see
application/deliveries.py)."""

from __future__ import annotations

import logging

from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit

from jingwu_notification.adapters.proto_mapping import reminder_to_proto
from jingwu_notification.application.ports import PostingDirectory, ReminderRepository, RoomDirectory
from jingwu_notification.domain.directory import ROOM_OFFICER_ROLES
from jingwu_notification.domain.reminders import Reminder, ReminderKind, remind, reminder_key

log = logging.getLogger(__name__)


class ReminderApplication:
    def __init__(
        self, kit: UseCaseKit, reminders: ReminderRepository, rooms: RoomDirectory, postings: PostingDirectory
    ) -> None:
        self._kit = kit
        self._reminders = reminders
        self._rooms = rooms
        self._postings = postings

    async def remind_officer(
        self,
        *,
        officer_id: str,
        kind: ReminderKind,
        rule_id: str,
        subject_id: str,
        cause: str,
        text: str,
        source_event_id: str = "",
    ) -> Reminder | None:
        """One reminder per (officer, kind, subject, cause); None when this cause reminded already."""
        if not officer_id:
            return None
        reminder = remind(
            reminder_id=self._kit.ids.stable("reminder", reminder_key(officer_id, kind, subject_id, cause)),
            officer_id=officer_id,
            kind=kind,
            rule_id=rule_id,
            subject_id=subject_id,
            text=text,
            at=self._kit.now(),
            source_event_id=source_event_id,
        )
        issued = notification_events.ReminderIssued(
            district_code=self._kit.district,
            reminder=reminder_to_proto(reminder),
            occur_time=self._kit.events.occur_time(),
        )
        if not await self._reminders.insert(reminder, [self._kit.events(issued, officer_id)]):
            return None
        log.info(
            "officer reminded", extra={"officer_id": officer_id, "kind": kind.value, "subject_id": subject_id}
        )
        return reminder

    async def officers_of_room(self, room_id: str) -> list[str]:
        postings = await self._postings.current(room_id=room_id)
        return sorted({p.officer_id for p in postings if p.role in ROOM_OFFICER_ROLES})

    async def officers_of_zone(self, zone_code: str) -> list[str]:
        """Officers posted to the zone, and those of the rooms serving it."""
        officers = {
            p.officer_id
            for p in await self._postings.current(zone_code=zone_code)
            if p.role in ROOM_OFFICER_ROLES
        }
        for room in await self._rooms.serving_zone(zone_code):
            officers.update(await self.officers_of_room(room.room_id))
        return sorted(officers)

    async def officers_of_village(self, village_id: str) -> list[str]:
        return sorted({p.officer_id for p in await self._postings.current(village_id=village_id)})

    async def remind_all(
        self,
        officer_ids: list[str],
        *,
        kind: ReminderKind,
        rule_id: str,
        subject_id: str,
        cause: str,
        text: str,
        source_event_id: str = "",
    ) -> list[Reminder]:
        reminded = []
        for officer_id in officer_ids:
            reminder = await self.remind_officer(
                officer_id=officer_id,
                kind=kind,
                rule_id=rule_id,
                subject_id=subject_id,
                cause=cause,
                text=text,
                source_event_id=source_event_id,
            )
            if reminder is not None:
                reminded.append(reminder)
        return reminded

    async def list_reminders(
        self, *, officer_id: str, page_size: int, page_token: str
    ) -> tuple[list[Reminder], str]:
        limit = page_limit(page_size)
        found = await self._reminders.select(officer_id=officer_id, after_id=page_token, limit=limit)
        return found, next_page_token(found, limit, key=lambda r: r.reminder_id)
