"""Helpers for the room registry's integration tests: call it, read its topic, send it personnel events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from jingwu.common.v1 import common_pb2
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.events import new_event
from jingwu_platform.grpc_client import error_details, open_channel
from jingwu_platform.kafka import EventConsumer
from jingwu_platform.mongo import Document
from jingwu_platform.testing import Record, produce_raw, read_topic, token_for
from pymongo.asynchronous.database import AsyncDatabase


@dataclass
class RoomsService:
    """The service in-process. ``stub`` calls as a station leader (supervisor ``leader-1``): rooms,
    facilities, stops, rota; ``bureau`` as the district bureau (district_admin ``chief-1``): territory,
    consolidation, naming, interception orders (see ACCESS in entrypoints/grpc_api.py)."""

    stub: rooms_pb2_grpc.RoomRegistryServiceAsyncStub
    bureau: rooms_pb2_grpc.RoomRegistryServiceAsyncStub
    consumer: EventConsumer
    district: str
    kafka_bootstrap: str
    db: AsyncDatabase[Document]
    target: str
    auth_secret: str
    channels: list[grpc.aio.Channel]

    def calling_as(self, subject: str, *roles: Role) -> rooms_pb2_grpc.RoomRegistryServiceAsyncStub:
        """A client holding a credential of this district with these roles."""
        self.channels.append(
            open_channel(self.target, token_for(self.auth_secret, self.district, *roles, subject=subject))
        )
        return rooms_pb2_grpc.RoomRegistryServiceStub(self.channels[-1])

    @property
    def topic(self) -> str:
        return f"jingwu.{self.district}.rooms.v1"

    async def events(self, message_type: type[Message], key: str, count: int = 1) -> list[Record]:
        """Wait for ``count`` events of this type and key on the rooms topic."""
        name = message_type.DESCRIPTOR.full_name

        def matching(records: list[Record]) -> list[Record]:
            return [r for r in records if r.headers.get("ce_type") == name and r.key == key.encode()]

        records = await read_topic(
            self.kafka_bootstrap, self.topic, until=lambda rs: len(matching(rs)) >= count
        )
        return matching(records)

    async def send_personnel(self, message: Message, key: str, *, event_id: str = "") -> str:
        """Produce a personnel event exactly as the personnel service would; returns its ce_id."""
        event = new_event(message, key=key, district=self.district, service="personnel")
        headers = event.headers()
        if event_id:
            headers["ce_id"] = event_id
        await produce_raw(
            self.kafka_bootstrap, f"jingwu.{self.district}.personnel.v1", event.payload, key.encode(), headers
        )
        return headers["ce_id"]

    # requests

    async def station(self, station_id: str = "st-bianhe", **kw: Any) -> rooms_pb2.Station:
        request = rooms_pb2.CreateStationRequest(
            station_id=station_id,
            name=kw.pop("name", "汴河派出所"),
            kind=kw.pop("kind", rooms_pb2.STATION_KIND_URBAN),
            operating_model=kw.pop("operating_model", rooms_pb2.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP),
            location=point(116.98, 33.63),
            **kw,
        )
        return (await self.bureau.CreateStation(request)).station

    def zone_request(
        self, suffix: str, community: str = "汴河社区", **kw: Any
    ) -> rooms_pb2.CreateZoneRequest:
        return rooms_pb2.CreateZoneRequest(
            zone_code=f"{self.district}{suffix}",
            community_name=community,
            station_id=kw.pop("station_id", "st-bianhe"),
            workload=rooms_pb2.ZoneWorkload(actual_population=5200, area_km2=1.4, security_complexity=3),
            boundary=square(),
            **kw,
        )

    async def zone(self, suffix: str, community: str = "汴河社区", **kw: Any) -> rooms_pb2.Zone:
        return (await self.bureau.CreateZone(self.zone_request(suffix, community, **kw))).zone

    async def village(self, village_id: str, zone_suffix: str = "", **kw: Any) -> rooms_pb2.Village:
        request = rooms_pb2.RegisterVillageRequest(
            village_id=village_id,
            name=kw.pop("name", f"村{village_id}"),
            level=kw.pop("level", rooms_pb2.VILLAGE_LEVEL_ADMINISTRATIVE),
            zone_code=f"{self.district}{zone_suffix}" if zone_suffix else "",
            location=point(117.05, 33.58),
            **kw,
        )
        return (await self.bureau.RegisterVillage(request)).village

    async def room(self, zone_suffixes: tuple[str, ...] = ("020301",), **kw: Any) -> rooms_pb2.Room:
        request = rooms_pb2.OpenRoomRequest(
            name=kw.pop("name", "汴河社区警务室"),
            kind=kw.pop("kind", rooms_pb2.ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER),
            station_id=kw.pop("station_id", "st-bianhe"),
            zone_codes=[f"{self.district}{s}" for s in zone_suffixes],
            location=kw.pop("location", point(116.98, 33.63)),
            **kw,
        )
        return (await self.stub.OpenRoom(request)).room

    async def get(self, room_id: str) -> rooms_pb2.Room:
        return (await self.stub.GetRoom(rooms_pb2.GetRoomRequest(room_id=room_id))).room


def point(longitude: float, latitude: float) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(longitude=longitude, latitude=latitude)


def square() -> common_pb2.Polygon:
    corners = [(116.97, 33.62), (116.99, 33.62), (116.99, 33.64), (116.97, 33.64), (116.97, 33.62)]
    return common_pb2.Polygon(rings=[common_pb2.LinearRing(points=[point(*c) for c in corners])])


def precondition_subjects(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The record each violated rule names (``rooms/<id>``), by rule id: ``rule_violations`` gives the
    rule ids and descriptions, this the subjects."""
    return {
        v.type: v.subject
        for failure in error_details(error, error_details_pb2.PreconditionFailure)
        for v in failure.violations
    }
