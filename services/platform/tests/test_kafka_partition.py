"""The network between the services and Kafka degrades, then breaks, then heals: events written through
the transactional outbox are relayed to Kafka and consumed with the inbox, and every one is handled
exactly once, by consumers that are still running afterwards.

The clients reach the broker only through a TCP proxy the test controls (jingwu_devstack.tcp_proxy):
the broker is this module's own, and its advertised listener is the proxy's port, so after bootstrap
the clients connect to the proxy again, never straight to the broker. The store (the session's
FerretDB) is not behind the proxy.

A numbered stream of commands is written to the store over ``FEED_S`` (each queues its
``EVENTS_PER_COMMAND`` events in the outbox of the room it updates, in the same write; every
``NOTICE_EVERY``-th event has a twin on another topic); the
``OutboxRelay`` publishes them through the proxy; a ``BatchConsumer`` (the high-volume path) takes the
first topic and an ``EventConsumer`` (the per-record path most services use) the second, both with an
``Inbox``. While it flows: ``DELAY_MS`` of added latency per chunk, both directions, for
``DELAY_FOR_S``; then a partition (open connections reset, new ones reset on accept) for
``PARTITION_S``, longer than the consumers' session timeout (10 s), so the broker evicts them; then
healed. The partition starts at the moment both consumers have handled a record they have neither
marked in their inbox nor committed, so its commit fails after the heal (the member is gone). That
work then either comes again after the rejoin, and the inbox drops it, or is covered by the commit of
the next batch, which the consumer fetched from its old positions before the rejoin completed (seen
with the ``BatchConsumer``): exactly once either way, and the counts of what the inbox dropped are
printed, not asserted.

The handlers' effect is deliberately not idempotent (one document per handling, holding the event's
number), so a double delivery past the inbox would show: lost = numbers never handled, duplicated =
handlings beyond one per number; per room, the numbers must come in order. Sizes follow the
fault-suite convention (jingwu_devstack.fault_report: ``FAULT_SCALE=full`` for ``make faults``,
reduced in ``make test``).
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu_devstack.fault_report import FaultReport, fault_size
from jingwu_devstack.fetch import ensure_kafka
from jingwu_devstack.procs import Supervisor, free_ports
from jingwu_devstack.stack import kafka_spec
from jingwu_devstack.tcp_proxy import TcpProxy
from jingwu_platform.batch import BatchConsumer, BatchHandler, BatchLimits, Delivery, Rejection
from jingwu_platform.consumer_groups import ConsumerGroup
from jingwu_platform.events import Event, dead_letter_topic, domain_topic, new_event
from jingwu_platform.kafka import (
    EventConsumer,
    EventHandler,
    EventPublisher,
    Inbox,
    create_broker,
    ensure_topics,
)
from jingwu_platform.mongo import Document, create_client
from jingwu_platform.outbox import PENDING, OutboxRelay, outbox_update
from jingwu_platform.status import StatusProbe
from jingwu_platform.testing import group_coordinator_ready, wait_until
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

pytestmark = [pytest.mark.integration, pytest.mark.faults]

EVENTS = fault_size(2_000, 50_000)  # for the batch consumer
EVENTS_PER_COMMAND = 5
COMMANDS = EVENTS // EVENTS_PER_COMMAND
NOTICE_EVERY = 10  # every 10th event has a twin for the per-record consumer
FEED_S = fault_size(20.0, 60.0)  # the commands are written over this long
CALM_S = fault_size(3.0, 5.0)  # before the first fault
DELAY_MS = 200
DELAY_FOR_S = fault_size(5.0, 10.0)
PARTITION_S = fault_size(12.0, 30.0)  # past the consumers' 10 s session timeout: they are evicted
SETTLE_TIMEOUT_S = fault_size(90.0, 600.0)  # from the heal until everything is handled
TEST_TIMEOUT_S = fault_size(300, 1_200)
ROOMS = 50  # the aggregates the commands update; each event is keyed by its room
COMMANDS_PER_WRITE = 4
QUIET_AFTER_CUT_S = 3.0  # what was in flight at the cut is handled by then; nothing after it


# ── a broker reached only through the proxy ──────────────────────────────────────────────────────


@dataclass
class ProxiedKafka:
    proxy: TcpProxy
    broker_port: int

    @property
    def bootstrap(self) -> str:
        return self.proxy.address


@pytest.fixture(scope="module")
async def proxied_kafka(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ProxiedKafka]:
    broker_port, controller_port = free_ports(2)
    proxy = TcpProxy("127.0.0.1", broker_port)
    await proxy.start()
    libs = (await asyncio.to_thread(ensure_kafka, sys.stderr)).path
    data_dir: Path = tmp_path_factory.mktemp("kafka-partition")
    spec = kafka_spec(libs, data_dir, broker_port, controller_port, advertised_port=proxy.port)
    try:
        with Supervisor(out=sys.stderr) as supervisor:
            await asyncio.to_thread(supervisor.start, replace(spec, name="partition-kafka"))
            await group_coordinator_ready(proxy.address)
            yield ProxiedKafka(proxy, broker_port)
    finally:
        await proxy.stop()


def _probe(bootstrap: str, group: ConsumerGroup) -> StatusProbe:
    return StatusProbe(
        bootstrap=bootstrap, service="test", district="00", groups=lambda: [group], relay=None, refresh_s=0
    )


async def _lag(bootstrap: str, group: ConsumerGroup) -> int:
    probe = _probe(bootstrap, group)
    try:
        (lag,) = await probe.lags()
        return lag.lag
    finally:
        await probe.stop()


# ── the stream and what the consumers did with it ────────────────────────────────────────────────


def room_opened(district: str, n: int, room_number: int) -> Event:
    """Event ``n`` of a stream, about a room (its key: per-key order must hold)."""
    room = rooms_pb2.Room(room_id=f"room-{room_number}", name=str(n))
    return new_event(
        events_pb2.RoomOpened(district_code=district, room=room),
        key=room.room_id,
        district=district,
        service="rooms",
    )


@dataclass(frozen=True)
class Topics:
    rooms: str  # every command's event: the batch consumer's
    notices: str  # every NOTICE_EVERY-th event's twin: the per-record consumer's
    dead_letters: str

    @classmethod
    def of(cls, district: str) -> Topics:
        return cls(
            domain_topic(district, "rooms"),
            domain_topic(district, "notices"),
            dead_letter_topic(district, "partition"),
        )

    def events_of(self, district: str, command: int) -> list[tuple[Event, str]]:
        """Command ``command`` updates room ``command % ROOMS``; its events, in order."""
        events = []
        for n in range(command * EVENTS_PER_COMMAND, (command + 1) * EVENTS_PER_COMMAND):
            events.append((room_opened(district, n, command % ROOMS), self.rooms))
            if n % NOTICE_EVERY == 0:
                events.append((room_opened(district, n, command % ROOMS), self.notices))
        return events


async def feed(
    rooms: AsyncCollection[Document],
    relay: OutboxRelay,
    district: str,
    topics: Topics,
    commands: range,
    over_s: float,
) -> None:
    """The commands, paced evenly over ``over_s``: command ``c`` updates room ``c % ROOMS`` and
    queues its events in that document's outbox, in the same write (jingwu_platform.outbox)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    for first in range(commands.start, commands.stop, COMMANDS_PER_WRITE):
        last = min(first + COMMANDS_PER_WRITE, commands.stop)
        await rooms.bulk_write(
            [
                UpdateOne(
                    {"_id": f"room-{c % ROOMS}"},
                    outbox_update(topics.events_of(district, c), **{"$set": {"last_command": c}}),
                    upsert=True,
                )
                for c in range(first, last)
            ],
            ordered=True,
        )
        relay.notify()
        due = started + over_s * (last - commands.start) / len(commands)
        await asyncio.sleep(max(0.0, due - loop.time()))


@dataclass(frozen=True)
class Tally:
    expected: int
    lost: int
    duplicated: int
    out_of_order_rooms: int


class Effect:
    """A handler's effect: one document per event handled, holding its number (not idempotent).

    ``hold_next()`` makes the next write wait, once it is stored, until ``release()``: the handler
    has then done its work, and its inbox mark and commit are still to come."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection
        self.events = 0
        self._hold_next = False
        self.held = asyncio.Event()  # a write is stored and waits
        self._released = asyncio.Event()

    def hold_next(self) -> None:
        self._hold_next = True

    def release(self) -> None:
        self._released.set()

    async def write(self, payloads: Sequence[events_pb2.RoomOpened]) -> None:
        first = self.events
        await self.collection.insert_many(
            [
                {"n": int(p.room.name), "room": p.room.room_id, "seq": first + i}
                for i, p in enumerate(payloads)
            ]
        )
        self.events += len(payloads)
        if self._hold_next:
            self._hold_next = False
            self.held.set()
            await self._released.wait()  # released by the test, also when it fails

    async def handle_batch(
        self, deliveries: Sequence[Delivery[events_pb2.RoomOpened]]
    ) -> Iterable[Rejection]:
        await self.write([d.payload for d in deliveries])
        return ()

    async def handle_one(self, event: Event, payload: events_pb2.RoomOpened) -> None:
        await self.write([payload])

    async def tally(self, numbers: Iterable[int]) -> Tally:
        documents = sorted(
            [d async for d in self.collection.find({}, {"_id": 0})], key=lambda d: int(d["seq"])
        )
        counts = Counter(int(d["n"]) for d in documents)
        expected = list(numbers)
        per_room: dict[str, list[int]] = {}
        for d in documents:
            per_room.setdefault(d["room"], []).append(int(d["n"]))
        return Tally(
            expected=len(expected),
            lost=sum(1 for n in expected if counts[n] == 0),
            duplicated=sum(c - 1 for c in counts.values() if c > 1) + len(set(counts) - set(expected)),
            out_of_order_rooms=sum(1 for ns in per_room.values() if ns != sorted(ns)),
        )


async def _caught_up(
    bootstrap: str, groups: Sequence[ConsumerGroup], rooms: AsyncCollection[Document]
) -> bool:
    for group in groups:
        if await _lag(bootstrap, group) != 0:
            return False
    return await rooms.find_one({PENDING: True}, {"_id": 1}) is None


# ── the fault ────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.timeout(TEST_TIMEOUT_S)
async def test_events_through_a_delayed_then_partitioned_kafka_are_handled_exactly_once(
    proxied_kafka: ProxiedKafka, mongo_url: str, district: str, fault_report: FaultReport
) -> None:
    proxy, bootstrap = proxied_kafka.proxy, proxied_kafka.bootstrap
    topics = Topics.of(district)
    await ensure_topics(bootstrap, [topics.rooms, topics.notices, topics.dead_letters], partitions=3)
    database_name = f"jingwu_test_partition_{secrets.token_hex(4)}"
    # Two clients, as two services would have: the producing side's and the consuming side's.
    producing_client = create_client(mongo_url, "partition-producer")
    consuming_client = create_client(mongo_url, "partition-consumer")
    rooms = producing_client[database_name]["rooms"]
    consuming = consuming_client[database_name]
    batched, per_record = Effect(consuming["handled_in_batches"]), Effect(consuming["handled_one_by_one"])

    relay_broker = create_broker(bootstrap, client_id="partition-relay")
    relay = OutboxRelay([rooms], EventPublisher(relay_broker), poll_interval_s=0.2)
    batch_consumer = BatchConsumer(
        bootstrap=bootstrap,
        group_id=f"partition-batches-{uuid.uuid4().hex[:6]}",
        topics=[topics.rooms],
        dead_letter_topic=topics.dead_letters,
        handler=BatchHandler((events_pb2.RoomOpened,), batched.handle_batch),
        inbox=Inbox(consuming, consumer="test.partition.batches"),
        limits=BatchLimits(retry_backoff_s=0.2, max_backoff_s=1.0),
    )
    consumer_broker = create_broker(bootstrap, client_id="partition-records")
    record_consumer = EventConsumer(
        broker=consumer_broker,
        publisher=EventPublisher(consumer_broker),
        inbox=Inbox(consuming, consumer="test.partition.records"),
        group_id=f"partition-records-{uuid.uuid4().hex[:6]}",
        topics=[topics.notices],
        dead_letter_topic=topics.dead_letters,
        handlers=[EventHandler(events_pb2.RoomOpened, per_record.handle_one)],
        retry_delay_s=0.2,
        max_redelivery_backoff_s=1.0,
    )
    await relay.ensure_indexes()
    await relay_broker.start()
    await batch_consumer.start()
    await consumer_broker.start()
    relaying = asyncio.create_task(relay.run(), name="outbox relay")
    # The consumers' loops (the BatchConsumer's task; FastStream's consume tasks, which its supervisor
    # would restart after a crash, leaving the crashed one done in the list): all must outlive the fault.
    assert batch_consumer._task is not None
    loops = [relaying, batch_consumer._task]
    loops += [task for subscriber in consumer_broker.subscribers for task in subscriber.tasks]  # type: ignore[attr-defined]
    groups = [batch_consumer.consumer_group, record_consumer.consumer_group]
    started = time.monotonic()
    try:
        feeding = asyncio.create_task(feed(rooms, relay, district, topics, range(COMMANDS), FEED_S))
        await asyncio.sleep(CALM_S)
        before_delay = (batched.events, per_record.events)
        assert all(before_delay), f"handled before the fault: {before_delay}; the stream is not flowing"

        proxy.delay_s = DELAY_MS / 1000
        await asyncio.sleep(DELAY_FOR_S)
        during_delay = (batched.events - before_delay[0], per_record.events - before_delay[1])

        # Cut while both consumers hold handled work that is neither marked in the inbox nor committed.
        batched.hold_next()
        per_record.hold_next()
        await asyncio.wait_for(asyncio.gather(batched.held.wait(), per_record.held.wait()), timeout=30)
        await proxy.partition()
        cut_at = time.monotonic()
        proxy.delay_s = 0.0
        batched.release()
        per_record.release()
        await asyncio.sleep(QUIET_AFTER_CUT_S)
        after_cut = (batched.events, per_record.events)
        await asyncio.sleep(max(0.0, PARTITION_S - QUIET_AFTER_CUT_S))
        during_partition = (batched.events - after_cut[0], per_record.events - after_cut[1])
        partitioned_s = time.monotonic() - cut_at
        refused_while_partitioned = proxy.refused
        proxy.heal()
        healed_at = time.monotonic()

        await feeding
        notices = len(range(0, EVENTS, NOTICE_EVERY))
        try:
            await wait_until(
                lambda: batched.events >= EVENTS and per_record.events >= notices,
                what="every event handled",
                timeout_s=SETTLE_TIMEOUT_S,
            )
        except TimeoutError as error:
            pending = await rooms.count_documents({PENDING: True})
            raise TimeoutError(
                f"{error}: batch consumer {batched.events} of {EVENTS}, per-record consumer "
                f"{per_record.events} of {notices}, relay published {relay.published}, "
                f"{pending} rooms with events still in their outbox"
            ) from error
        caught_up_s = time.monotonic() - healed_at
        # After the heal, a new command's events still go all the way: outbox, relay, Kafka, consumers.
        await feed(rooms, relay, district, topics, range(COMMANDS, COMMANDS + 1), 0.0)
        await wait_until(
            lambda: batched.events >= EVENTS + EVENTS_PER_COMMAND and per_record.events >= notices + 1,
            what="the events of a command written after the heal",
        )
        await wait_until(
            lambda: _caught_up(bootstrap, groups, rooms),
            what="everything committed and nothing pending in the outbox",
            timeout_s=60,
        )
        crashed = sum(1 for task in loops if task.done())
    finally:
        batched.release()
        per_record.release()
        relaying.cancel()
        await asyncio.gather(relaying, return_exceptions=True)
        await consumer_broker.stop()
        await batch_consumer.stop()
        await relay_broker.stop()
    elapsed = time.monotonic() - started

    tallies = (
        await batched.tally(range(EVENTS + EVENTS_PER_COMMAND)),
        await per_record.tally(range(0, EVENTS + EVENTS_PER_COMMAND, NOTICE_EVERY)),
    )
    await producing_client.drop_database(database_name)
    await producing_client.close()
    await consuming_client.close()
    produced = sum(t.expected for t in tallies)
    lost = sum(t.lost for t in tallies)
    duplicated = sum(t.duplicated for t in tallies)
    dropped_by_inbox = (batch_consumer.duplicates, record_consumer.duplicates)
    fault_report.add(
        "network delay, then partition, to Kafka",
        unit="events",
        through=produced,
        lost=lost,
        duplicated=duplicated,
        crashed=crashed,
        seconds=elapsed,
        note=(
            f"{DELAY_MS} ms delay for {DELAY_FOR_S:.0f} s, then partitioned {partitioned_s:.0f} s; "
            f"{sum(dropped_by_inbox)} redeliveries dropped by the inbox"
        ),
    )
    print(
        f"\nfault: kafka partition | produced {produced} | lost {lost} | duplicated {duplicated} | "
        f"crashed {crashed}\n"
        f"  events (batch consumer, per-record consumer): {tallies[0].expected}, {tallies[1].expected}; "
        f"handled {before_delay} before the fault, {during_delay} during {DELAY_FOR_S:.0f} s of "
        f"{DELAY_MS} ms delay, {during_partition} in the last {partitioned_s - QUIET_AFTER_CUT_S:.0f} s "
        f"of a {partitioned_s:.0f} s partition; redeliveries dropped by the inbox {dropped_by_inbox}; "
        f"all handled {caught_up_s:.1f} s after the heal\n"
        f"  proxy: {proxy.connections} connections forwarded, {proxy.dropped} cut by the partition, "
        f"{refused_while_partitioned} reset on accept during it; relay published {relay.published} "
        f"(at-least-once); batch consumer {batch_consumer.failed_attempts} failed attempts, "
        f"per-record consumer {record_consumer.redeliveries} rewinds; dead letters "
        f"{batch_consumer.dead_lettered + record_consumer.dead_lettered}; {elapsed:.0f} s"
    )
    assert lost == 0 and duplicated == 0, f"lost {lost}, duplicated {duplicated}: {tallies}"
    assert all(t.out_of_order_rooms == 0 for t in tallies), f"handled out of order per room: {tallies}"
    assert crashed == 0, "a relay or consumer loop ended during the fault"
    assert batch_consumer.dead_lettered == record_consumer.dead_lettered == 0
    # The proxy was the only path: the partition cut live connections, the clients kept trying, and
    # nothing was handled while it lasted (past what was in flight at the cut).
    assert proxy.dropped > 0 and refused_while_partitioned > 0
    assert during_partition == (0, 0)
