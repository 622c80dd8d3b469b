"""``jingwu demo seed``: load the synthetic demo district (``demo_data``) through the gRPC APIs — never
into the store directly. Idempotent: client-chosen ids and request ids where the API has them, an
existence check first where it has not, so a second run adds nothing.

The personnel service learns the territory (stations, zones, villages, rooms) from the room registry's
events: once the territory is loaded, the loader waits until the services are caught up (GetStatus,
jingwu_cli.caught_up) before it posts anyone; calls that refer to territory are still retried briefly
should a read model lag. The summary is read only once every service is caught up again after the
whole load (``settle``), so its figures are the platform's settled answer — what ``jingwu rooms
coverage`` says a minute later. ``make run`` (jingwu_devstack.run) loads more demos between the load and
the summary.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2 as per
from jingwu.rooms.v1 import rooms_pb2 as rooms
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.outline import approximate_outline
from jingwu_platform.proto_values import local_date_to_proto

from jingwu_cli import labels
from jingwu_cli.caught_up import NotCaughtUp, wait_caught_up
from jingwu_cli.client import Clients, ServiceName
from jingwu_cli.config import signing_secret
from jingwu_cli.demo_data import (
    NEIGHBOURS,
    AssignmentSpec,
    DemoDistrict,
    OfficerSpec,
    PostingSpec,
    RoomSpec,
    RotaSpec,
    StopSpec,
    VillageSpec,
    VisitSpec,
    ZoneSpec,
    build,
)
from jingwu_cli.errors import EXIT_CREDENTIAL, EXIT_FAILED, CliError
from jingwu_cli.render import TableResult

T = TypeVar("T")
Req = TypeVar("Req")
Resp = TypeVar("Resp")
Unary = grpc.aio.UnaryUnaryMultiCallable
# How long a call waits for the personnel read model to learn a new room/village (eventual consistency).
CATCH_UP_S = 120.0
# Calls in flight at once. Each service writes through one store connection locally (ADR 0018): more
# in flight adds waiting, not throughput.
PARALLEL = 8
# Per-call deadline while loading: a batch of writes on a busy, shared 2-core machine, not a person
# waiting (a PostOfficer once took 60 s there while the relays cleared their outboxes).
SEED_CALL_TIMEOUT_S = 180.0
# District-wide computations (assessments of every officer, a full staffing evaluation) take longer.
SLOW_CALL_S = 180.0
LEADER = "demo-leader"
# A demo zone's recorded boundary: this far around its villages and rooms (metres).
ZONE_MARGIN_M = 300.0
# How long the loader waits for the services to catch up (after the territory, after the whole load).
SETTLE_S = 600.0
_LAGGING = ("NOT_FOUND", "FAILED_PRECONDITION")


@dataclass
class SeedReport:
    district: str
    timings: dict[str, float] = field(default_factory=dict)  # step → seconds
    counts: dict[str, int] = field(default_factory=dict)
    rooms_by_kind: dict[str, int] = field(default_factory=dict)
    findings_by_kind: dict[str, int] = field(default_factory=dict)
    coverage_gaps: dict[str, int] = field(default_factory=dict)
    rota_gap_days: list[str] = field(default_factory=list)
    room_ids: dict[str, str] = field(default_factory=dict)  # spec key → room id
    officer_ids: dict[str, str] = field(default_factory=dict)  # spec key → officer id
    skipped: list[str] = field(default_factory=list)  # steps an older service could not take
    examples: list[str] = field(default_factory=list)


def _point(lon: float, lat: float) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(longitude=lon, latitude=lat)


async def limited(calls: Iterable[Callable[[], Awaitable[T]]], limit: int = PARALLEL) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(one(c) for c in calls)))


async def _catching_up(call: Callable[[], Awaitable[T]], timeout_s: float = CATCH_UP_S) -> T:
    """Retry while another service's read model lags (NOT_FOUND / FAILED_PRECONDITION)."""
    deadline = time.monotonic() + timeout_s
    delay = 0.2
    while True:
        try:
            return await call()
        except CliError as error:
            if error.status not in _LAGGING or time.monotonic() > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 3.0)


class Loader:
    def __init__(
        self,
        clients: Clients,
        demo: DemoDistrict,
        secret: str,
        *,
        status_targets: Mapping[str, str] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        """``status_targets``: every running service of the district (name → ``host:port``) to wait on;
        by default the two the loader calls."""
        self.c = clients
        self.demo = demo
        self.secret = secret
        self.report = SeedReport(demo.district)
        self._tokens: dict[str, str] = {}
        self.status_targets = dict(status_targets or self._own_services())
        self._progress = progress
        # Set once the territory is loaded and the registry and personnel have caught up on it: what
        # needs only the territory (make run's ledger import) may start beside the rest of the load.
        self.territory_known = asyncio.Event()

    def _officer_token(self, officer_id: str) -> str:
        if officer_id not in self._tokens:
            self._tokens[officer_id] = issue_token(
                self.secret, subject=officer_id, district=self.demo.district, roles=[Role.OFFICER], ttl_s=3600
            )
        return self._tokens[officer_id]

    def _leader_token(self) -> str:
        return issue_token(
            self.secret, LEADER, self.demo.district, [Role.SUPERVISOR, Role.DISTRICT_ADMIN], ttl_s=3600
        )

    async def _tolerate_unimplemented(self, step: str, work: Awaitable[None]) -> None:
        """A step whose RPC an older service lacks is reported and skipped, not fatal."""
        try:
            await work
        except CliError as error:
            if error.status != "UNIMPLEMENTED":
                raise
            self.report.skipped.append(f"{step}: {error.message}")

    async def run(self) -> SeedReport:
        """Load, wait until every service is caught up, then read the summary."""
        await self.load()
        await self.settle()
        await self.summarise()
        return self.report

    async def _timed(self, step: str, work: Awaitable[object]) -> None:
        started = time.monotonic()
        await work
        self.report.timings[step] = round(time.monotonic() - started, 1)

    async def load(self) -> None:
        timed = self._timed
        await timed("territory", self.territory())
        await timed("rooms", self.open_rooms())
        # Personnel learns the territory from the registry's events: let it, before anyone is posted
        # (only the two services this needs; the others are waited on before the summary).
        await timed("territory settled", self.settle(self._own_services()))
        self.territory_known.set()
        await timed("officers", self.people())
        await timed(
            "village profiles", self._tolerate_unimplemented("village profiles", self.village_profiles())
        )
        await timed("postings", self.postings())
        await timed("village assignments", self.assignments())
        await timed("visit logs", self._tolerate_unimplemented("visit logs", self.visits()))
        await timed("duty rotas", self._tolerate_unimplemented("duty rotas", self.rotas()))
        await timed("assessment", self._tolerate_unimplemented("assessment", self.assessment()))
        await timed(
            "staffing evaluation", self._tolerate_unimplemented("staffing evaluation", self.evaluate())
        )

    def _own_services(self) -> dict[str, str]:
        target = self.c.target
        return {"rooms": target.rooms_addr, "personnel": target.personnel_addr}

    async def settle(self, targets: Mapping[str, str] | None = None, timeout_s: float = SETTLE_S) -> float:
        """Wait until every service in ``targets`` (default: ``status_targets``) is caught up twice in
        a row (GetStatus): everything loaded so far is processed and relayed. Returns the seconds
        waited."""
        try:
            settled = await wait_caught_up(
                targets or self.status_targets,
                self.c.target.credential.token,
                timeout_s=timeout_s,
                progress=self._progress,
            )
        except NotCaughtUp as behind:
            raise CliError(f"demo district not settled: {behind}", EXIT_FAILED) from behind
        return settled.seconds

    async def _create(self, service: ServiceName, method: Unary[Req, Resp], request: Req) -> None:
        """A create that may already have happened in an earlier run."""
        try:
            await self.c.call(service, method, request)
        except CliError as error:
            if error.status != "ALREADY_EXISTS":
                raise

    # ── territory ──
    async def territory(self) -> None:
        c = self.c
        for s in self.demo.stations:
            station = rooms.CreateStationRequest(
                station_id=s.station_id,
                name=s.name,
                kind=s.kind,
                operating_model=s.model,
                location=_point(s.lon, s.lat),
            )
            await self._create("rooms", c.rooms.CreateStation, station)
        await limited([partial(self._zone, z) for z in self.demo.zones])
        # Administrative villages (and urban communities) before the natural villages inside them.
        for natural in (False, True):
            await limited([partial(self._village, v) for v in self.demo.villages if v.natural is natural])

    def _boundary(self, z: ZoneSpec) -> common_pb2.Polygon | None:
        """The zone's outline: around its villages and rooms (patrol places incidents and hot spots in
        it, telemetry tells zone entries and exits by it)."""
        places = [(v.lon, v.lat) for v in self.demo.villages if v.zone_code == z.code]
        places += [(r.lon, r.lat) for r in self.demo.rooms if z.code in r.zone_codes]
        ring = approximate_outline(places, margin_m=ZONE_MARGIN_M)
        if not ring:
            return None
        points = [common_pb2.GeoPoint(longitude=lon, latitude=lat) for lon, lat in ring]
        return common_pb2.Polygon(rings=[common_pb2.LinearRing(points=points)])

    async def _zone(self, z: ZoneSpec) -> None:
        request = rooms.CreateZoneRequest(
            zone_code=z.code,
            community_name=z.community_name,
            sequence=z.sequence,
            station_id=z.station_id,
            community_ids=list(z.community_ids),
            workload=rooms.ZoneWorkload(
                actual_population=z.population, area_km2=z.area_km2, security_complexity=z.complexity
            ),
            boundary=self._boundary(z),
        )
        await self._create("rooms", self.c.rooms.CreateZone, request)

    async def _village(self, v: VillageSpec) -> None:
        request = rooms.RegisterVillageRequest(
            village_id=v.village_id,
            name=v.name,
            level=rooms.VILLAGE_LEVEL_NATURAL if v.natural else rooms.VILLAGE_LEVEL_ADMINISTRATIVE,
            parent_village_id=v.parent_id,
            zone_code=v.zone_code,
            station_id=v.station_id,
            location=_point(v.lon, v.lat),
            security_complex_central=v.security_complex,
            former_township_seat=v.former_seat,
            remote_from_station=v.remote,
            township=v.township,
            urban_community=v.urban,
        )
        await self._create("rooms", self.c.rooms.RegisterVillage, request)

    async def open_rooms(self) -> None:
        await limited([partial(self._open_room, s) for s in self.demo.rooms])

    async def _open_room(self, spec: RoomSpec) -> None:
        c = self.c
        request = rooms.OpenRoomRequest(
            name=spec.name,
            kind=spec.kind,
            station_id=spec.station_id,
            zone_codes=list(spec.zone_codes),
            village_id=spec.village_id,
            address=spec.address,
            location=_point(spec.lon, spec.lat),
            vehicle_plate=spec.plate,
            request_id=spec.key,
        )
        room = (await c.call("rooms", c.rooms.OpenRoom, request)).room
        self.report.room_ids[spec.key] = room.room_id
        if spec.facilities:
            await self._tolerate_unimplemented("facilities", self._facilities(room.room_id, spec.facilities))
        if spec.stops:
            await self._tolerate_unimplemented("mobile stops", self._stops(room, spec.stops))

    async def _facilities(self, room_id: str, facilities: Sequence[tuple[str, float]]) -> None:
        request = rooms.RecordFacilitiesRequest(
            room_id=room_id, facilities=[rooms.Facility(code=code, quantity=q) for code, q in facilities]
        )
        await self.c.call("rooms", self.c.rooms.RecordFacilities, request)

    async def _stops(self, room: rooms.Room, stops: Sequence[StopSpec]) -> None:
        request = rooms.SetMobileStopsRequest(
            room_id=room.room_id,
            stops=[
                rooms.MobileStop(
                    stop_id=s.stop_id,
                    name=s.name,
                    location=_point(s.lon, s.lat),
                    radius_m=150,
                    window_start_minute=s.start_minute,
                    window_end_minute=s.end_minute,
                )
                for s in stops
            ],
        )
        reply = await self.c.call("rooms", self.c.rooms.SetMobileStops, request)
        if not reply.room.current_stop_id:
            reassign = rooms.ReassignMobileStopRequest(
                room_id=room.room_id, stop_id=stops[0].stop_id, reason="早高峰驻点"
            )
            await self.c.call("rooms", self.c.rooms.ReassignMobileStop, reassign)

    # ── people ──
    async def people(self) -> None:
        await limited([partial(self._register, s) for s in self.demo.officers])

    async def _register(self, spec: OfficerSpec) -> None:
        c = self.c
        request = per.RegisterOfficerRequest(
            name=spec.name,
            roles=list(spec.roles),
            branch=spec.branch,
            station_id=spec.station_id,
            badge_number=spec.badge,
            id_number=spec.id_number,
            phone=spec.phone,
            home_village_id=spec.home_village_id,
            home_township=spec.home_township,
            previous_workplace=spec.previous_workplace,
            join_date=local_date_to_proto(spec.join_date),
            request_id=spec.key,
        )
        reply = await _catching_up(lambda: c.call("personnel", c.personnel.RegisterOfficer, request))
        self.report.officer_ids[spec.key] = reply.officer.officer_id

    async def village_profiles(self) -> None:
        admin = [v for v in self.demo.villages if not v.natural and not v.urban]
        await limited([partial(self._profile, v) for v in admin])

    async def _profile(self, v: VillageSpec) -> None:
        request = per.SetVillageProfileRequest(
            village_profile=per.VillageProfile(
                village_id=v.village_id,
                township=v.township,
                neighbouring_townships=list(NEIGHBOURS.get(v.township, ())),
                along_traffic_line=v.along_traffic_line,
                high_crime=v.high_crime,
                security_complex=v.security_complex,
                key_village=v.security_complex or v.former_seat,
            )
        )
        await _catching_up(lambda: self.c.call("personnel", self.c.personnel.SetVillageProfile, request))

    async def postings(self) -> None:
        """One officer's postings in order (a station posting before a room posting is not the same
        as the reverse, R-PER-3); officers concurrently."""
        by_officer: dict[str, list[PostingSpec]] = {}
        for spec in self.demo.postings:
            by_officer.setdefault(spec.officer_key, []).append(spec)

        async def officer_postings(specs: list[PostingSpec]) -> None:
            for spec in specs:
                await self._post(spec)

        await limited([partial(officer_postings, specs) for specs in by_officer.values()])

    async def _post(self, spec: PostingSpec) -> None:
        request = per.PostOfficerRequest(
            officer_id=self.report.officer_ids[spec.officer_key],
            role=spec.role,
            station_id=spec.station_id,
            room_id=self.report.room_ids.get(spec.room_key, ""),
            zone_code=spec.zone_code,
            village_id=spec.village_id,
            full_time=spec.full_time,
            start_date=local_date_to_proto(spec.start),
            request_id=spec.key,
        )
        await _catching_up(lambda: self.c.call("personnel", self.c.personnel.PostOfficer, request))

    async def assignments(self) -> None:
        await limited([partial(self._liaison, s) for s in self.demo.liaisons])
        await limited([partial(self._auxiliary, s) for s in self.demo.auxiliaries])

    async def _ever_assigned(self, village_id: str, role: per.OfficerRole.ValueType) -> bool:
        c = self.c
        request = per.ListPostingsRequest(village_id=village_id, role=role)
        reply = await _catching_up(lambda: c.call("personnel", c.personnel.ListPostings, request))
        return bool(reply.postings)

    async def _liaison(self, spec: AssignmentSpec) -> None:
        c = self.c
        if await self._ever_assigned(spec.village_id, per.OFFICER_ROLE_VILLAGE_LIAISON_OFFICER):
            return
        request = per.AssignLiaisonOfficerRequest(
            village_id=spec.village_id,
            officer_id=self.report.officer_ids[spec.officer_key],
            start_date=local_date_to_proto(spec.start),
            reason="包村民警分配",
        )
        reply = await _catching_up(lambda: c.call("personnel", c.personnel.AssignLiaisonOfficer, request))
        if spec in self.demo.reposted_liaisons:
            # R-PER-5 planted: re-posted to the criminal police, nobody named in his place.
            end = per.EndPostingRequest(
                posting_id=reply.village_assignment.liaison_posting_id,
                end_date=local_date_to_proto(self.demo.today - timedelta(days=12)),
                reason="调任刑警大队",
                approval_reference="埇公政〔2026〕118号",
            )
            await c.call("personnel", c.personnel.EndPosting, end)

    async def _auxiliary(self, spec: AssignmentSpec) -> None:
        c = self.c
        if await self._ever_assigned(spec.village_id, per.OFFICER_ROLE_RESIDENT_AUXILIARY):
            return
        request = per.AssignResidentAuxiliaryRequest(
            village_id=spec.village_id,
            officer_id=self.report.officer_ids[spec.officer_key],
            start_date=local_date_to_proto(spec.start),
            reason="驻村辅警派驻",
        )
        if spec.rotation_due is not None:
            request.rotation_due.CopyFrom(local_date_to_proto(spec.rotation_due))
        await _catching_up(lambda: c.call("personnel", c.personnel.AssignResidentAuxiliary, request))

    # ── activity ──
    async def visits(self) -> None:
        await limited([partial(self._log, v) for v in self.demo.visits])

    async def _log(self, spec: VisitSpec) -> None:
        """The log is the officer's own: LogVisit takes the acting officer from the credential's
        subject, so the loader signs a short-lived officer credential per officer."""
        c = self.c
        officer_id = self.report.officer_ids[spec.officer_key]
        start, end = Timestamp(), Timestamp()
        start.FromDatetime(spec.start)
        end.FromDatetime(spec.end)
        request = per.LogVisitRequest(
            kind=spec.kind,
            village_id=spec.village_id,
            zone_code=spec.zone_code,
            room_id=self.report.room_ids.get(spec.room_key, ""),
            start_time=start,
            end_time=end,
            location=_point(spec.lon, spec.lat),
            six_roles=list(spec.six_roles),
            six_does=list(spec.six_does),
            summary=spec.summary,
            request_id=spec.key,
        )
        token = self._officer_token(officer_id)
        await _catching_up(lambda: c.call("personnel", c.personnel_bare.LogVisit, request, token=token))

    async def rotas(self) -> None:
        await limited([partial(self._rota, r) for r in self.demo.rotas])

    async def _rota(self, spec: RotaSpec) -> None:
        ids = self.report.officer_ids
        request = rooms.SetDutyRotaRequest(
            room_id=self.report.room_ids[spec.room_key],
            period=common_pb2.DateRange(
                start=local_date_to_proto(spec.start), end=local_date_to_proto(spec.end)
            ),
            days=[
                rooms.RotaDay(date=local_date_to_proto(day), officer_id=ids[key]) for day, key in spec.days
            ],
        )
        await _catching_up(lambda: self.c.call("rooms", self.c.rooms.SetDutyRota, request))

    async def assessment(self) -> None:
        """Ratings for last month, then computed and published assessments (R-PER-11). Published
        assessments are read-only: a district whose month is already published is left as it is."""
        c = self.c
        year, month = self.demo.assessment_month
        period = per.AssessmentPeriod(kind=per.PERIOD_KIND_MONTHLY, year=year, index=month)
        existing = await c.call("personnel", c.personnel.ListRankings, per.ListRankingsRequest(period=period))
        if existing.entries:
            return
        leader = self._leader_token()

        async def rate(key: str, leader_score: float, resident_score: float) -> None:
            officer_id = self.report.officer_ids[key]
            await c.call(
                "personnel",
                c.personnel_bare.SubmitRating,
                per.SubmitRatingRequest(
                    officer_id=officer_id,
                    period=period,
                    source=per.RATING_SOURCE_LEADER,
                    score=leader_score,
                    comment="月度考评",
                ),
                token=leader,
            )
            await c.call(
                "personnel",
                c.personnel_bare.SubmitRating,
                per.SubmitRatingRequest(
                    officer_id=officer_id,
                    period=period,
                    source=per.RATING_SOURCE_RESIDENT,
                    score=resident_score,
                    resident_reference=f"callback-{officer_id}-{year}{month:02d}",
                ),
                token=leader,
            )

        await limited([lambda r=r: rate(*r) for r in self.demo.ratings])  # type: ignore[misc]
        await c.call(
            "personnel",
            c.personnel.ComputeAssessments,
            per.ComputeAssessmentsRequest(period=period),
            timeout_s=SLOW_CALL_S,
        )
        await c.call(
            "personnel",
            c.personnel.PublishAssessments,
            per.PublishAssessmentsRequest(period=period),
            timeout_s=SLOW_CALL_S,
        )

    async def evaluate(self) -> None:
        request = per.EvaluateStaffingRequest(as_of=local_date_to_proto(self.demo.today))
        await self.c.call("personnel", self.c.personnel.EvaluateStaffing, request, timeout_s=SLOW_CALL_S)

    # ── what is there now ──
    async def summarise(self) -> None:
        from jingwu_cli.directory import Directory

        c = self.c
        report = self.report
        names = Directory(c)
        all_rooms = await names.list_rooms()
        villages = await names.list_villages()
        report.counts = {
            "stations": len(self.demo.stations),
            "zones": len(self.demo.zones),
            "communities": sum(1 for v in villages if v.urban_community),
            "administrative villages": sum(
                1 for v in villages if v.level == rooms.VILLAGE_LEVEL_ADMINISTRATIVE and not v.urban_community
            ),
            "natural villages": sum(1 for v in villages if v.level == rooms.VILLAGE_LEVEL_NATURAL),
            "rooms": len(all_rooms),
            "officers and auxiliaries": len(report.officer_ids),
            "postings": len(self.demo.postings),
            "visit logs": len(self.demo.visits),
        }
        report.rooms_by_kind = dict(Counter(labels.room_kind(r.kind) for r in all_rooms))
        try:
            coverage = (
                await c.call("rooms", c.rooms.GetCoverageReport, rooms.GetCoverageReportRequest())
            ).coverage_report
            report.coverage_gaps = dict(Counter(g.finding for g in coverage.gaps))
            report.examples += [
                f"{g.finding}: {g.name or g.village_id or g.room_id}" for g in coverage.gaps[:2]
            ]
        except CliError as error:
            if error.status != "UNIMPLEMENTED":
                raise
            report.skipped.append("coverage report: not implemented")
        try:
            findings = await c.call(
                "personnel",
                c.personnel.ListStaffingFindings,
                per.ListStaffingFindingsRequest(
                    status=per.STAFFING_FINDING_STATUS_OPEN, page=common_pb2.PageRequest(page_size=500)
                ),
            )
            report.findings_by_kind = dict(
                Counter(labels.finding_kind(f.kind) for f in findings.staffing_findings)
            )
            seen: set[int] = set()
            for f in findings.staffing_findings:
                if f.kind not in seen:
                    seen.add(f.kind)
                    report.examples.append(f"{labels.finding_kind(f.kind)}: {f.detail}")
        except CliError as error:
            if error.status != "UNIMPLEMENTED":
                raise
            report.skipped.append("staffing findings: not implemented")
        rota = next((r for r in self.demo.rotas if r.room_key == self.demo.rooms[0].key), None)
        if rota is not None:
            try:
                gaps = await c.call(
                    "rooms",
                    c.rooms.GetRotaGaps,
                    rooms.GetRotaGapsRequest(
                        room_id=report.room_ids[rota.room_key],
                        period=common_pb2.DateRange(
                            start=local_date_to_proto(rota.start), end=local_date_to_proto(rota.end)
                        ),
                    ),
                )
                report.rota_gap_days = [labels.local_date(d) for d in gaps.uncovered_days]
            except CliError as error:
                if error.status != "UNIMPLEMENTED":
                    raise


def loader(
    clients: Clients,
    secret: str,
    today: date | None = None,
    random_seed: int = 20261122,
    *,
    status_targets: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Loader:
    """The loader of the demo district for the clients' district (``make run`` drives its steps)."""
    demo = build(clients.target.district, today or date.today(), random_seed)
    return Loader(clients, demo, secret, status_targets=status_targets, progress=progress)


async def seed(
    clients: Clients,
    secret: str,
    today: date | None = None,
    random_seed: int = 20261122,
    *,
    status_targets: Mapping[str, str] | None = None,
) -> SeedReport:
    """Build the demo district for the clients' district and load it; answers what is there once the
    services are caught up."""
    return await loader(clients, secret, today, random_seed, status_targets=status_targets).run()


def report_lines(report: SeedReport) -> list[str]:
    """A short human summary, as `make run` prints it."""
    counts = "，".join(f"{k} {v}" for k, v in report.counts.items())
    lines = [f"demo district {report.district}: {counts}"]
    lines.append("rooms by kind: " + "，".join(f"{k} {v}" for k, v in sorted(report.rooms_by_kind.items())))
    if report.coverage_gaps:
        lines.append(
            "coverage gaps (R-ROOM-4): " + "，".join(f"{k} {v}" for k, v in report.coverage_gaps.items())
        )
    if report.findings_by_kind:
        lines.append(
            "open staffing findings: " + "，".join(f"{k} {v}" for k, v in report.findings_by_kind.items())
        )
    if report.rota_gap_days:
        lines.append("rota gaps (R-ROOM-6): " + ", ".join(report.rota_gap_days))
    lines += [f"  e.g. {e}" for e in report.examples[:6]]
    lines += [f"skipped — {s}" for s in report.skipped]
    return lines


async def seed_command(clients: Clients, args: argparse.Namespace) -> TableResult:
    secret = signing_secret()
    if secret is None:
        raise CliError(
            "demo seed signs credentials for the demo officers: set JINGWU_AUTH_SECRET "
            "(locally `make run` writes .data/auth-secret)",
            EXIT_CREDENTIAL,
        )
    report = await seed(clients, secret, random_seed=args.seed)
    rows: list[Sequence[str]] = [[k, str(v)] for k, v in report.counts.items()]
    rows += [[f"警务室·{k}", str(v)] for k, v in sorted(report.rooms_by_kind.items())]
    rows += [[f"覆盖缺口·{k}", str(v)] for k, v in report.coverage_gaps.items()]
    rows += [[f"问题·{k}", str(v)] for k, v in report.findings_by_kind.items()]
    data = {
        "district": report.district,
        "counts": report.counts,
        "rooms_by_kind": report.rooms_by_kind,
        "coverage_gaps": report.coverage_gaps,
        "findings_by_kind": report.findings_by_kind,
        "rota_gap_days": report.rota_gap_days,
        "skipped": report.skipped,
    }
    return TableResult(
        f"演示数据 demo district {report.district}", ["项目", "数量"], rows, data, report_lines(report)[-8:]
    )
