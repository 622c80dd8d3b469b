"""GetStatus, served by the platform on a service's gRPC server: per consumer group the lag (end minus
committed offsets), the outbox backlog, and ``caught_up``; ``wait_caught_up`` waits on it. A small
service built from the platform's parts runs in-process on the real Kafka and FerretDB."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import grpc
import pytest
from jingwu.platform.v1 import status_pb2, status_pb2_grpc
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu_platform.auth import Role
from jingwu_platform.consumer_groups import ConsumerGroup
from jingwu_platform.events import Event, dead_letter_topic, domain_topic, new_event
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.kafka import EventConsumer, EventHandler, Inbox, ensure_topics
from jingwu_platform.outbox import with_outbox
from jingwu_platform.runtime import connect
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.status import GroupLag, PartitionLag, ServiceStatus, partition_lag
from jingwu_platform.testing import event_record, produce_records, read_topic, token_for, wait_caught_up

from conftest import started

pytestmark = pytest.mark.integration


def test_lag_counts_from_the_commit_or_from_the_first_retained_record() -> None:
    assert partition_lag(end_offset=10, committed_offset=7, first_offset=0) == 3
    assert partition_lag(end_offset=10, committed_offset=None, first_offset=4) == 6  # never committed
    assert partition_lag(end_offset=10, committed_offset=-1, first_offset=0) == 10
    assert partition_lag(end_offset=0, committed_offset=None, first_offset=0) == 0  # empty partition


def test_caught_up_needs_every_lag_zero_and_an_empty_outbox() -> None:
    group = ConsumerGroup("g", ("t",))
    settled = GroupLag(group, (PartitionLag("t", 0, 5, 5, 0),))
    behind = GroupLag(group, (PartitionLag("t", 0, 5, 5, 0), PartitionLag("t", 1, 3, None, 3)))
    at = datetime(2026, 11, 1, tzinfo=UTC)
    assert ServiceStatus("s", "01", (settled,), {"db.c": 0}, at).caught_up
    assert not ServiceStatus("s", "01", (behind,), {"db.c": 0}, at).caught_up
    assert not ServiceStatus("s", "01", (settled,), {"db.c": 2}, at).caught_up
    assert behind.lag == 3 and behind.by_topic() == {"t": 3}


async def test_get_status_reports_lag_until_the_service_caught_up(
    settings_for: Callable[..., ServiceSettings], district: str, kafka_bootstrap: str, auth_secret: str
) -> None:
    rooms_topic, own_topic = domain_topic(district, "rooms"), domain_topic(district, "statustest")
    dlq = dead_letter_topic(district, "statustest")
    await ensure_topics(kafka_bootstrap, [rooms_topic, own_topic, dlq], partitions=3)
    opened = [
        new_event(
            events_pb2.RoomOpened(district_code=district, room=rooms_pb2.Room(room_id=f"r{n}")),
            key=f"r{n}",
            district=district,
            service="rooms",
        )
        for n in range(5)
    ]
    await produce_records(kafka_bootstrap, rooms_topic, [event_record(e) for e in opened])

    connections = connect(settings_for("statustest", district))
    things = connections.database["things"]
    gate = asyncio.Event()

    async def on_opened(event: Event, payload: events_pb2.RoomOpened) -> None:
        await gate.wait()
        derived = new_event(payload, key=payload.room.room_id, district=district, service="statustest")
        await things.update_one(
            {"_id": event.event_id}, {"$setOnInsert": with_outbox({}, [(derived, own_topic)])}, upsert=True
        )
        connections.outbox.notify()

    connections.outbox.track(things)
    group = f"jingwu-{district}-statustest"
    EventConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(connections.database, consumer="statustest.rooms"),
        group_id=group,
        topics=[rooms_topic],
        dead_letter_topic=dlq,
        handlers=[EventHandler(events_pb2.RoomOpened, on_opened)],
    )
    runtime = connections.runtime([], topics=[rooms_topic, own_topic, dlq])
    token = token_for(auth_secret, district, Role.OFFICER)
    async with started(runtime) as port:
        target = f"127.0.0.1:{port}"
        channel = open_channel(target, token)
        try:
            stub = status_pb2_grpc.StatusServiceStub(channel)
            behind = await stub.GetStatus(status_pb2.GetStatusRequest())
            assert not behind.caught_up
            (consumer,) = behind.consumer_groups
            assert (consumer.group_id, list(consumer.topics), consumer.lag) == (group, [rooms_topic], 5)
            assert sum(p.lag for p in consumer.partitions) == 5 and len(consumer.partitions) == 3
            assert behind.service == "statustest" and behind.district_code == district

            gate.set()
            (settled,) = await wait_caught_up([target], token, timeout_s=60)
            assert settled.caught_up and settled.consumer_groups[0].lag == 0 and settled.outbox_pending == 0
            assert [o.collection for o in settled.outboxes] == [things.full_name]
            # Caught up means done: the derived documents and their events are there, no polling needed.
            assert await things.count_documents({}) == 5
            published = await read_topic(
                kafka_bootstrap, own_topic, until=lambda rs: len(rs) >= 5, timeout_s=5
            )
            assert len(published) == 5

            anonymous = open_channel(target, None)
            try:
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await status_pb2_grpc.StatusServiceStub(anonymous).GetStatus(
                        status_pb2.GetStatusRequest()
                    )
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            finally:
                await anonymous.close()
        finally:
            await channel.close()


class _SlowThenCaughtUp(status_pb2_grpc.StatusServiceServicer):
    """Answers its first GetStatus past the caller's deadline (a loaded machine), then caught up."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.calls = 0

    async def GetStatus(  # noqa: N802 - gRPC method names are PascalCase
        self, request: status_pb2.GetStatusRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> status_pb2.GetStatusResponse:
        self.calls += 1
        if self.calls == 1:
            await asyncio.sleep(self.delay_s)
        return status_pb2.GetStatusResponse(caught_up=True)


async def test_wait_caught_up_asks_again_after_a_status_answer_past_its_deadline(auth_secret: str) -> None:
    servicer = _SlowThenCaughtUp(delay_s=1.0)
    server = grpc.aio.server()
    status_pb2_grpc.add_StatusServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        token = token_for(auth_secret, "01", Role.SERVICE)
        replies = await wait_caught_up([f"127.0.0.1:{port}"], token, timeout_s=30, call_timeout_s=0.3)
    finally:
        await server.stop(None)
    assert [r.caught_up for r in replies] == [True]
    assert servicer.calls == 3  # the late answer, then caught up twice in a row
