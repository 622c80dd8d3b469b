"""Notices in MongoDB (collection ``notification.notices`` of the district database), with the outbox.
A notice is written once and never changed, so it is a plain record (no version)."""

from __future__ import annotations

from collections.abc import Sequence

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoDocuments
from jingwu_platform.usecase import Outgoing
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_notification.application.ports import NoticeQuery
from jingwu_notification.domain.notices import Notice

COLLECTION = "notification.notices"
CODEC = DocumentCodec(Notice, id_field="notice_id")


class MongoNoticeRepository:
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        self._notices = MongoDocuments(database, COLLECTION, CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self._notices.collection.create_index([("room_id", 1), ("_id", 1)], name="room_notices")

    async def insert(self, notice: Notice, events: Sequence[Outgoing] = ()) -> bool:
        return await self._notices.insert(notice, events)

    async def get(self, notice_id: str) -> Notice | None:
        return await self._notices.get(notice_id)

    async def list(self, query: NoticeQuery) -> list[Notice]:
        criteria: Document = {}
        if query.room_id:
            criteria["room_id"] = query.room_id
        if query.kind is not None:
            criteria["kind"] = query.kind.value
        if query.after_id:
            criteria["_id"] = {"$gt": query.after_id}
        return await self._notices.find(criteria, limit=query.limit)
