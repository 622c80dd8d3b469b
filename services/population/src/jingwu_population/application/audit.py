"""Personal data access (R-POP-6): what a caller may see, the hash-chained audit trail of every
unmasked read, its verification, and bulk export.

Reads that disclose identity numbers, phone numbers or key-group tags are appended to the chain before
the response leaves: a read that cannot be audited is not answered. Concurrent reads are appended
together (group commit: one write for the entries gathered meanwhile), which keeps the trail cheap
under load while every entry still has its own place in the chain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from jingwu.population.v1 import events_pb2 as events
from jingwu_platform.auth import Caller
from jingwu_platform.errors import Conflict
from jingwu_platform.paging import page_limit
from jingwu_platform.usecase import UseCaseKit

from jingwu_population.adapters.proto_mapping import audit_to_proto
from jingwu_population.application.ports import AuditQuery, AuditTrail, Change, UnitOfWork
from jingwu_population.domain.audit import AuditEntry, ChainVerdict, UnmaskedRead, chained, verify_chain
from jingwu_population.domain.privacy import AccessRequest, Disclosure, disclosure_for, require_export

# At most this many reads go into one write of the trail.
MAX_BATCH = 500


class AuditApplication:
    def __init__(self, kit: UseCaseKit, store: UnitOfWork, trail: AuditTrail, key: bytes) -> None:
        self._kit = kit
        self._store = store
        self._trail = trail
        self._key = key
        self._pending: list[tuple[UnmaskedRead, asyncio.Future[AuditEntry]]] = []
        self._lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        self.writes = 0

    def disclosure(self, caller: Caller, access: AccessRequest) -> Disclosure:
        return disclosure_for(caller, access)

    def export_disclosure(self, caller: Caller, access: AccessRequest) -> Disclosure:
        return require_export(caller, access)

    async def record(
        self,
        caller: Caller,
        method: str,
        disclosure: Disclosure,
        *,
        resident_ids: Sequence[str] = (),
        place_ids: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> AuditEntry:
        """Append one read to the trail; returns once it is durable."""
        read = UnmaskedRead(
            reader_id=caller.subject,
            reader_roles=tuple(sorted(r.value for r in caller.roles)),
            method=method,
            purpose=disclosure.purpose,
            case_reference=disclosure.case_reference,
            resident_ids=tuple(resident_ids),
            place_ids=tuple(place_ids),
            fields=tuple(fields),
            read_at=self._kit.now(),
        )
        future: asyncio.Future[AuditEntry] = asyncio.get_running_loop().create_future()
        self._pending.append((read, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="audit-flush")
        return await future

    async def _flush(self) -> None:
        async with self._lock:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    entries = await self._append([read for read, _ in batch])
                except Exception as error:  # the store is down: those reads are not answered
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), entry in zip(batch, entries, strict=True):
                    if not future.done():
                        future.set_result(entry)

    async def _append(self, reads: list[UnmaskedRead]) -> list[AuditEntry]:
        for _ in range(5):
            head = await self._trail.audit_head()
            entries = chained(self._key, head, reads)
            # One event per write of the trail, in chain order (R-POP-6).
            outgoing = (
                self._kit.events(
                    events.UnmaskedReadsAudited(
                        district_code=self._kit.district,
                        reads=[audit_to_proto(entry) for entry in entries],
                        occur_time=self._kit.events.occur_time(),
                    ),
                    key=self._kit.district,  # one partition: the chain's order
                ),
            )
            stored = await self._store.commit(Change(tuple(entries), outgoing))
            if stored is not None:
                self.writes += 1
                return [e for e in stored if isinstance(e, AuditEntry)]
        raise Conflict("audit trail: the chain's head kept moving")

    async def list_reads(self, query: AuditQuery) -> tuple[list[AuditEntry], int]:
        limit = page_limit(query.limit)
        found = await self._trail.audit_entries(AuditQuery(**{**query.__dict__, "limit": limit}))
        return found.items, found.items[-1].sequence if len(found.items) == limit else 0

    async def verify(self) -> ChainVerdict:
        """R-POP-6: the chain as stored, re-computed from its start."""
        return verify_chain(self._key, await self._trail.stored_audit_entries())
