"""``jingwu houses|residents|places|import|audit``: the population service (实有人口, R-POP-1..7) from the
command line, as tables with Chinese headings or ``--json``.

Personal data is masked unless ``--unmask --purpose …`` is given with a credential whose role may see
it (pii_reader); every such read is audited (R-POP-6). ``jingwu audit …`` needs an auditor credential:
``--token $(jingwu auth token --role auditor)``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import grpc
from jingwu.common.v1 import common_pb2
from jingwu.population.v1 import population_pb2 as pb
from jingwu.population.v1 import population_pb2_grpc
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.proto_values import local_date_to_proto
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from jingwu_cli.client import Clients, translate
from jingwu_cli.errors import EXIT_FAILED, CliError
from jingwu_cli.ledger_files import read_ledger
from jingwu_cli.render import DetailResult, Result, TableResult, to_json

DEFAULT_POPULATION_ADDR = "127.0.0.1:50052"
CHUNK_ROWS = 2_000
Req = TypeVar("Req")
Resp = TypeVar("Resp")
Handler = Callable[[Clients, argparse.Namespace], Awaitable[Result]]
GlobalOptions = Callable[[argparse.ArgumentParser, bool], None]

CATEGORIES = {
    "registered": (pb.RESIDENT_CATEGORY_REGISTERED, "户籍"),
    "temporary": (pb.RESIDENT_CATEGORY_TEMPORARY, "暂住"),
    "floating": (pb.RESIDENT_CATEGORY_FLOATING, "流动"),
    "lodged": (pb.RESIDENT_CATEGORY_LODGED, "寄口"),
}
KEY_GROUPS = {
    "released-prisoner": (pb.KEY_GROUP_RELEASED_PRISONER, "刑释解教"),
    "idle-youth": (pb.KEY_GROUP_IDLE_YOUTH, "闲散青少年"),
    "mental-disorder": (pb.KEY_GROUP_SEVERE_MENTAL_DISORDER, "严重精神障碍"),
    "left-behind-child": (pb.KEY_GROUP_LEFT_BEHIND_CHILD, "留守儿童"),
    "elderly-alone": (pb.KEY_GROUP_ELDERLY_ALONE, "独居老人"),
}
PLACE_KINDS = {
    "key-unit": (pb.PLACE_KIND_KEY_UNIT, "重点单位"),
    "enterprise": (pb.PLACE_KIND_ENTERPRISE, "企业"),
    "rental": (pb.PLACE_KIND_RENTAL_HOUSE, "出租屋"),
    "public-place": (pb.PLACE_KIND_COMPLEX_PUBLIC_PLACE, "复杂公共场所"),
}
_CATEGORY_NAMES = {n: label for n, label in CATEGORIES.values()}
_GROUP_NAMES = {n: label for n, label in KEY_GROUPS.values()}
_PLACE_NAMES = {n: label for n, label in PLACE_KINDS.values()}
_HOUSE_KINDS = {1: "住宅", 2: "出租屋", 3: "商铺", 4: "单位用房"}
_RELATIONS = {
    1: "户主",
    2: "配偶",
    3: "子女",
    4: "父母",
    5: "祖父母",
    6: "孙子女",
    7: "兄弟姐妹",
    8: "其他亲属",
    9: "租户",
    10: "非亲属",
}
_STATUS = {1: "在住", 2: "已迁出", 3: "已故"}
_IMPORT_STATUS = {1: "接收中", 2: "提交中", 3: "已导入", 4: "已拒绝"}


def _day(d: common_pb2.LocalDate) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}" if d.year else ""


class PopulationClient:
    """Calls of the population service with the tool's credential and deadline."""

    def __init__(self, clients: Clients, address: str) -> None:
        self._clients = clients
        self.address = address
        self._channel = open_channel(address, clients.target.credential.token)
        self.stub = population_pb2_grpc.PopulationServiceStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def call(
        self, method: Callable[..., Awaitable[Resp]], request: Any, timeout_s: float = 60.0
    ) -> Resp:
        try:
            return await method(request, timeout=timeout_s)
        except grpc.aio.AioRpcError as error:
            translated = translate(error, "population", self.address, self._clients.target)  # type: ignore[arg-type]
            translated.status = error.code().name
            raise translated from error


def _access(args: argparse.Namespace) -> pb.PersonalDataAccess:
    return pb.PersonalDataAccess(
        unmask=args.unmask, purpose=args.purpose or "", case_reference=args.case or ""
    )


def _with(handler: Callable[[PopulationClient, argparse.Namespace], Awaitable[Result]]) -> Handler:
    async def run(clients: Clients, args: argparse.Namespace) -> Result:
        client = PopulationClient(clients, args.population_addr)
        try:
            return await handler(client, args)
        finally:
            await client.close()

    return run


def _resident_rows(residents: list[pb.Resident]) -> list[list[str]]:
    return [
        [
            r.resident_id,
            r.name,
            r.id_number,
            r.phone,
            _CATEGORY_NAMES.get(r.category, ""),
            "、".join(_GROUP_NAMES.get(g, "") for g in r.key_groups)
            or ("（隐藏）" if r.key_groups_masked else ""),
            _RELATIONS.get(r.relation, ""),
            "是" if r.residence_separated else "",
            r.zone_code,
            _STATUS.get(r.status, ""),
        ]
        for r in residents
    ]


_RESIDENT_COLUMNS = [
    "id",
    "姓名",
    "身份证号",
    "电话",
    "人口类别",
    "重点人群",
    "与户主关系",
    "人户分离",
    "警务区",
    "状态",
]


# ── houses ───────────────────────────────────────────────────────────────────────────────────────


async def houses_list(c: PopulationClient, args: argparse.Namespace) -> Result:
    request = pb.ListHousesRequest(
        zone_code=args.zone or "",
        village_id=args.village or "",
        rental_only=args.rental,
        key_group=KEY_GROUPS[args.key_group][0] if args.key_group else 0,  # type: ignore[arg-type]
        page=common_pb2.PageRequest(page_size=args.limit),
    )
    reply = await c.call(c.stub.ListHouses, request)
    rows = [
        [
            h.house_id,
            h.standard_address,
            _HOUSE_KINDS.get(h.kind, ""),
            h.zone_code,
            str(h.resident_count),
            str(h.key_group_resident_count),
        ]
        for h in reply.houses
    ]
    notes = [f"{len(rows)} houses" + ("（更多：--limit）" if reply.page.next_page_token else "")]
    return TableResult(
        "实有房屋 houses",
        ["id", "标准地址", "类别", "警务区", "人数", "重点人群人数"],
        rows,
        [to_json(h) for h in reply.houses],
        notes,
    )


async def houses_show(c: PopulationClient, args: argparse.Namespace) -> Result:
    reply = await c.call(
        c.stub.GetHouse,
        pb.GetHouseRequest(house_id=args.house_id, access=_access(args), include_moved_out=args.all),
    )
    house = reply.house
    pairs = [
        ("id", house.house_id),
        ("标准地址", house.standard_address),
        ("类别", _HOUSE_KINDS.get(house.kind, "")),
        ("警务区", house.zone_code),
        ("社区/村", house.village_id),
        ("位置", f"{house.location.longitude:.5f},{house.location.latitude:.5f}"),
        ("户数", str(len(house.households))),
        ("在住人数", str(house.resident_count)),
    ]
    tables = [
        TableResult("居住人员 residents", _RESIDENT_COLUMNS, _resident_rows(list(reply.residents)), None)
    ]
    if reply.registered_living_elsewhere:
        tables.append(
            TableResult(
                "户在人不在 registered here, living elsewhere",
                _RESIDENT_COLUMNS,
                _resident_rows(list(reply.registered_living_elsewhere)),
                None,
            )
        )
    return DetailResult(f"房屋 {house.standard_address}", pairs, to_json(reply), tables)


# ── residents ────────────────────────────────────────────────────────────────────────────────────


async def residents_list(c: PopulationClient, args: argparse.Namespace) -> Result:
    request = pb.ListResidentsRequest(
        house_id=args.house or "",
        zone_code=args.zone or "",
        category=CATEGORIES[args.category][0] if args.category else 0,  # type: ignore[arg-type]
        key_group=KEY_GROUPS[args.key_group][0] if args.key_group else 0,  # type: ignore[arg-type]
        residence_separated_only=args.separated,
        access=_access(args),
        page=common_pb2.PageRequest(page_size=args.limit),
    )
    reply = await c.call(c.stub.ListResidents, request)
    notes = [
        f"{len(reply.residents)} residents" + ("（更多：--limit）" if reply.page.next_page_token else "")
    ]
    return TableResult(
        "实有人口 residents",
        _RESIDENT_COLUMNS,
        _resident_rows(list(reply.residents)),
        [to_json(r) for r in reply.residents],
        notes,
    )


async def residents_show(c: PopulationClient, args: argparse.Namespace) -> Result:
    r = (
        await c.call(
            c.stub.GetResident, pb.GetResidentRequest(resident_id=args.resident_id, access=_access(args))
        )
    ).resident
    pairs = [
        ("id", r.resident_id),
        ("姓名", r.name),
        ("身份证号", r.id_number),
        ("电话", r.phone),
        ("出生日期", _day(r.birth_date)),
        ("人口类别", _CATEGORY_NAMES.get(r.category, "")),
        ("与户主关系", _RELATIONS.get(r.relation, "")),
        ("户籍地址", r.registered_address),
        ("人户分离", "是" if r.residence_separated else "否"),
        ("现住房屋", r.house_id),
        ("状态", _STATUS.get(r.status, "")),
    ]
    tags = [
        [_GROUP_NAMES.get(t.key_group, ""), t.reason, t.owner_id, _day(t.review_date)]
        for t in r.key_group_tags
    ]
    moves = [
        [m.house_id, m.zone_code, _day(m.move_in_date), _day(m.move_out_date), m.destination] for m in r.moves
    ]
    tables = [TableResult("居住记录 moves", ["房屋", "警务区", "迁入", "迁出", "去向"], moves, None)]
    if tags:
        tables.insert(
            0,
            TableResult(
                "重点人群 key groups (R-POP-2)", ["类别", "原因", "责任民警", "复核日期"], tags, None
            ),
        )
    return DetailResult(f"人员 {r.name}", [(k, v) for k, v in pairs if v], to_json(r), tables)


async def residents_search(c: PopulationClient, args: argparse.Namespace) -> Result:
    request = pb.SearchResidentsRequest(
        name=args.name or "",
        id_number=args.id_number or "",
        phone=args.phone or "",
        access=_access(args),
        page=common_pb2.PageRequest(page_size=args.limit),
    )
    reply = await c.call(c.stub.SearchResidents, request)
    return TableResult(
        "查询 search",
        _RESIDENT_COLUMNS,
        _resident_rows(list(reply.residents)),
        [to_json(r) for r in reply.residents],
        [f"{len(reply.residents)} found"],
    )


# ── places ───────────────────────────────────────────────────────────────────────────────────────


async def places_list(c: PopulationClient, args: argparse.Namespace) -> Result:
    request = pb.ListPlacesRequest(
        kind=PLACE_KINDS[args.kind][0] if args.kind else 0,  # type: ignore[arg-type]
        zone_code=args.zone or "",
        page=common_pb2.PageRequest(page_size=args.limit),
    )
    if args.due_by:
        request.inspection_due_by.CopyFrom(local_date_to_proto(args.due_by))
    reply = await c.call(c.stub.ListPlaces, request)
    today = date.today().isoformat()
    rows = [
        [
            p.place_id,
            p.name,
            _PLACE_NAMES.get(p.kind, ""),
            p.zone_code,
            _day(p.last_inspection_date),
            _day(p.inspection_due_date),
            "逾期" if _day(p.inspection_due_date) < today else "",
        ]
        for p in reply.places
    ]
    return TableResult(
        "场所 places (R-POP-3)",
        ["id", "名称", "类别", "警务区", "上次检查", "应检日期", ""],
        rows,
        [to_json(p) for p in reply.places],
        [f"{len(rows)} places"],
    )


async def places_findings(c: PopulationClient, args: argparse.Namespace) -> Result:
    kinds = {
        "inspections": pb.POPULATION_FINDING_KIND_INSPECTION_OVERDUE,
        "reviews": pb.POPULATION_FINDING_KIND_KEY_GROUP_REVIEW_OVERDUE,
    }
    request = pb.ListPopulationFindingsRequest(
        kind=kinds.get(args.kind or "", pb.POPULATION_FINDING_KIND_UNSPECIFIED),
        zone_code=args.zone or "",
        page=common_pb2.PageRequest(page_size=500),
    )
    reply = await c.call(c.stub.ListPopulationFindings, request)
    names = {1: "重点人群逾期复核", 2: "场所逾期未检"}
    rows = [
        [names.get(f.kind, ""), f.rule_id, f.subject_id, f.zone_code, _day(f.due_date), f.detail]
        for f in reply.findings
    ]
    return TableResult(
        "实有人口问题 findings",
        ["问题", "规则", "对象", "警务区", "到期", "说明"],
        rows,
        [to_json(f) for f in reply.findings],
        [f"{len(rows)} findings"],
    )


# ── import ───────────────────────────────────────────────────────────────────────────────────────


async def import_file(c: PopulationClient, args: argparse.Namespace) -> Result:
    """All or nothing per file, resumable (the file's SHA-256 names the import), with a progress bar."""
    path = Path(args.file)
    if args.demo:
        from jingwu_cli.population_demo import ensure_demo_ledger

        ensure_demo_ledger(path, c._clients.target.district, residents=args.residents)
    ledger_file = read_ledger(path)
    rows = ledger_file.rows
    chunks = [rows[i : i + CHUNK_ROWS] for i in range(0, len(rows), CHUNK_ROWS)] or [[]]
    started = await c.call(
        c.stub.StartLedgerImport,
        pb.StartLedgerImportRequest(
            file_name=path.name,
            file_sha256=ledger_file.sha256,
            rows_expected=max(len(rows), 1),
            chunks_expected=len(chunks),
        ),
    )
    ledger = started.ledger_import
    quiet = args.json or (not sys.stderr.isatty() and os.environ.get("JINGWU_PROGRESS") != "1")
    progress = Progress(
        TextColumn("导入 {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=quiet,
        transient=False,
    )
    with progress:
        task = progress.add_task(
            path.name, total=len(rows), completed=min(ledger.chunks_received * CHUNK_ROWS, len(rows))
        )
        for index in (
            range(ledger.chunks_received, len(chunks))
            if ledger.status == pb.LEDGER_IMPORT_STATUS_RECEIVING
            else ()
        ):
            chunk = chunks[index]
            request = pb.UploadLedgerRowsRequest(
                import_id=ledger.import_id,
                chunk_index=index,
                rows=[pb.LedgerRow(row_number=number, cells=cells) for number, cells in chunk],
            )
            ledger = (await c.call(c.stub.UploadLedgerRows, request)).ledger_import
            progress.update(task, advance=len(chunk))
    if ledger.status in (pb.LEDGER_IMPORT_STATUS_RECEIVING, pb.LEDGER_IMPORT_STATUS_COMMITTING):
        ledger = (
            await c.call(
                c.stub.CommitLedgerImport,
                pb.CommitLedgerImportRequest(import_id=ledger.import_id),
                timeout_s=900,
            )
        ).ledger_import
    if args.demo and ledger.status == pb.LEDGER_IMPORT_STATUS_COMMITTED:
        from jingwu_cli.population_demo import seed_places

        await seed_places(c, c._clients.target.district)
    errors = [[str(e.row_number), e.column, e.reason] for e in ledger.errors]
    title = f"台账导入 {path.name}：{_IMPORT_STATUS.get(ledger.status, '')}"
    notes = [
        f"houses created {ledger.houses_created}, residents created {ledger.residents_created}, "
        f"rows unchanged {ledger.rows_unchanged}"
        + (f", {len(errors) + ledger.more_errors} row errors" if errors else "")
    ]
    result = TableResult(title, ["行", "列", "原因"], errors, to_json(ledger), notes)
    if ledger.status == pb.LEDGER_IMPORT_STATUS_REJECTED:
        lines = [f"row {e.row_number}, {e.column}: {e.reason}" for e in ledger.errors[:50]]
        raise CliError(
            f"{path.name} was not imported (nothing was changed): "
            f"{len(errors) + ledger.more_errors} row errors",
            EXIT_FAILED,
            lines,
        )
    return result


# ── audit ────────────────────────────────────────────────────────────────────────────────────────


async def audit_list(c: PopulationClient, args: argparse.Namespace) -> Result:
    request = pb.ListUnmaskedReadsRequest(
        reader_id=args.reader or "",
        resident_id=args.resident or "",
        page=common_pb2.PageRequest(page_size=args.limit),
    )
    reply = await c.call(c.stub.ListUnmaskedReads, request)
    rows = [
        [
            str(r.sequence),
            r.read_time.ToDatetime().isoformat(timespec="seconds"),
            r.reader_id,
            r.reader_role,
            r.method.rsplit("/", 1)[-1],
            r.purpose,
            ",".join(r.fields),
            str(len(r.resident_ids)),
            r.entry_hash[:12],
        ]
        for r in reply.unmasked_reads
    ]
    return TableResult(
        "个人信息查阅记录 unmasked reads (R-POP-6)",
        ["序号", "时间(UTC)", "查阅人", "角色", "操作", "用途", "字段", "人数", "哈希"],
        rows,
        [to_json(r) for r in reply.unmasked_reads],
    )


async def audit_verify(c: PopulationClient, args: argparse.Namespace) -> Result:
    verdict = await c.call(c.stub.VerifyUnmaskedReadChain, pb.VerifyUnmaskedReadChainRequest())
    if not verdict.intact:
        raise CliError(
            f"audit chain broken at entry {verdict.first_broken_sequence}: {verdict.problem} "
            f"({verdict.entries_checked} entries checked)",
            EXIT_FAILED,
        )
    return DetailResult(
        "审计链校验 audit chain",
        [("结果", "完整 intact"), ("已校验条数", str(verdict.entries_checked))],
        to_json(verdict),
    )


async def audit_export(c: PopulationClient, args: argparse.Namespace) -> Result:
    request = pb.ExportResidentsRequest(
        zone_code=args.zone or "",
        access=pb.PersonalDataAccess(unmask=True, purpose=args.purpose or "", case_reference=args.case or ""),
        page=common_pb2.PageRequest(page_size=args.limit),
    )
    reply = await c.call(c.stub.ExportResidents, request)
    return TableResult(
        "导出 export (audited)",
        _RESIDENT_COLUMNS,
        _resident_rows(list(reply.residents)),
        [to_json(r) for r in reply.residents],
        [f"{len(reply.residents)} residents exported"],
    )


# ── the parsers ──────────────────────────────────────────────────────────────────────────────────


def add_parsers(  # noqa: PLR0915 - one statement per option
    areas: argparse._SubParsersAction[argparse.ArgumentParser], global_options: GlobalOptions
) -> None:
    """The population areas under the tool's parser (``global_options`` is the tool's own)."""

    def common(
        sub: argparse.ArgumentParser,
        handler: Callable[[PopulationClient, argparse.Namespace], Awaitable[Result]],
    ) -> argparse.ArgumentParser:
        global_options(sub, True)
        sub.add_argument(
            "--population-addr",
            default=os.environ.get("JINGWU_POPULATION_ADDR", DEFAULT_POPULATION_ADDR),
            help="population service host:port (env JINGWU_POPULATION_ADDR)",
        )
        sub.set_defaults(handler=_with(handler))
        return sub

    def personal(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--unmask", action="store_true", help="show identity and phone numbers (pii_reader; audited)"
        )
        sub.add_argument("--purpose", help="why (required with --unmask or a number search)")
        sub.add_argument("--case", help="case or work-order number")

    def group(name: str, text: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        return areas.add_parser(name, help=text, description=text).add_subparsers(
            dest="command", metavar="COMMAND", required=True
        )

    houses = group("houses", "actual houses (实有房屋, R-POP-1)")
    cmd = common(houses.add_parser("list", help="houses of a zone or village"), houses_list)
    cmd.add_argument("--zone")
    cmd.add_argument("--village")
    cmd.add_argument("--rental", action="store_true", help="rental houses (出租屋) only")
    cmd.add_argument("--key-group", choices=sorted(KEY_GROUPS))
    cmd.add_argument("--limit", type=int, default=100)
    cmd = common(houses.add_parser("show", help="a house with everyone living there"), houses_show)
    cmd.add_argument("house_id", metavar="HOUSE_ID")
    cmd.add_argument("--all", action="store_true", help="include residents who moved out")
    personal(cmd)

    residents = group("residents", "actual population (实有人口, R-POP-1/2/6)")
    cmd = common(
        residents.add_parser("list", help="residents of a house or zone, by category or key group"),
        residents_list,
    )
    cmd.add_argument("--zone")
    cmd.add_argument("--house")
    cmd.add_argument("--category", choices=sorted(CATEGORIES))
    cmd.add_argument("--key-group", choices=sorted(KEY_GROUPS))
    cmd.add_argument("--separated", action="store_true", help="人户分离 only")
    cmd.add_argument("--limit", type=int, default=100)
    personal(cmd)
    cmd = common(residents.add_parser("show", help="one resident with key groups and moves"), residents_show)
    cmd.add_argument("resident_id", metavar="RESIDENT_ID")
    personal(cmd)
    cmd = common(
        residents.add_parser(
            "search", help="by name (exact, or a prefix ending in *), identity or phone number"
        ),
        residents_search,
    )
    cmd.add_argument("--name")
    cmd.add_argument("--id-number")
    cmd.add_argument("--phone")
    cmd.add_argument("--limit", type=int, default=100)
    personal(cmd)

    places = group("places", "places under monthly inspection (R-POP-3)")
    cmd = common(places.add_parser("list", help="places by kind and zone"), places_list)
    cmd.add_argument("--kind", choices=sorted(PLACE_KINDS))
    cmd.add_argument("--zone")
    cmd.add_argument("--due-by", type=date.fromisoformat, metavar="YYYY-MM-DD")
    cmd.add_argument("--limit", type=int, default=200)
    cmd = common(
        places.add_parser("findings", help="inspections overdue, key-group reviews overdue"), places_findings
    )
    cmd.add_argument("--kind", choices=["inspections", "reviews"])
    cmd.add_argument("--zone")

    cmd = common(
        areas.add_parser(
            "import",
            help="import a ledger file (CSV/XLSX, 一标三实 columns): all or nothing, resumable",
            description="import a ledger file (CSV/XLSX, 一标三实 columns): all or nothing, resumable; "
            "running it again on the same file resumes it or changes nothing",
        ),
        import_file,
    )
    cmd.add_argument("file", metavar="FILE")
    cmd.add_argument(
        "--demo", action="store_true", help="write the demo district's ledger to FILE first (if missing)"
    )
    cmd.add_argument(
        "--residents", type=int, default=100_000, help="residents in the demo ledger (default 100,000)"
    )

    audit = group("audit", "the audit trail of personal-data reads (R-POP-6; auditor role)")
    cmd = common(audit.add_parser("list", help="unmasked reads, newest first"), audit_list)
    cmd.add_argument("--reader")
    cmd.add_argument("--resident")
    cmd.add_argument("--limit", type=int, default=100)
    common(audit.add_parser("verify", help="check the hash chain as stored"), audit_verify)
    cmd = common(audit.add_parser("export", help="bulk export (audited)"), audit_export)
    cmd.add_argument("--zone")
    cmd.add_argument("--purpose", required=True)
    cmd.add_argument("--case")
    cmd.add_argument("--limit", type=int, default=500)
