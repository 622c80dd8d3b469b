"""One village, one liaison officer, one resident auxiliary (R-PER-5..7). Pure.

Every administrative village has exactly one liaison officer (包村民警) and one resident auxiliary
(驻村辅警). The liaison officer is chosen by the R-PER-6 preferences, scored by ``rank_liaison_candidates``
so the ranking explains itself term by term; the auxiliary comes from the same or a neighbouring
township, never from the village he serves, and rotates (R-PER-7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from jingwu_platform.calendar import add_months
from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.policy import WorkStandard
from jingwu_platform.shared_kernel import check_required

from jingwu_personnel.domain.officers import Branch, Officer
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


@dataclass(frozen=True)
class VillageAssignment:
    """The current liaison officer and resident auxiliary of one village (R-PER-5)."""

    village: VillageView
    profile: VillageProfile | None = None
    liaison_officer_id: str = ""
    liaison_posting_id: str = ""
    liaison_since: date | None = None
    auxiliary_id: str = ""
    auxiliary_posting_id: str = ""
    auxiliary_since: date | None = None
    auxiliary_rotation_due: date | None = None

    @property
    def village_id(self) -> str:
        return self.village.village_id

    @property
    def township(self) -> str:
        """The profile's township when recorded, else the registry's."""
        if self.profile is not None and self.profile.township:
            return self.profile.township
        return self.village.township

    @property
    def neighbouring_townships(self) -> tuple[str, ...]:
        return self.profile.neighbouring_townships if self.profile is not None else ()

    @property
    def complete(self) -> bool:
        return bool(self.liaison_officer_id and self.auxiliary_id)


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


# --------------------------------------------------------------------------------------------------
# candidate ranking (R-PER-6, R-PER-7)


class CandidateReason(StrEnum):
    HOME_VILLAGE = "home_village"
    FORMER_WORKPLACE = "former_workplace"
    TRAFFIC_LINE = "traffic_line"
    CRIMINAL_HIGH_CRIME = "criminal_high_crime"
    STATE_SECURITY_COMPLEX = "state_security_complex"
    KEY_VILLAGE = "key_village"
    SAME_TOWNSHIP = "same_township"
    NEIGHBOURING_TOWNSHIP = "neighbouring_township"
    NOT_RECENTLY_SERVED = "not_recently_served"
    WORKLOAD = "workload"


@dataclass(frozen=True)
class PreferenceWeights:
    """Points per reason. R-PER-6 lists the preferences in an order but gives no numbers: this project
    scores the personal ties (home, former workplace) above the branch-to-village matches, and takes a
    little off per village a candidate already serves so the load spreads."""

    home_village: float = 5.0
    former_workplace: float = 4.0
    branch_match: float = 3.0
    same_township: float = 2.0
    neighbouring_township: float = 1.0
    not_recently_served: float = 1.0
    per_current_village: float = 0.5


@dataclass(frozen=True)
class CandidateFacts:
    """What ranking knows of one person besides his profile."""

    officer: Officer
    # Villages he serves now in the role ranked for.
    current_village_count: int = 0
    # Villages he was posted to in the past (any role): R-PER-6 "former workplace" from the history.
    past_village_ids: frozenset[str] = frozenset()
    # Last day he served this village as its resident auxiliary (R-PER-7 rotation), if ever.
    last_served_here: date | None = None


@dataclass(frozen=True)
class Candidate:
    officer: Officer
    score: float
    terms: tuple[tuple[CandidateReason, float], ...]
    current_village_count: int

    @property
    def reasons(self) -> tuple[CandidateReason, ...]:
        return tuple(reason for reason, _ in self.terms)


_BRANCH_MATCHES: tuple[tuple[frozenset[Branch], str, CandidateReason], ...] = (
    (frozenset({Branch.TRAFFIC}), "along_traffic_line", CandidateReason.TRAFFIC_LINE),
    (frozenset({Branch.CRIMINAL_INVESTIGATION}), "high_crime", CandidateReason.CRIMINAL_HIGH_CRIME),
    (frozenset({Branch.STATE_SECURITY}), "security_complex", CandidateReason.STATE_SECURITY_COMPLEX),
    (frozenset({Branch.PUBLIC_ORDER, Branch.STATION}), "key_village", CandidateReason.KEY_VILLAGE),
)


def _ranked(candidates: Iterable[Candidate], limit: int) -> list[Candidate]:
    ordered = sorted(
        candidates, key=lambda c: (-c.score, c.current_village_count, c.officer.name, c.officer.officer_id)
    )
    return ordered[:limit]


def _workload(facts: CandidateFacts, weights: PreferenceWeights) -> list[tuple[CandidateReason, float]]:
    if facts.current_village_count == 0:
        return []
    return [(CandidateReason.WORKLOAD, -weights.per_current_village * facts.current_village_count)]


def liaison_terms(
    facts: CandidateFacts,
    assignment: VillageAssignment,
    villages: Mapping[str, VillageView],
    weights: PreferenceWeights,
) -> list[tuple[CandidateReason, float]]:
    """R-PER-6 preferences that hold for this officer and village, with their points."""
    officer, village_id = facts.officer, assignment.village_id
    terms: list[tuple[CandidateReason, float]] = []
    if is_own_village(officer, village_id, villages):
        terms.append((CandidateReason.HOME_VILLAGE, weights.home_village))
    if village_id in officer.former_workplace_village_ids or village_id in facts.past_village_ids:
        terms.append((CandidateReason.FORMER_WORKPLACE, weights.former_workplace))
    profile = assignment.profile
    if profile is not None and officer.branch is not None:
        for branches, trait, reason in _BRANCH_MATCHES:
            if officer.branch in branches and getattr(profile, trait):
                terms.append((reason, weights.branch_match))
    return terms + _workload(facts, weights)


def rank_liaison_candidates(
    candidates: Iterable[CandidateFacts],
    assignment: VillageAssignment,
    villages: Mapping[str, VillageView],
    *,
    weights: PreferenceWeights,
    limit: int,
) -> list[Candidate]:
    """R-PER-6: active police officers other than the current liaison, best first."""
    ranked = []
    for facts in candidates:
        officer = facts.officer
        if not (officer.active and officer.is_police) or officer.officer_id == assignment.liaison_officer_id:
            continue
        terms = liaison_terms(facts, assignment, villages, weights)
        ranked.append(Candidate(officer, sum(p for _, p in terms), tuple(terms), facts.current_village_count))
    return _ranked(ranked, limit)


def rank_auxiliary_candidates(
    candidates: Iterable[CandidateFacts],
    assignment: VillageAssignment,
    villages: Mapping[str, VillageView],
    *,
    today: date,
    work: WorkStandard,
    weights: PreferenceWeights,
    limit: int,
) -> list[Candidate]:
    """R-PER-7: active auxiliaries of the same or a neighbouring township, never from the village itself,
    never the current one; those who have not served here within a rotation period first."""
    allowed = allowed_townships(assignment)
    ranked = []
    for facts in candidates:
        officer = facts.officer
        if not (officer.active and officer.is_auxiliary) or officer.officer_id == assignment.auxiliary_id:
            continue
        if is_own_village(officer, assignment.village_id, villages) or officer.home_township not in allowed:
            continue
        terms: list[tuple[CandidateReason, float]] = [
            (CandidateReason.SAME_TOWNSHIP, weights.same_township)
            if officer.home_township == assignment.township
            else (CandidateReason.NEIGHBOURING_TOWNSHIP, weights.neighbouring_township)
        ]
        recent = (
            facts.last_served_here is not None
            and add_months(facts.last_served_here, work.auxiliary_rotation_months) > today
        )
        if not recent:
            terms.append((CandidateReason.NOT_RECENTLY_SERVED, weights.not_recently_served))
        terms += _workload(facts, weights)
        ranked.append(Candidate(officer, sum(p for _, p in terms), tuple(terms), facts.current_village_count))
    return _ranked(ranked, limit)
