"""Who is posted to a room, as the room registry learns it from personnel's events. Pure.

R-ROOM-4 "every room has >= 1 officer" (一室一警) and R-ROOM-6 "where a community has >= 2 officers"
count police officers (民警) posted to the room: community officers, liaison officers and other police.
"1+X" linked officers are excluded: they support a room from a specialised branch but are not its own
staff (seed 000). Auxiliaries and the prevention network staff a room but are not officers.
"""

from __future__ import annotations

from dataclasses import dataclass

POLICE_ROLES = frozenset({"police", "community_officer", "village_liaison_officer"})


@dataclass(frozen=True)
class RoomPosting:
    posting_id: str
    officer_id: str
    room_id: str
    role: str
    full_time: bool = False
    current: bool = True

    @property
    def police_officer(self) -> bool:
        return self.role in POLICE_ROLES
