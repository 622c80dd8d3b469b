"""The contract of the consumer's stores (tracks, latest positions, zone/stop events, geography), run
against the in-memory fakes and the Mongo adapters on the real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jingwu_platform.contract import contract_event
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.testing import scratch_database
from jingwu_telemetry.adapters.memory import (
    InMemoryGeography,
    InMemoryLatestPositions,
    InMemoryMovementEvents,
    InMemoryTrackStore,
)
from jingwu_telemetry.adapters.positions import MongoGeography, MongoLatestPositions, MongoMovementEvents
from jingwu_telemetry.adapters.tracks import MongoTrackStore
from jingwu_telemetry.application.ports import LatestQuery, StopEventQuery, TrackPoint, ZoneEventQuery
from jingwu_telemetry.domain.devices import DeviceKind
from jingwu_telemetry.domain.geo import Stop, ZoneArea
from jingwu_telemetry.domain.tracking import (
    StopEventKind,
    StopVisit,
    Tracking,
    ZoneCrossing,
    ZoneEventKind,
    event_id,
)

AT = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)


@pytest.fixture(params=["memory", "mongo"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, Any]]:
    if request.param == "memory":
        yield {
            "tracks": InMemoryTrackStore(),
            "latest": InMemoryLatestPositions(),
            "movements": InMemoryMovementEvents(),
            "geography": InMemoryGeography(),
        }
        return
    async with scratch_database(request.getfixturevalue("mongo_url")) as database:
        parts: dict[str, Any] = {
            "tracks": MongoTrackStore(database, timedelta(hours=1)),
            "latest": MongoLatestPositions(database),
            "movements": MongoMovementEvents(database, OutboxRegistry()),
            "geography": MongoGeography(database),
        }
        for part in parts.values():
            if hasattr(part, "ensure_indexes"):
                await part.ensure_indexes()
        yield parts


def point(n: int, device: str = "dev-1", minutes: int = 0) -> TrackPoint:
    return TrackPoint(
        device, AT + timedelta(minutes=minutes, seconds=n), f"fix-{device}-{minutes}-{n}".encode()
    )


async def test_points_are_stored_once_and_come_back_oldest_first_in_pages(stores: dict[str, Any]) -> None:
    tracks = stores["tracks"]
    await tracks.add_points([point(n) for n in (3, 1, 2)] + [point(1, "dev-2")])
    await tracks.add_points([point(2), point(4)])  # 2 again: stored once
    found = await tracks.track("dev-1", AT, AT + timedelta(hours=1), after=None, limit=10)
    assert [p.payload for p in found] == [point(n).payload for n in (1, 2, 3, 4)]
    page = await tracks.track("dev-1", AT, AT + timedelta(hours=1), after=found[1].fix_time, limit=1)
    assert [p.payload for p in page] == [point(3).payload]
    assert (
        await tracks.track(
            "dev-1", AT + timedelta(seconds=2), AT + timedelta(seconds=4), after=None, limit=10
        )
        == found[1:3]
    )


async def test_sealing_moves_points_into_buckets_once_even_when_repeated(stores: dict[str, Any]) -> None:
    tracks = stores["tracks"]
    old = [point(n, minutes=-120) for n in range(5)]  # two hours back: a finished window
    await tracks.add_points([*old, point(1)])
    await tracks.seal(AT + timedelta(minutes=5))
    await tracks.add_points([old[2], point(9, minutes=-119)])  # a replay and a late fix for that window
    await tracks.seal(AT + timedelta(minutes=5))
    await tracks.seal(AT + timedelta(minutes=5))
    span = (AT - timedelta(hours=3), AT + timedelta(hours=1))
    found = await tracks.track("dev-1", *span, after=None, limit=100)
    assert [p.payload for p in found] == [
        *(p.payload for p in old),
        point(9, minutes=-119).payload,
        point(1).payload,
    ]
    if isinstance(tracks, MongoTrackStore):
        assert await tracks.counts() == (7, 7)  # every fix once
        assert await tracks.buckets.count_documents({}) == 1
        assert await tracks.points.count_documents({}) == 1  # the current window is not sealed yet


def state(device: str, minutes: int, **changes: Any) -> Tracking:
    values: dict[str, Any] = {
        "device_id": device,
        "fix_time": AT + timedelta(minutes=minutes),
        "latitude": 33.63,
        "longitude": 116.97,
        "zone_code": "01020301",
        "kind": DeviceKind.VEHICLE_TERMINAL,
        "payload": f"{device}-{minutes}".encode(),
    }
    values.update(changes)
    return Tracking(**values)


async def test_latest_positions_keep_the_newest_and_answer_zone_bbox_and_ids(stores: dict[str, Any]) -> None:
    latest = stores["latest"]
    await latest.put_many(
        [state("dev-1", 5), state("dev-2", 5, zone_code="", longitude=117.5, kind=DeviceKind.HANDHELD)]
    )
    await latest.put_many([state("dev-1", 3, zone_code="stale")])  # older: ignored
    assert (await latest.get_many(["dev-1"]))["dev-1"] == state("dev-1", 5)
    await latest.put_many([state("dev-1", 7)])
    assert (await latest.get_many(["dev-1"]))["dev-1"].fix_time == AT + timedelta(minutes=7)

    async def ids(query: LatestQuery) -> list[str]:
        return [s.device_id for s in await latest.find(query)]

    assert await ids(LatestQuery(zone_code="01020301")) == ["dev-1"]
    assert await ids(LatestQuery(bbox=(117.0, 33.0, 118.0, 34.0))) == ["dev-2"]
    assert await ids(LatestQuery(device_ids=("dev-2", "dev-1"))) == ["dev-1", "dev-2"]
    assert await ids(LatestQuery(device_ids=("dev-1", "dev-2"), kind=DeviceKind.HANDHELD)) == ["dev-2"]
    assert await ids(LatestQuery(device_ids=("dev-1", "dev-2"), since=AT + timedelta(minutes=6))) == ["dev-1"]


def crossing(
    minutes: int, kind: ZoneEventKind, zone: str = "01020301", device: str = "dev-1"
) -> ZoneCrossing:
    at = AT + timedelta(minutes=minutes)
    return ZoneCrossing(
        event_id(at, device, zone, kind.value),
        kind,
        device,
        DeviceKind.VEHICLE_TERMINAL,
        "veh-1",
        "",
        zone,
        116.97,
        33.63,
        at,
        60.0,
    )


def visit(minutes: int, kind: StopEventKind, stop: str = "stop-1") -> StopVisit:
    at = AT + timedelta(minutes=minutes)
    return StopVisit(
        event_id(at, "dev-1", "room-m1", stop, kind.value),
        kind,
        "dev-1",
        "veh-1",
        "room-m1",
        stop,
        116.99,
        33.63,
        at,
        30.0,
    )


async def test_zone_and_stop_events_are_stored_once_with_their_event_and_page_in_time_order(
    stores: dict[str, Any],
) -> None:
    movements = stores["movements"]
    zone = [
        crossing(1, ZoneEventKind.ENTERED),
        crossing(9, ZoneEventKind.LEFT),
        crossing(5, ZoneEventKind.ENTERED, "01020302", "dev-2"),
    ]
    stops = [visit(2, StopEventKind.ARRIVED), visit(7, StopEventKind.DEPARTED)]
    await movements.add(
        [(e, contract_event(e.device_id)) for e in zone], [(v, contract_event(v.room_id)) for v in stops]
    )
    await movements.add([(zone[0], contract_event("dev-1"))], [])  # derived again after a replay
    everything = await movements.zone_events(ZoneEventQuery())
    assert [e.occur_time.minute for e in everything] == [31, 35, 39]
    assert everything[0] == zone[0]
    assert [e.device_id for e in await movements.zone_events(ZoneEventQuery(zone_code="01020301"))] == [
        "dev-1",
        "dev-1",
    ]
    window = ZoneEventQuery(start=AT + timedelta(minutes=2), end=AT + timedelta(minutes=9))
    assert [e.zone_code for e in await movements.zone_events(window)] == ["01020302"]
    first = await movements.zone_events(ZoneEventQuery(limit=1))
    rest = await movements.zone_events(ZoneEventQuery(after_id=first[0].event_id))
    assert len(rest) == 2
    assert [v.kind for v in await movements.stop_events(StopEventQuery(room_id="room-m1"))] == [
        StopEventKind.ARRIVED,
        StopEventKind.DEPARTED,
    ]
    assert await movements.stop_events(StopEventQuery(stop_id="stop-9")) == []


async def test_geography_keeps_zones_retires_them_and_replaces_a_rooms_stops(stores: dict[str, Any]) -> None:
    geography = stores["geography"]
    ring = ((116.97, 33.63), (116.98, 33.63), (116.98, 33.64), (116.97, 33.63))
    await geography.put_zones([ZoneArea("01020301", (ring,)), ZoneArea("01020302", (ring,))])
    await geography.retire_zones(["01020301"])
    zones = await geography.zones()
    assert [(z.zone_code, z.retired) for z in zones] == [("01020301", True), ("01020302", False)]
    assert zones[1].rings == (ring,)
    await geography.set_stops(
        "room-m1", [Stop("room-m1", "s1", 116.9, 33.6, 80.0), Stop("room-m1", "s2", 116.8, 33.5, 50.0)]
    )
    await geography.set_stops("room-m1", [Stop("room-m1", "s3", 116.7, 33.4, 60.0)])
    assert await geography.stops() == [Stop("room-m1", "s3", 116.7, 33.4, 60.0)]
