"""R-POP-6 on the real service, Kafka and store: a resident's phone is shown unmasked only to those who
may see it — the matter's owner officer, a pii_reader — and each such answer is audited, a record in
``notification.unmasked_reads`` and one ResidentDataReadUnmasked event on jingwu.<district>.notification.v1
that names the reader, the RPC, the records and the field, never the number. Masked answers (another
officer, a supervisor) record and publish nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu.notification.v1 import notification_pb2
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.auth import Role
from jingwu_platform.mongo import district_database_name
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import Record, read_topic, wait_until
from pymongo import AsyncMongoClient

from .support import publish_as, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
ROOM = "room-audit"
PHONE = "13800138000"
MASKED = "138****8000"
SERVICE = "jingwu.notification.v1.NotificationService"
AUDIT_TYPE = notification_events.ResidentDataReadUnmasked.DESCRIPTOR.full_name


def audits(records: list[Record]) -> list[tuple[Record, notification_events.ResidentDataReadUnmasked]]:
    return [
        (r, notification_events.ResidentDataReadUnmasked.FromString(r.value or b""))
        for r in records
        if r.headers.get("ce_type") == AUDIT_TYPE
    ]


async def test_unmasked_phones_are_audited_once_per_answer_and_masked_ones_not_at_all(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    mongo_url: str,
) -> None:
    async with running(settings_for, district, auth_secret) as service:
        room = rooms_pb2.Room(
            room_id=ROOM, name="汴河社区警务室", station_id="st-1", zone_codes=[f"{district}020301"]
        )
        await publish_as(
            kafka_bootstrap,
            "rooms",
            district,
            room_events.RoomOpened(district_code=district, room=room),
            ROOM,
        )
        await wait_until(lambda: service.process.reactions.processed >= 1, timeout_s=60, what="room learnt")
        leader = service.notification(Role.SUPERVISOR, subject="leader-1")
        entrusted = await leader.EntrustMatter(
            notification_pb2.EntrustMatterRequest(
                room_id=ROOM,
                resident_name="王大妈",
                resident_phone=PHONE,
                description="楼道堆物",
                owner_officer_id="officer-5",
                request_id="m-1",
            )
        )
        matter_id = entrusted.entrusted_matter.matter_id
        booking = notification_pb2.BookAppointmentRequest(
            room_id=ROOM, resident_name="王大妈", resident_phone=PHONE, topic="办理居住证", request_id="a-1"
        )
        booking.start_time.FromDatetime(datetime.now(UTC) + timedelta(days=2))
        booked = await leader.BookAppointment(booking)
        appointment_id = booked.appointment.appointment_id

        # Masked answers first: they must leave nothing behind in the trail or on the topic.
        other_officer = service.notification(Role.OFFICER, subject="officer-9")
        masked = [
            entrusted.entrusted_matter.resident_phone,
            booked.appointment.resident_phone,
            (
                await other_officer.GetMatter(notification_pb2.GetMatterRequest(matter_id=matter_id))
            ).entrusted_matter.resident_phone,
            (await leader.ListAppointments(notification_pb2.ListAppointmentsRequest(room_id=ROOM)))
            .appointments[0]
            .resident_phone,
        ]
        assert masked == [MASKED] * 4

        # The owner calls the resident back; a pii_reader reads the appointments.
        owner = service.notification(Role.OFFICER, subject="officer-5")
        got = await owner.GetMatter(notification_pb2.GetMatterRequest(matter_id=matter_id))
        reader = service.notification(Role.SUPERVISOR, Role.PII_READER, subject="pii-1")
        listed = await reader.ListAppointments(notification_pb2.ListAppointmentsRequest(room_id=ROOM))
        assert got.entrusted_matter.resident_phone == PHONE
        assert listed.appointments[0].resident_phone == PHONE

        records = await read_topic(
            kafka_bootstrap, f"jingwu.{district}.notification.v1", until=lambda rs: len(audits(rs)) >= 2
        )
        # One event per unmasked answer, keyed by its reader (so on the reader's partition: no order
        # between the two).
        found = {record.key or b"": payload for record, payload in audits(records)}
        assert len(audits(records)) == 2 and sorted(found) == [b"officer-5", b"pii-1"]
        by_owner, by_reader = found[b"officer-5"], found[b"pii-1"]
        assert (by_owner.district_code, by_owner.reader_id, list(by_owner.reader_roles)) == (
            district,
            "officer-5",
            ["officer"],
        )
        assert (by_owner.method, list(by_owner.matter_ids), list(by_owner.appointment_ids)) == (
            f"{SERVICE}/GetMatter",
            [matter_id],
            [],
        )
        assert (by_reader.reader_id, list(by_reader.reader_roles), by_reader.method) == (
            "pii-1",
            ["pii_reader", "supervisor"],
            f"{SERVICE}/ListAppointments",
        )
        assert (list(by_reader.matter_ids), list(by_reader.appointment_ids)) == ([], [appointment_id])
        assert list(by_owner.fields) == list(by_reader.fields) == ["resident_phone"]
        assert all(PHONE.encode() not in (r.value or b"") for r in records)  # never the number itself

        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
        try:
            trail = client[district_database_name(district)]["notification.unmasked_reads"]
            stored = {str(d["reader_id"]): d async for d in trail.find({})}
            assert sorted(stored) == ["officer-5", "pii-1"]  # the masked answers recorded nothing
            assert stored["officer-5"]["record_ids"] == [matter_id]
            assert stored["pii-1"]["_id"] == by_reader.read_id
        finally:
            await client.close()
