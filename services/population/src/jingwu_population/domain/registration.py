"""Checking and building houses and residents from what a clerk, an officer or a ledger gives (R-POP-1,
R-POP-2). Pure: every problem is a field violation on the request's field path."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from jingwu_platform.errors import Validator
from jingwu_platform.shared_kernel import check_geo_point, check_required, check_zone_code

from jingwu_population.domain.address import normalise_address, parse_address
from jingwu_population.domain.geo import GeoPoint
from jingwu_population.domain.identity import check_identity_number, identity_parts, normalise_identity_number
from jingwu_population.domain.people import (
    Category,
    Gender,
    House,
    HouseKind,
    KeyGroup,
    KeyGroupTag,
    Relation,
    Residence,
    Resident,
    ResidentStatus,
    is_separated,
)

NAME_MAX = 64  # code points: names in any script, including long minority names
ADDRESS_MAX = 200
TEXT_MAX = 500
_PHONE = re.compile(r"^(\+?86-?)?(1\d{10}|0\d{2,3}-?\d{7,8})$")


@dataclass(frozen=True)
class HouseDraft:
    address: str
    location: GeoPoint
    zone_code: str
    village_id: str = ""
    kind: HouseKind | None = None
    address_code: str = ""


def check_house(v: Validator, draft: HouseDraft, district: str, prefix: str = "") -> None:
    """R-POP-1 a standard address, R-POP-7 coordinates, R-ORG-2 a zone of the district."""
    check_required(v, f"{prefix}standard_address", draft.address, max_length=ADDRESS_MAX)
    if draft.address.strip():
        v.check(
            bool(parse_address(draft.address).door_number or parse_address(draft.address).room),
            f"{prefix}standard_address",
            "a standard address names a door number (…号) or a room (…室)",
        )
    check_geo_point(v, f"{prefix}location", draft.location.longitude, draft.location.latitude)
    check_zone_code(v, f"{prefix}zone_code", draft.zone_code, district)


def new_house(draft: HouseDraft, *, house_id: str, at: datetime, by: str, import_id: str = "") -> House:
    address = normalise_address(draft.address)
    return House(
        house_id=house_id,
        address=address,
        parts=parse_address(address),
        location=draft.location,
        zone_code=draft.zone_code,
        village_id=draft.village_id,
        kind=draft.kind or HouseKind.RESIDENTIAL,
        address_code=draft.address_code,
        created_by=by,
        created_at=at,
        updated_by=by,
        updated_at=at,
        import_id=import_id,
    )


@dataclass(frozen=True)
class TagDraft:
    key_group: KeyGroup | None
    reason: str
    owner_id: str
    review_date: date | None


@dataclass(frozen=True)
class ResidentDraft:
    name: str
    id_number: str
    phone: str = ""
    gender: Gender | None = None
    birth_date: date | None = None
    relation: Relation | None = None
    category: Category | None = None
    tags: tuple[TagDraft, ...] = ()
    registered_address: str = ""
    situation: str = ""
    move_in_date: date | None = None
    household_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def clean_name(name: str) -> str:
    """Names are kept as given, in any script (rare characters outside the BMP included), NFC-composed
    and trimmed; nothing is transliterated."""
    return unicodedata.normalize("NFC", name.strip())


def check_name(v: Validator, path: str, name: str) -> None:
    if not v.check(bool(name), path, "is required"):
        return
    v.check(len(name) <= NAME_MAX, path, f"must be at most {NAME_MAX} characters")
    v.check(
        not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name),
        path,
        "must not contain control, format, surrogate or unassigned characters",
    )


def check_phone(v: Validator, path: str, phone: str) -> None:
    if phone:
        v.check(
            bool(_PHONE.match(phone)), path, f"is not a mobile (1xxxxxxxxxx) or landline number: {phone!r}"
        )


def check_tags(v: Validator, path: str, tags: tuple[TagDraft, ...], today: date) -> None:
    """R-POP-2: each key group once, with a reason, an owner and a review date not in the past."""
    seen: set[KeyGroup] = set()
    for i, tag in enumerate(tags):
        at = f"{path}[{i}]"
        if v.check(tag.key_group is not None, f"{at}.key_group", "is required"):
            assert tag.key_group is not None
            v.check(tag.key_group not in seen, f"{at}.key_group", f"{tag.key_group.value} is tagged twice")
            seen.add(tag.key_group)
        check_required(v, f"{at}.reason", tag.reason, max_length=TEXT_MAX)
        check_required(v, f"{at}.owner_id", tag.owner_id)
        if v.check(tag.review_date is not None, f"{at}.review_date", "is required (R-POP-2)"):
            assert tag.review_date is not None
            v.check(tag.review_date >= today, f"{at}.review_date", "must not be in the past")


def check_resident(v: Validator, draft: ResidentDraft, *, today: date, prefix: str = "") -> None:
    check_name(v, f"{prefix}name", draft.name)
    if v.check(bool(draft.id_number), f"{prefix}id_number", "is required"):
        check_identity_number(v, f"{prefix}id_number", draft.id_number, today=today)
    check_phone(v, f"{prefix}phone", draft.phone)
    v.check(draft.category is not None, f"{prefix}category", "is required (R-POP-2)")
    v.check(draft.relation is not None, f"{prefix}relation", "is required (relation to the householder)")
    if draft.birth_date is not None:
        v.check(draft.birth_date <= today, f"{prefix}birth_date", "must not be in the future")
        parts = identity_parts(draft.id_number)
        if parts is not None:
            v.check(
                parts.birth_date == draft.birth_date,
                f"{prefix}birth_date",
                f"does not match the identity number's birth date {parts.birth_date.isoformat()}",
            )
    if draft.move_in_date is not None:
        v.check(draft.move_in_date <= today, f"{prefix}move_in_date", "must not be in the future")
    v.check(len(draft.registered_address) <= ADDRESS_MAX, f"{prefix}registered_address", "is too long")
    v.check(len(draft.situation) <= TEXT_MAX, f"{prefix}situation", f"must be at most {TEXT_MAX} characters")
    check_tags(v, f"{prefix}key_group_tags", draft.tags, today)


def tags_from(drafts: tuple[TagDraft, ...], *, by: str, at: datetime) -> tuple[KeyGroupTag, ...]:
    tags = []
    for draft in drafts:
        assert draft.key_group is not None and draft.review_date is not None
        tags.append(KeyGroupTag(draft.key_group, draft.reason, draft.owner_id, draft.review_date, by, at))
    return tuple(sorted(tags, key=lambda t: t.key_group.value))


def new_resident(
    draft: ResidentDraft,
    *,
    resident_id: str,
    house: House,
    household_id: str,
    registered_house_id: str,
    at: datetime,
    by: str,
    import_id: str = "",
) -> Resident:
    """A person new to the district, living at ``house`` (the draft is checked)."""
    assert draft.category is not None and draft.relation is not None
    number = normalise_identity_number(draft.id_number)
    parts = identity_parts(number)
    registered = normalise_address(draft.registered_address) if draft.registered_address else ""
    return Resident(
        resident_id=resident_id,
        house_id=house.house_id,
        household_id=household_id,
        name=clean_name(draft.name),
        id_number=number,
        phone=draft.phone.strip(),
        gender=draft.gender or (None if parts is None else (Gender.MALE if parts.male else Gender.FEMALE)),
        birth_date=draft.birth_date or (parts.birth_date if parts else None),
        relation=draft.relation,
        category=draft.category,
        tags=tags_from(draft.tags, by=by, at=at),
        registered_address=registered,
        registered_house_id=registered_house_id,
        separated=is_separated(
            category=draft.category,
            house_id=house.house_id,
            house_address=house.address,
            registered_house_id=registered_house_id,
            registered_key=registered,
        ),
        situation=draft.situation,
        status=ResidentStatus.LIVING,
        move_in_date=draft.move_in_date,
        move_out_date=None,
        history=(Residence(house.house_id, house.zone_code, draft.move_in_date),),
        created_by=by,
        created_at=at,
        updated_by=by,
        updated_at=at,
        import_id=import_id,
    )
