"""Officers on the in-memory repositories and a fake clock (milliseconds; the same paths through gRPC,
Kafka and FerretDB are in test_service.py): registration (R-PER-1), masking and the audit of unmasked
reads (R-POP-6), updates with the version check, deactivation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from jingwu.personnel.v1 import events_pb2
from jingwu_personnel.adapters.memory import InMemoryOfficerRepository
from jingwu_personnel.application.officers import OfficerApplication
from jingwu_personnel.domain.findings import FindingKind
from jingwu_personnel.domain.officers import Branch, Officer, OfficerDraft, OfficerStatus
from jingwu_personnel.domain.territory import RoomKind
from jingwu_platform.errors import NotFound, RuleViolation, ValidationFailed
from jingwu_platform.usecase import Outgoing

from .fakes import ADMIN, LEADER, PII_READER, fake_personnel, officer_caller
from .samples import AT, STATION

METHOD = "jingwu.personnel.v1.PersonnelService/GetOfficer"


async def test_registering_twice_with_one_request_id_registers_once() -> None:
    # R-PER-1; the id derives from the request id, so a retried RegisterOfficer is a no-op.
    personnel = fake_personnel()
    first = await personnel.police("王建国", request_id="reg-1")
    personnel.clock.advance(minutes=3)
    again = await personnel.police("王建国", request_id="reg-1")
    assert again == first and first.audit.created_at == AT
    (registered,) = personnel.outbox.of_type(events_pb2.OfficerRegistered)
    assert registered.officer.officer_id == first.officer_id and registered.officer.name == "王建国"
    assert registered.officer.id_number == "" and registered.officer.phone == ""  # R-POP-6: never in events
    other = await personnel.police("王建国", request_id="reg-2")
    assert other.officer_id != first.officer_id


async def test_an_invalid_registration_names_every_bad_field() -> None:
    personnel = fake_personnel()
    with pytest.raises(ValidationFailed) as refused:
        await personnel.apps.officers.register(
            OfficerDraft(name=" ", roles=(), id_number="12"), caller=ADMIN, request_id=""
        )
    assert {v.field for v in refused.value.violations} == {"name", "roles", "id_number"}
    assert personnel.outbox.events == []


async def test_numbers_are_masked_unless_the_caller_may_see_them_and_each_unmasked_read_is_audited() -> None:
    # R-POP-6: masked for officers; a pii_reader sees them, and the read is recorded before it leaves.
    personnel = fake_personnel()
    cop = await personnel.police("王建国")
    shown, _ = await personnel.apps.officers.get(cop.officer_id, caller=officer_caller("o-x"), method=METHOD)
    assert (shown.id_number, shown.phone) == ("341***********0417", "139****1234")
    assert personnel.outbox.of_type(events_pb2.OfficerDataReadUnmasked) == []
    unmasked, _ = await personnel.apps.officers.get(cop.officer_id, caller=PII_READER, method=METHOD)
    assert unmasked.id_number == "341302198803150417"
    (audit,) = personnel.outbox.of_type(events_pb2.OfficerDataReadUnmasked)
    assert (audit.reader_id, list(audit.officer_ids), list(audit.fields)) == (
        "auditor-7",
        [cop.officer_id],
        ["id_number", "phone"],
    )
    assert list(audit.reader_roles) == ["officer", "pii_reader"] and audit.method == METHOD
    (record,) = personnel.repositories.unmasked_reads.all()  # type: ignore[attr-defined]
    assert record.read_id == audit.read_id and record.read_time == AT
    assert b"341302198803150417" not in personnel.outbox.events[-1].payload
    with pytest.raises(NotFound):
        await personnel.apps.officers.get("nobody", caller=LEADER, method=METHOD)


async def test_a_list_with_nothing_to_reveal_is_not_audited() -> None:
    personnel = fake_personnel()
    await personnel.police("无号码", id_number="", phone="")
    listed, token = await personnel.apps.officers.list_officers(
        station_id=STATION,
        role=None,
        branch=None,
        room_id="",
        village_id="",
        status=None,
        page_size=0,
        page_token="",
        caller=PII_READER,
        method="m/ListOfficers",
    )
    assert [o.name for o in listed] == ["无号码"] and token == ""
    assert personnel.outbox.of_type(events_pb2.OfficerDataReadUnmasked) == []


async def test_an_update_changes_the_masked_fields_and_publishes_what_changed() -> None:
    personnel = fake_personnel()
    cop = await personnel.police("卫警官")
    personnel.clock.advance(hours=1)
    draft = OfficerDraft(name="不应改变", roles=(), branch=Branch.TRAFFIC)
    updated = await personnel.apps.officers.update(cop.officer_id, draft, ["branch"], caller=LEADER)
    assert updated.branch is Branch.TRAFFIC and updated.name == "卫警官" and updated.version == 1
    assert (updated.audit.created_by, updated.audit.updated_by) == ("admin-1", "lead-1")
    assert updated.audit.updated_at == AT + timedelta(hours=1)
    (event,) = personnel.outbox.of_type(events_pb2.OfficerUpdated)
    assert list(event.changed_fields) == ["branch"]
    # The same update again changes nothing and publishes nothing.
    assert await personnel.apps.officers.update(cop.officer_id, draft, ["branch"], caller=LEADER) == updated
    assert len(personnel.outbox.of_type(events_pb2.OfficerUpdated)) == 1
    with pytest.raises(ValidationFailed) as refused:
        await personnel.apps.officers.update(cop.officer_id, draft, ["status"], caller=LEADER)
    assert [v.field for v in refused.value.violations] == ["update_mask.paths[0]"]


class RacingOfficers(InMemoryOfficerRepository):
    """Another command changes the officer between this command's read and its write, once."""

    def __init__(self, base: InMemoryOfficerRepository, other: Callable[[Officer], Officer]) -> None:
        super().__init__(base.outbox)
        self.items = base.items
        self._other: Callable[[Officer], Officer] | None = other

    async def save(self, aggregate: Officer, events: Sequence[Outgoing] = ()) -> Officer | None:
        if self._other is not None:
            other, self._other = self._other, None
            await super().save(other(self.items[aggregate.officer_id]))
        return await super().save(aggregate, events)


async def test_an_update_that_loses_a_race_reads_again_and_keeps_both_changes() -> None:
    # The version check: the first save loses to a concurrent badge change, the update is decided again.
    personnel = fake_personnel()
    cop = await personnel.police("卫警官")
    stored = personnel.repositories.officers
    assert isinstance(stored, InMemoryOfficerRepository)
    racing = RacingOfficers(stored, lambda current: replace(current, badge_number="069999"))
    r = personnel.repositories
    officers = OfficerApplication(
        personnel.kit,
        officers=racing,
        unmasked_reads=r.unmasked_reads,
        postings=r.postings,
        villages=r.villages,
        staffing=personnel.apps.staffing,
    )
    draft = OfficerDraft(name="", roles=(), branch=Branch.TRAFFIC)
    updated = await officers.update(cop.officer_id, draft, ["branch"], caller=LEADER)
    assert (updated.branch, updated.badge_number, updated.version) == (Branch.TRAFFIC, "069999", 2)
    (event,) = personnel.outbox.of_type(events_pb2.OfficerUpdated)  # one event: the losing write wrote none
    assert event.officer.badge_number == "069999"


async def test_deactivating_ends_every_posting_and_leaves_his_village_blank() -> None:
    # Off the force: postings end (R-PER-12 history kept); his village has no liaison (R-PER-5 finding).
    personnel = fake_personnel()
    await personnel.room("room-1", RoomKind.URBAN_HOME_STYLE)
    await personnel.village("v-1")
    cop = await personnel.police("退休民警")
    await personnel.apps.villages.assign_liaison(
        "v-1", cop.officer_id, None, caller=LEADER, start_invalid=False, reason=""
    )
    personnel.clock.advance(days=3)
    inactive, ended = await personnel.apps.officers.deactivate(
        cop.officer_id, effective=None, effective_invalid=False, reason="退休", caller=ADMIN
    )
    assert inactive.status is OfficerStatus.INACTIVE
    assert [p.village_id for p in ended] == ["v-1"] and ended[0].end_reason == "deactivated: 退休"
    assert (await personnel.apps.villages.get("v-1")).liaison is None
    open_blank = await personnel.apps.staffing.list_findings(
        kind=FindingKind.BLANK_VILLAGE,
        status=None,
        station_id="",
        room_id="",
        village_id="v-1",
        officer_id="",
        page_size=0,
        page_token="",
    )
    assert [f.open for f in open_blank[0]] == [True, False]  # newest first: raised again after resolved
    (event,) = personnel.outbox.of_type(events_pb2.OfficerDeactivated)
    assert list(event.ended_posting_ids) == [ended[0].posting_id]
    assert event.occur_time.ToDatetime(tzinfo=UTC) == personnel.clock.now()
    # Again: nothing more ends, nothing more is published.
    again, none = await personnel.apps.officers.deactivate(
        cop.officer_id, effective=None, effective_invalid=False, reason="退休", caller=ADMIN
    )
    assert again == inactive and none == []
    assert len(personnel.outbox.of_type(events_pb2.OfficerDeactivated)) == 1
    with pytest.raises(RuleViolation) as refused:
        await personnel.apps.villages.assign_liaison(
            "v-1", cop.officer_id, None, caller=LEADER, start_invalid=False, reason=""
        )
    assert refused.value.rule_id == "R-PER-1"
