"""OpenRoom through the real gRPC server, FerretDB and Kafka started by the test session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TypeAlias

import grpc
import pytest
from jingwu.common.v1 import common_pb2
from jingwu.rooms.v1 import events_pb2, rooms_pb2, rooms_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.mongo import district_database_name
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import field_violations, read_topic, refused, token_for, wait_until
from jingwu_rooms.entrypoints.main import build_runtime
from pymongo import AsyncMongoClient

from conftest import started

pytestmark = pytest.mark.integration


def open_request(**changes: object) -> rooms_pb2.OpenRoomRequest:
    request = rooms_pb2.OpenRoomRequest(
        name="汴河社区警务室",
        kind=rooms_pb2.ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER,
        station_id="st-bianhe",
        address="埇桥区汴河路88号",
        location=common_pb2.GeoPoint(longitude=116.98, latitude=33.63),
    )
    for field, value in changes.items():
        if isinstance(value, list):
            getattr(request, field).extend(value)
        else:
            setattr(request, field, value)
    return request


@pytest.fixture
async def rooms_port(settings_for: Callable[..., ServiceSettings], district: str) -> AsyncIterator[int]:
    async with started(build_runtime(settings_for("rooms", district))) as port:
        yield port


@pytest.fixture
def stub(
    rooms_port: int, channels: list[grpc.aio.Channel]
) -> Callable[[str | None], rooms_pb2_grpc.RoomRegistryServiceAsyncStub]:
    def make(token: str | None) -> rooms_pb2_grpc.RoomRegistryServiceAsyncStub:
        channels.append(open_channel(f"127.0.0.1:{rooms_port}", token))
        return rooms_pb2_grpc.RoomRegistryServiceStub(channels[-1])

    return make


Stub: TypeAlias = "Callable[[str | None], rooms_pb2_grpc.RoomRegistryServiceAsyncStub]"


async def test_open_room_is_stored_and_published(
    stub: Stub, district: str, auth_secret: str, mongo_url: str, kafka_bootstrap: str
) -> None:
    rooms = stub(token_for(auth_secret, district, Role.SUPERVISOR, subject="leader-9"))
    response = await rooms.OpenRoom(open_request(zone_codes=[f"{district}020301"]))
    room = response.room
    assert room.status == rooms_pb2.ROOM_STATUS_ACTIVE
    assert room.audit.created_by == "leader-9"

    # Stored in the district's own database, with the outbox cleared by the relay.
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    stored = await client[district_database_name(district)]["rooms.rooms"].find_one({"_id": room.room_id})
    assert stored is not None and stored["name"] == "汴河社区警务室"

    # Published on jingwu.<district>.rooms.v1, keyed by room id, with the envelope headers.
    topic = f"jingwu.{district}.rooms.v1"
    records = await read_topic(
        kafka_bootstrap, topic, until=lambda rs: any(r.key == room.room_id.encode() for r in rs)
    )
    record = next(r for r in records if r.key == room.room_id.encode())
    assert record.headers["ce_type"] == "jingwu.rooms.v1.RoomOpened"
    assert record.headers["ce_district"] == district
    assert record.headers["ce_source"] == f"jingwu/{district}/rooms"
    assert record.headers["content-type"] == "application/x-protobuf"
    assert record.headers["traceparent"].startswith("00-")
    assert record.headers["ce_id"] and record.headers["ce_time"]
    event = events_pb2.RoomOpened.FromString(record.value or b"")
    assert event.room.room_id == room.room_id and event.district_code == district

    # Once published, the relay clears the outbox entry from the document.
    async def outbox_cleared() -> bool:
        doc = await client[district_database_name(district)]["rooms.rooms"].find_one({"_id": room.room_id})
        return doc is not None and not doc.get("_outbox") and "_outbox_pending" not in doc

    await wait_until(outbox_cleared, what="outbox cleared")
    await client.close()


async def test_same_request_id_opens_one_room(stub: Stub, district: str, auth_secret: str) -> None:
    rooms = stub(token_for(auth_secret, district, Role.SUPERVISOR))
    request = open_request(zone_codes=[f"{district}020301"], request_id="req-42")
    first = await rooms.OpenRoom(request)
    second = await rooms.OpenRoom(request)
    assert first.room.room_id == second.room.room_id
    listed = await rooms.ListRooms(rooms_pb2.ListRoomsRequest(zone_code=f"{district}020301"))
    assert [r.room_id for r in listed.rooms] == [first.room.room_id]


async def test_invalid_room_names_each_bad_field(stub: Stub, district: str, auth_secret: str) -> None:
    rooms = stub(token_for(auth_secret, district, Role.SUPERVISOR))
    bad = open_request(zone_codes=["0602030"], kind=rooms_pb2.ROOM_KIND_MOBILE)
    fields = field_violations(await refused(rooms.OpenRoom(bad)))
    assert set(fields) == {"zone_codes[0]", "vehicle_plate"}
    assert "8 digits" in fields["zone_codes[0]"]


async def test_the_zone_filter_of_list_rooms_is_a_zone_code_of_this_district(
    stub: Stub, district: str, auth_secret: str
) -> None:
    # R-ORG-2: 8 digits, starting with the district's own code
    rooms = stub(token_for(auth_secret, district))
    other = "98" if district != "98" else "97"
    for bad, message in (("0203", "8 digits"), (f"{other}020301", f"does not belong to district {district}")):
        fields = field_violations(await refused(rooms.ListRooms(rooms_pb2.ListRoomsRequest(zone_code=bad))))
        assert set(fields) == {"zone_code"} and message in fields["zone_code"]
    assert (
        list((await rooms.ListRooms(rooms_pb2.ListRoomsRequest(zone_code=f"{district}020301"))).rooms) == []
    )


async def test_other_districts_credential_is_refused(stub: Stub, district: str, auth_secret: str) -> None:
    # R-POP-6: only the owning district may read or change its data.
    other = "98" if district != "98" else "97"
    rooms = stub(token_for(auth_secret, other, Role.DISTRICT_ADMIN))
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await rooms.ListRooms(rooms_pb2.ListRoomsRequest())
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert f"district {other}" in (exc.value.details() or "")


async def test_missing_or_forged_credential_is_unauthenticated(stub: Stub, district: str) -> None:
    for token in (None, token_for("not-the-district-secret", district)):
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await stub(token).GetRoom(rooms_pb2.GetRoomRequest(room_id="x"))
        assert exc.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_unknown_room_is_not_found(stub: Stub, district: str, auth_secret: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stub(token_for(auth_secret, district)).GetRoom(rooms_pb2.GetRoomRequest(room_id="nope"))
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND


async def test_health_and_reflection_answer_without_credential(
    rooms_port: int, channels: list[grpc.aio.Channel]
) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    channels.append(open_channel(f"127.0.0.1:{rooms_port}", None))
    health = health_pb2_grpc.HealthStub(channels[-1])
    reply = await health.Check(health_pb2.HealthCheckRequest(service="jingwu.rooms.v1.RoomRegistryService"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING

    reflection = reflection_pb2_grpc.ServerReflectionStub(channels[-1])
    responses = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    names = [s.name async for r in responses for s in r.list_services_response.service]
    assert "jingwu.rooms.v1.RoomRegistryService" in names
