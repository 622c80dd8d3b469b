"""Prevention rings, checkpoints and duty orders (R-PAT-3), and interception orders through the room
registry (R-ROOM-5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from jingwu.patrol.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import Outgoing, UseCaseKit

from jingwu_patrol.adapters.proto_mapping import checkpoint_to_proto, duty_to_proto, ring_to_proto
from jingwu_patrol.application.ports import (
    CheckpointQuery,
    CheckpointRepository,
    DutyQuery,
    DutyRepository,
    PositionSource,
    RingQuery,
    RingRepository,
    RoomOrder,
    RoomOrders,
    VehicleQuery,
    VehicleRepository,
)
from jingwu_patrol.application.territory import TerritoryApplication
from jingwu_patrol.domain import prevention as rules
from jingwu_patrol.domain.common import Audit, order_key
from jingwu_patrol.domain.geo import GeoPoint, Polygon
from jingwu_patrol.domain.policy import PatrolPolicy
from jingwu_patrol.domain.prevention import (
    RING_ORDER,
    Checkpoint,
    CheckpointDuty,
    CheckpointKind,
    DutySource,
    PreventionRing,
    RingLevel,
)


class PreventionApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        rings: RingRepository,
        checkpoints: CheckpointRepository,
        duties: DutyRepository,
        vehicles: VehicleRepository,
        territory: TerritoryApplication,
        room_orders: RoomOrders,
        positions: PositionSource,
        policy: PatrolPolicy,
    ) -> None:
        self._kit = kit
        self._rings = rings
        self._checkpoints = checkpoints
        self._duties = duties
        self._vehicles = vehicles
        self._territory = territory
        self._room_orders = room_orders
        self._positions = positions
        self._policy = policy

    # --- rings -----------------------------------------------------------------------------------

    async def define_ring(
        self, *, name: str, level: RingLevel | None, boundary: Polygon, caller: Caller, request_id: str
    ) -> PreventionRing:
        ring_id = self._kit.ids.for_request("ring", request_id)
        existing = await self._rings.get(ring_id)
        if existing is not None:
            return existing
        rules.validate_ring(name, level, boundary)
        assert level is not None
        ring = PreventionRing(
            ring_id, name.strip(), level, boundary, Audit.new(caller.subject, self._kit.now())
        )
        event = events_pb2.PreventionRingDefined(
            district_code=self._kit.district,
            ring=ring_to_proto(ring),
            occur_time=self._kit.events.occur_time(),
        )
        if not await self._rings.add(ring, [self._kit.events(event, ring_id)]):
            stored = await self._rings.get(ring_id)
            assert stored is not None
            return stored
        return ring

    async def list_rings(
        self, *, level: RingLevel | None, page_size: int, page_token: str
    ) -> tuple[list[PreventionRing], str]:
        """Core first, then centre, inner, outer; within a level by id. Paged by ``level/id``."""
        rings = sorted(await self._rings.select(RingQuery(level=level)), key=_ring_key)
        if page_token:
            rings = [r for r in rings if _ring_key_text(r) > page_token]
        limit = page_limit(page_size)
        page = rings[:limit]
        return page, next_page_token(page, limit, _ring_key_text)

    # --- checkpoints -----------------------------------------------------------------------------

    async def register_checkpoint(
        self,
        *,
        name: str,
        kind: CheckpointKind | None,
        location: GeoPoint | None,
        ring_id: str,
        zone_code: str,
        caller: Caller,
        request_id: str,
    ) -> Checkpoint:
        checkpoint_id = self._kit.ids.for_request("checkpoint", request_id)
        existing = await self._checkpoints.get(checkpoint_id)
        if existing is not None:
            return existing
        rings = await self._rings.get_many([ring_id]) if ring_id else {}
        rules.validate_checkpoint(
            name=name,
            kind=kind,
            location=location,
            ring_id=ring_id,
            zone_code=zone_code,
            district=self._kit.district,
            rings=rings,
        )
        assert kind is not None and location is not None
        if not zone_code:
            zone = (await self._territory.district_map()).zone_at(location)
            zone_code = zone.zone_code if zone else ""
        checkpoint = Checkpoint(
            checkpoint_id,
            name.strip(),
            kind,
            location,
            ring_id,
            zone_code,
            True,
            Audit.new(caller.subject, self._kit.now()),
        )
        event = events_pb2.CheckpointRegistered(
            district_code=self._kit.district,
            checkpoint=checkpoint_to_proto(checkpoint),
            occur_time=self._kit.events.occur_time(),
        )
        if not await self._checkpoints.add(checkpoint, [self._kit.events(event, checkpoint_id)]):
            stored = await self._checkpoints.get(checkpoint_id)
            assert stored is not None
            return stored
        return checkpoint

    async def list_checkpoints(
        self,
        *,
        ring_id: str,
        zone_code: str,
        kind: CheckpointKind | None,
        include_inactive: bool,
        page_size: int,
        page_token: str,
    ) -> tuple[list[Checkpoint], str]:
        limit = page_limit(page_size)
        found = await self._checkpoints.select(
            CheckpointQuery(ring_id, zone_code, kind, include_inactive, page_token, limit)
        )
        return found, next_page_token(found, limit, lambda c: c.checkpoint_id)

    async def checkpoint_ids(self) -> frozenset[str]:
        return frozenset(
            c.checkpoint_id for c in await self._checkpoints.select(CheckpointQuery(include_inactive=True))
        )

    # --- duty orders -----------------------------------------------------------------------------

    def _ordered(self, duty: CheckpointDuty) -> Outgoing:
        event = events_pb2.CheckpointDutyOrdered(
            district_code=self._kit.district,
            duty=duty_to_proto(duty),
            occur_time=self._kit.events.occur_time(),
        )
        return self._kit.events(event, duty.duty_id)

    async def order_duty(
        self,
        *,
        checkpoint_id: str,
        vehicle_id: str,
        officer_ids: Sequence[str],
        start: datetime | None,
        end: datetime | None,
        reason: str,
        caller: Caller,
        request_id: str,
    ) -> CheckpointDuty:
        duty_id = self._kit.ids.for_request("duty", request_id)
        existing = await self._duties.get(duty_id)
        if existing is not None:
            return existing
        now = self._kit.now()
        start = start or now
        checkpoint = await self._checkpoints.get(checkpoint_id) if checkpoint_id else None
        vehicle = await self._vehicles.get(vehicle_id) if vehicle_id else None
        rules.validate_duty(
            checkpoint=checkpoint,
            checkpoint_id=checkpoint_id,
            vehicle_id=vehicle_id,
            vehicle_known=vehicle is not None,
            officer_ids=officer_ids,
            start=start,
            end=end,
            reason=reason,
        )
        assert checkpoint is not None
        duty = CheckpointDuty(
            duty_id=duty_id,
            checkpoint_id=checkpoint.checkpoint_id,
            checkpoint_name=checkpoint.name,
            checkpoint_location=checkpoint.location,
            start=start,
            end=end,
            source=DutySource.MANUAL,
            vehicle_id=vehicle_id,
            room_id=vehicle.room_id if vehicle else "",
            officer_ids=tuple(officer_ids),
            reason=reason.strip(),
            issued_by=caller.subject,
            audit=Audit.new(caller.subject, now),
            order_key=order_key(start, duty_id),
        )
        if not await self._duties.insert(duty, [self._ordered(duty)]):
            stored = await self._duties.get(duty_id)
            assert stored is not None
            return stored
        return duty

    async def intercept(
        self,
        *,
        location: GeoPoint | None,
        checkpoint_id: str,
        incident_id: str,
        reason: str,
        caller: Caller,
        request_id: str,
    ) -> CheckpointDuty:
        """R-PAT-3, R-ROOM-5 堵控查缉: the checkpoint (named, or nearest the place) is manned by the
        nearest active mobile room, ordered through the room registry. The registry's order id derives
        from ``request_id``, and the duty's from the order: a retried request answers the first order."""
        checkpoints = await self._checkpoints.select(CheckpointQuery())
        rooms = await self._territory.mobile_rooms()
        room_vehicles = {v.room_id: v for v in await self._vehicles.select(VehicleQuery()) if v.room_id}
        devices = {room_id: v.device_id for room_id, v in room_vehicles.items() if v.device_id}
        latest = await self._positions.latest(
            list(devices.values()), self._policy.position_max_age.total_seconds()
        )
        positions = {room_id: latest[device] for room_id, device in devices.items() if device in latest}
        choice = rules.choose_interception(
            location=location,
            checkpoint_id=checkpoint_id,
            checkpoints=checkpoints,
            rooms=rooms.values(),
            positions=positions,
        )
        order = await self._room_orders.issue(
            checkpoint_name=choice.checkpoint.name,
            location=choice.checkpoint.location,
            room_id=choice.room.room_id,
            request_id=f"patrol-interception:{request_id}" if request_id else "",
        )
        await self._territory.room_ordered(order.room_id, order.order_id, order.checkpoint_location)
        at = rules.checkpoint_at(checkpoints, order.checkpoint_location, self._policy.checkpoint_match_m)
        vehicle = room_vehicles.get(order.room_id)
        duty = self._room_duty(order, at, vehicle.vehicle_id if vehicle else "", DutySource.INTERCEPTION)
        duty = replace(
            duty,
            incident_id=incident_id.strip(),
            reason=reason.strip(),
            issued_by=caller.subject,
            distance_m=choice.distance_m if order.room_id == choice.room.room_id else 0.0,
        )
        existing = await self._duties.get(duty.duty_id)
        if existing is None and await self._duties.insert(duty, [self._ordered(duty)]):
            return duty
        existing = existing or await self._duties.get(duty.duty_id)
        assert existing is not None
        if existing.source is DutySource.ROOM_REGISTRY:
            # The registry's event was consumed first: the order is ours, with its reason and incident.
            await self._duties.put(replace(duty, audit=existing.audit))
            return replace(duty, audit=existing.audit)
        return existing

    def _room_duty(
        self, order: RoomOrder, at: Checkpoint | None, vehicle_id: str, source: DutySource
    ) -> CheckpointDuty:
        duty_id = self._kit.ids.stable("room-order", order.order_id)
        return CheckpointDuty(
            duty_id=duty_id,
            checkpoint_id=at.checkpoint_id if at else "",
            checkpoint_name=order.checkpoint_name,
            checkpoint_location=order.checkpoint_location,
            start=order.issued_at,
            source=source,
            vehicle_id=vehicle_id,
            room_id=order.room_id,
            room_order_id=order.order_id,
            issued_by=order.issued_by,
            audit=Audit.new(order.issued_by, order.issued_at),
            order_key=order_key(order.issued_at, duty_id),
        )

    async def registry_ordered(self, order: RoomOrder) -> None:
        """A checkpoint order the room registry published (CheckpointOrderIssued): the room's vehicle's
        duty (R-ROOM-5), shown in its plan. Idempotent with the interception that caused it."""
        await self._territory.room_ordered(order.room_id, order.order_id, order.checkpoint_location)
        vehicles = await self._vehicles.select(VehicleQuery(room_id=order.room_id))
        checkpoints = await self._checkpoints.select(CheckpointQuery())
        at = rules.checkpoint_at(checkpoints, order.checkpoint_location, self._policy.checkpoint_match_m)
        duty = self._room_duty(
            order, at, vehicles[0].vehicle_id if vehicles else "", DutySource.ROOM_REGISTRY
        )
        await self._duties.insert(duty, [self._ordered(duty)])

    async def room_back_at_stop(self, room_id: str, at: datetime) -> None:
        """R-ROOM-5: a mobile room sent to a stop ends the checkpoint duty it was on."""
        for duty in await self._duties.select(DutyQuery(room_id=room_id, start=at, end=at)):
            if duty.room_order_id and duty.end is None and duty.start < at:
                await self._duties.put(replace(duty, end=at))

    async def list_duties(
        self,
        *,
        checkpoint_id: str,
        vehicle_id: str,
        start: datetime | None,
        end: datetime | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[CheckpointDuty], str]:
        limit = page_limit(page_size)
        found = await self._duties.select(
            DutyQuery(
                checkpoint_id=checkpoint_id,
                vehicle_id=vehicle_id,
                start=start,
                end=end,
                before_id=page_token,
                limit=limit,
            )
        )
        return found, next_page_token(found, limit, lambda d: d.order_key)

    async def duties_of(
        self, vehicle_id: str, room_id: str, start: datetime, end: datetime
    ) -> list[CheckpointDuty]:
        """A vehicle's duties in force during [start, end), oldest first (by vehicle and by its room)."""
        found = {
            d.duty_id: d
            for d in await self._duties.select(DutyQuery(vehicle_id=vehicle_id, start=start, end=end))
        }
        if room_id:
            found.update(
                {
                    d.duty_id: d
                    for d in await self._duties.select(DutyQuery(room_id=room_id, start=start, end=end))
                }
            )
        return sorted(found.values(), key=lambda d: d.order_key)

    async def get_duty(self, duty_id: str) -> CheckpointDuty:
        duty = await self._duties.get(duty_id)
        if duty is None:
            raise NotFound("checkpoint duty", duty_id)
        return duty


def _ring_key(ring: PreventionRing) -> tuple[int, str]:
    return RING_ORDER[ring.level], ring.ring_id


def _ring_key_text(ring: PreventionRing) -> str:
    return f"{RING_ORDER[ring.level]}/{ring.ring_id}"
