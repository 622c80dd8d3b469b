"""What the platform relies on under the one-connection rule, proved on the real FerretDB (docs/adr/0003).

FerretDB v1 loses concurrent updates of one document made over different connections, so every local
client has ``maxPoolSize=1`` and one process per service and district writes a store
(``jingwu_platform.store_guard``). Within that rule the operations the platform builds on must lose
nothing when they race inside a process: commands pushing events onto an aggregate's outbox while the
relay publishes them and ``$pullAll``s what it published (jingwu_platform.outbox), and duplicate
deliveries of one event marking the consumer's inbox at once (jingwu_platform.kafka.Inbox). The
version-checked save is covered by test_kit_and_repository.py::
test_concurrent_read_decide_write_on_one_connection_loses_nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from google.protobuf.wrappers_pb2 import StringValue
from jingwu_platform.events import Event, domain_topic, new_event
from jingwu_platform.kafka import EventPublisher, Inbox, create_broker, ensure_topics
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRelay, outbox_update, with_outbox
from jingwu_platform.testing import read_topic
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration


def event(district: str, text: str) -> Event:
    return new_event(StringValue(value=text), key="s-1", district=district, service="samples")


async def documents_in(database: AsyncDatabase[Document]) -> int:
    """Every document the database holds, whatever collection the platform keeps them in."""
    names = await database.list_collection_names()
    return sum([await database[name].count_documents({}) for name in names])


@pytest.fixture
async def publisher(kafka_bootstrap: str, district: str) -> AsyncIterator[EventPublisher]:
    broker = create_broker(kafka_bootstrap, client_id=f"one-connection-{district}")
    await broker.start()
    try:
        yield EventPublisher(broker)
    finally:
        await broker.stop()


def test_the_session_store_is_used_over_one_connection(fresh_database: AsyncDatabase[Document]) -> None:
    # The precondition of everything below: the test store's URL carries the local rule.
    assert fresh_database.client.options.pool_options.max_pool_size == 1


async def test_outbox_pushes_racing_the_relay_lose_no_event(
    fresh_database: AsyncDatabase[Document],
    publisher: EventPublisher,
    kafka_bootstrap: str,
    district: str,
) -> None:
    """60 commands push an event each onto one aggregate's outbox (with a state change in the same
    update) while the relay drains it over and over: every event is published exactly once, every state
    change is kept, and the outbox ends empty and not pending."""
    topic = domain_topic(district, "samples")
    await ensure_topics(kafka_bootstrap, [topic], partitions=1)
    collection = fresh_database["samples"]
    created = event(district, "created")
    await collection.insert_one(with_outbox({"_id": "s-1", "n": 0}, [(created, topic)]))
    relay = OutboxRelay([collection], publisher, poll_interval_s=0.05)
    await relay.ensure_indexes()

    async def command(i: int) -> str:
        await asyncio.sleep(i * 0.005)  # spread over the relay's rounds
        queued = event(district, f"command-{i}")
        await collection.update_one({"_id": "s-1"}, outbox_update([(queued, topic)], **{"$inc": {"n": 1}}))
        return queued.event_id

    commands_done = asyncio.Event()

    async def relay_rounds() -> None:
        while not commands_done.is_set():
            await relay.drain()
            await asyncio.sleep(0)

    rounds = asyncio.create_task(relay_rounds())
    ids = await asyncio.gather(*(command(i) for i in range(60)))
    commands_done.set()
    await rounds
    while await relay.drain():
        pass

    stored = await collection.find_one({"_id": "s-1"})
    assert stored is not None
    assert stored["n"] == 60
    assert stored["_outbox"] == []
    assert "_outbox_pending" not in stored
    expected = {created.event_id, *ids}
    records = await read_topic(kafka_bootstrap, topic, until=lambda rs: len(rs) >= len(expected))
    # As many records as events, and every event among them: none lost, none published twice.
    assert {r.headers["ce_id"] for r in records} == expected
    assert relay.published == len(expected)


async def test_duplicate_inbox_marks_at_once_leave_one_mark(
    fresh_database: AsyncDatabase[Document], district: str
) -> None:
    """An event delivered 30 times at once marks the consumer's inbox once; 20 other events, each
    delivered three times concurrently, once each; another consumer keeps marks of its own."""
    inbox = Inbox(fresh_database, "samples-consumer")
    once = event(district, "delivered 30 times")
    await asyncio.gather(*(inbox.mark(once) for _ in range(30)))
    assert await inbox.seen(once.event_id)
    assert await documents_in(fresh_database) == 1

    others = [event(district, f"other-{i}") for i in range(20)]
    await asyncio.gather(*(inbox.mark(e) for e in others for _ in range(3)))
    assert all([await inbox.seen(e.event_id) for e in others])
    assert await documents_in(fresh_database) == 21

    other_consumer = Inbox(fresh_database, "another-consumer")
    assert not await other_consumer.seen(once.event_id)
    await asyncio.gather(*(other_consumer.mark(once) for _ in range(10)))
    assert await other_consumer.seen(once.event_id)
    assert await documents_in(fresh_database) == 22
