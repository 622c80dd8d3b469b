"""The JT/T 808 gateway over real TCP, with the registry and Kafka real too (R-TEL-2): registration →
auth code, authentication, reports and stored fixes published to the district's topic before the
terminal is answered, the position query, sub-packages with a missing packet, both revisions and the
terminals' quirks; and what it refuses, counted, without its loop ever dying."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.testing import read_topic, wait_until
from jingwu_telemetry.jt808 import (
    BatchKind,
    Header,
    Heartbeat,
    Message,
    PlatformResponse,
    RawBody,
    Result,
    Revision,
    encode,
)
from jingwu_telemetry.jt808.header import PHONE_BYTES
from jingwu_telemetry.sim.reports import report_at
from jingwu_telemetry.sim.terminal import Terminal, TerminalIdentity

from .conftest import Stack
from .wire import frame, header_2013

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)


def fixes_topic(stack: Stack) -> str:
    return f"jingwu.{stack.district}.telemetry.fixes.v1"


async def fixes_of(
    stack: Stack, kafka_bootstrap: str, device_id: str, count: int
) -> list[telemetry_pb2.LocationFix]:
    records = await read_topic(
        kafka_bootstrap,
        fixes_topic(stack),
        until=lambda rs: sum(r.key == device_id.encode() for r in rs) >= count,
    )
    return [
        telemetry_pb2.LocationFix.FromString(r.value or b"") for r in records if r.key == device_id.encode()
    ]


async def connected(stack: Stack, identity: TerminalIdentity, **options: object) -> Terminal:
    terminal = Terminal(identity, "127.0.0.1", stack.jt808.port, **options)  # type: ignore[arg-type]
    await terminal.connect()
    return terminal


@pytest.mark.parametrize(
    "identity",
    [
        TerminalIdentity("13900000001", "T000001", "皖L00001"),
        TerminalIdentity("13900000002", "T2019-000002", "皖L00002", revision=Revision.R2019),
        TerminalIdentity("13900000003", "T000003", "皖L00003", version_flag_quirk=True),
    ],
    ids=["2013", "2019", "2019-flag-on-2013-frames"],
)
async def test_a_terminal_registers_authenticates_and_its_fixes_reach_the_district_topic(
    stack: Stack, kafka_bootstrap: str, identity: TerminalIdentity
) -> None:
    device = await stack.provision_terminal(identity.phone, identity.plate)
    terminal = await connected(stack, identity, position=lambda: report_at(33.6401, 116.9751, NOW))
    try:
        registered = await terminal.register()
        assert registered.result == 0 and registered.auth_code
        assert await terminal.authenticate() == Result.SUCCESS
        # After authenticating, the gateway asks for the position (0x8201); the answer is published.
        assert (
            await terminal.report(
                report_at(33.6402, 116.9752, NOW + timedelta(seconds=10), speed_kmh=36.5, mileage_km=1234.5)
            )
            == 0
        )
        fixes = await fixes_of(stack, kafka_bootstrap, device.device_id, 2)
    finally:
        await terminal.close()
    by_source = {f.source: f for f in fixes}
    report = by_source[telemetry_pb2.FIX_SOURCE_JT808_REPORT]
    assert (
        report.district_code == stack.district
        and report.device_kind == telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL
    )
    assert (round(report.position.latitude, 4), round(report.position.longitude, 4)) == (33.6402, 116.9752)
    assert report.fix_time.ToDatetime(tzinfo=UTC) == NOW + timedelta(seconds=10)  # BCD GMT+8 → UTC
    assert report.speed_kmh == 36.5 and report.mileage_km == 1234.5 and report.satellites == 9
    assert report.status_flags & 0b10
    assert telemetry_pb2.FIX_SOURCE_JT808_QUERY in by_source
    assert any(m.header.message_id == 0x8201 for m in terminal.received)
    # The gateway answered in the revision the terminal speaks.
    assert {m.header.revision for m in terminal.received} == {identity.revision}


@pytest.mark.parametrize("stack", [{"reassembly_timeout_s": 1.0}], indirect=True)
async def test_stored_fixes_come_as_a_sub_packaged_batch_even_with_a_lost_packet(
    stack: Stack, kafka_bootstrap: str
) -> None:
    identity = TerminalIdentity("13900000011", "T000011", "皖L00011")
    device = await stack.provision_terminal(identity.phone, identity.plate)
    terminal = await connected(stack, identity)
    try:
        assert (await terminal.register()).result == 0
        assert await terminal.authenticate() == Result.SUCCESS
        stored = [report_at(33.64 + n * 1e-4, 116.97, NOW - timedelta(minutes=60 - n)) for n in range(50)]
        assert await terminal.batch(stored, BatchKind.BACKFILL) == Result.SUCCESS  # 1,603 bytes: 2 packets
        fixes = await fixes_of(stack, kafka_bootstrap, device.device_id, 50)
        assert {f.source for f in fixes} >= {telemetry_pb2.FIX_SOURCE_JT808_BACKFILL}
        assert len([f for f in fixes if f.source == telemetry_pb2.FIX_SOURCE_JT808_BACKFILL]) == 50

        # Now a batch whose first packet is lost on the way: the gateway asks for it (0x8003), the
        # terminal re-sends it, and the batch is published and answered.
        original_send = terminal.send_raw
        dropped: list[bytes] = []

        async def lose_first_packet(data: bytes) -> None:
            if not dropped and len(data) > 1000:
                dropped.append(data)
                return
            await original_send(data)

        terminal.send_raw = lose_first_packet  # type: ignore[method-assign]
        later = [
            report_at(33.65, 116.97 + n * 1e-4, NOW - timedelta(minutes=30, seconds=-n)) for n in range(50)
        ]
        assert await terminal.batch(later, BatchKind.BACKFILL) == Result.SUCCESS
        assert dropped and terminal.resend_requests
        assert terminal.resend_requests[0].packet_ids == (1,)
        await fixes_of(stack, kafka_bootstrap, device.device_id, 100)
    finally:
        await terminal.close()


async def test_refusals_are_answered_as_the_standard_says_counted_and_the_connection_goes_on(
    stack: Stack,
) -> None:
    counters = stack.jt808.counters
    identity = TerminalIdentity("13900000021", "T000021", "皖L00021")
    await stack.provision_terminal(identity.phone, identity.plate)
    terminal = await connected(stack, identity)
    try:
        # A report before authenticating: failure, counted.
        assert await terminal.report(report_at(33.64, 116.97, NOW)) == Result.FAILURE
        assert counters.refused["unauthenticated"] == 1
        assert (await terminal.register()).result == 0
        assert await terminal.authenticate("not-the-code") == Result.FAILURE
        assert counters.refused["auth_failed"] == 1
        # A frame with a bad check code is dropped, counted, and nothing is answered to it.
        bad = bytearray(frame(header_2013(0x0002, 0, identity.phone, 900)))
        bad[-2] ^= 0xFF
        await terminal.send_raw(bytes(bad))
        # A message the gateway does not know: unsupported. A heartbeat with a body: message error.
        phone = identity.phone.rjust(PHONE_BYTES[Revision.R2013] * 2, "0")
        await terminal.send_raw(encode(Message(Header(0x0900, phone, 901), RawBody(b"\x01\x02"))))
        await terminal.send_raw(frame(header_2013(0x0002, 1, identity.phone, 902) + b"\x00"))
        assert await terminal.authenticate() == Result.SUCCESS  # the connection still works
        await wait_until(lambda: counters.rejected["bad_check_code"] == 1, what="bad check code counted")
        answers = {
            m.body.reply_serial: m.body.result
            for m in terminal.received
            if isinstance(m.body, PlatformResponse)
        }
        assert 900 not in answers
        assert answers[901] == Result.UNSUPPORTED and answers[902] == Result.MESSAGE_ERROR
        assert counters.rejected["bad_body"] == 1
        assert await terminal.logout() == Result.SUCCESS
        assert await terminal.report(report_at(33.64, 116.97, NOW)) == Result.FAILURE  # logged out
    finally:
        await terminal.close()
    # An unknown terminal is told "terminal not found" (0x8100 result 4).
    stranger = await connected(stack, TerminalIdentity("13999999999", "T999", "皖L99999"))
    try:
        assert (await stranger.register()).result == 4
    finally:
        await stranger.close()


async def test_a_fix_is_answered_success_only_once_kafka_has_it(stack: Stack) -> None:
    identity = TerminalIdentity("13900000031", "T000031", "皖L00031")
    await stack.provision_terminal(identity.phone, identity.plate)
    terminal = await connected(stack, identity)
    try:
        assert (await terminal.register()).result == 0
        assert await terminal.authenticate() == Result.SUCCESS
        await stack.jt808._publisher.stop()  # Kafka unreachable for the gateway
        assert await terminal.report(report_at(33.64, 116.97, NOW)) == Result.FAILURE
        assert stack.jt808.counters.refused["publish_failed"] == 1
        await stack.jt808._publisher.start()
        assert await terminal.report(report_at(33.64, 116.97, NOW)) == Result.SUCCESS
    finally:
        await terminal.close()


async def test_a_terminal_whose_clock_runs_on_utc_gets_its_fixes_corrected(
    stack: Stack, kafka_bootstrap: str
) -> None:
    identity = TerminalIdentity("13900000041", "T000041", "皖L00041")
    device = await stack.provision_terminal(identity.phone, identity.plate)
    terminal = await connected(stack, identity)
    try:
        assert (await terminal.register()).result == 0
        assert await terminal.authenticate() == Result.SUCCESS
        for n in range(4):  # the terminal's clock shows UTC: its "GMT+8" times are 8 h early
            at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=n)
            assert (
                await terminal.report(
                    report_at(33.64, 116.97 + n * 1e-4, at, clock_time=at - timedelta(hours=8))
                )
                == 0
            )
        fixes = await fixes_of(stack, kafka_bootstrap, device.device_id, 4)
    finally:
        await terminal.close()
    reports = [f for f in fixes if f.source == telemetry_pb2.FIX_SOURCE_JT808_REPORT]
    assert not reports[0].HasField("device_clock_correction")  # one report is no evidence yet
    last = reports[-1]
    assert last.device_clock_correction.seconds == 8 * 3600
    assert abs(last.fix_time.ToDatetime(tzinfo=UTC) - last.receive_time.ToDatetime(tzinfo=UTC)) < timedelta(
        minutes=1
    )


@pytest.mark.parametrize("stack", [{"idle_timeout_s": 0.5, "rate_per_s": 5.0, "burst": 5.0}], indirect=True)
async def test_idle_connections_time_out_and_a_flood_is_cut_off(stack: Stack) -> None:
    counters = stack.jt808.counters
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.jt808.port)
    assert await reader.read(100) == b""  # closed by the gateway after 0.5 s of silence
    writer.close()
    assert counters.connections["idle_timeout"] == 1

    reader, writer = await asyncio.open_connection("127.0.0.1", stack.jt808.port)
    heartbeat = encode(Message(Header(0x0002, "013900000051", 1), Heartbeat()))
    writer.write(heartbeat * 600)  # 600 frames at once, over 5/s with a burst of 5
    await writer.drain()
    answers = await reader.read(1 << 20)
    while chunk := await reader.read(1 << 20):
        answers += chunk
    writer.close()
    assert answers.count(b"\x7e") // 2 == 5  # the burst was answered, the rest dropped
    assert counters.refused["rate_limited"] > 500 and counters.connections["flood"] == 1
    # The server is still serving.
    _, probe = await asyncio.open_connection("127.0.0.1", stack.jt808.port)
    probe.close()


async def test_a_report_beyond_the_publishers_bound_is_answered_failure_at_once(stack: Stack) -> None:
    """Admission (gateway.publisher): while the publisher holds its bound of fixes awaiting Kafka, a
    report is answered failure without being sent, counted "overloaded"; once they are acknowledged the
    next report is answered success."""
    identity = TerminalIdentity("13900000032", "T000032", "皖L00032")
    await stack.provision_terminal(identity.phone, identity.plate)
    terminal = await connected(stack, identity)
    publisher = stack.jt808._publisher
    try:
        assert (await terminal.register()).result == 0
        assert await terminal.authenticate() == Result.SUCCESS
        published = publisher.published
        publisher.pending += publisher.max_pending  # as if that many fixes were awaiting their acks
        try:
            assert await terminal.report(report_at(33.64, 116.97, NOW)) == Result.FAILURE
        finally:
            publisher.pending -= publisher.max_pending
        assert stack.jt808.counters.refused["overloaded"] == 1 and publisher.published == published
        assert await terminal.report(report_at(33.64, 116.97, NOW + timedelta(seconds=1))) == Result.SUCCESS
    finally:
        await terminal.close()
