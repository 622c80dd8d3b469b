"""One village, one liaison officer, one resident auxiliary (R-PER-5..7). Pure.

Every administrative village has exactly one liaison officer (包村民警) and one resident auxiliary
(驻村辅警). The liaison officer is chosen by the R-PER-6 preferences (ranked in domain/candidates.py);
the auxiliary comes from the same or a neighbouring township, never from the village he serves, and
rotates (R-PER-7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from jingwu_platform.calendar import add_months
from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.policy import WorkStandard
from jingwu_platform.shared_kernel import check_required

from jingwu_personnel.domain.officers import Officer, OfficerRole
from jingwu_personnel.domain.territory import VillageView


@dataclass(frozen=True)
class VillageProfile:
    """Traits of an administrative village that selection uses (R-PER-6, R-PER-7)."""

    village_id: str
    township: str = ""
    neighbouring_townships: tuple[str, ...] = ()
    along_traffic_line: bool = False
    high_crime: bool = False
    security_complex: bool = False
    key_village: bool = False
    updated_by: str = ""
    updated_at: datetime | None = None


def validate_profile(profile: VillageProfile) -> VillageProfile:
    v = Validator()
    check_required(v, "village_profile.village_id", profile.village_id)
    for index, township in enumerate(profile.neighbouring_townships):
        v.check(
            bool(township.strip()), f"village_profile.neighbouring_townships[{index}]", "must not be empty"
        )
        v.check(
            township != profile.township,
            f"village_profile.neighbouring_townships[{index}]",
            "the village's own township is not its neighbour",
        )
    v.raise_if_any()
    return replace(
        profile,
        township=profile.township.strip(),
        neighbouring_townships=tuple(dict.fromkeys(t.strip() for t in profile.neighbouring_townships)),
    )


class Slot(StrEnum):
    """The two posts every administrative village has (R-PER-5)."""

    LIAISON = "liaison"  # 包村民警
    AUXILIARY = "auxiliary"  # 驻村辅警

    @property
    def role(self) -> OfficerRole:
        return OfficerRole.VILLAGE_LIAISON_OFFICER if self is Slot.LIAISON else OfficerRole.RESIDENT_AUXILIARY

    @classmethod
    def of(cls, role: OfficerRole) -> Slot | None:
        """The village slot a posting in ``role`` holds, if any."""
        return {
            OfficerRole.VILLAGE_LIAISON_OFFICER: cls.LIAISON,
            OfficerRole.RESIDENT_AUXILIARY: cls.AUXILIARY,
        }.get(role)


@dataclass(frozen=True)
class Holder:
    """Who holds a village slot, under which posting, since when (and, for an auxiliary, until when:
    R-PER-7 rotation)."""

    officer_id: str
    posting_id: str
    since: date | None = None
    rotation_due: date | None = None


@dataclass(frozen=True)
class VillageAssignment:
    """One village (as the registry describes it), its selection profile, and the current liaison officer
    and resident auxiliary (R-PER-5). Versioned: assignments read, decide and write against it."""

    village_id: str
    village: VillageView
    profile: VillageProfile | None = None
    liaison: Holder | None = None
    auxiliary: Holder | None = None
    version: int = 0

    @classmethod
    def of(cls, village: VillageView) -> VillageAssignment:
        """A village the registry announced, with nobody assigned yet."""
        return cls(village_id=village.village_id, village=village)

    @property
    def township(self) -> str:
        """The profile's township when recorded, else the registry's."""
        if self.profile is not None and self.profile.township:
            return self.profile.township
        return self.village.township

    @property
    def neighbouring_townships(self) -> tuple[str, ...]:
        return self.profile.neighbouring_townships if self.profile is not None else ()

    def holder(self, slot: Slot) -> Holder | None:
        return self.liaison if slot is Slot.LIAISON else self.auxiliary

    @property
    def liaison_officer_id(self) -> str:
        return self.liaison.officer_id if self.liaison else ""

    @property
    def liaison_posting_id(self) -> str:
        return self.liaison.posting_id if self.liaison else ""

    @property
    def liaison_since(self) -> date | None:
        return self.liaison.since if self.liaison else None

    @property
    def auxiliary_id(self) -> str:
        return self.auxiliary.officer_id if self.auxiliary else ""

    @property
    def auxiliary_posting_id(self) -> str:
        return self.auxiliary.posting_id if self.auxiliary else ""

    @property
    def auxiliary_since(self) -> date | None:
        return self.auxiliary.since if self.auxiliary else None

    @property
    def auxiliary_rotation_due(self) -> date | None:
        return self.auxiliary.rotation_due if self.auxiliary else None

    @property
    def complete(self) -> bool:
        return bool(self.liaison_officer_id and self.auxiliary_id)

    # --- transitions (pure: each returns the changed assignment, or None when nothing changes) ---------

    def described(self, village: VillageView) -> VillageAssignment | None:
        """The registry's (re-)description of the village; its holders and profile stay."""
        return None if village == self.village else replace(self, village=village)

    def rezoned(self, zone_code: str) -> VillageAssignment | None:
        """R-ORG-3: a re-division moved the village to ``zone_code``."""
        if self.village.zone_code == zone_code:
            return None
        return replace(self, village=replace(self.village, zone_code=zone_code))

    def profiled(self, profile: VillageProfile) -> VillageAssignment:
        return replace(self, profile=profile)

    def assigned(self, slot: Slot, holder: Holder | None) -> VillageAssignment:
        """``holder`` takes the slot, replacing whoever held it (R-PER-5: at once, no blank village);
        None empties it."""
        return replace(self, liaison=holder) if slot is Slot.LIAISON else replace(self, auxiliary=holder)

    def released(self, posting_id: str) -> VillageAssignment | None:
        """The posting ``posting_id`` ended: the slot it held is empty (a blank village until someone is
        assigned, R-PER-5). None when no slot is held under it (a successor took it meanwhile)."""
        changed = self
        for slot in Slot:
            holder = self.holder(slot)
            if holder is not None and holder.posting_id == posting_id:
                changed = changed.assigned(slot, None)
        return None if changed is self else changed

    def handed_over(self, old_posting_id: str, new_posting_id: str) -> VillageAssignment | None:
        """The registry moved the holder's posting (a re-division): the same person keeps the slot, from
        the same day, under the successor posting. None when the slot is not held under the old one."""
        changed = self
        for slot in Slot:
            holder = self.holder(slot)
            if holder is not None and holder.posting_id == old_posting_id:
                changed = changed.assigned(slot, replace(holder, posting_id=new_posting_id))
        return None if changed is self else changed


def check_assignable(assignment: VillageAssignment) -> None:
    """R-PER-5 is about administrative villages; urban communities have community officers instead."""
    if not assignment.village.needs_liaison_and_auxiliary:
        raise RuleViolation(
            "R-PER-5",
            f"villages/{assignment.village_id}",
            "liaison officers and resident auxiliaries serve administrative villages, not natural "
            "villages or urban communities",
        )


def check_liaison_officer(officer: Officer) -> None:
    """R-PER-5 with R-PER-1: a liaison officer is a police officer on the force."""
    officer.require_active()
    if not officer.is_police:
        raise RuleViolation(
            "R-PER-5", f"officers/{officer.officer_id}", "a village liaison officer must be a police officer"
        )


def is_own_village(officer: Officer, village_id: str, villages: Mapping[str, VillageView]) -> bool:
    """The person lives in the village, or in one of its natural villages."""
    if not officer.home_village_id:
        return False
    if officer.home_village_id == village_id:
        return True
    home = villages.get(officer.home_village_id)
    return home is not None and home.parent_village_id == village_id


def allowed_townships(assignment: VillageAssignment) -> frozenset[str]:
    return frozenset({assignment.township, *assignment.neighbouring_townships} - {""})


def check_resident_auxiliary(
    officer: Officer, assignment: VillageAssignment, villages: Mapping[str, VillageView]
) -> None:
    """R-PER-7: an auxiliary from the same or a neighbouring township, never from the village he serves."""
    officer.require_active()
    subject = f"officers/{officer.officer_id}"
    if not officer.is_auxiliary:
        raise RuleViolation("R-PER-7", subject, "a resident auxiliary must be an auxiliary (辅警)")
    if is_own_village(officer, assignment.village_id, villages):
        raise RuleViolation(
            "R-PER-7", subject, f"an auxiliary never serves his own village ({assignment.village_id})"
        )
    allowed = allowed_townships(assignment)
    if not assignment.township:
        raise RuleViolation(
            "R-PER-7",
            f"villages/{assignment.village_id}",
            "the village's township is unknown, so the auxiliary's origin cannot be checked; record it first",
        )
    if officer.home_township not in allowed:
        raise RuleViolation(
            "R-PER-7",
            subject,
            f"an auxiliary from {officer.home_township or 'an unknown township'} may not serve a village of "
            f"{assignment.township}: only the same or a neighbouring township",
        )


def rotation_due(start: date, work: WorkStandard) -> date:
    """R-PER-7: when a resident auxiliary must rotate out, from the district's rotation period."""
    return add_months(start, work.auxiliary_rotation_months)


def check_not_overstaying(assignment: VillageAssignment, officer_id: str, today: date) -> None:
    """R-PER-7: re-assigning the current auxiliary once his rotation is due would keep him long-term."""
    if (
        assignment.auxiliary_id == officer_id
        and assignment.auxiliary_rotation_due is not None
        and assignment.auxiliary_rotation_due <= today
    ):
        raise RuleViolation(
            "R-PER-7",
            f"villages/{assignment.village_id}",
            f"auxiliary {officer_id} is due to rotate out ({assignment.auxiliary_rotation_due}); "
            "assign another auxiliary",
        )
