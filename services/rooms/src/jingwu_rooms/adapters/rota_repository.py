"""Duty rotas in MongoDB (collection ``rooms.rotas``, one calendar document per room), with the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from jingwu_platform.events import Event
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import outbox_update, with_outbox
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_rooms.domain.rota import Rota

COLLECTION = "rooms.rotas"


class MongoRotaRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = database[COLLECTION]

    async def get(self, room_id: str) -> Rota:
        """The room's rota; an empty one (version 0) when none was ever set."""
        doc = await self.collection.find_one({"_id": room_id})
        if doc is None:
            return Rota(room_id)
        return Rota(
            room_id=room_id,
            days={date.fromisoformat(day): officer for day, officer in (doc.get("days") or {}).items()},
            holidays=frozenset(date.fromisoformat(day) for day in doc.get("holidays") or ()),
            version=int(doc.get("version", 0)),
        )

    async def save(self, rota: Rota, events: Sequence[tuple[Event, str]]) -> bool:
        """Store the whole calendar if nobody changed it since it was read; False otherwise."""
        fields: Document = {
            "days": {day.isoformat(): officer for day, officer in sorted(rota.days.items())},
            "holidays": sorted(day.isoformat() for day in rota.holidays),
            "version": rota.version + 1,
        }
        if rota.version == 0:
            try:
                await self.collection.insert_one(with_outbox({"_id": rota.room_id, **fields}, events))
            except DuplicateKeyError:
                return False
            return True
        result = await self.collection.update_one(
            {"_id": rota.room_id, "version": rota.version}, outbox_update(events, **{"$set": fields})
        )
        return result.modified_count == 1
