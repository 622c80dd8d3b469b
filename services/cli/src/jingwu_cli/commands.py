"""Command handlers: each turns parsed options into RPCs (through the client layer) and answers a
renderable result. No argparse and no printing here."""

from __future__ import annotations

import argparse
import calendar
from datetime import date

from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2 as per
from jingwu.rooms.v1 import rooms_pb2 as rooms
from jingwu_platform.proto_values import local_date_to_proto

from jingwu_cli import labels
from jingwu_cli.client import Clients, collect
from jingwu_cli.directory import PAGE, Directory
from jingwu_cli.render import DetailResult, Result, TableResult, to_json


def month_range(year: int, month: int) -> common_pb2.DateRange:
    last = calendar.monthrange(year, month)[1]
    return common_pb2.DateRange(
        start=local_date_to_proto(date(year, month, 1)), end=local_date_to_proto(date(year, month, last))
    )


def _point(point: common_pb2.GeoPoint) -> str:
    return f"{point.longitude:.4f},{point.latitude:.4f}" if point.longitude or point.latitude else ""


# ── stations, zones, villages ───────────────────────────────────────────────────────────────────


async def stations_list(c: Clients, args: argparse.Namespace) -> Result:
    async def fetch(token: str) -> tuple[list[rooms.Station], str]:
        reply = await c.call(
            "rooms", c.rooms.ListStations, rooms.ListStationsRequest(page=PAGE(page_token=token))
        )
        return list(reply.stations), reply.page.next_page_token

    stations = await collect(fetch)
    rows = [
        [
            s.station_id,
            s.name,
            labels.lookup(labels.STATION_KINDS, s.kind),
            labels.lookup(labels.OPERATING_MODELS, s.operating_model),
            _point(s.location),
        ]
        for s in stations
    ]
    return TableResult(
        "派出所 stations",
        ["id", "名称", "类型", "运行模式", "位置"],
        rows,
        [to_json(s) for s in stations],
        [f"{len(stations)} stations"],
    )


async def zones_list(c: Clients, args: argparse.Namespace) -> Result:
    async def fetch(token: str) -> tuple[list[rooms.Zone], str]:
        request = rooms.ListZonesRequest(
            station_id=args.station or "",
            include_retired=args.retired,
            page=PAGE(page_size=500, page_token=token),
        )
        reply = await c.call("rooms", c.rooms.ListZones, request)
        return list(reply.zones), reply.page.next_page_token

    zones = await collect(fetch)
    names = Directory(c)
    rows = [
        [
            z.zone_code,
            z.name + ("（已撤销）" if z.retired else ""),
            await names.station(z.station_id),
            f"{z.workload.actual_population:,}",
            f"{z.workload.area_km2:.1f}",
            str(z.workload.security_complexity or ""),
        ]
        for z in zones
    ]
    return TableResult(
        "警务区 zones",
        ["代码", "名称", "派出所", "实有人口", "面积km²", "复杂度"],
        rows,
        [to_json(z) for z in zones],
        [f"{len(zones)} zones"],
    )


async def villages_list(c: Clients, args: argparse.Namespace) -> Result:
    levels = {"admin": rooms.VILLAGE_LEVEL_ADMINISTRATIVE, "natural": rooms.VILLAGE_LEVEL_NATURAL}
    level = levels.get(args.level or "", rooms.VILLAGE_LEVEL_UNSPECIFIED)
    names = Directory(c)
    villages = await names.list_villages(zone_code=args.zone or "", level=level)
    rows = []
    for v in villages:
        flags = [
            label
            for flag, label in (
                (v.security_complex_central, "治安复杂中心村"),
                (v.former_township_seat, "撤并乡镇驻地"),
                (v.remote_from_station, "偏远"),
            )
            if flag
        ]
        kind = (
            "社区"
            if v.urban_community
            else ("行政村" if v.level == rooms.VILLAGE_LEVEL_ADMINISTRATIVE else "自然村")
        )
        rows.append(
            [
                v.village_id,
                v.name,
                kind,
                await names.village(v.parent_village_id),
                v.zone_code,
                v.township,
                "、".join(flags),
            ]
        )
    return TableResult(
        "社区/村 villages",
        ["id", "名称", "类别", "所属行政村", "警务区", "乡镇", "必建标志"],
        rows,
        [to_json(v) for v in villages],
        [f"{len(villages)} villages"],
    )


async def villages_blank(c: Clients, args: argparse.Namespace) -> Result:
    """R-PER-5: administrative villages without a liaison officer (空白村)."""

    async def fetch(token: str) -> tuple[list[per.VillageAssignment], str]:
        request = per.ListVillageAssignmentsRequest(
            station_id=args.station or "", incomplete_only=True, page=PAGE(page_size=500, page_token=token)
        )
        reply = await c.call("personnel", c.personnel.ListVillageAssignments, request)
        return list(reply.village_assignments), reply.page.next_page_token

    blank = [a for a in await collect(fetch) if not a.liaison_officer_id]
    names = Directory(c)
    rows = [
        [
            a.village_id,
            await names.village(a.village_id),
            a.zone_code,
            await names.station(a.station_id),
            await names.officer(a.resident_auxiliary_id) or "（无）",
        ]
        for a in blank
    ]
    return TableResult(
        "空白村 villages without a liaison officer (R-PER-5)",
        ["id", "村", "警务区", "派出所", "驻村辅警"],
        rows,
        [to_json(a) for a in blank],
        [f"{len(blank)} blank villages"],
    )


async def villages_candidates(c: Clients, args: argparse.Namespace) -> Result:
    """R-PER-6 (liaison) / R-PER-7 (resident auxiliary) ranking."""
    role = labels.OFFICER_ROLES[args.role][0]
    request = per.RankAssignmentCandidatesRequest(
        village_id=args.village_id,
        role=role,
        max_candidates=args.max,
    )
    reply = await c.call("personnel", c.personnel.RankAssignmentCandidates, request)
    names = Directory(c)
    rows = [
        [
            str(rank),
            cand.name,
            cand.officer_id,
            labels.lookup(labels.BRANCHES, cand.branch),
            f"{cand.score:.1f}",
            "、".join(
                f"{labels.lookup(labels.CANDIDATE_REASONS, t.reason)}{t.points:+g}" for t in cand.score_terms
            )
            or "、".join(labels.lookup(labels.CANDIDATE_REASONS, r) for r in cand.reasons),
            str(cand.current_village_count),
        ]
        for rank, cand in enumerate(reply.candidates, start=1)
    ]
    village = await names.village(args.village_id)
    return TableResult(
        f"{village} {labels.OFFICER_ROLES[args.role][1]}人选 candidates",
        ["#", "姓名", "id", "警种", "得分", "理由", "已包村数"],
        rows,
        [to_json(cand) for cand in reply.candidates],
    )


# ── rooms ────────────────────────────────────────────────────────────────────────────────────────


async def rooms_list(c: Clients, args: argparse.Namespace) -> Result:
    kind = labels.ROOM_KINDS[args.kind][0] if args.kind else 0
    status = labels.ROOM_STATUSES[args.status][0] if args.status else 0

    async def fetch(token: str) -> tuple[list[rooms.Room], str]:
        request = rooms.ListRoomsRequest(
            station_id=args.station or "",
            zone_code=args.zone or "",
            kind=kind,  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
            page=PAGE(page_size=500, page_token=token),
        )
        reply = await c.call("rooms", c.rooms.ListRooms, request)
        return list(reply.rooms), reply.page.next_page_token

    found = await collect(fetch)
    names = Directory(c)
    rows = [
        [
            r.room_id,
            r.name,
            labels.room_kind(r.kind),
            labels.room_status(r.status),
            await names.station(r.station_id),
            ",".join(r.zone_codes),
            r.grade,
            r.vehicle_plate,
        ]
        for r in found
    ]
    return TableResult(
        "警务室 rooms",
        ["id", "名称", "类型", "状态", "派出所", "警务区", "等级", "车牌"],
        rows,
        [to_json(r) for r in found],
        [f"{len(found)} rooms"],
    )


async def rooms_show(c: Clients, args: argparse.Namespace) -> Result:
    room = (await c.call("rooms", c.rooms.GetRoom, rooms.GetRoomRequest(room_id=args.room_id))).room
    names = Directory(c)
    pairs = [
        ("id", room.room_id),
        ("名称", room.name),
        ("类型", labels.room_kind(room.kind)),
        ("状态", labels.room_status(room.status)),
        ("派出所", await names.station(room.station_id)),
        ("警务区", ",".join(room.zone_codes)),
        ("村/社区", await names.village(room.village_id)),
        ("地址", room.address),
        ("位置", _point(room.location)),
        ("等级", room.grade),
        ("设施", "、".join(f"{f.code}×{f.quantity:g}" for f in room.facilities)),
        ("荣誉命名", room.honorary_officer_name),
        ("车牌", room.vehicle_plate),
        ("合并至", room.merged_into_room_id),
    ]
    tables = []
    if room.stops:
        stop_rows = [
            [
                s.stop_id,
                s.name,
                _point(s.location),
                f"{s.radius_m:g}",
                f"{s.window_start_minute // 60:02d}:{s.window_start_minute % 60:02d}–"
                f"{s.window_end_minute // 60:02d}:{s.window_end_minute % 60:02d}",
                "●" if s.stop_id == room.current_stop_id else "",
            ]
            for s in room.stops
        ]
        tables.append(
            TableResult("停靠点 stops", ["id", "名称", "位置", "半径m", "时段", "当前"], stop_rows, None)
        )
    return DetailResult(f"警务室 {room.name}", [(k, v) for k, v in pairs if v], to_json(room), tables)


async def rooms_coverage(c: Clients, args: argparse.Namespace) -> Result:
    """R-ROOM-4: must-build villages without a room, rooms without an officer."""
    reply = await c.call(
        "rooms", c.rooms.GetCoverageReport, rooms.GetCoverageReportRequest(station_id=args.station or "")
    )
    report = reply.coverage_report
    names = Directory(c)
    rows = []
    for gap in report.gaps:
        if gap.finding == "room_without_officer":
            what, subject = "警务室无民警", gap.name or await names.room(gap.room_id)
            ident = gap.room_id
        else:
            what, subject = "必建村未建室", gap.name or await names.village(gap.village_id)
            ident = gap.village_id
        reasons = "、".join(_MUST_BUILD.get(r, r) for r in gap.reasons)
        rows.append([what, subject, ident, reasons])
    return TableResult(
        "警务室覆盖缺口 coverage gaps (R-ROOM-4)",
        ["问题", "名称", "id", "必建理由"],
        rows,
        to_json(report),
        [
            f"must-build villages: {report.villages_requiring_room}, covered: {report.villages_covered} "
            f"({report.coverage_ratio:.0%}); {len(report.gaps)} gaps"
        ],
    )


_MUST_BUILD = {
    "security_complex_central": "治安复杂中心村",
    "former_township_seat": "撤并乡镇驻地",
    "remote_from_station": "远离派出所",
}


async def rooms_rota_gaps(c: Clients, args: argparse.Namespace) -> Result:
    """R-ROOM-6: days in the period with nobody on the room's duty rota."""
    period = common_pb2.DateRange(
        start=local_date_to_proto(args.date_from), end=local_date_to_proto(args.date_to)
    )
    reply = await c.call(
        "rooms", c.rooms.GetRotaGaps, rooms.GetRotaGapsRequest(room_id=args.room_id, period=period)
    )
    weekdays = "一二三四五六日"
    rows = [
        [labels.local_date(d), "周" + weekdays[date(d.year, d.month, d.day).weekday()]]
        for d in reply.uncovered_days
    ]
    name = await Directory(c).room(args.room_id)
    return TableResult(
        f"{name} 值班空档 rota gaps {args.date_from}…{args.date_to} (R-ROOM-6)",
        ["日期", "星期"],
        rows,
        to_json(reply),
        [f"{len(rows)} uncovered days"],
    )


# ── officers ─────────────────────────────────────────────────────────────────────────────────────


async def officers_list(c: Clients, args: argparse.Namespace) -> Result:
    role = labels.OFFICER_ROLES[args.role][0] if args.role else 0

    async def fetch(token: str) -> tuple[list[per.Officer], str]:
        request = per.ListOfficersRequest(
            station_id=args.station or "",
            role=role,  # type: ignore[arg-type]
            room_id=args.room or "",
            village_id=args.village or "",
            page=PAGE(page_size=500, page_token=token),
        )
        reply = await c.call("personnel", c.personnel.ListOfficers, request)
        return list(reply.officers), reply.page.next_page_token

    officers = await collect(fetch)
    names = Directory(c)
    rows = [
        [
            o.officer_id,
            o.name,
            o.badge_number,
            "、".join(labels.role(r) for r in o.roles),
            labels.lookup(labels.BRANCHES, o.branch),
            await names.station(o.station_id),
            labels.lookup(labels.OFFICER_STATUSES, o.status),
        ]
        for o in officers
    ]
    return TableResult(
        "人员 officers",
        ["id", "姓名", "警号", "角色", "警种", "派出所", "状态"],
        rows,
        [to_json(o) for o in officers],
        [f"{len(officers)} officers"],
    )


async def officers_show(c: Clients, args: argparse.Namespace) -> Result:
    officer = (
        await c.call("personnel", c.personnel.GetOfficer, per.GetOfficerRequest(officer_id=args.officer_id))
    ).officer
    history = await c.call(
        "personnel", c.personnel.GetPostingHistory, per.GetPostingHistoryRequest(officer_id=args.officer_id)
    )
    names = Directory(c)
    pairs = [
        ("id", officer.officer_id),
        ("姓名", officer.name),
        ("警号", officer.badge_number),
        ("角色", "、".join(labels.role(r) for r in officer.roles)),
        ("警种", labels.lookup(labels.BRANCHES, officer.branch)),
        ("派出所", await names.station(officer.station_id)),
        ("状态", labels.lookup(labels.OFFICER_STATUSES, officer.status)),
        ("身份证号", officer.id_number),
        ("电话", officer.phone),
        ("籍贯村", await names.village(officer.home_village_id)),
        ("乡镇", officer.home_township),
        ("原工作单位", officer.previous_workplace),
        ("入职", labels.local_date(officer.join_date)),
        (
            "任职年限",
            f"农村 {history.tenure.rural_days / 365:.1f} 年，城区 {history.tenure.urban_days / 365:.1f} 年"
            + ("；具备所领导任职资格" if history.tenure.eligible_for_station_leadership else ""),
        ),
    ]
    posting_rows = [
        [
            labels.role(p.role),
            await names.station(p.station_id),
            await names.room(p.room_id),
            p.zone_code,
            await names.village(p.village_id),
            "专职" if p.full_time else "",
            labels.local_date(p.start_date),
            labels.local_date(p.end_date) or "至今",
            p.end_reason,
        ]
        for p in history.postings
    ]
    postings = TableResult(
        "任职记录 postings (R-PER-12)",
        ["角色", "派出所", "警务室", "警务区", "村", "专职", "起", "止", "原因"],
        posting_rows,
        None,
    )
    data = {"officer": to_json(officer), "posting_history": to_json(history)}
    return DetailResult(f"{officer.name}", [(k, v) for k, v in pairs if v], data, [postings])


# ── staffing findings, work logs, assessment ────────────────────────────────────────────────────


async def _findings(c: Clients, kind: int, open_only: bool, station: str = "") -> list[per.StaffingFinding]:
    async def fetch(token: str) -> tuple[list[per.StaffingFinding], str]:
        request = per.ListStaffingFindingsRequest(
            kind=kind,  # type: ignore[arg-type]
            status=per.STAFFING_FINDING_STATUS_OPEN if open_only else per.STAFFING_FINDING_STATUS_UNSPECIFIED,
            station_id=station,
            page=PAGE(page_size=500, page_token=token),
        )
        reply = await c.call("personnel", c.personnel.ListStaffingFindings, request)
        return list(reply.staffing_findings), reply.page.next_page_token

    return await collect(fetch)


async def _finding_rows(names: Directory, findings: list[per.StaffingFinding]) -> list[list[str]]:
    rows = []
    for f in findings:
        subject = [
            part
            for part in (
                await names.station(f.station_id),
                await names.room(f.room_id),
                f.zone_code,
                await names.village(f.village_id),
                await names.officer(f.officer_id),
            )
            if part
        ]
        period = (
            f"{labels.local_date(f.period.start)}…{labels.local_date(f.period.end)}"
            if f.period.start.year
            else ""
        )
        rows.append(
            [
                labels.finding_kind(f.kind),
                f.rule_id,
                " / ".join(subject),
                f"{f.actual_value:g} / {f.required_value:g}",
                period,
                labels.lookup(labels.FINDING_STATUSES, f.status),
                f.detail,
            ]
        )
    return rows


_FINDING_COLUMNS = ["问题", "规则", "对象", "实际/要求", "期间", "状态", "说明"]


async def staffing_findings(c: Clients, args: argparse.Namespace) -> Result:
    kind = labels.FINDING_KINDS[args.kind][0] if args.kind else 0
    findings = await _findings(c, kind, args.open, args.station or "")
    rows = await _finding_rows(Directory(c), findings)
    counts: dict[str, int] = {}
    for f in findings:
        counts[labels.finding_kind(f.kind)] = counts.get(labels.finding_kind(f.kind), 0) + 1
    return TableResult(
        "警力配置问题 staffing findings",
        _FINDING_COLUMNS,
        rows,
        [to_json(f) for f in findings],
        [
            f"{len(findings)} findings"
            + (": " + "，".join(f"{k} {v}" for k, v in counts.items()) if counts else "")
        ],
    )


async def staffing_evaluate(c: Clients, args: argparse.Namespace) -> Result:
    request = per.EvaluateStaffingRequest(station_id=args.station or "")
    if args.as_of is not None:
        request.as_of.CopyFrom(local_date_to_proto(args.as_of))
    reply = await c.call("personnel", c.personnel.EvaluateStaffing, request)
    names = Directory(c)
    rows = [["新发现", *r] for r in await _finding_rows(names, list(reply.raised))]
    rows += [["已整改", *r] for r in await _finding_rows(names, list(reply.resolved))]
    return TableResult(
        "警力配置检查 staffing evaluation",
        ["变化", *_FINDING_COLUMNS],
        rows,
        to_json(reply),
        [f"raised {len(reply.raised)}, resolved {len(reply.resolved)}, open {reply.open_count}"],
    )


async def worklog_compliance(c: Clients, args: argparse.Namespace) -> Result:
    """R-PER-8 village days and R-PER-9 community hours falling short in the month."""
    year, month = args.month
    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    findings = []
    for kind in (
        per.STAFFING_FINDING_KIND_VILLAGE_DAYS_SHORT,
        per.STAFFING_FINDING_KIND_COMMUNITY_HOURS_SHORT,
    ):
        for f in await _findings(c, kind, False, args.station or ""):
            start = f.period.start
            if start.year and first <= date(start.year, start.month, start.day) <= last:
                findings.append(f)
    rows = await _finding_rows(Directory(c), findings)
    return TableResult(
        f"{year}年{month}月 工作日志合规 work-log compliance (R-PER-8, R-PER-9)",
        _FINDING_COLUMNS,
        rows,
        [to_json(f) for f in findings],
        [f"{len(findings)} shortfalls"],
    )


async def worklog_summary(c: Clients, args: argparse.Namespace) -> Result:
    year, month = args.month
    request = per.GetWorkSummaryRequest(officer_id=args.officer_id, period=month_range(year, month))
    summary = (await c.call("personnel", c.personnel.GetWorkSummary, request)).work_summary
    names = Directory(c)
    rows = [
        [
            f"驻村 {await names.village(v.village_id)}",
            labels.local_date(v.month_start),
            f"{v.days_present} 天",
            f"{v.required_days} 天",
        ]
        for v in summary.village_days
    ]
    rows += [
        [
            "社区工作",
            labels.local_date(w.week_start),
            f"{w.hours:g} 小时",
            f"{w.required_hours:g} 小时",
        ]
        for w in summary.week_hours
    ]
    who = await names.officer(args.officer_id)
    return TableResult(
        f"{who} {year}年{month}月 工作量 work summary",
        ["项目", "自", "实际", "要求"],
        rows,
        to_json(summary),
        [f"{summary.log_count} logs, {summary.household_count} households"],
    )


async def assessment_ranking(c: Clients, args: argparse.Namespace) -> Result:
    year, month = args.month
    role = labels.OFFICER_ROLES[args.role][0] if args.role else 0
    period = per.AssessmentPeriod(kind=per.PERIOD_KIND_MONTHLY, year=year, index=month)

    async def fetch(token: str) -> tuple[list[per.RankingEntry], str]:
        request = per.ListRankingsRequest(
            period=period,
            station_id=args.station or "",
            role=role,  # type: ignore[arg-type]
            page=PAGE(page_size=500, page_token=token),
        )
        reply = await c.call("personnel", c.personnel.ListRankings, request)
        return list(reply.entries), reply.page.next_page_token

    entries = await collect(fetch)
    names = Directory(c)
    rows = [
        [
            str(e.rank),
            e.name or await names.officer(e.officer_id),
            e.officer_id,
            await names.station(e.station_id),
            f"{e.total_score:.1f}",
            labels.lookup(labels.GRADES, e.grade),
        ]
        for e in entries
    ]
    return TableResult(
        f"{year}年{month}月 考核排名 ranking (R-PER-11)",
        ["名次", "姓名", "id", "派出所", "总分", "等次"],
        rows,
        [to_json(e) for e in entries],
    )
