"""Use cases of the room registry. Called by the gRPC entry point; writes state + events atomically."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from jingwu.rooms.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound
from jingwu_platform.events import domain_topic, new_event
from jingwu_platform.outbox import OutboxRelay
from jingwu_platform.paging import next_page_token, page_limit

from jingwu_rooms.adapters.proto_mapping import room_to_proto, timestamp
from jingwu_rooms.adapters.repository import MongoRoomRepository
from jingwu_rooms.domain.model import Room, RoomDraft, RoomKind, RoomStatus, open_new_room

SERVICE = "rooms"
# Stable namespace so a client's request_id always maps to the same room id (idempotent OpenRoom).
_REQUEST_NAMESPACE = uuid.UUID("6f1d3c1e-5b0a-4f43-9a43-2f4f2b0c9e11")


class RoomApplication:
    def __init__(self, district: str, repository: MongoRoomRepository, relay: OutboxRelay) -> None:
        self.district = district
        self._repository = repository
        self._relay = relay
        self.topic = domain_topic(district, SERVICE)

    def _room_opened(self, room: Room, at: datetime) -> events_pb2.RoomOpened:
        return events_pb2.RoomOpened(
            district_code=self.district, room=room_to_proto(room), occur_time=timestamp(at)
        )

    async def open_room(self, draft: RoomDraft, *, caller: Caller, request_id: str = "") -> Room:
        """Open a new active room (R-ROOM-1). Repeating a request_id returns the room it created."""
        now = datetime.now(UTC)
        room_id = (
            str(uuid.uuid5(_REQUEST_NAMESPACE, f"{self.district}/{request_id}"))
            if request_id
            else str(uuid.uuid4())
        )
        room = open_new_room(draft, district=self.district, room_id=room_id, at=now, by=caller.subject)
        event = new_event(
            self._room_opened(room, now), key=room.room_id, district=self.district, service=SERVICE
        )
        if not await self._repository.add(room, [(event, self.topic)]):
            existing = await self._repository.get(room_id)
            if existing is None:  # pragma: no cover - deleted between the two calls
                raise NotFound("room", room_id)
            return existing
        self._relay.notify()
        return room

    async def activate_planned_room(self, room_id: str, *, caller: Caller) -> Room:
        """planned → active; publishes RoomOpened."""
        room = await self.get_room(room_id)
        now = datetime.now(UTC)
        opened = room.activate(now, caller.subject)
        event = new_event(
            self._room_opened(opened, now), key=room_id, district=self.district, service=SERVICE
        )
        if not await self._repository.replace(opened, RoomStatus.PLANNED, [(event, self.topic)]):
            # Someone else changed it first; report the state that won.
            return (await self.get_room(room_id)).activate(now, caller.subject)
        self._relay.notify()
        return opened

    async def get_room(self, room_id: str) -> Room:
        room = await self._repository.get(room_id)
        if room is None:
            raise NotFound("room", room_id)
        return room

    async def list_rooms(
        self,
        *,
        station_id: str,
        zone_code: str,
        kind: RoomKind | None,
        status: RoomStatus | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[Room], str]:
        limit = page_limit(page_size)
        rooms = await self._repository.list(
            station_id=station_id,
            zone_code=zone_code,
            kind=kind,
            status=status,
            after_id=page_token,
            limit=limit,
        )
        return rooms, next_page_token(rooms, limit, key=lambda room: room.room_id)
