"""Notices in MongoDB (collection ``notification.notices`` of the district database), with the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from jingwu_platform.events import Event
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import with_outbox
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_notification.domain.notices import Channel, Notice, NoticeKind

COLLECTION = "notification.notices"


def notice_to_document(notice: Notice) -> Document:
    return {
        "_id": notice.notice_id,
        "kind": notice.kind.value,
        "room_id": notice.room_id,
        "title": notice.title,
        "body": notice.body,
        "channels": [c.value for c in notice.channels],
        "publish_time": notice.publish_time,
        "source_event_id": notice.source_event_id,
        "created_by": notice.created_by,
    }


def document_to_notice(doc: Document) -> Notice:
    return Notice(
        notice_id=doc["_id"],
        kind=NoticeKind(doc["kind"]),
        room_id=doc["room_id"],
        title=doc["title"],
        body=doc["body"],
        channels=tuple(Channel(c) for c in doc.get("channels", [])),
        publish_time=doc["publish_time"],
        source_event_id=doc.get("source_event_id", ""),
        created_by=doc.get("created_by", ""),
    )


class MongoNoticeRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = database[COLLECTION]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("room_id", 1), ("publish_time", -1)])

    async def add(self, notice: Notice, events: Sequence[tuple[Event, str]]) -> bool:
        """Insert once; False when this notice (same id) is already stored."""
        try:
            await self.collection.insert_one(with_outbox(notice_to_document(notice), events))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, notice_id: str) -> Notice | None:
        doc = await self.collection.find_one({"_id": notice_id})
        return document_to_notice(doc) if doc else None

    async def list(self, *, room_id: str, kind: NoticeKind | None, after_id: str, limit: int) -> list[Notice]:
        query: Document = {}
        if room_id:
            query["room_id"] = room_id
        if kind is not None:
            query["kind"] = kind.value
        if after_id:
            query["_id"] = {"$gt": after_id}
        cursor = self.collection.find(query).sort("_id", 1).limit(limit)
        return [document_to_notice(doc) async for doc in cursor]
