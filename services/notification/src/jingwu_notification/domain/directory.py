"""Who is where, as this service learns it from the other services' events, and how they are reached.
Pure.

- ``RoomView``: a room's name, station, zones and whether it is active (jingwu.rooms.v1 events);
- ``PostingView``: an officer's current posting to a room, zone or village (jingwu.personnel.v1);
- ``ContactPoint``: where an officer, a room's resident group or a station is reached (set over gRPC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from jingwu_platform.errors import Validator

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GROUP_KEY = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


@dataclass(frozen=True)
class RoomView:
    room_id: str
    name: str
    station_id: str = ""
    zone_codes: tuple[str, ...] = ()
    active: bool = True
    opened_on: date | None = None


def room_with_zones(room: RoomView, zone_codes: tuple[str, ...]) -> RoomView:
    return replace(room, zone_codes=tuple(sorted(set(zone_codes))))


def absorb(survivor: RoomView, merged: list[RoomView]) -> RoomView:
    """R-ROOM-2: zones of merged rooms move to the surviving room."""
    zones = {*survivor.zone_codes, *(z for room in merged for z in room.zone_codes)}
    return replace(survivor, zone_codes=tuple(sorted(zones)))


def close(room: RoomView) -> RoomView:
    return replace(room, active=False)


def rehome_zone(room: RoomView, from_zone: str, to_zone: str) -> RoomView:
    """R-ORG-3: a re-division hands a room's zone over to a new code."""
    zones = {to_zone if z == from_zone else z for z in room.zone_codes}
    return replace(room, zone_codes=tuple(sorted(zones)))


@dataclass(frozen=True)
class PostingView:
    posting_id: str
    officer_id: str
    role: str
    room_id: str = ""
    zone_code: str = ""
    village_id: str = ""
    station_id: str = ""
    current: bool = True


# Postings whose holder receives a room's reminders and answers its matters (R-NOT-3 default owner).
ROOM_OFFICER_ROLES = ("community_officer", "police", "village_liaison_officer")


class ContactOwner(StrEnum):
    OFFICER = "officer"
    ROOM = "room"  # the room's resident group (R-NOT-4)
    STATION = "station"  # the station's duty desk (R-NOT-3 escalations)


@dataclass(frozen=True)
class ContactPoint:
    contact_id: str
    owner: ContactOwner
    owner_id: str
    email: str = ""
    group_key: str = ""
    update_time: datetime | None = None

    @property
    def recipient(self) -> str:
        return recipient_of(self.owner, self.owner_id)


def recipient_of(owner: ContactOwner, owner_id: str) -> str:
    return f"{owner.value}/{owner_id}"


def contact_point(
    *, owner: ContactOwner | None, owner_id: str, email: str, group_key: str, at: datetime
) -> ContactPoint:
    v = Validator()
    v.check(owner is not None, "contact_point.owner", "is required")
    v.check(bool(owner_id.strip()), "contact_point.owner_id", "is required")
    if email:
        v.check(bool(_EMAIL.match(email)), "contact_point.email", f"not an e-mail address: {email!r}")
    if group_key:
        v.check(
            bool(_GROUP_KEY.match(group_key)),
            "contact_point.group_key",
            "must be 1–128 letters, digits, '_' or '-'",
        )
    v.raise_if_any()
    assert owner is not None
    return ContactPoint(
        contact_id=recipient_of(owner, owner_id.strip()),
        owner=owner,
        owner_id=owner_id.strip(),
        email=email.strip(),
        group_key=group_key.strip(),
        update_time=at,
    )
