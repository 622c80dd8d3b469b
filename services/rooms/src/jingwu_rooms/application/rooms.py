"""Use cases of the room registry's rooms. Called by the gRPC entry point; each writes state + events
atomically (one document update with its outbox) and re-decides on a concurrent change."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import Message
from jingwu.rooms.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import Conflict, NotFound, RuleViolation, Validator
from jingwu_platform.events import Event, domain_topic, new_event
from jingwu_platform.outbox import OutboxRelay
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.proto_values import timestamp
from jingwu_platform.shared_kernel import check_geo_point, check_required

from jingwu_rooms.adapters.postings_repository import MongoPostingRepository
from jingwu_rooms.adapters.proto_mapping import (
    handover_to_proto,
    order_to_proto,
    room_to_proto,
    stop_to_proto,
)
from jingwu_rooms.adapters.repository import MongoRoomRepository
from jingwu_rooms.adapters.territory_repository import MongoTerritoryRepository
from jingwu_rooms.domain.facilities import grade_room, validate_facilities
from jingwu_rooms.domain.mobile import nearest_mobile_room, validate_stops
from jingwu_rooms.domain.model import (
    CheckpointOrder,
    Facility,
    GeoPoint,
    HandoverItem,
    MobileStop,
    Room,
    RoomDraft,
    RoomKind,
    RoomStatus,
    check_reason,
    merge_rooms,
    open_new_room,
    plan_new_room,
    validate_merge_request,
)
from jingwu_rooms.domain.staff import RoomPosting
from jingwu_rooms.domain.territory import require_active_zone

SERVICE = "rooms"
# Stable namespace so a client's request_id always maps to the same room id (idempotent OpenRoom).
_REQUEST_NAMESPACE = uuid.UUID("6f1d3c1e-5b0a-4f43-9a43-2f4f2b0c9e11")
_PLAN_NAMESPACE = uuid.UUID("0b9d7a4e-3f0c-4b8e-8d51-7c2a5e6f1d20")
# Optimistic writes: a command re-reads and decides again this many times before giving up.
ATTEMPTS = 5
log = logging.getLogger(__name__)
T = TypeVar("T")


async def retry_on_conflict(attempt: Callable[[], Awaitable[T | None]], what: str) -> T:
    """Run a read-decide-write ``attempt`` until it returns a result (None means a lost race)."""
    for _ in range(ATTEMPTS):
        result = await attempt()
        if result is not None:
            return result
    # Rare (needs ATTEMPTS lost races in a row); ABORTED tells the caller to retry.
    raise Conflict(f"{what}: changed concurrently {ATTEMPTS} times, try again")


class EventFactory:
    """Events of this service on its topic, each carrying the current trace."""

    def __init__(self, district: str) -> None:
        self.district = district
        self.topic = domain_topic(district, SERVICE)

    def __call__(self, message: Message, key: str) -> list[tuple[Event, str]]:
        return [(new_event(message, key=key, district=self.district, service=SERVICE), self.topic)]


def utc_now() -> datetime:
    return datetime.now(UTC)


class RoomApplication:
    def __init__(
        self,
        district: str,
        repository: MongoRoomRepository,
        relay: OutboxRelay,
        *,
        postings: MongoPostingRepository,
        territory: MongoTerritoryRepository,
        policy: DistrictPolicy,
    ) -> None:
        self.district = district
        self._repository = repository
        self._relay = relay
        self._postings = postings
        self._territory = territory
        self._policy = policy
        self._events = EventFactory(district)
        self.topic = self._events.topic

    # --- reads ------------------------------------------------------------------------------------

    async def get_room(self, room_id: str) -> Room:
        room = await self._repository.get(room_id)
        if room is None:
            raise NotFound("room", room_id)
        return room

    async def postings_of(self, rooms: Sequence[Room]) -> dict[str, list[RoomPosting]]:
        """Current postings per room, as learnt from personnel's events."""
        return await self._postings.current_by_room([r.room_id for r in rooms])

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

    # --- opening (R-ROOM-1) -------------------------------------------------------------------------

    def _room_opened(self, room: Room, at: datetime) -> events_pb2.RoomOpened:
        return events_pb2.RoomOpened(
            district_code=self.district, room=room_to_proto(room), occur_time=timestamp(at)
        )

    async def _refuse_retired_zones(self, zone_codes: Sequence[str]) -> None:
        """R-ORG-3: a room is not opened in a dissolved zone. Codes not registered yet are accepted:
        territory and rooms may be recorded in either order."""
        for zone in (await self._territory.get_zones(zone_codes)).values():
            require_active_zone(zone)

    async def _create(self, room: Room, message: Message) -> Room:
        if not await self._repository.add(room, self._events(message, room.room_id)):
            existing = await self._repository.get(room.room_id)
            if existing is None:  # pragma: no cover - deleted between the two calls
                raise NotFound("room", room.room_id)
            return existing
        self._relay.notify()
        return room

    def _room_id(self, namespace: uuid.UUID, request_id: str) -> str:
        return (
            str(uuid.uuid5(namespace, f"{self.district}/{request_id}")) if request_id else str(uuid.uuid4())
        )

    async def open_room(self, draft: RoomDraft, *, caller: Caller, request_id: str = "") -> Room:
        """Open a new active room (R-ROOM-1). Repeating a request_id returns the room it created."""
        now = utc_now()
        room = open_new_room(
            draft,
            district=self.district,
            room_id=self._room_id(_REQUEST_NAMESPACE, request_id),
            at=now,
            by=caller.subject,
        )
        await self._refuse_retired_zones(room.zone_codes)
        return await self._create(room, self._room_opened(room, now))

    async def plan_room(self, draft: RoomDraft, *, caller: Caller, request_id: str = "") -> Room:
        """Register a planned room (R-ROOM-1), e.g. one a must-build village needs (R-ROOM-4)."""
        now = utc_now()
        room = plan_new_room(
            draft,
            district=self.district,
            room_id=self._room_id(_PLAN_NAMESPACE, request_id),
            at=now,
            by=caller.subject,
        )
        await self._refuse_retired_zones(room.zone_codes)
        event = events_pb2.RoomPlanned(
            district_code=self.district, room=room_to_proto(room), occur_time=timestamp(now)
        )
        return await self._create(room, event)

    async def activate_planned_room(self, room_id: str, *, caller: Caller) -> Room:
        """planned → active; publishes RoomOpened."""

        async def attempt() -> Room | None:
            room = await self.get_room(room_id)
            now = utc_now()
            opened = room.activate(now, caller.subject)
            return await self._save(opened, self._room_opened(opened, now))

        return await retry_on_conflict(attempt, f"room {room_id}")

    async def _save(self, room: Room, message: Message | None) -> Room | None:
        """Store a changed room with its event; None when another command changed it first."""
        events = self._events(message, room.room_id) if message is not None else []
        if not await self._repository.save(room, events):
            return None
        if events:
            self._relay.notify()
        return room

    async def _change(self, room_id: str, decide: Callable[[Room, datetime], tuple[Room, Message]]) -> Room:
        """Read, decide (pure domain call), write with the event; again on a concurrent change."""

        async def attempt() -> Room | None:
            room = await self.get_room(room_id)
            changed, message = decide(room, utc_now())
            return await self._save(changed, message)

        return await retry_on_conflict(attempt, f"room {room_id}")

    # --- lifecycle (R-ROOM-2) -------------------------------------------------------------------------

    async def close_room(self, room_id: str, reason: str, *, caller: Caller) -> Room:
        v = Validator()
        check_required(v, "room_id", room_id)
        check_reason(v, "reason", reason)
        v.raise_if_any()
        staff = len((await self._postings.current_by_room([room_id])).get(room_id, ()))

        def decide(room: Room, now: datetime) -> tuple[Room, Message]:
            closed = room.close(reason=reason, at=now, by=caller.subject, posted_staff=staff)
            return closed, events_pb2.RoomClosed(
                district_code=self.district,
                room_id=room_id,
                reason=reason,
                occur_time=timestamp(now),
                released_zone_codes=list(room.zone_codes),
            )

        return await self._change(room_id, decide)

    async def merge_rooms(
        self, merged_room_ids: Sequence[str], surviving_room_id: str, reason: str, *, caller: Caller
    ) -> tuple[Room, tuple[HandoverItem, ...]]:
        """R-ROOM-2 consolidation. Without multi-document transactions: the merged rooms are marked first
        (each carries merged_into), then the survivor takes their zones in one write with RoomsMerged.
        A crash in between is completed by ``complete_interrupted_merges`` at the next start (or by
        repeating the request); a refusal after marking puts the marked rooms back."""
        validate_merge_request(merged_room_ids, surviving_room_id, reason)
        marked: list[Room] = []  # rooms this call marked merged, as they were before

        async def attempt() -> tuple[Room, tuple[HandoverItem, ...]] | None:
            survivor = await self.get_room(surviving_room_id)
            found = await self._repository.get_many(list(merged_room_ids))
            for room_id in merged_room_ids:
                if room_id not in found:
                    raise NotFound("room", room_id)
            merged = [found[room_id] for room_id in merged_room_ids]
            postings = await self._postings.current_by_room(list(merged_room_ids))
            now = utc_now()
            try:
                outcome = merge_rooms(
                    survivor,
                    merged,
                    reason=reason,
                    at=now,
                    by=caller.subject,
                    postings_by_room={k: [p.posting_id for p in v] for k, v in postings.items()},
                )
            except RuleViolation:
                await self._restore(marked, surviving_room_id)
                raise
            if not outcome.changed:
                return survivor, ()
            for room in outcome.newly_merged:
                if not await self._repository.save(room, []):
                    return None
                marked.append(found[room.room_id])
            event = events_pb2.RoomsMerged(
                district_code=self.district,
                surviving_room_id=surviving_room_id,
                merged_room_ids=[
                    r for r in outcome.surviving.absorbed_room_ids if r not in survivor.absorbed_room_ids
                ],
                handover=handover_to_proto(outcome.handover),
                reason=reason,
                occur_time=timestamp(now),
            )
            saved = await self._save(outcome.surviving, event)
            return (saved, outcome.handover) if saved is not None else None

        return await retry_on_conflict(attempt, f"merge into {surviving_room_id}")

    async def _restore(self, marked: Sequence[Room], surviving_room_id: str) -> None:
        """Put rooms this call marked merged back as they were: the survivor changed meanwhile (closed,
        merged elsewhere) and refuses them, so they must not stay merged into it."""
        for before in marked:
            current = await self._repository.get(before.room_id)
            if current is not None and current.merged_into_room_id == surviving_room_id:
                await self._repository.save(replace(before, version=current.version), [])

    async def complete_interrupted_merges(self) -> None:
        """At start: a room marked merged whose survivor has not absorbed it is a merge cut short by a
        crash; finish it so its zones are not orphaned (R-ROOM-2)."""
        for room in await self._repository.merged_without_survivor_record():
            survivor = await self._repository.get(room.merged_into_room_id)
            if survivor is None or room.room_id in survivor.absorbed_room_ids:
                continue
            reason = (
                room.history[-1].detail.partition(": ")[2]
                if room.history
                else "completing an interrupted merge"
            )
            caller = Caller(subject="system:rooms", district=self.district)
            try:
                await self.merge_rooms(
                    [room.room_id], survivor.room_id, reason or "interrupted merge", caller=caller
                )
                log.info(
                    "interrupted merge completed", extra={"room_id": room.room_id, "into": survivor.room_id}
                )
            except RuleViolation:
                log.warning(
                    "interrupted merge cannot complete", exc_info=True, extra={"room_id": room.room_id}
                )

    # --- facilities and naming (R-ROOM-3, R-ROOM-7) ----------------------------------------------------

    async def record_facilities(
        self, room_id: str, facilities: tuple[Facility, ...], *, caller: Caller
    ) -> Room:
        validate_facilities(facilities)
        result = grade_room(facilities, self._policy.rooms)

        def decide(room: Room, now: datetime) -> tuple[Room, Message]:
            graded = room.with_facilities(facilities, result.grade.value, now, caller.subject)
            return graded, events_pb2.RoomGraded(
                district_code=self.district,
                room_id=room_id,
                grade=result.grade.value,
                missing_facility_codes=list(result.missing),
                occur_time=timestamp(now),
            )

        return await self._change(room_id, decide)

    async def name_room(self, room_id: str, officer_name: str, citation: str, *, caller: Caller) -> Room:
        v = Validator()
        check_required(v, "honorary_officer_name", officer_name, max_length=32)
        v.check(len(citation) <= 512, "citation", "must be at most 512 characters")
        v.raise_if_any()

        def decide(room: Room, now: datetime) -> tuple[Room, Message]:
            named = room.name_after(officer_name.strip(), citation.strip(), now, caller.subject)
            return named, events_pb2.RoomNamed(
                district_code=self.district,
                room_id=room_id,
                honorary_officer_name=named.honorary_officer_name,
                occur_time=timestamp(now),
            )

        return await self._change(room_id, decide)

    # --- mobile rooms (R-ROOM-5) ------------------------------------------------------------------------

    def _stops_changed(self, room: Room, reason: str, now: datetime) -> events_pb2.MobileStopsChanged:
        return events_pb2.MobileStopsChanged(
            district_code=self.district,
            room_id=room.room_id,
            stops=[stop_to_proto(s) for s in room.stops],
            current_stop_id=room.current_stop_id,
            reason=reason,
            occur_time=timestamp(now),
        )

    async def set_mobile_stops(self, room_id: str, stops: tuple[MobileStop, ...], *, caller: Caller) -> Room:
        validate_stops(stops)

        def decide(room: Room, now: datetime) -> tuple[Room, Message]:
            changed = room.with_stops(stops, now, caller.subject)
            return changed, self._stops_changed(changed, "stops set", now)

        return await self._change(room_id, decide)

    async def reassign_mobile_stop(self, room_id: str, stop_id: str, reason: str, *, caller: Caller) -> Room:
        v = Validator()
        check_required(v, "stop_id", stop_id)
        check_reason(v, "reason", reason)  # R-ROOM-5: adjusted to the security situation, and why
        v.raise_if_any()

        def decide(room: Room, now: datetime) -> tuple[Room, Message]:
            changed = room.reassign_stop(stop_id, reason, now, caller.subject)
            return changed, self._stops_changed(changed, reason, now)

        return await self._change(room_id, decide)

    async def issue_checkpoint_order(
        self, checkpoint_name: str, location: GeoPoint, room_id: str, *, caller: Caller
    ) -> CheckpointOrder:
        """R-ROOM-5 堵控查缉: the named mobile room, or the nearest active one, goes to the checkpoint."""
        v = Validator()
        check_required(v, "checkpoint_name", checkpoint_name, max_length=64)
        check_geo_point(v, "checkpoint_location", location.longitude, location.latitude)
        v.raise_if_any()

        async def attempt() -> CheckpointOrder | None:
            if room_id:
                room = await self.get_room(room_id)
            else:
                mobile = await self._repository.all_matching(
                    {"kind": RoomKind.MOBILE.value, "status": RoomStatus.ACTIVE.value}
                )
                nearest = nearest_mobile_room(mobile, location)
                if nearest is None:
                    raise RuleViolation(
                        "R-ROOM-5", "rooms", "no active mobile room can take the checkpoint order"
                    )
                room = nearest
            now = utc_now()
            order = CheckpointOrder(
                order_id=str(uuid.uuid4()),
                room_id=room.room_id,
                checkpoint_name=checkpoint_name.strip(),
                checkpoint_location=location,
                issued_at=now,
                issued_by=caller.subject,
            )
            event = events_pb2.CheckpointOrderIssued(
                district_code=self.district, order=order_to_proto(order), occur_time=timestamp(now)
            )
            return order if await self._save(room.take_order(order), event) is not None else None

        return await retry_on_conflict(attempt, "checkpoint order")
