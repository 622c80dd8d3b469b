"""R-POP-6 in notification, on the in-memory repositories: residents' phones are masked unless the caller
may see them (a matter's owner officer, or a pii_reader), and every answer that shows one unmasked is
audited — exactly one record and one ResidentDataReadUnmasked event per call, never carrying the number,
written before the answer leaves; a masked answer records nothing. Checked for every RPC of
NotificationService whose answer carries ``resident_phone`` (the servicer on the fakes), and for the
use case itself (lists, mixed ownership, nothing to reveal)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import pytest
from jingwu.notification.v1 import events_pb2, notification_pb2
from jingwu_notification.domain.matters import AnswerMethod
from jingwu_notification.entrypoints.grpc_api import NotificationServicer, NotificationUseCases
from jingwu_platform.auth import Caller, Role, reset_current_caller, set_current_caller

from .fakes import AT, DISTRICT, LEADER, OFFICER, ROOM, World, world

PHONE = "13800138000"
MASKED = "138****8000"
PII = Caller("pii-1", DISTRICT, frozenset({Role.SUPERVISOR, Role.PII_READER}))
SERVICE = "jingwu.notification.v1.NotificationService"


@contextmanager
def calling_as(caller: Caller) -> Iterator[None]:
    token = set_current_caller(caller)
    try:
        yield
    finally:
        reset_current_caller(token)


@dataclass
class Desk:
    """A room whose officer (``OFFICER``, officer-1) owns one open matter; one booked appointment."""

    w: World
    servicer: NotificationServicer
    matter_id: str
    appointment_id: str

    def audits(self) -> list[events_pb2.ResidentDataReadUnmasked]:
        return self.w.outbox.of_type(events_pb2.ResidentDataReadUnmasked)


async def desk() -> Desk:
    w = world()
    await w.with_room()
    matter = await w.matter_app.entrust(
        room_id=ROOM.room_id, resident_name="王大妈", resident_phone=PHONE, description="楼道堆物",
        owner_officer_id="", due_date=None, caller=LEADER, request_id="m-1",
    )  # fmt: skip
    appointment = await w.matter_app.book(
        room_id=ROOM.room_id, resident_name="王大妈", resident_phone=PHONE, topic="办理居住证",
        start_time=AT + timedelta(days=1), caller=LEADER, request_id="a-1",
    )  # fmt: skip
    use_cases = NotificationUseCases(
        w.notice_app, w.meeting_app, w.matter_app, w.reminder_app, w.directory, w.checks
    )
    return Desk(w, NotificationServicer(use_cases), matter.matter_id, appointment.appointment_id)


Call = Callable[[Desk], Awaitable[Any]]


async def _entrust(d: Desk) -> Any:
    request = notification_pb2.EntrustMatterRequest(
        room_id=ROOM.room_id,
        resident_name="王大妈",
        resident_phone=PHONE,
        description="楼道堆物",
        request_id="m-1",
    )
    return (await d.servicer.EntrustMatter(request, None)).entrusted_matter  # type: ignore[arg-type]


async def _answer(d: Desk) -> Any:
    request = notification_pb2.AnswerMatterRequest(
        matter_id=d.matter_id, answer="已联系物业", method=notification_pb2.ANSWER_METHOD_PHONE
    )
    return (await d.servicer.AnswerMatter(request, None)).entrusted_matter  # type: ignore[arg-type]


async def _list_open(d: Desk) -> Any:
    request = notification_pb2.ListOpenMattersRequest(room_id=ROOM.room_id)
    (matter,) = (await d.servicer.ListOpenMatters(request, None)).matters  # type: ignore[arg-type]
    return matter


async def _get(d: Desk) -> Any:
    request = notification_pb2.GetMatterRequest(matter_id=d.matter_id)
    return (await d.servicer.GetMatter(request, None)).entrusted_matter  # type: ignore[arg-type]


async def _rate(d: Desk) -> Any:
    await d.w.matter_app.answer(
        matter_id=d.matter_id, answer="已处理", method=AnswerMethod.VISIT, caller=LEADER
    )
    request = notification_pb2.RecordSatisfactionRequest(matter_id=d.matter_id, rating=5)
    return (await d.servicer.RecordSatisfaction(request, None)).entrusted_matter  # type: ignore[arg-type]


async def _book(d: Desk) -> Any:
    request = notification_pb2.BookAppointmentRequest(
        room_id=ROOM.room_id,
        resident_name="王大妈",
        resident_phone=PHONE,
        topic="办理居住证",
        request_id="a-1",
    )
    request.start_time.FromDatetime(AT + timedelta(days=1))
    return (await d.servicer.BookAppointment(request, None)).appointment  # type: ignore[arg-type]


async def _list_appointments(d: Desk) -> Any:
    request = notification_pb2.ListAppointmentsRequest(room_id=ROOM.room_id)
    (appointment,) = (await d.servicer.ListAppointments(request, None)).appointments  # type: ignore[arg-type]
    return appointment


MATTER_RPCS: dict[str, Call] = {
    "EntrustMatter": _entrust,
    "AnswerMatter": _answer,
    "ListOpenMatters": _list_open,
    "GetMatter": _get,
    "RecordSatisfaction": _rate,
}
APPOINTMENT_RPCS: dict[str, Call] = {"BookAppointment": _book, "ListAppointments": _list_appointments}


def test_every_rpc_answering_a_resident_phone_is_checked_here() -> None:
    """A new RPC whose answer carries resident_phone must be added to the tables above."""
    carrying = {
        method.name
        for method in notification_pb2.DESCRIPTOR.services_by_name["NotificationService"].methods
        if _carries_phone(method.output_type)
    }
    assert carrying == set(MATTER_RPCS) | set(APPOINTMENT_RPCS)


def _carries_phone(message: Any, seen: frozenset[str] = frozenset()) -> bool:
    return any(
        field.name == "resident_phone"
        or (
            field.message_type is not None
            and field.message_type.full_name not in seen
            and _carries_phone(field.message_type, seen | {message.full_name})
        )
        for field in message.fields
    )


def _rpcs(table: dict[str, Call], callers: dict[str, Caller]) -> list[Any]:
    return [pytest.param(name, callers[who], id=f"{name}-{who}") for name in table for who in callers]


@pytest.mark.parametrize(
    ("name", "caller"),
    _rpcs(MATTER_RPCS, {"owner": OFFICER, "pii_reader": PII}) + _rpcs(APPOINTMENT_RPCS, {"pii_reader": PII}),
)
async def test_an_unmasked_answer_is_audited_once_per_call(name: str, caller: Caller) -> None:
    """R-POP-6: who (credential subject and roles), where (district), what (records and fields), how
    (the RPC) and when — and never the number itself."""
    d = await desk()
    before = len(d.w.outbox.events)
    with calling_as(caller):
        shown = await {**MATTER_RPCS, **APPOINTMENT_RPCS}[name](d)
    assert shown.resident_phone == PHONE
    (audit,) = d.audits()
    record_ids = (list(audit.matter_ids), list(audit.appointment_ids))
    expected_ids = ([d.matter_id], []) if name in MATTER_RPCS else ([], [d.appointment_id])
    assert record_ids == expected_ids
    assert (audit.district_code, audit.reader_id, list(audit.reader_roles)) == (
        DISTRICT,
        caller.subject,
        sorted(r.value for r in caller.roles),
    )
    assert (audit.method, list(audit.fields)) == (f"{SERVICE}/{name}", ["resident_phone"])
    assert audit.occur_time.ToDatetime(tzinfo=UTC) == AT
    (record,) = d.w.unmasked_reads.all()
    assert (record.read_id, record.read_time) == (audit.read_id, AT)
    assert record.record_ids == tuple(expected_ids[0] + expected_ids[1])
    (event,) = [e for e in d.w.outbox.events[before:] if e.event_type.endswith("ResidentDataReadUnmasked")]
    assert event.key == caller.subject and PHONE.encode() not in event.payload


@pytest.mark.parametrize(
    ("name", "caller"),
    _rpcs(MATTER_RPCS, {"supervisor": LEADER})
    + _rpcs(APPOINTMENT_RPCS, {"matter_owner": OFFICER, "supervisor": LEADER}),
)
async def test_a_masked_answer_records_nothing(name: str, caller: Caller) -> None:
    d = await desk()
    with calling_as(caller):
        shown = await {**MATTER_RPCS, **APPOINTMENT_RPCS}[name](d)
    assert shown.resident_phone == MASKED
    assert d.audits() == [] and d.w.unmasked_reads.all() == []


async def test_a_list_is_one_audit_naming_only_what_it_showed_unmasked() -> None:
    """R-POP-6: one call, one record; the owner's matters unmasked and named, the others masked and not."""
    d = await desk()
    w = d.w
    await w.with_room(officer="officer-2")
    theirs = await w.matter_app.entrust(
        room_id=ROOM.room_id, resident_name="李大爷", resident_phone="13900139000", description="噪音",
        owner_officer_id="officer-2", due_date=None, caller=LEADER, request_id="m-2",
    )  # fmt: skip
    matters, _ = await w.matter_app.list_open(room_id=ROOM.room_id, page_size=10, page_token="")
    method = f"{SERVICE}/ListOpenMatters"
    shown = await w.matter_app.present_matters(matters, caller=OFFICER, method=method)
    phones = {m.matter_id: m.resident_phone for m in shown}
    assert phones == {d.matter_id: PHONE, theirs.matter_id: "139****9000"}
    (audit,) = d.audits()
    assert list(audit.matter_ids) == [d.matter_id]

    everyone = await w.matter_app.present_matters(matters, caller=PII, method=method)
    assert {m.resident_phone for m in everyone} == {PHONE, "13900139000"}
    assert len(d.audits()) == 2 and sorted(d.audits()[1].matter_ids) == sorted(phones)


async def test_an_answer_with_nothing_to_reveal_records_nothing() -> None:
    d = await desk()
    assert await d.w.matter_app.present_matters([], caller=PII, method="m") == []
    assert await d.w.matter_app.present_appointments([], caller=PII, method="m") == []
    assert d.audits() == []
