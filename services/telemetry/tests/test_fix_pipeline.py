"""The whole path on the real stack (R-PAT-6, R-ROOM-5, R-POP-7): JT/T 808 terminals and a handheld →
gateways → Kafka → the district's fix consumer → tracks, latest positions → zone and stop events
(stored, and published on jingwu.<district>.telemetry.v1) → the query RPCs; bad fixes to the
dead-letter topic with their reason, the stream going on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu.telemetry.v1 import events_pb2, telemetry_pb2
from jingwu_platform.events import new_event
from jingwu_platform.testing import produce_raw, read_topic, wait_until
from jingwu_telemetry.jt808 import Result
from jingwu_telemetry.sim.reports import report_at
from jingwu_telemetry.sim.terminal import Terminal, TerminalIdentity

from .conftest import Stack

pytestmark = pytest.mark.integration
ZONE_RING = [(116.97, 33.63), (116.98, 33.63), (116.98, 33.64), (116.97, 33.64), (116.97, 33.63)]
STOP = (116.998, 33.633)


def stamp(at: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(at)
    return value


async def publish_geography(stack: Stack, kafka_bootstrap: str) -> None:
    district = stack.district
    zone = rooms_pb2.Zone(
        zone_code=f"{district}020301",
        name="汴河社区",
        boundary=common_pb2.Polygon(
            rings=[
                common_pb2.LinearRing(
                    points=[common_pb2.GeoPoint(longitude=x, latitude=y) for x, y in ZONE_RING]
                )
            ]
        ),
    )
    stops = room_events.MobileStopsChanged(
        district_code=district,
        room_id="room-m1",
        stops=[
            rooms_pb2.MobileStop(
                stop_id="stop-1",
                name="火车站广场",
                location=common_pb2.GeoPoint(longitude=STOP[0], latitude=STOP[1]),
                radius_m=80,
            )
        ],
    )
    topic = f"jingwu.{district}.rooms.v1"
    for payload, key in (
        (room_events.ZoneCreated(district_code=district, zone=zone), zone.zone_code),
        (stops, "room-m1"),
    ):
        event = new_event(payload, key=key, district=district, service="rooms")
        await produce_raw(kafka_bootstrap, topic, event.payload, key.encode(), event.headers())
    view = stack.telemetry.geography
    await wait_until(lambda: len(view.zones) == 1 and len(view.stops) == 1, what="zones and stops taken in")


@pytest.mark.parametrize("stack", [{"consume_fixes": True}], indirect=True)
async def test_fixes_become_tracks_latest_positions_zone_and_stop_events_and_queries(
    stack: Stack, kafka_bootstrap: str
) -> None:
    await publish_geography(stack, kafka_bootstrap)
    identity = TerminalIdentity("13900000061", "T000061", "皖L00061")
    device = await stack.provision_terminal(
        identity.phone, identity.plate, room_id="room-m1", vehicle_id="veh-61"
    )
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    # South of the zone → inside it → out to the stop (parked 10 min) → away.
    path = [
        (33.625, 116.975, 0),
        (33.631, 116.975, 60),
        (33.635, 116.975, 120),
        (33.6331, 116.9981, 600),
        (33.6332, 116.9980, 1200),
        (33.645, 116.990, 1500),
    ]
    terminal = Terminal(identity, "127.0.0.1", stack.jt808.port)
    await terminal.connect()
    try:
        assert (await terminal.register()).result == 0
        assert await terminal.authenticate() == Result.SUCCESS
        for lat, lon, seconds in path:
            assert (
                await terminal.report(report_at(lat, lon, start + timedelta(seconds=seconds), speed_kmh=20))
                == 0
            )
        # A report without a position fix (status bit 1 clear): accepted by the gateway, dead-lettered.
        unfixed = report_at(33.64, 116.99, start + timedelta(seconds=1600))
        assert await terminal.report(replace(unfixed, status_flags=0)) == 0
    finally:
        await terminal.close()
    handheld, code = await stack.provision_handheld("app-61")
    async with aiohttp.ClientSession() as session:
        fix = {"latitude": 33.632, "longitude": 116.972, "time": datetime.now(UTC).isoformat()}
        headers = {"Authorization": aiohttp.encode_basic_auth(handheld.device_id, code)}
        async with session.post(
            f"http://127.0.0.1:{stack.handheld.port}/v1/positions", json=fix, headers=headers
        ) as r:
            assert r.status == 200

    counters = stack.telemetry.fixes.counters
    await wait_until(lambda: counters.stored >= 7 and counters.rejected >= 1, what="fixes consumed")
    leader, district = stack.leader, stack.district

    track = await leader.GetTrack(
        telemetry_pb2.GetTrackRequest(
            device_id=device.device_id,
            start_time=stamp(start - timedelta(minutes=1)),
            end_time=stamp(datetime.now(UTC) + timedelta(minutes=1)),
            page=common_pb2.PageRequest(page_size=3),
        )
    )
    assert len(track.fixes) == 3 and track.page.next_page_token
    assert [f.fix_time.ToDatetime(tzinfo=UTC) for f in track.fixes] == [
        start + timedelta(seconds=s) for _, _, s in path[:3]
    ]

    zone_events = await leader.ListZoneEvents(
        telemetry_pb2.ListZoneEventsRequest(zone_code=f"{district}020301")
    )
    kinds = [(e.kind, e.device_id) for e in zone_events.zone_events]
    assert (telemetry_pb2.ZONE_EVENT_KIND_ENTERED, device.device_id) in kinds
    assert (telemetry_pb2.ZONE_EVENT_KIND_LEFT, device.device_id) in kinds
    assert (telemetry_pb2.ZONE_EVENT_KIND_ENTERED, handheld.device_id) in kinds
    stop_events = await leader.ListStopEvents(telemetry_pb2.ListStopEventsRequest(room_id="room-m1"))
    assert [e.kind for e in stop_events.stop_events] == [
        telemetry_pb2.STOP_EVENT_KIND_ARRIVED,
        telemetry_pb2.STOP_EVENT_KIND_DEPARTED,
    ]
    assert (
        stop_events.stop_events[1].dwell.seconds == 900 and stop_events.stop_events[0].vehicle_id == "veh-61"
    )

    in_zone = await leader.GetLatestPositions(
        telemetry_pb2.GetLatestPositionsRequest(zone_code=f"{district}020301")
    )
    assert [p.device_id for p in in_zone.positions] == [handheld.device_id]
    box = common_pb2.BoundingBox(
        south_west=common_pb2.GeoPoint(longitude=116.98, latitude=33.64),
        north_east=common_pb2.GeoPoint(longitude=117.0, latitude=33.65),
    )
    in_box = await leader.GetLatestPositions(telemetry_pb2.GetLatestPositionsRequest(bbox=box))
    assert [p.device_id for p in in_box.positions] == [device.device_id]
    assert not in_box.positions[0].stale  # its last fix is 5 minutes old: within the 10 minutes
    assert in_box.positions[0].fix.position.latitude == 33.645

    published = await read_topic(
        kafka_bootstrap,
        f"jingwu.{district}.telemetry.v1",
        until=lambda rs: sum(r.headers.get("ce_type") == "jingwu.telemetry.v1.StopDeparted" for r in rs) >= 1,
    )
    types = [r.headers["ce_type"].rsplit(".", 1)[-1] for r in published]
    assert {"ZoneEntered", "ZoneLeft", "StopArrived", "StopDeparted"} <= set(types)
    departed = next(r for r in published if r.headers["ce_type"].endswith("StopDeparted"))
    assert events_pb2.StopDeparted.FromString(departed.value or b"").room_id == "room-m1"

    dead = await read_topic(
        kafka_bootstrap, f"jingwu.{district}.telemetry.fixes.dlq.v1", until=lambda rs: len(rs) >= 1
    )
    assert "not positioned" in dead[0].headers["dlq_reason"]
