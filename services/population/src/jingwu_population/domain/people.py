"""Houses and the people living in them (R-POP-1, R-POP-2): the unit of record is the house. Pure.

A house sits at a standard address with coordinates (R-POP-7), in a zone and a community or village.
Everyone living there is a ``Resident`` of it, in a household with a relation to its householder. A
resident carries the whole history of residences in the district; a move writes the old residence's
end and the new one's start. People whose registered residence differs from where they live
(人户分离) are flagged, and recorded at both ends: at the house they live in, and — when registered in
this district — at the house they are registered at (``registered_house_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from jingwu_population.domain.address import AddressParts
from jingwu_population.domain.geo import GeoPoint


class HouseKind(StrEnum):
    RESIDENTIAL = "residential"
    RENTAL = "rental"  # 出租屋 (also a place under inspection, R-POP-3)
    SHOP = "shop"
    UNIT_PREMISES = "unit_premises"


class Category(StrEnum):
    """R-POP-2."""

    REGISTERED = "registered"  # 户籍
    TEMPORARY = "temporary"  # 暂住
    FLOATING = "floating"  # 流动
    LODGED = "lodged"  # 寄口


class KeyGroup(StrEnum):
    """R-POP-2 key groups needing care or attention."""

    RELEASED_PRISONER = "released_prisoner"  # 刑释解教
    IDLE_YOUTH = "idle_youth"  # 闲散青少年
    SEVERE_MENTAL_DISORDER = "severe_mental_disorder"  # 严重精神障碍患者
    LEFT_BEHIND_CHILD = "left_behind_child"  # 留守儿童
    ELDERLY_ALONE = "elderly_alone"  # 独居老人


class Relation(StrEnum):
    HOUSEHOLDER = "householder"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other_relative"
    TENANT = "tenant"
    NON_RELATIVE = "non_relative"


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class ResidentStatus(StrEnum):
    LIVING = "living"
    MOVED_OUT = "moved_out"
    DECEASED = "deceased"


# Categories that make a household permanent (常住户) for familiarisation visits (R-POP-5).
PERMANENT_CATEGORIES = frozenset({Category.REGISTERED, Category.TEMPORARY, Category.LODGED})


@dataclass(frozen=True, slots=True)
class House:
    house_id: str
    address: str  # canonical standard address (domain.address.normalise_address)
    parts: AddressParts
    location: GeoPoint
    zone_code: str
    village_id: str
    kind: HouseKind
    address_code: str = ""
    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None
    # Set on houses a ledger import created (visible once the import committed).
    import_id: str = ""
    version: int = 0

    @property
    def rental(self) -> bool:
        return self.kind is HouseKind.RENTAL


@dataclass(frozen=True, slots=True)
class KeyGroupTag:
    """R-POP-2: a key group with the reason, the officer who owns the case, and the review date."""

    key_group: KeyGroup
    reason: str
    owner_id: str
    review_date: date
    tagged_by: str = ""
    tagged_at: datetime | None = None
    # The review date a KeyGroupReviewOverdue was raised for (once per tag and date).
    overdue_raised_for: date | None = None


@dataclass(frozen=True, slots=True)
class Residence:
    """One residence in the district (history, R-POP-1)."""

    house_id: str
    zone_code: str
    move_in_date: date | None
    move_out_date: date | None = None
    destination: str = ""
    status: ResidentStatus = ResidentStatus.LIVING


@dataclass(frozen=True, slots=True)
class Resident:
    resident_id: str
    house_id: str
    household_id: str
    name: str
    id_number: str
    phone: str
    gender: Gender | None
    birth_date: date | None
    relation: Relation
    category: Category
    tags: tuple[KeyGroupTag, ...]
    registered_address: str
    registered_house_id: str
    separated: bool  # 人户分离, derived by ``is_separated``
    situation: str
    status: ResidentStatus
    move_in_date: date | None
    move_out_date: date | None
    history: tuple[Residence, ...]
    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None
    import_id: str = ""
    version: int = 0

    @property
    def living(self) -> bool:
        return self.status is ResidentStatus.LIVING

    @property
    def key_groups(self) -> tuple[KeyGroup, ...]:
        return tuple(tag.key_group for tag in self.tags)


def is_separated(
    *, category: Category, house_id: str, house_address: str, registered_house_id: str, registered_key: str
) -> bool:
    """人户分离 (R-POP-1): registered somewhere other than where the person lives. Temporary and
    floating residents are registered elsewhere by definition; a registered (户籍) or lodged resident
    is separated when the registered house, or else the registered address, is not the house lived in."""
    if category in (Category.TEMPORARY, Category.FLOATING):
        return True
    if registered_house_id:
        return registered_house_id != house_id
    return bool(registered_key) and registered_key != house_address


def moved_in(resident: Resident, *, house: House, move_in_date: date | None) -> Resident:
    """The resident now lives at ``house``; the history gains the new residence (R-POP-1)."""
    return replace(
        resident,
        house_id=house.house_id,
        status=ResidentStatus.LIVING,
        move_in_date=move_in_date,
        move_out_date=None,
        history=(*resident.history, Residence(house.house_id, house.zone_code, move_in_date)),
    )


def moved_out(
    resident: Resident, *, move_out_date: date, destination: str, status: ResidentStatus
) -> Resident:
    """The resident left (or died); the record stays with its history closed (R-POP-1)."""
    history = resident.history
    if history and history[-1].move_out_date is None:
        last = replace(history[-1], move_out_date=move_out_date, destination=destination, status=status)
        history = (*history[:-1], last)
    return replace(resident, status=status, move_out_date=move_out_date, history=history)
