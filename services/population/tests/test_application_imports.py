"""Bulk import of a ledger on fakes: row errors with row, column and reason; all or nothing; resumable;
re-importing changes nothing (R-POP-1 一标三实)."""

from __future__ import annotations

import hashlib

import pytest
from jingwu.population.v1 import events_pb2
from jingwu_platform.errors import RuleViolation
from jingwu_population.application.ports import ResidentQuery
from jingwu_population.domain import ledger as columns
from jingwu_population.domain.ledger import ImportStatus

from .support import ADMIN, RARE_NAME, ZONE, ZONE_2, Apps, apps, ledger_row


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def upload(a: Apps, rows: list[dict[str, str]], chunk: int = 2, key: str = "file") -> str:
    numbered = [(n + 2, row) for n, row in enumerate(rows)]  # row 1 holds the headings
    chunks = [numbered[i : i + chunk] for i in range(0, len(numbered), chunk)]
    ledger = await a.imports.start("台账.csv", sha(key), len(rows), len(chunks), ADMIN)
    for index, part in enumerate(chunks):
        ledger = await a.imports.upload(ledger.import_id, index, part)
    return ledger.import_id


async def test_an_import_creates_houses_households_and_residents_at_once() -> None:
    a = apps()
    rows = [
        ledger_row(1),
        ledger_row(2, house=1),
        ledger_row(
            3,
            extra={
                columns.NAME: RARE_NAME,
                columns.CATEGORY: "流动",
                columns.KEY_GROUPS: "独居老人；留守儿童",
            },
        ),
        ledger_row(4, zone=ZONE_2, extra={columns.HOUSE_KIND: "出租屋"}),
    ]
    import_id = await upload(a, rows)
    assert a.repo.image.residents == {}  # staged: nothing visible before the commit
    committed = await a.imports.commit(import_id, ADMIN)
    assert committed.status is ImportStatus.COMMITTED
    assert (committed.houses_created, committed.residents_created) == (3, 4)
    in_zone, _ = await a.residents.list_residents(ResidentQuery(zone_code=ZONE))
    assert len(in_zone) == 3
    rare, _ = await a.residents.search(name=RARE_NAME, id_number="", phone="", limit=5, after="")
    assert {g.value for g in rare[0].key_groups} == {"elderly_alone", "left_behind_child"}
    household = {r.household_id for r in in_zone if r.house_id == in_zone[0].house_id}
    assert len(household) == 1
    (imported,) = a.repo.outbox.of_type(events_pb2.LedgerImported)
    assert imported.residents_created == 4 and list(imported.zone_codes) == [ZONE, ZONE_2]
    assert a.repo.outbox.types() == ["LedgerImported"]  # no per-record events


async def test_any_row_error_rejects_the_whole_file_naming_row_column_and_reason() -> None:
    a = apps()
    rows = [
        ledger_row(1),
        ledger_row(2, extra={columns.ID_NUMBER: "341302199001011234"}),  # wrong check character
        ledger_row(3, extra={columns.CATEGORY: "常住", columns.LONGITUDE: "东经"}),
        ledger_row(4, extra={columns.ID_NUMBER: ledger_row(1)[columns.ID_NUMBER]}),  # the same person twice
    ]
    rejected = await a.imports.commit(await upload(a, rows), ADMIN)
    assert rejected.status is ImportStatus.REJECTED
    errors = {(e.row, e.column) for e in rejected.errors}
    assert errors == {
        (3, columns.ID_NUMBER),
        (4, columns.CATEGORY),
        (4, columns.LONGITUDE),
        (5, columns.ID_NUMBER),
    }
    assert "ISO 7064" in next(e.reason for e in rejected.errors if e.row == 3)
    assert a.repo.image.residents == {} and a.repo.image.houses == {}
    assert a.repo.outbox.events == []


async def test_a_missing_column_is_an_error_of_the_heading_row() -> None:
    a = apps()
    rows = [{k: v for k, v in ledger_row(1).items() if k != columns.ZONE}]
    rejected = await a.imports.commit(await upload(a, rows, key="no-zone"), ADMIN)
    assert (1, columns.ZONE, "required column is missing") in {
        (e.row, e.column, e.reason) for e in rejected.errors
    }


async def test_uploads_resume_in_order_and_reimporting_the_same_file_changes_nothing() -> None:
    a = apps()
    rows = [ledger_row(n) for n in range(1, 6)]
    numbered = [(n + 2, row) for n, row in enumerate(rows)]
    ledger = await a.imports.start("台账.xlsx", sha("x"), 5, 3, ADMIN)
    ledger = await a.imports.upload(ledger.import_id, 0, numbered[:2])
    # The client died; it starts again with the same file and is told where to go on.
    resumed = await a.imports.start("台账.xlsx", sha("x"), 5, 3, ADMIN)
    assert resumed.chunks_received == 1
    assert (await a.imports.upload(ledger.import_id, 0, numbered[:2])).chunks_received == 1  # sent again
    with pytest.raises(RuleViolation, match="send chunk 1 next"):
        await a.imports.upload(ledger.import_id, 2, numbered[4:])
    with pytest.raises(RuleViolation, match="upload the rest"):
        await a.imports.commit(ledger.import_id, ADMIN)
    await a.imports.upload(ledger.import_id, 1, numbered[2:4])
    await a.imports.upload(ledger.import_id, 2, numbered[4:])
    committed = await a.imports.commit(ledger.import_id, ADMIN)
    assert committed.residents_created == 5
    commits = a.repo.commits
    assert await a.imports.commit(ledger.import_id, ADMIN) == committed
    again = await a.imports.start("台账.xlsx", sha("x"), 5, 3, ADMIN)
    assert again.status is ImportStatus.COMMITTED and a.repo.commits == commits
    # The same rows in another file: every row unchanged, nothing created.
    second = await a.imports.commit(await upload(a, rows, key="copy"), ADMIN)
    assert (second.status, second.residents_created, second.rows_unchanged) == (ImportStatus.COMMITTED, 0, 5)
    assert len(a.repo.image.residents) == 5
