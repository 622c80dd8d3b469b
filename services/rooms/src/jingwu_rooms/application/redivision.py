"""Zone re-division (R-ORG-3), a long command run as a plan: decide where every record goes (pure,
refusing anything that would orphan a record), store the plan, then apply it in idempotent steps —
dissolve the zones (the claim is the lock), insert the new zones, move villages and rooms — and only
then mark it done with ZonesRedivided in the same write. At start the service resumes what a crash cut
short; the event goes out only then."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from jingwu.rooms.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import AlreadyExists, NotFound, RuleViolation
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_rooms.adapters.proto_mapping import handover_to_proto, zone_to_proto
from jingwu_rooms.application.ports import (
    RedivisionRepository,
    RoomRepository,
    StationRepository,
    VillageRepository,
    ZoneQuery,
    ZoneRepository,
)
from jingwu_rooms.application.territory import zone_clash_error
from jingwu_rooms.domain.redivision import (
    Redivision,
    RoomMove,
    VillageMove,
    plan_redivision,
    room_move,
    validate_redivision,
)
from jingwu_rooms.domain.territory import Village, Zone, ZoneDraft

log = logging.getLogger(__name__)


class RedivisionApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        redivisions: RedivisionRepository,
        stations: StationRepository,
        zones: ZoneRepository,
        villages: VillageRepository,
        rooms: RoomRepository,
    ) -> None:
        self._kit = kit
        self._redivisions = redivisions
        self._stations = stations
        self._zones = zones
        self._villages = villages
        self._rooms = rooms

    async def redivide_zones(
        self, from_zone_codes: Sequence[str], to_zones: Sequence[ZoneDraft], reason: str, *, caller: Caller
    ) -> Redivision:
        """Plan, store the plan, apply it; answers the finished plan (its hand-over list included)."""
        validate_redivision(from_zone_codes, to_zones, reason, self._kit.district)
        for station_id in dict.fromkeys(d.station_id for d in to_zones):
            if await self._stations.get(station_id) is None:
                raise NotFound("station", station_id)
        dissolved = await self._zones.get_many(from_zone_codes)
        for code in from_zone_codes:
            if code not in dissolved:
                raise NotFound("zone", code)
        communities = [c for z in dissolved.values() for c in z.community_ids] + [
            c for d in to_zones for c in d.community_ids
        ]
        new_codes = [d.zone_code for d in to_zones]
        existing = await self._zones.get_many(new_codes)  # active or retired: codes are never reused
        plan = plan_redivision(
            redivision_id=self._kit.ids.new(),
            reason=reason.strip(),
            dissolved=[dissolved[code] for code in from_zone_codes],
            to_zones=to_zones,
            active_zones=await self._zones.select(ZoneQuery()),
            villages=await self._villages.for_redivision(from_zone_codes, communities),
            rooms=await self._rooms.live_in_zones(from_zone_codes),
            taken_codes=[code for code in new_codes if code in existing],
            at=self._kit.now(),
            by=caller.subject,
        )
        await self._redivisions.add(plan)
        return await self._apply(plan, by=caller.subject)

    async def resume_redivisions(self) -> None:
        """At start: complete re-divisions a crash interrupted (their event goes out only now)."""
        for plan in await self._redivisions.applying():
            try:
                await self._apply(plan, by=self._kit.system_caller().subject)
                log.info("interrupted re-division completed", extra={"redivision_id": plan.redivision_id})
            except (RuleViolation, AlreadyExists):
                log.warning(
                    "interrupted re-division abandoned",
                    exc_info=True,
                    extra={"redivision_id": plan.redivision_id},
                )

    # --- the steps, each idempotent, so a crash anywhere is completed by running them again ---------

    async def _apply(self, plan: Redivision, *, by: str) -> Redivision:
        claimed: list[Zone] = []
        for code in plan.from_zone_codes:  # the claim is the lock: a zone is dissolved by one re-division
            zone = await self._claim(plan, code)
            if zone is None:
                await self._abandon(plan, claimed)
                raise RuleViolation("R-ORG-3", f"zones/{code}", f"zone {code} was re-divided concurrently")
            claimed.append(zone)
        for zone in plan.new_zones:
            if await self._zones.add(zone):
                continue
            existing = await self._zones.get(zone.zone_code)
            if existing is not None and existing.created_by_redivision_id == plan.redivision_id:
                continue  # inserted by an earlier attempt
            clash = await self._zones.clash_with(zone)
            await self._abandon(plan, claimed)
            raise zone_clash_error(zone, clash)
        for move in plan.village_moves:
            await self._move_village(move)
        finished = plan.finished(await self._move_rooms(plan, by=by))
        event = events_pb2.ZonesRedivided(
            district_code=self._kit.district,
            redivision_id=plan.redivision_id,
            from_zone_codes=list(plan.from_zone_codes),
            to_zone_codes=[z.zone_code for z in plan.new_zones],
            community_to_zone=plan.community_to_zone,
            handover=handover_to_proto(finished.handover),
            occur_time=self._kit.events.occur_time(),
            new_zones=[zone_to_proto(z) for z in plan.new_zones],
            reason=plan.reason,
        )
        saved = await self._redivisions.save(finished, [self._kit.events(event, plan.redivision_id)])
        if saved is None:  # another instance finished it meanwhile (both resumed it at start)
            return await self._redivisions.get(plan.redivision_id) or finished
        return saved

    async def _claim(self, plan: Redivision, zone_code: str) -> Zone | None:
        """The zone, dissolved by this plan (now or by an earlier attempt); None when another plan
        dissolved it first."""

        async def attempt() -> Zone | bool | None:
            zone = await self._zones.get(zone_code)
            retired = zone.retired_by(plan.redivision_id, plan.successors[zone_code]) if zone else None
            if zone is None or retired is None:
                return False  # refused: held by another re-division
            if retired is zone:
                return zone  # claimed by an earlier attempt
            return await self._zones.save(retired)

        claimed = await retry_on_conflict(attempt, f"zone {zone_code}")
        return claimed if isinstance(claimed, Zone) else None

    async def _abandon(self, plan: Redivision, claimed: Sequence[Zone]) -> None:
        """Undo the inserted zones and the claims of a plan that cannot complete, then give it up."""
        await self._zones.delete_created_by(plan.redivision_id)
        for zone in claimed:
            await self._restore(plan, zone.zone_code)

        async def give_up() -> Redivision | None:
            current = await self._redivisions.get(plan.redivision_id)
            if current is None or not current.applying:
                return plan
            return await self._redivisions.save(current.abandoned())

        await retry_on_conflict(give_up, f"re-division {plan.redivision_id}")

    async def _restore(self, plan: Redivision, zone_code: str) -> None:
        """Undo the plan's claim of one zone."""

        async def attempt() -> bool | None:
            zone = await self._zones.get(zone_code)
            if zone is None:  # pragma: no cover - zones are never deleted
                return True
            restored = zone.restored_from(plan.redivision_id)
            if restored is zone:
                return True
            return True if await self._zones.save(restored) is not None else None

        await retry_on_conflict(attempt, f"zone {zone_code}")

    async def _move_village(self, move: VillageMove) -> None:
        """Only a village still in the dissolved zone moves (idempotent)."""

        async def attempt() -> bool | None:
            village = await self._villages.get(move.village_id)
            if village is None:  # pragma: no cover - villages are never deleted
                return True
            moved = village.moved(move.from_zone_code, move.to_zone_code, move.to_station_id)
            if moved is village:
                return True
            return True if await self._villages.save(moved) is not None else None

        await retry_on_conflict(attempt, f"village {move.village_id}")

    async def _move_rooms(self, plan: Redivision, *, by: str) -> list[RoomMove]:
        """Re-home every live room still on a dissolved zone, including rooms opened after planning;
        answers the moves the plan did not foresee."""
        planned = {m.room_id for m in plan.room_moves}
        late: list[RoomMove] = []
        for found in await self._rooms.live_in_zones(plan.from_zone_codes):
            village = await self._villages.get(found.village_id) if found.village_id else None
            move = await self._move_room(plan, found.room_id, village, by=by)
            if move is not None and found.room_id not in planned:
                late.append(move)
        return late

    async def _move_room(
        self, plan: Redivision, room_id: str, village: Village | None, *, by: str
    ) -> RoomMove | None:
        """The room onto the zones that replace its dissolved ones; None when it has moved already."""
        villages = {village.village_id: village} if village else None

        async def attempt() -> RoomMove | bool | None:
            room = await self._rooms.get(room_id)
            move = room_move(room, plan.successors, plan.community_to_zone, villages) if room else None
            if room is None or move is None:
                return False  # moved by an earlier attempt
            detail = "; ".join(f"{old} → {', '.join(news)}" for old, news in move.replacements)
            moved = room.with_zone_codes(
                move.to_zone_codes, f"{plan.redivision_id}: {detail}", self._kit.now(), by
            )
            return move if await self._rooms.save(moved) is not None else None

        moved = await retry_on_conflict(attempt, f"room {room_id}")
        return moved if isinstance(moved, RoomMove) else None
