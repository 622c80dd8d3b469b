"""Staffing findings (``personnel.staffing_findings``) in MongoDB: versioned (resolving or re-measuring
is a change), every write carrying its events.

``FindingCodec`` is the generic codec plus one stored field, ``open_key``, for a unique index: the
breach's condition key while the finding is open, a per-id placeholder once resolved (FerretDB v1 has no
partial indexes). So however many evaluations race to raise one breach, one open finding exists, and a
resolved breach can be raised again later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry, with_outbox
from jingwu_platform.repository import MongoAggregates
from jingwu_platform.usecase import Outgoing
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_personnel.adapters.bulk import insert_new
from jingwu_personnel.application.ports import FindingQuery
from jingwu_personnel.domain.findings import Finding

FINDINGS = "personnel.staffing_findings"
OPEN_KEY = "open_key"


def open_key(finding: Finding) -> str:
    return finding.condition.key if finding.open else f"resolved/{finding.finding_id}"


class FindingCodec(DocumentCodec[Finding]):
    def __init__(self) -> None:
        super().__init__(Finding, id_field="finding_id")

    def to_document(self, obj: Finding) -> Document:
        return {**super().to_document(obj), OPEN_KEY: open_key(obj)}

    def from_document(self, document: Mapping[str, Any]) -> Finding:
        return super().from_document({k: v for k, v in document.items() if k != OPEN_KEY})


FINDING_CODEC = FindingCodec()


def criteria_of(query: FindingQuery) -> Document:
    criteria: Document = {}
    if len(query.kinds) == 1:
        (kind,) = query.kinds
        criteria["condition.kind"] = kind.value
    elif query.kinds:
        criteria["condition.kind"] = {"$in": sorted(k.value for k in query.kinds)}
    if query.status is not None:
        criteria["status"] = query.status.value
    for name in ("station_id", "room_id", "village_id", "officer_id"):
        if value := getattr(query, name):
            criteria[f"condition.{name}"] = value
    if query.before_id:
        criteria["_id"] = {"$lt": query.before_id}
    return criteria


class MongoFindingRepository(MongoAggregates[Finding]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, FINDINGS, FINDING_CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(OPEN_KEY, unique=True, name="one_open_finding_per_breach")
        await self.collection.create_index([("status", 1), ("condition.kind", 1)])

    async def add_all(self, raised: Sequence[tuple[Finding, Sequence[Outgoing]]]) -> list[Finding]:
        """Many new findings with their events in one insert; a duplicate id or open key (the breach is
        open already) leaves that finding out, events and all."""
        documents = [with_outbox(FINDING_CODEC.to_document(f), events) for f, events in raised]
        inserted = await insert_new(self.collection, documents)
        added = [(f, events) for (f, events), done in zip(raised, inserted, strict=True) if done]
        self._written([event for _, events in added for event in events])
        return [f for f, _ in added]

    async def select(self, query: FindingQuery) -> list[Finding]:
        return await self.find(criteria_of(query), sort=[("_id", -1)], limit=query.limit)

    async def count_matching(self, query: FindingQuery) -> int:
        return await self.count(criteria_of(query))
