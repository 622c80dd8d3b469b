"""The population service in-process against the session's real Kafka and FerretDB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import grpc
import pytest
from jingwu.population.v1 import population_pb2 as pb
from jingwu.population.v1 import population_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import token_for
from jingwu_population.entrypoints.main import PopulationProcess, build

from conftest import started

from .support import ledger_row


@dataclass
class Population:
    port: int
    process: PopulationProcess
    district: str
    secret: str
    channels: list[grpc.aio.Channel]

    def stub(
        self, *roles: Role, district: str = "", subject: str = ""
    ) -> population_pb2_grpc.PopulationServiceAsyncStub:
        token = token_for(
            self.secret,
            district or self.district,
            *(roles or (Role.OFFICER,)),
            subject=subject or f"{roles[0].value if roles else 'officer'}-1",
        )
        channel = open_channel(f"127.0.0.1:{self.port}", token)
        self.channels.append(channel)
        return population_pb2_grpc.PopulationServiceStub(channel)


@pytest.fixture
async def population(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str
) -> AsyncIterator[Population]:
    process = build(settings_for("population", district))
    async with started(process.runtime) as port:
        service = Population(port, process, district, auth_secret, [])
        yield service
        for channel in service.channels:
            await channel.close()


def zone(district: str, n: int = 1) -> str:
    return f"{district}0202{n:02d}"


def rows_for(district: str, count: int, zones: int = 2) -> list[pb.LedgerRow]:
    """A small ledger for ``district``: three people a house, every category, some key groups."""
    rows = []
    categories = ["户籍", "暂住", "流动", "寄口"]
    groups = ["", "", "独居老人", "留守儿童", "刑释解教", ""]
    for n in range(count):
        house = n // 3
        cells = ledger_row(
            n,
            house=None if n % 3 == 0 else house * 3,
            zone=zone(district, 1 + house % zones),
            extra={"人口类别": categories[n % 4], "重点人群": groups[n % 6]},
        )
        if n % 3 == 0:
            cells["标准地址"] = f"宿州市埇桥区汴河街道汴河社区淮海路{house * 3}号"
            cells["经度"] = f"{116.97 + house * 3 * 0.0001:.5f}"
        rows.append(pb.LedgerRow(row_number=n + 2, cells=cells))
    return rows


async def import_rows(
    stub: population_pb2_grpc.PopulationServiceAsyncStub, rows: list[pb.LedgerRow], sha: str, chunk: int = 50
) -> pb.LedgerImport:
    chunks = [rows[i : i + chunk] for i in range(0, len(rows), chunk)]
    started_import = await stub.StartLedgerImport(
        pb.StartLedgerImportRequest(
            file_name="台账.csv", file_sha256=sha, rows_expected=len(rows), chunks_expected=len(chunks)
        )
    )
    import_id = started_import.ledger_import.import_id
    for index, part in enumerate(chunks):
        await stub.UploadLedgerRows(
            pb.UploadLedgerRowsRequest(import_id=import_id, chunk_index=index, rows=part)
        )
    committed = await stub.CommitLedgerImport(pb.CommitLedgerImportRequest(import_id=import_id))
    return committed.ledger_import
