"""A batch of the registry's events on the fakes (issue 7 item 9): the read model takes all of it, the
staffing rules are evaluated once for the union of the kinds it bears on, the batch is applied in order
(a merge moves postings made before it, a late RoomOpened does not reopen the room merged before it),
a refused re-division leaves the rest of the batch applied, and a re-delivered batch changes nothing.
The batch handler rejects bad payloads with reasons and merges partitions by event time."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_personnel.application.staffing import StaffingApplication
from jingwu_personnel.application.territory_changes import (
    RoomOpened,
    RoomPlanned,
    RoomsMerged,
    StationCreated,
    TerritoryChange,
    TerritoryChangeApplication,
    VillageRegistered,
    ZoneCreated,
    ZonePopulationChanged,
    ZonesRedivided,
)
from jingwu_personnel.domain.findings import (
    ROOM_KINDS,
    STATION_KINDS,
    VILLAGE_KINDS,
    ZONE_KINDS,
    FindingKind,
    FindingStatus,
)
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.postings import PostingDraft
from jingwu_personnel.domain.redivision import ZoneRedivision
from jingwu_personnel.domain.territory import (
    RoomKind,
    RoomStatus,
    RoomView,
    StationKind,
    StationView,
    VillageView,
    ZoneView,
)
from jingwu_personnel.entrypoints.event_handlers import StaffingInputs, in_event_order
from jingwu_platform.batch import Delivery
from jingwu_platform.events import decode_payload, new_event

from .fakes import LEADER, FakePersonnel, fake_personnel
from .samples import DISTRICT, STATION, ZONE


class CountingChecks:
    """StaffingChecks that counts the structural evaluations asked for, then runs the real one."""

    def __init__(self, staffing: StaffingApplication) -> None:
        self.staffing = staffing
        self.asked: list[frozenset[FindingKind]] = []

    async def evaluate_structural(self, cause: str, kinds: frozenset[FindingKind] = frozenset()) -> None:
        self.asked.append(kinds)
        await self.staffing.evaluate_structural(cause, kinds)

    async def recheck_compliance(self, officer_id: str, day: date, cause: str) -> None:
        await self.staffing.recheck_compliance(officer_id, day, cause)


def counted(personnel: FakePersonnel) -> tuple[TerritoryChangeApplication, CountingChecks]:
    r = personnel.repositories
    checks = CountingChecks(personnel.apps.staffing)
    territory = TerritoryChangeApplication(
        personnel.kit,
        rooms=r.rooms,
        zones=r.zones,
        stations=r.stations,
        villages=r.villages,
        postings=r.postings,
        staffing=checks,
    )
    return territory, checks


def room(n: int, kind: RoomKind = RoomKind.URBAN_HOME_STYLE, **changes: Any) -> RoomView:
    values: dict[str, Any] = {
        "status": RoomStatus.ACTIVE,
        "station_id": STATION,
        "zone_codes": (ZONE,),
        "name": f"{n}号警务室",
        **changes,
    }
    return RoomView(f"room-{n:03d}", kind, **values)


async def open_findings(personnel: FakePersonnel, kind: FindingKind) -> list[Any]:
    found, _ = await personnel.apps.staffing.list_findings(
        kind=kind,
        status=FindingStatus.OPEN,
        station_id="",
        room_id="",
        village_id="",
        officer_id="",
        page_size=0,
        page_token="",
    )
    return found


async def test_a_loaded_district_is_evaluated_once_for_the_kinds_its_batch_bears_on() -> None:
    personnel = fake_personnel()
    territory, checks = counted(personnel)
    batch: list[TerritoryChange] = [
        StationCreated(StationView(STATION, "符离派出所", StationKind.TOWN)),
        ZoneCreated(ZoneView(ZONE, STATION, ("c-1",), workload_population=12_000)),
        *(RoomOpened(room(n)) for n in range(40)),
        *(VillageRegistered(VillageView(f"v-{n:03d}", f"{n}村", station_id=STATION)) for n in range(30)),
    ]
    assert await territory.apply(batch) == []
    assert checks.asked == [ROOM_KINDS | STATION_KINDS | ZONE_KINDS | VILLAGE_KINDS]
    # What per-event evaluation found at the end of the batch: R-PER-2 per room (officers and
    # auxiliaries), R-PER-5 per village (liaison and auxiliary), R-PER-4 for zone and station.
    assert len(await open_findings(personnel, FindingKind.ROOM_UNDERSTAFFED)) == 80
    assert len(await open_findings(personnel, FindingKind.BLANK_VILLAGE)) == 30
    assert len(await open_findings(personnel, FindingKind.VILLAGE_WITHOUT_AUXILIARY)) == 30
    assert len(await open_findings(personnel, FindingKind.POPULATION_RATIO_EXCEEDED)) == 1
    assert len(await open_findings(personnel, FindingKind.STATION_HEADCOUNT_LOW)) == 1
    assert len(await personnel.repositories.rooms.every()) == 40

    # Planned rooms bear on no rule; a measurement older than the stored one changes nothing.
    events = len(personnel.outbox.events)
    await territory.apply([RoomPlanned(room(99))])
    later = personnel.clock.now()
    await territory.apply([ZonePopulationChanged(ZONE, 100, later)])
    await territory.apply([ZonePopulationChanged(ZONE, 900_000, later - timedelta(days=1))])
    assert checks.asked[1:] == [ZONE_KINDS]
    (crowded,) = await open_findings(personnel, FindingKind.POPULATION_RATIO_EXCEEDED)
    assert crowded.condition.actual_value == 100  # re-measured by the newer figure, not the older
    assert personnel.outbox.types()[events:] == ["StaffingFindingUpdated"]


async def test_a_batch_is_applied_in_order_and_a_redelivered_batch_changes_nothing() -> None:
    # R-ROOM-2: the merge moves the posting made before it; the late RoomOpened of the merged room,
    # later in the same batch, does not reopen it; a planned room opened in the batch is open.
    personnel = fake_personnel()
    await personnel.room("room-m", zone="01050101")
    await personnel.room("room-s", zone="01050102")
    cop = await personnel.police("陈警官")
    draft = PostingDraft(
        officer_id=cop.officer_id, role=OfficerRole.COMMUNITY_OFFICER, room_id="room-m", full_time=True
    )
    await personnel.apps.postings.post(draft, caller=LEADER, request_id="")
    merge = personnel.registry_event("e-merge", "RoomsMerged")
    planned = room(7, status=RoomStatus.PLANNED)
    batch: list[TerritoryChange] = [
        RoomPlanned(planned),
        RoomsMerged(merge, "room-s", ("room-m",)),
        RoomOpened(RoomView("room-m", RoomKind.URBAN_HOME_STYLE, RoomStatus.ACTIVE, STATION)),
        RoomOpened(planned),
    ]
    territory, checks = counted(personnel)
    assert await territory.apply(batch) == []
    assert len(checks.asked) == 1
    rooms = {r.room_id: r for r in await personnel.repositories.rooms.every()}
    assert rooms["room-m"].status is RoomStatus.MERGED and rooms["room-007"].status is RoomStatus.ACTIVE
    history, _ = await personnel.apps.postings.history(cop.officer_id)
    assert sorted((p.room_id, p.open) for p in history) == [("room-m", False), ("room-s", True)]

    written = len(personnel.outbox.events)
    assert await territory.apply(batch) == []  # the same batch again (a rewound poll)
    assert len(personnel.outbox.events) == written
    assert len((await personnel.apps.postings.history(cop.officer_id))[0]) == 2


async def test_a_refused_redivision_leaves_the_rest_of_the_batch_applied() -> None:
    # R-ORG-3: a re-division that would orphan a posting is refused whole; the batch goes on.
    personnel = fake_personnel()
    await personnel.zone("01060101")
    cop = await personnel.police("冯警官")
    draft = PostingDraft(officer_id=cop.officer_id, role=OfficerRole.COMMUNITY_OFFICER, zone_code="01060101")
    await personnel.apps.postings.post(draft, caller=LEADER, request_id="")
    orphaning = ZoneRedivision("rd-1", frozenset({"01060101"}), ("01060111", "01060112"), {})
    batch: list[TerritoryChange] = [
        RoomOpened(room(1)),
        ZonesRedivided(personnel.registry_event("e-1", "ZonesRedivided"), orphaning),
        RoomOpened(room(2)),
    ]
    (refused,) = await personnel.territory(*batch)
    assert refused.position == 1 and refused.violation.rule_id == "R-ORG-3"
    assert {r.room_id for r in await personnel.repositories.rooms.every()} == {"room-001", "room-002"}
    zone = await personnel.repositories.zones.get("01060101")
    assert zone is not None and not zone.retired  # nothing of the refused event


Record = namedtuple("Record", "topic partition offset")


def delivery(message: Any, key: str, partition: int, offset: int, minutes: int) -> Delivery[Any]:
    event = new_event(message, key=key, district=DISTRICT, service="rooms")
    event = replace(event, time=event.time + timedelta(minutes=minutes))
    return Delivery(event, message, Record("jingwu.01.rooms.v1", partition, offset))


def opened(room_id: str) -> room_events.RoomOpened:
    return room_events.RoomOpened(
        district_code=DISTRICT,
        room=rooms_pb2.Room(
            room_id=room_id, kind=rooms_pb2.ROOM_KIND_MOBILE, station_id=STATION, zone_codes=[ZONE]
        ),
    )


def test_a_batch_keeps_each_partitions_order_and_merges_partitions_by_event_time() -> None:
    a1 = delivery(opened("a"), "a", partition=0, offset=1, minutes=1)
    a2 = delivery(opened("a"), "a", partition=0, offset=2, minutes=0)  # an earlier clock, later offset
    b1 = delivery(opened("b"), "b", partition=1, offset=1, minutes=0)
    b2 = delivery(opened("b"), "b", partition=1, offset=2, minutes=3)
    assert in_event_order([a1, a2, b1, b2]) == [b1, a1, a2, b2]


async def test_the_handler_rejects_payloads_without_what_they_must_carry_and_goes_on() -> None:
    personnel = fake_personnel()
    await personnel.zone("01060101")
    await personnel.police("警官")
    draft = PostingDraft(
        officer_id=(await personnel.police("警官乙")).officer_id,
        role=OfficerRole.COMMUNITY_OFFICER,
        zone_code="01060101",
    )
    await personnel.apps.postings.post(draft, caller=LEADER, request_id="")
    no_id = room_events.RoomOpened(district_code=DISTRICT, room=rooms_pb2.Room(name="无编号"))
    orphaning = room_events.ZonesRedivided(
        district_code=DISTRICT,
        redivision_id="rd-9",
        from_zone_codes=["01060101"],
        to_zone_codes=["01060111", "01060112"],
    )
    batch = [
        delivery(no_id, "x", partition=0, offset=1, minutes=0),
        delivery(orphaning, "rd-9", partition=1, offset=1, minutes=1),
        delivery(opened("room-ok"), "room-ok", partition=2, offset=1, minutes=2),
    ]
    rejections = await StaffingInputs(personnel.apps.territory).handle(batch)
    assert [(r.delivery, r.reason.split(":")[0]) for r in rejections] == [
        (batch[0], "RoomOpened without room.room_id"),
        (batch[1], "R-ORG-3"),
    ]
    assert "ZonesRedivided rd-9" in rejections[1].reason
    assert [r.room_id for r in await personnel.repositories.rooms.every()] == ["room-ok"]


async def test_commands_leave_the_evaluation_to_their_events_judged_once_per_batch() -> None:
    # The running service's wiring (ChecksByEvents): PostOfficer does not wait for an evaluation;
    # the batch bearing its OfficerPosted event judges R-PER-2 once for all of them.
    personnel = fake_personnel(checks_by_events=True)
    await personnel.room("room-1")  # a registry batch: judged at its end
    (understaffed,) = [
        f
        for f in await open_findings(personnel, FindingKind.ROOM_UNDERSTAFFED)
        if f.condition.key.endswith("officers")
    ]
    personnel.outbox.clear()
    for name in ("张警官", "李警官"):
        cop = await personnel.police(name)
        draft = PostingDraft(cop.officer_id, OfficerRole.COMMUNITY_OFFICER, room_id="room-1", full_time=True)
        await personnel.apps.postings.post(draft, caller=LEADER, request_id="")
    assert (await personnel.apps.staffing.get(understaffed.finding_id)).open  # nobody judged yet
    own = [
        Delivery(
            event, decode_payload(event, type_of[event.event_type]), Record("jingwu.01.personnel.v1", 0, n)
        )
        for n, event in enumerate(personnel.outbox.events)
        if event.event_type in type_of
    ]
    assert [d.event.event_type.rsplit(".", 1)[1] for d in own] == ["OfficerRegistered", "OfficerPosted"] * 2
    territory, checks = counted(personnel)
    assert await StaffingInputs(territory).handle(own) == []
    assert len(checks.asked) == 1
    resolved = await personnel.apps.staffing.get(understaffed.finding_id)
    assert not resolved.open and "OfficerPosted×2" in resolved.resolution


type_of = {
    t.DESCRIPTOR.full_name: t for t in (personnel_events.OfficerRegistered, personnel_events.OfficerPosted)
}


class FakeTime:
    """A monotonic clock that only sleeping (recorded) and the test move."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_batches_are_paced_so_evaluations_leave_the_store_to_commands() -> None:
    personnel = fake_personnel()
    time_ = FakeTime()
    inputs = StaffingInputs(
        personnel.apps.territory, pace_s=2.0, monotonic=time_.monotonic, sleep=time_.sleep
    )
    batch = [delivery(opened("room-1"), "room-1", partition=0, offset=1, minutes=0)]
    await inputs.handle(batch)  # the first batch: at once
    time_.now += 0.5
    await inputs.handle(batch)  # half a second later: waits out the rest of the pace
    time_.now += 5.0
    await inputs.handle(batch)  # after a quiet spell: at once
    assert time_.slept == [1.5]


async def test_an_evaluation_that_took_long_is_followed_by_as_long_a_pause() -> None:
    """The store's connection is left to commands at least three quarters of the time, whatever an
    evaluation costs: after one that took 3 s, the next batch waits 9 s, not just the pace."""
    personnel = fake_personnel()
    time_ = FakeTime()

    class SlowTerritory:
        def __init__(self, seconds: float) -> None:
            self.seconds = seconds

        async def apply(self, changes: Any, **_: Any) -> list[Any]:
            time_.now += self.seconds
            return await personnel.apps.territory.apply(changes)

    territory = SlowTerritory(3.0)
    inputs = StaffingInputs(territory, pace_s=0.25, monotonic=time_.monotonic, sleep=time_.sleep)  # type: ignore[arg-type]
    batch = [delivery(opened("room-1"), "room-1", partition=0, offset=1, minutes=0)]
    await inputs.handle(batch)  # takes 3 s
    territory.seconds = 0.0
    await inputs.handle(batch)  # right after it: waits three times as long as it took
    await inputs.handle(batch)  # after a quick one: only the rest of the pace
    assert time_.slept == [9.0, 0.25]
