"""Who is posted to which room, as the room registry learns it from personnel's events (the projection
behind R-ROOM-2's "staff are never dropped", R-ROOM-4's "every room has an officer" and R-ROOM-6's
rota rule). Idempotent per posting: a re-delivered or replayed event changes nothing, and a posting once
ended stays ended. entrypoints/event_handlers.py translates the events into these calls."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from jingwu_rooms.application.ports import PostingRepository
from jingwu_rooms.domain.staff import RoomPosting

log = logging.getLogger(__name__)


class PostingApplication:
    def __init__(self, postings: PostingRepository) -> None:
        self._postings = postings

    async def officer_posted(self, posting: RoomPosting, *, event_id: str, at: datetime) -> None:
        if not posting.room_id:
            return  # a posting to a station, zone or village only: no room's staff changes
        await self._postings.posted(posting, event_id, at)
        log.info(
            "room posting recorded", extra={"room_id": posting.room_id, "posting_id": posting.posting_id}
        )

    async def posting_ended(self, posting: RoomPosting, *, event_id: str, at: datetime) -> None:
        if posting.room_id:
            await self._postings.ended(posting, event_id, at)

    async def officer_deactivated(
        self, officer_id: str, ended_posting_ids: Sequence[str], *, event_id: str, at: datetime
    ) -> None:
        """The event names only posting ids: those known here end (the others were not to rooms)."""
        await self._postings.end_many(ended_posting_ids, officer_id, event_id, at)
