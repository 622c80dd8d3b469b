"""What this service keeps of the other services' state — rooms, postings, the week's facts — and the
contact points it delivers to. Each update is idempotent (a record written whole by its id), as event
handlers must be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from jingwu_platform.auth import Caller, Role
from jingwu_platform.errors import NotFound
from jingwu_platform.usecase import UseCaseKit, require_role

from jingwu_notification.application.ports import (
    ContactDirectory,
    FactRepository,
    PostingDirectory,
    RoomDirectory,
)
from jingwu_notification.domain.directory import (
    ContactOwner,
    ContactPoint,
    PostingView,
    RoomView,
    absorb,
    close,
    contact_point,
    recipient_of,
    rehome_zone,
)
from jingwu_notification.domain.weekly import WeekFact


class DirectoryApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        rooms: RoomDirectory,
        postings: PostingDirectory,
        facts: FactRepository,
        contacts: ContactDirectory,
    ) -> None:
        self._kit = kit
        self._rooms = rooms
        self._postings = postings
        self._facts = facts
        self._contacts = contacts

    # --- rooms (jingwu.rooms.v1) -----------------------------------------------------------------

    async def room_seen(self, room: RoomView) -> None:
        await self._rooms.put(room)

    async def rooms_merged(self, surviving_room_id: str, merged_room_ids: Sequence[str]) -> None:
        """R-ROOM-2: zones move to the survivor; the merged rooms stop owing notices and meetings."""
        merged = list((await self._rooms.get_many(merged_room_ids)).values())
        survivor = await self._rooms.get(surviving_room_id)
        if survivor is not None:
            await self._rooms.put(absorb(survivor, merged))
        for room in merged:
            await self._rooms.put(close(room))

    async def room_closed(self, room_id: str) -> None:
        room = await self._rooms.get(room_id)
        if room is not None:
            await self._rooms.put(close(room))

    async def zone_handed_over(self, room_id: str, from_zone: str, to_zone: str) -> None:
        room = await self._rooms.get(room_id)
        if room is not None and from_zone in room.zone_codes:
            await self._rooms.put(rehome_zone(room, from_zone, to_zone))

    # --- postings (jingwu.personnel.v1) ----------------------------------------------------------

    async def posting_seen(self, posting: PostingView) -> None:
        await self._postings.put(posting)

    async def officer_left(self, officer_id: str) -> None:
        for posting in await self._postings.current(officer_id=officer_id):
            await self._postings.put(replace(posting, current=False))

    # --- the week's facts (R-NOT-1) --------------------------------------------------------------

    async def fact_seen(self, fact: WeekFact) -> None:
        if fact.zone_code:
            await self._facts.put(fact)

    # --- contact points --------------------------------------------------------------------------

    async def set_contact(
        self, *, owner: ContactOwner | None, owner_id: str, email: str, group_key: str, caller: Caller
    ) -> ContactPoint:
        """An officer sets his own; supervisors and district administrators set anyone's, a room's
        resident group and a station's desk."""
        if not (owner is ContactOwner.OFFICER and owner_id == caller.subject):
            require_role(caller, (Role.SUPERVISOR, Role.DISTRICT_ADMIN), "SetContactPoint for someone else")
        contact = contact_point(
            owner=owner, owner_id=owner_id, email=email, group_key=group_key, at=self._kit.now()
        )
        await self._contacts.put(contact)
        return contact

    async def contact(self, owner: ContactOwner | None, owner_id: str) -> ContactPoint:
        found = await self._contacts.get(recipient_of(owner, owner_id)) if owner is not None else None
        if found is None:
            raise NotFound("contact point", f"{owner.value if owner else '?'}/{owner_id}")
        return found
