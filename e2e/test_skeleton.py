"""The walking skeleton through the real stack, each service its own process:
OpenRoom (gRPC) → FerretDB → RoomOpened on jingwu.<d>.rooms.v1 → notification consumes it → notice.
Also: what survives a crash of the rooms service between its write and its publish (the outbox)."""

from __future__ import annotations

import asyncio
import json
import time

import grpc
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from jingwu.common.v1 import common_pb2
from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_devstack.fault_report import FaultReport
from jingwu_devstack.procs import pid_alive
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.mongo import district_database_name
from jingwu_platform.testing import read_topic, token_for, wait_until
from pymongo import AsyncMongoClient

from .conftest import RunningService, StartService

pytestmark = pytest.mark.e2e


def open_request(district: str) -> rooms_pb2.OpenRoomRequest:
    return rooms_pb2.OpenRoomRequest(
        name="道东社区警务室",
        kind=rooms_pb2.ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER,
        station_id="st-daodong",
        zone_codes=[f"{district}030201"],
        address="埇桥区淮海路12号",
        location=common_pb2.GeoPoint(longitude=116.97, latitude=33.64),
    )


def read_spans(*services: RunningService) -> list[dict[str, object]]:
    spans: list[dict[str, object]] = []
    for service in services:
        if service.trace_file.exists():
            spans.extend(json.loads(line) for line in service.trace_file.read_text().splitlines() if line)
    return spans


async def notices_for(stub: notification_pb2_grpc.NotificationServiceAsyncStub, room_id: str) -> list[str]:
    reply = await stub.ListNotices(notification_pb2.ListNoticesRequest(room_id=room_id))
    return [n.notice_id for n in reply.notices]


async def test_room_opened_to_notice_across_processes_in_one_trace(
    start_service: StartService, district: str, auth_secret: str, channels: list[grpc.aio.Channel]
) -> None:
    rooms_service = start_service("rooms", district)
    notification_service = start_service("notification", district)
    token = token_for(auth_secret, district, Role.SUPERVISOR)
    channels += [open_channel(rooms_service.target, token), open_channel(notification_service.target, token)]
    rooms = rooms_pb2_grpc.RoomRegistryServiceStub(channels[0])
    notification = notification_pb2_grpc.NotificationServiceStub(channels[1])

    room = (await rooms.OpenRoom(open_request(district))).room

    async def noticed() -> bool:
        return len(await notices_for(notification, room.room_id)) == 1

    await wait_until(noticed, what="notice recorded by the notification process")

    # Every hop of this request, in both processes, carries the OpenRoom server span's trace id.
    topic = f"jingwu.{district}.rooms.v1"

    def hops() -> dict[tuple[str, str], set[str]]:
        found: dict[tuple[str, str], set[str]] = {}
        for span in read_spans(rooms_service, notification_service):
            found.setdefault((str(span["service"]), str(span["name"])), set()).add(str(span["trace_id"]))
        return found

    await wait_until(
        lambda: ("jingwu-notification", f"jingwu.{district}.notification.v1 publish") in hops(),
        what="notification's publish span written",
    )
    found = hops()
    (trace_id,) = found[("jingwu-rooms", "/jingwu.rooms.v1.RoomRegistryService/OpenRoom")]
    expected = [
        ("jingwu-rooms", f"jingwu_{district}.insert"),  # the room document (with its outbox entry)
        ("jingwu-rooms", f"{topic} publish"),  # the relay, re-attached to the request's trace
        ("jingwu-notification", f"{topic} process"),  # the consumer, from the traceparent header
        ("jingwu-notification", f"jingwu_{district}.insert"),  # the notice
        ("jingwu-notification", f"jingwu.{district}.notification.v1 publish"),
    ]
    for hop in expected:
        assert trace_id in found.get(hop, set()), f"{hop} is missing from trace {trace_id}: {sorted(found)}"


async def committed_offsets_reached_end(bootstrap: str, group: str, topic: str) -> bool:
    """True when the consumer group has committed past every record now in ``topic``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        if not partitions:
            await consumer.topics()
            partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group)
        return all((committed.get(tp).offset if committed.get(tp) else 0) >= end for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


def one_command_row(report: FaultReport, fault: str, notices: int, started: float, note: str) -> None:
    """One command went through a crash of the service that took it: its notice downstream must be
    there once (none is lost, two are a duplicate; the crash is the fault, not a crash to count)."""
    report.add(
        fault,
        unit="commands",
        through=1,
        lost=1 - min(notices, 1),
        duplicated=max(notices - 1, 0),
        crashed=0,
        seconds=time.monotonic() - started,
        note=note,
    )


async def wait_for_exit(service: RunningService, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while pid_alive(service.info.pid):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{service.name} did not crash at its failpoint")
        await asyncio.sleep(0.1)
    assert '"failpoint": "outbox.' in service.log_path.read_text()


@pytest.mark.faults
async def test_crash_before_publish_delivers_after_restart(
    start_service: StartService,
    district: str,
    auth_secret: str,
    mongo_url: str,
    kafka_bootstrap: str,
    channels: list[grpc.aio.Channel],
    fault_report: FaultReport,
) -> None:
    started = time.monotonic()
    notification_service = start_service("notification", district)
    crashing = start_service("rooms", district, failpoints="outbox.before_publish")
    token = token_for(auth_secret, district, Role.SUPERVISOR)
    channels.append(open_channel(crashing.target, token))
    room = (await rooms_pb2_grpc.RoomRegistryServiceStub(channels[-1]).OpenRoom(open_request(district))).room
    await wait_for_exit(crashing)

    # The write happened and its event waits in the document's outbox; nothing reached Kafka.
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    stored = await client[district_database_name(district)]["rooms.rooms"].find_one({"_id": room.room_id})
    await client.close()
    assert stored is not None and stored["_outbox_pending"] is True and len(stored["_outbox"]) == 1  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        await read_topic(
            kafka_bootstrap, f"jingwu.{district}.rooms.v1", until=lambda rs: len(rs) > 0, timeout_s=3
        )

    start_service("rooms", district, tag="-restarted")  # no failpoint: the relay publishes what was left
    channels.append(open_channel(notification_service.target, token))
    notification = notification_pb2_grpc.NotificationServiceStub(channels[-1])

    async def noticed() -> bool:
        return len(await notices_for(notification, room.room_id)) >= 1

    await wait_until(noticed, what="notice after the rooms service restarted")
    records = await read_topic(kafka_bootstrap, f"jingwu.{district}.rooms.v1", until=lambda rs: len(rs) >= 1)
    notices = len(await notices_for(notification, room.room_id))
    one_command_row(
        fault_report,
        "service killed between its write and its outbox publish",
        notices,
        started,
        f"published after the restart ({len(records)} record), one notice downstream",
    )
    assert notices == 1


@pytest.mark.faults
async def test_crash_after_publish_is_delivered_twice_and_recorded_once(
    start_service: StartService,
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    channels: list[grpc.aio.Channel],
    fault_report: FaultReport,
) -> None:
    started = time.monotonic()
    notification_service = start_service("notification", district)
    crashing = start_service("rooms", district, failpoints="outbox.after_publish")
    token = token_for(auth_secret, district, Role.SUPERVISOR)
    channels.append(open_channel(crashing.target, token))
    room = (await rooms_pb2_grpc.RoomRegistryServiceStub(channels[-1]).OpenRoom(open_request(district))).room
    await wait_for_exit(crashing)

    start_service("rooms", district, tag="-restarted")  # finds the entry still in the outbox: publishes again
    topic = f"jingwu.{district}.rooms.v1"
    records = await read_topic(kafka_bootstrap, topic, until=lambda rs: len(rs) >= 2)
    assert len({r.headers["ce_id"] for r in records}) == 1, "the re-publish must carry the same event id"
    assert all(r.key == room.room_id.encode() for r in records)

    # The notification service consumed both copies (its committed offsets passed them) ...
    group = f"jingwu-{district}-notification"
    await wait_until(
        lambda: committed_offsets_reached_end(kafka_bootstrap, group, topic), what="both consumed"
    )
    # ... and recorded one notice.
    channels.append(open_channel(notification_service.target, token))
    notification = notification_pb2_grpc.NotificationServiceStub(channels[-1])
    notices = len(await notices_for(notification, room.room_id))
    one_command_row(
        fault_report,
        "service killed after its outbox publish, before marking it sent",
        notices,
        started,
        f"{len(records)} records under one event id, one notice downstream",
    )
    assert notices == 1
