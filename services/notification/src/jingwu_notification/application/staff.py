"""Record-level rules on who acts for a room (the RPC's own rule is declared next to the servicer):
an officer acts for the rooms he is posted to; supervisors, district administrators and the service
itself act for any room of the district."""

from __future__ import annotations

from jingwu_platform.auth import Caller, Role
from jingwu_platform.errors import PermissionDenied

from jingwu_notification.application.ports import PostingDirectory

ANY_ROOM = frozenset({Role.SUPERVISOR, Role.DISTRICT_ADMIN, Role.SERVICE})


class RoomStaff:
    def __init__(self, postings: PostingDirectory) -> None:
        self._postings = postings

    async def require(self, caller: Caller, room_id: str, action: str) -> None:
        if caller.roles & ANY_ROOM:
            return
        if caller.has(Role.OFFICER) and await self._postings.current(
            officer_id=caller.subject, room_id=room_id
        ):
            return
        raise PermissionDenied(
            f"{action}: {caller.subject} is not posted to room {room_id} "
            "(officers act for their own rooms; supervisors and district admins for any)"
        )

    async def may_act_for(self, caller: Caller, room_id: str) -> bool:
        try:
            await self.require(caller, room_id, "")
        except PermissionDenied:
            return False
        return True
