"""The in-memory repository for application tests: the image, with commits that check versions and
record events in a FakeOutbox; nothing is durable. Held to the stored repository's contract."""

from __future__ import annotations

from collections.abc import Sequence

from jingwu_platform.repository import FakeOutbox

from jingwu_population.adapters.queries import ImageQueries
from jingwu_population.application.ports import Aggregate, Change
from jingwu_population.domain.audit import AuditEntry
from jingwu_population.domain.ledger import LedgerImport


class InMemoryPopulation(ImageQueries):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__()
        self.outbox = outbox or FakeOutbox()
        self._staged: dict[str, dict[int, list[tuple[int, dict[str, str]]]]] = {}
        self.commits = 0

    async def commit(self, change: Change) -> list[Aggregate] | None:
        stored = self.prepared(change)
        if stored is None:
            return None
        self.image.apply(stored)
        self.outbox.write(change.events)
        self.commits += 1
        return stored

    async def stored_audit_entries(self) -> list[AuditEntry]:
        return sorted(self.image.audit.values(), key=lambda e: e.sequence)

    async def stage_rows(
        self, import_id: str, chunk: int, rows: Sequence[tuple[int, dict[str, str]]]
    ) -> None:
        self._staged.setdefault(import_id, {})[chunk] = [(n, dict(c)) for n, c in rows]

    async def staged_rows(self, import_id: str) -> list[tuple[int, dict[str, str]]]:
        chunks = self._staged.get(import_id, {})
        return sorted((row for chunk in chunks.values() for row in chunk), key=lambda r: r[0])

    async def publish_import(
        self, ledger_import: LedgerImport, created: Sequence[Aggregate], change: Change
    ) -> bool:
        stored = self.prepared(change)
        if stored is None or self.collides(created):
            return False
        self.image.apply(created, bulk=True)
        self.image.apply(stored)
        self.outbox.write(change.events)
        return True

    async def drop_staged(self, import_id: str) -> None:
        self._staged.pop(import_id, None)
