"""The fix consumer under faults (R-TEL-1, R-TEL-2 → R-PAT-6, R-ROOM-5, R-POP-7): the district's real
``jingwu-telemetry`` process, fixes in the gateways' wire format on the district's raw-fix topic, and
a Kafka and FerretDB of this module's own, so a fault here never reaches another test.

- SIGKILL every ~10 s of work over 1,000,000 fixes (``make faults``; every 1–2.5 s over 80,000 in
  ``make test``): every fix stored exactly once;
- the store away for 30 s mid-stream (20 s in ``make test``): the process stays up, pauses, resumes,
  loses nothing; a command meanwhile is refused UNAVAILABLE, and sent again after, stored once;
- the broker restarted mid-stream (producing and consuming): nothing lost.

Each checks the store against what was produced: stored points == distinct (device, fix time) ==
produced (``MongoTrackStore.counts``: a double store or a lost batch fails it), no dead letter, and the
derived zone events — stored once each under the ids the domain derives from the stream without any
fault, and published once each (at-least-once records, one ``ce_id`` per event). Each adds its row
(lost, duplicated, crashed) to the fault report; the details are printed (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc
from jingwu_devstack.fault_report import FaultReport, fault_size
from jingwu_devstack.procs import ProcessInfo, Supervisor
from jingwu_platform.auth import Role
from jingwu_platform.events import dead_letter_topic, domain_topic, telemetry_fixes_topic
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.kafka import ensure_topics
from jingwu_platform.testing import token_for, wait_caught_up, wait_until
from jingwu_telemetry.entrypoints.main import FIXES_DLQ

from .fault_support import (
    Acks,
    ConsumerProcess,
    FaultStack,
    FixStream,
    StoredFixes,
    ZoneOracle,
    publish_stream,
    published_zone_events,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.faults]

# devices × seconds: 1,000,000 fixes at full size, 80,000 in make test (a process stores ~5,000 a second)
KILL_FIXES = fault_size((50, 1_600), (250, 4_000))
# a kill this long after the new process's first commit (uniform): every ~10 s of work at full size
KILL_AFTER_S = fault_size((1.0, 2.5), (8.0, 12.0))
MIN_KILLS = fault_size(4, 15)
KILL_AIM_S = 5.0  # how long a kill waits for stored work not yet committed, at most
KILL_TIMEOUT_S = fault_size(600, 5_400)
STORE_DOWN_FIXES = (50, 400)  # 20,000
# long enough for a command to meet the store's 10 s server selection timeout inside the outage
STORE_DOWN_S = fault_size(20.0, 30.0)
BROKER_FIXES = (50, 400)  # 20,000


@pytest.fixture(scope="module")
async def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FaultStack]:
    with Supervisor(out=sys.stderr) as supervisor:
        yield await FaultStack.started(supervisor, tmp_path_factory.mktemp("faults"))


@pytest.fixture
async def stored(fault_stack: FaultStack, district: str) -> AsyncIterator[StoredFixes]:
    store = StoredFixes(fault_stack, district)
    await ensure_topics(
        fault_stack.bootstrap,
        [
            telemetry_fixes_topic(district),
            dead_letter_topic(district, FIXES_DLQ),
            domain_topic(district, "telemetry"),
        ],
        3,
    )
    yield store
    await store.close()


@pytest.fixture
def consumer(
    fault_stack: FaultStack, district: str, auth_secret: str, tmp_path: Path
) -> Iterator[ConsumerProcess]:
    process = ConsumerProcess(fault_stack, district, auth_secret, tmp_path)
    yield process
    process.close()


async def caught_up(consumer: ConsumerProcess, auth_secret: str, timeout_s: float) -> None:
    """The process says every fix is committed and every zone event relayed (GetStatus, twice)."""
    token = token_for(auth_secret, consumer.district, Role.SUPERVISOR)
    await wait_caught_up([consumer.address], token, timeout_s=timeout_s)


@dataclass(frozen=True)
class Outcome:
    """What the fault report records of one run: the fault, how long, and processes that ended on
    their own (a SIGKILL the test sent is not a crash)."""

    fault: str
    seconds: float
    crashed: int
    note: str = ""


async def assert_stored_once(
    fault_stack: FaultStack,
    stored: StoredFixes,
    stream: FixStream,
    oracle: ZoneOracle,
    report: FaultReport,
    outcome: Outcome,
) -> str:
    """Every fix stored once, nothing dead-lettered, every zone event stored and published once; the
    row goes to the fault report before the checks. Returns the figures as one line."""
    district, expected_events = stored.district, oracle.ids
    total, distinct = await stored.counts()
    report.add(
        outcome.fault,
        unit="fixes",
        through=stream.total,
        lost=stream.total - distinct,
        duplicated=total - distinct,
        crashed=outcome.crashed,
        seconds=outcome.seconds,
        note=outcome.note,
    )
    assert outcome.crashed == 0, "a process ended that should have stayed up"
    assert len(expected_events) == 2 * oracle.crossing_devices  # each enters and leaves once
    assert (total, distinct) == (stream.total, stream.total), "stored, distinct vs produced"
    dead = await stored.records_on(dead_letter_topic(district, FIXES_DLQ))
    assert dead == 0, "a fix was dead-lettered"
    ids = await stored.zone_event_ids()
    assert len(ids) == len(set(ids)) and set(ids) == expected_events, "zone events stored"
    published = await published_zone_events(fault_stack.bootstrap, domain_topic(district, "telemetry"))
    assert len(published.events) == len(expected_events), "zone events published"
    assert published.ids_per_event == 1, "one zone event published under two event ids"
    return (
        f"stored {total:,} / distinct {distinct:,} of {stream.total:,} produced; dead letters {dead}; "
        f"zone events {len(ids)} stored ({len(expected_events)} expected), {len(published.events)} "
        f"published in {published.records} records under {published.event_ids} ids"
    )


def handheld(request_id: str) -> telemetry_pb2.RegisterDeviceRequest:
    return telemetry_pb2.RegisterDeviceRequest(
        kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
        handheld=telemetry_pb2.HandheldApp(app_instance_id=request_id, model="警务通"),
        officer_id="officer-outage",
        request_id=request_id,
    )


async def register(consumer: ConsumerProcess, auth_secret: str, request_id: str) -> str:
    """RegisterDevice (a command: one write and its outbox event); the device id it answered."""
    token = token_for(auth_secret, consumer.district, Role.SUPERVISOR)
    async with open_channel(consumer.address, token) as channel:
        stub = telemetry_pb2_grpc.TelemetryServiceStub(channel)
        reply = await stub.RegisterDevice(handheld(request_id), timeout=60)
        return str(reply.device.device_id)


@dataclass(frozen=True)
class MidStream:
    stream: FixStream
    oracle: ZoneOracle
    chunks: list[list[telemetry_pb2.LocationFix]]
    info: ProcessInfo
    started: float


async def mid_stream(
    fault_stack: FaultStack,
    stored: StoredFixes,
    consumer: ConsumerProcess,
    size: tuple[int, int],
    chunk: int,
) -> MidStream:
    """The consumer started and 8 chunks of the stream published, once it has stored 4,000 fixes: the
    moment a fault is injected; the rest of the chunks are the test's to publish."""
    stream = FixStream(stored.district, *size)
    oracle = ZoneOracle(stream)
    await stored.prepare(stream)
    chunks = list(stream.chunks(chunk, oracle))
    info = await consumer.start()
    started = time.monotonic()
    await publish_stream(fault_stack.bootstrap, chunks[:8])
    await wait_until(
        lambda: stored.points_at_least(4_000), timeout_s=120, what="the consumer to be mid-stream"
    )
    return MidStream(stream, oracle, chunks, info, started)


@dataclass(frozen=True)
class Kill:
    """One SIGKILL: seconds from start to ready, to its first commit, to the kill; what the group had
    committed then, and what was stored past that commit (delivered again to the next process)."""

    ready_s: float
    first_commit_s: float
    killed_s: float
    committed: int
    stored_past_commit: int


async def worked(stored: StoredFixes, *, seconds: float, records: int) -> None:
    """Until ``seconds`` have passed or the group has committed ``records`` more, whichever comes first."""
    deadline = time.monotonic() + seconds
    start = await stored.committed()
    while time.monotonic() < deadline:
        if await stored.committed() - start >= records:
            return
        await asyncio.sleep(0.05)


async def stored_past_commit_seen(stored: StoredFixes, *, within_s: float) -> bool:
    """Whether, within ``within_s``, the store held more points than the group had committed (the
    commit is read first, so a batch stored after it counts)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        committed = await stored.committed()
        if await stored.points() > committed:
            return True
    return False


@pytest.mark.timeout(KILL_TIMEOUT_S)
async def test_sigkill_every_few_seconds_stores_every_fix_exactly_once(
    fault_stack: FaultStack,
    stored: StoredFixes,
    consumer: ConsumerProcess,
    auth_secret: str,
    fault_report: FaultReport,
) -> None:
    stream = FixStream(stored.district, *KILL_FIXES)
    oracle = ZoneOracle(stream)
    await stored.prepare(stream)
    rng = random.Random(808)  # the kill times: the same every run
    started = time.monotonic()
    producing = asyncio.create_task(publish_stream(fault_stack.bootstrap, stream.chunks(5_000, oracle)))

    async def finished() -> bool:
        return producing.done() and await stored.lag() == 0

    kills: list[Kill] = []
    while True:
        spawned = time.monotonic()
        await consumer.start()
        ready = time.monotonic()
        before = await stored.committed()

        async def progressed(before: int = before) -> bool:
            return await finished() or await stored.committed() > before

        # The killed member's session (10 s) has to end before the group hands the partitions to the
        # new one; the kill comes a few seconds into its work, after its first commit.
        await wait_until(progressed, timeout_s=120, what="the restarted consumer to commit a batch")
        if await finished():
            break
        first_commit = time.monotonic()
        # A few seconds of work, or a share of the stream if the machine gets through it faster, so a
        # stream of any speed sees at least MIN_KILLS kills.
        await worked(stored, seconds=rng.uniform(*KILL_AFTER_S), records=stream.total // (4 * MIN_KILLS))
        # Aimed, when it can be seen in time, at a moment the process holds stored work it has not
        # committed yet: a kill between batches tests nothing a clean stop does not (one run at load ~10
        # had all five of its kills land there).
        await stored_past_commit_seen(stored, within_s=KILL_AIM_S)
        await consumer.kill()
        killed = time.monotonic()
        points, committed = await stored.points(), await stored.committed()
        # Never committed what is not stored; what is stored past the commit comes again.
        assert committed <= points, f"kill {len(kills) + 1}: {committed} committed, {points} stored"
        kills.append(
            Kill(ready - spawned, first_commit - spawned, killed - spawned, committed, points - committed)
        )
    acks = await producing
    await caught_up(consumer, auth_secret, timeout_s=120)
    elapsed = time.monotonic() - started
    replayed = sum(k.stored_past_commit for k in kills)
    outcome = Outcome(
        "consumer SIGKILLed",
        elapsed,
        crashed=0 if consumer.alive() else 1,
        note=f"{len(kills)} SIGKILLs, {replayed:,} stored fixes delivered again",
    )
    figures = await assert_stored_once(fault_stack, stored, stream, oracle, fault_report, outcome)
    assert acks.fixes == stream.total and acks.failed_attempts == 0
    assert len(kills) >= MIN_KILLS, f"only {len(kills)} kills: the stream went too fast to test much"
    assert replayed > 0, "no kill left stored work uncommitted: the replays were never tested"
    print(
        f"\nfaults/sigkill: {stream.total:,} fixes ({stream.devices} devices), {len(kills)} SIGKILLs in "
        f"{elapsed:.0f} s ({consumer.incarnations} processes), {replayed:,} stored fixes delivered again "
        f"after the kills; {figures}\n  per kill, s from spawn to ready / first commit / kill, committed, "
        "stored past the commit: "
        + "; ".join(
            f"{k.ready_s:.0f}/{k.first_commit_s:.0f}/{k.killed_s:.0f} {k.committed:,} "
            f"+{k.stored_past_commit:,}"
            for k in kills
        )
    )


async def test_store_away_mid_stream_pauses_resumes_and_loses_nothing(
    fault_stack: FaultStack,
    stored: StoredFixes,
    consumer: ConsumerProcess,
    auth_secret: str,
    fault_report: FaultReport,
) -> None:
    # A backlog, so the store goes away in the middle of the batches (and of a batch's writes).
    run = await mid_stream(fault_stack, stored, consumer, STORE_DOWN_FIXES, chunk=2_000)
    stream, oracle, chunks, info, started = run.stream, run.oracle, run.chunks, run.info, run.started
    down_at = time.monotonic()
    await asyncio.to_thread(fault_stack.stop_store)  # SIGTERM: FerretDB refuses new connections,
    stopped_s = time.monotonic() - down_at  # then ends the open ones (a few seconds)
    at_stop = await stored.committed()
    # The rest of the stream arrives while the store is away (the gateways need only Kafka).
    await publish_stream(fault_stack.bootstrap, chunks[8:])
    # A command meanwhile is refused as retryable (UNAVAILABLE, not INTERNAL), within the outage.
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await register(consumer, auth_secret, "outage-command")
    refused_after_s = time.monotonic() - down_at
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, refused.value.details()
    assert refused_after_s < STORE_DOWN_S, "the command's answer came after the outage"
    await asyncio.sleep(STORE_DOWN_S / 2 - (time.monotonic() - down_at))
    stalled = await stored.committed()
    await asyncio.sleep(STORE_DOWN_S - (time.monotonic() - down_at))
    assert await stored.committed() == stalled, "committed while the store was away"
    assert consumer.alive(), "the process ended while the store was away"
    await asyncio.to_thread(fault_stack.start_store)
    back_at = time.monotonic()
    down_s = back_at - down_at

    await caught_up(consumer, auth_secret, timeout_s=180)
    recovered_s = time.monotonic() - back_at
    # The client sends the command again with its key once the store is back: one device, and a
    # third send answers the same one (nothing half-written by the refused attempt).
    device_id = await register(consumer, auth_secret, "outage-command")
    assert await register(consumer, auth_secret, "outage-command") == device_id
    token = token_for(auth_secret, consumer.district, Role.SUPERVISOR)
    async with open_channel(consumer.address, token) as channel:
        listed = await telemetry_pb2_grpc.TelemetryServiceStub(channel).ListDevices(
            telemetry_pb2.ListDevicesRequest(officer_id="officer-outage")
        )
    commands_lost = 0 if [d.device_id for d in listed.devices] == [device_id] else 1
    commands_doubled = max(len(listed.devices) - 1, 0)
    assert (commands_lost, commands_doubled) == (0, 0), list(listed.devices)
    survived = consumer.alive() and consumer.info is not None and consumer.info.pid == info.pid
    outcome = Outcome(
        f"store down {down_s:.0f} s (commands and consumption)",
        time.monotonic() - started,
        crashed=0 if survived and consumer.incarnations == 1 else 1,
        note=(
            f"caught up {recovered_s:.0f} s after the store was back; a command in the outage "
            f"UNAVAILABLE after {refused_after_s:.0f} s, sent again after: one device"
        ),
    )
    figures = await assert_stored_once(fault_stack, stored, stream, oracle, fault_report, outcome)
    logs = consumer.logs()
    assert "batch not processed; rewound and paused, will retry" in logs
    assert '"unavailable": true' in logs
    retries = logs.count("batch not processed; rewound and paused")
    total_s = time.monotonic() - started
    print(
        f"\nfaults/store-down: {stream.total:,} fixes, store away {down_s:.0f} s (stopping took "
        f"{stopped_s:.0f} s; {at_stop:,} committed once it was gone, {stalled:,} at mid-outage); "
        f"one process throughout (pid {info.pid}), {retries} batch attempts rewound and paused; "
        f"caught up {recovered_s:.0f} s after the store was back, {total_s:.0f} s in all; "
        f"{figures}"
    )


@pytest.mark.timeout(420)
async def test_broker_restart_mid_stream_loses_nothing(
    fault_stack: FaultStack,
    stored: StoredFixes,
    consumer: ConsumerProcess,
    auth_secret: str,
    fault_report: FaultReport,
) -> None:
    run = await mid_stream(fault_stack, stored, consumer, BROKER_FIXES, chunk=1_000)
    stream, oracle, chunks, info, started = run.stream, run.oracle, run.chunks, run.info, run.started
    at_restart = await stored.committed()
    # The rest is published while the broker goes down and comes back: what is not acknowledged is
    # sent again, as a terminal resends what the gateway did not answer (R-TEL-2).
    acks = Acks()
    rest = chunks[8:]  # 12 chunks, one a second: the broker stops 1 s into them
    producing = asyncio.create_task(publish_stream(fault_stack.bootstrap, rest, pause_s=1.0, acks=acks))
    await asyncio.sleep(1.0)
    down_at, acked_before = time.monotonic(), acks.fixes
    await asyncio.to_thread(fault_stack.stop_kafka)
    await asyncio.sleep(2.0)
    await asyncio.to_thread(fault_stack.start_kafka)
    back_at, acked_down = time.monotonic(), acks.fixes - acked_before
    await asyncio.wait_for(producing, timeout=180)

    await caught_up(consumer, auth_secret, timeout_s=180)
    recovered_s = time.monotonic() - back_at
    survived = consumer.alive() and consumer.info is not None and consumer.info.pid == info.pid
    records = await stored.records_on(telemetry_fixes_topic(stored.district))
    outcome = Outcome(
        "broker restart mid-stream",
        time.monotonic() - started,
        crashed=0 if survived else 1,
        note=f"{acks.failed_attempts} publish attempts sent again",
    )
    figures = await assert_stored_once(fault_stack, stored, stream, oracle, fault_report, outcome)
    assert acks.fixes == sum(len(chunk) for chunk in rest)
    after = acks.fixes - acked_before - acked_down
    print(
        f"\nfaults/broker-restart: {stream.total:,} fixes; broker stopped after {at_restart:,} committed, "
        f"back (ready) {back_at - down_at:.0f} s later; of the rest, {acked_before:,} fixes acknowledged "
        f"before the stop, {acked_down:,} while it was down or starting, {after:,} after; "
        f"{acks.failed_attempts} publish attempts failed and were sent again; {records:,} records on "
        f"the topic for {stream.total:,} fixes; one process throughout (pid {info.pid}); caught up "
        f"{recovered_s:.0f} s after the broker was back, {time.monotonic() - started:.0f} s in all; "
        f"{figures}"
    )
