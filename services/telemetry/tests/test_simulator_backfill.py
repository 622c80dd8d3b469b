"""The simulator's backfill of a past day (sim.day_track, sim.backfill), pure parts: a vehicle that
follows its plan dwells at every hot spot for the required minutes inside the slot, one that misses it
does not; the tracks are plausible drives (speeds, no jumps, whole-second times in the district's day)
that patrol's own track filter keeps whole (R-PAT-6); the 0x0704 batches fit one frame each and the
terminal's pacing stays under the gateway's rate limit. And once through the real gateway: the day's
fixes reach the fixes topic as stored fixes (blind-area backfill) of yesterday."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_cli.demo_data import build as build_demo
from jingwu_cli.demo_patrol import Itinerary, Waypoint
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.testing import read_topic
from jingwu_telemetry.domain.fix_rules import DEFAULT_RULES, distance_m, implausible_jump
from jingwu_telemetry.gateway.jt808_server import Jt808Limits
from jingwu_telemetry.gateway.ratelimit import TokenBucket
from jingwu_telemetry.jt808 import BatchKind, BatchUpload, Revision
from jingwu_telemetry.sim.backfill import (
    BackfillConfig,
    FramePacer,
    backfill,
    batches,
    plan_days,
    reports_of,
)
from jingwu_telemetry.sim.day_track import StoredFix, day_track, slot_window
from jingwu_telemetry.sim.fleet import ProvisionedVehicle, Provisioner
from jingwu_telemetry.sim.routes import Route, vehicle_routes
from jingwu_telemetry.sim.terminal import TerminalIdentity

from .conftest import Stack

DAY = date(2026, 11, 21)


def patrol_route() -> Route:
    """The demo district's first patrol vehicle (after the two mobile rooms' vehicles)."""
    return vehicle_routes(build_demo("01", DAY), 3)[2]


def waypoints(route: Route, minutes: int = 20) -> list[Waypoint]:
    """Three hot spots at the communities of the route's station: 09:00–10:00, and two slots one after
    the other in the evening, 19:00–20:00 and 20:00–21:00 (the day has an off-duty gap between)."""
    demo = build_demo("01", DAY)
    places = [v for v in demo.villages if v.station_id == route.station_id and not v.natural][:3]
    slots = ((9 * 60, 10 * 60), (19 * 60, 20 * 60), (20 * 60, 21 * 60))
    return [
        Waypoint(f"hs-{n}", v.lon, v.lat, 150.0, DAY, start, end, minutes)
        for n, (v, (start, end)) in enumerate(zip(places, slots, strict=True))
    ]


def present_minutes(fixes: list[StoredFix], waypoint: Waypoint) -> int:
    """Distinct minutes of the slot with a fix at the hot spot, as patrol counts presence."""
    start, end = slot_window(waypoint)
    return len(
        {
            int((f.at - start).total_seconds() // 60)
            for f in fixes
            if start <= f.at < end
            and distance_m(f.latitude, f.longitude, waypoint.latitude, waypoint.longitude)
            <= waypoint.radius_m
        }
    )


def assert_plausible(fixes: list[StoredFix], route: Route) -> None:
    times = [f.at for f in fixes]
    assert times == sorted(set(times)), "strictly increasing"
    assert all(t.microsecond == 0 for t in times), "whole seconds (BCD time)"
    assert {t.astimezone(DISTRICT_ZONE).date() for t in times} == {DAY}
    for a, b in itertools.pairwise(fixes):
        metres = distance_m(a.latitude, a.longitude, b.latitude, b.longitude)
        seconds = (b.at - a.at).total_seconds()
        # Under the distance below which telemetry never calls a move a jump.
        assert metres < DEFAULT_RULES.jump_floor_m, f"{metres:.0f} m from {a.at} to {b.at}"
        assert metres / seconds * 3.6 < 60 or metres < 15, f"{metres:.0f} m in {seconds:.0f} s"
        assert implausible_jump((a.latitude, a.longitude, a.at), b.latitude, b.longitude, b.at) == ""
        assert seconds <= 30 or metres < 15, "a gap only where the vehicle is parked off duty"
    assert all(0 <= f.speed_kmh <= route.speed_kmh + 0.5 for f in fixes)
    assert max(f.speed_kmh for f in fixes) > 20
    assert [f.mileage_km for f in fixes] == sorted(f.mileage_km for f in fixes)


def test_a_vehicle_following_its_plan_dwells_at_every_hot_spot_for_the_minutes_required() -> None:
    route = patrol_route()
    planned = waypoints(route)
    fixes = day_track(
        planned, follow=True, home=route.legs[0].start, loop=route, speed_kmh=route.speed_kmh, seed="a"
    )
    for waypoint in planned:
        assert present_minutes(fixes, waypoint) >= waypoint.minutes, waypoint.hotspot_id
    assert_plausible(fixes, route)
    # On duty from half an hour before the first slot; off duty (no fixes) between morning and evening.
    first = fixes[0].at.astimezone(DISTRICT_ZONE)
    assert (first.hour, first.minute) == (8, 28)
    gaps = [(b.at - a.at) for a, b in itertools.pairwise(fixes)]
    assert max(gaps) > timedelta(hours=7)
    assert 500 < len(fixes) < 1500  # sized for a quick backfill
    again = day_track(
        planned, follow=True, home=route.legs[0].start, loop=route, speed_kmh=route.speed_kmh, seed="a"
    )
    assert again == fixes  # reproducible: a second backfill stores nothing new


def test_a_vehicle_missing_its_plan_is_at_no_hot_spot_long_enough() -> None:
    route = patrol_route()
    planned = waypoints(route)
    fixes = day_track(
        planned, follow=False, home=route.legs[0].start, loop=route, speed_kmh=route.speed_kmh, seed="b"
    )
    for waypoint in planned:
        # A brief stop (a third of the time) with the drive in and out: there, but too briefly.
        assert 0 < present_minutes(fixes, waypoint) < waypoint.minutes, waypoint.hotspot_id
    assert_plausible(fixes, route)
    short = waypoints(route, minutes=3)  # too short for a brief stop that still falls short: stays away
    fixes = day_track(short, follow=False, home=route.legs[0].start, loop=route, seed="b")
    assert all(present_minutes(fixes, w) == 0 for w in short)
    assert day_track([], follow=True, home=route.legs[0].start) == []


def test_patrols_track_filter_keeps_the_backfilled_day_whole() -> None:
    tracks = pytest.importorskip("jingwu_patrol.domain.tracks")
    route = patrol_route()
    fixes = day_track(
        waypoints(route), follow=True, home=route.legs[0].start, loop=route, speed_kmh=route.speed_kmh
    )
    track = tracks.Track()
    for f in fixes:
        track.append(f.at.timestamp(), f.longitude, f.latitude)
    measured = tracks.measure(track, tracks.TrackFilter())
    assert measured.outlier_count == 0 and measured.relocation_count == 0
    # The filtered mileage is about the distance driven (the trip meter): the parked scatter taken out,
    # a few metres lost at each street corner to the smoothing.
    assert measured.mileage_m / 1000 == pytest.approx(fixes[-1].mileage_km, rel=0.1)
    assert measured.mileage_m / 1000 < fixes[-1].mileage_km
    assert measured.raw_mileage_m > measured.mileage_m


def test_itineraries_are_driven_by_the_fleets_vehicle_of_their_device() -> None:
    route = patrol_route()
    identity = TerminalIdentity("13901000003", "S010003", "皖L·S01003", revision=Revision.R2019)
    fleet = [ProvisionedVehicle(identity, "dev-3", route)]
    plans = [
        Itinerary("veh-1", "dev-3", True, tuple(waypoints(route))),
        Itinerary("veh-2", "dev-unknown", True, tuple(waypoints(route))),
        Itinerary("veh-3", "dev-3", False, ()),  # nothing planned: nothing to upload
    ]
    days, unknown = plan_days(plans, fleet)
    assert [(d.device_id, d.follow, d.identity) for d in days] == [("dev-3", True, identity)]
    assert unknown == ["dev-unknown"]
    assert days[0].fixes[0].at.astimezone(DISTRICT_ZONE).date() == DAY


def test_stored_fixes_go_in_batches_of_one_frame_each_in_order() -> None:
    route = patrol_route()
    fixes = day_track(waypoints(route), follow=True, home=route.legs[0].start, loop=route)
    reports = reports_of(fixes)
    cut = batches(reports)
    assert [r for batch in cut for r in batch] == reports
    for batch in cut:
        body = BatchUpload(BatchKind.BACKFILL, tuple(batch)).encode(Revision.R2013)
        assert len(body) <= 1023  # no sub-packaging
        assert BatchUpload.decode(body, Revision.R2013).reports == tuple(batch)
    assert len(cut[0]) == 26  # 39 bytes a report with the simulator's two additional items
    first = reports[0]
    assert first.device_time_utc() == fixes[0].at
    assert first.latitude_e6 == round(fixes[0].latitude * 1e6)


def test_the_terminals_pacing_stays_under_the_gateways_rate_limit() -> None:
    now = [0.0]
    pacer = FramePacer(15.0, 100.0, clock=lambda: now[0])
    limits = Jt808Limits()  # the gateway's: 20 frames a second, bursts of 200
    gateway = TokenBucket(rate=limits.rate, burst=limits.burst)
    for _ in range(2000):  # a terminal sending as fast as its pacer lets it
        now[0] += pacer.reserve()
        assert gateway.take(now[0]), f"dropped at {now[0]:.2f} s"
    assert now[0] == pytest.approx((2000 - 100) / 15.0, rel=0.01)


@pytest.mark.integration
async def test_a_backfilled_day_goes_through_the_gateway_as_stored_fixes(
    stack: Stack, kafka_bootstrap: str, auth_secret: str
) -> None:
    route = patrol_route()
    provisioner = Provisioner(f"127.0.0.1:{stack.port}", auth_secret, stack.district)
    fleet = await provisioner.provision([route], {})
    # Provisioning again (the simulator does, after make run's patrol demo) gives the same terminal.
    assert await provisioner.provision([route], {}) == fleet
    yesterday = datetime.now(DISTRICT_ZONE).date() - timedelta(days=1)
    planned = [replace(w, day=yesterday) for w in waypoints(route)[:1]]
    plan = Itinerary("veh-1", fleet[0].device_id, True, tuple(planned))
    report = await backfill([plan], fleet, BackfillConfig(gateway=("127.0.0.1", stack.jt808.port)))
    assert report.vehicles == 1 and report.fixes > 200 and report.batches == -(-report.fixes // 26)
    assert stack.jt808.counters.refused.get("rate_limited", 0) == 0
    records = await read_topic(
        kafka_bootstrap,
        f"jingwu.{stack.district}.telemetry.fixes.v1",
        until=lambda rs: len(rs) >= report.fixes,
    )
    fixes = [telemetry_pb2.LocationFix.FromString(r.value or b"") for r in records]
    assert {f.source for f in fixes} == {telemetry_pb2.FIX_SOURCE_JT808_BACKFILL}
    assert {f.device_id for f in fixes} == {fleet[0].device_id}
    days = {f.fix_time.ToDatetime(UTC).astimezone(DISTRICT_ZONE).date() for f in fixes}
    assert days == {yesterday}
