"""The room registry's use cases on the in-memory repositories and a fake clock, for application tests
(milliseconds; the same paths on the real gRPC server, Kafka and store are the test_grpc_* files)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from jingwu_platform.auth import Caller, Role
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.repository import FakeOutbox
from jingwu_platform.usecase import FakeClock, Ids, UseCaseKit
from jingwu_rooms.adapters.memory import InMemoryRoomRepository, memory_repositories
from jingwu_rooms.application.ports import Repositories
from jingwu_rooms.application.registry import SERVICE, RoomRegistry

from .samples import AT, DISTRICT

NAMESPACE = uuid.UUID(int=7)
IDS = Ids(NAMESPACE, DISTRICT)  # the ids the use cases derive, for tests to expect
LEADER = Caller("leader-1", DISTRICT, frozenset({Role.SUPERVISOR}))
BUREAU = Caller("chief-1", DISTRICT, frozenset({Role.DISTRICT_ADMIN}))


@dataclass
class FakeRoomRegistry:
    app: RoomRegistry
    stores: Repositories
    outbox: FakeOutbox
    clock: FakeClock

    def types(self) -> list[str]:
        """The event types written so far, in order (``RoomOpened``, ...)."""
        return self.outbox.types()


def fake_registry(
    policy: DistrictPolicy | None = None, rooms: type[InMemoryRoomRepository] = InMemoryRoomRepository
) -> FakeRoomRegistry:
    """``rooms``: another fake of the room repository (one that simulates a concurrent command)."""
    clock = FakeClock(AT)
    outbox = FakeOutbox()
    stores = replace(memory_repositories(outbox), rooms=rooms(outbox))
    kit = UseCaseKit.create(DISTRICT, SERVICE, NAMESPACE, clock=clock, policy=policy)
    return FakeRoomRegistry(RoomRegistry.create(kit, stores), stores, outbox, clock)
