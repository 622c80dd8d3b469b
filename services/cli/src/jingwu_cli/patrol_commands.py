"""``jingwu patrol hotspots|plans|evidence|rings|checkpoints|joint-patrols``: the patrol service (巡逻防控,
R-PAT-1..6, R-ROOM-5) from the command line, as tables with Chinese headings or ``--json``.

- ``hotspots``: road sections, places and areas ranked by case density per weekly slot, each with why
  (R-PAT-2); ``--registered`` lists the registered hot spots instead;
- ``plans``: a zone's patrol plans with their sections and checkpoint duties; ``--generate`` makes one
  from the current recommendation (R-PAT-2, R-PAT-3);
- ``evidence``: a day's evidence per vehicle and officer handheld (R-PAT-6), yesterday by default;
  ``--compute VEHICLE_ID`` recomputes one; ``--visibility`` shows street visibility (见警率) per zone;
- ``rings`` and ``checkpoints`` (R-PAT-3), ``--duties`` for the duty orders at checkpoints;
- ``joint-patrols``: the mass-prevention teams' daily joint patrols, ``--gaps`` for the missed days
  (R-PAT-4).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import grpc
from google.protobuf.duration_pb2 import Duration
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2 as pb
from jingwu.patrol.v1 import patrol_pb2_grpc
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.grpc_client import open_channel

from jingwu_cli.client import Clients, translate
from jingwu_cli.render import Result, TableResult, to_json

DEFAULT_PATROL_ADDR = "127.0.0.1:50056"
Resp = TypeVar("Resp")
Handler = Callable[[Clients, argparse.Namespace], Awaitable[Result]]
GlobalOptions = Callable[[argparse.ArgumentParser, bool], None]
WEEKDAYS = "一二三四五六日"

CATEGORY = {
    pb.INCIDENT_CATEGORY_THEFT: "盗窃",
    pb.INCIDENT_CATEGORY_BURGLARY: "入室盗窃",
    pb.INCIDENT_CATEGORY_VEHICLE_THEFT: "盗窃车辆",
    pb.INCIDENT_CATEGORY_ROBBERY: "抢劫抢夺",
    pb.INCIDENT_CATEGORY_FRAUD: "诈骗",
    pb.INCIDENT_CATEGORY_ASSAULT: "殴打伤害",
    pb.INCIDENT_CATEGORY_DISPUTE: "纠纷",
    pb.INCIDENT_CATEGORY_PUBLIC_ORDER: "扰乱秩序",
    pb.INCIDENT_CATEGORY_TRAFFIC: "交通",
    pb.INCIDENT_CATEGORY_OTHER: "其他",
}
HOT_SPOT_KIND = {
    pb.HOT_SPOT_KIND_ROAD_SECTION: "路段",
    pb.HOT_SPOT_KIND_PLACE: "场所",
    pb.HOT_SPOT_KIND_AREA: "区域",
}
RING_LEVEL = {
    pb.RING_LEVEL_CORE: "核心圈",
    pb.RING_LEVEL_CENTRE: "中心圈",
    pb.RING_LEVEL_INNER: "内圈",
    pb.RING_LEVEL_OUTER: "外圈",
}
CHECKPOINT_KIND = {
    pb.CHECKPOINT_KIND_CHECKPOINT: "卡口",
    pb.CHECKPOINT_KIND_SECURITY_CHECK_STATION: "治安检查站",
}
DUTY_SOURCE = {
    pb.DUTY_ORDER_SOURCE_MANUAL: "勤务指令",
    pb.DUTY_ORDER_SOURCE_INTERCEPTION: "堵控查缉",
    pb.DUTY_ORDER_SOURCE_ROOM_REGISTRY: "警务室调度",
}
SUBJECT = {pb.EVIDENCE_SUBJECT_KIND_VEHICLE: "车辆", pb.EVIDENCE_SUBJECT_KIND_HANDHELD: "警务通"}


class PatrolClient:
    """Calls of the patrol service with the tool's credential and deadline."""

    def __init__(self, clients: Clients, address: str) -> None:
        self._clients = clients
        self.address = address
        self._channel = open_channel(address, clients.target.credential.token)
        self.stub = patrol_pb2_grpc.PatrolServiceStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def call(
        self,
        method: Callable[..., Awaitable[Resp]],
        request: Any,
        timeout_s: float = 60.0,
        token: str | None = None,
    ) -> Resp:
        """One RPC; ``token`` replaces the tool's credential for it (the demo loader acts as a service)."""
        metadata = (("authorization", f"Bearer {token}"),) if token else None
        try:
            return await method(request, timeout=timeout_s, metadata=metadata)
        except grpc.aio.AioRpcError as error:
            translated = translate(error, "patrol", self.address, self._clients.target)  # type: ignore[arg-type]
            translated.status = error.code().name
            raise translated from error


def _with(handler: Callable[[PatrolClient, argparse.Namespace], Awaitable[Result]]) -> Handler:
    async def run(clients: Clients, args: argparse.Namespace) -> Result:
        client = PatrolClient(clients, args.patrol_addr)
        try:
            return await handler(client, args)
        finally:
            await client.close()

    return run


def _local(day: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=day.year, month=day.month, day=day.day)


def _day(value: common_pb2.LocalDate) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if value.year else ""


def _range(first: date, last: date) -> common_pb2.DateRange:
    return common_pb2.DateRange(start=_local(first), end=_local(last))


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _slot(slot: pb.TimeSlot) -> str:
    days = "每天" if not slot.weekdays else "周" + "".join(WEEKDAYS[d - 1] for d in sorted(slot.weekdays))
    return f"{days} {_clock(slot.start_minute)}–{_clock(slot.end_minute)}"


def _hours(duration: Duration) -> str:
    return f"{duration.ToTimedelta().total_seconds() / 3600:.1f}"


def _yesterday() -> date:
    return datetime.now(DISTRICT_ZONE).date() - timedelta(days=1)


def _today() -> date:
    return datetime.now(DISTRICT_ZONE).date()


# ── hot spots (R-PAT-2) ────────────────────────────────────────────────────────────────────────────


async def hotspots(c: PatrolClient, args: argparse.Namespace) -> Result:
    if args.registered:
        listed = await c.call(
            c.stub.ListHotSpots,
            pb.ListHotSpotsRequest(
                zone_code=args.zone or "", include_inactive=True, page=common_pb2.PageRequest(page_size=500)
            ),
        )
        rows = [
            [
                h.hotspot_id,
                h.name,
                HOT_SPOT_KIND.get(h.kind, ""),
                h.zone_code,
                "、".join(_slot(s) for s in h.time_slots),
                str(h.case_count),
                h.source,
                "是" if h.active else "否",
            ]
            for h in listed.hotspots
        ]
        return TableResult(
            "巡逻热点 hot spots",
            ["id", "名称", "类型", "警务区", "时段", "案件数", "来源", "启用"],
            rows,
            [to_json(h) for h in listed.hotspots],
        )
    request = pb.RecommendHotSpotsRequest(
        zone_code=args.zone or "", window_weeks=args.weeks, limit=args.limit
    )
    if args.half_life_days:
        request.half_life.FromTimedelta(timedelta(days=args.half_life_days))
    if args.as_of:
        request.as_of.CopyFrom(_local(args.as_of))
    reply = await c.call(c.stub.RecommendHotSpots, request)
    rows = [
        [
            str(r.rank),
            r.name,
            HOT_SPOT_KIND.get(r.kind, ""),
            r.zone_code,
            _slot(r.slot),
            str(r.case_count),
            f"{r.score:.2f}",
            "、".join(f"{CATEGORY.get(k.category, '')} {k.count}" for k in r.categories),
            r.reason,
        ]
        for r in reply.recommendations
    ]
    notes = [
        f"窗口 {_day(reply.window.start)}–{_day(reply.window.end)}，半衰期 "
        f"{reply.half_life.ToTimedelta().days} 天，计入警情 {reply.incident_count} 起 (R-PAT-2)"
    ]
    return TableResult(
        "热点时段推荐 hot-spot slots by case density",
        ["#", "热点", "类型", "警务区", "时段", "起数", "衰减分", "类别", "依据"],
        rows,
        to_json(reply),
        notes,
    )


# ── plans (R-PAT-2, R-PAT-3) ───────────────────────────────────────────────────────────────────────


def _plan_rows(plans: list[pb.PatrolPlan]) -> list[list[str]]:
    status = {pb.PATROL_PLAN_STATUS_ACTIVE: "执行中", pb.PATROL_PLAN_STATUS_CANCELLED: "已取消"}
    return [
        [
            p.plan_id,
            p.zone_code,
            p.vehicle_id,
            f"{_day(p.period.start)}–{_day(p.period.end)}",
            _slot(p.shift) if p.HasField("shift") else "全天",
            "；".join(f"{_slot(s.slot)} {s.required_minutes}分" for s in p.sections),
            "；".join(f"{DUTY_SOURCE.get(d.source, '')} {d.checkpoint_name}" for d in p.checkpoint_duties),
            status.get(p.status, ""),
            p.source,
        ]
        for p in plans
    ]


_PLAN_COLUMNS = ["id", "警务区", "车辆", "周期", "班次", "热点时段（要求时长）", "卡口勤务", "状态", "来源"]


async def plans(c: PatrolClient, args: argparse.Namespace) -> Result:
    if args.generate:
        first = args.date_from or _today()
        last = args.date_to or first + timedelta(days=6)
        request = pb.CreatePatrolPlanFromHotSpotsRequest(
            zone_code=args.zone,
            vehicle_id=args.vehicle or "",
            period=_range(first, last),
            top=args.top,
            request_id=args.request_id or f"cli-plan-{args.zone}-{first.isoformat()}",
        )
        reply = await c.call(c.stub.CreatePatrolPlanFromHotSpots, request)
        notes = [f"依据：{r.reason}" for r in reply.recommendations]
        return TableResult(
            "生成的巡逻计划 generated plan",
            _PLAN_COLUMNS,
            _plan_rows([reply.patrol_plan]),
            to_json(reply),
            notes,
        )
    request_list = pb.ListPatrolPlansRequest(
        zone_code=args.zone or "", vehicle_id=args.vehicle or "", page=common_pb2.PageRequest(page_size=500)
    )
    if args.date_from or args.date_to:
        first = args.date_from or args.date_to
        request_list.period.CopyFrom(_range(first, args.date_to or first))
    listed = await c.call(c.stub.ListPatrolPlans, request_list)
    return TableResult(
        "巡逻计划 patrol plans",
        _PLAN_COLUMNS,
        _plan_rows(list(listed.patrol_plans)),
        [to_json(p) for p in listed.patrol_plans],
    )


# ── evidence (R-PAT-6) ───────────────────────────────────────────────────────────────────────────────


def _evidence_rows(found: list[pb.PatrolEvidence]) -> list[list[str]]:
    rows = []
    for e in found:
        stops = "、".join(
            f"{s.stop_id}:"
            + ("达标" if s.met else "未到" if s.missed else "早退" if s.left_early else "不足")
            for s in e.stop_compliance
        )
        rows.append(
            [
                _day(e.date),
                SUBJECT.get(e.subject_kind, ""),
                e.vehicle_id or e.device_id,
                e.zone_code,
                "、".join(e.officer_ids),
                f"{e.mileage_km:.1f}",
                f"{e.mileage_in_zone_km:.1f}",
                _hours(e.time_in_zone),
                f"{e.met_slot_count}/{e.planned_slot_count}",
                stops,
                f"{e.compliance_ratio:.0%}",
                str(e.outlier_fix_count),
            ]
        )
    return rows


_EVIDENCE_COLUMNS = [
    "日期",
    "对象",
    "车辆/设备",
    "警务区",
    "民警",
    "里程km",
    "辖区里程km",
    "在辖区h",
    "热点达标",
    "驻点",
    "完成率",
    "剔除漂移点",
]


async def evidence(c: PatrolClient, args: argparse.Namespace) -> Result:
    day = args.date or _yesterday()
    if args.visibility:
        reply_v = await c.call(
            c.stub.GetStreetVisibility,
            pb.GetStreetVisibilityRequest(zone_code=args.zone or "", period=_range(day, day)),
        )
        rows = [
            [
                z.zone_code,
                f"{z.share:.0%}",
                f"{z.present_count}/{z.slot_count}",
                "".join("█" if h.present_count else "·" for h in z.slots),
            ]
            for z in reply_v.zones
        ]
        return TableResult(
            f"见警率 street visibility {day.isoformat()}",
            ["警务区", "见警率", "有警时段", "00–23 时"],
            rows,
            to_json(reply_v),
            ["每小时至少有巡逻力量在辖区的时段计为有警 (R-PAT-2, R-PAT-6)"],
        )
    if args.compute:
        reply_c = await c.call(
            c.stub.ComputePatrolEvidence,
            pb.ComputePatrolEvidenceRequest(vehicle_id=args.compute, date=_local(day)),
        )
        found = [reply_c.patrol_evidence]
    else:
        listed = await c.call(
            c.stub.ListPatrolEvidence,
            pb.ListPatrolEvidenceRequest(
                zone_code=args.zone or "",
                vehicle_id=args.vehicle or "",
                officer_id=args.officer or "",
                period=_range(day, day),
                page=common_pb2.PageRequest(page_size=500),
            ),
        )
        found = list(listed.patrol_evidence)
    return TableResult(
        f"巡逻轨迹考核依据 patrol evidence {day.isoformat()} (R-PAT-6)",
        _EVIDENCE_COLUMNS,
        _evidence_rows(found),
        [to_json(e) for e in found],
    )


# ── rings and checkpoints (R-PAT-3) ───────────────────────────────────────────────────────────────────


async def rings(c: PatrolClient, args: argparse.Namespace) -> Result:
    listed = await c.call(
        c.stub.ListPreventionRings, pb.ListPreventionRingsRequest(page=common_pb2.PageRequest(page_size=500))
    )
    rows = [
        [
            r.ring_id,
            r.name,
            RING_LEVEL.get(r.level, ""),
            str(max(len(r.boundary.rings[0].points) - 1, 0)) if r.boundary.rings else "0",
        ]
        for r in listed.prevention_rings
    ]
    return TableResult(
        "防控圈 prevention rings",
        ["id", "名称", "层级", "顶点数"],
        rows,
        [to_json(r) for r in listed.prevention_rings],
    )


async def checkpoints(c: PatrolClient, args: argparse.Namespace) -> Result:
    if args.duties:
        listed_d = await c.call(
            c.stub.ListCheckpointDuties,
            pb.ListCheckpointDutiesRequest(
                vehicle_id=args.vehicle or "", page=common_pb2.PageRequest(page_size=200)
            ),
        )
        rows = [
            [
                d.duty_id,
                d.checkpoint_name,
                DUTY_SOURCE.get(d.source, ""),
                d.vehicle_id or "、".join(d.officer_ids),
                d.room_id,
                d.start_time.ToDatetime().isoformat(timespec="minutes"),
                d.end_time.ToDatetime().isoformat(timespec="minutes") if d.HasField("end_time") else "在岗",
                d.reason,
            ]
            for d in listed_d.checkpoint_duties
        ]
        return TableResult(
            "卡口勤务 checkpoint duties (UTC)",
            ["id", "卡口", "来源", "车辆/民警", "流动警务室", "开始", "结束", "事由"],
            rows,
            [to_json(d) for d in listed_d.checkpoint_duties],
        )
    listed = await c.call(
        c.stub.ListCheckpoints,
        pb.ListCheckpointsRequest(
            zone_code=args.zone or "", include_inactive=True, page=common_pb2.PageRequest(page_size=500)
        ),
    )
    rows = [
        [
            p.checkpoint_id,
            p.name,
            CHECKPOINT_KIND.get(p.kind, ""),
            p.ring_id,
            p.zone_code,
            f"{p.location.longitude:.5f},{p.location.latitude:.5f}",
            "是" if p.active else "否",
        ]
        for p in listed.checkpoints
    ]
    return TableResult(
        "卡口与治安检查站 checkpoints",
        ["id", "名称", "类型", "防控圈", "警务区", "位置", "启用"],
        rows,
        [to_json(p) for p in listed.checkpoints],
    )


# ── joint patrols (R-PAT-4) ─────────────────────────────────────────────────────────────────────────────


async def joint_patrols(c: PatrolClient, args: argparse.Namespace) -> Result:
    last = args.date_to or _yesterday()
    first = args.date_from or last - timedelta(days=6)
    if args.gaps:
        reply = await c.call(
            c.stub.GetJointPatrolGaps,
            pb.GetJointPatrolGapsRequest(
                village_id=args.village or "", zone_code=args.zone or "", period=_range(first, last)
            ),
        )
        rows = [
            [g.village_id, g.zone_code, str(len(g.missed_dates)), "、".join(_day(d) for d in g.missed_dates)]
            for g in reply.gaps
        ]
        return TableResult(
            f"未开展联合巡逻 joint-patrol gaps {first.isoformat()}–{last.isoformat()} (R-PAT-4)",
            ["社区/村", "警务区", "缺失天数", "日期"],
            rows,
            to_json(reply),
        )
    listed = await c.call(
        c.stub.ListJointPatrols,
        pb.ListJointPatrolsRequest(
            village_id=args.village or "",
            zone_code=args.zone or "",
            period=_range(first, last),
            page=common_pb2.PageRequest(page_size=500),
        ),
    )
    rows = [
        [
            _day(j.date),
            j.village_id,
            j.zone_code,
            j.leader_officer_id,
            str(j.participant_count),
            "、".join(j.participant_ids),
            j.notes,
        ]
        for j in listed.joint_patrols
    ]
    return TableResult(
        f"群防群治联合巡逻 joint patrols {first.isoformat()}–{last.isoformat()}",
        ["日期", "社区/村", "警务区", "带队民警", "人数", "登记人员", "备注"],
        rows,
        [to_json(j) for j in listed.joint_patrols],
    )


# ── the parsers ───────────────────────────────────────────────────────────────────────────────────────


def add_parsers(
    areas: argparse._SubParsersAction[argparse.ArgumentParser], global_options: GlobalOptions
) -> None:
    """``jingwu patrol …`` under the tool's parser (``global_options`` is the tool's own)."""
    text = "patrol (巡逻防控, R-PAT-1..6): hot spots, plans, evidence, rings, checkpoints, joint patrols"
    patrol = areas.add_parser("patrol", help=text, description=text)
    commands = patrol.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str, handler: Callable[[PatrolClient, argparse.Namespace], Awaitable[Result]], text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        global_options(sub, True)
        sub.add_argument(
            "--patrol-addr",
            default=os.environ.get("JINGWU_PATROL_ADDR", DEFAULT_PATROL_ADDR),
            help="patrol service host:port (env JINGWU_PATROL_ADDR)",
        )
        sub.set_defaults(handler=_with(handler))
        return sub

    cmd = command("hotspots", hotspots, "hot-spot slots ranked by case density, with why (R-PAT-2)")
    cmd.add_argument("--zone", help="8-digit zone code (default: the district)")
    cmd.add_argument("--weeks", type=int, default=0, help="window in weeks (default: the district's, 8)")
    cmd.add_argument("--half-life-days", type=float, default=0, help="decay half-life (default 14)")
    cmd.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD", help="last day of the window")
    cmd.add_argument("--limit", type=int, default=20)
    cmd.add_argument("--registered", action="store_true", help="list the registered hot spots instead")

    cmd = command("plans", plans, "patrol plans with sections and checkpoint duties (R-PAT-2/3)")
    cmd.add_argument("--zone")
    cmd.add_argument("--vehicle")
    cmd.add_argument("--from", dest="date_from", type=date.fromisoformat, metavar="YYYY-MM-DD")
    cmd.add_argument("--to", dest="date_to", type=date.fromisoformat, metavar="YYYY-MM-DD")
    cmd.add_argument(
        "--generate", action="store_true", help="make the zone's plan from the recommendation (needs --zone)"
    )
    cmd.add_argument("--top", type=int, default=0, help="slots to cover when generating (default 6)")
    cmd.add_argument("--request-id", help="idempotency key when generating (default: zone and start date)")

    cmd = command("evidence", evidence, "a day's patrol evidence per vehicle and handheld (R-PAT-6)")
    cmd.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="default: yesterday")
    cmd.add_argument("--zone")
    cmd.add_argument("--vehicle")
    cmd.add_argument("--officer", help="evidence crediting this officer")
    cmd.add_argument("--compute", metavar="VEHICLE_ID", help="recompute this vehicle's evidence now")
    cmd.add_argument("--visibility", action="store_true", help="street visibility (见警率) per zone and hour")

    command("rings", rings, "prevention rings: core, centre, inner, outer (R-PAT-3)")
    cmd = command("checkpoints", checkpoints, "checkpoints and security check stations (R-PAT-3)")
    cmd.add_argument("--zone")
    cmd.add_argument(
        "--duties", action="store_true", help="duty orders at checkpoints (R-ROOM-5 interception)"
    )
    cmd.add_argument("--vehicle", help="with --duties: one vehicle's")

    cmd = command("joint-patrols", joint_patrols, "daily joint patrols of mass-prevention teams (R-PAT-4)")
    cmd.add_argument("--village")
    cmd.add_argument("--zone")
    cmd.add_argument("--from", dest="date_from", type=date.fromisoformat, metavar="YYYY-MM-DD")
    cmd.add_argument("--to", dest="date_to", type=date.fromisoformat, metavar="YYYY-MM-DD")
    cmd.add_argument("--gaps", action="store_true", help="days without a joint patrol instead")
