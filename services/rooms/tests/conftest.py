"""The room registry in-process against the session's real Kafka and FerretDB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import grpc
import pytest
from jingwu.rooms.v1 import rooms_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.mongo import Document, district_database_name
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import token_for
from jingwu_rooms.entrypoints.main import build
from pymongo import AsyncMongoClient

from conftest import started

from .support import RoomsService


@pytest.fixture
async def rooms_service(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    mongo_url: str,
    channels: list[grpc.aio.Channel],
) -> AsyncIterator[RoomsService]:
    # mongo_url already asks for one connection (FerretDB v1 loses concurrent updates across connections).
    settings = settings_for("rooms", district)
    runtime, consumer = build(settings, DistrictPolicy())
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    async with started(runtime) as port:
        target = f"127.0.0.1:{port}"
        leader = token_for(auth_secret, district, Role.SUPERVISOR, subject="leader-1")
        bureau = token_for(auth_secret, district, Role.DISTRICT_ADMIN, subject="chief-1")
        channels += [open_channel(target, leader), open_channel(target, bureau)]
        yield RoomsService(
            rooms_pb2_grpc.RoomRegistryServiceStub(channels[-2]),
            rooms_pb2_grpc.RoomRegistryServiceStub(channels[-1]),
            consumer,
            district,
            kafka_bootstrap,
            client[district_database_name(district)],
            target,
            auth_secret,
            channels,
        )
    await client.close()
