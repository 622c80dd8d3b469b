"""`jingwu import|residents|houses|places|audit` against the real population service: an import from a
CSV and an XLSX file, tables with Chinese headings, --json, a name outside the BMP through the CLI, row
errors with row, column and reason, and the audit commands with an auditor credential."""

from __future__ import annotations

import asyncio
import csv
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from jingwu.population.v1 import population_pb2 as pb
from jingwu_cli.main import main
from jingwu_platform.auth import Role
from jingwu_platform.testing import token_for

from .conftest import Population, rows_for
from .support import RARE_NAME

pytestmark = pytest.mark.integration


@dataclass
class Ran:
    code: int
    out: str
    err: str


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    headings = sorted({k for r in rows for k in r})
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headings)
        for row in rows:
            writer.writerow([row.get(h, "") for h in headings])
    return path


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    headings = sorted({k for r in rows for k in r})
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headings)
    for row in rows:
        sheet.append([row.get(h, "") for h in headings])
    book.save(path)
    return path


async def test_import_then_query_through_the_cli(
    population: Population, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JINGWU_AUTH_SECRET", population.secret)
    monkeypatch.delenv("JINGWU_TOKEN", raising=False)

    async def jingwu(*args: str, token: str | None = None) -> Ran:
        argv = ["--district", population.district, *args, "--population-addr", f"127.0.0.1:{population.port}"]
        if token:
            argv += ["--token", token]
        capfd.readouterr()
        code = await asyncio.to_thread(main, argv)
        captured = capfd.readouterr()
        return Ran(code, captured.out, captured.err)

    rows = [dict(r.cells) for r in rows_for(population.district, 9)]
    rows[4]["姓名"] = RARE_NAME
    bad = [dict(r) for r in rows]
    bad[2]["公民身份号码"] = "34130219900101123X"
    rejected = await jingwu("import", str(write_csv(tmp_path / "bad.csv", bad)))
    assert rejected.code == 1 and "nothing was changed" in rejected.err
    assert "row 4, 公民身份号码:" in rejected.err
    imported = await jingwu("import", str(write_xlsx(tmp_path / "台账.xlsx", rows)), "--json")
    assert imported.code == 0, imported.err
    assert json.loads(imported.out)["residents_created"] == 9
    again = await jingwu("import", str(tmp_path / "台账.xlsx"))
    assert again.code == 0 and "residents created 9" in again.out  # the same import: nothing new

    listed = await jingwu("residents", "list", "--limit", "20")
    assert listed.code == 0 and "姓名" in listed.out and "身份证号" in listed.out and "人口类别" in listed.out
    found = await jingwu("residents", "search", "--name", RARE_NAME, "--json")
    (resident,) = json.loads(found.out)
    assert resident["name"] == RARE_NAME and "*" in resident["id_number"]
    shown = await jingwu("residents", "show", resident["resident_id"])
    assert RARE_NAME in shown.out
    houses = await jingwu("houses", "list", "--json")
    assert len(json.loads(houses.out)) == 3
    refused = await jingwu("residents", "show", resident["resident_id"], "--unmask", "--purpose", "核查")
    assert refused.code == 3 and "pii_reader" in refused.err
    reader = token_for(population.secret, population.district, Role.PII_READER, subject="pii-cli")
    unmasked = await jingwu(
        "residents", "show", resident["resident_id"], "--unmask", "--purpose", "核查", "--json", token=reader
    )
    assert "*" not in json.loads(unmasked.out)["id_number"]
    auditor = token_for(population.secret, population.district, Role.AUDITOR)
    trail = await jingwu("audit", "list", "--json", token=auditor)
    assert [r["reader_id"] for r in json.loads(trail.out)][:1] == ["pii-cli"]
    verified = await jingwu("audit", "verify", token=auditor)
    assert verified.code == 0 and "完整" in verified.out
    findings = await jingwu("places", "findings")
    assert findings.code == 0


async def test_the_demo_ledger_imports_with_places_overdue(
    population: Population, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo district's ledger (here 600 residents instead of 100,000) goes through the import path,
    on the demo streets, with every category, and places of which some are overdue (R-POP-3)."""
    monkeypatch.setenv("JINGWU_AUTH_SECRET", population.secret)
    monkeypatch.delenv("JINGWU_TOKEN", raising=False)
    ledger = tmp_path / "demo.csv"
    argv = [
        "--district",
        population.district,
        "import",
        str(ledger),
        "--demo",
        "--residents",
        "600",
        "--json",
    ]
    code = await asyncio.to_thread(main, [*argv, "--population-addr", f"127.0.0.1:{population.port}"])
    out = capfd.readouterr().out
    assert code == 0, out
    assert json.loads(out)["residents_created"] == 600
    with ledger.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["人口类别"] for r in rows} == {"户籍", "暂住", "流动", "寄口"}
    assert all(r["警务区编码"].startswith(population.district) for r in rows)
    stub = population.stub(Role.SUPERVISOR)
    findings = await stub.ListPopulationFindings(
        pb.ListPopulationFindingsRequest(kind=pb.POPULATION_FINDING_KIND_INSPECTION_OVERDUE)
    )
    assert findings.findings and all(f.rule_id == "R-POP-3" for f in findings.findings)
