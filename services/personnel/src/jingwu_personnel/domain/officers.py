"""Officers and the prevention network (R-PER-1), and how their personal data is shown (R-POP-6). Pure.

A person holds one or more roles. The base of the force is either a police officer (民警) or an
auxiliary (辅警), never both; the specialised roles sit on top of one of them: a community officer,
village liaison officer or "1+X" linked officer is a police officer, a resident village auxiliary is an
auxiliary. Mass-prevention members, information collectors and security central households are
civilians of the prevention network and hold neither base role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.shared_kernel import check_required

from jingwu_personnel.domain.audit import Audit


class OfficerRole(StrEnum):
    """R-PER-1 (and R-ORG-5 for the rural grid roles)."""

    POLICE = "police"  # 民警
    AUXILIARY = "auxiliary"  # 辅警 / 协勤队员
    COMMUNITY_OFFICER = "community_officer"  # 社区民警
    VILLAGE_LIAISON_OFFICER = "village_liaison_officer"  # 包村民警
    RESIDENT_AUXILIARY = "resident_auxiliary"  # 驻村辅警
    LINKED_OFFICER = "linked_officer"  # "1+X"
    MASS_PREVENTION_MEMBER = "mass_prevention_member"  # 群防群治队伍
    INFORMATION_COLLECTOR = "information_collector"  # 信息员
    SECURITY_CENTRAL_HOUSEHOLD = "security_central_household"  # 治安中心户


# Roles that only a police officer / only an auxiliary can hold (R-PER-1).
POLICE_ROLES = frozenset(
    {
        OfficerRole.POLICE,
        OfficerRole.COMMUNITY_OFFICER,
        OfficerRole.VILLAGE_LIAISON_OFFICER,
        OfficerRole.LINKED_OFFICER,
    }
)
AUXILIARY_ROLES = frozenset({OfficerRole.AUXILIARY, OfficerRole.RESIDENT_AUXILIARY})


class Branch(StrEnum):
    """Police branch (警种); decides R-PER-6 liaison preferences."""

    STATION = "station"
    PUBLIC_ORDER = "public_order"
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    TRAFFIC = "traffic"
    STATE_SECURITY = "state_security"
    PATROL_SPECIAL = "patrol_special"
    NARCOTICS = "narcotics"
    ECONOMIC_CRIME = "economic_crime"
    COMMAND_CENTRE = "command_centre"
    OTHER = "other"


class OfficerStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class Officer:
    officer_id: str
    name: str
    roles: frozenset[OfficerRole]
    branch: Branch | None = None
    station_id: str = ""
    badge_number: str = ""
    id_number: str = ""
    phone: str = ""
    home_village_id: str = ""
    home_township: str = ""
    former_workplace_village_ids: tuple[str, ...] = ()
    previous_workplace: str = ""
    status: OfficerStatus = OfficerStatus.ACTIVE
    join_date: date | None = None
    audit: Audit = field(default_factory=Audit)
    version: int = 0

    @property
    def is_police(self) -> bool:
        return OfficerRole.POLICE in self.roles

    @property
    def is_auxiliary(self) -> bool:
        return OfficerRole.AUXILIARY in self.roles

    @property
    def active(self) -> bool:
        return self.status is OfficerStatus.ACTIVE

    def deactivate(self, at: datetime, by: str) -> Officer | None:
        """Off the force; None when he already is (nothing changes)."""
        if not self.active:
            return None
        return replace(self, status=OfficerStatus.INACTIVE, audit=self.audit.touched(by, at))

    def require_active(self) -> None:
        if not self.active:
            raise RuleViolation(
                "R-PER-1", f"officers/{self.officer_id}", "the officer is no longer on the force"
            )

    def can_take(self, role: OfficerRole) -> bool:
        """Whether a posting in ``role`` suits this person's base role (R-PER-1)."""
        if role in POLICE_ROLES:
            return self.is_police
        if role in AUXILIARY_ROLES:
            return self.is_auxiliary
        return True


@dataclass(frozen=True)
class OfficerDraft:
    """What a caller gives to register a person; validated by ``register_officer``."""

    name: str
    roles: tuple[OfficerRole | None, ...]
    branch: Branch | None = None
    station_id: str = ""
    badge_number: str = ""
    id_number: str = ""
    phone: str = ""
    home_village_id: str = ""
    home_township: str = ""
    former_workplace_village_ids: tuple[str, ...] = ()
    previous_workplace: str = ""
    join_date: date | None = None
    join_date_invalid: bool = False


# GB 11643: 17 digits and a check character (digit or X); the older 15-digit form is still in records.
_ID_NUMBER = re.compile(r"^(\d{17}[\dXx]|\d{15})$")
_PHONE = re.compile(r"^\+?[\d-]{5,20}$")


def check_roles(
    v: Validator, field_name: str, roles: tuple[OfficerRole | None, ...]
) -> frozenset[OfficerRole]:
    """R-PER-1: at least one role; police and auxiliary exclude each other; a specialised role needs
    its base role."""
    if not v.check(bool(roles), field_name, "at least one role is required (R-PER-1)"):
        return frozenset()
    known: set[OfficerRole] = set()
    for index, role in enumerate(roles):
        if v.check(role is not None, f"{field_name}[{index}]", "unknown or unspecified role"):
            assert role is not None
            known.add(role)
    if OfficerRole.POLICE in known and OfficerRole.AUXILIARY in known:
        v.add(field_name, "a person is either a police officer or an auxiliary, not both (R-PER-1)")
    if (known & POLICE_ROLES) - {OfficerRole.POLICE} and OfficerRole.POLICE not in known:
        v.add(
            field_name, "community, liaison and linked officers are police officers: add OFFICER_ROLE_POLICE"
        )
    if OfficerRole.RESIDENT_AUXILIARY in known and OfficerRole.AUXILIARY not in known:
        v.add(field_name, "a resident auxiliary is an auxiliary: add OFFICER_ROLE_AUXILIARY (R-PER-1)")
    return frozenset(known)


def register_officer(draft: OfficerDraft, *, officer_id: str, at: datetime, by: str) -> Officer:
    v = Validator()
    check_required(v, "name", draft.name, max_length=64)
    roles = check_roles(v, "roles", draft.roles)
    if roles & POLICE_ROLES:
        # The police branch decides liaison preferences (R-PER-6) and "1+X" links.
        v.check(draft.branch is not None, "branch", "a police officer's branch is required")
    if draft.id_number:
        v.check(bool(_ID_NUMBER.match(draft.id_number)), "id_number", "must be an 18-digit identity number")
    if draft.phone:
        v.check(bool(_PHONE.match(draft.phone)), "phone", "must be a phone number")
    if OfficerRole.RESIDENT_AUXILIARY in roles:
        # R-PER-7 is checked against the auxiliary's home village and township.
        check_required(v, "home_township", draft.home_township)
    v.check(not draft.join_date_invalid, "join_date", "must be a valid calendar date")
    for index, village_id in enumerate(draft.former_workplace_village_ids):
        v.check(bool(village_id.strip()), f"former_workplace_village_ids[{index}]", "must not be empty")
    v.raise_if_any()
    return Officer(
        officer_id=officer_id,
        name=draft.name.strip(),
        roles=roles,
        branch=draft.branch,
        station_id=draft.station_id,
        badge_number=draft.badge_number,
        id_number=draft.id_number.upper(),
        phone=draft.phone,
        home_village_id=draft.home_village_id,
        home_township=draft.home_township.strip(),
        former_workplace_village_ids=tuple(dict.fromkeys(draft.former_workplace_village_ids)),
        previous_workplace=draft.previous_workplace,
        join_date=draft.join_date,
        audit=Audit.created(by, at),
    )


# Fields UpdateOfficer may change, by their proto path. Identity (officer_id), status and postings change
# only through their own commands.
UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "roles",
        "branch",
        "station_id",
        "badge_number",
        "id_number",
        "phone",
        "home_village_id",
        "home_township",
        "former_workplace_village_ids",
        "previous_workplace",
        "join_date",
    }
)


def update_officer(
    officer: Officer, draft: OfficerDraft, paths: tuple[str, ...], *, at: datetime, by: str
) -> tuple[Officer, tuple[str, ...]]:
    """Apply the masked fields of ``draft``; the result is validated like a registration."""
    v = Validator()
    if not v.check(bool(paths), "update_mask", "name at least one field to change"):
        v.raise_if_any()
    for index, path in enumerate(paths):
        v.check(path in UPDATABLE_FIELDS, f"update_mask.paths[{index}]", f"{path!r} cannot be changed here")
    v.raise_if_any()
    officer.require_active()
    current = OfficerDraft(
        name=officer.name,
        roles=tuple(sorted(officer.roles)),
        branch=officer.branch,
        station_id=officer.station_id,
        badge_number=officer.badge_number,
        id_number=officer.id_number,
        phone=officer.phone,
        home_village_id=officer.home_village_id,
        home_township=officer.home_township,
        former_workplace_village_ids=officer.former_workplace_village_ids,
        previous_workplace=officer.previous_workplace,
        join_date=officer.join_date,
    )
    merged = replace(current, **{path: getattr(draft, path) for path in paths})
    if "join_date" in paths:
        merged = replace(merged, join_date_invalid=draft.join_date_invalid)
    updated = register_officer(merged, officer_id=officer.officer_id, at=at, by=by)
    updated = replace(updated, audit=officer.audit.touched(by, at), version=officer.version)
    changed = tuple(p for p in sorted(paths) if getattr(updated, p) != getattr(officer, p))
    return updated, changed


def mask_id_number(value: str) -> str:
    """R-POP-6: keep the region prefix (3) and the last 4; the birth date never shows."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def masked(officer: Officer) -> Officer:
    """The officer as a caller without the PII role sees it (R-POP-6)."""
    return replace(officer, id_number=mask_id_number(officer.id_number), phone=mask_phone(officer.phone))


def unmasked_fields(officer: Officer) -> tuple[str, ...]:
    """Which personal fields an unmasked read actually reveals (the audit names them, R-POP-6:
    jingwu_platform.unmasked_reads)."""
    return tuple(name for name in ("id_number", "phone") if getattr(officer, name))
