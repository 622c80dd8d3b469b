"""Simulated tracks → telemetry → patrol evidence → personnel assessment, every service its own process
(R-PAT-6: vehicle patrol tracks are the evidence for assessment; R-PER-11: assessment counts duty
performance from platform data, ranked automatically; R-PAT-2 plans with hot-spot slots; R-TEL-1..2
vehicles speak JT/T 808).

The room registry holds a station and a zone with its outline; telemetry's registry provisions two
patrol-vehicle terminals; patrol has a vehicle per terminal in that zone, each crewed by one officer of
personnel, and for yesterday a plan per vehicle: 20 of the 30 minutes of 10:00–10:30 at hot spot 1 and
of 15:00–15:30 at hot spot 2. The evening after, both terminals were out of coverage: the day's evidence
is computed with no track (compliance 0, revision 1). Then each terminal — the simulator's own JT/T 808
``Terminal`` — connects to the city's JT/T 808 gateway, registers, authenticates and uploads its stored
fixes (0x0704 blind-area backfill) with yesterday's device times: vehicle A circled both hot spots in
their slots, vehicle B the first one only and was elsewhere in the zone during the second. Telemetry's
fix consumer stores the tracks and derives the zone crossings; patrol recomputes the day on demand
(ComputePatrolEvidence, revision 2) and publishes PatrolEvidenceComputed; personnel keeps the highest
revision. The month's assessment (ComputeAssessments, GetAssessment, ListRankings), computed before and
after the backfill, shows the ``patrol_duty`` indicator with the evidence's figures, a total that moves
with it, and A ranked above B. Every wait is on GetStatus caught up (both processes of each hop), not on
a sleep; the gateway, which has no status, is waited for by the terminal's registration being answered.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import grpc
import pytest
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2, patrol_pb2_grpc
from jingwu.personnel.v1 import personnel_pb2, personnel_pb2_grpc
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc
from jingwu_devstack.procs import ProcessSpec, Supervisor, all_ready, free_port, log_ready, tcp_ready
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.proto_values import local_date_to_proto
from jingwu_platform.testing import token_for, wait_caught_up, wait_until
from jingwu_telemetry.jt808 import BatchKind, LocationReport, RegistrationResult, Result
from jingwu_telemetry.sim.fleet import terminal_phone
from jingwu_telemetry.sim.reports import report_at
from jingwu_telemetry.sim.terminal import Terminal, TerminalIdentity

from .conftest import BIN, StartService

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

STATION = "st-bianhe"
ZONE_CENTRE = (116.970, 33.630)
ZONE_HALF_DEG = 0.01  # about 1.9 km × 2.2 km
HOT_SPOT_1 = (116.965, 33.626)
HOT_SPOT_2 = (116.975, 33.634)
ELSEWHERE = (116.963, 33.636)  # in the zone, over a kilometre from hot spot 2
HOT_SPOT_RADIUS_M = 150.0
SLOTS = ((10 * 60, 10 * 60 + 30), (15 * 60, 15 * 60 + 30))  # local minutes, one per hot spot
REQUIRED_MINUTES = 20
LEADER_SCORE = 80.0
# A leg: circling a point at 100 m for 3 minutes before its slot until 3 minutes after, a fix every 10 s.
LEG_LEAD_S = 180
LEG_LENGTH_S = 36 * 60
FIX_EVERY_S = 10
CIRCLE_M = 100.0
SPEED_KMH = 18.0


StartGateway = Callable[[str, str], int]


@pytest.fixture
def start_jt808_gateway(
    devstack_processes: Supervisor, kafka_bootstrap: str, auth_secret: str, tmp_path: Path
) -> Iterator[StartGateway]:
    """``jingwu-jt808-gateway`` (a city process) routing the district's terminals to its registry, as
    ``make run`` starts it (jingwu_devstack.run.city_specs); returns its TCP port."""

    def start(district: str, registry_target: str) -> int:
        port = free_port()
        log_path = tmp_path / "jt808-gateway.log"
        env = {
            "JINGWU_GATEWAY_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "JINGWU_GATEWAY_REGISTRY_TARGETS": f'{{"{district}": "{registry_target}"}}',
            "JINGWU_GATEWAY_AUTH_SECRET": auth_secret,
            "JINGWU_GATEWAY_JT808_HOST": "127.0.0.1",
            "JINGWU_GATEWAY_JT808_PORT": str(port),
            "JINGWU_GATEWAY_LINGER_MS": "2",
        }
        devstack_processes.start(
            ProcessSpec(
                name=f"jt808-gateway-{district}",
                argv=[str(BIN / "jingwu-jt808-gateway")],
                log_path=log_path,
                env=env,
                ports=[port],
                ready=all_ready(tcp_ready(port), log_ready(log_path, " ready")),
                ready_timeout=60.0,
            )
        )
        return port

    yield start


def point(lon: float, lat: float) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(longitude=lon, latitude=lat)


def square(lon: float, lat: float, half: float) -> common_pb2.Polygon:
    corners = [(lon - half, lat - half), (lon + half, lat - half), (lon + half, lat + half)]
    corners += [(lon - half, lat + half), (lon - half, lat - half)]
    return common_pb2.Polygon(rings=[common_pb2.LinearRing(points=[point(x, y) for x, y in corners])])


def circling(centre: tuple[float, float], slot: tuple[int, int], day: date) -> list[LocationReport]:
    """Stored reports of a leg around ``centre`` (the simulator's report_at), device times of ``day``."""
    lon0, lat0 = centre
    metres_lon = 111_320.0 * math.cos(math.radians(lat0))
    start = datetime.combine(day, time(), DISTRICT_ZONE) + timedelta(minutes=slot[0], seconds=-LEG_LEAD_S)
    speed_mps = SPEED_KMH / 3.6
    reports = []
    for seconds in range(0, LEG_LENGTH_S + 1, FIX_EVERY_S):
        angle = speed_mps * seconds / CIRCLE_M
        lon = lon0 + CIRCLE_M * math.cos(angle) / metres_lon
        lat = lat0 + CIRCLE_M * math.sin(angle) / 110_950.0
        heading = round(math.degrees(-angle)) % 360
        at = (start + timedelta(seconds=seconds)).astimezone(UTC)
        reports.append(report_at(lat, lon, at, speed_kmh=SPEED_KMH, heading=heading))
    return reports


@dataclass(frozen=True)
class Crew:
    """A patrol vehicle, its terminal and the officer driving it."""

    officer_id: str
    vehicle_id: str
    identity: TerminalIdentity
    legs: tuple[tuple[float, float], ...]  # where it circled in each of SLOTS


async def crewed_vehicle(
    registry: telemetry_pb2_grpc.TelemetryServiceAsyncStub,
    patrol: patrol_pb2_grpc.PatrolServiceAsyncStub,
    district: str,
    n: int,
    zone_code: str,
    officer_id: str,
    spots: Sequence[str],
    legs: tuple[tuple[float, float], ...],
    day: date,
) -> Crew:
    """Patrol vehicle ``n`` of the zone on a JT/T 808 terminal (R-PAT-1, R-TEL-2), crewed by
    ``officer_id``, with the day's plan: one section per hot spot in ``spots``, in its slot of SLOTS
    (R-PAT-2); ``legs`` is where it will circle in each."""
    identity = TerminalIdentity(terminal_phone(district, n), f"E{district}{n:04d}", f"皖L·E{district}{n:02d}")
    device = (
        await registry.RegisterDevice(
            telemetry_pb2.RegisterDeviceRequest(
                kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
                jt808=telemetry_pb2.Jt808Terminal(terminal_phone=identity.phone, plate=identity.plate),
                zone_code=zone_code,
                request_id=f"terminal-{n}",
            )
        )
    ).device
    vehicle = (
        await patrol.RegisterVehicle(
            patrol_pb2.RegisterVehicleRequest(
                plate=identity.plate,
                zone_code=zone_code,
                device_id=device.device_id,
                officer_ids=[officer_id],
                request_id=f"vehicle-{n}",
            )
        )
    ).vehicle
    await patrol.CreatePatrolPlan(
        patrol_pb2.CreatePatrolPlanRequest(
            zone_code=zone_code,
            vehicle_id=vehicle.vehicle_id,
            period=common_pb2.DateRange(start=local_date_to_proto(day), end=local_date_to_proto(day)),
            officer_ids=[officer_id],
            sections=[
                patrol_pb2.PlannedSection(
                    hotspot_id=spot_id,
                    slot=patrol_pb2.TimeSlot(start_minute=start, end_minute=end),
                    required_minutes=REQUIRED_MINUTES,
                )
                for spot_id, (start, end) in zip(spots, SLOTS, strict=True)
            ],
            request_id=f"plan-{n}-{day.isoformat()}",
        )
    )
    return Crew(officer_id, vehicle.vehicle_id, identity, legs)


async def backfill(crew: Crew, gateway_port: int, day: date) -> int:
    """The terminal back in coverage: register (until the gateway's directory knows the phone),
    authenticate, then upload each leg's stored fixes with 0x0704. Returns the fixes sent."""
    terminal = Terminal(crew.identity, "127.0.0.1", gateway_port, timeout_s=20)
    await terminal.connect()
    try:

        async def registered() -> bool:
            answer = await terminal.register()
            assert answer.result in (RegistrationResult.SUCCESS, RegistrationResult.TERMINAL_NOT_FOUND)
            return answer.result == RegistrationResult.SUCCESS

        await wait_until(registered, what=f"gateway registering terminal {crew.identity.phone}")
        assert await terminal.authenticate() == Result.SUCCESS
        sent = 0
        for centre, slot in zip(crew.legs, SLOTS, strict=True):
            reports = circling(centre, slot, day)
            assert await terminal.batch(reports, BatchKind.BACKFILL) == Result.SUCCESS
            sent += len(reports)
        return sent
    finally:
        await terminal.close()


def period_of(day: date) -> personnel_pb2.AssessmentPeriod:
    return personnel_pb2.AssessmentPeriod(
        kind=personnel_pb2.PERIOD_KIND_MONTHLY, year=day.year, index=day.month
    )


def indicators(assessment: personnel_pb2.Assessment) -> dict[str, tuple[float, float, float]]:
    return {i.code: (i.raw_value, i.score, i.weight) for i in assessment.indicators}


def explained_total(assessment: personnel_pb2.Assessment) -> float:
    """The total from its parts, as the district's standard combines them (R-PER-11)."""
    standard = DistrictPolicy().assessment
    data = sum(i.score * i.weight for i in assessment.indicators)
    rated = sum(r.average_score * r.weight for r in assessment.ratings)
    return round(standard.data_share * data + standard.ratings_share * rated, 2)


async def assessments(
    personnel: personnel_pb2_grpc.PersonnelServiceAsyncStub, day: date, crews: Sequence[Crew]
) -> tuple[dict[str, personnel_pb2.Assessment], list[tuple[str, int, float]]]:
    """The month computed now: each crew officer's assessment (GetAssessment) and the station's ranking."""
    period = period_of(day)
    await personnel.ComputeAssessments(personnel_pb2.ComputeAssessmentsRequest(period=period))
    found = {}
    for crew in crews:
        request = personnel_pb2.GetAssessmentRequest(officer_id=crew.officer_id, period=period)
        found[crew.officer_id] = (await personnel.GetAssessment(request)).assessment
    ranking = await personnel.ListRankings(
        personnel_pb2.ListRankingsRequest(period=period, station_id=STATION)
    )
    return found, [(e.officer_id, e.rank, e.total_score) for e in ranking.entries]


async def test_a_backfilled_track_becomes_patrol_evidence_and_moves_the_assessment(
    start_service: StartService,
    start_jt808_gateway: StartGateway,
    district: str,
    auth_secret: str,
    channels: list[grpc.aio.Channel],
) -> None:
    # The day is computed on demand; the services' own timers stay off so a 02:00 run (patrol's
    # evidence of the day before) or a month-end evaluation cannot land in between.
    on_demand = {"JINGWU_SCHEDULES": "cronjob"}
    rooms_service = start_service("rooms", district)
    personnel_service = start_service("personnel", district, env=on_demand)
    telemetry_service = start_service("telemetry", district)
    patrol_service = start_service(
        "patrol",
        district,
        env={
            **on_demand,
            "JINGWU_PATROL_ROOMS_TARGET": rooms_service.target,
            "JINGWU_PATROL_TELEMETRY_TARGET": telemetry_service.target,
        },
    )
    gateway_port = start_jt808_gateway(district, telemetry_service.target)
    everyone = [s.target for s in (rooms_service, personnel_service, telemetry_service, patrol_service)]
    chief = token_for(auth_secret, district, Role.DISTRICT_ADMIN, subject="chief-1")
    channels += [open_channel(target, chief) for target in everyone]
    rooms = rooms_pb2_grpc.RoomRegistryServiceStub(channels[0])
    personnel = personnel_pb2_grpc.PersonnelServiceStub(channels[1])
    registry = telemetry_pb2_grpc.TelemetryServiceStub(channels[2])
    patrol = patrol_pb2_grpc.PatrolServiceStub(channels[3])
    day = datetime.now(DISTRICT_ZONE).date() - timedelta(days=1)
    zone_code = f"{district}020301"

    # Territory (R-ORG-2), which patrol and telemetry take in from the room registry's events.
    await rooms.CreateStation(
        rooms_pb2.CreateStationRequest(
            station_id=STATION,
            name="汴河派出所",
            kind=rooms_pb2.STATION_KIND_URBAN,
            operating_model=rooms_pb2.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP,
            location=point(*ZONE_CENTRE),
        )
    )
    await rooms.CreateZone(
        rooms_pb2.CreateZoneRequest(
            zone_code=zone_code,
            community_name="汴河社区",
            station_id=STATION,
            workload=rooms_pb2.ZoneWorkload(actual_population=5200, area_km2=4.1, security_complexity=3),
            boundary=square(*ZONE_CENTRE, ZONE_HALF_DEG),
        )
    )
    # Two community officers of the station, each rated 80 by the leader this month (R-PER-11).
    officers = []
    for n, name in enumerate(("张卫东", "李建国"), start=1):
        officer = (
            await personnel.RegisterOfficer(
                personnel_pb2.RegisterOfficerRequest(
                    name=name,
                    roles=[personnel_pb2.OFFICER_ROLE_POLICE, personnel_pb2.OFFICER_ROLE_COMMUNITY_OFFICER],
                    branch=personnel_pb2.BRANCH_STATION,
                    station_id=STATION,
                    badge_number=f"06120{n}",
                    request_id=f"officer-{n}",
                )
            )
        ).officer
        await personnel.SubmitRating(
            personnel_pb2.SubmitRatingRequest(
                officer_id=officer.officer_id,
                period=period_of(day),
                source=personnel_pb2.RATING_SOURCE_LEADER,
                score=LEADER_SCORE,
                request_id=f"leader-rating-{n}",
            )
        )
        officers.append(officer.officer_id)
    await wait_caught_up(everyone, chief)  # patrol knows the zone (RegisterVehicle checks it)

    # Two patrol vehicles of the zone on JT/T 808 terminals (R-PAT-1, R-TEL-2), and yesterday's plans.
    spots = []
    for n, (lon, lat) in enumerate((HOT_SPOT_1, HOT_SPOT_2), start=1):
        spot = await patrol.CreateHotSpot(
            patrol_pb2.CreateHotSpotRequest(
                name=("汴河菜市场", "汴河夜市")[n - 1],
                kind=patrol_pb2.HOT_SPOT_KIND_PLACE,
                zone_code=zone_code,
                location=point(lon, lat),
                radius_m=HOT_SPOT_RADIUS_M,
                source="manual",
                request_id=f"hotspot-{n}",
            )
        )
        spots.append(spot.hotspot.hotspot_id)
    crews = []
    for n, (officer_id, legs) in enumerate(
        zip(officers, ((HOT_SPOT_1, HOT_SPOT_2), (HOT_SPOT_1, ELSEWHERE)), strict=True), start=1
    ):
        crews.append(
            await crewed_vehicle(registry, patrol, district, n, zone_code, officer_id, spots, legs, day)
        )

    async def evidence_of(crew: Crew) -> patrol_pb2.PatrolEvidence:
        request = patrol_pb2.ComputePatrolEvidenceRequest(
            vehicle_id=crew.vehicle_id, date=local_date_to_proto(day)
        )
        return (await patrol.ComputePatrolEvidence(request)).patrol_evidence

    # The day computed while the terminals were out of coverage: nothing met, revision 1.
    for crew in crews:
        silent = await evidence_of(crew)
        assert (silent.fix_count, silent.met_slot_count, silent.planned_slot_count) == (0, 0, 2)
        assert silent.compliance_ratio == 0.0 and silent.revision == 1
    await wait_caught_up(everyone, chief)  # personnel has taken the evidence in
    before, ranking_before = await assessments(personnel, day, crews)
    for crew in crews:
        assert indicators(before[crew.officer_id]) == {"patrol_duty": (1.0, 0.0, 1.0)}
        assert before[crew.officer_id].total_score == explained_total(before[crew.officer_id])
    assert {(officer, rank) for officer, rank, _ in ranking_before} == {(o, 1) for o in officers}

    # Back in coverage: each terminal uploads the day's stored fixes over JT/T 808.
    sent = {crew.officer_id: await backfill(crew, gateway_port, day) for crew in crews}
    # Telemetry stored them and published the zone crossings; patrol took the crossings in.
    await wait_caught_up(everyone, chief)
    evidence = {crew.officer_id: await evidence_of(crew) for crew in crews}
    first, second = (evidence[crew.officer_id] for crew in crews)
    for crew, day_evidence in zip(crews, (first, second), strict=True):
        assert list(day_evidence.officer_ids) == [crew.officer_id]
        assert day_evidence.revision == 2
        assert day_evidence.fix_count == sent[crew.officer_id] and day_evidence.outlier_fix_count == 0
        assert 0 < day_evidence.mileage_km <= day_evidence.raw_mileage_km
        # In the zone for both legs, each as long as the terminal was reporting (telemetry's crossings).
        assert day_evidence.time_in_zone.ToTimedelta() == pytest.approx(
            timedelta(seconds=2 * LEG_LENGTH_S), abs=timedelta(seconds=60)
        )
    coverage = {
        officer: [(c.hotspot_id, c.present_minutes, c.met) for c in e.hotspot_coverage]
        for officer, e in evidence.items()
    }
    # A fix every 10 s in every minute of a slot at the hot spot: all 30 minutes present.
    assert coverage[crews[0].officer_id] == [(spots[0], 30, True), (spots[1], 30, True)]
    assert coverage[crews[1].officer_id] == [(spots[0], 30, True), (spots[1], 0, False)]
    assert (first.compliance_ratio, second.compliance_ratio) == (1.0, 0.5)

    # PatrolEvidenceComputed (revision 2) relayed by patrol and consumed by personnel.
    await wait_caught_up(everyone, chief)
    after, ranking_after = await assessments(personnel, day, crews)
    for crew in crews:
        mine = after[crew.officer_id]
        ratio = evidence[crew.officer_id].compliance_ratio
        assert indicators(mine) == {"patrol_duty": (1.0, ratio * 100, 1.0)}
        assert [(r.source, r.average_score) for r in mine.ratings] == [
            (personnel_pb2.RATING_SOURCE_LEADER, LEADER_SCORE)
        ]
        assert mine.total_score == explained_total(mine) > before[crew.officer_id].total_score
    assert after[crews[0].officer_id].total_score > after[crews[1].officer_id].total_score
    assert [(officer, rank) for officer, rank, _ in ranking_after] == [(officers[0], 1), (officers[1], 2)]
    assert [total for _, _, total in ranking_after] == [after[officer].total_score for officer in officers]
