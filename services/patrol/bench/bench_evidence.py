"""Patrol evidence benchmark (not a test, R-PAT-6): a day of 1 Hz fixes for each of N vehicles (86,400
fixes each), and the day's evidence computed from it — mileage with teleports and jitter filtered,
time in zone, presence at six planned hot-spot slots, two mobile-room stops for every tenth vehicle —
exactly as the daily schedule computes it (jingwu_patrol.domain.evidence.compute). Also the patrol
side of fetching a track: decoding telemetry's GetTrack pages (5,000 LocationFix a page) into a Track.

    PYTHONPATH=services/patrol/src .venv/bin/python services/patrol/bench/bench_evidence.py \\
        [--vehicles 500] [--processes 1] [--json out.json]

Tracks are generated per vehicle in the worker (not timed) and dropped after: memory stays at one
vehicle-day per process. docs/benchmarks.md records the results.
"""
# ruff: noqa: T201, S311 - a script: it prints, and its randomness is synthetic data

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_patrol.domain.evidence import DayInputs, PlannedSlot, StopRules, Subject, SubjectKind, compute
from jingwu_patrol.domain.geo import GeoPoint, metres_per_degree
from jingwu_patrol.domain.hotspots import HotSpot, HotSpotKind
from jingwu_patrol.domain.slots import day_window
from jingwu_patrol.domain.territory import MobileStop
from jingwu_patrol.domain.tracks import Track, TrackFilter

DAY = date(2026, 3, 3)
LON0, LAT0 = 116.98, 33.63
KX, KY = metres_per_degree(LAT0)
SECONDS = 86_400
PAGE = 5_000


def day_of_fixes(seed: int) -> tuple[Track, list[tuple[float, float]], float]:
    """One vehicle's day: parked with 4 m scatter overnight and between drives, drives at 20–50 km/h on
    a random heading walk, a 10-minute signal gap, one spike in a thousand fixes. Answers the track,
    the hot spots' positions it passes (metres from the origin) and the distance truly driven (m)."""
    rng = random.Random(seed)
    start = day_window(DAY)[0].timestamp()
    track = Track()
    x = rng.uniform(0, 20_000)
    y = rng.uniform(0, 20_000)
    heading = rng.uniform(0, 2 * math.pi)
    moving_until = 0
    speed = 0.0
    spots = []
    gap_from = rng.randrange(10 * 3600, 20 * 3600)
    driven = 0.0
    t = 0
    while t < SECONDS:
        hour = t // 3600
        if t >= moving_until and 7 <= hour < 23 and rng.random() < 0.0008:
            moving_until = t + rng.randrange(300, 2400)
            speed = rng.uniform(5.5, 14)
            heading = rng.uniform(0, 2 * math.pi)
        if t < moving_until:
            heading += rng.gauss(0, 0.03)
            x += speed * math.cos(heading)
            y += speed * math.sin(heading)
            driven += speed
            if rng.random() < 0.0005 and len(spots) < 6:
                spots.append((x, y))
        if gap_from <= t < gap_from + 600:
            t += 1
            continue  # the device is silent; the vehicle is not
        px, py = x + rng.gauss(0, 4), y + rng.gauss(0, 4)
        if rng.random() < 0.001:
            px += rng.uniform(-5000, 5000)
            py += rng.uniform(-5000, 5000)
        track.append(start + t, LON0 + px / KX, LAT0 + py / KY)
        t += 1
    while len(spots) < 6:
        spots.append((x, y))
    return track, spots, driven


def inputs_for(vehicle: int, track: Track, spots: list[tuple[float, float]]) -> DayInputs:
    start, end = day_window(DAY)
    planned = []
    for index, (sx, sy) in enumerate(spots):
        spot = HotSpot(
            f"hs-{vehicle}-{index}",
            "热点",
            HotSpotKind.PLACE,
            "01020301",
            location=GeoPoint(LON0 + sx / KX, LAT0 + sy / KY),
            radius_m=150,
        )
        slot_start = start + timedelta(hours=8 + 2 * index)
        planned.append(
            PlannedSlot(
                "p-1", spot.hotspot_id, spot.shape(), slot_start, slot_start + timedelta(hours=1), 0, 60, 20
            )
        )
    room = vehicle % 10 == 0
    stops = (
        (
            MobileStop(
                "s-1", "广场", GeoPoint(LON0 + spots[0][0] / KX, LAT0 + spots[0][1] / KY), 50, 8 * 60, 12 * 60
            ),
            MobileStop(
                "s-2",
                "夜市",
                GeoPoint(LON0 + spots[1][0] / KX, LAT0 + spots[1][1] / KY),
                50,
                18 * 60,
                21 * 60,
            ),
        )
        if room
        else ()
    )
    return DayInputs(
        subject=Subject(
            SubjectKind.VEHICLE, f"v-{vehicle}", f"d-{vehicle}", "01020301", room_id="room-m" if room else ""
        ),
        day=DAY,
        track=track,
        zone_stays={"01020301": [(start.timestamp(), end.timestamp())]},
        zone_entries={"01020301": 1},
        planned=planned,
        stops=stops,
        stop_stays={"s-1": [(start.timestamp() + 8.5 * 3600, start.timestamp() + 11 * 3600)]} if room else {},
        officer_ids=("o-1", "o-2"),
    )


def one_vehicle(vehicle: int) -> tuple[float, float, int, float, float, float]:
    """(generation s, evidence s, fixes, mileage km, km truly driven, naive km) of one vehicle-day."""
    began = time.perf_counter()
    track, spots, driven = day_of_fixes(vehicle)
    inputs = inputs_for(vehicle, track, spots)
    generated = time.perf_counter()
    evidence = compute(inputs, track_filter=TrackFilter(), stop_rules=StopRules(), now=datetime.now(UTC))
    done = time.perf_counter()
    return (
        generated - began,
        done - generated,
        evidence.fix_count,
        evidence.mileage_km,
        driven / 1000,
        evidence.raw_mileage_km,
    )


def decode_pages(track: Track) -> float:
    """Seconds for patrol's telemetry client to turn one day of GetTrack pages into a Track."""
    pages = []
    for first in range(0, len(track), PAGE):
        reply = telemetry_pb2.GetTrackResponse()
        for i in range(first, min(first + PAGE, len(track))):
            at = track.times[i]
            reply.fixes.append(
                telemetry_pb2.LocationFix(
                    district_code="01",
                    device_id="d-1",
                    device_kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
                    position=common_pb2.GeoPoint(longitude=track.lons[i], latitude=track.lats[i]),
                    speed_kmh=30.0,
                    fix_time=Timestamp(seconds=int(at), nanos=int((at % 1) * 1e9)),
                    status_flags=3,
                    mileage_km=1234.5,
                )
            )
        pages.append(reply.SerializeToString())
    began = time.perf_counter()
    out = Track()
    for page in pages:
        for fix in telemetry_pb2.GetTrackResponse.FromString(page).fixes:
            at = fix.fix_time.seconds + fix.fix_time.nanos / 1e9
            if not out.times or at > out.times[-1]:
                out.append(at, fix.position.longitude, fix.position.latitude)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--vehicles", type=int, default=500)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    cores, load = os.cpu_count(), os.getloadavg()
    print(f"python {platform.python_version()} on {platform.machine()}, {cores} cores, load {load}")
    wall = time.perf_counter()
    if args.processes > 1:
        with ProcessPoolExecutor(args.processes) as pool:
            results = list(pool.map(one_vehicle, range(args.vehicles), chunksize=4))
    else:
        results = []
        for vehicle in range(args.vehicles):
            results.append(one_vehicle(vehicle))
            if (vehicle + 1) % 50 == 0:
                print(f"  {vehicle + 1} vehicles, {time.perf_counter() - wall:.0f} s", flush=True)
    wall = time.perf_counter() - wall
    evidence_s = [r[1] for r in results]
    fixes = sum(r[2] for r in results)
    track, _, _ = day_of_fixes(1)
    decode_s = decode_pages(track)
    figures = {
        "vehicles": args.vehicles,
        "processes": args.processes,
        "fixes": fixes,
        "wall_s": round(wall, 1),
        "generation_s_total": round(sum(r[0] for r in results), 1),
        "evidence_s_total": round(sum(evidence_s), 1),
        "evidence_ms_per_vehicle_p50": round(statistics.median(evidence_s) * 1000, 1),
        "evidence_ms_per_vehicle_p95": round(sorted(evidence_s)[int(0.95 * (len(evidence_s) - 1))] * 1000, 1),
        "evidence_fixes_per_s_per_process": round(fixes / sum(evidence_s)),
        "mileage_km_mean": round(statistics.mean(r[3] for r in results), 1),
        "driven_km_mean": round(statistics.mean(r[4] for r in results), 1),
        "mileage_error_pct_mean": round(
            statistics.mean(100 * (r[3] - r[4]) / r[4] for r in results if r[4]), 2
        ),
        "mileage_error_pct_worst": round(
            max((100 * abs(r[3] - r[4]) / r[4] for r in results if r[4]), default=0.0), 2
        ),
        "decode_one_day_of_gettrack_pages_s": round(decode_s, 2),
        "load_after": os.getloadavg(),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
