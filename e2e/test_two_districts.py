"""The whole platform for two districts of one city: every district service of both districts its own OS
process (six each, e2e/district_stack.py) against ONE Kafka and ONE store, the city's JT/T 808 gateway
and handheld HTTP endpoint serving both, as a city deployment runs them. Every wait is on GetStatus
caught up (jingwu_platform.testing.wait_caught_up) or on an answer, never a sleep.

Scenario 1 — the same month's work in both districts, asserted per district (R-POP-6 / ADR 0008:
nothing of one district visible in the other):

1. a city-level subscriber (the command centre, R-NOT-5) is granted a webhook subscription by each
   district's administrator (SubscriptionService.CreateSubscription: a subscription lives in the
   district whose events it reads), and reads both districts' domain topics straight from Kafka with a
   plain consumer of its own group (pattern ``^jingwu\\.(a|b)\\.[a-z]+\\.v1$``);
2. rooms: a station, a zone with its outline (R-ORG-2) and an urban one-zone-one-officer room opened
   in it (R-ROOM-1); the coverage report lists the room without an officer (R-ROOM-4);
3. population: the residents move in by a ledger import (一标三实, all or nothing, R-POP-1), counted
   in the zone (GetZonePopulation);
4. personnel: the staffing rules raise ROOM_UNDERSTAFFED for the room's officers as soon as personnel
   takes the room in (R-PER-2: 1 full-time officer + 1 auxiliary) and resolve it when two full-time
   police officers are posted; EvaluateStaffing raises it for the missing auxiliary and resolves it
   once one is posted; the room registry learns the postings (the coverage gap closes, R-ROOM-4);
5. telemetry: two patrol-vehicle terminals — the simulator's JT/T 808 ``Terminal`` — upload
   yesterday's stored fixes through the JT/T 808 gateway (0x0704 backfill); one officer's handheld
   posts fixes to the HTTP endpoint (R-TEL-1, R-TEL-2); telemetry stores them and derives the zone
   crossings;
6. patrol: yesterday's plans with hot-spot slots (R-PAT-2) become evidence on demand
   (ComputePatrolEvidence): the first crew met both slots, the second one of two (R-PAT-6);
7. visits and callbacks: each officer logs a community visit (LogVisit, R-PER-8/R-PER-10), only the
   first with the information record he collected (population CollectInformation, R-POP-4); a matter
   each officer owns is entrusted, answered back and rated by the resident (R-NOT-3);
8. personnel's monthly assessment (ComputeAssessments, GetAssessment, ListRankings, R-PER-11) scores
   ``data_maintained`` (visits with data entered) and ``patrol_duty`` (R-PAT-6) from the platform's
   data and the callbacks as resident ratings, and ranks the first officer above the second;
9. notification: the week's notice is drafted from the week's facts in the room's zone (the dispute
   collected in step 7) and published by the room's officer (R-NOT-1);
10. the subscriber got each district's events through that district's subscription only, signed with
    its secret, and Kafka carries each district's events on its own topics only; each district's reads
    answer nothing of the other.

Scenario 2 — a zone re-divided mid-stream (R-ORG-3): a zone with two communities, four houses and a
vehicle terminal reporting in real time (0x0200) while the zone is split into two; residents move in
while the re-division runs and one moves out after it. Afterwards: the old zone is retired with its
successors; population's hand-over list moved every house with its residents and counts every
resident in the new zones, none in the old one; telemetry stored every fix, the terminal left the old
zone and entered the new one it is in at one fix between the re-division and the first fix sent after
everything caught up, and its crossing into the second new zone is at the exact fix that crossed; the
other district is untouched.

Where the services differ from the brief this proof was written from:
- The weekly notice's schedule (``weekly-notice-draft``, Friday 16:00) cannot be triggered while the
  service runs: ``jingwu-notification schedule run`` takes the store's replica lock and refuses while
  the service holds it (jingwu_platform.schedule_cli, docs/adr/0003), and there is no RunSchedule RPC.
  The services run with ``JINGWU_SCHEDULES=cronjob`` (no local timer landing in the middle) and the
  weekly notice is drafted with the on-demand RPC (DraftWeeklyNotice) and published
  (PublishNoticeDraft), the review step the schedule leaves to the officer anyway.
- "Findings raised and resolved": patrol's findings (zone without vehicle, joint patrol missed) come
  only from its daily schedules and are never resolved; notification's only from its weekly schedule.
  The findings with a raise → resolve lifecycle are personnel's staffing findings (EvaluateStaffing)
  and the room registry's coverage gaps, which is what step 4 uses.
- The assessment's "visits" indicator is not a visit count: a community visit of a police posting
  counts as ``data_maintained`` (share of logs with information entered); village visits count only for
  village liaison postings (R-PER-8) and community hours only for community-officer postings (R-PER-9),
  which this proof does not create (their weekly figures depend on the calendar day). Callbacks are
  resident ratings (R-NOT-3 → R-PER-11), not an indicator.
- A district's subscriber gets only that district's events: a city-level webhook subscriber holds one
  subscription per district (each district's service serves its own part, SubscriptionFilter.districts).
- Scenario 1 is skipped on the 1st of a month: yesterday's patrol evidence then falls in the previous
  month while the callbacks rated today fall in this one, so no single month holds both.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc, subscriptions_pb2
from jingwu.patrol.v1 import patrol_pb2
from jingwu.personnel.v1 import personnel_pb2, personnel_pb2_grpc
from jingwu.population.v1 import population_pb2, population_pb2_grpc
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_devstack.procs import Supervisor
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.proto_values import local_date_to_proto
from jingwu_platform.testing import wait_until
from jingwu_telemetry.jt808 import LocationReport, RegistrationResult, Result
from jingwu_telemetry.sim.fleet import terminal_phone
from jingwu_telemetry.sim.reports import report_at
from jingwu_telemetry.sim.terminal import Terminal, TerminalIdentity

from .district_stack import DistrictStack, Gateways, start_district, start_gateways
from .test_patrol_evidence_assessment import (
    HOT_SPOT_RADIUS_M,
    Crew,
    backfill,
    crewed_vehicle,
    explained_total,
    period_of,
    point,
    square,
)
from .two_districts_support import (
    CityTopicReader,
    CityWebhookReceiver,
    Clients,
    LedgerHouse,
    all_caught_up,
    id_number,
    import_ledger,
    ledger,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

# What the city subscriber asks each district for (one event type per service and step).
SUBSCRIBED = (
    "jingwu.rooms.v1.RoomOpened",
    "jingwu.population.v1.LedgerImported",
    "jingwu.personnel.v1.StaffingFindingRaised",
    "jingwu.personnel.v1.StaffingFindingResolved",
    "jingwu.telemetry.v1.ZoneEntered",
    "jingwu.patrol.v1.PatrolEvidenceComputed",
    "jingwu.notification.v1.CallbackSatisfactionRated",
    "jingwu.notification.v1.NoticePublished",
)
SATISFIED, UNSATISFIED = 5, 2  # the residents' callback ratings of the first and the second officer


@dataclass(frozen=True)
class CityStack:
    stacks: tuple[DistrictStack, DistrictStack]
    gateways: Gateways


@pytest.fixture(scope="module")
def city_stack(
    district_codes: Callable[[], str],
    kafka_bootstrap: str,
    mongo_url: str,
    auth_secret: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CityStack]:
    """Twelve district processes and the two city gateways, started once for the module."""
    codes = (district_codes(), district_codes())
    log_dir = tmp_path_factory.mktemp("two-districts")
    with Supervisor() as supervisor:
        with pytest.MonkeyPatch.context() as env:
            # The processes inherit the environment: no local schedule timer (a 02:00 evidence run, a
            # month-end evaluation, Friday's weekly draft) lands in the middle of the proof.
            env.setenv("JINGWU_SCHEDULES", "cronjob")
            first, second = (
                start_district(
                    supervisor,
                    code,
                    kafka_bootstrap=kafka_bootstrap,
                    mongo_url=mongo_url,
                    auth_secret=auth_secret,
                    log_dir=log_dir,
                    tag="-city",
                )
                for code in codes
            )
            gateways = start_gateways(
                supervisor,
                {s.district: s.targets["telemetry"] for s in (first, second)},
                kafka_bootstrap=kafka_bootstrap,
                auth_secret=auth_secret,
                log_dir=log_dir,
                tag="-two-districts",
            )
        yield CityStack((first, second), gateways)


@pytest.fixture
async def city(city_stack: CityStack, auth_secret: str) -> AsyncIterator[tuple[Clients, Clients]]:
    """Both districts' clients, as each district's administrator (channels live on the test's loop)."""
    first, second = (Clients(stack, auth_secret) for stack in city_stack.stacks)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


def stamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at.astimezone(UTC))
    return ts


def rectangle(west: float, south: float, east: float, north: float) -> common_pb2.Polygon:
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return common_pb2.Polygon(rings=[common_pb2.LinearRing(points=[point(x, y) for x, y in corners])])


async def both(districts: Sequence[DistrictProof], step: Callable[[DistrictProof], Awaitable[None]]) -> None:
    """One step in both districts at once (their processes are independent)."""
    await asyncio.gather(*(step(d) for d in districts))


async def connected_terminal(identity: TerminalIdentity, port: int) -> Terminal:
    """A terminal registered (once the gateway's directory knows its phone) and authenticated."""
    terminal = Terminal(identity, "127.0.0.1", port, timeout_s=20)
    await terminal.connect()

    async def registered() -> bool:
        answer = await terminal.register()
        assert answer.result in (RegistrationResult.SUCCESS, RegistrationResult.TERMINAL_NOT_FOUND)
        return answer.result == RegistrationResult.SUCCESS

    await wait_until(registered, timeout_s=60, what=f"gateway registering terminal {identity.phone}")
    assert await terminal.authenticate() == Result.SUCCESS
    return terminal


@dataclass
class DistrictProof:
    """Scenario 1 in one district: what it created, to assert on and to look for in the other."""

    d: Clients
    number: int  # 1 or 2: names, places and counts differ between the districts
    gateways: Gateways
    houses: int  # houses in the ledger, two residents each
    day: datetime = field(default_factory=lambda: datetime.now(DISTRICT_ZONE) - timedelta(days=1))
    station_id: str = ""
    zone_code: str = ""
    room_id: str = ""
    officers: list[str] = field(default_factory=list)  # the two police officers, ranked in this order
    auxiliary_id: str = ""
    house_ids: list[str] = field(default_factory=list)
    crews: list[Crew] = field(default_factory=list)
    spots: list[str] = field(default_factory=list)
    matters: list[str] = field(default_factory=list)
    record_id: str = ""
    handheld_id: str = ""
    handheld_code: str = ""
    handheld_fixes: int = 0
    notice_id: str = ""
    sent: dict[str, int] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.d.code

    @property
    def centre(self) -> tuple[float, float]:
        """Zone centres ~9 km apart: the districts are neighbours, not one place twice."""
        return (116.970 + 0.09 * (self.number - 1), 33.630)

    def at(self, dlon: float, dlat: float) -> tuple[float, float]:
        return (self.centre[0] + dlon, self.centre[1] + dlat)

    # -- 1. the city subscriber -------------------------------------------------------------------

    async def subscribe(self, receiver: CityWebhookReceiver) -> None:
        reply = await self.d.subscriptions.CreateSubscription(
            subscriptions_pb2.CreateSubscriptionRequest(
                subscriber="command-centre",
                system=subscriptions_pb2.SUBSCRIBER_SYSTEM_COMMAND_CENTRE,
                filter=subscriptions_pb2.SubscriptionFilter(event_types=SUBSCRIBED, districts=[self.code]),
                webhook=subscriptions_pb2.WebhookTarget(url=receiver.url(self.code)),
                request_id=f"command-centre-{self.code}",
            )
        )
        assert reply.webhook_secret.startswith("whsec_")
        assert reply.subscription.status == subscriptions_pb2.SUBSCRIPTION_STATUS_ACTIVE
        receiver.secrets[self.code] = reply.webhook_secret

    # -- 2.–4. territory, residents, staff --------------------------------------------------------

    async def territory_and_people(self) -> None:
        d = self.d
        self.station_id = f"st-{self.code}"
        self.zone_code = f"{self.code}020301"
        await d.rooms.CreateStation(
            rooms_pb2.CreateStationRequest(
                station_id=self.station_id,
                name=("汴河派出所", "沱河派出所")[self.number - 1],
                kind=rooms_pb2.STATION_KIND_URBAN,
                operating_model=rooms_pb2.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP,
                location=point(*self.centre),
            )
        )
        await d.rooms.CreateZone(
            rooms_pb2.CreateZoneRequest(
                zone_code=self.zone_code,
                community_name=("汴河社区", "沱河社区")[self.number - 1],
                station_id=self.station_id,
                workload=rooms_pb2.ZoneWorkload(actual_population=5200, area_km2=4.1, security_complexity=3),
                boundary=square(*self.centre, 0.01),
            )
        )
        room = (
            await d.rooms.OpenRoom(
                rooms_pb2.OpenRoomRequest(
                    name=("汴河社区警务室", "沱河社区警务室")[self.number - 1],
                    kind=rooms_pb2.ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER,
                    station_id=self.station_id,
                    zone_codes=[self.zone_code],
                    address="社区居委会一楼",
                    location=point(*self.centre),
                    request_id=f"room-{self.code}",
                )
            )
        ).room
        assert room.status == rooms_pb2.ROOM_STATUS_ACTIVE and list(room.zone_codes) == [self.zone_code]
        self.room_id = room.room_id
        names = (("张卫东", "李建国", "赵辅"), ("王海涛", "刘志强", "孙辅"))[self.number - 1]
        for n, name in enumerate(names, start=1):
            police = n < 3
            officer = (
                await d.personnel.RegisterOfficer(
                    personnel_pb2.RegisterOfficerRequest(
                        name=name,
                        roles=[personnel_pb2.OFFICER_ROLE_POLICE]
                        if police
                        else [personnel_pb2.OFFICER_ROLE_AUXILIARY],
                        branch=personnel_pb2.BRANCH_STATION,
                        station_id=self.station_id,
                        badge_number=f"{self.code}120{n}" if police else "",
                        request_id=f"officer-{n}",
                    )
                )
            ).officer
            if police:
                self.officers.append(officer.officer_id)
            else:
                self.auxiliary_id = officer.officer_id
        # R-POP-1: the residents move in by the ledger, all or nothing.
        houses = [
            LedgerHouse(
                address=f"宿州市埇桥区汴河街道{('汴河', '沱河')[self.number - 1]}社区人民路{n}号",
                longitude=self.at(0.002 * n - 0.004, 0.001)[0],
                latitude=self.at(0.0, 0.001 * n)[1],
                zone_code=self.zone_code,
                village_id="",
                residents=(f"居民{self.number}{n}甲", f"居民{self.number}{n}乙"),
            )
            for n in range(1, self.houses + 1)
        ]
        imported = await import_ledger(
            d.population, ledger(f"ledger-{self.code}.csv", houses, first_sequence=100 * self.number)
        )
        assert imported.status == population_pb2.LEDGER_IMPORT_STATUS_COMMITTED, imported.errors
        assert (imported.houses_created, imported.residents_created) == (self.houses, 2 * self.houses)
        listed = await d.population.ListHouses(population_pb2.ListHousesRequest(zone_code=self.zone_code))
        self.house_ids = sorted(h.house_id for h in listed.houses)
        assert len(self.house_ids) == self.houses

    async def coverage_gaps(self) -> set[tuple[str, str]]:
        report = (
            await self.d.rooms.GetCoverageReport(
                rooms_pb2.GetCoverageReportRequest(station_id=self.station_id)
            )
        ).coverage_report
        return {(g.finding, g.room_id) for g in report.gaps}

    async def understaffed(self) -> dict[str, personnel_pb2.StaffingFinding]:
        """R-PER-2 evaluated now: the room's ROOM_UNDERSTAFFED findings, by what is short."""
        await self.d.personnel.EvaluateStaffing(
            personnel_pb2.EvaluateStaffingRequest(station_id=self.station_id)
        )
        found = await self.d.personnel.ListStaffingFindings(
            personnel_pb2.ListStaffingFindingsRequest(
                kind=personnel_pb2.STAFFING_FINDING_KIND_ROOM_UNDERSTAFFED, room_id=self.room_id
            )
        )
        return {
            "auxiliaries" if "auxiliaries" in f.detail else "officers": f for f in found.staffing_findings
        }

    async def post(self, officer_id: str, role: personnel_pb2.OfficerRole.ValueType) -> None:
        posting = (
            await self.d.personnel.PostOfficer(
                personnel_pb2.PostOfficerRequest(
                    officer_id=officer_id,
                    role=role,
                    station_id=self.station_id,
                    room_id=self.room_id,
                    full_time=True,
                    request_id=f"posting-{officer_id}",
                )
            )
        ).posting
        assert posting.room_id == self.room_id and posting.full_time

    async def staff_and_equip(self) -> None:
        """After the territory reached every service: the police officers posted, the vehicles, plans,
        the handheld, the information collected and the matters entrusted."""
        d = self.d
        # R-ROOM-4: nobody posted yet — the room is a coverage gap.
        assert ("room_without_officer", self.room_id) in await self.coverage_gaps()
        for officer_id in self.officers:
            await self.post(officer_id, personnel_pb2.OFFICER_ROLE_POLICE)
        day = self.day.date()
        spots = (self.at(-0.005, -0.004), self.at(0.005, 0.004))
        for n, (lon, lat) in enumerate(spots, start=1):
            spot = await d.patrol.CreateHotSpot(
                patrol_pb2.CreateHotSpotRequest(
                    name=f"热点{n}",
                    kind=patrol_pb2.HOT_SPOT_KIND_PLACE,
                    zone_code=self.zone_code,
                    location=point(lon, lat),
                    radius_m=HOT_SPOT_RADIUS_M,
                    source="manual",
                    request_id=f"hotspot-{n}",
                )
            )
            self.spots.append(spot.hotspot.hotspot_id)
        elsewhere = self.at(-0.007, 0.006)  # in the zone, over a kilometre from the second hot spot
        for n, (officer_id, legs) in enumerate(
            zip(self.officers, (spots, (spots[0], elsewhere)), strict=True), start=1
        ):
            self.crews.append(
                await crewed_vehicle(
                    d.telemetry, d.patrol, self.code, n, self.zone_code, officer_id, self.spots, legs, day
                )
            )
        handheld = await d.telemetry.RegisterDevice(
            telemetry_pb2.RegisterDeviceRequest(
                kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
                handheld=telemetry_pb2.HandheldApp(app_instance_id=f"jwt-{self.code}-1", model="警务通"),
                officer_id=self.officers[0],
                zone_code=self.zone_code,
                request_id="handheld-1",
            )
        )
        self.handheld_id = handheld.device.device_id
        self.handheld_code = handheld.auth_code
        # R-POP-4: the first officer collects a dispute on his rounds (an officer's own call).
        population = population_pb2_grpc.PopulationServiceStub(d.as_officer("population", self.officers[0]))
        record = await population.CollectInformation(
            population_pb2.CollectInformationRequest(
                colour=population_pb2.INFORMATION_COLOUR_YELLOW,
                category=population_pb2.INFORMATION_CATEGORY_DISPUTE,
                zone_code=self.zone_code,
                house_id=self.house_ids[0],
                title="邻里噪音纠纷",
                content="楼上装修噪音，已调解",
                source="走访",
                request_id="dispute-1",
            )
        )
        self.record_id = record.information_record.record_id
        # R-NOT-3: a matter for each officer to answer back.
        for n, officer_id in enumerate(self.officers, start=1):
            matter = await d.notification.EntrustMatter(
                notification_pb2.EntrustMatterRequest(
                    room_id=self.room_id,
                    resident_name=f"居民{self.number}{n}甲",
                    resident_phone=f"1380000{self.number}{n:03d}",
                    description="咨询居住证办理",
                    owner_officer_id=officer_id,
                    request_id=f"matter-{n}",
                )
            )
            assert matter.entrusted_matter.owner_officer_id == officer_id
            self.matters.append(matter.entrusted_matter.matter_id)

    async def work(self) -> None:
        """The understaffed room raised, the auxiliary posted, the month's visits and callbacks, the
        tracks uploaded (vehicles over JT/T 808, the handheld over HTTP)."""
        d = self.d
        findings = await self.understaffed()
        finding = findings["auxiliaries"]
        assert finding.status == personnel_pb2.STAFFING_FINDING_STATUS_OPEN and finding.rule_id == "R-PER-2"
        assert (finding.actual_value, finding.required_value) == (0.0, 1.0), finding.detail
        # Raised when personnel took in the room with nobody posted (R-PER-2), resolved by the postings.
        officers = findings["officers"]
        assert officers.status == personnel_pb2.STAFFING_FINDING_STATUS_RESOLVED, officers
        assert officers.raise_time.ToDatetime() < officers.resolve_time.ToDatetime()
        # The room registry learnt both postings from personnel's events: no longer a gap (R-ROOM-4).
        assert ("room_without_officer", self.room_id) not in await self.coverage_gaps()
        room = (await d.rooms.GetRoom(rooms_pb2.GetRoomRequest(room_id=self.room_id))).room
        assert sorted(o.officer_id for o in room.officers) == sorted(self.officers)
        await self.post(self.auxiliary_id, personnel_pb2.OFFICER_ROLE_AUXILIARY)
        # R-PER-8/R-PER-10: each officer logs a community visit today; only the first entered data.
        now = datetime.now(UTC)
        for n, officer_id in enumerate(self.officers):
            personnel = personnel_pb2_grpc.PersonnelServiceStub(d.as_officer("personnel", officer_id))
            await personnel.LogVisit(
                personnel_pb2.LogVisitRequest(
                    kind=personnel_pb2.VISIT_LOG_KIND_COMMUNITY_WORK,
                    zone_code=self.zone_code,
                    room_id=self.room_id,
                    start_time=stamp(now - timedelta(hours=2)),
                    end_time=stamp(now - timedelta(hours=1)),
                    location=point(*self.centre),
                    household_visits=[personnel_pb2.HouseholdVisit(house_id=self.house_ids[n])],
                    information_record_ids=[self.record_id] if n == 0 else [],
                    summary="入户走访",
                    request_id=f"visit-{n}",
                )
            )
        # R-NOT-3: each owner answers back; the residents rate the answers.
        for matter_id, officer_id, rating in zip(
            self.matters, self.officers, (SATISFIED, UNSATISFIED), strict=True
        ):
            notification = notification_pb2_grpc.NotificationServiceStub(
                d.as_officer("notification", officer_id)
            )
            answered = await notification.AnswerMatter(
                notification_pb2.AnswerMatterRequest(
                    matter_id=matter_id,
                    answer="已电话告知办理流程",
                    method=notification_pb2.ANSWER_METHOD_PHONE,
                )
            )
            assert answered.entrusted_matter.status == notification_pb2.MATTER_STATUS_ANSWERED
            rated = await d.notification.RecordSatisfaction(
                notification_pb2.RecordSatisfactionRequest(matter_id=matter_id, rating=rating)
            )
            assert rated.entrusted_matter.satisfaction == rating
        # R-TEL-2: yesterday's tracks over JT/T 808 (0x0704), the handheld's fixes over HTTP.
        for crew in self.crews:
            self.sent[crew.officer_id] = await backfill(crew, self.gateways.jt808_port, self.day.date())
        await self.post_handheld_fixes()

    async def post_handheld_fixes(self) -> None:
        start = datetime.now(UTC) - timedelta(minutes=10)
        fixes = [
            {
                "latitude": self.at(0.0, -0.002 + 0.0002 * i)[1],
                "longitude": self.centre[0],
                "time": (start + timedelta(seconds=20 * i)).isoformat(),
                "speed_kmh": 4.0,
                "heading_deg": 0.0,
                "accuracy_m": 8.0,
            }
            for i in range(12)
        ]
        auth = {"Authorization": aiohttp.encode_basic_auth(self.handheld_id, self.handheld_code)}
        url = f"http://127.0.0.1:{self.gateways.handheld_port}/v1/positions"
        async with aiohttp.ClientSession(headers=auth) as session:

            async def accepted() -> bool:
                async with session.post(url, json={"fixes": fixes}) as response:
                    # 404 until the endpoint's directory (the compacted devices topic) has the device.
                    assert response.status in (200, 404), await response.text()
                    return response.status == 200

            await wait_until(accepted, timeout_s=60, what=f"handheld {self.handheld_id} accepted")
        self.handheld_fixes = len(fixes)

    async def evidence_and_notice(self) -> None:
        d = self.d
        finding = (await self.understaffed())["auxiliaries"]
        assert finding.status == personnel_pb2.STAFFING_FINDING_STATUS_RESOLVED, finding
        assert finding.resolve_time.seconds > 0
        # R-PAT-6: the tracks are the evidence; the first crew met both slots, the second one.
        for crew, ratio in zip(self.crews, (1.0, 0.5), strict=True):
            evidence = (
                await d.patrol.ComputePatrolEvidence(
                    patrol_pb2.ComputePatrolEvidenceRequest(
                        vehicle_id=crew.vehicle_id, date=local_date_to_proto(self.day.date())
                    )
                )
            ).patrol_evidence
            assert list(evidence.officer_ids) == [crew.officer_id]
            assert evidence.fix_count == self.sent[crew.officer_id] and evidence.compliance_ratio == ratio
            assert (evidence.met_slot_count, evidence.planned_slot_count) == (int(2 * ratio), 2)
        # The handheld's fixes stored, and the zone it walked in entered (R-TEL-1, R-POP-7).
        track = await d.telemetry.GetTrack(
            telemetry_pb2.GetTrackRequest(
                device_id=self.handheld_id,
                start_time=stamp(datetime.now(UTC) - timedelta(hours=1)),
                end_time=stamp(datetime.now(UTC)),
                page=common_pb2.PageRequest(page_size=100),
            )
        )
        assert len(track.fixes) == self.handheld_fixes
        assert {f.device_kind for f in track.fixes} == {telemetry_pb2.DEVICE_KIND_HANDHELD}
        crossings = await d.telemetry.ListZoneEvents(
            telemetry_pb2.ListZoneEventsRequest(device_id=self.handheld_id)
        )
        assert [(e.kind, e.zone_code, e.officer_id) for e in crossings.zone_events] == [
            (telemetry_pb2.ZONE_EVENT_KIND_ENTERED, self.zone_code, self.officers[0])
        ]
        # R-NOT-1: the room's officer drafts the week's notice from the week's facts and publishes it.
        notification = notification_pb2_grpc.NotificationServiceStub(
            d.as_officer("notification", self.officers[0])
        )
        draft = (
            await notification.DraftWeeklyNotice(
                notification_pb2.DraftWeeklyNoticeRequest(room_id=self.room_id)
            )
        ).notice
        assert draft.status == notification_pb2.NOTICE_STATUS_DRAFT
        assert draft.kind == notification_pb2.NOTICE_KIND_WEEKLY_SITUATION
        assert list(draft.facts.zone_codes) == [self.zone_code]
        assert {(c.category, c.count) for c in draft.facts.incidents} == {("dispute", 1)}
        published = (
            await notification.PublishNoticeDraft(
                notification_pb2.PublishNoticeDraftRequest(notice_id=draft.notice_id)
            )
        ).notice
        assert published.status == notification_pb2.NOTICE_STATUS_PUBLISHED and published.publish_time.seconds
        self.notice_id = published.notice_id

    async def assessment(self) -> None:
        """R-PER-11: the month computed from the platform's data; the first officer ranks first."""
        d = self.d
        period = period_of(self.day.date())
        await d.personnel.ComputeAssessments(
            personnel_pb2.ComputeAssessmentsRequest(period=period, station_id=self.station_id)
        )
        mine = {}
        for officer_id in self.officers:
            mine[officer_id] = (
                await d.personnel.GetAssessment(
                    personnel_pb2.GetAssessmentRequest(officer_id=officer_id, period=period)
                )
            ).assessment
        first, second = (mine[o] for o in self.officers)
        scores = [{i.code: (i.raw_value, i.score, i.weight) for i in a.indicators} for a in (first, second)]
        assert scores[0] == {"data_maintained": (1.0, 100.0, 0.5), "patrol_duty": (1.0, 100.0, 0.5)}
        assert scores[1] == {"data_maintained": (0.0, 0.0, 0.5), "patrol_duty": (1.0, 50.0, 0.5)}
        residents = [
            [
                (r.count, r.average_score)
                for r in a.ratings
                if r.source == personnel_pb2.RATING_SOURCE_RESIDENT
            ]
            for a in (first, second)
        ]
        assert [len(r) for r in residents] == [1, 1] and [r[0][0] for r in residents] == [1, 1]
        assert residents[0][0][1] > residents[1][0][1]  # satisfied above unsatisfied (R-NOT-3)
        for a in (first, second):
            assert a.total_score == explained_total(a)
        assert first.total_score > second.total_score
        ranking = await d.personnel.ListRankings(
            personnel_pb2.ListRankingsRequest(
                period=period, station_id=self.station_id, role=personnel_pb2.OFFICER_ROLE_POLICE
            )
        )
        assert [(e.officer_id, e.rank) for e in ranking.entries] == [
            (self.officers[0], 1),
            (self.officers[1], 2),
        ]
        assert [e.total_score for e in ranking.entries] == [first.total_score, second.total_score]

    async def counts(self) -> None:
        zone = (
            await self.d.population.GetZonePopulation(
                population_pb2.GetZonePopulationRequest(zone_code=self.zone_code)
            )
        ).zone_population
        assert (zone.actual_population, zone.house_count) == (2 * self.houses, self.houses)
        notices = await self.d.notification.ListNotices(
            notification_pb2.ListNoticesRequest(
                room_id=self.room_id, kind=notification_pb2.NOTICE_KIND_WEEKLY_SITUATION
            )
        )
        assert [n.notice_id for n in notices.notices] == [self.notice_id]

    def own_ids(self) -> list[str]:
        return [
            self.room_id,
            *self.officers,
            self.auxiliary_id,
            *self.house_ids,
            self.handheld_id,
            self.notice_id,
        ]

    async def sees_nothing_of(self, other: DistrictProof) -> None:
        """R-POP-6 / ADR 0008: the other district's records are not found here, by id or in a list."""
        d = self.d
        probes: list[Awaitable[object]] = [
            d.rooms.GetRoom(rooms_pb2.GetRoomRequest(room_id=other.room_id)),
            d.personnel.GetOfficer(personnel_pb2.GetOfficerRequest(officer_id=other.officers[0])),
            d.population.GetHouse(population_pb2.GetHouseRequest(house_id=other.house_ids[0])),
            d.notification.GetNotice(notification_pb2.GetNoticeRequest(notice_id=other.notice_id)),
            d.telemetry.GetDevice(telemetry_pb2.GetDeviceRequest(device_id=other.handheld_id)),
        ]
        for probe in probes:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await probe
            assert refused.value.code() == grpc.StatusCode.NOT_FOUND, refused.value.details()
        rooms = await d.rooms.ListRooms(rooms_pb2.ListRoomsRequest())
        assert [r.room_id for r in rooms.rooms] == [self.room_id]
        officers = await d.personnel.ListOfficers(personnel_pb2.ListOfficersRequest())
        assert sorted(o.officer_id for o in officers.officers) == sorted([*self.officers, self.auxiliary_id])
        track = await d.telemetry.GetTrack(
            telemetry_pb2.GetTrackRequest(
                device_id=other.handheld_id,
                start_time=stamp(datetime.now(UTC) - timedelta(hours=1)),
                end_time=stamp(datetime.now(UTC)),
            )
        )
        assert not track.fixes


async def test_two_districts_run_the_whole_month_side_by_side_and_see_nothing_of_each_other(
    city: tuple[Clients, Clients], city_stack: CityStack, kafka_bootstrap: str
) -> None:
    today = datetime.now(DISTRICT_ZONE).date()
    if today.day == 1:
        pytest.skip("yesterday's evidence and today's callbacks fall in different months (see the docstring)")
    first, second = (
        DistrictProof(d, number, city_stack.gateways, houses=houses)
        for number, (d, houses) in enumerate(zip(city, (3, 2), strict=True), start=1)
    )
    proofs = (first, second)
    receiver = CityWebhookReceiver()
    reader = CityTopicReader(kafka_bootstrap, [p.code for p in proofs])
    await receiver.start()
    await reader.start()
    try:
        await both(proofs, lambda p: p.subscribe(receiver))
        await both(proofs, DistrictProof.territory_and_people)
        await all_caught_up(city)  # every service knows the station, zone and room
        await both(proofs, DistrictProof.staff_and_equip)
        await all_caught_up(city)  # rooms and notification know the postings, personnel the room
        await both(proofs, DistrictProof.work)
        await all_caught_up(city)  # fixes stored, crossings derived, ratings and postings taken in
        await both(proofs, DistrictProof.evidence_and_notice)
        await all_caught_up(city)  # personnel has the evidence (PatrolEvidenceComputed)
        await both(proofs, DistrictProof.assessment)
        await both(proofs, DistrictProof.counts)
        await first.sees_nothing_of(second)
        await second.sees_nothing_of(first)

        # R-NOT-5: the command centre got each district's events, through that district's subscription.
        async def every_type_delivered() -> bool:
            return all({h.event_type for h in receiver.of(p.code)} >= set(SUBSCRIBED) for p in proofs)

        await wait_until(every_type_delivered, timeout_s=60, what="every subscribed event type delivered")
        assert receiver.refused == 0  # every request carried its subscription's signature
        for proof, other in ((first, second), (second, first)):
            hooks = receiver.of(proof.code)
            assert {h.envelope["district"] for h in hooks} == {proof.code}
            assert {h.event_type for h in hooks} <= set(SUBSCRIBED)
            (opened,) = [h for h in hooks if h.event_type == "jingwu.rooms.v1.RoomOpened"]
            event = room_events.RoomOpened.FromString(base64.b64decode(opened.envelope["data_base64"]))
            assert (event.district_code, event.room.room_id) == (proof.code, proof.room_id)
            foreign = [i.encode() for i in other.own_ids() if i]
            bodies = [base64.b64decode(h.envelope["data_base64"]) for h in hooks]
            assert not [b for b in bodies if any(i in b for i in foreign)]

        # … and straight from Kafka: each district's events on its own topics, nothing of the other's.
        async def every_type_read() -> bool:
            return all({r.event_type for r in reader.of(p.code)} >= set(SUBSCRIBED) for p in proofs)

        await wait_until(every_type_read, timeout_s=30, what="every event type read from Kafka")
        for proof, other in ((first, second), (second, first)):
            records = reader.of(proof.code)
            assert {r.district for r in records} == {proof.code}
            foreign = [i.encode() for i in other.own_ids() if i]
            assert not [r.event_type for r in records if any(i in r.value for i in foreign)]
            opened_rooms = [
                room_events.RoomOpened.FromString(r.value).room.room_id
                for r in records
                if r.event_type == "jingwu.rooms.v1.RoomOpened"
            ]
            assert opened_rooms == [proof.room_id]
    finally:
        await reader.stop()
        await receiver.stop()


# -- scenario 2 ---------------------------------------------------------------------------------------

RIVER = (116.970, 33.690)  # the re-divided zone's centre, north of scenario 1's zones
STEP_DEG = 0.00025  # ~23 m east per fix, a fix every 10 s: 8 km/h
FIX_EVERY = timedelta(seconds=10)
PHASES = (range(0, 10), range(10, 18), range(18, 40))  # before, during, after the re-division
CROSSING = 24  # the first fix east of the centre line: in the second new zone


def river_fix(i: int) -> tuple[float, float]:
    """The i-th fix: west to east along the zone's middle, never on the centre line itself."""
    return (RIVER[0] - 0.006 + STEP_DEG / 2 + STEP_DEG * i, RIVER[1])


async def test_a_zone_redivided_mid_stream_hands_over_every_house_resident_and_fix(
    city: tuple[Clients, Clients], city_stack: CityStack
) -> None:
    d, other = city
    code = d.code
    station_id, zone = f"st-{code}-river", f"{code}030101"
    west_zone, east_zone = f"{code}030102", f"{code}030103"
    west_village, east_village = f"v{code}-hx", f"v{code}-hd"
    other_zones = await other.rooms.ListZones(rooms_pb2.ListZonesRequest(include_retired=True))
    await d.rooms.CreateStation(
        rooms_pb2.CreateStationRequest(
            station_id=station_id,
            name="淮河派出所",
            kind=rooms_pb2.STATION_KIND_URBAN,
            operating_model=rooms_pb2.OPERATING_MODEL_ZONE,
            location=point(*RIVER),
        )
    )
    await d.rooms.CreateZone(
        rooms_pb2.CreateZoneRequest(
            zone_code=zone,
            community_name="淮河",
            station_id=station_id,
            workload=rooms_pb2.ZoneWorkload(actual_population=9800, area_km2=4.1, security_complexity=2),
            boundary=square(*RIVER, 0.01),
        )
    )
    for village_id, name, dlon in ((west_village, "淮河西社区", -0.005), (east_village, "淮河东社区", 0.005)):
        await d.rooms.RegisterVillage(
            rooms_pb2.RegisterVillageRequest(
                village_id=village_id,
                name=name,
                level=rooms_pb2.VILLAGE_LEVEL_ADMINISTRATIVE,
                zone_code=zone,
                station_id=station_id,
                location=point(RIVER[0] + dlon, RIVER[1]),
                urban_community=True,
                township="淮河街道",
            )
        )
    # Two houses a community: two residents each in the west, one each in the east (R-POP-1).
    houses = [
        LedgerHouse(
            address=f"宿州市埇桥区淮河街道{name}淮河路{n}号",
            longitude=RIVER[0] + dlon + 0.001 * n,
            latitude=RIVER[1] + 0.002,
            zone_code=zone,
            village_id=village_id,
            residents=tuple(f"{name[:3]}{n}{m}" for m in "甲乙"[:size]),
        )
        for village_id, name, dlon, size in (
            (west_village, "淮河西社区", -0.006, 2),
            (east_village, "淮河东社区", 0.004, 1),
        )
        for n in (1, 2)
    ]
    identity = TerminalIdentity(terminal_phone(code, 9), f"R{code}0009", f"皖L·R{code}09")
    device = (
        await d.telemetry.RegisterDevice(
            telemetry_pb2.RegisterDeviceRequest(
                kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
                jt808=telemetry_pb2.Jt808Terminal(terminal_phone=identity.phone, plate=identity.plate),
                zone_code=zone,
                request_id="river-terminal",
            )
        )
    ).device
    await d.caught_up()  # population and telemetry know the zone and its communities
    imported = await import_ledger(d.population, ledger(f"river-{code}.csv", houses, first_sequence=700))
    assert imported.status == population_pb2.LEDGER_IMPORT_STATUS_COMMITTED, imported.errors
    listed = await d.population.ListHouses(population_pb2.ListHousesRequest(zone_code=zone))
    by_village = {
        v: sorted(h.house_id for h in listed.houses if h.village_id == v)
        for v in (west_village, east_village)
    }
    assert [len(ids) for ids in by_village.values()] == [2, 2]
    house_of: dict[str, str] = {}  # resident → house
    for house in listed.houses:
        living = await d.population.ListResidents(
            population_pb2.ListResidentsRequest(house_id=house.house_id)
        )
        house_of |= {r.resident_id: house.house_id for r in living.residents}
    residents_before = set(house_of)
    assert len(residents_before) == 6

    # The terminal reports in real time (0x0200), device times a fix every 10 s up to a few minutes ago.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    times = [start + FIX_EVERY * i for i in range(PHASES[-1][-1] + 1)]
    terminal = await connected_terminal(identity, city_stack.gateways.jt808_port)

    async def stream(indexes: range) -> None:
        for i in indexes:
            lon, lat = river_fix(i)
            report: LocationReport = report_at(lat, lon, times[i], speed_kmh=8.3, heading=90)
            assert await terminal.report(report) == Result.SUCCESS

    async def move_in(house_id: str, name: str, sequence: int) -> str:
        moved = await d.population.MoveInResident(
            population_pb2.MoveInResidentRequest(
                house_id=house_id,
                name=name,
                id_number=id_number(datetime(1990, 5, 5).date(), sequence),
                relation=population_pb2.RELATION_TENANT,
                category=population_pb2.RESIDENT_CATEGORY_TEMPORARY,
                request_id=f"mid-stream-{sequence}",
            )
        )
        return moved.resident.resident_id

    try:
        await stream(PHASES[0])
        await d.caught_up()  # the terminal is in the zone (telemetry's crossing ENTERED)
        # Mid-stream: the zone is split while fixes stream in and two residents move in (R-ORG-3).
        redivided, *movers = await asyncio.gather(
            d.rooms.RedivideZones(
                rooms_pb2.RedivideZonesRequest(
                    from_zone_codes=[zone],
                    to_zones=[
                        rooms_pb2.CreateZoneRequest(
                            zone_code=new_code,
                            community_name="淮河",
                            sequence=sequence,
                            station_id=station_id,
                            community_ids=[village_id],
                            workload=rooms_pb2.ZoneWorkload(
                                actual_population=4900, area_km2=2.05, security_complexity=2
                            ),
                            boundary=rectangle(
                                RIVER[0] + west, RIVER[1] - 0.01, RIVER[0] + east, RIVER[1] + 0.01
                            ),
                        )
                        for new_code, sequence, village_id, west, east in (
                            (west_zone, 1, west_village, -0.01, 0.0),
                            (east_zone, 2, east_village, 0.0, 0.01),
                        )
                    ],
                    reason="人口增长，按工作量拆分警务区",
                )
            ),
            move_in(by_village[west_village][0], "新租户西", 801),
            move_in(by_village[east_village][0], "新租户东", 803),
            stream(PHASES[1]),
        )
        await d.caught_up()  # every service took the re-division in
        await stream(PHASES[2])
    finally:
        await terminal.close()
    west_mover, east_mover = movers[0], movers[1]
    leaving = sorted(residents_before)[0]
    leaving_house = house_of[leaving]
    await d.population.MoveOutResident(
        population_pb2.MoveOutResidentRequest(
            resident_id=leaving, destination="迁往合肥", status=population_pb2.RESIDENT_STATUS_MOVED_OUT
        )
    )
    await d.caught_up()

    # The room registry: the old zone retired with its successors, the new ones from this re-division.
    assert isinstance(redivided, rooms_pb2.RedivideZonesResponse)
    rid = redivided.redivision_id
    assert {(z.zone_code, z.created_by_redivision_id) for z in redivided.new_zones} == {
        (west_zone, rid),
        (east_zone, rid),
    }
    assert {
        (h.record_id, h.from_zone_code, h.to_zone_code)
        for h in redivided.handover
        if h.record_type == "village"
    } == {(west_village, zone, west_zone), (east_village, zone, east_zone)}
    old = (await d.rooms.GetZone(rooms_pb2.GetZoneRequest(zone_code=zone))).zone
    assert old.retired and old.retired_by_redivision_id == rid
    assert sorted(old.successor_zone_codes) == [west_zone, east_zone]

    # Population: every house handed over with its residents, counted in the new zones only (R-ORG-3).
    handover = (
        await d.population.GetZoneHandover(
            population_pb2.GetZoneHandoverRequest(
                redivision_id=rid, page=common_pb2.PageRequest(page_size=100)
            )
        )
    ).zone_handover
    assert handover.complete and handover.houses_moved == 4
    moved_houses = {(e.record_id, e.to_zone_code) for e in handover.entries if e.record_type == "house"}
    assert moved_houses == {(h, west_zone) for h in by_village[west_village]} | {
        (h, east_zone) for h in by_village[east_village]
    }
    moved_residents = {e.record_id for e in handover.entries if e.record_type == "resident"}
    # Those living there when their house moved: everyone before, and a mover if he was first.
    assert residents_before <= moved_residents <= residents_before | {west_mover, east_mover}
    assert handover.residents_moved == len(moved_residents)
    leaving_zone = west_zone if leaving_house in by_village[west_village] else east_zone
    expected = {west_zone: 4 + 1, east_zone: 2 + 1, zone: 0}
    expected[leaving_zone] -= 1
    for zone_code, residents in expected.items():
        counted = (
            await d.population.GetZonePopulation(population_pb2.GetZonePopulationRequest(zone_code=zone_code))
        ).zone_population
        assert counted.actual_population == residents, (zone_code, counted)
    for house_id in (by_village[west_village][0], by_village[east_village][0]):
        house = (await d.population.GetHouse(population_pb2.GetHouseRequest(house_id=house_id))).house
        assert house.zone_code == (west_zone if house_id in by_village[west_village] else east_zone)

    # Telemetry: no fix lost, and the crossings follow the new zones from the re-division on.
    track = await d.telemetry.GetTrack(
        telemetry_pb2.GetTrackRequest(
            device_id=device.device_id,
            start_time=stamp(times[0] - timedelta(seconds=1)),
            end_time=stamp(times[-1] + timedelta(seconds=1)),
            page=common_pb2.PageRequest(page_size=100),
        )
    )
    assert [f.fix_time.ToDatetime(UTC) for f in track.fixes] == times
    crossings = (
        await d.telemetry.ListZoneEvents(telemetry_pb2.ListZoneEventsRequest(device_id=device.device_id))
    ).zone_events
    events = sorted(
        (e.occur_time.ToDatetime(UTC), e.kind == telemetry_pb2.ZONE_EVENT_KIND_ENTERED, e.zone_code)
        for e in crossings
    )
    entered, left = True, False
    assert events[0] == (times[0], entered, zone)
    handed = events[1][0]  # the fix at which telemetry had taken the re-division in
    assert times[PHASES[1][0]] <= handed <= times[PHASES[2][0]]
    assert events[1:] == [
        (handed, left, zone),
        (handed, entered, west_zone),
        (times[CROSSING], left, west_zone),
        (times[CROSSING], entered, east_zone),
    ]

    # The other district: its zones untouched by this district's re-division.
    after = await other.rooms.ListZones(rooms_pb2.ListZonesRequest(include_retired=True))
    assert [(z.zone_code, z.retired) for z in after.zones] == [
        (z.zone_code, z.retired) for z in other_zones.zones
    ]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await other.rooms.GetZone(rooms_pb2.GetZoneRequest(zone_code=west_zone))
    assert refused.value.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)
