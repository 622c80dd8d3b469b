"""Bulk import of a district's ledger (R-POP-1, 一标三实): all or nothing per file, resumable, idempotent.

- The file's SHA-256 is the import's identity: the same file again resumes its import, or (once
  committed) changes nothing.
- Chunks of rows are staged in order, invisible to every query; an interrupted upload resumes at
  ``chunks_received``.
- Commit checks every row (row, column, reason for each problem) and the whole file against the
  district's data: a person already registered with the same data is "unchanged", with different
  data an error. Any error rejects the whole file. Otherwise the houses and residents become visible
  at once (Imports.publish_import); a crash before that point leaves nothing visible, and the import,
  left COMMITTING, is finished at the next start or the next commit call.
- No per-record events: one LedgerImported, then the zones' ZonePopulationChanged as counts change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace

from jingwu.population.v1 import events_pb2 as events
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound, RuleViolation, Validator
from jingwu_platform.usecase import UseCaseKit

from jingwu_population.application.context import actor
from jingwu_population.application.ports import Aggregate, Change, Houses, Imports, Residents, UnitOfWork
from jingwu_population.domain.address import address_key
from jingwu_population.domain.ledger import (
    ID_NUMBER,
    MAX_LISTED_ERRORS,
    ImportStatus,
    LedgerImport,
    LedgerRecord,
    RowError,
    check_rows,
    missing_columns,
)
from jingwu_population.domain.people import Category, House, Resident
from jingwu_population.domain.registration import new_house, new_resident

log = logging.getLogger(__name__)
MAX_CHUNK_ROWS = 2_000
# Building an import's records gives way to other calls this often.
YIELD_EVERY = 500
_SHA256_HEX = frozenset("0123456789abcdef")


class ImportApplication:
    def __init__(
        self, kit: UseCaseKit, store: UnitOfWork, imports: Imports, houses: Houses, residents: Residents
    ) -> None:
        self._kit = kit
        self._store = store
        self._imports = imports
        self._houses = houses
        self._residents = residents

    async def get(self, import_id: str) -> LedgerImport:
        found = await self._imports.ledger_import(import_id)
        if found is None:
            raise NotFound("ledger import", import_id)
        return found

    async def start(
        self, file_name: str, file_sha256: str, rows_expected: int, chunks_expected: int, caller: Caller
    ) -> LedgerImport:
        sha = file_sha256.strip().lower()
        v = Validator()
        v.check(
            len(sha) == 64 and set(sha) <= _SHA256_HEX, "file_sha256", "must be the file's SHA-256 in hex"
        )
        v.check(rows_expected > 0, "rows_expected", "must be at least 1")
        v.check(0 < chunks_expected <= rows_expected, "chunks_expected", "must be 1 … rows_expected")
        v.check(len(file_name) <= 200, "file_name", "must be at most 200 characters")
        v.raise_if_any()
        import_id = self._kit.ids.stable("import", sha)
        existing = await self._imports.ledger_import(import_id)
        if existing is not None:
            return existing  # the same file: resume it, or nothing to do
        now = self._kit.now()
        ledger = LedgerImport(
            import_id=import_id,
            file_name=file_name,
            file_sha256=sha,
            status=ImportStatus.RECEIVING,
            rows_expected=rows_expected,
            chunks_expected=chunks_expected,
            created_by=actor(caller),
            created_at=now,
            updated_at=now,
        )
        await self._store.commit(Change((ledger,)))
        return await self.get(import_id)

    async def upload(
        self, import_id: str, chunk: int, rows: Sequence[tuple[int, dict[str, str]]]
    ) -> LedgerImport:
        v = Validator()
        v.check(0 < len(rows) <= MAX_CHUNK_ROWS, "rows", f"send 1 … {MAX_CHUNK_ROWS} rows per chunk")
        v.raise_if_any()
        ledger = await self.get(import_id)
        if ledger.status is not ImportStatus.RECEIVING or chunk < ledger.chunks_received:
            return ledger  # a chunk sent again, or the import is past receiving: nothing changes
        if chunk > ledger.chunks_received:
            raise RuleViolation(
                "R-POP-1",
                import_id,
                f"send chunk {ledger.chunks_received} next (chunks go in order), not {chunk}",
            )
        if chunk >= ledger.chunks_expected:
            raise RuleViolation("R-POP-1", import_id, f"the import has {ledger.chunks_expected} chunks")
        await self._imports.stage_rows(import_id, chunk, rows)
        received = replace(ledger, chunks_received=chunk + 1, updated_at=self._kit.now())
        await self._store.commit(Change((received,)))
        return await self.get(import_id)

    async def commit(self, import_id: str, caller: Caller) -> LedgerImport:
        ledger = await self.get(import_id)
        if ledger.status in (ImportStatus.COMMITTED, ImportStatus.REJECTED):
            return ledger
        if ledger.chunks_received < ledger.chunks_expected:
            raise RuleViolation(
                "R-POP-1",
                import_id,
                f"{ledger.chunks_received} of {ledger.chunks_expected} chunks received: "
                "upload the rest first",
            )
        if ledger.status is ImportStatus.RECEIVING:
            committing = replace(ledger, status=ImportStatus.COMMITTING, updated_at=self._kit.now())
            if await self._store.commit(Change((committing,))) is None:
                return await self.get(import_id)
        for _ in range(3):
            ledger = await self.get(import_id)
            result = await self._finish(ledger, caller)
            if result is not None:
                return result
        raise RuleViolation(
            "R-POP-1", import_id, "the district's data kept changing during the commit; commit again"
        )

    async def resume(self) -> None:
        """At start: finish imports a crash left COMMITTING (nothing of them is visible yet)."""
        for ledger in await self._committing():
            log.info("resuming ledger import", extra={"import_id": ledger.import_id})
            await self.commit(ledger.import_id, Caller(ledger.created_by, self._kit.district))

    async def _committing(self) -> list[LedgerImport]:
        return await self._imports.imports_committing()

    async def _finish(self, ledger: LedgerImport, caller: Caller) -> LedgerImport | None:
        rows = await self._imports.staged_rows(ledger.import_id)
        headings = set().union(*(cells.keys() for _, cells in rows)) if rows else set()
        errors = missing_columns(headings)
        # Checking 100,000 rows is seconds of pure computation: off the event loop, so calls and the
        # Kafka consumer's heartbeats go on meanwhile.
        checked = await asyncio.to_thread(
            check_rows,
            rows,
            district=self._kit.district,
            today=self._kit.today(),
            default_owner=ledger.created_by,
        )
        errors += checked.errors
        created, unchanged, more = await self._plan(ledger, checked.records, errors)
        now = self._kit.now()
        if errors:
            errors.sort()
            rejected = replace(
                ledger,
                status=ImportStatus.REJECTED,
                errors=tuple(errors[:MAX_LISTED_ERRORS]),
                more_errors=max(len(errors) - MAX_LISTED_ERRORS, 0),
                updated_at=now,
            )
            if await self._store.commit(Change((rejected,))) is None:
                return None
            await self._imports.drop_staged(ledger.import_id)
            return await self.get(ledger.import_id)
        houses = [a for a in created if isinstance(a, House)]
        residents = [a for a in created if isinstance(a, Resident)]
        committed = replace(
            ledger,
            status=ImportStatus.COMMITTED,
            houses_created=len(houses),
            residents_created=len(residents),
            rows_unchanged=unchanged,
            updated_at=now,
        )
        zones = sorted({h.zone_code for h in houses} | more)
        event = self._kit.events(
            events.LedgerImported(
                district_code=self._kit.district,
                import_id=ledger.import_id,
                file_sha256=ledger.file_sha256,
                houses_created=len(houses),
                residents_created=len(residents),
                zone_codes=zones,
                occur_time=self._kit.events.occur_time(),
            ),
            key=ledger.import_id,
        )
        if not await self._imports.publish_import(ledger, created, Change((committed,), (event,))):
            return None
        await self._imports.drop_staged(ledger.import_id)
        log.info(
            "ledger imported",
            extra={"import_id": ledger.import_id, "houses": len(houses), "residents": len(residents)},
        )
        return await self.get(ledger.import_id)

    async def _plan(
        self, ledger: LedgerImport, records: list[LedgerRecord], errors: list[RowError]
    ) -> tuple[list[Aggregate], int, set[str]]:
        """The houses and residents to create; rows of people already registered with the same data
        count as unchanged, with different data they are errors (change those through the API)."""
        now = self._kit.now()
        by = ledger.created_by
        houses: dict[str, House] = {}
        created: list[Aggregate] = []
        unchanged = 0
        zones: set[str] = set()
        for index, record in enumerate(records):
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let calls in between
            if record.address_key in houses:
                continue
            existing = await self._houses.house_at(record.house.address)
            if existing is not None:
                houses[record.address_key] = existing
                zones.add(existing.zone_code)
                continue
            house_id = self._kit.ids.stable("house", record.address_key)
            house = new_house(record.house, house_id=house_id, at=now, by=by, import_id=ledger.import_id)
            houses[record.address_key] = house
            created.append(house)
        for index, record in enumerate(records):
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            house = houses[record.address_key]
            number = record.resident.id_number
            known = await self._residents.resident_by_identity(number)
            if known is not None:
                if known.name == record.resident.name and known.house_id == house.house_id:
                    unchanged += 1
                else:
                    errors.append(
                        RowError(
                            record.row,
                            ID_NUMBER,
                            f"already registered in the district as resident {known.resident_id} "
                            "with other data; "
                            "change that resident instead",
                        )
                    )
                continue
            resident_id = self._kit.ids.stable("resident", number)
            household = self._kit.ids.stable("household", house.house_id, record.household)
            registered = await self._registered_house(record, house, houses)
            resident = new_resident(
                record.resident,
                resident_id=resident_id,
                house=house,
                household_id=household,
                registered_house_id=registered,
                at=now,
                by=by,
                import_id=ledger.import_id,
            )
            created.append(resident)
        return created, unchanged, zones

    async def _registered_house(self, record: LedgerRecord, house: House, houses: dict[str, House]) -> str:
        """人户分离 (R-POP-1): the house of the registered address, in the file or the district; the
        house lived in for registered and lodged residents who give none."""
        if record.resident.registered_address:
            in_file = houses.get(address_key(record.resident.registered_address))
            if in_file is not None:
                return in_file.house_id
            found = await self._houses.house_at(record.resident.registered_address)
            return found.house_id if found else ""
        return house.house_id if record.resident.category in (Category.REGISTERED, Category.LODGED) else ""
