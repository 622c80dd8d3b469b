"""The patrol service in-process on the session's real Kafka and FerretDB, with gRPC stubs for callers of
each role, and the room registry's and telemetry's events produced exactly as those services publish
them (jingwu_platform.events.new_event + jingwu_platform.testing.produce_raw)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2, patrol_pb2_grpc
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_patrol.application.ports import RoomOrders, TrackSource
from jingwu_patrol.domain.geo import GeoPoint, Polygon
from jingwu_patrol.entrypoints.main import PatrolProcess, build
from jingwu_patrol.entrypoints.options import PatrolOptions
from jingwu_platform.auth import Role
from jingwu_platform.events import new_event
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import Record, produce_raw, read_topic, token_for, wait_until
from jingwu_platform.usecase import Clock

from .samples import at_m, mobile_room, square, villages

PatrolStub: TypeAlias = "patrol_pb2_grpc.PatrolServiceAsyncStub"
# When the sample district's villages were registered (their teams owe a joint patrol from the next day).
REGISTERED = datetime(2026, 1, 1, tzinfo=UTC)


def stamp_of(at: Any) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(at)
    return value


def point(where: GeoPoint) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(longitude=where.longitude, latitude=where.latitude)


def polygon(shape: Polygon) -> common_pb2.Polygon:
    return common_pb2.Polygon(
        rings=[common_pb2.LinearRing(points=[point(p) for p in ring]) for ring in shape.rings]
    )


@dataclass
class RunningPatrol:
    process: PatrolProcess
    port: int
    secret: str
    district: str
    kafka_bootstrap: str
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stub(self, *roles: Role, subject: str = "leader-1") -> PatrolStub:
        channel = open_channel(
            self.target,
            token_for(self.secret, self.district, *(roles or (Role.SUPERVISOR,)), subject=subject),
        )
        self.channels.append(channel)
        return patrol_pb2_grpc.PatrolServiceStub(channel)

    def zone(self, suffix: str) -> str:
        return f"{self.district}{suffix}"

    async def publish(
        self, service: str, payload: Message, key: str, *, topic: str = "", **headers: str
    ) -> str:
        """An event exactly as ``service`` publishes it (envelope headers, key, payload); its id."""
        event = new_event(payload, key=key, district=self.district, service=service)
        await produce_raw(
            self.kafka_bootstrap,
            topic or f"jingwu.{self.district}.{service}.v1",
            event.payload,
            event.key.encode(),
            {**event.headers(), **headers},
        )
        return event.event_id

    async def own_events(
        self, message_type: type[Message], count: int = 1, timeout_s: float = 30
    ) -> list[Record]:
        name = message_type.DESCRIPTOR.full_name

        def matching(records: list[Record]) -> list[Record]:
            return [r for r in records if r.headers.get("ce_type") == name]

        return matching(
            await read_topic(
                self.kafka_bootstrap,
                f"jingwu.{self.district}.patrol.v1",
                until=lambda rs: len(matching(rs)) >= count,
                timeout_s=timeout_s,
            )
        )

    async def dead_letters(self, count: int) -> list[Record]:
        return await read_topic(
            self.kafka_bootstrap, f"jingwu.{self.district}.patrol.dlq.v1", until=lambda rs: len(rs) >= count
        )

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()

    # --- the sample district, as the room registry publishes it -----------------------------------

    async def learn_district(self) -> None:
        """ZoneCreated × 2, VillageRegistered × 3 and the mobile room's RoomOpened on the rooms topic;
        returns once patrol has learnt them."""
        for suffix, name, x0 in (("020301", "汴河一区", 0), ("020302", "汴河二区", 2000)):
            zone = rooms_pb2.Zone(
                zone_code=self.zone(suffix),
                name=name,
                station_id="st-1",
                boundary=polygon(square(x0, 0, 2000)),
            )
            await self.publish(
                "rooms", room_events.ZoneCreated(district_code=self.district, zone=zone), zone.zone_code
            )
        for village in villages():
            level = (
                rooms_pb2.VILLAGE_LEVEL_ADMINISTRATIVE
                if village.has_team
                else rooms_pb2.VILLAGE_LEVEL_NATURAL
            )
            message = rooms_pb2.Village(
                village_id=village.village_id,
                name=village.name,
                level=level,
                zone_code=self.district + village.zone_code[2:],
                station_id=village.station_id,
                urban_community=village.urban_community,
                parent_village_id=village.parent_village_id,
            )
            registered = room_events.VillageRegistered(
                district_code=self.district, village=message, occur_time=stamp_of(REGISTERED)
            )
            await self.publish("rooms", registered, village.village_id)
        sample = mobile_room()
        room = rooms_pb2.Room(
            room_id=sample.room_id,
            name=sample.name,
            kind=rooms_pb2.ROOM_KIND_MOBILE,
            status=rooms_pb2.ROOM_STATUS_ACTIVE,
            station_id="st-1",
            zone_codes=[self.zone("020301")],
            vehicle_plate=sample.vehicle_plate,
            location=point(at_m(100, 100)),
            stops=[
                rooms_pb2.MobileStop(
                    stop_id=s.stop_id,
                    name=s.name,
                    location=point(s.location),
                    radius_m=s.radius_m,
                    window_start_minute=s.window_start_minute,
                    window_end_minute=s.window_end_minute,
                )
                for s in sample.stops
            ],
            current_stop_id=sample.current_stop_id,
        )
        await self.publish(
            "rooms", room_events.RoomOpened(district_code=self.district, room=room), room.room_id
        )
        stub = self.stub()

        async def learnt() -> bool:
            coverage = await stub.GetVehicleCoverage(patrol_pb2.GetVehicleCoverageRequest())
            rooms = await self.process.apps.territory.mobile_rooms()
            villages_known = await self.process.apps.territory.villages()
            return coverage.zone_count == 2 and sample.room_id in rooms and len(villages_known) == 3

        await wait_until(learnt, what="patrol learning the district from the room registry", timeout_s=60)


@asynccontextmanager
async def running(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    secret: str,
    kafka_bootstrap: str,
    *,
    clock: Clock | None = None,
    tracks: TrackSource | None = None,
    room_orders: RoomOrders | None = None,
    options: PatrolOptions | None = None,
    settings: dict[str, object] | None = None,
) -> AsyncIterator[RunningPatrol]:
    process = build(
        settings_for("patrol", district, **(settings or {})),
        options or PatrolOptions(),
        clock=clock,
        tracks=tracks,
        room_orders=room_orders,
    )
    port = await process.runtime.start()
    service = RunningPatrol(process, port, secret, district, kafka_bootstrap)
    try:
        yield service
    finally:
        await service.close()
        await process.runtime.stop()
