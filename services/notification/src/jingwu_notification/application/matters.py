"""Use cases of the callback pledge (R-NOT-3): entrust, answer back, rate, escalate the overdue ones —
and appointments with a room (R-NOT-4). Residents reach these through the online police room
(entrypoints/resident_api.py); officers over gRPC, where every answer goes through ``present_matters``
/ ``present_appointments``: residents' phones masked unless the caller may see them, and every
unmasked answer audited (R-POP-6)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import date, datetime

from google.protobuf.message import Message
from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu_platform.auth import Caller, Role
from jingwu_platform.errors import NotFound
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.proto_values import local_date_to_proto, timestamp
from jingwu_platform.schedule import Period
from jingwu_platform.unmasked_reads import UnmaskedReadAudit, UnmaskedReadRepository
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_notification.adapters.proto_mapping import ANSWER_METHOD
from jingwu_notification.application.ports import (
    AppointmentRepository,
    MatterQuery,
    MatterRepository,
    PostingDirectory,
    RoomDirectory,
)
from jingwu_notification.application.staff import RoomStaff
from jingwu_notification.domain.directory import ROOM_OFFICER_ROLES
from jingwu_notification.domain.matters import (
    AnswerMethod,
    Appointment,
    EntrustedMatter,
    answer_matter,
    book_appointment,
    entrust_matter,
    escalate,
    rate_matter,
    same_phone,
    satisfaction_score,
    shown_fields,
)

log = logging.getLogger(__name__)
# What a decision answers: the changed matter and its events (payload, key); unchanged and none: a repeat.
Decision = tuple[EntrustedMatter, list[tuple[Message, str]]]
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference(prefix: str) -> str:
    """Two letters and ten random base-32 digits (50 bits): not guessable, easy to read out by phone."""
    return prefix + "".join(secrets.choice(_CROCKFORD) for _ in range(10))


class MatterApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        matters: MatterRepository,
        *,
        appointments: AppointmentRepository,
        unmasked_reads: UnmaskedReadRepository,
        rooms: RoomDirectory,
        postings: PostingDirectory,
        staff: RoomStaff,
        reference: Callable[[str], str] = new_reference,
    ) -> None:
        self._kit = kit
        self._matters = matters
        self._appointments = appointments
        self._audit = UnmaskedReadAudit(kit, unmasked_reads, notification_events.ResidentDataReadUnmasked)
        self._rooms = rooms
        self._postings = postings
        self._staff = staff
        self._reference = reference

    async def _room_officer(self, room_id: str) -> str:
        """R-NOT-3: the matter's owner when none is named: the room's (first) community officer."""
        postings = await self._postings.current(room_id=room_id)
        officers = sorted(
            (p for p in postings if p.role in ROOM_OFFICER_ROLES),
            key=lambda p: ROOM_OFFICER_ROLES.index(p.role),
        )
        return officers[0].officer_id if officers else ""

    async def entrust(
        self,
        *,
        room_id: str,
        resident_name: str,
        resident_phone: str,
        description: str,
        owner_officer_id: str,
        due_date: date | None,
        caller: Caller,
        request_id: str = "",
    ) -> EntrustedMatter:
        """Record a matter with its owner and due date (R-NOT-3); a repeated request_id returns the first."""
        matter_id = self._kit.ids.for_request("matter", request_id)
        existing = await self._matters.get(matter_id)
        if existing is not None:
            return existing
        room = await self._rooms.get(room_id)
        if room is None or not room.active:
            raise NotFound("room", room_id)
        for _ in range(3):  # a reference already taken (50 random bits: practically never) draws again
            matter = entrust_matter(
                matter_id=matter_id,
                reference=self._reference("JW"),
                room_id=room_id,
                station_id=room.station_id,
                resident_name=resident_name,
                resident_phone=resident_phone,
                description=description,
                owner_officer_id=owner_officer_id or await self._room_officer(room_id),
                due_date=due_date,
                at=self._kit.now(),
                by=caller.subject,
            )
            entrusted = notification_events.MatterEntrusted(
                district_code=self._kit.district,
                matter_id=matter.matter_id,
                room_id=room_id,
                owner_officer_id=matter.owner_officer_id,
                due_date=local_date_to_proto(matter.due_date),
                occur_time=self._kit.events.occur_time(),
            )
            if await self._matters.add(matter, [self._kit.events(entrusted, matter_id)]):
                log.info("matter entrusted", extra={"matter_id": matter_id, "room_id": room_id})
                return matter
            stored = await self._matters.get(matter_id)
            if stored is not None:
                return stored  # the same request, raced
        raise RuntimeError("could not draw a free matter reference")

    async def _change(self, matter_id: str, decide: Callable[[EntrustedMatter], Decision]) -> EntrustedMatter:
        async def attempt() -> EntrustedMatter | None:
            matter = await self.get(matter_id)
            changed, messages = decide(matter)
            if changed == matter:
                return matter
            return await self._matters.save(changed, [self._kit.events(m, k) for m, k in messages])

        return await retry_on_conflict(attempt, f"matter {matter_id}")

    async def answer(
        self, *, matter_id: str, answer: str, method: AnswerMethod | None, caller: Caller
    ) -> EntrustedMatter:
        matter = await self.get(matter_id)
        if caller.subject != matter.owner_officer_id:
            await self._staff.require(caller, matter.room_id, "AnswerMatter")

        def decide(current: EntrustedMatter) -> Decision:
            answered = answer_matter(
                current, answer=answer, method=method, at=self._kit.now(), by=caller.subject
            )
            message = notification_events.MatterAnswered(
                district_code=self._kit.district,
                matter_id=matter_id,
                room_id=current.room_id,
                occur_time=self._kit.events.occur_time(),
                owner_officer_id=current.owner_officer_id,
                answered_by=caller.subject,
                method=ANSWER_METHOD.to_proto(method),
                late=self._kit.today() > current.due_date,
            )
            return answered, [(message, matter_id)]

        return await self._change(matter_id, decide)

    async def rate(self, *, matter_id: str, rating: int) -> EntrustedMatter:
        """The resident's rating (R-NOT-3) → a resident rating of the owner in personnel (R-PER-11).
        A repeat with the same rating returns the first."""

        def decide(current: EntrustedMatter) -> Decision:
            if current.satisfaction and current.satisfaction == rating:
                return current, []
            rated = rate_matter(current, rating)
            message = notification_events.CallbackSatisfactionRated(
                district_code=self._kit.district,
                matter_id=matter_id,
                officer_id=current.owner_officer_id,
                room_id=current.room_id,
                rating=rating,
                score=satisfaction_score(rating),
                occur_time=self._kit.events.occur_time(),
            )
            return rated, [(message, current.owner_officer_id)]

        return await self._change(matter_id, decide)

    async def escalate_overdue(self, period: Period) -> list[EntrustedMatter]:
        """The daily schedule (R-NOT-3): every open matter past its due date goes to its station, once."""
        today = period.start
        escalated = []
        for matter in await self._matters.select(
            MatterQuery(open_only=True, due_before=today, unescalated=True, limit=0)
        ):

            def decide(current: EntrustedMatter) -> Decision:
                changed = escalate(current, today=today, at=self._kit.now())
                if changed is None:
                    return current, []
                message = notification_events.MatterEscalated(
                    district_code=self._kit.district,
                    matter_id=current.matter_id,
                    room_id=current.room_id,
                    station_id=current.station_id,
                    owner_officer_id=current.owner_officer_id,
                    due_date=local_date_to_proto(current.due_date),
                    occur_time=self._kit.events.occur_time(),
                )
                return changed, [(message, current.matter_id)]

            escalated.append(await self._change(matter.matter_id, decide))
        log.info("overdue callbacks escalated", extra={"period": period.key, "matters": len(escalated)})
        return escalated

    # --- reads -----------------------------------------------------------------------------------

    async def get(self, matter_id: str) -> EntrustedMatter:
        matter = await self._matters.get(matter_id)
        if matter is None:
            raise NotFound("matter", matter_id)
        return matter

    def may_see_phone(self, caller: Caller, matter: EntrustedMatter) -> bool:
        """R-POP-6: the owner calls the resident back; others need the PII reader role."""
        return caller.has(Role.PII_READER) or caller.subject == matter.owner_officer_id

    async def present_matters(
        self, matters: Sequence[EntrustedMatter], *, caller: Caller, method: str
    ) -> list[EntrustedMatter]:
        """R-POP-6: each resident's phone masked unless the caller may see it (``may_see_phone``); an
        answer that shows any unmasked is audited — one record and one ResidentDataReadUnmasked event
        for the whole call, never carrying the numbers, written before the answer leaves."""
        visible = [self.may_see_phone(caller, m) for m in matters]
        unmasked = [m for m, v in zip(matters, visible, strict=True) if v]
        await self._audit.record(
            [(m.matter_id, shown_fields(m.resident_phone)) for m in unmasked],
            caller=caller,
            method=method,
            records_field="matter_ids",
        )
        return [m if v else m.masked() for m, v in zip(matters, visible, strict=True)]

    async def present_appointments(
        self, appointments: Sequence[Appointment], *, caller: Caller, method: str
    ) -> list[Appointment]:
        """R-POP-6: residents' phones masked unless the caller is a PII reader, and every unmasked
        answer audited as ``present_matters`` does."""
        if not caller.has(Role.PII_READER):
            return [a.masked() for a in appointments]
        await self._audit.record(
            [(a.appointment_id, shown_fields(a.resident_phone)) for a in appointments],
            caller=caller,
            method=method,
            records_field="appointment_ids",
        )
        return list(appointments)

    async def list_open(
        self, *, room_id: str, page_size: int, page_token: str
    ) -> tuple[list[EntrustedMatter], str]:
        limit = page_limit(page_size)
        found = await self._matters.select(
            MatterQuery(room_id=room_id, open_only=True, after_id=page_token, limit=limit)
        )
        return found, next_page_token(found, limit, key=lambda m: m.matter_id)

    async def resident_matter(self, *, reference: str, phone: str) -> EntrustedMatter | None:
        """The online police room (R-NOT-4): a resident's own matter by reference and phone; None for a
        wrong pair, however it is wrong (no hint which half was)."""
        matter = await self._matters.by_reference(reference.strip().upper())
        if matter is None or not same_phone(phone, matter.resident_phone):
            return None
        return matter

    # --- appointments (R-NOT-4) ------------------------------------------------------------------

    async def book(
        self,
        *,
        room_id: str,
        resident_name: str,
        resident_phone: str,
        topic: str,
        start_time: datetime | None,
        caller: Caller,
        request_id: str = "",
    ) -> Appointment:
        appointment_id = self._kit.ids.for_request("appointment", request_id)
        existing = await self._appointments.get(appointment_id)
        if existing is not None:
            return existing
        room = await self._rooms.get(room_id)
        if room is None or not room.active:
            raise NotFound("room", room_id)
        appointment = book_appointment(
            appointment_id=appointment_id,
            reference=self._reference("YY"),
            room_id=room_id,
            resident_name=resident_name,
            resident_phone=resident_phone,
            topic=topic,
            start_time=start_time,
            at=self._kit.now(),
            by=caller.subject,
        )
        booked = notification_events.AppointmentBooked(
            district_code=self._kit.district,
            appointment_id=appointment_id,
            room_id=room_id,
            start_time=timestamp(appointment.start_time),
            occur_time=self._kit.events.occur_time(),
        )
        if await self._appointments.insert(appointment, [self._kit.events(booked, appointment_id)]):
            return appointment
        stored = await self._appointments.get(appointment_id)
        assert stored is not None
        return stored

    async def resident_appointment(self, *, reference: str, phone: str) -> Appointment | None:
        """The online police room: a resident's own appointment by reference and phone (None otherwise)."""
        appointment = await self._appointments.by_reference(reference.strip().upper())
        if appointment is None or not same_phone(phone, appointment.resident_phone):
            return None
        return appointment

    async def list_appointments(
        self, *, room_id: str, page_size: int, page_token: str
    ) -> tuple[list[Appointment], str]:
        limit = page_limit(page_size)
        found = await self._appointments.select(room_id=room_id, after_id=page_token, limit=limit)
        return found, next_page_token(found, limit, key=lambda a: a.appointment_id)
