"""Duty rotas in MongoDB (collection ``rooms.rotas``, one calendar document per room, id = room id),
versioned, with the outbox. The generic codec stores the rota; its days are a sub-document keyed by
ISO date (``{"2026-11-02": "o-1"}``), which the codec writes but reads back with text keys, so
``RotaCodec`` turns the keys back into dates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_rooms.domain.rota import Rota

COLLECTION = "rooms.rotas"


class RotaCodec(DocumentCodec[Rota]):
    def __init__(self) -> None:
        super().__init__(Rota, id_field="room_id")

    def from_document(self, document: Mapping[str, Any]) -> Rota:
        days: dict[str, str] = document.get("days") or {}
        rota = super().from_document({**document, "days": {}})
        return replace(rota, days={date.fromisoformat(day): officer for day, officer in sorted(days.items())})


CODEC = RotaCodec()


class MongoRotaRepository(MongoAggregates[Rota]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, COLLECTION, CODEC, outbox)
