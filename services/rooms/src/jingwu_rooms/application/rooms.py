"""Use cases of the rooms themselves (R-ROOM-1..3, 5, 7): open, plan, activate, merge, close, grade,
name, mobile stops and checkpoint orders. Each reads a room, calls one pure domain transition and saves
the result with its event in the same write (``_change``); a lost race reads and decides again."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from google.protobuf.message import Message
from jingwu.rooms.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound, RuleViolation, Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.shared_kernel import check_geo_point, check_required, check_zone_code
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_rooms.adapters.proto_mapping import (
    handover_to_proto,
    order_to_proto,
    room_to_proto,
    stop_to_proto,
)
from jingwu_rooms.application.ports import PostingRepository, RoomQuery, RoomRepository, ZoneRepository
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

log = logging.getLogger(__name__)
# What decide() answers: the changed room and its event, or the room unchanged and None (a repeat).
Decision = tuple[Room, Message | None]


class RoomApplication:
    def __init__(
        self, kit: UseCaseKit, rooms: RoomRepository, postings: PostingRepository, zones: ZoneRepository
    ) -> None:
        self._kit = kit
        self._rooms = rooms
        self._postings = postings
        self._zones = zones

    @property
    def _district(self) -> str:
        return self._kit.district

    # --- reads ------------------------------------------------------------------------------------

    async def get_room(self, room_id: str) -> Room:
        room = await self._rooms.get(room_id)
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
        if zone_code:
            v = Validator()
            check_zone_code(v, "zone_code", zone_code, self._district)  # R-ORG-2
            v.raise_if_any()
        limit = page_limit(page_size)
        rooms = await self._rooms.select(
            RoomQuery(
                station_id=station_id,
                zone_code=zone_code,
                kind=kind,
                status=status,
                after_id=page_token,
                limit=limit,
            )
        )
        return rooms, next_page_token(rooms, limit, key=lambda room: room.room_id)

    # --- opening (R-ROOM-1) -------------------------------------------------------------------------

    def _room_opened(self, room: Room) -> events_pb2.RoomOpened:
        return events_pb2.RoomOpened(
            district_code=self._district, room=room_to_proto(room), occur_time=self._kit.events.occur_time()
        )

    async def _refuse_retired_zones(self, zone_codes: Sequence[str]) -> None:
        """R-ORG-3: a room is not opened in a dissolved zone. Codes not registered yet are accepted:
        territory and rooms may be recorded in either order."""
        for zone in (await self._zones.get_many(zone_codes)).values():
            require_active_zone(zone)

    async def _create(self, room: Room, message: Message) -> Room:
        """Insert a new room with its event; the room a repeated request created, when its id exists."""
        if await self._rooms.add(room, [self._kit.events(message, room.room_id)]):
            return room
        return await self.get_room(room.room_id)

    async def open_room(self, draft: RoomDraft, *, caller: Caller, request_id: str = "") -> Room:
        """Open a new active room (R-ROOM-1). Repeating a request_id returns the room it created."""
        room = open_new_room(
            draft,
            district=self._district,
            room_id=self._kit.ids.for_request("room", request_id),
            at=self._kit.now(),
            by=caller.subject,
        )
        await self._refuse_retired_zones(room.zone_codes)
        return await self._create(room, self._room_opened(room))

    async def plan_room(self, draft: RoomDraft, *, caller: Caller, request_id: str = "") -> Room:
        """Register a planned room (R-ROOM-1), e.g. one a must-build village needs (R-ROOM-4)."""
        room = plan_new_room(
            draft,
            district=self._district,
            room_id=self._kit.ids.for_request("planned-room", request_id),
            at=self._kit.now(),
            by=caller.subject,
        )
        await self._refuse_retired_zones(room.zone_codes)
        event = events_pb2.RoomPlanned(
            district_code=self._district, room=room_to_proto(room), occur_time=self._kit.events.occur_time()
        )
        return await self._create(room, event)

    async def activate_planned_room(self, room_id: str, *, caller: Caller) -> Room:
        """planned → active; publishes RoomOpened."""

        def decide(room: Room, now: datetime) -> Decision:
            opened = room.activate(now, caller.subject)
            return opened, self._room_opened(opened)

        return await self._change(room_id, decide)

    # --- read, decide, write ------------------------------------------------------------------------

    async def _change(self, room_id: str, decide: Callable[[Room, datetime], Decision]) -> Room:
        """Read, decide (one pure domain call), write with the event; again on a concurrent change. A
        decision without an event changed nothing: nothing is written."""

        async def attempt() -> Room | None:
            room = await self.get_room(room_id)
            changed, message = decide(room, self._kit.now())
            if message is None:
                return room
            return await self._rooms.save(changed, [self._kit.events(message, room_id)])

        return await retry_on_conflict(attempt, f"room {room_id}")

    # --- lifecycle (R-ROOM-2) -------------------------------------------------------------------------

    async def close_room(self, room_id: str, reason: str, *, caller: Caller) -> Room:
        v = Validator()
        check_required(v, "room_id", room_id)
        check_reason(v, "reason", reason)
        v.raise_if_any()
        staff = len((await self._postings.current_by_room([room_id])).get(room_id, ()))

        def decide(room: Room, now: datetime) -> Decision:
            closed = room.close(reason=reason, at=now, by=caller.subject, posted_staff=staff)
            return closed, events_pb2.RoomClosed(
                district_code=self._district,
                room_id=room_id,
                reason=reason,
                occur_time=self._kit.events.occur_time(),
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
            found = await self._rooms.get_many(merged_room_ids)
            for room_id in merged_room_ids:
                if room_id not in found:
                    raise NotFound("room", room_id)
            merged = [found[room_id] for room_id in merged_room_ids]
            postings = await self._postings.current_by_room(list(merged_room_ids))
            try:
                outcome = merge_rooms(
                    survivor,
                    merged,
                    reason=reason,
                    at=self._kit.now(),
                    by=caller.subject,
                    postings_by_room={k: [p.posting_id for p in v] for k, v in postings.items()},
                )
            except RuleViolation:
                await self._restore(marked, surviving_room_id)
                raise
            if not outcome.changed:
                return survivor, ()
            for room in outcome.newly_merged:
                if await self._rooms.save(room) is None:
                    return None
                marked.append(found[room.room_id])
            event = events_pb2.RoomsMerged(
                district_code=self._district,
                surviving_room_id=surviving_room_id,
                merged_room_ids=[
                    r for r in outcome.surviving.absorbed_room_ids if r not in survivor.absorbed_room_ids
                ],
                handover=handover_to_proto(outcome.handover),
                reason=reason,
                occur_time=self._kit.events.occur_time(),
            )
            saved = await self._rooms.save(outcome.surviving, [self._kit.events(event, surviving_room_id)])
            return (saved, outcome.handover) if saved is not None else None

        return await retry_on_conflict(attempt, f"merge into {surviving_room_id}")

    async def _restore(self, marked: Sequence[Room], surviving_room_id: str) -> None:
        """Put rooms this call marked merged back as they were: the survivor changed meanwhile (closed,
        merged elsewhere) and refuses them, so they must not stay merged into it."""
        for before in marked:
            current = await self._rooms.get(before.room_id)
            if current is not None and current.merged_into_room_id == surviving_room_id:
                await self._rooms.save(replace(before, version=current.version))

    async def complete_interrupted_merges(self) -> None:
        """At start: a room marked merged whose survivor has not absorbed it is a merge cut short by a
        crash; finish it so its zones are not orphaned (R-ROOM-2)."""
        caller = self._kit.system_caller()
        for room in await self._rooms.select(RoomQuery(status=RoomStatus.MERGED)):
            survivor = await self._rooms.get(room.merged_into_room_id)
            if survivor is None or room.room_id in survivor.absorbed_room_ids:
                continue
            reason = room.history[-1].detail.partition(": ")[2] if room.history else ""
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
        """R-ROOM-3: the grade follows the facilities. Recording the same facilities again (a repeated
        request) changes nothing and publishes nothing."""
        validate_facilities(facilities)
        result = grade_room(facilities, self._kit.policy.rooms)

        def decide(room: Room, now: datetime) -> Decision:
            graded = room.with_facilities(facilities, result.grade.value, now, caller.subject)
            if graded is room:
                return room, None
            return graded, events_pb2.RoomGraded(
                district_code=self._district,
                room_id=room_id,
                grade=result.grade.value,
                missing_facility_codes=list(result.missing),
                occur_time=self._kit.events.occur_time(),
            )

        return await self._change(room_id, decide)

    async def name_room(self, room_id: str, officer_name: str, citation: str, *, caller: Caller) -> Room:
        v = Validator()
        check_required(v, "honorary_officer_name", officer_name, max_length=32)
        v.check(len(citation) <= 512, "citation", "must be at most 512 characters")
        v.raise_if_any()

        def decide(room: Room, now: datetime) -> Decision:
            named = room.name_after(officer_name.strip(), citation.strip(), now, caller.subject)
            return named, events_pb2.RoomNamed(
                district_code=self._district,
                room_id=room_id,
                honorary_officer_name=named.honorary_officer_name,
                occur_time=self._kit.events.occur_time(),
            )

        return await self._change(room_id, decide)

    # --- mobile rooms (R-ROOM-5) ------------------------------------------------------------------------

    def _stops_changed(self, room: Room, reason: str) -> events_pb2.MobileStopsChanged:
        return events_pb2.MobileStopsChanged(
            district_code=self._district,
            room_id=room.room_id,
            stops=[stop_to_proto(s) for s in room.stops],
            current_stop_id=room.current_stop_id,
            reason=reason,
            occur_time=self._kit.events.occur_time(),
        )

    async def set_mobile_stops(self, room_id: str, stops: tuple[MobileStop, ...], *, caller: Caller) -> Room:
        validate_stops(stops)

        def decide(room: Room, now: datetime) -> Decision:
            changed = room.with_stops(stops, now, caller.subject)
            return changed, self._stops_changed(changed, "stops set")

        return await self._change(room_id, decide)

    async def reassign_mobile_stop(self, room_id: str, stop_id: str, reason: str, *, caller: Caller) -> Room:
        v = Validator()
        check_required(v, "stop_id", stop_id)
        check_reason(v, "reason", reason)  # R-ROOM-5: adjusted to the security situation, and why
        v.raise_if_any()

        def decide(room: Room, now: datetime) -> Decision:
            changed = room.reassign_stop(stop_id, reason, now, caller.subject)
            return changed, self._stops_changed(changed, reason)

        return await self._change(room_id, decide)

    async def issue_checkpoint_order(
        self, checkpoint_name: str, location: GeoPoint, room_id: str, *, caller: Caller, request_id: str = ""
    ) -> CheckpointOrder:
        """R-ROOM-5 堵控查缉: the named mobile room, or the nearest active one, goes to the checkpoint.
        The order id derives from ``request_id``: a repeat answers the first order, with no second
        event, even after the room has moved on."""
        v = Validator()
        check_required(v, "checkpoint_name", checkpoint_name, max_length=64)
        check_geo_point(v, "checkpoint_location", location.longitude, location.latitude)
        v.raise_if_any()
        order_id = self._kit.ids.for_request("checkpoint-order", request_id)

        async def attempt() -> CheckpointOrder | None:
            holder = await self._rooms.holding_order(order_id)
            taken = holder.order(order_id) if holder is not None else None
            if taken is not None:
                return taken
            room = await self._order_recipient(room_id, location)
            now = self._kit.now()
            order = CheckpointOrder(
                order_id=order_id,
                room_id=room.room_id,
                checkpoint_name=checkpoint_name.strip(),
                checkpoint_location=location,
                issued_at=now,
                issued_by=caller.subject,
            )
            event = events_pb2.CheckpointOrderIssued(
                district_code=self._district,
                order=order_to_proto(order),
                occur_time=self._kit.events.occur_time(),
            )
            saved = await self._rooms.save(room.take_order(order), [self._kit.events(event, room.room_id)])
            return order if saved is not None else None

        return await retry_on_conflict(attempt, "checkpoint order")

    async def _order_recipient(self, room_id: str, location: GeoPoint) -> Room:
        if room_id:
            return await self.get_room(room_id)
        mobile = await self._rooms.select(RoomQuery(kind=RoomKind.MOBILE, status=RoomStatus.ACTIVE))
        nearest = nearest_mobile_room(mobile, location)
        if nearest is None:
            raise RuleViolation("R-ROOM-5", "rooms", "no active mobile room can take the checkpoint order")
        return nearest
