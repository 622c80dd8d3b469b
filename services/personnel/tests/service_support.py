"""What the integration tests of the personnel service share: the service started in-process on the
session's real Kafka and FerretDB (the ``personnel`` fixture, tests/conftest.py), stubs with the roles a
call needs, requests, and readers of the topics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeAlias, TypeVar

import grpc
import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2 as pb
from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.auth import Role
from jingwu_platform.batch import BatchConsumer
from jingwu_platform.calendar import local_date
from jingwu_platform.events import Event, new_event
from jingwu_platform.testing import Record, produce_raw, read_topic, wait_caught_up, wait_until

Stub: TypeAlias = "personnel_pb2_grpc.PersonnelServiceAsyncStub"
M = TypeVar("M", bound=Message)


@dataclass
class Personnel:
    port: int
    consumer: BatchConsumer
    district: str
    kafka: str
    make_stub: Callable[..., Stub]
    status_token: str = ""

    def stub(self, *roles: Role, subject: str = "lead-1") -> Stub:
        return self.make_stub(*roles, subject=subject)

    async def settled(self) -> None:
        """Until the service is caught up (GetStatus, twice in a row): the events of the commands made
        so far are relayed and consumed, and the staffing evaluation they cause is written and relayed
        (ChecksByEvents)."""
        await wait_caught_up([f"127.0.0.1:{self.port}"], self.status_token, timeout_s=60)

    @property
    def admin(self) -> Stub:
        """The bureau's personnel office: registers, posts and assigns (MANAGERS in grpc_api.ACCESS)."""
        return self.stub(Role.DISTRICT_ADMIN, subject="admin-1")

    @property
    def leader(self) -> Stub:
        """A station leader: audits logs, rates, records conduct, publishes assessments (LEADERS)."""
        return self.stub(Role.SUPERVISOR, subject="lead-1")

    async def publish(self, message: Message, key: str, domain: str = "rooms") -> Event:
        """Publish an event exactly as the room registry (or population) would."""
        event = new_event(message, key=key, district=self.district, service=domain)
        await self.resend(event, domain)
        return event

    async def resend(self, event: Event, domain: str = "rooms") -> None:
        topic = f"jingwu.{self.district}.{domain}.v1"
        await produce_raw(self.kafka, topic, event.payload, event.key.encode(), event.headers())


def now_stamp(at: datetime | None = None) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at or datetime.now(UTC))
    return stamp


async def refused(call: Awaitable[object]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await call
    return exc.value


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    status = rpc_status.from_call(error)
    assert status is not None
    details = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(details)
    return {v.field: v.description for v in details.field_violations}


def rule_of(error: grpc.aio.AioRpcError) -> str:
    """The rule id a FAILED_PRECONDITION names (google.rpc.PreconditionFailure)."""
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, (error.code(), error.details())
    status = rpc_status.from_call(error)
    assert status is not None
    failure = error_details_pb2.PreconditionFailure()
    assert status.details[0].Unpack(failure)
    return str(failure.violations[0].type)


def police_request(name: str, **changes: object) -> pb.RegisterOfficerRequest:
    request = pb.RegisterOfficerRequest(
        name=name,
        roles=[
            pb.OFFICER_ROLE_POLICE,
            pb.OFFICER_ROLE_COMMUNITY_OFFICER,
            pb.OFFICER_ROLE_VILLAGE_LIAISON_OFFICER,
        ],
        branch=pb.BRANCH_STATION,
        station_id="st-fuli",
        badge_number="061234",
        id_number="341302198803150417",
        phone="13905571234",
    )
    for field, value in changes.items():
        if isinstance(value, list):
            del getattr(request, field)[:]
            getattr(request, field).extend(value)
        else:
            setattr(request, field, value)
    return request


def auxiliary_request(name: str, **changes: object) -> pb.RegisterOfficerRequest:
    values: dict[str, object] = {
        "roles": [pb.OFFICER_ROLE_AUXILIARY, pb.OFFICER_ROLE_RESIDENT_AUXILIARY],
        "branch": pb.BRANCH_UNSPECIFIED,
        "badge_number": "",
        "home_township": "符离镇",
        "home_village_id": "v-elsewhere",
    }
    return police_request(name, **{**values, **changes})


def local(day: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=day.year, month=day.month, day=day.day)


def district_today() -> date:
    return local_date(datetime.now(UTC))


async def register(stub: Stub, request: pb.RegisterOfficerRequest) -> pb.Officer:
    return (await stub.RegisterOfficer(request)).officer


async def findings(stub: Stub, **filters: object) -> list[pb.StaffingFinding]:
    reply = await stub.ListStaffingFindings(pb.ListStaffingFindingsRequest(**filters))  # type: ignore[arg-type]
    return list(reply.staffing_findings)


async def records_of(kafka: str, topic: str, until: Callable[[list[Record]], bool]) -> list[Record]:
    return await read_topic(kafka, topic, until=until)


def typed(records: list[Record], event_type: str) -> list[Record]:
    return [r for r in records if r.headers.get("ce_type") == f"jingwu.personnel.v1.{event_type}"]


def room_opened(district: str, room_id: str, kind: int, **changes: object) -> room_events.RoomOpened:
    room = rooms_pb2.Room(
        room_id=room_id,
        name=f"{room_id}号警务室",
        kind=kind,  # type: ignore[arg-type]
        status=rooms_pb2.ROOM_STATUS_ACTIVE,
        station_id="st-fuli",
        zone_codes=[f"{district}050101"],
        **changes,  # type: ignore[arg-type]
    )
    return room_events.RoomOpened(district_code=district, room=room, occur_time=now_stamp())


def village_registered(
    district: str, village_id: str, township: str = "符离镇"
) -> room_events.VillageRegistered:
    return room_events.VillageRegistered(
        district_code=district,
        village=rooms_pb2.Village(
            village_id=village_id,
            name=f"{village_id}村",
            level=rooms_pb2.VILLAGE_LEVEL_ADMINISTRATIVE,
            zone_code=f"{district}050101",
            station_id="st-fuli",
            township=township,
        ),
        occur_time=now_stamp(),
    )


async def known(personnel: Personnel, probe: Callable[[], Awaitable[object]], what: str) -> None:
    """Wait until the service's read model has caught up with an event (NOT_FOUND until then)."""

    async def ready() -> bool:
        try:
            await probe()
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return False
            raise
        return True

    await wait_until(ready, what=what)


async def room_known(personnel: Personnel, room_id: str) -> None:
    """A new room without staff has findings (R-PER-2): they show the room's event was processed."""

    async def listed() -> bool:
        return bool(await findings(personnel.admin, room_id=room_id))

    await wait_until(listed, what=f"room {room_id} known")
