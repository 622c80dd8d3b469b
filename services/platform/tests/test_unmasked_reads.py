"""R-POP-6, "every unmasked read audited", as every service records it (jingwu_platform.unmasked_reads):
what one answer reveals, the record and its event written together before the answer leaves, nothing
for an answer that reveals nothing; the stored trail in memory and on the real store, each service's
documents in the shape they always had."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu_platform.auth import Caller, Role
from jingwu_platform.codec import DocumentCodec
from jingwu_platform.contract import contract_event
from jingwu_platform.outbox import OUTBOX, OutboxRegistry
from jingwu_platform.repository import FakeOutbox
from jingwu_platform.testing import scratch_database
from jingwu_platform.unmasked_read_store import InMemoryUnmaskedReads, MongoUnmaskedReads
from jingwu_platform.unmasked_reads import UnmaskedRead, UnmaskedReadAudit, unmasked_read
from jingwu_platform.usecase import FakeClock, UseCaseKit

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
READER = Caller("pii-1", "01", frozenset({Role.SUPERVISOR, Role.PII_READER}))


def test_a_read_names_the_reader_the_records_and_the_fields_shown_never_the_values() -> None:
    read = unmasked_read(
        [("o-1", ("phone", "id_number")), ("o-2", ()), ("o-3", ["phone"])],
        read_id="r-1",
        reader=READER,
        method="svc/Get",
        at=AT,
    )
    assert read == UnmaskedRead(
        "r-1", "pii-1", ("pii_reader", "supervisor"), "svc/Get", ("o-1", "o-3"), ("id_number", "phone"), AT
    )
    assert unmasked_read([("o-2", ())], read_id="r-2", reader=READER, method="m", at=AT) is None
    assert unmasked_read([], read_id="r-3", reader=READER, method="m", at=AT) is None


def audit_of(event: Any) -> tuple[UnmaskedReadAudit, InMemoryUnmaskedReads]:
    kit = UseCaseKit.create("01", "notification", uuid.UUID(int=7), clock=FakeClock(AT))
    reads = InMemoryUnmaskedReads(FakeOutbox())
    return UnmaskedReadAudit(kit, reads, event), reads


async def test_one_record_and_one_event_per_answer_keyed_by_the_reader() -> None:
    audit, reads = audit_of(notification_events.ResidentDataReadUnmasked)
    read = await audit.record(
        [("m-1", ("resident_phone",)), ("m-2", ("resident_phone",))],
        caller=READER,
        method="svc/ListOpenMatters",
        records_field="matter_ids",
    )
    assert read is not None and reads.all() == [read]
    (event,) = reads.outbox.events
    assert (event.key, reads.outbox.topics) == ("pii-1", ["jingwu.01.notification.v1"])
    (payload,) = reads.outbox.of_type(notification_events.ResidentDataReadUnmasked)
    assert (payload.district_code, payload.read_id, payload.reader_id) == ("01", read.read_id, "pii-1")
    assert (list(payload.reader_roles), payload.method) == (
        ["pii_reader", "supervisor"],
        "svc/ListOpenMatters",
    )
    assert (list(payload.matter_ids), list(payload.appointment_ids)) == (["m-1", "m-2"], [])
    assert list(payload.fields) == ["resident_phone"]
    assert payload.occur_time.ToDatetime(tzinfo=UTC) == AT == read.read_time


async def test_an_answer_that_reveals_nothing_records_nothing() -> None:
    audit, reads = audit_of(personnel_events.OfficerDataReadUnmasked)
    shown = [("o-1", ())]
    assert await audit.record(shown, caller=READER, method="m", records_field="officer_ids") is None
    assert reads.all() == [] and reads.outbox.events == []


async def test_the_records_field_must_be_the_events() -> None:
    audit, reads = audit_of(personnel_events.OfficerDataReadUnmasked)
    with pytest.raises(ValueError, match="matter_ids"):
        await audit.record([("o-1", ("phone",))], caller=READER, method="m", records_field="matter_ids")
    assert reads.all() == []  # nothing written without its event


@pytest.fixture(params=["memory", "mongo"])
async def trail(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield InMemoryUnmaskedReads()
        return
    async with scratch_database(request.getfixturevalue("mongo_url")) as database:
        adapter = MongoUnmaskedReads(database, "svc.unmasked_reads", OutboxRegistry())
        await adapter.ensure_indexes()
        yield adapter


async def test_a_read_is_recorded_once(trail: Any) -> None:
    read = UnmaskedRead("r-1", "pii-1", ("pii_reader",), "m", ("a-1",), ("resident_phone",), AT)
    assert await trail.insert(read, [contract_event("pii-1")])
    assert not await trail.insert(read)
    assert await trail.get("r-1") == read


async def test_the_stored_name_of_the_records_is_the_services(mongo_url: str) -> None:
    async with scratch_database(mongo_url) as database:
        adapter = MongoUnmaskedReads(
            database, "svc.unmasked_reads", OutboxRegistry(), records_field="officer_ids"
        )
        read = UnmaskedRead("r-1", "pii-1", ("pii_reader",), "m", ("o-1",), ("phone",), AT)
        assert await adapter.insert(read, [contract_event("pii-1")])
        stored = await database["svc.unmasked_reads"].find_one({"_id": "r-1"})
        assert stored is not None and stored["officer_ids"] == ["o-1"] and "record_ids" not in stored
        assert len(stored[OUTBOX]) == 1  # the event in the same document write
        assert await adapter.get("r-1") == read


@dataclass(frozen=True)
class Renamed:
    thing_id: str
    new_name: str


def test_the_codec_keeps_a_stored_name() -> None:
    codec = DocumentCodec(Renamed, id_field="thing_id", stored_names={"new_name": "old_name"})
    assert codec.to_document(Renamed("t-1", "x")) == {"_id": "t-1", "old_name": "x"}
    assert codec.from_document({"_id": "t-1", "old_name": "x"}) == Renamed("t-1", "x")
    assert codec.field_path("new_name") == "old_name"
    for wrong in ({"nothing": "x"}, {"thing_id": "x"}):
        with pytest.raises(ValueError, match="stored_names"):
            DocumentCodec(Renamed, id_field="thing_id", stored_names=wrong)
