"""In-memory notices for application tests; held to the same contract as the Mongo adapter."""

from __future__ import annotations

from collections.abc import Sequence

from jingwu_platform.repository import FakeOutbox, InMemoryDocuments, after
from jingwu_platform.usecase import Outgoing

from jingwu_notification.application.ports import NoticeQuery
from jingwu_notification.domain.notices import Notice


class InMemoryNoticeRepository:
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        self._notices = InMemoryDocuments[Notice](lambda n: n.notice_id, outbox)
        self.outbox = self._notices.outbox

    async def insert(self, notice: Notice, events: Sequence[Outgoing] = ()) -> bool:
        return await self._notices.insert(notice, events)

    async def get(self, notice_id: str) -> Notice | None:
        return await self._notices.get(notice_id)

    async def list(self, query: NoticeQuery) -> list[Notice]:
        return self._notices.matching(
            lambda n: (
                (not query.room_id or n.room_id == query.room_id)
                and (query.kind is None or n.kind is query.kind)
                and after(query.after_id, n.notice_id)
            ),
            limit=query.limit,
        )
