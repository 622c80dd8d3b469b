"""Staffing and assessment from the personnel service: findings with their rule ids (R-PER-2..9),
blank villages (R-PER-5), officers as the caller's role may see them (R-POP-6), and the monthly and
quarterly rankings with each score's explanation (R-PER-11)."""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web
from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2 as per
from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu_platform.calendar import DISTRICT_ZONE

from jingwu_console.api.common import (
    BadInput,
    console_of,
    json_body,
    ok,
    query_int,
    query_str,
    session_of,
)
from jingwu_console.upstream import as_json, collect

PAGE = 500
SLOW_S = 120.0  # district-wide computations


def _stub(request: web.Request) -> personnel_pb2_grpc.PersonnelServiceAsyncStub:
    return personnel_pb2_grpc.PersonnelServiceStub(console_of(request).upstreams.channel("personnel"))


def _page(token: str) -> common_pb2.PageRequest:
    return common_pb2.PageRequest(page_size=PAGE, page_token=token)


async def findings(request: web.Request) -> web.Response:
    status_name = query_str(request, "status", "open").lower()
    status = {
        "open": per.STAFFING_FINDING_STATUS_OPEN,
        "resolved": per.STAFFING_FINDING_STATUS_RESOLVED,
        "all": per.STAFFING_FINDING_STATUS_UNSPECIFIED,
    }.get(status_name)
    if status is None:
        raise BadInput([("status", "应为 open、resolved 或 all")])
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[per.StaffingFinding], str]:
        answer = await upstreams.call(
            "personnel",
            stub.ListStaffingFindings,
            per.ListStaffingFindingsRequest(
                status=status,
                station_id=query_str(request, "station_id"),
                room_id=query_str(request, "room_id"),
                page=_page(page_token),
            ),
            token,
        )
        return list(answer.staffing_findings), answer.page.next_page_token

    return ok({"findings": [as_json(f) for f in await collect(page)]})


async def village_assignments(request: web.Request) -> web.Response:
    """R-PER-5: administrative villages missing a liaison officer (空白村) or a resident auxiliary."""
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[per.VillageAssignment], str]:
        answer = await upstreams.call(
            "personnel",
            stub.ListVillageAssignments,
            per.ListVillageAssignmentsRequest(
                incomplete_only=query_str(request, "incomplete", "1") == "1",
                station_id=query_str(request, "station_id"),
                page=_page(page_token),
            ),
            token,
        )
        return list(answer.village_assignments), answer.page.next_page_token

    return ok({"village_assignments": [as_json(v) for v in await collect(page)], "rule_id": "R-PER-5"})


async def evaluate(request: web.Request) -> web.Response:
    answer = await console_of(request).upstreams.call(
        "personnel",
        _stub(request).EvaluateStaffing,
        per.EvaluateStaffingRequest(station_id=str((await json_body(request)).get("station_id", ""))),
        session_of(request).token,
        timeout_s=SLOW_S,
    )
    return ok(
        {
            "raised": [as_json(f) for f in answer.raised],
            "resolved": [as_json(f) for f in answer.resolved],
            "open_count": answer.open_count,
        }
    )


async def officers(request: web.Request) -> web.Response:
    """Officers as the personnel service returns them to this caller: masked unless pii_reader, and
    then audited by the service (R-POP-6). The console never unmasks or re-masks anything itself."""
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams
    limit = query_int(request, "limit", 200, low=1, high=2000)

    async def page(page_token: str) -> tuple[list[per.Officer], str]:
        answer = await upstreams.call(
            "personnel",
            stub.ListOfficers,
            per.ListOfficersRequest(
                station_id=query_str(request, "station_id"),
                room_id=query_str(request, "room_id"),
                page=common_pb2.PageRequest(page_size=min(limit, PAGE), page_token=page_token),
            ),
            token,
        )
        return list(answer.officers), answer.page.next_page_token if len(answer.officers) < limit else ""

    found = (await collect(page))[:limit]
    return ok({"officers": [as_json(o) for o in found]})


async def officer(request: web.Request) -> web.Response:
    answer = await console_of(request).upstreams.call(
        "personnel",
        _stub(request).GetOfficer,
        per.GetOfficerRequest(officer_id=request.match_info["officer_id"]),
        session_of(request).token,
    )
    return ok({"officer": as_json(answer.officer)})


def period_of(kind: str, year: int, index: int) -> per.AssessmentPeriod:
    if kind == "monthly":
        if not 1 <= index <= 12:
            raise BadInput([("index", "月度考核的月份应在 1–12")])
        return per.AssessmentPeriod(kind=per.PERIOD_KIND_MONTHLY, year=year, index=index)
    if kind == "quarterly":
        if not 1 <= index <= 4:
            raise BadInput([("index", "季度考核的季度应在 1–4")])
        return per.AssessmentPeriod(kind=per.PERIOD_KIND_QUARTERLY, year=year, index=index)
    raise BadInput([("kind", "应为 monthly 或 quarterly")])


def last_period(kind: str, today: date) -> tuple[int, int]:
    """(year, index) of the last complete month or quarter: what a leader reviews (月评, 季考)."""
    if kind == "quarterly":
        quarter = (today.month - 1) // 3  # the previous quarter, 0 meaning Q4 of last year
        return (today.year, quarter) if quarter else (today.year - 1, 4)
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def _period(request: web.Request) -> per.AssessmentPeriod:
    kind = query_str(request, "kind", "monthly")
    year, index = last_period(kind, datetime.now(DISTRICT_ZONE).date())
    return period_of(
        kind,
        query_int(request, "year", year, low=2000, high=2100),
        query_int(request, "index", index, low=1, high=12),
    )


async def rankings(request: web.Request) -> web.Response:
    period = _period(request)
    stub, token, upstreams = _stub(request), session_of(request).token, console_of(request).upstreams

    async def page(page_token: str) -> tuple[list[per.RankingEntry], str]:
        answer = await upstreams.call(
            "personnel",
            stub.ListRankings,
            per.ListRankingsRequest(
                period=period, station_id=query_str(request, "station_id"), page=_page(page_token)
            ),
            token,
        )
        return list(answer.entries), answer.page.next_page_token

    return ok({"period": as_json(period), "entries": [as_json(e) for e in await collect(page)]})


async def assessment(request: web.Request) -> web.Response:
    """One officer's assessment with the indicators, ratings and deductions that explain the score."""
    answer = await console_of(request).upstreams.call(
        "personnel",
        _stub(request).GetAssessment,
        per.GetAssessmentRequest(officer_id=request.match_info["officer_id"], period=_period(request)),
        session_of(request).token,
    )
    return ok({"assessment": as_json(answer.assessment), "rule_id": "R-PER-11"})


async def compute(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        period = period_of(str(body.get("kind", "")), int(body.get("year", 0)), int(body.get("index", 0)))
    except (TypeError, ValueError):
        raise BadInput([("year", "需要整数"), ("index", "需要整数")]) from None
    answer = await console_of(request).upstreams.call(
        "personnel",
        _stub(request).ComputeAssessments,
        per.ComputeAssessmentsRequest(period=period, station_id=str(body.get("station_id", ""))),
        session_of(request).token,
        timeout_s=SLOW_S,
    )
    return ok({"computed": len(answer.assessments)})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/staffing/findings", findings),
        web.get("/api/staffing/villages", village_assignments),
        web.post("/api/staffing/evaluate", evaluate),
        web.get("/api/officers", officers),
        web.get("/api/officers/{officer_id}", officer),
        web.get("/api/assessment/rankings", rankings),
        web.get("/api/assessment/officers/{officer_id}", assessment),
        web.post("/api/assessment/compute", compute),
    ]
