"""A room's notices, resident meetings and their follow-ups, open callbacks and appointments, from the
notification service (R-NOT-1..4), and answering a matter back (R-NOT-3)."""

from __future__ import annotations

from aiohttp import web
from jingwu.common.v1 import common_pb2
from jingwu.notification.v1 import notification_pb2 as note
from jingwu.notification.v1 import notification_pb2_grpc

from jingwu_console.api.common import BadInput, console_of, json_body, ok, session_of
from jingwu_console.upstream import as_json

PAGE = common_pb2.PageRequest(page_size=100)
METHODS = {"phone": note.ANSWER_METHOD_PHONE, "visit": note.ANSWER_METHOD_VISIT}


def _stub(request: web.Request) -> notification_pb2_grpc.NotificationServiceAsyncStub:
    return notification_pb2_grpc.NotificationServiceStub(
        console_of(request).upstreams.channel("notification")
    )


async def notices(request: web.Request) -> web.Response:
    answer = await console_of(request).upstreams.call(
        "notification",
        _stub(request).ListNotices,
        note.ListNoticesRequest(room_id=request.match_info["room_id"], page=PAGE),
        session_of(request).token,
    )
    return ok({"notices": [as_json(n) for n in answer.notices], "rule_id": "R-NOT-1"})


async def meetings(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    upstreams, stub, token = console_of(request).upstreams, _stub(request), session_of(request).token
    held = await upstreams.call(
        "notification",
        stub.ListResidentMeetings,
        note.ListResidentMeetingsRequest(room_id=room_id, page=PAGE),
        token,
    )
    follow_ups = await upstreams.call(
        "notification",
        stub.ListFollowUps,
        note.ListFollowUpsRequest(room_id=room_id, open_only=True, page=PAGE),
        token,
    )
    return ok(
        {
            "meetings": [as_json(m) for m in held.meetings],
            "follow_ups": [as_json(f) for f in follow_ups.follow_ups],
            "rule_id": "R-NOT-2",
        }
    )


async def matters(request: web.Request) -> web.Response:
    """R-NOT-3: the room's matters not answered back yet (the service allows room staff only)."""
    answer = await console_of(request).upstreams.call(
        "notification",
        _stub(request).ListOpenMatters,
        note.ListOpenMattersRequest(room_id=request.match_info["room_id"], page=PAGE),
        session_of(request).token,
    )
    return ok({"matters": [as_json(m) for m in answer.matters], "rule_id": "R-NOT-3"})


async def appointments(request: web.Request) -> web.Response:
    answer = await console_of(request).upstreams.call(
        "notification",
        _stub(request).ListAppointments,
        note.ListAppointmentsRequest(room_id=request.match_info["room_id"], page=PAGE),
        session_of(request).token,
    )
    return ok({"appointments": [as_json(a) for a in answer.appointments], "rule_id": "R-NOT-4"})


async def answer_matter(request: web.Request) -> web.Response:
    body = await json_body(request)
    text = str(body.get("answer", "")).strip()
    method = METHODS.get(str(body.get("method", "")))
    problems = []
    if not text:
        problems.append(("answer", "请填写回告内容"))
    if method is None:
        problems.append(("method", "回告方式应为 phone（电话）或 visit（上门）"))
    if problems or method is None:
        raise BadInput(problems)
    answer = await console_of(request).upstreams.call(
        "notification",
        _stub(request).AnswerMatter,
        note.AnswerMatterRequest(matter_id=request.match_info["matter_id"], answer=text, method=method),
        session_of(request).token,
    )
    return ok({"matter": as_json(answer.entrusted_matter)})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/rooms/{room_id}/notices", notices),
        web.get("/api/rooms/{room_id}/meetings", meetings),
        web.get("/api/rooms/{room_id}/matters", matters),
        web.get("/api/rooms/{room_id}/appointments", appointments),
        web.post("/api/matters/{matter_id}/answer", answer_matter),
    ]
