"""A value nothing can store or convert is the caller's error, refused before any use case or handler
runs: INVALID_ARGUMENT naming the field on every RPC, a dead letter with the reason for every consumed
event. Both kinds were found by fuzzing the services: a Timestamp or Duration no datetime can hold
(``nanos = -1`` made ``ToDatetime`` raise, an INTERNAL on a dozen RPCs and a handler retried to a dead
letter "handler failed"), and a NaN or infinite float (an infinite longitude in a rooms event made the
store refuse patrol's write, three times, then "handler failed")."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.telemetry.v1 import events_pb2, telemetry_pb2, telemetry_pb2_grpc
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.authz import READ, AccessPolicy, allow
from jingwu_platform.events import Event, dead_letter_topic, domain_topic, new_event
from jingwu_platform.grpc_client import field_violations, open_channel
from jingwu_platform.grpc_server import Context, GrpcServer, ServiceRegistration
from jingwu_platform.kafka import (
    EventConsumer,
    EventHandler,
    EventPublisher,
    Inbox,
    create_broker,
    ensure_topics,
)
from jingwu_platform.mongo import Document
from jingwu_platform.proto_values import invalid_value_fields
from jingwu_platform.testing import event_record, produce_records, read_topic, wait_until
from pymongo.asynchronous.database import AsyncDatabase

LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z, the last Timestamp a datetime holds


def test_a_valid_message_has_no_violation() -> None:
    fix = telemetry_pb2.LocationFix(
        fix_time=Timestamp(seconds=LAST_SECOND, nanos=999_999_999),
        device_clock_correction=Duration(seconds=-5, nanos=-1),
    )
    assert invalid_value_fields(telemetry_pb2.GetTrackResponse(fixes=[fix, fix])) == []
    assert invalid_value_fields(telemetry_pb2.GetTrackRequest()) == []  # unset fields are not checked
    box = common_pb2.BoundingBox(north_east=common_pb2.GeoPoint(longitude=180.0, latitude=-0.0))
    assert invalid_value_fields(telemetry_pb2.GetLatestPositionsRequest(bbox=box)) == []


def test_each_non_finite_float_is_named_at_its_depth() -> None:
    box = common_pb2.BoundingBox(
        south_west=common_pb2.GeoPoint(longitude=float("-inf"), latitude=30.0),
        north_east=common_pb2.GeoPoint(longitude=114.0, latitude=float("nan")),
    )
    found = invalid_value_fields(telemetry_pb2.GetLatestPositionsRequest(bbox=box))
    assert [(v.field, v.description) for v in found] == [
        ("bbox.south_west.longitude", "-inf is not a finite number"),
        ("bbox.north_east.latitude", "nan is not a finite number"),
    ]


def test_a_point_off_the_globe_is_named_by_its_coordinate() -> None:
    """Fuzzing QueryMap with a finite but huge latitude (1e308) overflowed the population map grid
    (INTERNAL); a house registered there would have done the same. The edges themselves are points."""
    box = common_pb2.BoundingBox(
        south_west=common_pb2.GeoPoint(longitude=-180.0, latitude=-90.0),
        north_east=common_pb2.GeoPoint(longitude=180.5, latitude=1e308),
    )
    found = invalid_value_fields(telemetry_pb2.GetLatestPositionsRequest(bbox=box))
    assert [(v.field, v.description) for v in found] == [
        ("bbox.north_east.longitude", "longitude 180.5 is outside [-180, 180]"),
        ("bbox.north_east.latitude", "latitude 1e+308 is outside [-90, 90]"),
    ]
    fix = telemetry_pb2.LocationFix(
        position=common_pb2.GeoPoint(latitude=float("inf")),
        speed_kmh=float("nan"),
        fix_time=Timestamp(seconds=-1, nanos=-1),
        mileage_km=float("-inf"),  # an optional scalar, set
    )
    found = invalid_value_fields(telemetry_pb2.GetTrackResponse(fixes=[fix]))
    assert [v.field for v in found] == [  # in the fields' order
        "fixes[0].position.latitude",
        "fixes[0].speed_kmh",
        "fixes[0].fix_time",
        "fixes[0].mileage_km",
    ]


def test_each_out_of_range_time_is_named_at_its_depth() -> None:
    good = telemetry_pb2.LocationFix(fix_time=Timestamp(seconds=1_700_000_000))
    bad = telemetry_pb2.LocationFix(
        fix_time=Timestamp(seconds=1_700_000_000, nanos=-1),
        receive_time=Timestamp(seconds=LAST_SECOND + 1),
        device_clock_correction=Duration(seconds=3, nanos=-2),  # signs differ
    )
    found = invalid_value_fields(telemetry_pb2.GetTrackResponse(fixes=[good, bad]))
    assert [v.field for v in found] == [
        "fixes[1].fix_time",
        "fixes[1].receive_time",
        "fixes[1].device_clock_correction",
    ]
    assert "nanos -1 is outside 0..999999999" in found[0].description
    assert "outside 0001-01-01..9999-12-31" in found[1].description
    request = telemetry_pb2.GetLatestPositionsRequest(max_age=Duration(seconds=315_576_000_001))
    assert [v.field for v in invalid_value_fields(request)] == ["max_age"]


SERVICE = telemetry_pb2.DESCRIPTOR.services_by_name["TelemetryService"]
SECRET = "test-secret-of-at-least-32-bytes-long!"


class Tracks(telemetry_pb2_grpc.TelemetryServiceServicer):
    """Serves GetTrack only; the other methods keep the generated UNIMPLEMENTED."""

    def __init__(self) -> None:
        self.calls = 0

    async def GetTrack(  # noqa: N802
        self, request: telemetry_pb2.GetTrackRequest, context: Context
    ) -> telemetry_pb2.GetTrackResponse:
        self.calls += 1
        request.start_time.ToDatetime()  # what a use case does with it: raises on an invalid one
        return telemetry_pb2.GetTrackResponse()


@pytest.fixture
async def served() -> AsyncIterator[tuple[int, Tracks]]:
    tracks = Tracks()  # type: ignore[abstract]  # the stubs mark every method abstract
    server = GrpcServer(
        district="07",
        auth_secret=SECRET,
        registrations=[
            ServiceRegistration(
                AccessPolicy(
                    SERVICE,
                    {
                        **{m.name: READ for m in SERVICE.methods},
                        "RegisterDevice": allow(Role.SUPERVISOR, idempotency_key="request_id"),
                        "RegisterTerminal": allow(Role.SERVICE, idempotency_key="terminal"),
                    },
                ),
                tracks,
                telemetry_pb2_grpc.add_TelemetryServiceServicer_to_server,
            )
        ],
    )
    port = await server.start()
    yield port, tracks
    await server.stop()


async def get_track(port: int, token: str, start: Timestamp) -> telemetry_pb2.GetTrackResponse:
    async with open_channel(f"127.0.0.1:{port}", token) as channel:
        stub = telemetry_pb2_grpc.TelemetryServiceStub(channel)
        reply: telemetry_pb2.GetTrackResponse = await stub.GetTrack(
            telemetry_pb2.GetTrackRequest(device_id="d1", start_time=start)
        )
        return reply


async def test_an_rpc_with_an_invalid_time_is_invalid_argument_naming_the_field(
    served: tuple[int, Tracks],
) -> None:
    port, tracks = served
    token = issue_token(SECRET, "officer", "07", [Role.OFFICER])
    await get_track(port, token, Timestamp(seconds=1_700_000_000))
    assert tracks.calls == 1
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await get_track(port, token, Timestamp(seconds=1_700_000_000, nanos=-1))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [name for name, _ in field_violations(refused.value)] == ["start_time"]
    assert tracks.calls == 1  # refused before the method ran
    # The credential is still checked first: a stranger learns nothing about the request.
    stranger = issue_token("another-secret-of-at-least-32-bytes!!", "x", "07", [Role.OFFICER])
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await get_track(port, stranger, Timestamp(seconds=0, nanos=-1))
    assert unknown.value.code() == grpc.StatusCode.UNAUTHENTICATED


def zone_left(district: str, device: str, seconds: int, longitude: float = 114.3) -> Event:
    payload = events_pb2.ZoneLeft(
        district_code=district,
        device_id=device,
        time_in_zone=Duration(seconds=seconds),
        position=common_pb2.GeoPoint(longitude=longitude, latitude=30.6),
    )
    return new_event(payload, key=device, district=district, service="telemetry")


@pytest.mark.integration
async def test_an_event_with_an_invalid_value_is_a_dead_letter_with_the_reason(
    kafka_bootstrap: str, district: str, fresh_database: AsyncDatabase[Document]
) -> None:
    topic, dlq = domain_topic(district, "telemetry"), dead_letter_topic(district, "timetest")
    await ensure_topics(kafka_bootstrap, [topic, dlq], partitions=1)
    broker = create_broker(kafka_bootstrap, client_id="time-test")
    handled: list[str] = []

    async def handle(event: Event, payload: events_pb2.ZoneLeft) -> None:
        handled.append(f"{payload.device_id} {payload.time_in_zone.ToTimedelta()}")

    EventConsumer(
        broker=broker,
        publisher=EventPublisher(broker),
        inbox=Inbox(fresh_database, consumer="timetest"),
        group_id=f"time-{uuid.uuid4().hex[:6]}",
        topics=[topic],
        dead_letter_topic=dlq,
        handlers=[EventHandler(events_pb2.ZoneLeft, handle)],
    )
    await broker.start()
    try:
        await produce_records(
            kafka_bootstrap,
            topic,
            [
                event_record(zone_left(district, "d-bad", 315_576_000_001)),
                event_record(zone_left(district, "d-inf", 60, longitude=float("-inf"))),
                event_record(zone_left(district, "d-next", 90)),
            ],
        )
        await wait_until(lambda: handled == ["d-next 0:01:30"], what="the event after the bad one handled")
        letter, infinite = await read_topic(kafka_bootstrap, dlq, until=lambda rs: len(rs) >= 2)
    finally:
        await broker.stop()
    assert letter.key == b"d-bad"
    assert letter.headers["dlq_reason"].startswith("payload has an invalid value: time_in_zone: seconds")
    assert infinite.key == b"d-inf"
    assert infinite.headers["dlq_reason"] == (
        "payload has an invalid value: position.longitude: -inf is not a finite number"
    )
