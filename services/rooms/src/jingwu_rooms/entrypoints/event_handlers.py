"""Events of other services → room registry use cases: check what the payload must carry (a malformed
event is rejected to the dead-letter topic), translate, call. The logic stays in application/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu_platform.events import Event, EventRejected
from jingwu_platform.kafka import EventHandler

from jingwu_rooms.adapters.proto_mapping import posting_from_personnel
from jingwu_rooms.application.postings import PostingApplication


def _event_time(event: Event) -> datetime:
    return event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)


class PersonnelEventHandlers:
    """jingwu.<district>.personnel.v1 → who is posted to which room."""

    def __init__(self, postings: PostingApplication) -> None:
        self._postings = postings

    async def on_officer_posted(self, event: Event, payload: personnel_events.OfficerPosted) -> None:
        posting = posting_from_personnel(payload.posting)
        if not posting.posting_id or not posting.officer_id:
            raise EventRejected("OfficerPosted without posting.posting_id or posting.officer_id")
        await self._postings.officer_posted(posting, event_id=event.event_id, at=_event_time(event))

    async def on_posting_ended(self, event: Event, payload: personnel_events.PostingEnded) -> None:
        posting = posting_from_personnel(payload.posting)
        if not posting.posting_id:
            raise EventRejected("PostingEnded without posting.posting_id")
        await self._postings.posting_ended(posting, event_id=event.event_id, at=_event_time(event))

    async def on_officer_deactivated(
        self, event: Event, payload: personnel_events.OfficerDeactivated
    ) -> None:
        if not payload.officer_id:
            raise EventRejected("OfficerDeactivated without officer_id")
        await self._postings.officer_deactivated(
            payload.officer_id,
            list(payload.ended_posting_ids),
            event_id=event.event_id,
            at=_event_time(event),
        )

    def handlers(self) -> list[EventHandler[Any]]:
        return [
            EventHandler(personnel_events.OfficerPosted, self.on_officer_posted),
            EventHandler(personnel_events.PostingEnded, self.on_posting_ended),
            EventHandler(personnel_events.OfficerDeactivated, self.on_officer_deactivated),
        ]
