"""The registry's changes that move postings: rooms merged or closed (R-ROOM-2), zones re-divided
(R-ORG-3). Applied one event at a time, in the order of the batch they came in
(application/territory_changes.py runs them and the staffing evaluation after them).

Each is idempotent for its event: read-model writes are upserts or state transitions, postings moved by
an event get ids derived from the event id and the old posting, so a re-delivered event (the inbox mark
is a second write) changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from jingwu_platform.errors import RuleViolation
from jingwu_platform.usecase import UseCaseKit

from jingwu_personnel.application.changes import Decision, change
from jingwu_personnel.application.ports import (
    PostingQuery,
    PostingRepository,
    RoomViewRepository,
    VillageQuery,
    VillageRepository,
    ZoneViewRepository,
)
from jingwu_personnel.application.posting_ledger import Ending, PostingLedger
from jingwu_personnel.domain.postings import Posting, posting_id_for, successor_posting
from jingwu_personnel.domain.redivision import ZoneRedivision, plan_redivision
from jingwu_personnel.domain.territory import RoomStatus, RoomView
from jingwu_personnel.domain.villages import VillageAssignment


@dataclass(frozen=True)
class RegistryEvent:
    """The registry's event behind a change: postings it moves cite it, and their ids derive from it."""

    event_id: str
    event_type: str  # the payload's full name, e.g. jingwu.rooms.v1.RoomsMerged
    day: date  # the local day the registry says it happened

    @property
    def reference(self) -> str:
        return f"{self.event_type} {self.event_id}"


async def change_village(
    villages: VillageRepository,
    village_id: str,
    transition: Callable[[VillageAssignment], VillageAssignment | None],
) -> None:
    """A village's description changes (no events): read, decide, write."""

    def decide(assignment: VillageAssignment) -> Decision[VillageAssignment]:
        changed = transition(assignment)
        return None if changed is None else (changed, [])

    await change(villages, village_id, decide, what=f"village {village_id}")


class PostingMoves:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        rooms: RoomViewRepository,
        zones: ZoneViewRepository,
        villages: VillageRepository,
        postings: PostingRepository,
    ) -> None:
        self._kit = kit
        self._rooms = rooms
        self._zones = zones
        self._villages = villages
        self._postings = postings
        self._ledger = PostingLedger(kit, postings, villages)
        self._system = kit.system_caller().subject

    async def _open_postings(self, room_id: str = "") -> list[Posting]:
        return await self._postings.select(PostingQuery(room_id=room_id, current_only=True))

    async def _move(
        self,
        cause: RegistryEvent,
        posting: Posting,
        reason: str,
        *,
        room_id: str | None = None,
        zone_code: str | None = None,
    ) -> None:
        """R-ROOM-2 / R-ORG-3: the posting ends and a successor posting continues elsewhere, so the history
        shows both (R-PER-12). Successor first: a crash in between leaves the old one open, and the
        re-delivered event finds the successor already there and ends the old one."""
        kit = self._kit
        start = max(cause.day, posting.start_date)
        successor = successor_posting(
            posting,
            posting_id=posting_id_for(start, kit.ids.stable("moved", cause.event_id, posting.posting_id)),
            day=start,
            at=kit.now(),
            by=self._system,
            approval_reference=cause.reference,
            room_id=room_id,
            zone_code=zone_code,
        )
        await self._ledger.start(successor)
        ending = Ending(start, reason, self._system, approval_reference=cause.reference)
        await self._ledger.end(posting.posting_id, ending, release_village=False)
        # A village's liaison or auxiliary posting that moved stays the village's (R-PER-5: no blank).
        await self._ledger.hand_over_village_slot(posting, successor)

    async def rooms_merged(self, cause: RegistryEvent, survivor_id: str, merged_ids: tuple[str, ...]) -> None:
        """R-ROOM-2: the merged rooms' postings move to the surviving room ("zones and staff move to the
        surviving room"), with history kept."""
        survivor = await self._rooms.get(survivor_id)
        zones: list[str] = list(survivor.zone_codes) if survivor else []
        for room_id in merged_ids:
            old = await self._rooms.get(room_id) or RoomView.unknown(room_id, RoomStatus.MERGED)
            zones += [z for z in old.zone_codes if z not in zones]
            await self._rooms.store(old.merged_into(survivor_id))
        if survivor is not None:
            await self._rooms.store(survivor.with_zones(tuple(zones)))
        at_survivor = {(p.officer_id, p.role) for p in await self._open_postings(room_id=survivor_id)}
        for room_id in merged_ids:
            reason = f"room {room_id} merged into {survivor_id} (R-ROOM-2)"
            for posting in await self._open_postings(room_id=room_id):
                if (posting.officer_id, posting.role) in at_survivor:
                    # Already posted to the surviving room in this role: only the merged posting ends.
                    ending = Ending(cause.day, reason, self._system, approval_reference=cause.event_id)
                    await self._ledger.end(posting.posting_id, ending)
                    continue
                await self._move(cause, posting, reason, room_id=survivor_id)
                at_survivor.add((posting.officer_id, posting.role))

    async def room_closed(self, cause: RegistryEvent, room_id: str, reason: str) -> None:
        """R-ROOM-2: a room closed without successor: its postings end (published, never silently)."""
        old = await self._rooms.get(room_id) or RoomView.unknown(room_id, RoomStatus.CLOSED)
        await self._rooms.store(old.closed())
        why = f"room {room_id} closed: {reason or 'no reason given'} (R-ROOM-2)"
        for posting in await self._open_postings(room_id=room_id):
            await self._ledger.end(
                posting.posting_id, Ending(cause.day, why, self._system, approval_reference=cause.reference)
            )

    async def zones_redivided(self, cause: RegistryEvent, redivision: ZoneRedivision) -> None:
        """R-ORG-3: every open posting of a dissolved zone moves to its new zone per the hand-over list
        and the community→zone map. A posting neither places is not guessed at: the event is refused
        whole (RuleViolation, nothing changed) so the hand-over list can be completed and replayed."""
        rooms = {r.room_id: r for r in await self._rooms.every()}
        villages = {a.village_id: a.village for a in await self._villages.select(VillageQuery())}
        postings = [p for p in await self._open_postings() if p.zone_code in redivision.from_zone_codes]
        plan = plan_redivision(
            postings,
            from_zones=redivision.from_zone_codes,
            to_zones=list(redivision.to_zone_codes),
            community_to_zone=redivision.community_to_zone,
            handover={h.record_id: h.to_zone_code for h in redivision.handed_over("posting")},
            zones={z.zone_code: z for z in await self._zones.every()},
            rooms=rooms,
            villages=villages,
        )
        if plan.unmapped:
            raise RuleViolation(
                "R-ORG-3",
                f"redivisions/{redivision.redivision_id}",
                f"ZonesRedivided {redivision.redivision_id}: hand-over list places no new zone for "
                f"posting(s) {', '.join(plan.unmapped)}",
            )
        # The registry's read model first: new zones (their workload), villages and rooms re-homed, old
        # zones retired.
        for zone in redivision.new_zones:
            await self._zones.put_registry_fields(zone)
        moved_villages = [*redivision.community_to_zone.items()]
        moved_villages += [(item.record_id, item.to_zone_code) for item in redivision.handed_over("village")]
        for village_id, zone_code in moved_villages:
            if village_id in villages:
                await change_village(
                    self._villages, village_id, partial(VillageAssignment.rezoned, zone_code=zone_code)
                )
        for item in redivision.handed_over("room"):
            if item.record_id in rooms:
                await self._rooms.store(rooms[item.record_id].rezoned(item.from_zone_code, item.to_zone_code))
        await self._zones.retire(redivision.retired_zone_codes)
        by_id = {p.posting_id: p for p in postings}
        for posting_id, zone_code in sorted(plan.moves.items()):
            old_zone = by_id[posting_id].zone_code
            reason = f"zones re-divided ({redivision.redivision_id}): {old_zone} → {zone_code} (R-ORG-3)"
            await self._move(cause, by_id[posting_id], reason, zone_code=zone_code)
