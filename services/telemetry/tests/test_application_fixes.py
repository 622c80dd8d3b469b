"""The fix consumer's use case on the in-memory stores (R-PAT-6, R-ROOM-5, R-POP-7): one batch →
points, events with their Kafka events, latest positions and rejections; a batch applied twice stores
nothing twice; a batch whose write fails leaves the state where it was."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest
from jingwu.telemetry.v1 import events_pb2
from jingwu_platform.errors import ValidationFailed
from jingwu_platform.usecase import FakeClock, UseCaseKit
from jingwu_telemetry.adapters.memory import (
    InMemoryDeviceRepository,
    InMemoryGeography,
    InMemoryLatestPositions,
    InMemoryMovementEvents,
    InMemoryTrackStore,
)
from jingwu_telemetry.application.fixes import FixIngest, GeographyView
from jingwu_telemetry.application.geography import GeographyUpdates
from jingwu_telemetry.application.ports import LatestQuery, TrackPoint
from jingwu_telemetry.application.positions import PositionQueries
from jingwu_telemetry.domain.devices import DeviceStatus
from jingwu_telemetry.domain.geo import Stop, ZoneArea
from jingwu_telemetry.domain.tracking import Fix

from .samples import AT, ID_NAMESPACE, terminal
from .test_domain_tracking import SQUARE, fix


class FailingTracks(InMemoryTrackStore):
    def __init__(self) -> None:
        super().__init__()
        self.fail = True

    async def add_points(self, points: Sequence[TrackPoint]) -> None:
        if self.fail:
            raise ConnectionError("store down")
        await super().add_points(points)


async def consumer(tracks: InMemoryTrackStore | None = None) -> tuple[FixIngest, dict[str, object]]:
    clock = FakeClock(AT)
    kit = UseCaseKit.create("01", "telemetry", ID_NAMESPACE, clock=clock)
    devices = InMemoryDeviceRepository()
    await devices.add(
        replace(terminal(1, device_id="dev-1", room_id="room-m1"), status=DeviceStatus.REGISTERED)
    )
    await devices.add(replace(terminal(2, device_id="dev-2"), status=DeviceStatus.DISABLED))
    geography = InMemoryGeography()
    view = GeographyView(geography)
    updates = GeographyUpdates(geography, view)
    await updates.zones_created([ZoneArea("01020301", (SQUARE,))])
    await updates.stops_changed("room-m1", [Stop("room-m1", "stop-1", 116.998, 33.633, 80.0)])
    parts: dict[str, object] = {
        "tracks": tracks or InMemoryTrackStore(),
        "latest": InMemoryLatestPositions(),
        "movements": InMemoryMovementEvents(),
        "kit": kit,
    }
    ingest = FixIngest(
        kit,
        tracks=parts["tracks"],  # type: ignore[arg-type]
        latest=parts["latest"],  # type: ignore[arg-type]
        movements=parts["movements"],  # type: ignore[arg-type]
        devices=devices,
        geography=view,
    )
    return ingest, parts


def batch() -> list[Fix]:
    return [
        fix(33.625, 116.975, AT, payload=b"p1"),
        fix(33.631, 116.975, AT + timedelta(minutes=1), payload=b"p2"),  # enters the zone
        fix(33.6332, 116.9981, AT + timedelta(minutes=6), payload=b"p3"),  # leaves it, at stop-1
        fix(33.6332, 116.9981, AT + timedelta(minutes=6), payload=b"p3"),  # the same again
        fix(95.0, 116.9981, AT + timedelta(minutes=7)),  # out of range
        fix(33.63, 116.975, AT, device_id="dev-2"),  # a disabled device
        fix(33.63, 116.975, AT, device_id="dev-9"),  # an unknown one
    ]


async def test_a_batch_becomes_points_events_latest_positions_and_reasons() -> None:
    ingest, parts = await consumer()
    result = await ingest.ingest(batch())
    assert [index for index, _ in result.rejected] == [4, 5, 6]
    assert "latitude" in result.rejected[0][1] and "disabled" in result.rejected[1][1]
    assert "unknown device" in result.rejected[2][1]
    assert (result.moved, result.duplicates, result.zone_events, result.stop_events) == (3, 1, 2, 1)
    tracks = parts["tracks"]
    assert isinstance(tracks, InMemoryTrackStore) and len(tracks.points) == 3
    movements = parts["movements"]
    assert isinstance(movements, InMemoryMovementEvents)
    assert movements.outbox.types() == ["ZoneEntered", "ZoneLeft", "StopArrived"]
    (left,) = movements.outbox.of_type(events_pb2.ZoneLeft)
    assert left.time_in_zone.seconds == 300 and left.zone_code == "01020301"
    (arrived,) = movements.outbox.of_type(events_pb2.StopArrived)
    assert arrived.room_id == "room-m1" and arrived.stop_id == "stop-1"
    latest = parts["latest"]
    assert isinstance(latest, InMemoryLatestPositions)
    (state,) = await latest.find(LatestQuery(device_ids=("dev-1",)))
    assert state.payload == b"p3" and state.stop_id == "stop-1" and state.zone_code == ""


async def test_the_same_batch_twice_stores_nothing_twice() -> None:
    ingest, parts = await consumer()
    await ingest.ingest(batch())
    again = await ingest.ingest(batch())  # a redelivery after a crash before the commit
    assert again.moved == 0 and again.zone_events == 0
    tracks, movements = parts["tracks"], parts["movements"]
    assert isinstance(tracks, InMemoryTrackStore) and isinstance(movements, InMemoryMovementEvents)
    assert len(tracks.points) == 3 and len(movements.outbox.events) == 3
    # A fresh process (state only from the store) derives the same events: the store keeps them once.
    fresh, _ = await consumer()
    fresh._latest, fresh._tracks, fresh._movements = parts["latest"], tracks, movements  # type: ignore[assignment]
    await fresh.ingest(batch())
    assert len(tracks.points) == 3 and len(movements.outbox.events) == 3


async def test_a_failed_write_leaves_the_state_for_the_retry() -> None:
    tracks = FailingTracks()
    ingest, _parts = await consumer(tracks)
    with pytest.raises(ConnectionError):
        await ingest.ingest(batch())
    assert ingest.state_of("dev-1") is None
    tracks.fail = False
    result = await ingest.ingest(batch())  # the batch consumer's retry: the same records
    assert result.moved == 3 and result.zone_events == 2
    assert len(tracks.points) == 3


async def test_queries_page_tracks_oldest_first_and_thin_them() -> None:
    ingest, parts = await consumer()
    await ingest.ingest(
        [
            fix(33.625 + n * 1e-5, 116.975, AT + timedelta(seconds=10 * n), payload=bytes([n]))
            for n in range(30)
        ]
    )
    queries = PositionQueries(
        parts["kit"],  # type: ignore[arg-type]
        tracks=parts["tracks"],  # type: ignore[arg-type]
        latest=parts["latest"],  # type: ignore[arg-type]
        movements=parts["movements"],  # type: ignore[arg-type]
    )
    end = AT + timedelta(hours=1)
    first, token = await queries.track("dev-1", AT, end, min_interval=None, page_size=12, page_token="")
    rest, last = await queries.track("dev-1", AT, end, min_interval=None, page_size=100, page_token=token)
    assert [p.payload[0] for p in first + rest] == list(range(30)) and last == ""
    thinned, _ = await queries.track(
        "dev-1", AT, end, min_interval=timedelta(seconds=60), page_size=100, page_token=""
    )
    assert [p.payload[0] for p in thinned] == [0, 6, 12, 18, 24]
    with pytest.raises(ValidationFailed):
        await queries.track("dev-1", end, AT, min_interval=None, page_size=0, page_token="")
    with pytest.raises(ValidationFailed):
        await queries.latest(LatestQuery(), None)
